/* nmr-minimize - shrink a finding's scenario, keeping its signature.
 *
 * Output: a readable text scenario with a `# signature:` comment and an
 * `expect` line (nmr-replay --expect checks it).
 * Exit 1 the signature was kept (the normal outcome: the output still has
 * the violation), 0 the input reports no counted finding, 2 bad input or
 * usage, or the requested signature is not reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minimize.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-minimize [options] FILE\n"
		"  FILE               a text scenario (.nmr/.nmrt) or a binary fuzzer input (crash file)\n"
		"  --target T         how binary inputs decode: scenario (default) or drivers\n"
		"  --rules SPEC       findings that count: all, M, K, R, L, rule IDs, comma separated\n"
		"                     (default: R for binary scenario inputs, all otherwise)\n"
		"  --signature SIG    keep this signature (default: the first counted finding's)\n"
		"  -o, --out FILE     write the result there (default: standard output)\n"
		"  --runs-max N       stop shrinking after N runs (default 200000)\n"
		"  --verbose          one line per round on standard error\n"
		"exit: 1 signature kept (result written), 0 no counted finding, 2 bad input or usage\n");
}

static struct scenario in, out;

int main(int argc, char **argv)
{
	const char *path = NULL, *out_path = NULL;
	enum tgt_kind kind = TARGET_SCENARIO;
	bool rules_given = false, verbose = false;
	struct min_config cfg = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int common = tgt_option("nmr-minimize", argc, argv, &i, &kind, &cfg.rule_mask, &rules_given);
		if (common < 0)
			return EXIT_BAD_INPUT;
		if (common > 0)
			continue;
		if (!strcmp(a, "--signature") && v) {
			cfg.signature = argv[++i];
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--out")) && v) {
			out_path = argv[++i];
		} else if (!strcmp(a, "--runs-max") && v) {
			cfg.runs_max = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(a, "--verbose")) {
			verbose = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "nmr-minimize: unknown option '%s'\n", a);
			usage(stderr);
			return EXIT_BAD_INPUT;
		} else if (!path) {
			path = a;
		} else {
			fprintf(stderr, "nmr-minimize: one FILE only\n");
			return EXIT_BAD_INPUT;
		}
	}
	if (!path) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!tgt_kind_usable("nmr-minimize", kind))
		return EXIT_BAD_INPUT;
	struct tgt_buf buf = { 0 };
	char err[512];
	bool text;
	if (tgt_load(&in, path, kind, &buf, &text, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		tgt_buf_free(&buf);
		return EXIT_BAD_INPUT;
	}
	tgt_buf_free(&buf);
	if (!rules_given)
		cfg.rule_mask = tgt_default_mask(kind, text);
	if (verbose)
		cfg.log = stderr;
	struct runner r;
	if (runner_init(&r) != 0) {
		fprintf(stderr, "nmr-minimize: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct min_stats st;
	int rc = min_minimize(&r, &in, &cfg, &out, &st, err, sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	runner_fini(&r);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return strstr(err, "no counted finding") ? EXIT_CLEAN : EXIT_BAD_INPUT;
	}
	FILE *f = out_path ? fopen(out_path, "wb") : stdout;
	if (!f || min_print(f, &out, &st, path) != 0 || (out_path && fclose(f) != 0)) {
		fprintf(stderr, "nmr-minimize: cannot write %s\n", out_path ? out_path : "standard output");
		return EXIT_BAD_INPUT;
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "nmr-minimize: kept '%s': %u -> %u ops, %u -> %u modules, %u -> %u threads, %u -> %u choices; "
			"%u runs in %.2f s%s\n",
		st.signature, st.ops_before, st.ops_after, st.modules_before, st.modules_after, st.threads_before,
		st.threads_after, st.choices_before, st.choices_after, st.runs, secs,
		st.budget_hit ? " (stopped at --runs-max)" : "");
	return EXIT_VIOLATION;
}
