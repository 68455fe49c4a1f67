/* assert.c - the report of a broken engine invariant (see assert.h). */
#include "core/assert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The path from sim/ on, the same whatever the build directory. */
static const char *short_path(const char *file)
{
	const char *p = strstr(file, "sim/");
	return p ? p : file;
}

/* A signature line as findings have (oracle_signature), so a campaign's
 * crash files that hit one invariant group under it: "invariant <name>
 * <file>" (no line number: it moves with unrelated edits). */
static _Noreturn void die(const char *name, const char *file)
{
	fprintf(stderr, "signature: invariant %s %s\n", name, short_path(file));
	fputs("nmrsim: this is a bug in the nmrsim engine, not a finding against the driver under test\n", stderr);
	fflush(stderr);
	abort();
}

_Noreturn void sim_assert_fail(const char *name, const char *expr, const char *file, int line)
{
	fflush(stdout);
	fprintf(stderr, "nmrsim: invariant failed: %s (%s) at %s:%d\n", name, expr, short_path(file), line);
	die(name, file);
}

_Noreturn void sim_assert_fail_values(const char *name, const char *expr, uintmax_t a, const char *op, uintmax_t b,
				      const char *file, int line)
{
	fflush(stdout);
	fprintf(stderr, "nmrsim: invariant failed: %s (%s; %" PRIuMAX " %s %" PRIuMAX " is false) at %s:%d\n", name, expr, a,
		op, b, short_path(file), line);
	die(name, file);
}
