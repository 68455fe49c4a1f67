/* test_race.c - the race-directed search (--strategy race) on the racy-bug
 * benchmark: it finds the deepest case (r14: a failed allocation inside a
 * detach window, random's median 2768 runs) from every seed within a
 * bound, at a median twelve times below seeded random's; cover (the same
 * loop on interleaving features, the mechanism switched off) needs 336
 * runs at these seeds and fails that margin; it never flags a correct
 * twin; the same seed gives the same runs, and its race reversals change
 * them (race_off is not the same search).
 *
 *   test_race BENCH_DIR              the checks
 *   test_race BENCH_DIR CASE...      print random, race and cover per seed (no checks)
 *
 *   test_race BENCH_DIR   (bench/racy) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "input.h"
#include "run/explore.h"

#define SEEDS 8          /* racy-bench's seeds 1..8 */
#define BUDGET 20000     /* runs each exploration may make */
#define FIND_WITHIN 1000 /* runs in which race must find r14 from each seed */
#define MARGIN 12        /* its median at least this many times below random's */

static struct runner runner;
static struct scenario scn;

/* BENCH_DIR/NAME.nmr; with twin, every "_bug" driver becomes its "_fix". */
static bool load(const char *dir, const char *name, bool twin)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s.nmr", dir, name);
	struct input_buf buf = { 0 };
	if (input_read(&buf, path, err, sizeof err) != 0) {
		fprintf(stderr, "test_race: %s\n", err);
		return false;
	}
	for (char *p = (char *)buf.data; twin && (p = strstr(p, "_bug")) != NULL; p += 4)
		memcpy(p, "_fix", 4);
	struct scn_error e;
	scn_init(&scn);
	int rc = scn_parse_text(&scn, (const char *)buf.data, buf.len, path, &e);
	if (rc != 0)
		fprintf(stderr, "%s:%u: %s\n", path, e.line, e.reason);
	input_buf_free(&buf);
	return rc == 0;
}

struct seen {
	uint64_t first;   /* index of the first run with a finding, UINT64_MAX: none */
	uint64_t found;   /* runs with findings */
	uint64_t hashes;  /* the trace hashes of the runs with findings, folded in order */
};

static bool note(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t i)
{
	(void)src;
	struct seen *s = ctx;
	if (s->first == UINT64_MAX)
		s->first = i;
	s->found++;
	s->hashes = s->hashes * 0x100000001b3ull ^ res->hash ^ i;
	return true;
}

static struct seen explore(enum explore_strategy st, bool race_off, uint64_t seed, uint64_t runs, bool stop_first)
{
	struct seen s = { .first = UINT64_MAX };
	struct explore_config cfg = { .strategy = st, .race_off = race_off, .seed = seed, .runs_max = runs,
				      .stop_on_first = stop_first, .on_finding = note, .ctx = &s };
	explore_run(&runner, &scn, &cfg);
	return s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Lower median of SEEDS values (sorts them). */
static uint64_t median(uint64_t *v)
{
	qsort(v, SEEDS, sizeof *v, cmp_u64);
	return v[(SEEDS - 1) / 2];
}

static const char *const cases[] = {
	"r01_send_after_detach", "r02_complete_vs_detach", "r03_lost_completion", "r04_cleanup_vs_workitem",
	"r05_dpc_after_unload", "r06_thread_start_race", "r07_rundown_release", "r08_attach_fail_leak",
	"r09_lock_on_pending", "r10_wait_in_detach", "r11_lock_order", "r12_deferred_indicate", "r13_double_queue",
	"r14_send_alloc_fail", "r15_last_out_twice",
};

#define TWIN_RUNS 2000   /* race runs on each correct twin: none may have a finding */

int main(int argc, char **argv)
{
	if (argc < 2 || runner_init(&runner) != 0) {
		fprintf(stderr, "usage: test_race BENCH_DIR [CASE...]\n");
		return 2;
	}
	const char *dir = argv[1];
	for (int a = 2; a < argc; a++) {
		if (!load(dir, argv[a], false))
			return 2;
		uint64_t f[3][SEEDS];
		for (uint64_t k = 0; k < SEEDS; k++) {
			f[0][k] = explore(EXPLORE_RANDOM, false, (k + 1) << 32, BUDGET, true).first;
			f[1][k] = explore(EXPLORE_RACE, false, (k + 1) << 32, BUDGET, true).first;
			f[2][k] = explore(EXPLORE_COVER, false, (k + 1) << 32, BUDGET, true).first;
			printf("%s seed %llu: random %lld race %lld cover %lld\n", argv[a], (unsigned long long)k + 1,
			       (long long)f[0][k], (long long)f[1][k], (long long)f[2][k]);
		}
		printf("%s medians: random %llu race %llu cover %llu\n", argv[a], (unsigned long long)median(f[0]),
		       (unsigned long long)median(f[1]), (unsigned long long)median(f[2]));
	}
	if (argc > 2)
		return 0;
	if (load(dir, "r14_send_alloc_fail", false)) {
		uint64_t race_first[SEEDS], rnd_first[SEEDS];
		for (uint64_t k = 0; k < SEEDS; k++) {
			race_first[k] = explore(EXPLORE_RACE, false, (k + 1) << 32, BUDGET, true).first;
			rnd_first[k] = explore(EXPLORE_RANDOM, false, (k + 1) << 32, BUDGET, true).first;
			printf("r14 seed %llu: first finding at run %lld under race, %lld under random\n",
			       (unsigned long long)k + 1, race_first[k] == UINT64_MAX ? -1ll : (long long)race_first[k],
			       rnd_first[k] == UINT64_MAX ? -1ll : (long long)rnd_first[k]);
			CHECK(race_first[k] < FIND_WITHIN);
		}
		uint64_t m = median(race_first), rm = median(rnd_first);
		printf("r14 medians over %d seeds: race %llu, random %llu\n", SEEDS, (unsigned long long)m,
		       (unsigned long long)rm);
		CHECK(m * MARGIN < rm);
		/* Determinism: the same seed, the same runs; the reversals move them. */
		struct seen x = explore(EXPLORE_RACE, false, 5, 3000, false), y = explore(EXPLORE_RACE, false, 5, 3000, false);
		struct seen off = explore(EXPLORE_RACE, true, 5, 3000, false);
		printf("r14 seed 5, 3000 runs: %llu with findings (race_off: %llu)\n", (unsigned long long)x.found,
		       (unsigned long long)off.found);
		CHECK(x.found > 0);
		CHECK_EQ_U(x.found, y.found);
		CHECK_EQ_U(x.first, y.first);
		CHECK_EQ_U(x.hashes, y.hashes);
		CHECK(x.hashes != off.hashes);
	} else {
		CHECK(!"r14 loads");
	}
	/* No false positive on any correct twin. */
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		if (!load(dir, cases[c], true)) {
			CHECK(!"a twin loads");
			continue;
		}
		struct seen t = explore(EXPLORE_RACE, false, 1ull << 32, TWIN_RUNS, true);
		if (t.found)
			fprintf(stderr, "%s twin: a finding at run %llu\n", cases[c], (unsigned long long)t.first);
		CHECK_EQ_U(t.found, 0);
	}
	runner_fini(&runner);
	return check_exit();
}
