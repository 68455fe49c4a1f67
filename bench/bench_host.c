/* bench_host - hosted drivers against scripted modules on comparable
 * scenarios, under seeded random schedules: runs/s and steps/s of each and
 * the ratio (the hosting overhead); then the hosted scenario again with
 * dispatch guarding off (guard_disabled): the cost of guarding (walked
 * tables, trampolines, call events). Without guarding a run has fewer
 * scheduling points, so schedules differ: compare time per run and per step.
 * Figures only; nothing passes or fails on time.
 *
 *   bench_host HOSTED.nmr SCRIPTED.nmr [SECONDS] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "host/guard.h"
#include "input.h"
#include "run/run.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct figures {
	double runs_per_s, steps_per_s, steps_per_run;
	uint64_t findings;
};

static struct figures measure(struct runner *r, const struct scenario *s, double seconds)
{
	struct run_options opt = { .keep_events = 1 };
	uint64_t runs = 0, steps = 0, findings = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 256; i++, runs++) {
			struct run_source src = { .kind = SOURCE_PRNG, .seed = runs + 1 };
			struct run_result res = run_scenario(r, s, &src, &opt);
			steps += res.steps;
			findings += res.nfindings != 0;
		}
		t = now() - t0;
	} while (t < seconds);
	return (struct figures){ runs / t, steps / t, (double)steps / (double)runs, findings };
}

static struct scenario hosted, scripted;

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_host HOSTED.nmr SCRIPTED.nmr [SECONDS]\n");
		return 2;
	}
	double seconds = argc > 3 ? atof(argv[3]) : 2.0;
	if (input_load(&hosted, argv[1], false) != 0 || input_load(&scripted, argv[2], false) != 0)
		return 2;
	struct runner r;
	if (runner_init(&r) != 0)
		return 2;
	struct figures h = measure(&r, &hosted, seconds);
	struct figures s = measure(&r, &scripted, seconds);
	printf("hosted   %-40s %9.0f runs/s %11.0f steps/s %6.1f steps/run (%" PRIu64 " runs with findings)\n",
	       argv[1], h.runs_per_s, h.steps_per_s, h.steps_per_run, h.findings);
	printf("scripted %-40s %9.0f runs/s %11.0f steps/s %6.1f steps/run (%" PRIu64 " runs with findings)\n",
	       argv[2], s.runs_per_s, s.steps_per_s, s.steps_per_run, s.findings);
	printf("hosting cost: %.2fx the scripted time per run, %.2fx per step (target: <= 2x)\n",
	       s.runs_per_s / h.runs_per_s, s.steps_per_s / h.steps_per_s);
	guard_disabled = true;
	struct figures u = measure(&r, &hosted, seconds);
	guard_disabled = false;
	printf("unguarded %-39s %9.0f runs/s %11.0f steps/s %6.1f steps/run (%" PRIu64 " runs with findings)\n",
	       argv[1], u.runs_per_s, u.steps_per_s, u.steps_per_run, u.findings);
	printf("guarding cost: %.1f us per run guarded vs %.1f us unguarded (%.2fx), %.0f vs %.0f ns per step\n",
	       1e6 / h.runs_per_s, 1e6 / u.runs_per_s, u.runs_per_s / h.runs_per_s, 1e9 / h.steps_per_s,
	       1e9 / u.steps_per_s);
	runner_fini(&r);
	return 0;
}
