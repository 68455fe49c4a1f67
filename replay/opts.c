/* opts.c - command-line options, parsed one way for every tool (opts.h). */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

void opts_init(struct opts *o, const char *tool, int argc, char **argv, void (*usage)(FILE *out))
{
	memset(o, 0, sizeof(*o));
	o->tool = tool;
	o->argc = argc;
	o->argv = argv;
	o->i = 0;
	o->usage = usage;
}

_Noreturn void opts_fail(const struct opts *o, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", o->tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s: usage: %s --help\n", o->tool, o->tool);
	exit(EXIT_BAD_INPUT);
}

bool opts_next(struct opts *o)
{
	if (++o->i >= o->argc)
		return false;
	const char *a = o->argv[o->i];
	if (!o->operands_only && !strcmp(a, "--")) {
		o->operands_only = true;
		return opts_next(o);
	}
	if (!o->operands_only && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
		if (o->usage)
			o->usage(stdout);
		exit(EXIT_CLEAN);
	}
	return true;
}

/* Whether the current argument is `name` or `name=...`; *inline_value
 * points after '=' in the second case. */
static bool is(const struct opts *o, const char *name, const char **inline_value)
{
	*inline_value = NULL;
	if (o->operands_only || o->i >= o->argc)
		return false;
	const char *a = o->argv[o->i];
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == '=') {
		*inline_value = a + n + 1;
		return true;
	}
	return a[n] == '\0';
}

bool opts_flag(struct opts *o, const char *name)
{
	const char *v;
	if (!is(o, name, &v))
		return false;
	if (v)
		opts_fail(o, "%s takes no value (got '%s')", name, v);
	return true;
}

/* The value of the option at o->i (consumed); exits when there is none. */
static const char *value(struct opts *o, const char *name, const char *inline_value)
{
	if (inline_value)
		return inline_value;
	if (o->i + 1 >= o->argc)
		opts_fail(o, "%s needs a value", name);
	const char *v = o->argv[o->i + 1];
	/* "--out --quiet" is a forgotten value, not a folder named --quiet;
	 * a single dash stays a value ("-5" is then refused as negative). */
	if (v[0] == '-' && v[1] == '-')
		opts_fail(o, "%s needs a value (got the option '%s')", name, v);
	o->i++;
	return v;
}

bool opts_str(struct opts *o, const char *name, const char **out)
{
	const char *v;
	if (!is(o, name, &v))
		return false;
	v = value(o, name, v);
	if (!*v)
		opts_fail(o, "%s: the value is empty", name);
	*out = v;
	return true;
}

bool opts_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
	const char *p = text;
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	/* strtoull would take a sign, leading spaces and a negative value
	 * (wrapped around): digits only. */
	bool digits = *p != '\0';
	for (const char *q = p; *q; q++)
		if (!(base == 16 ? ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))
				 : (*q >= '0' && *q <= '9')))
			digits = false;
	if (!digits) {
		*why = text[0] == '-' && text[1] >= '0' && text[1] <= '9' ? "is negative" : "is not a number";
		return false;
	}
	errno = 0;
	unsigned long long v = strtoull(p, NULL, base);
	if (errno == ERANGE || v > max || v < min) {
		*why = "is out of range";
		return false;
	}
	*out = v;
	return true;
}

bool opts_u64(struct opts *o, const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *v;
	if (!is(o, name, &v))
		return false;
	v = value(o, name, v);
	const char *why;
	if (!opts_parse_u64(v, min, max, out, &why))
		opts_fail(o, "%s: '%s' %s (expected %llu..%llu)", name, v, why, (unsigned long long)min,
			  (unsigned long long)max);
	return true;
}

bool opts_u32(struct opts *o, const char *name, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	if (!opts_u64(o, name, min, max, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool opts_duration(struct opts *o, const char *name, double max_s, double *out_s)
{
	const char *v;
	if (!is(o, name, &v))
		return false;
	v = value(o, name, v);
	char *end;
	bool ok = (v[0] >= '0' && v[0] <= '9');
	errno = 0;
	double x = ok ? strtod(v, &end) : 0;
	if (ok && errno == 0 && isfinite(x)) {
		double unit = 0;
		switch (*end) {
		case '\0': case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: break;
		}
		ok = unit > 0 && (*end == '\0' || end[1] == '\0');
		x *= unit;
	} else {
		ok = false;
	}
	if (!ok)
		opts_fail(o, "%s: '%s' is not a duration (e.g. 90s, 10m, 8h, 1d)", name, v);
	if (!(x > 0) || x > max_s)
		opts_fail(o, "%s: '%s' is out of range (more than 0, at most %.0f s)", name, v, max_s);
	*out_s = x;
	return true;
}

const char *opts_operand(struct opts *o)
{
	const char *a = o->argv[o->i];
	if (!o->operands_only && a[0] == '-' && a[1])
		opts_fail(o, "unknown option '%s'", a);
	return a;
}

int opts_exit(const struct opts *o, int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the output: %s\n", o->tool, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	return rc;
}
