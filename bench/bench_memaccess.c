/* bench_memaccess - what the memory-access instrumentation of driver code
 * costs (sim/host/memaccess.h): a fixed number of seeded random runs of each
 * scenario with race detection off (only the use-after-free check at each
 * pool access) and on (`races on`), runs/s and steps/s (best of a few
 * rounds: the machine is shared), and the instrumented accesses per run.
 * The cost of the instrumentation itself is measured against a build with
 * -Ddriver_access=false (the same figures there; accesses/run is then 0).
 * The run count is fixed, so `valgrind --tool=callgrind bench_memaccess`
 * gives instruction counts that do not depend on the machine's load.
 * Figures only; nothing passes or fails on time.
 *
 *   bench_memaccess [--races off|on] [--rounds N] RUNS FILE.nmr...
 * (--races: one setting only, for a callgrind count per setting) */
#include <string.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "host/memaccess.h"
#include "input.h"
#include "run/run.h"

static int rounds = 3;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct scenario scn;

/* Best of ROUNDS rounds of `runs` runs (seeds 1..runs): seconds, steps, accesses. */
static double measure(struct runner *r, uint64_t runs, uint64_t *steps, uint64_t *accesses, uint64_t *findings)
{
	struct run_options opt = { .keep_events = 1 };
	double best = 0;
	for (int round = 0; round < rounds; round++) {
		uint64_t st = 0, fi = 0, a0 = memaccess_count();
		double t0 = now();
		for (uint64_t i = 0; i < runs; i++) {
			struct run_source src = { .kind = SOURCE_PRNG, .seed = i + 1 };
			struct run_result res = run_scenario(r, &scn, &src, &opt);
			st += res.steps;
			fi += res.nfindings != 0;
		}
		double t = now() - t0;
		if (round == 0 || t < best)
			best = t;
		*steps = st;
		*findings = fi;
		*accesses = memaccess_count() - a0;
	}
	return best;
}

int main(int argc, char **argv)
{
	int from = 0, to = 1, a = 1;
	while (a + 1 < argc && strncmp(argv[a], "--", 2) == 0) {
		if (strcmp(argv[a], "--races") == 0)
			from = to = strcmp(argv[a + 1], "on") == 0;
		else if (strcmp(argv[a], "--rounds") == 0)
			rounds = atoi(argv[a + 1]) > 0 ? atoi(argv[a + 1]) : 1;
		else
			break;
		a += 2;
	}
	if (argc - a < 2) {
		fprintf(stderr, "usage: bench_memaccess [--races off|on] [--rounds N] RUNS FILE.nmr...\n");
		return 2;
	}
	argv += a - 1;
	argc -= a - 1;
	uint64_t runs = strtoull(argv[1], NULL, 10);
	if (runs == 0) {
		fprintf(stderr, "bench_memaccess: RUNS must be a positive number\n");
		return 2;
	}
	struct runner r;
	if (runner_init(&r) != 0)
		return 2;
	for (int f = 2; f < argc; f++) {
		if (input_load(&scn, argv[f], false) != 0)
			return 2;
		for (int races = from; races <= to; races++) {
			scn.races = (uint8_t)races;
			uint64_t steps = 0, accesses = 0, findings = 0;
			double t = measure(&r, runs, &steps, &accesses, &findings);
			printf("%-44s races %-3s %9.0f runs/s %11.0f steps/s %8.1f accesses/run (%" PRIu64
			       " runs with findings)\n",
			       argv[f], races ? "on" : "off", (double)runs / t, (double)steps / t,
			       (double)accesses / (double)runs, findings);
		}
	}
	runner_fini(&r);
	return 0;
}
