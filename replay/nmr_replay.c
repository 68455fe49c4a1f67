/* nmr-replay - run one scenario, binary input or recorded trace; print the
 * timeline, the verdict and the report; export a Perfetto timeline.
 * Exit 0 clean, 1 violation, 2 bad input. Same input, same output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/crash.h"
#include "annotate.h"
#include "findings.h"
#include "input.h"
#include "kernel/registry.h"
#include "opts.h"
#include "report.h"
#include "run/run.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-replay [options] FILE\n"
		"  FILE            a text scenario (.nmr), a recorded trace (.nmrt) or a binary fuzzer input\n"
		"  --binary        read FILE as a binary input (fuzz_scenario) whatever its name\n"
		"  --drivers       read FILE as a binary input of the hosted-drivers target (fuzz_drivers)\n"
		"  --list-drivers  print the drivers linked into this binary and exit\n"
		"  --list-registry print the registry values linked in (nmrsim-build --registry) and exit\n"
		"  --timeline OUT  write the timeline as Chrome/Perfetto trace JSON (ui.perfetto.dev)\n"
		"  --record OUT    write a trace file (.nmrt) that replays this run exactly\n"
		"  --seed N        schedule from a seeded PRNG instead of the file's schedule\n"
		"  --pct N:D       PCT schedule with seed N and depth D\n"
		"  --quiet         no timeline on standard output\n"
		"  --plain         timeline without names read from this executable (kernel objects by driver\n"
		"                  symbol or pool block, each driver call's source line, dispatch return values)\n"
		"  --expect        exit 0 if the file's `expect` line matches the verdict, 1 if not\n"
		"  --hash          print only the trace hash\n"
		"  --hash-seeds N  the trace hashes of FILE's own schedule and of --seed 1..N, one line each\n"
		"                  (`own HASH`, `seed K HASH`); every schedule runs twice in this process, the\n"
		"                  second time in reverse order, and differing hashes exit 2 (tests/determinism.sh)\n"
		"  --rules SPEC    count only these rules as findings (\"R\", \"M04,K\", \"all\"; default all)\n"
		"  --suppress FILE set aside the findings FILE matches (docs/FINDINGS.md; else $NMRSIM_SUPPRESS)\n"
		"  --advisories-fail  advisories (e.g. M22) count as findings (else $NMRSIM_ADVISORIES_FAIL=1)\n"
		"  --registrar R   run under registrar R instead of the file's (model, or a planted bug:\n"
		"                  docs/SCENARIO.md#registrars; tests/mutants.sh)\n"
		"exit: 0 clean, 1 violation found, 2 bad input or usage\n");
}

static struct scenario scn, rec;
/* A long run's choices: those of the trace file read (input_load_long), and
 * the log of the run replayed (runner_set_long_log), so that a trace of a
 * run past SCN_CHOICES_MAX choices replays whole and --record writes it so. */
#define REPLAY_LONG_CHOICES (1u << 20)
static struct input_long scn_long;
static struct choice_rec *run_long;
static bool expect_mode, hash_mode;
/* --hash-seeds: the schedule running (0 own, else its seed) and the pass (0, 1). */
static uint64_t seeds_current;
static int seeds_pass = -1;

/* The timeline up to a crash, with the names and source lines the normal
 * one has (the process exits right after: the lookup's memory is not freed). */
static void crash_timeline(FILE *out, const struct run_state *st)
{
	static struct annotate an;
	annotate_init(&an, &st->kernel, &st->trace);
	struct trace_annotator hooks = annotate_hooks(&an);
	trace_render_text_annotated(out, &st->trace, st->scn, &hooks);
}

/* A crash ended the run (K08, already reported): the verdict so far. */
static int crash_verdict(void)
{
	if (seeds_pass == 1) { /* the same schedule did not crash in the first pass */
		fprintf(stderr, "nmr-replay: schedule %" PRIu64 " (0: own) crashed only on its second run in this process\n",
			seeds_current);
		return EXIT_BAD_INPUT;
	}
	if (seeds_pass == 0 && run_current) {
		if (seeds_current)
			printf("seed %" PRIu64 " %016" PRIx64 "\n", seeds_current, run_current->trace.hash);
		else
			printf("own %016" PRIx64 "\n", run_current->trace.hash);
	} else if (hash_mode && run_current) /* the trace up to the crash is deterministic too */
		printf("%016" PRIx64 "\n", run_current->trace.hash);
	if (!expect_mode || !run_current)
		return EXIT_VIOLATION;
	struct run_result res = { .nfindings = run_current->oracle.nfindings, .findings = run_current->oracle.findings };
	bool ok = run_matches_expect(&scn, &res);
	printf("expect: %s\n", ok ? "matched" : "MISMATCH");
	return ok ? EXIT_CLEAN : EXIT_VIOLATION;
}

/* --hash-seeds: the schedules of one file in one process (a process costs
 * tens of runs of a corpus scenario). Forward, then again in reverse order
 * on the same runner: a hash that depends on what ran before it in the
 * process (state carried between runs, as a fuzzer's persistent loop would
 * see it) differs between the passes. Exit 2 on a difference or a diverged
 * recorded trace, else 1 if a schedule found a violation, else 0. A crash
 * ends the process after the crashing run's hash (crash_verdict): fewer
 * lines than schedules. */
#define HASH_SEEDS_MAX 64u
static int hash_seeds(struct runner *r, const char *path, uint64_t nseeds, const struct run_options *opt)
{
	uint64_t first[HASH_SEEDS_MAX + 1];
	int rc = EXIT_CLEAN;
	for (uint64_t pass = 0; pass < 2; pass++) {
		for (uint64_t k = 0; k <= nseeds; k++) {
			uint64_t seed = pass ? nseeds - k : k; /* 0: the file's own schedule */
			struct run_source src = { .kind = seed ? SOURCE_PRNG : SOURCE_SCENARIO, .seed = seed };
			seeds_pass = (int)pass;
			seeds_current = seed;
			struct run_result res = run_scenario(r, &scn, &src, opt);
			if (!pass) {
				first[seed] = res.hash;
				if (seed)
					printf("seed %" PRIu64 " %016" PRIx64 "\n", seed, res.hash);
				else
					printf("own %016" PRIx64 "\n", res.hash);
				fflush(stdout); /* a crash in a later run keeps these lines */
				if (res.nfailing && rc == EXIT_CLEAN)
					rc = EXIT_VIOLATION;
				if (!seed && scn.has_hash && scn.hash != res.hash) {
					fprintf(stderr, "%s: trace diverged: recorded hash %016" PRIx64 ", replay gave %016" PRIx64 "\n",
						path, scn.hash, res.hash);
					rc = EXIT_BAD_INPUT;
				}
			} else if (res.hash != first[seed]) {
				char what[40] = "own schedule";
				if (seed)
					snprintf(what, sizeof what, "--seed %" PRIu64, seed);
				fprintf(stderr, "%s: %s: trace hash %016" PRIx64 ", then %016" PRIx64
					" on a later run in the same process (state carried from one run to the next)\n",
					path, what, first[seed], res.hash);
				rc = EXIT_BAD_INPUT;
			}
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *timeline = NULL, *record = NULL;
	enum input_mode mode = INPUT_AUTO;
	bool quiet = false, expect = false, hash_only = false, plain = false;
	int registrar = -1; /* --registrar: replaces the input's */
	uint64_t nseeds = 0;
	bool seeds_mode = false;
	struct run_source src = { .kind = SOURCE_SCENARIO };
	struct run_options opt = { 0 };
	struct opts o;
	opts_init(&o, "nmr-replay", argc, argv, usage);
	while (opts_next(&o)) {
		const char *v;
		if (opts_flag(&o, "--binary")) mode = INPUT_BINARY;
		else if (opts_flag(&o, "--drivers")) mode = INPUT_DRIVERS;
		else if (opts_flag(&o, "--list-drivers")) {
			for (unsigned d = 0; d < image_count(); d++)
				printf("%s\n", image_get(d)->name);
			return EXIT_CLEAN;
		}
		else if (opts_flag(&o, "--list-registry")) {
			/* What RtlQueryRegistryValues finds (nmrsim-build --registry). */
			if (!registry_setup("nmr-replay"))
				return EXIT_BAD_INPUT;
			const struct registry *reg = registry_linked();
			for (unsigned i = 0; i < reg->n; i++)
				printf("%s\\%s %s (%u bytes)\n", reg->v[i].key, reg->v[i].name,
				       registry_type_name(reg->v[i].type), (unsigned)reg->v[i].len);
			return EXIT_CLEAN;
		}
		else if (opts_flag(&o, "--quiet")) quiet = true;
		else if (opts_flag(&o, "--plain")) plain = true;
		else if (opts_flag(&o, "--expect")) expect = true;
		else if (opts_flag(&o, "--hash")) hash_only = true;
		else if (findings_option(&o)) ;
		else if (opts_str(&o, "--timeline", &timeline)) ;
		else if (opts_str(&o, "--record", &record)) ;
		else if (opts_str(&o, "--rules", &v)) {
			bool ok;
			opt.rule_mask = rule_mask_parse(v, &ok);
			if (!ok)
				opts_fail(&o, "--rules: bad rule list '%s' (rule IDs, letters M K R L, or all)", v);
		}
		else if (opts_str(&o, "--registrar", &v)) {
			registrar = scn_registrar_parse(v);
			if (registrar < 0)
				opts_fail(&o, "--registrar: unknown registrar '%s' (model or a mutant of docs/SCENARIO.md)", v);
		}
		else if (opts_u64(&o, "--hash-seeds", 0, HASH_SEEDS_MAX, &nseeds)) seeds_mode = true;
		else if (opts_u64(&o, "--seed", 0, UINT64_MAX, &src.seed)) src.kind = SOURCE_PRNG;
		else if (opts_str(&o, "--pct", &v)) {
			/* N:D - seed N, depth D (default 3) */
			char seed[32];
			const char *colon = strchr(v, ':'), *why;
			uint64_t depth = 3;
			snprintf(seed, sizeof seed, "%.*s", colon ? (int)(colon - v) : (int)strlen(v), v);
			if (!opts_parse_u64(seed, 0, UINT64_MAX, &src.seed, &why))
				opts_fail(&o, "--pct: seed '%s' %s (expected N or N:D)", seed, why);
			if (colon && !opts_parse_u64(colon + 1, 1, CHOICE_PCT_DEPTH_MAX, &depth, &why))
				opts_fail(&o, "--pct: depth '%s' %s (expected 1..%d)", colon + 1, why, CHOICE_PCT_DEPTH_MAX);
			src.kind = SOURCE_PCT;
			src.pct_depth = (uint32_t)depth;
		} else if (!path) path = opts_operand(&o);
		else opts_fail(&o, "one FILE only (got '%s' after '%s')", opts_operand(&o), path);
	}
	if (!path) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (seeds_mode && (src.kind != SOURCE_SCENARIO || expect || timeline || record))
		opts_fail(&o, "--hash-seeds runs its own schedules: no --seed, --pct, --expect, --timeline or --record with it");
	findings_setup("nmr-replay");
	findings_apply(&opt);
	if (input_load_long(&scn, path, mode, &scn_long) != 0)
		return EXIT_BAD_INPUT;
	if (registrar >= 0)
		scn.registrar = (uint8_t)registrar;

	crash_install(CRASH_EXIT); /* a crashing driver is finding K08, exit 1 */
	crash_watchdog(CRASH_WATCHDOG_SECONDS); /* a run that never returns: exit 1 */
	expect_mode = expect;
	hash_mode = hash_only || seeds_mode;
	crash_exit_code = crash_verdict;
	if (!plain)
		crash_render = crash_timeline;
	struct runner r;
	if (runner_init(&r) != 0) {
		fprintf(stderr, "nmr-replay: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	uint32_t long_cap = REPLAY_LONG_CHOICES;
	if (scn.choices_long && scn.nchoices_long > long_cap - SCN_CHOICES_MAX)
		long_cap = scn.nchoices_long + SCN_CHOICES_MAX;
	run_long = arena_pages(sizeof(*run_long) * long_cap); /* pages untouched unless a run needs them */
	if (run_long)
		runner_set_long_log(&r, run_long, long_cap);
	if (seeds_mode) {
		int seeds_rc = hash_seeds(&r, path, nseeds, &opt);
		runner_fini(&r);
		return opts_exit(&o, seeds_rc);
	}
	struct run_result res = run_scenario(&r, &scn, &src, &opt);
	/* Names looked up after the run, for the timelines: the trace and its hash never see them. */
	struct annotate an;
	annotate_init(&an, &r.st->kernel, &r.st->trace);
	struct trace_annotator hooks = annotate_hooks(&an);
	if (hash_only) {
		printf("%016" PRIx64 "\n", res.hash);
	} else {
		if (!quiet) {
			trace_render_text_annotated(stdout, &r.st->trace, &scn, plain ? NULL : &hooks);
			printf("\n");
		}
		report_print(stdout, &r, &res);
	}
	int rc = res.nfailing ? EXIT_VIOLATION : EXIT_CLEAN;
	if (scn.has_hash && src.kind == SOURCE_SCENARIO && scn.hash != res.hash) {
		fprintf(stderr, "%s: trace diverged: recorded hash %016" PRIx64 ", replay gave %016" PRIx64 "\n",
			path, scn.hash, res.hash);
		rc = EXIT_BAD_INPUT;
	}
	if (timeline) {
		FILE *f = fopen(timeline, "wb");
		bool bad = !f || trace_render_perfetto_annotated(f, &r.st->trace, &scn, plain ? NULL : &hooks) != 0 || fflush(f) != 0 || ferror(f);
		if (f && fclose(f) != 0)
			bad = true;
		if (bad) {
			fprintf(stderr, "%s: cannot write timeline: %s\n", timeline, strerror(errno));
			rc = EXIT_BAD_INPUT;
		} else if (!hash_only) {
			printf("timeline: %s (open in ui.perfetto.dev)\n", timeline);
		}
	}
	if (record) {
		report_make_trace(&rec, &scn, &res);
		if (input_write_trace(&rec, record) != 0) {
			fprintf(stderr, "%s: cannot write trace: %s\n", record, strerror(errno));
			rc = EXIT_BAD_INPUT;
		} else if (!hash_only) {
			printf("recorded: %s (replay: nmr-replay %s)\n", record, record);
		}
	}
	if (expect && rc != EXIT_BAD_INPUT) {
		bool ok = run_matches_expect(&scn, &res);
		printf("expect: %s\n", ok ? "matched" : "MISMATCH");
		rc = ok ? EXIT_CLEAN : EXIT_VIOLATION;
	}
	if (!hash_only && !expect && rc != EXIT_BAD_INPUT)
		printf("replay: nmr-replay%s %s\n", mode == INPUT_DRIVERS ? " --drivers" : mode == INPUT_BINARY ? " --binary" : "", path);
	annotate_fini(&an);
	runner_fini(&r);
	return opts_exit(&o, rc);
}
