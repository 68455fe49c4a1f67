/* choice.h - the choice stream: the single source of every decision of a run.
 *
 * Which thread runs at a scheduling point, which freedom (F1-F6) the registrar
 * takes, whether an allocation or registration fails: each is one call here.
 * Whatever the source (fuzzer bytes, seeded PRNG, PCT, bounded exhaustive
 * search, a recorded trace), every choice taken is appended to the log, so a
 * run can be written out and replayed exactly with CHOICE_REPLAY.
 *
 * Conventions that make defaults meaningful:
 *  - a choice among n options returns a value in [0, n); option 0 is always the
 *    "unsurprising" one (keep running the current thread, no fault, the
 *    registrar's simplest behaviour), so an exhausted byte stream, an empty
 *    DFS prefix and a replay past its end all mean "no surprise";
 *  - a choice with n == 1 is not a choice: it returns 0, consumes nothing and
 *    is not logged (so byte streams and DFS trees only see real branches).
 */
#ifndef NMRSIM_CHOICE_H
#define NMRSIM_CHOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum choice_mode {
	CHOICE_BYTES,   /* fuzzer input bytes; exhausted -> 0 */
	CHOICE_PRNG,    /* xoshiro256** seeded by splitmix64 */
	CHOICE_PCT,     /* PCT: random priorities, depth-1 change points; PRNG for non-thread choices */
	CHOICE_DFS,     /* bounded exhaustive search: follow a prefix, then 0; preemption bound */
	CHOICE_REPLAY,  /* a recorded log; past its end -> 0 */
	CHOICE_SWARM,   /* swarm: a per-run configuration, then biased choices (PRNG or bytes) */
	CHOICE_POS,     /* partial order sampling: a random priority per pending step (choice_pos.c); PRNG otherwise */
};

/* What a choice decides. Stable numbers: they appear in trace files. */
enum choice_kind {
	CK_THREAD = 0,     /* which runnable thread runs next */
	CK_F1_ATTACH = 1,  /* attach inside NmrRegister* or later on a worker */
	CK_F2_ORDER = 2,   /* order of detach callbacks */
	CK_F3_IRQL = 3,    /* callback at PASSIVE or DISPATCH */
	CK_F4_CLEANUP = 4, /* cleanup inside Complete / inside detach / later */
	CK_F5_THREAD = 5,  /* callback on the caller's thread or an NMR worker */
	CK_F6_FAULT = 6,   /* inject STATUS_INSUFFICIENT_RESOURCES */
	CK_POOL_FAULT = 7, /* pool allocation failure (kernel shim) */
	CK_MODULE = 8,     /* a choice made by a module's environment (timers, work items) */
	CK_KIND_COUNT
};

struct choice_rec {
	uint8_t kind;    /* enum choice_kind */
	uint8_t pad;     /* flags: CHOICE_REC_FORCED (0 otherwise) */
	uint16_t n;      /* number of options offered */
	uint16_t value;  /* option taken, < n */
	uint16_t pad2;
};

/* A DFS thread choice forced to option 0 by the preemption bound: logged so
 * the run replays exactly (replay has no bound), but not a branch, so
 * choice_dfs_next never increments it. Trace files need not carry the flag:
 * its value is 0 either way. */
#define CHOICE_REC_FORCED 1
/* The reduced search only (CHOICE_DFS): taking option value + 1 here would
 * give the same run as value, as far as this run went (the registrar proved
 * it: nmr_model.c, "options that give the same run"). Not a choice either:
 * replay and trace files ignore it. */
#define CHOICE_REC_SAME_NEXT 2

#define CHOICE_PCT_DEPTH_MAX 8
#define CHOICE_THREADS_MAX 64

/* A hold (explore_pctr.c): thread `thread`, pending at a thread choice
 * with `steps` steps of its own begun (its step of that index, from 0, is
 * next), is passed over while thread `other` (0xff: none) runs its next
 * `other_steps` steps, taking every choice it can, and at most `len`
 * choices. Reverses a race an earlier run showed (thread's step, then
 * other's on a common key), and keeps it reversed until other's racing
 * step ran. Bounded: a thread held for good would starve one that spins
 * on it. */
struct choice_hold {
	uint16_t steps;
	uint16_t len;
	uint8_t thread;
	uint8_t other;
	uint8_t other_steps;
};
#define CHOICE_HOLDS_MAX 4

struct choice {
	enum choice_mode mode;     /* the source */
	/* CHOICE_BYTES */
	const uint8_t *bytes;      /* input bytes (not owned) */
	size_t bytes_len;          /* their count */
	size_t bytes_pos;          /* next unread byte */
	/* CHOICE_PRNG / CHOICE_PCT */
	uint64_t prng[4];          /* xoshiro256** state */
	/* CHOICE_PCT */
	uint32_t pct_depth;        /* d: number of priority change points + 1 */
	uint32_t pct_steps;        /* k: expected number of thread choices, bounds change points */
	uint32_t pct_change[CHOICE_PCT_DEPTH_MAX]; /* thread-choice indices at which priorities drop */
	uint32_t pct_prio[CHOICE_THREADS_MAX];     /* priority per thread id (higher runs first); 0 = unassigned */
	uint32_t pct_next_prio;    /* next fresh priority to hand a newly seen thread */
	uint32_t thread_choices;   /* thread choices made so far (PCT step counter) */
	/* CHOICE_DFS, and PRNG / SWARM with choice_set_prefix */
	const uint16_t *prefix;    /* values to take for the first prefix_len logged choices */
	uint32_t prefix_len;       /* their count */
	uint32_t preempt_bound;    /* max preemptions (thread choices != option 0 while option 0 was the current thread) */
	uint32_t preemptions;      /* taken so far */
	uint32_t dfs_avoid;        /* past the prefix, the thread ids a thread choice passes over when another
				    * option is not (the reduced search's sleeping threads, set by the scheduler
				    * before each pick); 0: option 0, the plain DFS */
	/* CHOICE_REPLAY */
	const struct choice_rec *replay;  /* recorded log (not owned) */
	uint32_t replay_len;       /* its length */
	bool diverged;             /* replay: a recorded n or kind differed from the one asked */
	/* CHOICE_SWARM: this run's configuration (choice_swarm_config), drawn
	 * first from the same source as the choices (PRNG seed or input bytes).
	 * Chances are out of 256; a decision is "surprising" when the source's
	 * byte u >= 256 - chance, so a zero byte (an exhausted input) is none. */
	bool swarm_bytes;          /* the source is bytes/bytes_len, else prng */
	uint8_t swarm_switch;      /* chance that a thread choice preempts the running thread */
	uint8_t swarm_kind[CK_KIND_COUNT]; /* F1-F5: chance of a non-default option (0: freedom off) */
	uint8_t swarm_scale[CK_KIND_COUNT]; /* F6, pool, module: the caller's chance times scale/4 (0: off) */
	/* CHOICE_POS (choice_pos.c) */
	uint32_t pos_prio[CHOICE_THREADS_MAX]; /* priority of each thread's pending step; 0: draw one */
	uint64_t pos_redraw;       /* threads whose pending step is new since the last thread choice (bit per id;
				    * the scheduler's conflict mask, sched/por_log.h), redrawn at the next one */
	uint8_t pos_last;          /* the thread the last thread choice picked, 0xff: none */
	/* CHOICE_POS with holds (choice_pos_hold; explore_pctr.c): NULL / 0 is plain POS */
	const struct choice_hold *pos_holds;
	uint32_t pos_nholds;
	uint32_t pos_holds_begun;  /* holds that began (bit per hold) */
	uint32_t pos_holds_done;   /* holds that ended (bit per hold) */
	uint16_t pos_hold_left[CHOICE_HOLDS_MAX];  /* choices each hold may still pass its thread over at */
	uint16_t pos_hold_until[CHOICE_HOLDS_MAX]; /* the other thread's step count that ends it */
	uint16_t pos_steps[CHOICE_THREADS_MAX]; /* steps each thread began so far (counted with holds only) */
	/* CHOICE_POS as a uniform random walk (explore_race.c; SURW/URW, Zhao et al., ASPLOS 2025):
	 * per thread id the picks it has left, a thread taken with probability proportional to them
	 * (one at least), one taken away per pick. Caller storage; NULL: POS's priorities. */
	uint16_t *pos_urw;
	/* the log of every choice taken (all modes) */
	struct choice_rec *log;    /* caller-provided storage */
	uint32_t log_cap;          /* its capacity */
	uint32_t log_len;          /* entries written (choices beyond log_cap are still taken, not logged) */
	uint32_t count;            /* choices taken (logged or not) */
};

/* The log storage is the caller's (usually arena memory). */
void choice_init_bytes(struct choice *c, const uint8_t *bytes, size_t len, struct choice_rec *log, uint32_t log_cap);
void choice_init_prng(struct choice *c, uint64_t seed, struct choice_rec *log, uint32_t log_cap);
void choice_init_pct(struct choice *c, uint64_t seed, uint32_t depth, uint32_t steps, struct choice_rec *log, uint32_t log_cap);
void choice_init_dfs(struct choice *c, const uint16_t *prefix, uint32_t prefix_len, uint32_t preempt_bound, struct choice_rec *log, uint32_t log_cap);
/* Swarm testing (Groce et al., ISSTA 2012) over the choice stream: the run
 * first draws its configuration (which freedoms are on and how often they
 * are taken, fault and time-jump rates scaled, how often the running thread
 * is preempted), then every choice follows it. From a seed (the explorer) or
 * from the leading bytes of an input (the fuzzers); either way the
 * configuration is part of the stream, so the same seed or input gives the
 * same run. */
void choice_init_swarm(struct choice *c, uint64_t seed, struct choice_rec *log, uint32_t log_cap);
void choice_init_swarm_bytes(struct choice *c, const uint8_t *bytes, size_t len, struct choice_rec *log, uint32_t log_cap);
/* Partial order sampling (Yuan, Yang, Gu; CAV 2018): every pending step
 * (what a runnable thread does next) carries a random priority and the
 * highest runs. The thread that just ran has a new pending step and draws a
 * new priority; so does every thread in pos_redraw (a thread woken, or one
 * whose pending step conflicts with the step just run). A thread that lost
 * a draw keeps its priority, so once another thread takes over it tends to
 * run for a while: random walk's exponentially unlikely long stretches of
 * one thread become likely. Non-thread choices are the PRNG's, as
 * CHOICE_PRNG. */
void choice_init_pos(struct choice *c, uint64_t seed, struct choice_rec *log, uint32_t log_cap);
uint32_t choice_pos_thread(struct choice *c, const uint8_t *ids, uint32_t n, bool current_first);
/* POS with holds (struct choice_hold; at most CHOICE_HOLDS_MAX, storage the
 * caller's, kept for the run): after choice_init_pos. */
void choice_pos_hold(struct choice *c, const struct choice_hold *holds, uint32_t n);
void choice_init_replay(struct choice *c, const struct choice_rec *recs, uint32_t len, struct choice_rec *log, uint32_t log_cap);

/* The log index of the choice just taken when it was logged by the
 * bounded exhaustive search (CHOICE_DFS), else UINT32_MAX: where
 * choice_same_next marks it. */
static inline uint32_t choice_dfs_last(const struct choice *c)
{
	return c->mode == CHOICE_DFS && c->log_len == c->count && c->log_len > 0 ? c->log_len - 1 : UINT32_MAX;
}

/* Mark (or unmark) the logged choice at pos: CHOICE_REC_SAME_NEXT. */
static inline void choice_same_next(struct choice *c, uint32_t pos, bool same)
{
	if (pos >= c->log_len)
		return;
	if (same)
		c->log[pos].pad |= CHOICE_REC_SAME_NEXT;
	else
		c->log[pos].pad &= (uint8_t)~CHOICE_REC_SAME_NEXT;
}

static inline bool choice_is_same_next(const struct choice *c, uint32_t pos)
{
	return pos < c->log_len && (c->log[pos].pad & CHOICE_REC_SAME_NEXT);
}

/* PRNG, SWARM and POS sources: take the first len choices from prefix (a value
 * past a choice's options is lowered to its last), then go on as the source
 * would (coverage-guided exploration replays a saved run up to a changed
 * choice). prefix is not copied. */
void choice_set_prefix(struct choice *c, const uint16_t *prefix, uint32_t len);

/* A value in [0, n). n >= 1; n == 1 returns 0 and is not logged. n <= 65535. */
uint32_t choice_pick(struct choice *c, enum choice_kind kind, uint32_t n);

/* True with probability num/den (integer ratio; den == 0 or num == 0 -> false
 * without a choice). Logged as a 2-option choice, option 1 = true. */
bool choice_chance(struct choice *c, enum choice_kind kind, uint32_t num, uint32_t den);

/* Which of n runnable threads runs next. ids[i] is the thread id of option i
 * (ids < CHOICE_THREADS_MAX). If current_first, ids[0] is the thread that was
 * running and option 0 means "no preemption"; choosing another option then
 * counts as a preemption (DFS bound). Once a DFS run has taken preempt_bound
 * preemptions, such a choice takes option 0 and is logged with
 * CHOICE_REC_FORCED. PCT picks the highest-priority id.
 * Returns the option index. */
uint32_t choice_thread(struct choice *c, const uint8_t *ids, uint32_t n, bool current_first);

/* Bounded exhaustive search driver. Given the log of a finished DFS run,
 * compute the prefix of the next run in depth-first order (last logged choice
 * with value + 1 < n and not CHOICE_REC_FORCED is incremented, everything
 * after it dropped). Returns
 * false when the tree is exhausted. prefix must hold log_len entries. */
bool choice_dfs_next(const struct choice_rec *log, uint32_t log_len, uint16_t *prefix, uint32_t *prefix_len);

/* splitmix64 / xoshiro256** exposed for other deterministic uses (seeding). */
uint64_t choice_splitmix64(uint64_t *state);
uint64_t choice_prng_next(uint64_t s[4]);

const char *choice_kind_name(enum choice_kind kind);
/* The freedoms F1-F6 as CONTRACTS.md names them: "F1 attach-during-register";
 * and what option v of freedom `kind` does ("attach later on an NMR worker").
 * Other kinds: "?" / "option N" (buf holds 24 bytes). */
const char *choice_freedom_name(enum choice_kind kind);
const char *choice_option_text(enum choice_kind kind, uint32_t v, char buf[24]);
/* Parses a choice_kind_name(); returns -1 if unknown. */
int choice_kind_parse(const char *name);

#endif
