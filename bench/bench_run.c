/* bench_run - whole-run figures of the engine:
 *   1. the standard scenario (2 providers, 3 clients, 64 operations on 3
 *      threads) under seeded random schedules: runs/s and steps/s, and the
 *      heap in use before and after (a run allocates nothing after the first);
 *   2. bounded exhaustive search of a 2-module scenario at preemption bound 2:
 *      every schedule enumerated, schedules/s.
 * Figures only; nothing here passes or fails on time. */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run/explore.h"
#include "run/run.h"

static const char standard_text[] =
	"# the standard benchmark scenario: 2 providers, 3 clients, 64 operations\n"
	"provider P0 npi=0 detach=async\n"
	"provider P1 npi=0 detach=success\n"
	"client C0 npi=0 detach=inflight\n"
	"client C1 npi=0 detach=async\n"
	"client C2 npi=0 detach=success\n"
	"thread A\n"
	"  register P0\n"
	"  register C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  call C0\n"
	"  unload C0\n"
	"thread B\n"
	"  register P1\n"
	"  register C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  call C1\n"
	"  unload P1\n"
	"  unload C1\n"
	"thread C\n"
	"  register C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  call C2\n"
	"  unload C2\n"
	"  unload P0\n";

/* No NMR worker: callbacks run on the callers' threads, so the tree holds
 * thread interleavings and the inline freedoms (F1 handle timing, F2 order,
 * F3 IRQL), not worker hand-offs. */
static const char pair_text[] =
	"workers 0\n"
	"provider P npi=0 detach=async\n"
	"client C npi=0 detach=success\n"
	"thread A\n  register P\n  register C\n  call C\n  unload C\n"
	"thread B\n  unload P\n";

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static struct scenario scn;

int main(void)
{
	struct scn_error err;
	struct runner r;
	if (runner_init(&r) != 0)
		return 2;
	if (scn_parse_text(&scn, standard_text, sizeof standard_text - 1, "standard", &err) != 0) {
		fprintf(stderr, "standard:%u: %s\n", err.line, err.reason);
		return 2;
	}
	/* The workers give the registrar every freedom to take. */
	scn.workers = 2;
	struct run_options opt = { .keep_events = 1 };
	struct run_source src = { .kind = SOURCE_PRNG, .seed = 0 };
	run_scenario(&r, &scn, &src, &opt); /* the first run */
	size_t heap_before = heap_in_use();
	const uint64_t runs = 100000;
	uint64_t steps = 0, findings = 0;
	double t0 = now_s();
	for (uint64_t i = 1; i <= runs; i++) {
		src.seed = i;
		struct run_result res = run_scenario(&r, &scn, &src, &opt);
		steps += res.steps;
		findings += res.nfindings;
	}
	double dt = now_s() - t0;
	size_t heap_after = heap_in_use();
	printf("standard scenario (2 providers, 3 clients, %u ops, random schedules, fibers %s):\n",
	       (unsigned)scn.nops, fiber_impl_name());
	printf("  runs/s:  %.0f\n", (double)runs / dt);
	printf("  steps/s: %.0f  (%.1f steps per run)\n", (double)steps / dt, (double)steps / (double)runs);
	printf("  findings: %" PRIu64 " (the standard scenario is correct: expect 0)\n", findings);
	printf("  heap in use after the first run: %zu bytes; after %" PRIu64 " more runs: %zu bytes (delta %lld)\n",
	       heap_before, runs, heap_after, (long long)heap_after - (long long)heap_before);

	if (scn_parse_text(&scn, pair_text, sizeof pair_text - 1, "pair", &err) != 0)
		return 2;
	struct explore_config cfg = { .strategy = EXPLORE_DFS, .preempt_bound = 2 };
	t0 = now_s();
	struct explore_stats st = explore_run(&r, &scn, &cfg);
	dt = now_s() - t0;
	printf("bounded exhaustive search, 2 modules, preemption bound 2:\n");
	printf("  schedules: %" PRIu64 "%s, runs with findings: %" PRIu64 "\n", st.runs,
	       st.exhausted ? " (every schedule)" : " (NOT exhausted)", st.runs_with_findings);
	printf("  schedules/s: %.0f\n", (double)st.runs / dt);
	runner_fini(&r);
	return findings || st.runs_with_findings ? 1 : 0;
}
