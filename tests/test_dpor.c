/* test_dpor.c - the bounded exhaustive search with partial-order reduction
 * (sim/run/dpor.c) against the plain one (argv[1]: the source root):
 *  - it finds every finding the plain search finds (same signatures) on
 *    corpus scenarios with bugs, in fewer schedules;
 *  - two threads that touch nothing in common: one schedule instead of
 *    hundreds;
 *  - the same exploration twice: the same schedules in the same order;
 *  - under the preemption bound, a race whose reversal the bound forbids
 *    is reversed at the last context switch before it (bounded POR);
 *  - steering past the prefix saves exactly the avoidable sleep-blocked
 *    runs (steer_saves).
 * With `--cases BOUND RUNS FILE...` (built with hosted drivers linked: the
 * bundled bug drivers, the racy-bug benchmark's) it checks instead, per
 * file, that the reduced search with RUNS schedules (0: until exhausted)
 * finds every signature the plain one finds with as many, and that it is
 * exhausted whenever the plain one is. A FILE `--por-bits=N` sets the
 * reduction's parts (enum dpor_without) for the files after it. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "run/explore.h"

#define SIGS_MAX 64

struct found {
	char sig[SIGS_MAX][128];
	uint32_t n;
	uint64_t hash_chain; /* every run's trace hash, in order */
	struct runner *r;
};

static bool on_finding(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t i)
{
	(void)src;
	(void)i;
	struct found *f = ctx;
	for (uint32_t k = 0; k < res->nfindings; k++) {
		char sig[128];
		oracle_signature(&f->r->st->oracle, &res->findings[k], sig, sizeof sig);
		bool seen = false;
		for (uint32_t j = 0; j < f->n && !seen; j++)
			seen = !strcmp(f->sig[j], sig);
		if (!seen && f->n < SIGS_MAX)
			snprintf(f->sig[f->n++], sizeof f->sig[0], "%s", sig);
	}
	return true;
}

/* --cases: the reduction's parts for the files after `--por-bits=N`
 * (enum dpor_without bits; DPOR_READS adds the read/write split). */
static uint32_t cases_bits;

static struct explore_stats explore_n(struct runner *r, const struct scenario *s, uint32_t bound, bool por,
				      uint64_t runs, struct found *f)
{
	memset(f, 0, sizeof(*f));
	f->r = r;
	struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = bound, .por = por,
				      .por_without = por ? cases_bits : 0, .runs_max = runs, .on_finding = on_finding,
				      .ctx = f };
	return explore_run(r, s, &cfg);
}

static struct explore_stats explore(struct runner *r, const struct scenario *s, uint32_t bound, bool por,
				    struct found *f)
{
	return explore_n(r, s, bound, por, 2000000, f);
}

static bool load(struct scenario *s, const char *root, const char *rel)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "cannot open %s\n", path);
		return false;
	}
	static char text[1 << 16];
	size_t len = fread(text, 1, sizeof text, fp);
	fclose(fp);
	struct scn_error err;
	if (scn_parse_text(s, text, len, path, &err) != 0) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.reason);
		return false;
	}
	return true;
}

static bool parse(struct scenario *s, const char *text)
{
	struct scn_error err;
	if (scn_parse_text(s, text, strlen(text), "inline", &err) != 0) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.reason);
		return false;
	}
	return true;
}

/* Every signature of the plain search is one of the reduced search's. */
static void subset(const char *name, const struct found *plain, const struct found *por)
{
	for (uint32_t i = 0; i < plain->n; i++) {
		bool in = false;
		for (uint32_t j = 0; j < por->n && !in; j++)
			in = !strcmp(plain->sig[i], por->sig[j]);
		if (!in)
			fprintf(stderr, "%s: the reduced search misses %s\n", name, plain->sig[i]);
		CHECK(in);
	}
}

static struct scenario scn;
static struct found plain, reduced;

static void same_findings(struct runner *r, const char *root)
{
	/* Scenarios with bugs that the plain search exhausts in seconds. */
	static const struct { const char *file; uint32_t bound; } cases[] = {
		{ "corpus/rules/M11-bad.nmr", 2 }, { "corpus/rules/M12-bad.nmr", 2 },
		{ "corpus/rules/M20-bad.nmr", 2 }, { "corpus/rules/L01-bad.nmr", 1 },
		{ "corpus/rules/M17-bad.nmr", 1 }, { "corpus/rules/M09-bad.nmr", 1 },
		{ "corpus/rules/L03-bad.nmr", 1 },
	};
	uint64_t runs_plain = 0, runs_por = 0;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		if (!load(&scn, root, cases[c].file)) {
			CHECK(false);
			continue;
		}
		struct explore_stats a = explore(r, &scn, cases[c].bound, false, &plain);
		struct explore_stats b = explore(r, &scn, cases[c].bound, true, &reduced);
		printf("%s bound %u: plain %llu schedules, %u signatures; reduced %llu schedules, %u signatures\n",
		       cases[c].file, cases[c].bound, (unsigned long long)a.runs, plain.n, (unsigned long long)b.runs,
		       reduced.n);
		CHECK(a.exhausted && b.exhausted);
		CHECK(plain.n > 0);
		subset(cases[c].file, &plain, &reduced);
		CHECK(b.runs <= a.runs);
		runs_plain += a.runs;
		runs_por += b.runs;
	}
	CHECK(runs_por * 2 < runs_plain);
}

/* Two threads with nothing in common (IRQL changes, yields): every order of
 * their steps is the same partial order. */
static void independent(struct runner *r)
{
	static const char text[] = "expect clean\n"
				   "workers 0\n"
				   "provider P\n"
				   "thread T0\n  irql dispatch\n  irql passive\n  yield\n  irql dispatch\n  irql passive\n"
				   "thread T1\n  yield\n  irql dispatch\n  irql passive\n  yield\n  yield\n";
	if (!parse(&scn, text)) {
		CHECK(false);
		return;
	}
	struct explore_stats a = explore(r, &scn, 2, false, &plain);
	struct explore_stats b = explore(r, &scn, 2, true, &reduced);
	printf("independent threads, bound 2: plain %llu schedules, reduced %llu\n", (unsigned long long)a.runs,
	       (unsigned long long)b.runs);
	CHECK(a.exhausted && b.exhausted);
	CHECK(a.runs >= 100);
	CHECK(b.runs <= 2);
}

static bool chain(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t i)
{
	(void)src;
	struct found *f = ctx;
	f->hash_chain = (f->hash_chain ^ res->hash ^ i) * 0x100000001b3ull;
	return on_finding(ctx, res, src, i);
}

/* E sets on a corpus scenario: fewer schedules than with every candidate
 * added (M17-bad at bound 1: 562 against 823), the same signatures as the
 * plain search. Fails with E sets off. */
static void eset_saves(struct runner *r, const char *root)
{
	if (!load(&scn, root, "corpus/rules/M17-bad.nmr")) {
		CHECK(false);
		return;
	}
	struct explore_stats a = explore(r, &scn, 1, false, &plain);
	uint64_t runs[2];
	for (int k = 0; k < 2; k++) {
		memset(&reduced, 0, sizeof reduced);
		reduced.r = r;
		struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = 1, .por = true,
					      .por_without = k ? DPOR_NO_ESET : 0, .on_finding = on_finding,
					      .ctx = &reduced };
		struct explore_stats st = explore_run(r, &scn, &cfg);
		CHECK(a.exhausted && st.exhausted);
		subset("M17-bad (E sets)", &plain, &reduced);
		runs[k] = st.runs;
	}
	printf("E sets, M17-bad bound 1: %llu schedules, without %llu\n", (unsigned long long)runs[0],
	       (unsigned long long)runs[1]);
	CHECK(runs[0] < runs[1]);
}

/* Incremental analysis: the same runs (count, steps, runs with findings
 * in order) as analysing every run from its first step, while looking at
 * far fewer steps. Fails with every run analysed from the start (the step
 * count) or with a wrong restart point (the runs). */
static void incremental_same(struct runner *r, const char *root)
{
	static const struct { const char *file; uint32_t bound; } cases[] = {
		{ "corpus/rules/M09-bad.nmr", 1 }, { "corpus/rules/M17-bad.nmr", 2 },
		{ "corpus/examples/pending-forever.nmr", 1 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		if (!load(&scn, root, cases[c].file)) {
			CHECK(false);
			continue;
		}
		static struct dpor d;
		uint64_t h[2], runs[2], steps[2], analysed[2];
		for (int k = 0; k < 2; k++) {
			memset(&plain, 0, sizeof plain);
			plain.r = r;
			struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = cases[c].bound, .por = true,
						      .por_state = &d, .por_without = k ? DPOR_NO_INCR : 0,
						      .on_finding = chain, .ctx = &plain };
			struct explore_stats st = explore_run(r, &scn, &cfg);
			CHECK(st.exhausted);
			h[k] = plain.hash_chain;
			runs[k] = st.runs;
			steps[k] = st.steps;
			analysed[k] = d.steps_analysed;
		}
		printf("%s bound %u: %llu schedules; steps analysed %llu incrementally, %llu from the start\n",
		       cases[c].file, cases[c].bound, (unsigned long long)runs[0], (unsigned long long)analysed[0],
		       (unsigned long long)analysed[1]);
		CHECK(h[0] != 0);
		CHECK_EQ_U(h[0], h[1]);
		CHECK_EQ_U(runs[0], runs[1]);
		CHECK_EQ_U(steps[0], steps[1]);
		CHECK(analysed[0] * 2 < analysed[1]);
	}
}

/* The same exploration twice: the same runs in the same order. */
static void deterministic(struct runner *r, const char *root)
{
	if (!load(&scn, root, "corpus/rules/M17-bad.nmr")) {
		CHECK(false);
		return;
	}
	uint64_t h[2];
	uint64_t runs[2];
	for (int k = 0; k < 2; k++) {
		memset(&plain, 0, sizeof plain);
		plain.r = r;
		struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = 1, .por = true,
					      .on_finding = chain, .ctx = &plain };
		struct explore_stats st = explore_run(r, &scn, &cfg);
		h[k] = plain.hash_chain;
		runs[k] = st.runs;
	}
	CHECK(h[0] != 0);
	CHECK_EQ_U(h[0], h[1]);
	CHECK_EQ_U(runs[0], runs[1]);
}

/* A hand-made step reads or writes bucket b. */
static void step_access(struct por_step *st, uint32_t b, bool write)
{
	st->fp[b >> 6] |= 1ull << (b & 63);
	if (write)
		st->wr[b >> 6] |= 1ull << (b & 63);
}

/* The bound's conservative backtrack point, on a hand-made run at bound 0:
 * T0 runs two steps (the second one touching X), finishes, T1 then touches
 * X. Reversing the race at T0's second step would preempt T0 (over the
 * bound); the search must instead try T1 at the run's first choice, where
 * starting T1 costs no preemption. Without the conservative point the tree
 * would be exhausted after one run. */
static void bound_conservative(void)
{
	static struct dpor d;
	dpor_init(&d, 0, 0);
	struct choice_rec log[2] = {
		{ .kind = CK_THREAD, .n = 2, .value = 0 },
		{ .kind = CK_THREAD, .pad = CHOICE_REC_FORCED, .n = 2, .value = 0 },
	};
	struct por_step steps[3];
	memset(steps, 0, sizeof steps);
	steps[0] = (struct por_step){ .pos = 0, .options = 3, .thread = 0, .first = 0xff, .flags = POR_SWITCH };
	steps[1] = (struct por_step){ .pos = 1, .options = 3, .thread = 0, .first = 0, .flags = 0 };
	steps[2] = (struct por_step){ .pos = POR_NO_CHOICE, .options = 2, .thread = 1, .first = 0xff, .flags = POR_SWITCH };
	uint32_t x = por_bucket(POR_KEY(POR_KFAM, 1));
	step_access(&steps[1], x, true);
	step_access(&steps[2], x, true);
	struct sched_por por = { .steps = steps, .cap = 3, .n = 3 };
	dpor_after_run(&d, log, 2, 0, &por);
	uint16_t prefix[2];
	uint32_t len = 0;
	bool more = dpor_next(&d, log, 2, prefix, &len);
	CHECK(more);
	CHECK_EQ_U(len, 1);
	CHECK_EQ_U(prefix[0], 1); /* T1 first */
	CHECK_EQ_U(d.races, 1);
}


/* A race whose thread could not run at the racing choice (Flanagan and
 * Godefroid's set E), on hand-made runs at bound 2. Threads A B C D:
 *  1. A writes X (candidates A B D), B wakes C (B D), C writes X (C D), D.
 *     C was no candidate at A's choice; B's step, after it, happens before
 *     C's (the wake): B alone is added there, not D, whose steps have
 *     nothing to do with C's.
 *  2. A runs (candidates A B), goes on and wakes C, goes on and writes X
 *     (A preempted there would be a preemption: bounded POR's context
 *     switch is A's first choice); C writes X. At the switch, A's own later
 *     step (the wake) leads to C's: a reversal runs A first anyway, so
 *     nothing is added there; at the racing choice itself every candidate
 *     (none leads to C). Fails with every candidate added (DPOR_NO_ESET: D in
 *     case 1, B at the switch in case 2). */
static void eset(void)
{
	uint32_t x = por_bucket(POR_KEY(POR_KFAM, 1));
	for (int off = 0; off < 2; off++) {
		static struct dpor d;
		dpor_init(&d, 2, off ? DPOR_NO_ESET : 0);
		struct choice_rec log[3] = {
			{ .kind = CK_THREAD, .n = 3, .value = 0 },
			{ .kind = CK_THREAD, .n = 2, .value = 0 },
			{ .kind = CK_THREAD, .n = 2, .value = 0 },
		};
		struct por_step steps[4];
		memset(steps, 0, sizeof steps);
		steps[0] = (struct por_step){ .pos = 0, .options = 0xb, .thread = 0, .first = 0xff, .flags = POR_SWITCH };
		steps[1] = (struct por_step){ .pos = 1, .options = 0xa, .thread = 1, .first = 0xff, .flags = POR_SWITCH,
					      .woke = 4 };
		steps[2] = (struct por_step){ .pos = 2, .options = 0xc, .thread = 2, .first = 0xff, .flags = POR_SWITCH };
		steps[3] = (struct por_step){ .pos = POR_NO_CHOICE, .options = 8, .thread = 3, .first = 0xff,
					      .flags = POR_SWITCH };
		step_access(&steps[0], x, true);
		step_access(&steps[2], x, true);
		struct sched_por por = { .steps = steps, .cap = 4, .n = 4 };
		dpor_after_run(&d, log, 3, 0, &por);
		CHECK_EQ_U(d.nodes[0].backtrack, off ? 0xbu : 0x3u);
		uint16_t prefix[3];
		uint32_t len = 0;
		CHECK(dpor_next(&d, log, 3, prefix, &len));
		CHECK_EQ_U(len, 1);
		CHECK_EQ_U(prefix[0], 1); /* B first */
	}
	for (int off = 0; off < 2; off++) {
		static struct dpor d;
		dpor_init(&d, 2, off ? DPOR_NO_ESET : 0);
		struct choice_rec log[3] = {
			{ .kind = CK_THREAD, .n = 2, .value = 0 },
			{ .kind = CK_THREAD, .n = 2, .value = 0 },
			{ .kind = CK_THREAD, .n = 2, .value = 0 },
		};
		struct por_step steps[5];
		memset(steps, 0, sizeof steps);
		steps[0] = (struct por_step){ .pos = 0, .options = 3, .thread = 0, .first = 0xff, .flags = POR_SWITCH };
		steps[1] = (struct por_step){ .pos = 1, .options = 3, .thread = 0, .first = 0, .woke = 4 };
		steps[2] = (struct por_step){ .pos = 2, .options = 3, .thread = 0, .first = 0 };
		steps[3] = (struct por_step){ .pos = POR_NO_CHOICE, .options = 6, .thread = 2, .first = 0xff,
					      .flags = POR_SWITCH };
		steps[4] = (struct por_step){ .pos = POR_NO_CHOICE, .options = 2, .thread = 1, .first = 0xff,
					      .flags = POR_SWITCH };
		step_access(&steps[2], x, true);
		step_access(&steps[3], x, true);
		struct sched_por por = { .steps = steps, .cap = 5, .n = 5 };
		dpor_after_run(&d, log, 3, 0, &por);
		CHECK_EQ_U(d.races, 1);
		CHECK_EQ_U(d.nodes[2].backtrack, 3); /* at the race: every candidate */
		CHECK_EQ_U(d.nodes[0].backtrack, off ? 3u : 1u);
	}
}

/* Reads split from writes (POR_FINE_READS), on hand-made runs at bound 2:
 * T0's step reads X, then T1's step touches X. Two reads commute: no race,
 * the tree is exhausted after one run. A read and a later write (or a write
 * and a later read) race: T1 is tried first at the root. Fails with reads
 * taken as independent of writes, or with two reads taken as dependent. */
static void reads_commute(void)
{
	uint32_t x = por_bucket(POR_KEY(POR_KFAM, 1));
	struct choice_rec log[1] = { { .kind = CK_THREAD, .n = 2, .value = 0 } };
	static const bool first_writes[3] = { false, false, true }, second_writes[3] = { false, true, false };
	for (int k = 0; k < 3; k++) {
		static struct dpor d;
		dpor_init(&d, 2, DPOR_READS);
		struct por_step steps[2];
		memset(steps, 0, sizeof steps);
		steps[0] = (struct por_step){ .pos = 0, .options = 3, .thread = 0, .first = 0xff, .flags = POR_SWITCH };
		steps[1] = (struct por_step){ .pos = POR_NO_CHOICE, .options = 2, .thread = 1, .first = 0xff,
					      .flags = POR_SWITCH };
		step_access(&steps[0], x, first_writes[k]);
		step_access(&steps[1], x, second_writes[k]);
		struct sched_por por = { .steps = steps, .cap = 2, .n = 2 };
		dpor_after_run(&d, log, 1, 0, &por);
		uint16_t prefix[1];
		uint32_t len = 0;
		bool more = dpor_next(&d, log, 1, prefix, &len);
		CHECK_EQ_U(more, k != 0);
		CHECK_EQ_U(d.races, k != 0);
		if (more)
			CHECK_EQ_U(prefix[0], 1); /* T1 first */
		/* The sleep set's test: the same relation. */
		CHECK_EQ_U(por_fp_dependent(steps[0].fp, steps[0].wr, steps[1].fp, steps[1].wr), k != 0);
	}
}

/* Sleep sets under the bound (docs/DPOR.md's example), on hand-made runs at
 * bound 0: A runs a1 a2, B b1, C c1; b1 depends on a2 only. The first run
 * a1 a2 b1 c1 puts B at the root (the conservative point). In the second
 * run, b1 and then A at a new choice between A and C: A's step a1 is
 * independent of b1, so plain sleep sets would have A asleep there (the
 * run b1 a1 a2 is equivalent to a1 b1 a2, which preempts A and was never
 * run at bound 0) and the order "b1 before a2" would be lost. A could still
 * run after a1, so it must not sleep. */
static void sleep_bound(void)
{
	static struct dpor d;
	dpor_init(&d, 0, 0);
	uint32_t x = por_bucket(POR_KEY(POR_KFAM, 1));
	struct choice_rec log1[3] = {
		{ .kind = CK_THREAD, .n = 3, .value = 0 },
		{ .kind = CK_THREAD, .pad = CHOICE_REC_FORCED, .n = 3, .value = 0 },
		{ .kind = CK_THREAD, .n = 2, .value = 0 },
	};
	struct por_step steps[4];
	memset(steps, 0, sizeof steps);
	steps[0] = (struct por_step){ .pos = 0, .options = 7, .thread = 0, .first = 0xff, .flags = POR_SWITCH };
	steps[1] = (struct por_step){ .pos = 1, .options = 7, .thread = 0, .first = 0 };
	steps[2] = (struct por_step){ .pos = 2, .options = 6, .thread = 1, .first = 0xff, .flags = POR_SWITCH };
	steps[3] = (struct por_step){ .pos = POR_NO_CHOICE, .options = 4, .thread = 2, .first = 0xff, .flags = POR_SWITCH };
	step_access(&steps[1], x, true);
	step_access(&steps[2], x, true);
	struct sched_por por = { .steps = steps, .cap = 4, .n = 4 };
	dpor_after_run(&d, log1, 3, 0, &por);
	uint16_t prefix[3];
	uint32_t len = 0;
	CHECK(dpor_next(&d, log1, 3, prefix, &len));
	CHECK_EQ_U(len, 1);
	CHECK_EQ_U(prefix[0], 1); /* B first */
	/* The second run: b1, then A (lowest id) where A and C could go, a2, c1. */
	struct choice_rec log2[3] = {
		{ .kind = CK_THREAD, .n = 3, .value = 1 },
		{ .kind = CK_THREAD, .n = 2, .value = 0 },
		{ .kind = CK_THREAD, .pad = CHOICE_REC_FORCED, .n = 2, .value = 0 },
	};
	memset(steps, 0, sizeof steps);
	steps[0] = (struct por_step){ .pos = 0, .options = 7, .thread = 1, .first = 0xff, .flags = POR_SWITCH };
	steps[1] = (struct por_step){ .pos = 1, .options = 5, .thread = 0, .first = 0xff, .flags = POR_SWITCH };
	steps[2] = (struct por_step){ .pos = 2, .options = 5, .thread = 0, .first = 0 };
	steps[3] = (struct por_step){ .pos = POR_NO_CHOICE, .options = 4, .thread = 2, .first = 0xff, .flags = POR_SWITCH };
	step_access(&steps[0], x, true);
	step_access(&steps[2], x, true);
	dpor_after_run(&d, log2, 3, 1, &por);
	CHECK_EQ_U(d.nodes[1].sleep, 0); /* A is awake after b1 */
	CHECK_EQ_U(d.blocked, 0);         /* so the run is not cut as redundant */
	CHECK_EQ_U(d.limit, 3);
}

/* Sleep sets save schedules where the bound allows them (the running
 * thread, continued first, sleeps in the branches that preempt it): fewer
 * schedules than without. */
static void sleep_saves(struct runner *r)
{
	static const char text[] = "expect clean\n"
				   "workers 0\n"
				   "provider P\nclient C\n"
				   "thread T0\n  register P\n  yield\n  irql dispatch\n  irql passive\n  unload P\n"
				   "thread T1\n  yield\n  register C\n  irql dispatch\n  irql passive\n  unload C\n";
	if (!parse(&scn, text)) {
		CHECK(false);
		return;
	}
	static struct dpor d;
	uint64_t runs[2];
	for (int k = 0; k < 2; k++) {
		memset(&reduced, 0, sizeof reduced);
		reduced.r = r;
		struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = 2, .por = true, .por_state = &d,
					      .por_without = k ? DPOR_NO_SLEEP : 0, .on_finding = on_finding,
					      .ctx = &reduced };
		struct explore_stats st = explore_run(r, &scn, &cfg);
		CHECK(st.exhausted);
		runs[k] = st.runs;
		if (k == 1)
			CHECK_EQ_U(d.blocked, 0);
	}
	printf("sleep sets, bound 2: %llu schedules, without %llu\n", (unsigned long long)runs[0],
	       (unsigned long long)runs[1]);
	CHECK(runs[0] < runs[1]);
}

/* Steering past the prefix (dpor_asleep): the search is the one without
 * it less the runs that took a sleeping thread where an awake one could
 * run (each such run cut, then repeated with the awake thread), so
 * runs + blocked runs avoided = runs without it, with the same signatures.
 * Fails with steering off (no fewer runs) or when it changes which runs
 * the search makes besides those (the sum). */
static void steer_saves(struct runner *r, const char *root)
{
	static const struct { const char *file; uint32_t bound; } cases[] = {
		{ "corpus/rules/M17-bad.nmr", 1 }, { "corpus/rules/M09-bad.nmr", 1 },
		{ "corpus/examples/pending-forever.nmr", 1 },
	};
	static struct dpor d;
	static struct found other;
	uint64_t saved = 0;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		if (!load(&scn, root, cases[c].file)) {
			CHECK(false);
			continue;
		}
		uint64_t runs[2], blocked[2];
		for (int k = 0; k < 2; k++) {
			struct found *f = k ? &other : &reduced;
			memset(f, 0, sizeof *f);
			f->r = r;
			struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = cases[c].bound, .por = true,
						      .por_state = &d, .por_without = k ? DPOR_NO_STEER : 0,
						      .on_finding = on_finding, .ctx = f };
			struct explore_stats st = explore_run(r, &scn, &cfg);
			CHECK(st.exhausted);
			runs[k] = st.runs;
			blocked[k] = d.blocked;
		}
		printf("%s bound %u: steered %llu schedules (%llu sleep-blocked), without %llu (%llu)\n", cases[c].file,
		       cases[c].bound, (unsigned long long)runs[0], (unsigned long long)blocked[0],
		       (unsigned long long)runs[1], (unsigned long long)blocked[1]);
		CHECK_EQ_U(runs[0] + blocked[1] - blocked[0], runs[1]);
		CHECK_EQ_U(reduced.n, other.n);
		subset(cases[c].file, &other, &reduced);
		saved += runs[1] - runs[0];
	}
	CHECK(saved > 0);
}

/* Every step's footprint says what it read: a thread whose only op is a
 * call on a module that has no binding yet (the call is skipped) still
 * reads the module's bindings, which the other thread's register changes.
 * An empty footprint would make the two orders look equivalent. */
static void skipped_call_reads(struct runner *r)
{
	static const char text[] = "expect clean\n"
				   "workers 0\n"
				   "provider P\nclient C\n"
				   "thread T0\n  register P\n  call C\n"
				   "thread T1\n  register C\n";
	if (!parse(&scn, text)) {
		CHECK(false);
		return;
	}
	struct run_options opt = { .keep_events = 1 };
	struct run_source src = { .kind = SOURCE_DFS, .preempt_bound = 2, .por = true };
	struct run_result res = run_scenario(r, &scn, &src, &opt);
	CHECK(res.por != NULL);
	uint32_t empty = 0;
	for (uint32_t j = 0; res.por && j < res.por->n; j++) {
		uint64_t any = 0;
		for (int w = 0; w < POR_WORDS; w++)
			any |= res.por->steps[j].fp[w];
		empty += !any && !(res.por->steps[j].flags & POR_WILD);
	}
	CHECK_EQ_U(empty, 0);
}

/* The NMR work queue has its own key: an NMR worker that finds the queue
 * empty and blocks reads the queue only, so its step is independent of
 * registrar calls that queue nothing. With the registrar's key there, no
 * step would touch the queue's key without the registrar's. */
static void worker_reads_queue(struct runner *r)
{
	static const char text[] = "expect clean\n"
				   "workers 1\n"
				   "provider P\nclient C\n"
				   "thread T0\n  register P\n  register C\n  unload C\n  unload P\n";
	if (!parse(&scn, text)) {
		CHECK(false);
		return;
	}
	uint32_t nmr = por_bucket(POR_KEY(POR_NMR, 0)), queue = por_bucket(POR_KEY(POR_NMR, 1));
	CHECK(nmr != queue);
	struct run_options opt = { .keep_events = 1 };
	struct run_source src = { .kind = SOURCE_DFS, .preempt_bound = 2, .por = true };
	struct run_result res = run_scenario(r, &scn, &src, &opt);
	CHECK(res.por != NULL);
	uint32_t queue_only = 0;
	for (uint32_t j = 0; res.por && j < res.por->n; j++) {
		const uint64_t *fp = res.por->steps[j].fp;
		queue_only += (fp[queue >> 6] >> (queue & 63) & 1u) && !(fp[nmr >> 6] >> (nmr & 63) & 1u);
	}
	CHECK(queue_only > 0);
}

/* The registrar's finer keys (por_log.h, POR_FINE_NMR) on one run: a
 * dispatch call reads its binding and the registry, a detach callback (or
 * the deregistration that detaches) writes the binding, a registration
 * writes the registry; with the finer keys off no step touches a binding's
 * key. Fails with a call's binding key dropped (the call would commute
 * with the detach that makes it late, M18, when nothing else orders them),
 * a call writing what it only reads, or no step writing the binding. */
static bool bucket_in(const uint64_t *set, uint32_t b)
{
	return set[b >> 6] >> (b & 63) & 1u;
}

static void nmr_keys(struct runner *r)
{
	static const char text[] = "expect clean\n"
				   "workers 0\n"
				   "provider P\nclient C\n"
				   "thread T0\n  register P\n  register C\n  call C\n  call C\n  unload P\n  unload C\n";
	if (!parse(&scn, text)) {
		CHECK(false);
		return;
	}
	uint32_t any = por_bucket(POR_NMR_ANY), bind = por_bucket(POR_NMR_BINDING(0)), other = por_bucket(POR_NMR_BINDING(1));
	CHECK(any != bind && any != other && bind != other);
	for (int fine = 0; fine < 2; fine++) {
		struct run_options opt = { .keep_events = 1 };
		struct run_source src = { .kind = SOURCE_DFS, .preempt_bound = 2, .por = true,
					  .por_fine = fine ? dpor_fine(0) : 0 };
		struct run_result res = run_scenario(r, &scn, &src, &opt);
		CHECK(res.por != NULL);
		uint32_t reads = 0, writes = 0, registry_writes = 0, registry_reads = 0;
		for (uint32_t j = 0; res.por && j < res.por->n; j++) {
			const struct por_step *st = &res.por->steps[j];
			/* a call reads its binding only (Wait reads them all) */
			reads += bucket_in(st->fp, bind) && !bucket_in(st->wr, bind) && !bucket_in(st->fp, other);
			writes += bucket_in(st->wr, bind);
			registry_writes += bucket_in(st->wr, any);
			registry_reads += bucket_in(st->fp, any) && !bucket_in(st->wr, any);
		}
		printf("nmr_keys %s: binding read alone by %u steps, written by %u; registry written by %u, read by %u\n",
		       fine ? "fine" : "coarse", reads, writes, registry_writes, registry_reads);
		CHECK(registry_writes > 0);
		if (fine) {
			CHECK(reads > 0);  /* the calls */
			CHECK(writes > 0); /* the detach */
			CHECK(registry_reads > 0);
		} else {
			CHECK_EQ_U(reads + writes, 0);
			CHECK_EQ_U(registry_reads, 0);
		}
	}
}

static uint32_t marks(const struct run_result *res, enum choice_kind kind, uint32_t *marked, uint32_t *bits);

/* `--f3-marked=all FILE` / `--f3-marked=some FILE`: the first run of the
 * reduced search over FILE marks every F3 choice as giving the same run at
 * DISPATCH (its callbacks only returned or freed pool: nmr_model.c), or
 * leaves at least one unmarked (a callback waited). `--f1-marked=`: the
 * same for F1 (nobody touched the out handle while the attaches ran). */
static void freedom_marked(struct runner *r, const char *root, const char *file, enum choice_kind kind, bool all)
{
	struct run_options opt = { 0 };
	struct run_source src = { .kind = SOURCE_DFS, .preempt_bound = 1, .por = true };
	uint32_t marked, bits;
	if (!load(&scn, root, file)) {
		CHECK(false);
		return;
	}
	struct run_result res = run_scenario(r, &scn, &src, &opt);
	uint32_t n = marks(&res, kind, &marked, &bits);
	printf("%s: %u of %u F%d choices marked as giving the same run as the next option\n", file, marked, n, (int)kind);
	CHECK(n >= 2);
	if (all)
		CHECK_EQ_U(marked, n);
	else
		CHECK(marked < n);
}

/* Memory keys are offsets: the same exploration again, the same runs with
 * findings in the same order. The second time with every run analysed from
 * its first step: the incremental analysis must make the same runs. */
static void twice(struct runner *r, uint32_t bound, uint64_t runs, bool findings)
{
	uint64_t h[2], n[2];
	for (int k = 0; k < 2; k++) {
		memset(&reduced, 0, sizeof reduced);
		reduced.r = r;
		struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = bound, .por = true,
					      .por_without = cases_bits | (k ? DPOR_NO_INCR : 0),
					      .runs_max = runs ? runs : 2000000, .on_finding = chain, .ctx = &reduced };
		struct explore_stats st = explore_run(r, &scn, &cfg);
		h[k] = reduced.hash_chain;
		n[k] = st.runs * 1000003u + st.steps;
	}
	if (findings)
		CHECK(h[0] != 0);
	CHECK_EQ_U(h[0], h[1]);
	CHECK_EQ_U(n[0], n[1]);
}

/* --cases: the files given, plain against reduced with the same budget.
 * `--fewer-than=N`: the next file's reduced search also takes fewer
 * schedules than with parts N, with the same signatures. `--twice FILE`:
 * only the incremental analysis against the one from the first step. */
static void cases(struct runner *r, const char *root, uint32_t bound, uint64_t runs, char **files, int nfiles)
{
	static struct found other;
	int fewer_than = -1;
	for (int i = 0; i < nfiles; i++) {
		if (!strcmp(files[i], "--twice") && i + 1 < nfiles) {
			if (load(&scn, root, files[++i]))
				twice(r, bound, runs, false);
			else
				CHECK(false);
			printf("%s bound %u: the same runs with every run analysed from its first step\n", files[i], bound);
			continue;
		}
		if ((!strncmp(files[i], "--f3-marked=", 12) || !strncmp(files[i], "--f1-marked=", 12)) && i + 1 < nfiles) {
			freedom_marked(r, root, files[i + 1], files[i][3] == '3' ? CK_F3_IRQL : CK_F1_ATTACH,
				       !strcmp(files[i] + 12, "all"));
			i++;
			continue;
		}
		if (!strncmp(files[i], "--por-bits=", 11)) {
			cases_bits = (uint32_t)strtoul(files[i] + 11, NULL, 0);
			continue;
		}
		if (!strncmp(files[i], "--fewer-than=", 13)) {
			fewer_than = (int)strtoul(files[i] + 13, NULL, 0);
			continue;
		}
		if (!load(&scn, root, files[i])) {
			CHECK(false);
			continue;
		}
		struct explore_stats a = explore_n(r, &scn, bound, false, runs ? runs : 2000000, &plain);
		struct explore_stats b = explore_n(r, &scn, bound, true, runs ? runs : 2000000, &reduced);
		printf("%s bound %u: plain %llu schedules%s, %u signatures; reduced %llu schedules%s, %u signatures\n",
		       files[i], bound, (unsigned long long)a.runs, a.exhausted ? " (all)" : "", plain.n,
		       (unsigned long long)b.runs, b.exhausted ? " (all)" : "", reduced.n);
		for (uint32_t k = 0; k < plain.n; k++)
			printf("  plain: %s\n", plain.sig[k]);
		CHECK(plain.n > 0); /* a case whose bug the plain search finds */
		subset(files[i], &plain, &reduced);
		if (a.exhausted)
			CHECK(b.exhausted && b.runs <= a.runs);
		if (fewer_than >= 0) {
			uint32_t bits = cases_bits;
			cases_bits = (uint32_t)fewer_than;
			struct explore_stats c = explore_n(r, &scn, bound, true, runs ? runs : 2000000, &other);
			cases_bits = bits;
			printf("  with parts %d: %llu schedules%s, %u signatures\n", fewer_than, (unsigned long long)c.runs,
			       c.exhausted ? " (all)" : "", other.n);
			CHECK(b.exhausted && c.exhausted);
			CHECK(b.runs < c.runs);
			subset(files[i], &other, &reduced);
			subset(files[i], &reduced, &other);
			fewer_than = -1;
		}
		twice(r, bound, runs, true);
	}
}

/* ---- Freedom options proved to give the same run (nmr_model.c) ---- */

/* Choices of `kind` in a run, and how many are marked CHOICE_REC_SAME_NEXT
 * (bit k of *first_marked: the k-th of them, up to 32). */
static uint32_t marks(const struct run_result *res, enum choice_kind kind, uint32_t *marked, uint32_t *bits)
{
	uint32_t n = 0;
	*marked = *bits = 0;
	for (uint32_t i = 0; i < res->nchoices; i++) {
		if (res->choices[i].kind != (uint8_t)kind)
			continue;
		if (res->choices[i].pad & CHOICE_REC_SAME_NEXT) {
			(*marked)++;
			if (n < 32)
				*bits |= 1u << n;
		}
		n++;
	}
	return n;
}

/* One run, every choice at option 0 (the DFS's first). NmrRegisterProvider
 * with nothing to attach marks its F1; NmrRegisterClient, which attaches,
 * does not (its attach callbacks could read the handle F1 writes before or
 * after them). An F3 whose callbacks only returned is marked; the one of a
 * detach callback that calls NMR (a wait: the IRQL is on its events) is
 * not. Marking F1 or F3 unconditionally fails here. */
static void same_marks(struct runner *r)
{
	static const char quiet[] = "expect clean\n"
				    "provider P\nclient C\n"
				    "thread T0\n  register P\n  register C\n  unload C\n  unload P\n";
	static const char loud[] = "expect clean\n"
				   "provider P\nclient C detach=wait\n"
				   "thread T0\n  register P\n  register C\n  unload P\n  unload C\n";
	struct run_options opt = { 0 };
	struct run_source src = { .kind = SOURCE_DFS, .preempt_bound = 2, .por = true };
	uint32_t marked, bits, n;
	if (!parse(&scn, quiet)) {
		CHECK(false);
		return;
	}
	struct run_result res = run_scenario(r, &scn, &src, &opt);
	n = marks(&res, CK_F1_ATTACH, &marked, &bits);
	CHECK_EQ_U(n, 2);
	CHECK_EQ_U(bits, 1); /* the provider's register only */
	n = marks(&res, CK_F3_IRQL, &marked, &bits);
	CHECK(n >= 3); /* two detach sides, one cleanup */
	CHECK_EQ_U(marked, n);
	if (!parse(&scn, loud)) {
		CHECK(false);
		return;
	}
	res = run_scenario(r, &scn, &src, &opt);
	n = marks(&res, CK_F3_IRQL, &marked, &bits);
	CHECK(n >= 3);
	CHECK(marked >= 1);     /* the provider's detach, the cleanup */
	CHECK(marked + 1 <= n); /* not the client's detach, which waits */
}

/* The search skips a freedom's next option only when every run through it
 * said so: here the first run under F3 = 0 says its callbacks only
 * returned, the second (F2 changed below it) says one did more, so F3 = 1
 * must still be run (a node that kept the first run's word would end the
 * search). With both runs saying so, it is skipped. */
static void same_every_run(void)
{
	static struct dpor d;
	static struct por_step steps[1];
	struct sched_por por = { .steps = steps, .cap = 1, .n = 0 };
	for (int both = 0; both < 2; both++) {
		dpor_init(&d, 2, 0);
		struct choice_rec log[2] = {
			{ .kind = CK_F3_IRQL, .pad = CHOICE_REC_SAME_NEXT, .n = 2, .value = 0 },
			{ .kind = CK_F2_ORDER, .n = 2, .value = 0 },
		};
		uint16_t prefix[2];
		uint32_t len;
		dpor_after_run(&d, log, 2, 0, &por);
		CHECK(dpor_next(&d, log, 2, prefix, &len));
		CHECK_EQ_U(len, 2);
		CHECK_EQ_U(prefix[1], 1);
		log[1].value = 1;
		if (!both)
			log[0].pad = 0;
		dpor_after_run(&d, log, 2, len, &por);
		bool more = dpor_next(&d, log, 2, prefix, &len);
		CHECK_EQ_U(more, !both);
		if (more) {
			CHECK_EQ_U(len, 1);
			CHECK_EQ_U(prefix[0], 1);
		}
	}
}

/* End to end: the wait in the client's detach callback is M08 only at
 * DISPATCH (F3 option 1): the reduced search must still take that option
 * and find M08 (with F3 skipped whenever it was left, it does not), in
 * fewer schedules than without the skipping, and fewer than plain. */
static void same_sound(struct runner *r)
{
	static const char text[] = "expect clean\n"
				   "workers 0\n"
				   "provider P\nclient C detach=wait\n"
				   "thread T0\n  register P\n  register C\n  unload P\n  unload C\n";
	if (!parse(&scn, text)) {
		CHECK(false);
		return;
	}
	static struct found without;
	struct explore_stats a = explore(r, &scn, 2, false, &plain);
	struct explore_stats b = explore(r, &scn, 2, true, &reduced);
	memset(&without, 0, sizeof without);
	without.r = r;
	struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = 2, .por = true,
				      .por_without = DPOR_NO_SAME, .on_finding = on_finding, .ctx = &without };
	struct explore_stats c = explore_run(r, &scn, &cfg);
	printf("detach callback waits, bound 2: plain %llu schedules, reduced %llu, without same-run skipping %llu\n",
	       (unsigned long long)a.runs, (unsigned long long)b.runs, (unsigned long long)c.runs);
	CHECK(a.exhausted && b.exhausted && c.exhausted);
	bool m08 = false;
	for (uint32_t i = 0; i < plain.n; i++)
		m08 |= !strncmp(plain.sig[i], "M08", 3);
	CHECK(m08);
	subset("detach callback waits", &plain, &reduced);
	subset("detach callback waits (without)", &without, &reduced);
	CHECK(b.runs < c.runs);
	CHECK(c.runs < a.runs);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_dpor SOURCE_ROOT [--cases BOUND RUNS FILE...]\n");
		return 2;
	}
	static struct runner r;
	if (runner_init(&r) != 0)
		return 1;
	if (argc >= 5 && !strcmp(argv[2], "--cases")) {
		cases(&r, argv[1], (uint32_t)strtoul(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), argv + 5, argc - 5);
		runner_fini(&r);
		return check_exit();
	}
	bound_conservative();
	eset();
	reads_commute();
	sleep_bound();
	sleep_saves(&r);
	skipped_call_reads(&r);
	worker_reads_queue(&r);
	nmr_keys(&r);
	same_marks(&r);
	same_every_run();
	same_sound(&r);
	independent(&r);
	deterministic(&r, argv[1]);
	incremental_same(&r, argv[1]);
	eset_saves(&r, argv[1]);
	steer_saves(&r, argv[1]);
	same_findings(&r, argv[1]);
	runner_fini(&r);
	return check_exit();
}
