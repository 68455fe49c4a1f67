/* test_pos.c - partial order sampling (--strategy pos) on the racy-bug
 * benchmark: it finds a case whose bug needs one thread to run long before
 * another (r06: Unload before the sampler thread starts) from every seed
 * within a bound, at a median five times below seeded random's; it never flags a correct twin; the same
 * seed gives the same runs; and it is not seeded random under another name.
 *
 *   test_pos BENCH_DIR   (bench/racy) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "input.h"
#include "racy_case.h"
#include "run/explore.h"

#define SEEDS 8          /* racy-bench's seeds 1..8 */
#define FIND_WITHIN 40   /* runs in which POS must find r06 from each seed */
#define BUDGET 2000      /* runs each exploration may make */

static struct runner runner;
static struct scenario scn;

/* BENCH_DIR/NAME.nmr; with twin, every "_bug" driver becomes its "_fix". */
static bool load(const char *dir, const char *name, bool twin)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.nmr", dir, name);
	return racy_case_load(&scn, path, twin, "test_pos") == 0;
}

static struct racy_seen explore(enum explore_strategy st, uint64_t seed, uint64_t runs, bool stop_first)
{
	struct explore_config cfg = { .strategy = st, .seed = seed, .runs_max = runs, .stop_on_first = stop_first };
	return racy_explore(&runner, &scn, cfg);
}

static uint64_t median(uint64_t *v)
{
	return racy_median(v, SEEDS);
}

/* Runs 0..runs-1 of a source kind from seed: their trace hashes folded in order. */
static uint64_t fold_hashes(bool pos, uint64_t seed, uint32_t runs)
{
	uint64_t h = 0;
	for (uint32_t i = 0; i < runs; i++) {
		struct run_source src = { .kind = pos ? SOURCE_POS : SOURCE_PRNG, .seed = seed + i, .por = pos };
		struct run_result res = run_scenario(&runner, &scn, &src, NULL);
		h = h * 0x100000001b3ull ^ res.hash;
	}
	return h;
}

static const char *const cases[] = {
	"r01_send_after_detach", "r02_complete_vs_detach", "r03_lost_completion", "r04_cleanup_vs_workitem",
	"r05_dpc_after_unload", "r06_thread_start_race", "r07_rundown_release", "r08_attach_fail_leak",
	"r09_lock_on_pending", "r10_wait_in_detach", "r11_lock_order", "r12_deferred_indicate", "r13_double_queue",
	"r14_send_alloc_fail", "r15_last_out_twice",
};

#define TWIN_RUNS 2000   /* POS runs on each correct twin: none may have a finding */

int main(int argc, char **argv)
{
	if (argc != 2 || runner_init(&runner) != 0) {
		fprintf(stderr, "usage: test_pos BENCH_DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	/* r06: the bug needs Unload to run to its end before the sampler thread
	 * first runs. Seeded random switches at every point with even odds
	 * (median 82 runs on the benchmark); POS keeps a thread that won its
	 * draw running. */
	if (load(dir, "r06_thread_start_race", false)) {
		uint64_t pos_first[SEEDS], rnd_first[SEEDS];
		racy_first_findings(&runner, &scn, "r06", EXPLORE_POS, "pos", SEEDS, BUDGET, pos_first, rnd_first);
		for (unsigned k = 0; k < SEEDS; k++)
			CHECK(pos_first[k] < FIND_WITHIN);
		uint64_t pm = median(pos_first), rm = median(rnd_first);
		printf("r06 medians over %d seeds: pos %llu, random %llu\n", SEEDS, (unsigned long long)pm,
		       (unsigned long long)rm);
		CHECK(pm * 5 < rm);
		/* Determinism: the same seed, the same runs; and not random's. */
		uint64_t a = fold_hashes(true, 77, 200), b = fold_hashes(true, 77, 200);
		CHECK_EQ_U(a, b);
		CHECK(a != fold_hashes(false, 77, 200));
		struct racy_seen x = explore(EXPLORE_POS, 5, 300, false), y = explore(EXPLORE_POS, 5, 300, false);
		CHECK(x.found > 0);
		CHECK_EQ_U(x.found, y.found);
		CHECK_EQ_U(x.first, y.first);
	} else {
		CHECK(!"r06 loads");
	}
	/* No false positive on any correct twin. */
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		if (!load(dir, cases[c], true)) {
			CHECK(!"a twin loads");
			continue;
		}
		struct racy_seen t = explore(EXPLORE_POS, 1ull << 32, TWIN_RUNS, true);
		if (t.found)
			fprintf(stderr, "%s twin: a finding at run %llu\n", cases[c], (unsigned long long)t.first);
		CHECK_EQ_U(t.found, 0);
	}
	runner_fini(&runner);
	return check_exit();
}
