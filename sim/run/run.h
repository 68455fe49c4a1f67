/* run.h - one run: a pure function of (scenario, choice source).
 *
 * A runner owns everything a run needs, allocated once (an arena and a pool
 * of fiber stacks); run_scenario() then allocates nothing from the system
 * heap, so persistent fuzzing loops stay flat and fast. No state carries from
 * one run to the next: every part is re-initialised from the scenario.
 */
#ifndef NMRSIM_RUN_H
#define NMRSIM_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/arena.h"
#include "core/choice.h"
#include "core/fiber.h"
#include "host/host.h"
#include "kernel/kernel.h"
#include "nmr/nmr.h"
#include "oracle/oracle.h"
#include "run/dpor.h"
#include "scenario/scenario.h"
#include "sched/sched.h"
#include "modules/scripted.h"
#include "run/outcome.h"
#include "run/interleave.h"
#include "trace/trace.h"

/* Where the choices come from; SOURCE_SCENARIO uses the scenario's own
 * schedule line (bytes, seed, pct or replay). */
struct run_source {
	enum { SOURCE_SCENARIO = 0, SOURCE_BYTES, SOURCE_PRNG, SOURCE_PCT, SOURCE_DFS, SOURCE_REPLAY, SOURCE_SWARM,
	       SOURCE_SWARM_BYTES, SOURCE_POS } kind; /* SWARM: choice_init_swarm from seed; SWARM_BYTES: from bytes;
						      * POS: choice_init_pos from seed */
	const uint8_t *bytes;    /* SOURCE_BYTES, SOURCE_SWARM_BYTES */
	size_t bytes_len;
	uint64_t seed;           /* SOURCE_PRNG, SOURCE_PCT, SOURCE_SWARM, SOURCE_POS */
	uint32_t pct_depth;      /* SOURCE_PCT */
	const uint16_t *prefix;  /* SOURCE_DFS; SOURCE_PRNG / SOURCE_SWARM / SOURCE_POS: forced first choices (choice_set_prefix) */
	uint32_t prefix_len;
	uint32_t preempt_bound;
	const struct choice_rec *choices; /* SOURCE_REPLAY: a choice log (past its end: option 0) */
	uint32_t nchoices;
	bool por;                /* SOURCE_DFS: log each step's footprint (sched/por_log.h) for the reduced search;
				  * SOURCE_POS: and redraw the priorities of threads in conflict with a step;
				  * SOURCE_SWARM: log them for the race-directed search (explore_race.c) */
	uint32_t por_fine;       /* with por: enum por_fine, the finer footprints (SOURCE_DFS: the reduced
				  * search; SOURCE_POS / SOURCE_SWARM: the race-directed search) */
	const struct choice_hold *holds; /* SOURCE_POS: threads held back (choice_pos_hold; explore_pctr.c) */
	const struct dpor *steer; /* SOURCE_DFS with por: the reduced search's tree, whose sleeping threads the
				   * picks past the prefix pass over (dpor.h: dpor_asleep); NULL: option 0 */
	uint32_t nholds;
	uint16_t *urw_left;      /* SOURCE_POS: a uniform random walk from these picks left per thread id
				  * (choice.h: pos_urw; updated as it picks), NULL: POS's priorities */
	bool por_exact;          /* with por: also log the exact-key footprints (sched/por_log.h: por_exact;
				  * the race-directed search's race pairs) */
};

struct run_options {
	bool stop_on_first;      /* end the run at the first finding (fuzzing) */
	uint32_t keep_events;    /* events kept for rendering (0: TRACE_EVENTS_MAX) */
	uint64_t rule_mask;      /* bit per enum rule that counts as a finding; 0 = every rule */
	bool no_choice_log;      /* do not log the choices taken (fuzzing: nothing records a trace file;
				  * result.choices is then empty; not with SOURCE_DFS, which needs them) */
	bool no_hang_text;       /* leave result.hang empty unless L01-L03 count (fuzzing: nothing prints it;
				  * the hang's findings are the same) */
	struct run_outcome *outcome; /* if set: filled with the run's visible outcome (outcome.h) */
	const struct suppress *suppress; /* findings set aside (oracle/suppress.h), NULL: none */
	bool advisories_fail;    /* advisory findings fail the run (and stop it with stop_on_first) */
	uint8_t *interleave_map; /* if set: count the run's interleaving features into it (interleave.h) */
	uint32_t interleave_slots; /* its size in bytes */
};

/* Parse a rule filter: comma separated rule IDs ("M04"), letters ("R" = every
 * R rule) or "all". Returns the mask (0 for "all"); *ok = false on an
 * unknown item. */
uint64_t rule_mask_parse(const char *spec, bool *ok);

#define RUN_HANG_TEXT_MAX 2048
#ifdef NMRSIM_TINY
#define RUN_POR_STEPS 256        /* steps whose footprint a run logs (more: that run is not reduced) */
#define RUN_POR_KEYS 8192        /* exact keys a run lists (POR_FINE_EXACT; more: not reduced) */
#else
#define RUN_POR_STEPS 8192
#define RUN_POR_KEYS (1u << 17)
#endif

struct run_state {
	struct sched sched;
	struct choice choice;
	struct trace trace;
	struct oracle oracle;
	struct nmr_model model;
	struct nmr_front front;
	struct scripted_run scripted;
	struct host_run host;
	struct guard guard;
	struct kernel kernel;
	struct interleave interleave;  /* features, when run_options.interleave_map is set */
	struct event *events;          /* TRACE_EVENTS_MAX */
	struct trace_note *notes;      /* TRACE_EVENTS_MAX: beside the kept events (trace.h) */
	struct choice_rec *choice_log; /* SCN_CHOICES_MAX */
	struct sched_por por;          /* the step log, when the source asks for it */
	struct por_step *por_steps;    /* RUN_POR_STEPS */
	struct por_exact *por_exact;   /* RUN_POR_STEPS: their exact footprints (run_source.por_exact) */
	uint32_t *por_keys;            /* RUN_POR_KEYS */
	const char *module_names[SCN_MODULES_MAX];
	const struct scenario *scn;
	struct run_outcome *outcome;   /* run_options.outcome */
	bool drain_started;
	uint8_t drain_first, drain_end; /* thread ids [first, end) the drain spawned (drain.c) */
	char hang[RUN_HANG_TEXT_MAX];  /* wait-for graph of a hang, empty otherwise */
	const struct dpor *steer;      /* run_source.steer */
	struct dpor_walk steer_walk;   /* its walk over this run's steps */
};

struct freedom_scratch; /* freedoms.c */

struct runner {
	struct arena arena;
	struct fiber_pool pool;
	struct run_state *st;          /* in the arena */
	uint64_t runs;                 /* runs made */
	struct choice_rec *long_log;   /* runner_set_long_log: the caller's, NULL: none */
	uint32_t long_cap;
	struct freedom_scratch *freedoms; /* freedoms_check's working logs (freedoms.c), NULL until its first check */
};

struct run_result {
	enum sched_outcome outcome;
	uint32_t steps;
	uint32_t switches;
	uint32_t events;
	uint64_t hash;                 /* trace hash */
	uint32_t nfindings;
	const struct finding *findings;/* the oracle's, valid until the next run */
	uint32_t nfailing;             /* of them, those that fail the run (oracle_failing: not advisories, unless asked) */
	uint32_t nsuppressed;          /* findings the suppressions set aside (not in findings) */
	uint64_t rules_touched;        /* rule coverage bits */
	uint64_t rules_violated;       /* rules violated, counted by rule_mask or not */
	bool diverged;                 /* a replayed choice log did not fit */
	const struct choice_rec *choices; /* choices taken (for trace files) */
	uint32_t nchoices;
	uint32_t choices_made;           /* choices the run took: more than nchoices when the log
	                                  * (SCN_CHOICES_MAX) was full, and a trace file cannot hold the run */
	const struct sched_por *por;   /* the step log (a source with por), else NULL */
	const char *hang;              /* wait-for graph text, "" if none */
	uint32_t interleave_features;  /* features counted (0 without a map) */
};

/* The run in progress (crash reports), NULL between runs. */
extern struct run_state *run_current;

int runner_init(struct runner *r);
void runner_fini(struct runner *r);
/* Log the choices of every later run (but DFS's) in log[cap] instead of the
 * runner's SCN_CHOICES_MAX entries, so that a run longer than those (a long
 * livelock, L02) still gets a whole trace file (report_make_trace). NULL:
 * back to the runner's own log. The storage stays the caller's. */
void runner_set_long_log(struct runner *r, struct choice_rec *log, uint32_t cap);
struct run_result run_scenario(struct runner *r, const struct scenario *s, const struct run_source *src,
			       const struct run_options *opt);

/* The end of a run (drain.c): the scheduler's idle hook and the kernel's
 * before_time hook; ctx is the run_state. */
bool drain_on_idle(struct sched *s, void *ctx);
int drain_before_time(void *ctx);

/* Verdict against the scenario's `expect` line: true when it matches (or none). */
bool run_matches_expect(const struct scenario *s, const struct run_result *res);

/* Exit-code convention of every nmrsim tool. */
enum { EXIT_CLEAN = 0, EXIT_VIOLATION = 1, EXIT_BAD_INPUT = 2 };

#endif
