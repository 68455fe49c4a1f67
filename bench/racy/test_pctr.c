/* test_pctr.c - POS with holds at racing steps (--strategy pctr,
 * explore_pctr.c) on the racy-bug benchmark: the same seed gives the same
 * runs; its holds change the runs (PCTR_WITHOUT_HOLDS makes the same draws
 * without them, and other runs); it finds r02 within a fixed number of
 * runs from every seed; it never flags a correct twin of r01-r15. The
 * holds themselves (a held thread passed over while the other thread of
 * its race runs) are checked choice by choice in tests/test_pos_hold.c.
 *
 *   test_pctr BENCH_DIR   (bench/racy) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "racy_case.h"
#include "run/explore.h"

#define SEEDS 8          /* racy-bench's seeds 1..8 */
#define FIND_WITHIN 300  /* runs in which pctr must find r02 from each seed */
#define TWIN_RUNS 2000   /* pctr runs on each correct twin: none may have a finding */

static struct runner runner;
static struct scenario scn;

/* BENCH_DIR/NAME.nmr; with twin, every "_bug" driver becomes its "_fix". */
static bool load_case(const char *dir, const char *name, bool twin)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.nmr", dir, name);
	return racy_case_load(&scn, path, twin, "test_pctr") == 0;
}

static struct racy_seen pctr(uint32_t without, uint64_t seed, uint64_t runs, bool stop_first)
{
	struct explore_config cfg = { .strategy = EXPLORE_PCTR, .pctr_without = without, .seed = seed,
				      .runs_max = runs, .stop_on_first = stop_first };
	return racy_explore(&runner, &scn, cfg);
}

static const char *const twins[] = {
	"r01_send_after_detach", "r02_complete_vs_detach", "r03_lost_completion", "r04_cleanup_vs_workitem",
	"r05_dpc_after_unload", "r06_thread_start_race", "r07_rundown_release", "r08_attach_fail_leak",
	"r09_lock_on_pending", "r10_wait_in_detach", "r11_lock_order", "r12_deferred_indicate", "r13_double_queue",
	"r14_send_alloc_fail", "r15_last_out_twice",
};

int main(int argc, char **argv)
{
	if (argc != 2 || runner_init(&runner) != 0) {
		fprintf(stderr, "usage: test_pctr BENCH_DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	if (load_case(dir, "r02_complete_vs_detach", false)) {
		for (uint64_t k = 1; k <= SEEDS; k++) {
			struct racy_seen s = pctr(0, k << 32, FIND_WITHIN, true);
			printf("r02 seed %llu: first finding at run %lld\n", (unsigned long long)k,
			       s.found ? (long long)s.first : -1ll);
			CHECK(s.found > 0);
		}
		struct racy_seen x = pctr(0, 5, 400, false), y = pctr(0, 5, 400, false);
		struct racy_seen plain = pctr(PCTR_WITHOUT_HOLDS, 5, 400, false);
		printf("r02 seed 5, 400 runs: %llu with findings (without holds: %llu)\n", (unsigned long long)x.found,
		       (unsigned long long)plain.found);
		/* The same seed, the same runs (first, count and hashes); the
		 * holds move them. */
		CHECK(x.found > 0 && memcmp(&x, &y, sizeof x) == 0);
		CHECK(x.hashes != plain.hashes);
	} else {
		CHECK(!"r02 loads");
	}
	for (size_t c = 0; c < sizeof twins / sizeof twins[0]; c++) {
		if (!load_case(dir, twins[c], true)) {
			CHECK(!"a twin loads");
			continue;
		}
		struct racy_seen t = pctr(0, 1ull << 32, TWIN_RUNS, true);
		if (t.found)
			fprintf(stderr, "%s twin: a finding at run %llu\n", twins[c], (unsigned long long)t.first);
		CHECK_EQ_U(t.found, 0);
	}
	runner_fini(&runner);
	return check_exit();
}
