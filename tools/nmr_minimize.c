/* nmr-minimize - shrink a finding's scenario, keeping its signature.
 *
 * Output: a readable text scenario with a `# signature:` comment and an
 * `expect` line (nmr-replay --expect checks it).
 * Exit 1 the signature was kept (the normal outcome: the output still has
 * the violation), 0 the input reports no counted finding, 2 bad input or
 * usage, or the requested signature is not reported. */
#include <errno.h>
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
		"  --suppress FILE    set aside the findings FILE matches (docs/FINDINGS.md; else $NMRSIM_SUPPRESS)\n"
		"  --advisories-fail  advisories (e.g. M22) can be kept (else $NMRSIM_ADVISORIES_FAIL=1)\n"
		"exit: 1 signature kept (result written), 0 no counted finding, 2 bad input or usage\n");
}

static struct scenario in, out;

int main(int argc, char **argv)
{
	const char *path = NULL, *out_path = NULL;
	enum tgt_kind kind = TARGET_SCENARIO;
	bool rules_given = false, verbose = false;
	struct min_config cfg = { 0 };
	struct opts o;
	opts_init(&o, "nmr-minimize", argc, argv, usage);
	while (opts_next(&o)) {
		if (tgt_option(&o, &kind, &cfg.rule_mask, &rules_given)) ;
		else if (opts_str(&o, "--signature", &cfg.signature)) ;
		else if (opts_str(&o, "-o", &out_path) || opts_str(&o, "--out", &out_path)) ;
		else if (opts_u32(&o, "--runs-max", 1, UINT32_MAX, &cfg.runs_max)) ;
		else if (opts_flag(&o, "--verbose")) verbose = true;
		else if (!path) path = opts_operand(&o);
		else opts_fail(&o, "one FILE only (got '%s' after '%s')", opts_operand(&o), path);
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
	if (in.choices_long) {
		/* The minimiser edits choices[]: a long run's trace (a livelock past
		 * SCN_CHOICES_MAX choices) is minimised from its first ones, then
		 * option 0, as such traces were written before they held it all. */
		fprintf(stderr, "nmr-minimize: %s lists %u choices: minimising from its first %u (then option 0)\n", path,
			in.nchoices_long, (unsigned)SCN_CHOICES_MAX);
		in.choices_long = NULL;
		in.nchoices_long = 0;
		in.has_hash = false;
	}
	if (!rules_given)
		cfg.rule_mask = tgt_default_mask(kind, text);
	if (verbose)
		cfg.log = stderr;
	tgt_crash_guard("nmr-minimize", &path);
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
	bool bad = !f || min_print(f, &out, &st, path) != 0 || fflush(f) != 0 || ferror(f);
	int saved = errno;
	if (f && out_path && fclose(f) != 0) {
		bad = true;
		saved = errno;
	}
	if (bad) {
		fprintf(stderr, "nmr-minimize: cannot write %s: %s\n", out_path ? out_path : "standard output", strerror(saved));
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
