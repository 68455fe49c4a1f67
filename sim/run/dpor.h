/* dpor.h - the bounded exhaustive search with partial-order reduction.
 *
 * Stateless dynamic partial-order reduction (Flanagan & Godefroid, POPL
 * 2005) over the choice tree of explore.c's DFS, with the preemption bound
 * kept sound by bounded POR's conservative backtracking (Coons, Musuvathi,
 * McKinley, OOPSLA 2013). A run is replayed from a prefix of choice values
 * as in the plain DFS; after it, its step log (sched/por_log.h) tells which
 * thread choices of the run need another thread tried:
 *
 *  - for each step j of thread p, the latest earlier step i of another
 *    thread that is dependent on j (footprints meet, or either is wild) and
 *    does not happen before j (vector clocks over the run: program order
 *    plus dependent pairs) is a race: at the choice that began i, p joins
 *    the backtrack set; if p was no candidate there, one candidate whose
 *    later step happens before p's (Flanagan & Godefroid's set E; none
 *    added when one is tried there), every candidate only if there is none;
 *  - bound: if step i continued the thread that ran before it, trying p at
 *    i may be a preemption the bound forbids while trying p at the last
 *    earlier context switch costs no more than the switch already made
 *    there; so p joins the backtrack set of that switch's choice too (by
 *    the same rule, relative to that choice: docs/DPOR.md says why);
 *  - incremental: a run is analysed from its first step that differs from
 *    the last analysed run's (an undo journal of the clocks), the steps
 *    before it having added their backtrack points already.
 *
 *  - sleep sets, where the bound keeps them sound: a thread explored at a
 *    node sleeps in the node's later branches (not tried while it stays
 *    independent of what runs) only when the equivalent schedule that runs
 *    it first costs no more preemptions (dpor.c: sleep_valid). A run is
 *    steered past its prefix away from sleeping threads (dpor_asleep); one
 *    that still picks a sleeping thread at a new choice (every option
 *    asleep, or the bound) is redundant from there: its later choices do
 *    not branch, its later steps are not analysed.
 *
 * Every thread choice of a run starts with its backtrack set = the thread it
 * took; a choice whose set holds an untried thread awake, feasible within the
 * bound, is a branch; every other kind of choice (freedoms, faults, module
 * timing) is tried with every value, as in the plain DFS. The next prefix
 * is the deepest branch, as choice_dfs_next. A run whose step log
 * overflowed, or that crashed, is not analysed: every choice it made gets
 * every option (plain DFS below its prefix), which is sound.
 *
 * State: struct dpor, fixed size (one node per choice-log position), owned
 * by the caller (nmr-explore keeps it in memory shared with its worker
 * process, so a crashing driver does not lose the tree). */
#ifndef NMRSIM_DPOR_H
#define NMRSIM_DPOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/choice.h"
#include "core/config.h"
#include "sched/por_log.h"

/* Sleep sets: what a node remembers of a thread it explored, its step
 * from the node (the union over the subtree's variants of that step: the
 * freedoms and faults inside it). */
#define DPOR_RECS 6 /* threads per node remembered (more: those cannot sleep, which is sound) */
enum dpor_rec_flags {
	DPOR_REC_WILD = 1,    /* the step was wild: dependent on every step */
	DPOR_REC_RUNS = 2,    /* the thread could still run after the step (or the run ended there) */
	DPOR_REC_UNKNOWN = 4, /* a run of the subtree was not analysed: its step is not known */
	DPOR_REC_EXACT = 8,   /* keys[] holds every exact key of the step (DPOR_EXACT; else the bitmaps decide) */
};
#define DPOR_REC_KEYS 32 /* exact keys a record holds (more: its bitmaps decide, which is sound) */
#define DPOR_REC_SLOTS 64 /* its key table: open addressing, at most half full */
_Static_assert(2 * DPOR_REC_KEYS <= DPOR_REC_SLOTS && DPOR_REC_SLOTS == 64, "a record's table: 64 slots, half free");
struct dpor_rec {
	uint64_t fp[POR_WORDS];
	uint64_t wr[POR_WORDS];
	uint64_t used;  /* slots of keys[] in use (bit per slot) */
	uint8_t thread;
	uint8_t flags; /* enum dpor_rec_flags */
	uint8_t nkeys;
	/* The keys (POR_KEY_WRITE: written), each once, at dpor_rec_slot of the
	 * key or the next free slot after it: a step's key is found in about
	 * one probe (a linear list of 32 was a third of the walk's work). */
	uint32_t keys[DPOR_REC_SLOTS];
};
/* A key's first slot in a record's table (the high bits of a
 * multiplicative hash: keys of one class differ in their low bits). */
static inline uint32_t dpor_rec_slot(uint32_t key)
{
	return (key * 0x9E3779B1u) >> 26;
}

struct dpor_node {
	uint32_t options;    /* thread choice: candidate threads (bit per id); 0: a plain node */
	uint32_t backtrack;  /* threads to try here */
	uint32_t done;       /* threads tried here */
	uint32_t sleep;      /* threads asleep here (sleep sets): covered by an equivalent schedule within the bound */
	uint8_t first;       /* option 0 when it was the running thread, else 0xff */
	uint8_t preemptions; /* taken before this choice */
	uint8_t taken;       /* the thread whose subtree is being explored */
	uint8_t nrec;
	struct dpor_rec rec[DPOR_RECS];
};

/* Parts of the reduction that can be turned off (measurements, tests). */
enum dpor_without {
	DPOR_NO_SLEEP = 1, /* no sleep sets: the persistent-set part only */
	DPOR_NO_SAME = 2,  /* try freedom options the registrar proved the same run anyway */
	DPOR_NO_OBJECTS = 8, /* kernel objects share their family's key (no POR_FINE_OBJECTS) */
	/* Not a removal but an addition, off in the library's default: reads
	 * split from writes (POR_FINE_READS). Sound; it cost schedules on the
	 * hosted scenarios before E sets and steering, and saves 26-28% of
	 * them at bound 2 since (docs/DPOR.md, session 13), so nmr-explore
	 * sets it with --por (`--por-without reads` clears it). */
	DPOR_READS = 16,
	DPOR_NO_NMR = 32,  /* the registrar's state one key (no POR_FINE_NMR) */
	DPOR_NO_INCR = 128, /* analyse every run from its first step (not from the first that differs) */
	DPOR_NO_ESET = 64, /* a race whose thread was no candidate adds every candidate (not one whose chain leads to it) */
	DPOR_NO_STEER = 256, /* past its prefix a run takes option 0 even when that thread sleeps (no dpor_asleep) */
	/* An addition, off in the library's default (nmr-explore --por sets it,
	 * `--por-without exact` clears it): the analysis over each step's exact
	 * keys (POR_FINE_EXACT: no hash collisions, driver memory per 8-byte
	 * granule) instead of the bitmaps' buckets; sleep sets keep the bitmaps. */
	DPOR_EXACT = 512,
};
/* The finer footprints (enum por_fine) a search with these bits asks its runs for. */
static inline uint32_t dpor_fine(uint32_t without)
{
	return (without & DPOR_READS ? POR_FINE_READS : 0u) | (without & DPOR_NO_OBJECTS ? 0u : POR_FINE_OBJECTS) |
	       (without & DPOR_NO_NMR ? 0u : POR_FINE_NMR) | (without & DPOR_EXACT ? POR_FINE_EXACT : 0u);
}

/* Vector clocks of one run's analysis (dpor.c), over the search's threads
 * numbered densely in order of first step (a search has a few threads among
 * ids up to SIM_THREADS_MAX: the clocks stay short; lanes at or above nt are
 * zero everywhere). A step's stamp is its index + 1; vc[i] is the stamp of
 * the latest step of dense thread i known to happen before. A write of a
 * location is ordered after the previous write and the reads since it, and a
 * read after the previous write: so the last writer's clock stands for
 * everything before it, and the reads since it are kept apart (two reads
 * commute; a footprint without reads, every location written, is the
 * analysis before the split). A location's clocks are only read when its
 * last / reads_since say they were written in this analysis.
 *
 * A location is a bucket of the footprint bitmaps (index = bucket), or with
 * exact keys (DPOR_EXACT) one key of the run, numbered densely in order of
 * first touch through an open-addressing table (keys are numbers, never
 * addresses: the same run numbers them the same way; undone with the rest
 * by the journal). More keys in a run than DPOR_KEYS: the step that meets
 * one more is taken as wild (dependent on every step), which is sound. */
#define DPOR_KEYS 2048
#define DPOR_SLOTS (2 * DPOR_KEYS)
_Static_assert(DPOR_KEYS >= POR_BUCKETS, "a bucket is a location");
struct dpor_clocks {
	uint32_t thread_vc[SIM_THREADS_MAX][SIM_THREADS_MAX];  /* what each thread's next step knows */
	uint32_t wild_vc[SIM_THREADS_MAX];
	uint32_t wild_last;
	uint32_t last_of[SIM_THREADS_MAX];                    /* stamp of each thread's latest step */
	uint32_t pending[SIM_THREADS_MAX][SIM_THREADS_MAX];   /* a waker's clock, joined at the woken's next step */
	uint32_t has_pending;                                 /* pending rows in use (bit per dense index) */
	uint32_t nid;                                         /* exact keys numbered in this run */
	uint32_t slot[DPOR_SLOTS];                            /* key table: id + 1, 0 empty (linear probing) */
	uint32_t key_of[DPOR_KEYS];                           /* id -> key (below nid) */
	/* Per location, in the order the journal saves them: a write saves
	 * reads_since, last and vc[0..nt) as one entry, a read reads_since and
	 * rd[0..nt) as two. Last: a fresh analysis zeroes the buckets' part only
	 * (an exact key's state is zeroed when it is numbered). */
	struct dpor_bucket {
		uint32_t reads_since;                /* rd valid */
		uint32_t last;                       /* the last writer's stamp */
		uint32_t vc[SIM_THREADS_MAX];        /* the last writer's clock */
		uint32_t rd[SIM_THREADS_MAX][2];     /* per dense thread: the reads since it, joined; and
		                                      * that thread's latest read since it */
	} bucket[DPOR_KEYS];
};

/* The incremental analysis's undo journal (dpor.c): old values of words of
 * struct dpor_clocks, written [values..., offset, count] so it is undone
 * from its end, the journal's length at each analysed step, and the steps
 * analysed last. Fixed size, in the tree's memory: a worker restarted after
 * a crash goes on with it (an analysis it died inside is `busy`: the next
 * one starts from scratch), and a journal that would overflow (a run of
 * thousands of steps) is dropped (`lost`: the next analysis starts from the
 * first step), which changes no decision, only the work. */
#define DPOR_JOURNAL_WORDS (1u << 20)
#define DPOR_STEPS_MAX 8192 /* steps of a run the analysis takes (run.h: RUN_POR_STEPS) */
#define DPOR_LISTED_MAX (1u << 17) /* exact keys of a run the analysis takes (run.h: RUN_POR_KEYS) */
struct dpor_journal {
	uint64_t serial;                      /* the search the clocks belong to (!= dpor.serial: start afresh) */
	uint64_t calls;                       /* dpor_after_run calls when the steps below were analysed */
	uint32_t len;                         /* words of buf in use */
	uint32_t n;                           /* steps analysed last (steps, mark[0..n]) */
	bool busy;                            /* an analysis under way (set on entry: a process died inside it) */
	bool lost;                            /* the journal overflowed: the clocks cannot be undone */
	uint32_t nt;                          /* threads numbered so far (dense indices below nt) */
	uint8_t dense_of[SIM_THREADS_MAX];    /* thread id -> dense index (0xff: none yet) */
	uint8_t id_of[SIM_THREADS_MAX];       /* dense index -> thread id */
	uint32_t mark[DPOR_STEPS_MAX + 1];    /* journal length at the start of each analysed step */
	struct por_step steps[DPOR_STEPS_MAX]; /* the steps analysed last (prefix of the last run) */
	uint32_t keys[DPOR_LISTED_MAX];       /* and their exact keys (DPOR_EXACT) */
	/* The sleep walk over them (dpor_sleep.c): the threads asleep before
	 * step j (walk_mask[n]: after the last), and those its node put to
	 * sleep. A walk resumes from them at the first step that differs. */
	uint32_t walk_mask[DPOR_STEPS_MAX + 1];
	uint32_t walk_added[DPOR_STEPS_MAX];
	/* Scratch of one step's analysis (no state: never journaled). */
	uint32_t tick;                        /* steps whose locations were listed (seen[] stamps) */
	uint32_t seen[DPOR_KEYS];             /* per location: the tick of the step that listed it last */
	uint32_t at[DPOR_KEYS];               /* and its place in loc[] */
	uint32_t loc[DPOR_KEYS];              /* the step's locations, each once (POR_KEY_WRITE: written) */
	uint32_t buf[DPOR_JOURNAL_WORDS];
};

struct dpor {
	uint64_t serial;                      /* which search (dpor_init counts): the analysis state is per search */
	uint32_t bound;                       /* the preemption bound */
	uint32_t without;                     /* enum dpor_without bits */
	uint32_t limit;                       /* choices of the last run that may branch (below a sleep-blocked pick: none) */
	uint64_t races;                       /* races found (statistics) */
	uint64_t plain_runs;                  /* runs not analysed (overflow or crash) */
	uint64_t runs;                        /* runs analysed */
	uint64_t steps_analysed;              /* steps whose races were looked for (incremental: the new ones) */
	uint64_t blocked;                     /* runs that picked a sleeping thread (redundant from there) */
	uint64_t why[16];                     /* races by cause (por_step.why bits): NMRSIM_POR_STATS */
	uint64_t addstat[6];                  /* backtrack threads added (NMRSIM_POR_STATS): [at the race, at the
	                                       * switch] x [p itself, a member of E, every candidate] */
	struct dpor_node nodes[SCN_CHOICES_MAX];
	/* Per node: a plain node every run through whose current value said the
	 * next value would be the same run (CHOICE_REC_SAME_NEXT): skip it.
	 * Apart from the nodes: every run ANDs it over its prefix, and a byte
	 * array is a few cache lines where the nodes (1.2 KB each) are one per
	 * node. */
	bool same_next[SCN_CHOICES_MAX];
	/* The analysis (dpor.c). dpor_init leaves it alone (it is large):
	 * jr.serial tells whether it is this search's. */
	struct dpor_clocks vc;
	struct dpor_journal jr;
};

/* A fresh tree; without: enum dpor_without bits. */
void dpor_init(struct dpor *d, uint32_t preempt_bound, uint32_t without);

/* After a run from a prefix of prefix_len values: record its new choices
 * and its races. por: its step log, NULL (or overflowed) when the run could
 * not be analysed. */
void dpor_after_run(struct dpor *d, const struct choice_rec *log, uint32_t nlog, uint32_t prefix_len,
		    const struct sched_por *por);

/* Steering a run past its prefix away from sleeping threads: at each pick
 * the run asks which threads sleep there (the threads the sleep sets of
 * the prefix's nodes put to sleep and no step since woke), and its default
 * pick (core/choice.h: dfs_avoid) passes over them. Without it such a pick
 * takes a sleeping thread, and the run is cut as redundant from there
 * (sleep-blocked) and the node tries an awake thread in the next run; with
 * it that next run is this one. w: the walk over the run's steps so far,
 * zeroed before the run. */
struct dpor_walk {
	uint32_t j;                                   /* steps walked */
	uint32_t mask;                                /* threads asleep after them (bit per id) */
	const struct dpor_rec *asleep[SIM_THREADS_MAX]; /* a sleeping thread's step (by thread id) */
};
uint32_t dpor_asleep(const struct dpor *d, struct dpor_walk *w, const struct sched_por *por, uint32_t prefix_len);
/* dpor_sleep.c, for dpor_after_run: walk the run's steps (keys: its exact
 * keys or NULL) with the sleeping threads, remember each step at its node,
 * set each node's sleep set; returns the first step that picked a sleeping
 * thread at a new choice (n if none). The steps before `same` are the last
 * analysed run's (same_prefix): the walk over them did all that then, and
 * it resumes at `same` from what it saved there (jr.walk_*). */
uint32_t dpor_sleep_walk(struct dpor *d, const struct por_step *steps, const uint32_t *keys, uint32_t n,
			 uint32_t nlog, uint32_t prefix_len, uint32_t same);
/* The exact keys of a search's runs (DPOR_EXACT and the log has them), else NULL. */
static inline const uint32_t *dpor_keys(const struct dpor *d, const struct sched_por *por)
{
	return (d->without & DPOR_EXACT) && (por->fine & POR_FINE_EXACT) ? por->keys : NULL;
}

/* The prefix of the next run, deepest branch first; false when the tree
 * within the bound is exhausted. prefix must hold nlog entries. */
bool dpor_next(struct dpor *d, const struct choice_rec *log, uint32_t nlog, uint16_t *prefix, uint32_t *prefix_len);

#endif
