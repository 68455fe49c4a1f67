/* explore.h - strategies over many runs of one scenario: seeded random,
 * PCT, and bounded exhaustive search (depth-first over every choice, with a
 * preemption bound). Each produces its choice stream itself and hands every
 * finding to the caller with the source that reproduces it. */
#ifndef NMRSIM_EXPLORE_H
#define NMRSIM_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "run/freedoms.h"
#include "run/dpor.h"
#include "run/run.h"

/* EXPLORE_SWARM: seeded random under a swarm configuration each run draws
 * from its own seed (choice_init_swarm).
 * EXPLORE_COVER: swarm runs guided by interleaving coverage (interleave.h):
 * a run that shows a new feature is kept; three runs in four replay a kept
 * run's choices up to a point, change that one choice, and go on with the
 * kept run's remaining choices or at random (a fuzzer over schedules,
 * without one). Deterministic for a seed.
 * EXPLORE_POS: partial order sampling (choice_init_pos), run i from seed +
 * i, priorities redrawn where step footprints conflict (sched/por_log.h).
 * On the racy-bug benchmark it needs 0.94x random's runs, behind swarm and
 * cover (docs/FUZZING.md): a strategy to choose, not in the campaign's mix.
 * EXPLORE_RACE: cover's loop with race feedback and race-reversing changes
 * (explore_race.c): each run logs its steps' footprints; a run with a new
 * race pair (key, first thread, second thread) is kept; a change replays a
 * kept run to one of its race points and runs the other thread there: first
 * every race of every kept run whose reversal was never seen, once each,
 * then every race of the newest kept run not swept yet, then points drawn;
 * runs log the finer footprints; fresh choices are POS's. Deterministic
 * for a seed.
 * EXPLORE_PCTR: POS with holds (explore_pctr.c): a thread is held back at a
 * step learnt to race (by its index among the thread's steps) while the
 * other thread of the race runs; half its runs replay a kept run up to a
 * racing step first. Behind race on the racy benchmark (docs/FUZZING.md). */
enum explore_strategy { EXPLORE_RANDOM = 0, EXPLORE_PCT, EXPLORE_DFS, EXPLORE_SWARM, EXPLORE_COVER, EXPLORE_POS,
			EXPLORE_RACE,
			EXPLORE_PCTR, /* POS with holds at steps learnt to race (explore_pctr.c) */
};

/* Parts of EXPLORE_PCTR turned off (explore_config.pctr_without). */
enum pctr_without {
	PCTR_WITHOUT_HOLDS = 2, /* the same draws, no hold applied (fresh runs are plain POS) */
	PCTR_WITHOUT_OTHER = 4, /* holds for their length only, the other thread not run first */
	PCTR_WITHOUT_REPLAY = 8, /* no replay of a kept run up to a racing step: fresh runs only */
};

/* Parts of EXPLORE_RACE turned off (explore_config.race_without): ablations
 * for measurements and tests. The first three: session 7's search; all
 * (RACE_WITHOUT_ALL): the same, run for run; all but the first three:
 * session 10's; the last three: session 13's. */
enum race_without {
	RACE_WITHOUT_QUEUE = 1,       /* no stack of race points to reverse once each: drawn points only */
	RACE_WITHOUT_POS = 2,         /* fresh runs and tails are swarm's, not POS's */
	RACE_WITHOUT_RARE_FRESH = 4,  /* a fresh run one time in four, not eight */
	RACE_WITHOUT_SWEEP = 8,       /* an empty stack is not refilled from the newest kept run's races */
	RACE_WITHOUT_FINE = 16,       /* runs log the coarse footprints (POS's), not the reduced search's finer ones */
	RACE_WITHOUT_EXACT = 32,      /* race pairs by POS's footprint buckets (256), not the exact footprints */
	RACE_WITHOUT_NOVELTY = 64,    /* points pushed in the run's order, a sweep pushes every pair (not least
				       * reversed first, never-reversed pairs only) */
	RACE_WITHOUT_URW = 128,       /* fresh runs and fresh tails from POS's priorities, not a uniform random walk */
	RACE_WITHOUT_SESSION14 = 224,
	RACE_WITHOUT_SESSION11 = 248,
	RACE_WITHOUT_ALL = 255,
};

struct explore_stats {
	uint64_t runs;          /* runs made */
	uint64_t steps;         /* scheduling steps over all runs */
	uint64_t runs_with_findings;
	bool exhausted;         /* DFS: every schedule within the bound was run */
	bool truncated;         /* DFS: some run had more choices than the log holds */
	struct freedom_stats freedoms; /* differential runs (freedoms_every) */
};

/* Called for each run with findings or suppressed ones. Return false to stop exploring. */
typedef bool (*explore_finding_fn)(void *ctx, const struct run_result *res, const struct run_source *src,
				   uint64_t run_index);
/* Called every `progress_every` runs (and at the end). */
/* Called for each freedom dependence (M23) the differential runs found. */
typedef bool (*explore_dependence_fn)(void *ctx, const struct freedom_dependence *d, uint64_t run_index);
typedef void (*explore_progress_fn)(void *ctx, const struct explore_stats *st);

struct explore_config {
	enum explore_strategy strategy;
	uint64_t seed;          /* RANDOM / PCT / SWARM / COVER: run i uses seed + i */
	uint32_t pct_depth;     /* PCT */
	uint32_t preempt_bound; /* DFS */
	bool por;               /* DFS: partial-order reduction (run/dpor.h) */
	bool race_off;          /* RACE: no race-reversing change (cover's changes only): an ablation for tests */
	uint32_t race_without;  /* RACE: parts turned off (enum race_without; measurements, tests) */
	uint32_t pctr_without;  /* PCTR: parts turned off (enum pctr_without; measurements, tests) */
	struct dpor *por_state; /* its tree (NULL: the module's own); a restart (dfs_start) continues it */
	uint32_t por_without;   /* parts of the reduction turned off (enum dpor_without; measurements) */
	uint64_t runs_max;      /* stop after this many runs (DFS: 0 = until exhausted) */
	uint64_t progress_every;/* runs between progress calls (0: never) */
	bool stop_on_first;     /* end each run at its first finding */
	uint64_t rule_mask;     /* rules that count (run_options), 0: every rule */
	const struct suppress *suppress; /* findings set aside (run_options), NULL: none */
	bool advisories_fail;   /* advisories fail runs (run_options) */
	/* Restart after a crash (nmr-explore runs batches in a child process):
	 * the runs continue at index first_run (RANDOM / PCT: seed + first_run;
	 * runs_max stays the index bound), DFS at the prefix dfs_start. */
	uint64_t first_run;
	const uint16_t *dfs_start;     /* NULL: the root of the tree */
	uint32_t dfs_start_len;
	volatile uint64_t *at;         /* if set: index of the run in progress */
	volatile const int *stop;      /* if set and nonzero: no further run (a time limit) */
	uint64_t freedoms_every; /* 0: none; N: the differential check (freedoms.h) after every N-th clean run */
	uint32_t freedom_points; /* decision points per checked run (0: FREEDOM_POINTS_MAX) */
	explore_dependence_fn on_dependence;
	explore_finding_fn on_finding;
	explore_progress_fn on_progress;
	void *ctx;
};

/* DFS: after a run from a prefix of prefix_len values (choices log/nlog,
 * step log por, NULL if the run was not finished: a crash), the prefix of
 * the next run; false when every schedule within the bound was run. */
bool explore_dfs_next(const struct explore_config *cfg, const struct choice_rec *log, uint32_t nlog,
		      uint32_t prefix_len, const struct sched_por *por, uint16_t *prefix, uint32_t *next_len);

/* The changes of the guided strategies (cover, race), from their own PRNG:
 * a value below n; cover's change of a kept run (values/options/len): its
 * first choices up to a uniformly drawn one into prefix, that one to another
 * option; returns its index. Then the tail: half the time the kept run's
 * remaining values follow; returns the prefix length. */
uint32_t explore_below(uint64_t prng[4], uint32_t n);
uint32_t explore_change_any(uint64_t prng[4], const uint16_t *values, const uint16_t *options, uint32_t len,
			    uint16_t *prefix);
uint32_t explore_change_tail(uint64_t prng[4], const uint16_t *values, uint32_t len, uint32_t cut, uint16_t *prefix);

/* EXPLORE_RACE's parts (explore_race.c): reset for a seed, the source of
 * the next run, what a run taught. */
void explore_race_start(uint64_t seed, bool race_off, uint32_t race_without);
struct run_source explore_race_source(uint64_t seed);
void explore_race_learn(const struct run_result *res);

/* EXPLORE_PCTR's parts (explore_pctr.c), as race's. */
void explore_pctr_start(uint64_t seed, uint32_t without);
struct run_source explore_pctr_source(uint64_t seed);
void explore_pctr_learn(const struct run_result *res);

struct explore_stats explore_run(struct runner *r, const struct scenario *s, const struct explore_config *cfg);

#endif
