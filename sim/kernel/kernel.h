/* kernel.h - the simulated Windows kernel under hosted drivers.
 *
 * The WDK routines of sim/include/wdm.h are implemented in ke_*.c, ex_*.c,
 * io_*.c and ps_*.c on top of the scheduler: each is a scheduling point,
 * checks its documented IRQL and usage (K rules, docs/KERNEL.md), reports a
 * misuse through the oracle and then does the documented (or the least
 * surprising) thing: never undefined behaviour inside the engine.
 *
 * State: one struct kernel per run, reached through kernel_current because
 * WDK entry points take no context (the same pattern as nmr_front_current).
 * Objects live in the driver's memory (a KEVENT in its globals or pool): their
 * state is kept inside the object, with a per-run object id and the run's
 * generation, so an object not initialised in this run is recognised (K09)
 * instead of trusted. Pool blocks come from a fixed buffer inside the struct
 * (no system heap per run). Simulated time advances KERNEL_STEP_TIME per
 * scheduling step and jumps to the next deadline when nothing can run.
 *
 * Kernel helper threads (the DPC thread, the I/O worker, system threads)
 * have fixed thread ids (config.h) and are spawned on first use, so a run
 * that never calls the kernel has exactly the trace it had without it.
 */
#ifndef NMRSIM_KERNEL_H
#define NMRSIM_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* the WDK headers include no C library header */

#include "core/assert.h"
#include "core/choice.h"
#include "core/config.h"
#include "kernel/race.h"
#include "oracle/oracle.h"
#include "sched/sched.h"
#include "trace/trace.h"
#include "trace/names.h"
#include "wdm.h"

#ifdef NMRSIM_TINY
#define KERNEL_POOL_BYTES (32 * 1024) /* pool buffer per run */
#define KERNEL_TIMERS_MAX 4           /* timers set at once */
#define KERNEL_DPCS_MAX 4             /* DPCs queued at once */
#define KERNEL_WORK_MAX 4             /* work items queued at once */
#define KERNEL_HANDLES_MAX 4          /* open thread handles */
#define KERNEL_MESSAGES_MAX 8         /* DbgPrint texts kept */
#define KERNEL_OBJECT_NAMES_MAX 64    /* object addresses kept for timeline names */
#else
#define KERNEL_POOL_BYTES (1024 * 1024)
#define KERNEL_TIMERS_MAX 32
#define KERNEL_DPCS_MAX 32
#define KERNEL_WORK_MAX 32
#define KERNEL_HANDLES_MAX 16
#define KERNEL_MESSAGES_MAX 256
#define KERNEL_OBJECT_NAMES_MAX 1024
#endif
#define KERNEL_FREED_CLEANUP_MAX 32    /* pool blocks freed by cleanup callbacks remembered per run (M19 at the access) */
#define KERNEL_WAIT_OBJECTS_MAX 8      /* objects of one KeWaitForMultipleObjects */
#define KERNEL_FRAMES_MAX 8            /* nested callbacks / Unload tracked per thread (K01, K02) */
#define KERNEL_STEP_TIME 100u          /* simulated time per scheduling step: 100 x 100 ns = 10 us */
#define KERNEL_STALL_PERIODIC_MAX 64u  /* idle firings of periodic timers alone per run (then: a hang) */
#define KERNEL_SETTLED_STALLS_MAX 8u   /* time moves after the drain finished (leftover periodic work) */
#define KERNEL_STALL_STUCK_MAX 128u    /* time moves with the same threads blocked for good: a hang */
#define KERNEL_EPOCH 133485408000000000ull /* KeQuerySystemTime at step 0: 2024-01-01 (100 ns since 1601) */
#define KERNEL_TICK 156250u            /* KeQueryTimeIncrement: 15.625 ms */

/* Object types (DISPATCHER_HEADER.Type and friends). Offset so zeroed memory is no type. */
enum kobj_type {
	KOBJ_NONE = 0,
	KOBJ_EVENT_NOTIFICATION = 0x41, KOBJ_EVENT_SYNCHRONIZATION, KOBJ_TIMER_NOTIFICATION,
	KOBJ_TIMER_SYNCHRONIZATION, KOBJ_THREAD, KOBJ_DPC,
	KOBJ_MUTEX, KOBJ_SEMAPHORE, /* ke_mutex.c; a mutex's owner (thread + 1) is in Reserved4 */
};

/* What a thread waits for in KeWaitFor*Object / KeDelayExecutionThread. */
struct kernel_wait {
	DISPATCHER_HEADER *objects[KERNEL_WAIT_OBJECTS_MAX]; /* waited objects */
	uint32_t ids[KERNEL_WAIT_OBJECTS_MAX]; /* their ids at the wait (freed memory is not trusted) */
	uint8_t count;          /* objects waited on (0: a delay) */
	bool all;               /* WaitAll */
	bool active;            /* blocked in a wait */
	uint64_t deadline;      /* absolute simulated time of the timeout, 0 if none */
	int32_t status;         /* set by whoever ends the wait */
	uint32_t seq;           /* wait order (FIFO among waiters) */
	uint8_t freed;          /* bit i: objects[i]'s pool block was freed during the wait (kernel_waits_freed) */
};

/* A callback, DriverEntry or Unload running on a thread (seen from events). */
struct kernel_frame {
	uint8_t kind;           /* enum ev_kind of its enter event */
	uint8_t what;           /* callback (enum nmr_cb) */
	uint8_t irql;           /* IRQL at entry */
	uint8_t locks;          /* locks held at entry */
	uint32_t serial;        /* frames the thread entered before, + 1: tells a frame from a later one at the same depth */
};

/* Per simulated thread. */
struct kernel_thread {
	struct kernel_wait wait;
	uint8_t locks_held;     /* spin locks, push locks, fast mutexes held now */
	uint8_t critical_region;/* KeEnterCriticalRegion depth */
	uint8_t guarded_region; /* KeEnterGuardedRegion depth, guarded mutexes included (ke_guarded_mutex.c) */
	uint8_t depth;          /* frames entered (may exceed KERNEL_FRAMES_MAX: not recorded) */
	uint32_t frames_entered;/* frames entered this run (serials) */
	bool unload_exempt;     /* runs an IoQueueWorkItem routine: may finish after Unload (no K06) */
	bool in_sleep;          /* in a scenario's `sleep` op (kernel_sleep) */
	const void *blocked_on; /* the lock, mutex or rundown ref it blocks on (hang reports) */
	uintptr_t site;         /* the driver's call site of the routine it is in (kernel_get), 0 once noted */
	struct kernel_frame frames[KERNEL_FRAMES_MAX];
};

/* A queued work item (I/O worker). */
enum kernel_work_kind { KWORK_IO = 0, KWORK_IO_EX, KWORK_EX };
struct kernel_work {
	uint8_t kind;           /* enum kernel_work_kind */
	uint8_t module;         /* owning module */
	uint32_t id;            /* IO_WORKITEM id, 0 for ExQueueWorkItem */
	void *item;             /* IO_WORKITEM or WORK_QUEUE_ITEM */
	void *routine;          /* its routine */
	void *context;          /* its context */
	uint32_t step;          /* step it was queued at (a deadlock report names items never run) */
};

/* A PsCreateSystemThread thread. */
struct kernel_system_thread {
	PKSTART_ROUTINE routine;
	PVOID context;
	uint8_t module;         /* creator's module */
	uint8_t thread;         /* sim thread id */
	bool used;              /* created in this run */
	bool running;           /* not terminated */
};

struct kernel_handle {
	bool open;              /* ZwClose not called */
	uint8_t thread;         /* thread object: sim thread id */
	uint8_t module;         /* module that received it */
	uint8_t kind;           /* KERNEL_HANDLE_THREAD or KERNEL_HANDLE_KEY */
	/* A registry key (zw_registry.c): its path is the first key_len bytes
	 * of registry value key_value's key, or (KERNEL_KEY_OWN_SERVICE) the
	 * services key of `module`, which has no values in the file. */
	uint16_t key_value;
	uint16_t key_len;
};
enum { KERNEL_HANDLE_THREAD = 0, KERNEL_HANDLE_KEY = 1 };
#define KERNEL_KEY_OWN_SERVICE 0xffffu

/* Per module accounting. */
struct kernel_module {
	uint32_t allocations;   /* pool blocks live (incl. devices, work items) */
	uint32_t handles;       /* handles open */
	bool unloaded;          /* kernel_module_unloaded was called */
	bool leak_deferred;     /* an IoQueueWorkItem item kept it loaded: leaks counted when the last one ends */
};

struct kernel_pool_block;

/* What the kernel needs from the layers above it, installed by the run after
 * kernel_init (lower layers never call upward by name). NULL: not asked. */
struct kernel_hooks {
	/* True while THREAD runs inside a dispatch call its caller should not
	 * have made (M18/M19, hosting's guard): its kernel findings are muted. */
	bool (*mute_reports)(void *ctx, uint8_t thread);
	/* The thread's kernel frame depth when its innermost dispatch call
	 * (hosting's guard) began, -1 outside one: code there is the callee's
	 * dispatch routine, whatever thread it runs on (kernel_code_site). */
	int (*dispatch_frames)(void *ctx, uint8_t thread);
	void *ctx;
	/* Nothing is runnable and simulated time is about to move on (a timed
	 * wait or a timer is due later): the run's phase decides first, so
	 * time-driven activity never holds off its drain (sim/run/drain.c).
	 * KERNEL_TIME_PASS: let time pass; KERNEL_TIME_STARTED: the run started
	 * threads instead (the drain); KERNEL_TIME_SETTLED: the drain finished,
	 * time passes KERNEL_SETTLED_STALLS_MAX more times at most, then what
	 * only waits for time no longer keeps the run going. NULL: always pass. */
	int (*before_time)(void *ctx);
	void *time_ctx;
};
enum { KERNEL_TIME_PASS = 0, KERNEL_TIME_STARTED, KERNEL_TIME_SETTLED };

struct kernel {
	struct sched *sched;
	struct kernel_hooks hooks;      /* set by the run (host layer) */
	struct choice *choice;          /* pool faults */
	struct oracle *oracle;          /* K-rule reports */
	uint8_t pool_fault_num, pool_fault_den; /* CK_POOL_FAULT ratio; den 0 = never */
	uint32_t generation;            /* this run's object generation (never printed or hashed) */
	uint32_t entries;               /* routine calls this run (kernel_get): the registrar's "nothing
	                                 * happened in a callback" (nmr_model.c: options that give the same run) */
	uint32_t next_id;               /* object ids handed out */
	uint64_t time_offset;           /* simulated time = time_offset + step * KERNEL_STEP_TIME */
	uint32_t wait_seq;              /* wait order counter */
	uint32_t stall_periodic;        /* stall firings of periodic timers alone */
	uint32_t stall_settled;         /* stall firings after the drain finished */
	bool time_jumps;                /* the scenario's `time jumps` (set by the run after kernel_init) */
	uint32_t jumps_taken;           /* deadlines passed by time jumps this run (KERNEL_TIME_JUMPS_MAX) */
	uint32_t stall_blocked;         /* threads blocked without a timeout at the last time move (bit per id) */
	uint32_t stall_same;            /* time moves since that set or untimed_waits last changed */
	uint32_t untimed_waits;         /* kernel waits without a timeout begun (progress of event-driven threads) */
	uint32_t stall_untimed;         /* untimed_waits at the last time move */
	uint64_t sleep_granted;         /* step up to which `sleep` ops grew the step budget (kernel_sleep) */
	uint32_t thread_ids[SIM_THREADS_MAX]; /* object id of each thread's KTHREAD (0: not yet) */
	struct kernel_module modules[SCN_MODULES_MAX];
	PKTIMER timers[KERNEL_TIMERS_MAX]; /* set timers */
	uint32_t ntimers;
	PKDPC dpcs[KERNEL_DPCS_MAX];    /* DPC queue (FIFO) */
	uint32_t dpc_head, dpc_len;
	bool dpc_running;               /* the DPC thread runs a routine */
	struct kernel_work work[KERNEL_WORK_MAX]; /* work queue (FIFO) */
	uint32_t work_head, work_len;
	struct sim_thread *dpc_thread;  /* spawned on first use */
	struct sim_thread *io_worker;   /* spawned on first use */
	struct sim_thread *io_more[KERNEL_IO_WORKERS_MAX - 1]; /* the others, in order: spawned with the first (io_workers N) or by kernel_work_grow */
	uint8_t io_workers;             /* the scenario's `io-workers` (set by the run after kernel_init; 0 = 1) */
	struct kernel_system_thread system_threads[KERNEL_SYSTEM_THREADS_MAX];
	struct kernel_handle handles[KERNEL_HANDLES_MAX];
	uint32_t pool_allocations;      /* blocks handed out this run */
	size_t pool_used;               /* bump offset into pool */
	struct trace_messages messages; /* DbgPrint texts for the renderer */
	/* Pool blocks a cleanup callback freed (binding contexts, most likely):
	 * a later access by driver code is M19 at the access (sim/host/memaccess.h). */
	struct kernel_freed_cleanup {
		uint16_t number;        /* pool block number */
		uint8_t module;         /* module whose cleanup freed it */
		uint8_t cb;             /* enum nmr_cb of that cleanup */
		uint32_t handle;        /* binding handle of that cleanup */
		uint32_t step;          /* step of the free */
	} freed_cleanup[KERNEL_FREED_CLEANUP_MAX];
	uint32_t nfreed_cleanup;
	/* Last of the cleared part: kernel_init clears only the entries of the
	 * thread ids the previous run had (threads_dirty), 5 KB in all. */
	struct kernel_thread threads[SIM_THREADS_MAX];
	/* Never cleared per run (texts are written before they are read,
	 * pool blocks are filled when handed out). */
	char message_text[KERNEL_MESSAGES_MAX][TRACE_MESSAGE_BYTES];
	/* PsGetCurrentThread / ObReferenceObjectByHandle: each object is reset
	 * at its first use in a run (its generation is not the run's). */
	KTHREAD thread_objects[SIM_THREADS_MAX];
	/* A run writes threads[i] only for its own thread ids (below the
	 * scheduler's nthreads), so after it the entries from threads_dirty on
	 * are still zero; kernel_run_end records it, stamped with the run's
	 * generation (threads_gen): kernel_init trusts it only from the run
	 * just before and otherwise clears every entry. */
	uint8_t threads_dirty;
	uint32_t threads_gen;
	const void *object_addr[KERNEL_OBJECT_NAMES_MAX]; /* object id -> its address (render-time names; ids <= next_id) */
	/* What each 16-byte granule of the pool holds (enum kernel_pool_granule),
	 * for checks at driver code's accesses; cleared per run up to pool_marked. */
	size_t pool_marked;             /* bytes of pool whose granules were marked since the last clear */
	struct race race;               /* happens-before and access history (race.h) */
	uint8_t pool_granule[KERNEL_POOL_BYTES / 16];
	_Alignas(16) unsigned char pool[KERNEL_POOL_BYTES];
};

extern struct kernel *kernel_current;

/* ---- the run's interface ---- */

/* Start of a run (after sched_init and trace_init): installs the scheduler's
 * time hooks and the trace's message table. pool_fault_num/den: ratio of
 * failed pool allocations (choice CK_POOL_FAULT; den 0 = never). */
void kernel_init(struct kernel *k, struct sched *s, struct choice *c, struct oracle *o,
		 uint8_t pool_fault_num, uint8_t pool_fault_den);
/* Nothing runnable and nothing blocked for good (the drain is over): fire the
 * next timer (advancing simulated time); a periodic timer fires once more at
 * most. True if a thread became runnable. */
bool kernel_on_idle(struct kernel *k);
/* A scenario's `sleep` op: block the running thread for INTERVAL (100 ns
 * units) of simulated time; it moves on when nothing else runs. The step
 * budget grows by the steps the sleep may take, so work that runs meanwhile
 * (timers, periodic workers) is not charged to the scenario. */
void kernel_sleep(struct kernel *k, uint64_t interval);
/* Module `module` is gone (its Unload returned, or DriverEntry failed): from
 * now on its DPCs, timers, ExQueueWorkItem items and system threads running
 * are K06, and so is a new IoQueueWorkItem. Returns what it left behind:
 * pool blocks (incl. devices and work items not freed) and open handles in
 * leaked_allocs; queued DPCs, set timers with a DPC, queued work items and
 * running system threads in pending_work. */
void kernel_module_unloaded(struct kernel *k, uint8_t module, uint32_t *leaked_allocs, uint32_t *pending_work);
/* End of run. Nothing to report today (leaks are reported at unload); kept
 * so the run has one place to call. */
void kernel_fini(struct kernel *k);
/* After every run, whatever its outcome (before anything else may start a
 * run on k): notes the thread ids the run used, so the next kernel_init
 * clears only their entries (threads_dirty). */
void kernel_run_end(struct kernel *k);
/* Locks (spin, in-stack queued, push, fast mutex) thread `thread` holds now. */
uint32_t kernel_locks_held(const struct kernel *k, uint8_t thread);
/* For hang reports: what kernel object thread `thread` is blocked on and who
 * holds it ("spin lock #3 held by T0"). Writes nothing and returns 0 when the
 * thread is not blocked in the kernel shim. */
struct scenario;
int kernel_describe_block(const struct kernel *k, const struct scenario *scn, uint8_t thread, char *buf, size_t cap);
/* The thread holding the lock or KMUTEX a blocked thread waits for (spin
 * lock, push lock held exclusively, fast or guarded mutex, KMUTEX), or -1:
 * the hang report follows it to name a lock cycle. */
int kernel_block_holder(const struct kernel *k, uint8_t thread);
/* Simulated time now (100 ns units since the run started). */
uint64_t kernel_time(const struct kernel *k);

/* ---- shared by the routine files ---- */

/* The running kernel; aborts with a message if no run is active. */
struct kernel *kernel_get_at(uintptr_t site);
/* The run's kernel, from a WDK routine's first line. A macro: the return
 * address is the routine's, so the driver's call site, kept per thread for
 * the routine's event (a timeline note; never in the trace). */
#define kernel_get() kernel_get_at((uintptr_t)__builtin_return_address(0))
static inline struct sim_thread *kernel_thread_now(struct kernel *k) { return k->sched->current; }
static inline uint8_t kernel_module_now(struct kernel *k)
{
	return k->sched->current ? k->sched->current->module : EV_NONE8;
}
static inline uint8_t kernel_irql(struct kernel *k) { return k->sched->current ? k->sched->current->irql : 0; }

/* Rule coverage: this run reached a state in which `rule` is checked. */
static inline void kernel_touch(struct kernel *k, enum rule rule)
{
	if (k->oracle)
		k->oracle->rules_touched |= 1ull << (unsigned)rule;
}

/* Happens-before (race.h) on obj for the running thread: a lock taken, a
 * wait that returned (acquire); a lock released, an object signalled, work
 * queued (release). Nothing unless the run detects races. */
static inline void kernel_sync_acquire(struct kernel *k, const void *obj)
{
	if (k->race.on && k->sched->current)
		race_acquire(&k->race, k->sched->current->id, obj);
}
static inline void kernel_sync_release(struct kernel *k, const void *obj)
{
	if (k->race.on && k->sched->current)
		race_release(&k->race, k->sched->current->id, obj);
}
/* Reader/writer locks (EX_SPIN_LOCK, push locks, ERESOURCE), as
 * ThreadSanitizer orders them: a shared holder acquires what exclusive
 * holders released and releases into a second clock of the lock (keyed one
 * byte into the lock word, which nothing else synchronises on) that only
 * exclusive holders acquire. So two shared holders are not ordered: the lock
 * lets both in at once, and on a multi-core machine their sections overlap
 * (a counter bumped under a shared lock is a data race, K11). */
static inline const void *kernel_sync_readers(const void *lock) { return (const char *)lock + 1; }
static inline void kernel_sync_acquire_rw(struct kernel *k, const void *lock, bool exclusive)
{
	kernel_sync_acquire(k, lock);
	if (exclusive)
		kernel_sync_acquire(k, kernel_sync_readers(lock));
}
static inline void kernel_sync_release_rw(struct kernel *k, const void *lock, bool exclusive)
{
	kernel_sync_release(k, exclusive ? lock : kernel_sync_readers(lock));
}

/* Report a K-rule finding at routine `api` about object `obj` (0 if none).
 * Cold: findings are rare, so the compiler moves the paths that build a
 * report out of the routines' hot code (smaller I-cache footprint per run). */
void kernel_report(struct kernel *k, enum rule rule, enum ke_api api, uint32_t obj, const char *fmt, ...)
	__attribute__((format(printf, 5, 6), cold));
/* K01 unless the IRQL is <= max; true when it is. */
bool kernel_check_irql_max(struct kernel *k, enum ke_api api, uint8_t max);
/* The entry of a routine: a scheduling point, and K06 if a helper thread of
 * an unloaded module runs its code. */
void kernel_enter(struct kernel *k, enum ke_api api);
/* Footprint families of the reduced search (sched/por_log.h): objects of a
 * family share one key (finer keys would need every routine to name its
 * object; a shared key only costs reduction). */
enum kernel_por_family { KFAM_SPIN = 1, KFAM_LOCK, KFAM_DISP, KFAM_RUNDOWN, KFAM_POOL, KFAM_WORK, KFAM_DPC, KFAM_MISC,
			 KFAM_THREADS };
static inline void kernel_por(struct kernel *k, enum kernel_por_family f)
{
	sched_touch(k->sched, POR_KEY(POR_KFAM, f));
}
/* Module m's kernel accounting (allocations, handles, deferred leak check),
 * which its unload reads, changes in the running step. Coarse footprints:
 * the module's key (the step's own events write it anyway; `always`: the
 * module may be another than the running one's). With reads split a
 * driver's kernel calls only read its module key (sched/por_log.c), and the
 * accounting has a key of its own, POR_MODULE_ACCT: a thread that only
 * resumes into the module's code commutes with an allocation. */
static inline void kernel_module_acct(struct kernel *k, uint8_t module, bool always)
{
	struct sched_por *p = k->sched->por;
	if (!p)
		return;
	if (por_split(p))
		por_log_touch(p, POR_KEY(POR_MODULE, POR_MODULE_ACCT + module));
	else if (always)
		por_log_touch(p, POR_KEY(POR_MODULE, module));
}
static inline void kernel_module_changed(struct kernel *k, uint8_t module)
{
	kernel_module_acct(k, module, false);
}
/* The running step reads whether module m's Unload returned (K06), for a
 * module it does not run for yet (a helper thread picking an item). */
static inline void kernel_module_gone_read(struct kernel *k, uint8_t module)
{
	struct sched_por *p = k->sched->por;
	if (p && por_split(p) && module < 32)
		por_log_read(p, POR_KEY(POR_MODULE, POR_MODULE_GONE + module));
}
/* The reduced search keys a kernel object by its memory line instead of its
 * family (POR_FINE_OBJECTS), where the routine's shared state is the
 * object's: a KSPIN_LOCK's lock word (owner, id) and the threads spinning on
 * it (ke_spinlock.c); a dispatcher object's header and the waits on it
 * (ke_wait.c, ke_mutex.c: a signal that ends a wait on several objects
 * touches them all). Waking a thread is an order of its own (THREAD). */
bool kernel_object_keyed(const struct kernel *k, enum ke_api api);
/* Objects keyed per object in this run. */
static inline bool kernel_objects_fine(const struct kernel *k)
{
	const struct sched_por *p = k->sched->por;
	return p && (p->fine & POR_FINE_OBJECTS) && p->mem_region;
}
/* The object at `obj`, `bytes` long (what the routines read and write of it): its line's
 * key; with POR_FINE_EXACT its granules (and the lines they lie in), so a driver's access
 * to one of its fields meets it and an access beside it does not. */
static inline void kernel_object_touch_n(struct kernel *k, const volatile void *obj, size_t bytes, bool write)
{
	struct sched_por *p = k->sched->por;
	if (!kernel_objects_fine(k))
		return;
	uintptr_t off;
	enum por_mem_region region = (enum por_mem_region)p->mem_region((uintptr_t)obj, &off);
	por_log_watch(p, (uintptr_t)obj, bytes); /* F1: a routine given the watched handle's bytes */
	write = write || !por_split(p);
	if (p->fine & POR_FINE_EXACT)
		por_log_span(p, region, off, region == POR_MEM_OTHER ? 1 : bytes, write);
	else
		por_log_mark(p, por_mem_key(region, off), write);
}
static inline void kernel_object_touch(struct kernel *k, const volatile KSPIN_LOCK *lock, bool write)
{
	kernel_object_touch_n(k, lock, sizeof(KSPIN_LOCK), write);
}
/* A dispatcher object: an event's header, else the largest object with a
 * header the routines write beyond it (KMUTANT's owner, KSEMAPHORE's limit).
 * Its type is read only for the exact keys (the header may be freed pool:
 * a type is still there, 0xDD or the old one, and any answer is a superset
 * of what the routine then touches as that type). */
static inline void kernel_dispatcher_touch(struct kernel *k, const DISPATCHER_HEADER *h, bool write)
{
	struct sched_por *p = k->sched->por;
	if (!p || !(p->fine & POR_FINE_EXACT) || !h) {
		kernel_object_touch_n(k, h, sizeof(KEVENT), write);
		return;
	}
	bool event = h->Type == KOBJ_EVENT_NOTIFICATION || h->Type == KOBJ_EVENT_SYNCHRONIZATION;
	size_t big = sizeof(KMUTANT) > sizeof(KSEMAPHORE) ? sizeof(KMUTANT) : sizeof(KSEMAPHORE);
	kernel_object_touch_n(k, h, event ? sizeof(KEVENT) : big, write);
}
/* Fast and guarded mutexes share one implementation (ex_lock.c; the WDK
 * makes KGUARDED_MUTEX the FAST_MUTEX structure): how the acquire changes
 * the thread, which the release undoes. */
enum kernel_mutex_mode {
	KMUTEX_RAISE_APC = 0, /* ExAcquireFastMutex: raise to APC_LEVEL */
	KMUTEX_UNSAFE,        /* ...Unsafe: the caller already disabled APCs */
	KMUTEX_GUARDED,       /* KeAcquireGuardedMutex: enter a guarded region */
};
bool kernel_fast_mutex_acquire(enum ke_api api, PFAST_MUTEX m, enum kernel_mutex_mode mode, bool try_only);
void kernel_fast_mutex_release(enum ke_api api, PFAST_MUTEX m, enum kernel_mutex_mode mode);

/* K06 check alone (after a wait returns into module code). */
void kernel_check_alive(struct kernel *k, enum ke_api api);
void kernel_emit(struct kernel *k, enum ke_api api, uint32_t obj, int32_t status, uint32_t aux);

/* A new object id; obj is the object's address (kept for timeline names only). */
uint32_t kernel_new_id(struct kernel *k, const void *obj);
/* Render time: the address of object `id` of the last run, NULL if unknown;
 * the live or freed pool block a driver allocated that holds addr (its
 * allocation number, tag and the offset of addr in it), false if addr is
 * not in such a block. */
const void *kernel_object_address(const struct kernel *k, uint32_t id);
bool kernel_pool_block_of(const struct kernel *k, const void *addr, uint32_t *number, uint32_t *tag,
			  uint32_t *offset);
static inline bool kernel_obj_live(const struct kernel *k, uint32_t id, uint32_t generation)
{
	return generation == k->generation && id != 0 && id <= k->next_id;
}
const char *kernel_module_name(const struct kernel *k, uint8_t module, char buf[8]);
/* The handle table (ps_thread.c): the slot of an open handle, or -1; the
 * HANDLE value of slot i (small values with the top bit set, never addresses). */
int kernel_handle_index(const struct kernel *k, HANDLE h);
void kernel_routine_returns(struct kernel *k, enum ke_api api); /* kernel.c: a routine's return, K06-checked */
int kernel_handle_free(const struct kernel *k); /* a closed slot of the handle table, or -1 */
HANDLE kernel_handle_value(int i);

/* Dispatcher objects (ke_wait.c). */
/* Validate a waitable object; an uninitialised one is reported (K09) and adopted. */
bool kernel_dispatcher_check(struct kernel *k, enum ke_api api, DISPATCHER_HEADER *h);
/* The object became signalled: end the waits it satisfies. */
void kernel_dispatcher_signalled(struct kernel *k, DISPATCHER_HEADER *h);
/* A wait by `thread` took the mutex h (ke_mutex.c). */
void kernel_mutex_acquired(DISPATCHER_HEADER *h, uint8_t thread);
/* End thread t's wait with status (timeout, or satisfied). */
void kernel_wait_end(struct kernel *k, uint8_t thread, int32_t status);
/* The pool block [lo, hi) is being freed (before its filler is written):
 * an object in it that a thread waits on counts as signalled for that wait
 * from now on, as a wait begun after the free takes it (kernel_object_not_live),
 * and the waiter reports it (K05, M19) when it runs again. Then
 * kernel_waits_freed_end (after the free's event) ends the waits that
 * satisfies. True if some wait had an object there. */
bool kernel_waits_freed(struct kernel *k, const unsigned char *lo, const unsigned char *hi);
void kernel_waits_freed_end(struct kernel *k);

/* Time (kernel_clock.c). */
void kernel_deadline_update(struct kernel *k);
/* The scheduler hooks of simulated time (kernel_clock.c), installed by kernel_init. */
bool kernel_stall(struct sched *s, void *ctx);
void kernel_deadline(struct sched *s, void *ctx);
/* Absolute simulated time of a WDK timeout (negative: relative; positive: absolute system time). */
uint64_t kernel_due_time(const struct kernel *k, LONGLONG timeout);

/* Timers (ke_timer.c): fire every timer due at `now`; true if any fired. */
bool kernel_timers_fire(struct kernel *k, uint64_t now, bool final);
/* Earliest due time of a set timer, UINT64_MAX if none; *periodic_only if every set timer is periodic. */
uint64_t kernel_timers_next(const struct kernel *k, bool *periodic_only);

/* DPCs and work (ke_dpc.c, io_work.c). */
bool kernel_dpc_queue(struct kernel *k, PKDPC dpc, uint8_t module);
bool kernel_work_queue(struct kernel *k, const struct kernel_work *w);
/* Nothing can run, items are queued and every worker is blocked in one:
 * start another worker, up to KERNEL_IO_WORKERS_MAX (Windows' pool grows
 * then). True if started. */
bool kernel_work_grow(struct kernel *k);
uint32_t kernel_dpc_pending(const struct kernel *k, uint8_t module);
uint32_t kernel_work_pending(const struct kernel *k, uint8_t module, bool io_too);
bool kernel_io_item_running(const struct kernel *k, uint8_t module);

/* Pool (ex_pool.c). */
/* A paged pool type (PagedPool, PagedPoolCacheAligned, PagedPoolSession: the
 * odd ones; NonPagedPoolNx is 512): allocating it needs IRQL <= APC_LEVEL. */
static inline bool kernel_pool_type_paged(POOL_TYPE type)
{
	return (type & 1) != 0;
}
void *kernel_pool_alloc(struct kernel *k, enum ke_api api, size_t bytes, uint32_t tag, bool zero, uint8_t kind);
/* Returns false (after a K05 report) if p is not a live block of that kind. */
bool kernel_pool_free(struct kernel *k, enum ke_api api, void *p, uint32_t tag, bool check_tag, uint8_t kind);
enum kernel_pool_kind { KPOOL_DRIVER = 0, KPOOL_WORKITEM, KPOOL_DEVICE, KPOOL_RUNDOWN };
/* Where [p, p+n) lies in the pool (the engine reading driver memory it
 * needs, sim/host/drvmem.h): not in the pool, inside one live block, inside
 * a freed one, or across a header / beyond what was handed out. *number: the
 * block's allocation number when there is one. */
enum kernel_pool_where { KPOOL_NOT_POOL = 0, KPOOL_LIVE, KPOOL_FREED, KPOOL_BAD };
int kernel_pool_lookup(const struct kernel *k, const void *p, size_t n, uint16_t *number);
/* True (after a K05 or M19 report) if p, an object a routine was given,
 * lies in freed pool (ex_pool.c). */
bool kernel_pool_object_freed(struct kernel *k, enum ke_api api, const void *p);
/* The same for an object freed while this thread waited on it (the wait's
 * routine reports it as it returns). */
bool kernel_pool_object_freed_waited(struct kernel *k, enum ke_api api, const void *p);
/* A routine was given an object that is not live in this run (ids of
 * another run, garbage): a use after free (K05, M19 after a cleanup freed
 * it: kernel_pool_object_freed) when it lies in freed pool, else K09
 * "API on WHAT that was not initialised in this run". true: freed pool (the
 * caller takes the object as free or signalled, so no wait hangs on the
 * filler). Every routine's not-live path comes here. */
bool kernel_object_not_live(struct kernel *k, enum ke_api api, const void *p, const char *what);
/* Granule states: not handed out or a header; a live payload; freed and
 * already reported (or not driver memory); freed; freed by the cleanup
 * callback recorded at freed_cleanup[state - KPG_CLEANUP]. */
enum kernel_pool_granule { KPG_NONE = 0, KPG_LIVE, KPG_QUIET, KPG_FREED, KPG_CLEANUP };
/* Mark every granule of the block holding payload p as `state` (a finding
 * made at an access quiets the block for the rest of the run). */
void kernel_pool_mark(struct kernel *k, const void *p, uint8_t state);

/* Rundown protection (ex_rundown.c), shared with the cache-aware forms
 * (ex_rundown_cache.c): api is the routine the driver called, which the
 * trace and any finding name. */
void kernel_rundown_init(enum ke_api api, PEX_RUNDOWN_REF r);
bool kernel_rundown_acquire(enum ke_api api, PEX_RUNDOWN_REF r, ULONG count);
void kernel_rundown_release(enum ke_api api, PEX_RUNDOWN_REF r, ULONG count);
void kernel_rundown_wait(enum ke_api api, PEX_RUNDOWN_REF r);
void kernel_rundown_reinit(enum ke_api api, PEX_RUNDOWN_REF r);
void kernel_rundown_completed(enum ke_api api, PEX_RUNDOWN_REF r);

/* Threads (ps_thread.c). */
uint32_t kernel_system_threads_running(const struct kernel *k, uint8_t module);
uint32_t kernel_thread_object_id(struct kernel *k, uint8_t thread);

/* The DbgPrint formatter (ke_debug.c): WDK conversions, pointers as "<ptr>";
 * writes at most cap - 1 characters and a terminator, returns the length. */
size_t kernel_vformat(char *buf, size_t cap, const char *fmt, va_list ap);

/* Where driver code on thread t runs, for a finding's signature (spins,
 * accesses): the innermost callback, DriverEntry or Unload it runs, else the
 * kind of routine its thread runs; *kind is an enum finding_site. */
void kernel_code_site(const struct kernel *k, const struct sim_thread *t, uint8_t *kind, uint8_t *site,
		      const char **name);
/* The routine named by a site kernel_code_site gave (also an access history's earlier access). */
const char *kernel_site_routine(uint8_t kind, uint8_t site);

/* Frames of callbacks / Unload, from events (kernel.c): K01 and K02 at their return. */
void kernel_on_event(void *ctx, const struct event *e);

#endif
