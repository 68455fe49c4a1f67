/* sched.h - simulated kernel threads and the scheduler.
 *
 * Every simulated thread is a fiber; exactly one runs at a time. Control
 * changes hands only at scheduling points (every NMR and kernel API call,
 * every dispatch call, every operation), where the choice stream picks which
 * runnable thread continues (option 0: the one that was running). The
 * switch is direct, fiber to fiber; the OS thread's own context ("main")
 * only starts a run and receives it back when it ends.
 *
 * A run ends when no thread can run: normally (every thread finished or is an
 * idle worker), in a deadlock (some thread blocked for good), when the step
 * budget ran out, or when the oracle asked to stop.
 */
#ifndef NMRSIM_SCHED_H
#define NMRSIM_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/choice.h"
#include "core/config.h"
#include "core/fiber.h"
#include "sched/por_log.h"
#include "trace/trace.h"

enum sim_thread_state { TS_UNUSED = 0, TS_RUNNABLE, TS_BLOCKED, TS_DONE };

enum sched_outcome {
	OUTCOME_RUNNING = 0,
	OUTCOME_DONE,      /* every thread finished (workers idle) */
	OUTCOME_DEADLOCK,  /* no thread runnable, some blocked for good */
	OUTCOME_BUDGET,    /* step budget spent while threads could still run */
	OUTCOME_STOPPED,   /* the oracle asked to stop (stop_on_first) */
	OUTCOME_HALTED,    /* the simulated system went down (a bug check, sched_halt) */
};

struct sched;
typedef void (*sim_thread_fn)(struct sched *s, void *arg);

struct sim_thread {
	uint8_t id;            /* index in sched.threads, trace thread id */
	uint8_t kind;          /* enum sim_thread_kind */
	uint8_t state;         /* enum sim_thread_state */
	uint8_t irql;          /* current IRQL */
	uint8_t block_reason;  /* enum block_reason while TS_BLOCKED */
	uint16_t block_obj;    /* what it waits for (registration slot, ...) */
	uint8_t module;        /* module on whose behalf it runs now (event attribution), EV_NONE8 */
	uint8_t unload_depth;  /* > 0 while inside a driver's Unload (L03) */
	bool idle_worker;      /* blocked on an empty work queue: not a deadlock participant */
	uint32_t irql_seen;    /* events it emitted and kernel routines it entered: what may have seen its
	                        * IRQL (nmr_model.c, F3 options that give the same run); a routine that
	                        * behaves the same at PASSIVE and DISPATCH takes its own back */
	sim_thread_fn fn;      /* body */
	void *arg;             /* its argument */
	struct fiber *fiber;   /* from the pool */
	struct sched *sched;   /* back pointer for the fiber entry */
};

struct sched {
	struct fiber main;                       /* the OS thread's context */
	struct fiber_pool *pool;                 /* stacks, one per thread id */
	struct sim_thread threads[SIM_THREADS_MAX];
	uint32_t nthreads;                       /* 1 + highest id in use (ids below may be TS_UNUSED) */
	uint32_t next_id;                        /* next id sched_spawn hands out (< SIM_THREADS_ENGINE_MAX) */
	uint32_t runnable_mask;                  /* bit per runnable thread */
	struct sim_thread *current;              /* running thread, NULL on main */
	struct choice *choice;                   /* every pick comes from here */
	struct trace *trace;                     /* events */
	const bool *stop_flag;                   /* oracle's stop_requested, may be NULL */
	uint32_t step;                           /* scheduling points passed */
	uint32_t steps_max;                      /* budget */
	uint32_t switches;                       /* context switches made */
	enum sched_outcome outcome;              /* why the run ended */
	uint8_t pick_ids[SIM_THREADS_MAX];       /* pick_next's candidates (here, not on the stack:
						  * an address-taken local costs redzones under ASan) */
	/* Called when nothing is runnable and no thread is blocked for good: the
	 * run may add threads (the drain phase) and return true to go on. */
	bool (*on_idle)(struct sched *s, void *ctx);
	void *on_idle_ctx;
	/* Simulated-time hooks of the kernel shim (sim/kernel/kernel.h); NULL without it.
	 * on_stall: nothing is runnable; fire the next timer or wait timeout
	 * (true if a thread became runnable). Asked before a deadlock is declared.
	 * on_deadline: the step reached deadline_step (UINT32_MAX: none).
	 * on_event: every event emitted through sched_emit, after the trace. */
	bool (*on_stall)(struct sched *s, void *ctx);
	void (*on_deadline)(struct sched *s, void *ctx);
	void (*on_event)(void *ctx, const struct event *e);
	void *hook_ctx;
	uint32_t deadline_step;
	/* The reduced exhaustive search's step log (por_log.h); NULL: off. */
	struct sched_por *por;
	/* With it, the threads a pick passes over when it can (choice.h:
	 * dfs_avoid): the reduced search's sleeping threads. NULL: none. */
	uint32_t (*por_asleep)(void *ctx);
	void *por_asleep_ctx;
};

void sched_init(struct sched *s, struct fiber_pool *pool, struct choice *c, struct trace *t,
		uint32_t steps_max, const bool *stop_flag);
/* Add a thread (runnable) with the next engine id. Returns it, or NULL when
 * SIM_THREADS_ENGINE_MAX ids are used. */
struct sim_thread *sched_spawn(struct sched *s, enum sim_thread_kind kind, sim_thread_fn fn, void *arg);
/* Add a thread with a fixed id (kernel helper threads, config.h). NULL if the
 * id is out of range or was used in this run. */
struct sim_thread *sched_spawn_at(struct sched *s, uint8_t id, enum sim_thread_kind kind, sim_thread_fn fn, void *arg);
/* Run until the outcome is decided; returns it. Called from main. */
enum sched_outcome sched_run(struct sched *s);

/* A scheduling point on the running thread. */
void sched_point(struct sched *s);
/* A scheduling point at which the running thread gives way: the next thread
 * is chosen among the others (when one can run), as if it ran on another
 * processor meanwhile. Driver code that spins without calling the kernel
 * reaches the scheduler through this (sim/host/spin.h). */
void sched_give_way(struct sched *s);
/* Block the running thread until sched_wake; a scheduling point. */
void sched_block(struct sched *s, enum block_reason reason, uint16_t obj);
void sched_wake(struct sched *s, struct sim_thread *t);
/* The running thread ends (never returns). */
_Noreturn void sched_exit(struct sched *s);
/* The whole run ends now with OUTCOME_HALTED (a bug check). Called on a
 * simulated thread; never returns. */
_Noreturn void sched_halt(struct sched *s);

/* Footprint of the running step (por_log.h); nothing when the log is off. */
static inline void sched_touch(struct sched *s, uint32_t key)
{
	if (s->por)
		por_log_touch(s->por, key);
}
/* A read of key (a write unless the reduced search splits reads). */
static inline void sched_touch_read(struct sched *s, uint32_t key)
{
	if (s->por)
		por_log_read(s->por, key);
}
/* A write only the finer footprints need (enum por_fine part `part`): the
 * coarse ones had it from an event of the same step. */
static inline void sched_touch_fine(struct sched *s, uint32_t part, uint32_t key)
{
	if (s->por && (s->por->fine & part))
		por_log_touch(s->por, key);
}
static inline void sched_touch_wild(struct sched *s, enum por_why why)
{
	if (s->por)
		por_log_wild(s->por, why);
}

/* Emit an event stamped with the running thread, its IRQL and the step. */
void sched_emit(struct sched *s, struct event *e);
/* Set the running thread's IRQL, emitting EV_IRQL on change. */
void sched_set_irql(struct sched *s, uint8_t irql);
/* F3 (nmr/nmr_model.c, options that give the same run): a kernel routine
 * whose call behaves the same at PASSIVE and at DISPATCH (the IRQL only
 * checked against a limit of DISPATCH or above: never raised, lowered,
 * handed out or waited at) takes back what its entry and its own events
 * added to the running thread's irql_seen. mark: sched_irql_mark() right
 * after the routine's kernel_get(), which counted its entry. */
static inline uint32_t sched_irql_mark(const struct sched *s)
{
	return s->current->irql_seen - 1u;
}
static inline void sched_irql_blind(struct sched *s, uint32_t mark)
{
	s->current->irql_seen = mark;
}

#endif
