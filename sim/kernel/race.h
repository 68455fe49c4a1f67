/* race.h - happens-before between simulated threads, and data races in
 * driver memory (K11 data-race).
 *
 * Hosted driver objects are compiled with memory-access instrumentation
 * whose runtime is nmrsim's (sim/host/memaccess.h); every access of driver
 * code to its globals or to pool reaches race_access here. Each simulated
 * thread has a vector clock (one counter per thread id, fixed capacity);
 * the kernel's synchronisation points join and publish clocks on a sync
 * object named by its address (only ever compared, never hashed or printed):
 *   release(obj): obj.vc |= thread.vc; thread.vc[self]++
 *   acquire(obj): thread.vc |= obj.vc
 * Spin locks, mutexes, push locks, resources: acquire at the acquire,
 * release at the release. Events, semaphores, timers, thread objects:
 * release when signalled, acquire when a wait on them returns. Rundown:
 * release at each release, acquire when the wait for release returns.
 * Work items, DPCs, timers' DPCs, system threads: release at queueing /
 * creation, acquire when the routine starts. Interlocked operations (the
 * compiler's atomics) are acquire+release on their address, volatile reads
 * acquire and volatile writes release it (MSVC's /volatile:ms, the default
 * for x64 kernel drivers). NMR is one sync object: every Nmr* call and every
 * callback delivery acquires it at entry and releases it at exit, as the
 * registrar's own lock orders its state changes.
 *
 * Per 8-byte granule of driver memory up to RACE_SLOTS recent accesses are
 * kept (thread, its clock, the bytes touched, read/write, site), in a table
 * of RACE_GRANULES_MAX granules (struct race, one per kernel) keyed by a deterministic location key
 * (region and offset, never an address). Two accesses conflict when they
 * touch a common byte from different threads and one is a write; they race
 * when the earlier one does not happen before the later one. The first race
 * of a run on a location is K11 naming both sites. Missing information
 * (a full table, a slot overwritten) can only hide a race, never invent one;
 * a full sync table (an edge that could not be recorded) stops reporting for
 * the rest of the run.
 *
 * Off by default (`races on` in a scenario, NMRSIM_RACES=1): every function
 * returns at its first test when off, and runs keep their traces either way
 * (nothing here emits events or takes choices).
 *
 * The access record is also an API for schedule reduction: on_access (when
 * set) sees every recorded access with its thread, step and location key, and
 * on_sync every acquire/release with its object key, in execution order.
 */
#ifndef NMRSIM_RACE_H
#define NMRSIM_RACE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

#ifdef NMRSIM_TINY
#define RACE_SYNC_MAX 16         /* sync objects with a clock per run */
#define RACE_GRANULES_MAX 256    /* 8-byte granules of driver memory tracked per run (power of two) */
#else
#define RACE_SYNC_MAX 256
#define RACE_GRANULES_MAX 4096
#endif
#define RACE_SLOTS 4             /* accesses remembered per granule */
#define RACE_PROBE 8             /* probes of the granule table before a location goes untracked */

/* A location key: region in the top bits, byte offset in the region below. */
enum race_region { RACE_POOL = 1, RACE_GLOBALS = 2, RACE_BSS = 3, RACE_STACK = 4 };
static inline uint64_t race_key(enum race_region region, uint64_t offset)
{
	return (uint64_t)region << 56 | offset;
}

struct race_vc {
	uint32_t c[SIM_THREADS_MAX];
};

/* One access remembered in a granule. */
struct race_slot {
	const void *pc;          /* instruction (reports only) */
	uint32_t clock;          /* the thread's own clock at the access */
	uint32_t step;           /* trace step */
	uint8_t thread;          /* sim thread id */
	uint8_t mask;            /* bytes of the granule touched (bit per byte); 0 = empty */
	uint8_t write;           /* 1 write, 0 read */
	uint8_t site_kind;       /* enum finding_site of the routine running */
	uint8_t site;            /* and its site value */
};

struct race_granule {
	uint64_t key;            /* location key of the granule's first byte */
	uint32_t generation;     /* run that filled it (others: free) */
	uint32_t next_slot;      /* replacement rotation when every slot is live */
	struct race_slot slot[RACE_SLOTS];
};

/* What on_access receives. */
struct race_access_rec {
	uint64_t key;            /* location key of the first byte */
	uint32_t step;           /* trace step */
	uint8_t thread;          /* sim thread id */
	uint8_t size;            /* bytes */
	uint8_t write;           /* 1 write, 0 read */
};

struct race {
	bool on;                 /* race detection enabled for this run */
	bool gave_up;            /* a sync edge was lost (table full): no reports for the rest of the run */
	bool reported;           /* a K11 was raised this run (one per run) */
	uint32_t generation;     /* this run's (granules of other runs are free); counts this kernel's runs */
	uint32_t nsync;          /* sync objects with a clock */
	uint32_t untracked;      /* accesses to granules the table had no room for */
	/* Reduction hooks (NULL: not asked); obj/key are only compared. */
	void (*on_access)(void *ctx, const struct race_access_rec *a);
	void (*on_sync)(void *ctx, uint8_t thread, const void *obj, bool release);
	void *hook_ctx;
	struct race_vc threads[SIM_THREADS_MAX];
	const void *sync_obj[RACE_SYNC_MAX];
	struct race_vc sync[RACE_SYNC_MAX];
	/* The access history, keyed by location, tagged with the generation of
	 * the run that filled each granule and never cleared: last, so a run
	 * that does not detect races never touches its pages (the runner's
	 * arena is calloc'd: untouched pages cost nothing). */
	struct race_granule granules[RACE_GRANULES_MAX];
};

/* The NMR registrar's sync object (kernel_on_event uses it). */
extern const char race_nmr_object;

/* Start of a run: on = detect races in this run. */
void race_init(struct race *r, bool on);
/* Thread `thread` publishes / takes what it did before on obj. */
void race_release(struct race *r, uint8_t thread, const void *obj);
void race_acquire(struct race *r, uint8_t thread, const void *obj);
/* Both (an interlocked operation). */
void race_acq_rel(struct race *r, uint8_t thread, const void *obj);

/* A conflicting earlier access that does not happen before this one. */
struct race_conflict {
	struct race_slot earlier;
	bool found;
};
/* A plain access by `thread` of [offset, offset+size) of granule key `key`
 * (offset + size <= 8), at step `step`, from pc, in routine site_kind/site.
 * Returns the first race it makes (found = false if none). */
struct race_conflict race_access(struct race *r, uint64_t key, unsigned offset, unsigned size, bool write,
				 uint8_t thread, uint32_t step, const void *pc, uint8_t site_kind, uint8_t site);

#endif
