/* nmr-seed - turn text scenarios into a fuzz target's seed files (run by the
 * build: build/fuzz/seeds_<target>/).
 *
 *   nmr-seed --mode binary|drivers|text|trace --out DIR FILE.nmr...
 *
 * drivers: scn_encode_binary of a scenario of hosted drivers (`driver NAME`
 *         lines; the fuzz_drivers target decodes them with
 *         scn_decode_binary_drivers against the same linked driver table); files
 *         whose `expect` line names rules are skipped: every rule counts in
 *         fuzz_drivers, so a buggy example would crash the fuzzer on its
 *         initial corpus;
 * binary: scn_encode_binary with the registrar set to the model (the
 *         fuzz_scenario target's system under test: a mutant seed would be a
 *         finding before any mutation); names, expect lines and recorded
 *         choices are not carried by the binary form;
 * text:   the file's canonical text (fuzz_text);
 * trace:  the file run once under its own schedule and recorded as a trace
 *         (`choices` and `hash` lines), as `nmr-replay --record` writes it
 *         (fuzz_trace).
 * Output names: <basename>.bin / .nmr / .nmrt; identical seeds are written
 * once. Exit 0, or 2 on a file that does not parse or an unwritable DIR. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "report.h"
#include "run/run.h"

enum seed_mode { SEED_BINARY, SEED_DRIVERS, SEED_TEXT, SEED_TRACE };

static struct scenario scn, rec;

static int usage(void)
{
	fprintf(stderr, "usage: nmr-seed --mode binary|drivers|text|trace --out DIR FILE.nmr...\n");
	return EXIT_BAD_INPUT;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* "corpus/rules/M04-bad.nmr" -> "rules-M04-bad": folder + name, so files
 * of different folders never collide. */
static void seed_name(const char *path, char *out, size_t cap)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dir_end = base > path ? base - 1 : NULL;
	const char *dir = path;
	if (dir_end) {
		for (const char *p = dir_end - 1; p >= path && *p != '/'; p--)
			dir = p;
	}
	size_t dlen = dir_end ? (size_t)(dir_end - dir) : 0;
	size_t blen = strcspn(base, ".");
	snprintf(out, cap, "%.*s%s%.*s", (int)dlen, dir, dlen ? "-" : "", (int)blen, base);
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	int mode = -1, first = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			const char *m = argv[++i];
			mode = !strcmp(m, "binary") ? SEED_BINARY : !strcmp(m, "drivers") ? SEED_DRIVERS
				: !strcmp(m, "text") ? SEED_TEXT
				: !strcmp(m, "trace") ? SEED_TRACE : -1;
			if (mode < 0)
				return usage();
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
		} else if (argv[i][0] == '-') {
			return usage();
		} else {
			first = i;
			break;
		}
	}
	if (mode < 0 || !out || !first)
		return usage();
	if (mkdir(out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create: %s\n", out, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	/* The folder is this tool's output alone: seeds of files since removed
	 * from the corpus must not linger. */
	DIR *d = opendir(out);
	for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
		char old[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(old, sizeof old, "%s/%s", out, e->d_name);
		(void)unlink(old);
	}
	if (d)
		closedir(d);
	struct runner r;
	if (mode == SEED_TRACE && runner_init(&r) != 0)
		return EXIT_BAD_INPUT;
	size_t cap = 1u << 20;
	char *buf = malloc(cap);
	if (!buf)
		return EXIT_BAD_INPUT;
	int rc = EXIT_CLEAN;
	for (int i = first; i < argc && rc == EXIT_CLEAN; i++) {
		if (input_load(&scn, argv[i], false) != 0) {
			rc = EXIT_BAD_INPUT;
			break;
		}
		if (mode == SEED_DRIVERS && scn.expect == EXPECT_RULES)
			continue;
		char name[256], path[4096];
		seed_name(argv[i], name, sizeof name);
		size_t len;
		const char *ext;
		if (mode == SEED_BINARY || mode == SEED_DRIVERS) {
			scn.registrar = REGISTRAR_MODEL;
			len = scn_encode_binary(&scn, (uint8_t *)buf, cap);
			ext = "bin";
		} else if (mode == SEED_TEXT) {
			len = scn_print_text(&scn, buf, cap);
			ext = "nmr";
		} else {
			struct run_result res = run_scenario(&r, &scn, NULL, NULL);
			report_make_trace(&rec, &scn, &res);
			len = scn_print_text(&rec, buf, cap);
			ext = "nmrt";
		}
		if (len >= cap) {
			fprintf(stderr, "%s: seed too large\n", argv[i]);
			rc = EXIT_BAD_INPUT;
			break;
		}
		snprintf(path, sizeof path, "%s/%s.%s", out, name, ext);
		if (write_file(path, buf, len) != 0)
			rc = EXIT_BAD_INPUT;
	}
	free(buf);
	if (mode == SEED_TRACE)
		runner_fini(&r);
	return rc;
}
