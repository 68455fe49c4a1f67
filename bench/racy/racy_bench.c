/* racy_bench - runs and seconds to the first finding, per exploration
 * strategy, on the racy-bug benchmark (bench/racy/README.md), and false
 * positives on the correct twins. Prints figures; nothing passes or fails on
 * time.
 *
 *   racy-bench [--seeds N] [--first-seed S] [--budget RUNS] [--twin-runs RUNS]
 *              [--strategies random,pct,dfs,swarm,cover,pos,race,...] CASE.nmr...
 *
 * A case file names its buggy driver as rNN_bug; the twin is the same
 * scenario with every `_bug` driver replaced by its `_fix` build. Each
 * randomised strategy runs each case from N seeds (the explorer's seed s:
 * run i uses s * 2^32 + i, so seeds do not overlap); DFS is deterministic
 * and runs once. A seed that finds nothing within the budget is a miss;
 * medians count a miss as the budget (so a median with misses is a lower
 * bound) and the line says how many. A driver that crashes (a use after
 * free the oracle did not see first) is finding K08, as under nmr-explore:
 * each measurement runs in a child process. Exit 0, or 2 on bad usage or input;
 * a false positive on a twin, or a case that no strategy found within the
 * budget, is printed and makes the exit status 1. race7, race-noqueue,
 * race-nopos and race-fresh4 are race with parts off (enum race_without):
 * session 7's search and one part each, for the ablations of
 * docs/FUZZING.md; race10, race-nosweep and race-nofine: session 10's race
 * and session 11's parts one each; race13, race-noexact, race-nonovelty and
 * race-nourw: session 13's race and session 14's parts one each; pctr-noholds, pctr-noother and pctr-fresh
 * are pctr with parts off (enum pctr_without). --first-seed S measures seeds S.. instead of 1.. (a set
 * of seeds apart from the reported one, to choose a design on). --twin-runs 0
 * runs no twin (the twin column then says none). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input.h"
#include "racy_case.h"
#include "run/explore.h"

#define CASES_MAX 32
#define SEEDS_MAX 64
#define STRATEGIES_MAX 16

struct strategy {
	const char *name;
	enum explore_strategy kind;
	uint32_t race_without; /* race's ablations (enum race_without; pctr: enum pctr_without) */
};

static const struct strategy strategies_all[] = {
	{ "random", EXPLORE_RANDOM, 0 },
	{ "pct", EXPLORE_PCT, 0 },
	{ "dfs", EXPLORE_DFS, 0 },
	{ "swarm", EXPLORE_SWARM, 0 },
	{ "cover", EXPLORE_COVER, 0 },
	{ "pos", EXPLORE_POS, 0 },
	{ "race", EXPLORE_RACE, 0 },
	/* race with parts off: session 7's search (race7) and one part each */
	{ "race7", EXPLORE_RACE, RACE_WITHOUT_ALL },
	{ "race-noqueue", EXPLORE_RACE, RACE_WITHOUT_QUEUE },
	{ "race-nopos", EXPLORE_RACE, RACE_WITHOUT_POS },
	{ "race-fresh4", EXPLORE_RACE, RACE_WITHOUT_RARE_FRESH },
	/* session 10's race, and session 11's parts one each */
	{ "race10", EXPLORE_RACE, RACE_WITHOUT_SESSION11 },
	{ "race-nosweep", EXPLORE_RACE, RACE_WITHOUT_SWEEP },
	{ "race-nofine", EXPLORE_RACE, RACE_WITHOUT_FINE },
	/* session 13's race, and session 14's parts one each */
	{ "race13", EXPLORE_RACE, RACE_WITHOUT_SESSION14 },
	{ "race-noexact", EXPLORE_RACE, RACE_WITHOUT_EXACT },
	{ "race-nonovelty", EXPLORE_RACE, RACE_WITHOUT_NOVELTY },
	{ "race-nourw", EXPLORE_RACE, RACE_WITHOUT_URW },
	{ "pctr", EXPLORE_PCTR, 0 },
	{ "pctr-noholds", EXPLORE_PCTR, PCTR_WITHOUT_HOLDS },
	{ "pctr-noother", EXPLORE_PCTR, PCTR_WITHOUT_OTHER },
	{ "pctr-fresh", EXPLORE_PCTR, PCTR_WITHOUT_REPLAY },
};
#define STRATEGIES_ALL (sizeof strategies_all / sizeof strategies_all[0])
#define STRATEGIES_DEFAULT 7 /* without --strategies: the strategies, not race's ablations */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median_double(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return v[(n - 1) / 2];
}

static struct explore_config config_for(const struct strategy *st, uint64_t seed, uint64_t budget)
{
	return (struct explore_config){ .strategy = st->kind, .race_without = st->kind == EXPLORE_RACE ? st->race_without : 0,
					.pctr_without = st->kind == EXPLORE_PCTR ? st->race_without : 0, .seed = seed << 32, .pct_depth = 3,
					.preempt_bound = 2, .runs_max = budget, .stop_on_first = true };
}

static int load_case(struct scenario *s, const char *path, bool twin)
{
	return racy_case_load(s, path, twin, "racy-bench");
}

static const char *case_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static struct scenario bug_scn, twin_scn;
static struct runner runner;

static struct racy_first measure(const struct scenario *s, struct explore_config cfg)
{
	return racy_first_isolated(&runner, s, cfg);
}

int main(int argc, char **argv)
{
	unsigned seeds = 8;
	uint64_t first_seed = 1; /* seeds first_seed .. first_seed + seeds - 1 (another set than the reported one) */
	uint64_t budget = 200000, twin_runs = 20000;
	const struct strategy *strategies[STRATEGIES_MAX];
	unsigned nstrategies = 0;
	int argi = 1;
	for (; argi < argc && argv[argi][0] == '-'; argi++) {
		const char *a = argv[argi], *v = argi + 1 < argc ? argv[argi + 1] : NULL;
		if (!v) {
			fprintf(stderr, "racy-bench: %s needs a value\n", a);
			return 2;
		}
		argi++;
		if (!strcmp(a, "--seeds"))
			seeds = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--first-seed"))
			first_seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--budget"))
			budget = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--twin-runs"))
			twin_runs = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--strategies")) {
			char list[256];
			snprintf(list, sizeof list, "%s", v);
			for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
				unsigned k = 0;
				while (k < STRATEGIES_ALL && strcmp(strategies_all[k].name, tok))
					k++;
				if (k == STRATEGIES_ALL || nstrategies == STRATEGIES_MAX) {
					fprintf(stderr, "racy-bench: --strategies: unknown or too many: '%s'\n", tok);
					return 2;
				}
				strategies[nstrategies++] = &strategies_all[k];
			}
		} else {
			fprintf(stderr, "racy-bench: unknown option %s\n", a);
			return 2;
		}
	}
	if (seeds == 0 || seeds > SEEDS_MAX || first_seed == 0 || budget == 0 || argi >= argc || argc - argi > CASES_MAX) {
		fprintf(stderr, "usage: racy-bench [--seeds 1..%d] [--first-seed S] [--budget RUNS] [--twin-runs RUNS] "
				"[--strategies random,pct,dfs,swarm,cover,pos,race,race7,race-noqueue,race-nopos,race-fresh4,race10,race-nosweep,race-nofine,race13,race-noexact,race-nonovelty,race-nourw,pctr,pctr-noholds,pctr-noother,pctr-fresh] "
				"CASE.nmr... (at most %d)\n", SEEDS_MAX, CASES_MAX);
		return 2;
	}
	if (nstrategies == 0)
		for (unsigned k = 0; k < STRATEGIES_DEFAULT; k++)
			strategies[nstrategies++] = &strategies_all[k];

	if (runner_init(&runner) != 0)
		return 2;
	/* Per strategy: each case's median runs (a miss counts as the budget). */
	static uint64_t case_median[STRATEGIES_MAX][CASES_MAX];
	static uint64_t misses_total[STRATEGIES_MAX], fp_total[STRATEGIES_MAX];
	unsigned ncases = 0;
	int status = 0;
	printf("racy-bench: %u seeds, budget %" PRIu64 " runs per seed, twins %" PRIu64 " runs per strategy\n",
	       seeds, budget, twin_runs);
	printf("%-26s %-7s %10s %10s %6s %9s %9s %-5s %s\n", "case", "strategy", "median", "max", "misses",
	       "med s", "max s", "rule", "twin FP");
	for (int c = argi; c < argc; c++, ncases++) {
		if (load_case(&bug_scn, argv[c], false) != 0 || load_case(&twin_scn, argv[c], true) != 0)
			return 2;
		bool found = false;
		for (unsigned k = 0; k < nstrategies; k++) {
			const struct strategy *st = strategies[k];
			unsigned n = st->kind == EXPLORE_DFS ? 1 : seeds, misses = 0;
			uint64_t runs[SEEDS_MAX];
			double secs[SEEDS_MAX];
			enum rule rule = RULE_NONE;
			for (unsigned i = 0; i < n; i++) {
				double t0 = now();
				struct racy_first f = measure(&bug_scn, config_for(st, first_seed + i, budget));
				secs[i] = now() - t0;
				if (f.run == UINT64_MAX) {
					misses++;
					runs[i] = budget;
				} else {
					runs[i] = f.run;
					if (rule == RULE_NONE)
						rule = f.rule;
				}
			}
			found |= misses < n;
			uint64_t med = racy_median(runs, n), max = runs[n - 1];
			double med_s = median_double(secs, n), max_s = secs[n - 1];
			case_median[k][ncases] = med;
			misses_total[k] += misses;
			/* The twin: the same strategy, seed 1, twin_runs runs (0: no
			 * twin run; an explore budget of 0 would run without end). */
			struct racy_first f = { .run = UINT64_MAX };
			if (twin_runs)
				f = measure(&twin_scn, config_for(st, 1, twin_runs));
			bool fp = f.run != UINT64_MAX;
			fp_total[k] += fp;
			if (fp)
				status = 1;
			char medtxt[32], maxtxt[32];
			snprintf(medtxt, sizeof medtxt, "%s%" PRIu64, misses * 2 > n ? ">=" : "", med);
			snprintf(maxtxt, sizeof maxtxt, "%s%" PRIu64, misses ? ">=" : "", max);
			printf("%-26s %-7s %10s %10s %3u/%-2u %9.3f %9.3f %-5s %s\n", k == 0 ? case_name(argv[c]) : "",
			       st->name, medtxt, maxtxt, misses, n, med_s, max_s, rule == RULE_NONE ? "-" : rule_info(rule)->id,
			       fp ? rule_info(f.rule)->id : "none");
			fflush(stdout);
		}
		if (!found) {
			printf("%-26s no strategy found its bug in %" PRIu64 " runs\n", case_name(argv[c]), budget);
			status = 1;
		}
	}
	printf("\nsummary over %u cases (median of the per-case medians; a miss counts as the budget)\n", ncases);
	for (unsigned k = 0; k < nstrategies; k++) {
		uint64_t v[CASES_MAX];
		memcpy(v, case_median[k], sizeof(uint64_t) * ncases);
		double lr = 0;
		for (unsigned i = 0; i < ncases; i++)
			lr += log((double)(case_median[k][i] + 1) / (double)(case_median[0][i] + 1));
		printf("%-7s median %8" PRIu64 "  misses %3" PRIu64 "  twins with a finding %" PRIu64
		       "  geomean runs vs %s: %.3fx\n", strategies[k]->name, racy_median(v, ncases), misses_total[k],
		       fp_total[k], strategies[0]->name, exp(lr / ncases));
	}
	runner_fini(&runner);
	return status;
}
