/* nmr-triage - replay crash files, group them by signature, keep and
 * minimise the smallest reproducer of each distinct bug, and write the
 * morning report (report.txt and a self-contained report.html).
 *
 * Inputs: files and directories (walked recursively): binary crash files as
 * libFuzzer (crash-*) and AFL++ (crashes/id:*) write them, decoded as the
 * fuzz target does (--target), and text scenarios / traces (.nmr, .nmrt).
 * Every input runs in-process on one runner. A file counts toward each
 * signature its run reports (rule + module + site, oracle_signature).
 *
 * Incremental mode (--state FILE): files already triaged (same path, size
 * and mtime) are not replayed again; minimised reproducers are reused while
 * their source stays the best one.
 *
 * Exit 0 no finding, 1 findings, 2 bad usage, an unreadable input or an
 * unwritable report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "run/crash.h"
#include "triage.h"

struct triage_opt opt = { .minimize = true, .out_dir = "triage", .min_runs = 50000 };
struct scenario scn, mscn;
struct runner runner;
struct tgt_buf buf;
struct tgt_outcome outc;

static int parent_crash(void)
{
	fprintf(stderr, "nmr-triage: a driver crashed while minimising or rendering a reproducer; run again with "
			"--no-minimize\n");
	return EXIT_BAD_INPUT;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-triage [options] PATH...\n"
		"  PATH             crash files or directories (recursive): binary fuzzer inputs, .nmr, .nmrt\n"
		"  --target T       how binary inputs decode: scenario (default) or drivers\n"
		"  --rules SPEC     findings that count: all, M, K, R, L, rule IDs, comma separated\n"
		"                   (default: R for binary scenario inputs, all otherwise)\n"
		"  --out DIR        report.txt, report.html and bugs/ go there (default: triage)\n"
		"  --state FILE     incremental: replay only files new or changed since the last run\n"
		"  --no-minimize    keep the smallest reproducers as they are\n"
		"  --min-runs N     runs the minimiser may spend per bug (default 50000)\n"
		"  --prune N        delete crash files beyond N per signature (keeps the best and the first)\n"
		"  --quiet          no per-bug summary on standard output\n"
		"  --suppress FILE  set aside the findings FILE matches (docs/FINDINGS.md; else $NMRSIM_SUPPRESS)\n"
		"  --advisories-fail  advisories (e.g. M22) count as bugs (else $NMRSIM_ADVISORIES_FAIL=1)\n"
		"exit: 0 no finding, 1 findings, 2 bad usage, an unreadable input or an unwritable report\n");
}

int main(int argc, char **argv)
{
	const char *paths[PATHS_MAX];
	int npaths = 0;
	tgt_find_replay(opt.replay, sizeof opt.replay, argv[0]);
	struct opts o;
	opts_init(&o, "nmr-triage", argc, argv, usage);
	while (opts_next(&o)) {
		if (tgt_option(&o, &opt.kind, &opt.mask, &opt.rules_given)) ;
		else if (opts_str(&o, "--out", &opt.out_dir)) ;
		else if (opts_str(&o, "--state", &opt.state)) ;
		else if (opts_u32(&o, "--prune", 1, 1000000, &opt.prune)) ;
		else if (opts_u32(&o, "--min-runs", 1, 100000000, &opt.min_runs)) ;
		else if (opts_flag(&o, "--no-minimize")) opt.minimize = false;
		else if (opts_flag(&o, "--quiet")) opt.quiet = true;
		else if (npaths < PATHS_MAX) paths[npaths++] = opts_operand(&o);
		else opts_fail(&o, "more than %d paths (name their folder instead)", PATHS_MAX);
	}
	if (!npaths) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!tgt_kind_usable("nmr-triage", opt.kind))
		return EXIT_BAD_INPUT;
	if (runner_init(&runner) != 0) {
		fprintf(stderr, "nmr-triage: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	/* Replays run in a child (replay_pending); a crash in this process
	 * (minimising, rendering a timeline) is no verdict on the inputs. */
	crash_install(CRASH_EXIT);
	crash_brief = true;
	crash_exit_code = parent_crash;
	/* Where the report goes is checked before any work. */
	if (mkdirs(opt.out_dir) != 0)
		return EXIT_BAD_INPUT;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (opt.state) {
		state_load();
		index_rebuild();
	}
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			fprintf(stderr, "nmr-triage: %s: %s\n", paths[i], strerror(errno));
			errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			walk(paths[i]);
		else
			consider(paths[i], &st);
	}
	bool replay_ok = replay_pending();
	group();
	uint32_t pruned = 0;
	if (opt.prune) {
		pruned = prune();
		group();
	}
	uint32_t order[SIGS_MAX], nbugs = 0;
	uint32_t nroots = order_bugs(order, &nbugs);
	struct timespec tm0, tm1;
	clock_gettime(CLOCK_MONOTONIC, &tm0);
	if (opt.minimize)
		for (uint32_t b = 0; b < nbugs; b++)
			minimise(&sigs[order[b]], b + 1);
	clock_gettime(CLOCK_MONOTONIC, &tm1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double msecs = (double)(tm1.tv_sec - tm0.tv_sec) + (double)(tm1.tv_nsec - tm0.tv_nsec) / 1e9;
	int rc = write_report(order, nbugs, nroots, secs);
	if (opt.state && state_save() != 0) {
		fprintf(stderr, "nmr-triage: cannot write state %s: %s\n", opt.state, strerror(errno));
		rc = -1;
	}
	uint32_t live = 0, unreadable = errors;
	for (uint32_t i = 0; i < nfiles; i++) {
		live += files[i].seen;
		/* unreadable inputs found unchanged in the state count as well */
		unreadable += files[i].seen && files[i].error && files[i].cached;
	}
	printf("nmr-triage: %u input(s) (%u replayed, %u from state, %u unreadable%s), %u distinct bug(s) (root causes), %u signature(s) in %.2f s "
	       "(minimising %.2f s)\n",
	       live, replayed, reused, unreadable, pruned ? ", pruned some" : "", nroots, nbugs, secs, msecs);
	if (suppressed_total || advisories_total)
		printf("set aside: %u finding(s) suppressed, %u advisor%s not counted\n",
		       suppressed_total, advisories_total, advisories_total == 1 ? "y" : "ies");
	if (pruned)
		printf("pruned %u duplicate crash file(s)\n", pruned);
	for (uint32_t s = 0; s < nsigs && !opt.quiet; s++)
		if (sigs[s].hits && triage_advisory(&sigs[s]))
			printf("advisory (not counted): %s  (%u hit%s)  e.g. %s\n", sigs[s].sig, sigs[s].hits,
			       sigs[s].hits == 1 ? "" : "s", files[sigs[s].best].path);
	if (sigs_dropped)
		printf("warning: more than %u signatures; the rest were not grouped\n", SIGS_MAX);
	if (!opt.quiet)
		for (uint32_t b = 0; b < nbugs; b++) {
			const struct tsig *s = &sigs[order[b]];
			char cmd[2400];
			if (s->min_path[0])
				snprintf(cmd, sizeof cmd, "%s %s", opt.replay, s->min_path);
			else
				tgt_replay_command(cmd, sizeof cmd, opt.replay, files[s->best].path, opt.kind,
						   files[s->best].text,
						   opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, files[s->best].text));
			if (strchr(labels[b], '.')) {
				printf("    then: %s  (%u hit%s)\n", s->sig, s->hits, s->hits == 1 ? "" : "s");
				continue;
			}
			printf("[%s] %s  (%s, %u hit%s)\n    replay: %s\n", labels[b], s->sig, rule_info(s->rule)->name, s->hits,
			       s->hits == 1 ? "" : "s", cmd);
		}
	printf("report: %s/report.txt, %s/report.html\n", opt.out_dir, opt.out_dir);
	runner_fini(&runner);
	tgt_buf_free(&buf);
	if (rc != 0 || !replay_ok)
		return EXIT_BAD_INPUT;
	if (unreadable) {
		/* The report covers the rest; the exit code says it is not all. */
		fprintf(stderr, "nmr-triage: %u input(s) could not be read (see above); the report covers the others\n",
			unreadable);
		return EXIT_BAD_INPUT;
	}
	return opts_exit(&o, nbugs ? EXIT_VIOLATION : EXIT_CLEAN);
}
