/* guard.h - dispatch guarding (M18, M19): wrapped dispatch tables.
 *
 * NMR hands each side of a binding the other side's dispatch table, and the
 * module then calls through it directly; the engine sees nothing. So the
 * registrar front hands out a per-binding copy of the table whose function
 * pointers are trampolines. A call through one is a scheduling point that
 * emits EV_CALL_ENTER (caller module, peer, binding handle), attributes the
 * thread to the callee while the call runs (so what the callee does, e.g.
 * complete its own detach or allocate pool, is charged to it), calls the
 * real function with the caller's arguments untouched and emits
 * EV_CALL_EXIT on return (the returned value shown, unhashed). The oracle
 * sees every call a driver makes and reports one after its detach completed
 * (M18) or after its cleanup (M19).
 *
 * Which words are function pointers needs no configuration (guard_walk.c):
 * the table is walked word by word over the extent of the driver object it
 * lies in (sim/host/drvsyms.h); a word pointing into hosted driver code is a
 * function pointer; a word pointing into a driver's constant object that
 * (transitively) holds function pointers is a nested table (a pointer to an
 * array of functions, a table of tables), copied too, depth and size
 * bounded; every other word (header, size, version, context pointer, a
 * pointer to writable driver data) is copied unchanged. A table the engine
 * cannot copy faithfully is handed out as it is, with one EV_KERNEL
 * KE_DispatchUnguarded event saying why (enum guard_refusal). A trampoline
 * calls what the original table's slot holds at the time of the call, so a
 * driver that changes its own (writable) table is followed. Not detected:
 * data words of a writable top-level table changed after attach (by its
 * owner, or by the peer in its copy) - the copy keeps the attach-time value.
 *
 * A declared shape still wins where given: -Ddispatch=GUID:client=OFF+N:provider=OFF+N
 * (tools/dispatch-shapes.sh writes a record per NPI into the section
 * `nmrsim_shapes`): N function pointers from byte OFF, wherever the table
 * lies; a side may add PTR>OFF+N (after a comma, or alone): the word at byte
 * PTR points to a nested table with N function pointers from its byte OFF
 * (a pointer to an array of functions, one table of a table of tables). On a CPU without trampolines (x86-64 only for now), tables are
 * handed out unwrapped: the rest works.
 */
#ifndef NMRSIM_GUARD_H
#define NMRSIM_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "sched/sched.h"
#include "trace/trace.h"

#define GUARD_FNS_MAX 1024      /* trampolines: wrapped functions per run (the assembly's count) */
#define GUARD_TABLES_MAX 64     /* tables handed out guarded per run (never reused within a run) */
#define GUARD_COPY_BYTES 16384  /* bytes of copies per run (tables and the nested tables they reach) */
#define GUARD_TABLE_BYTES 1024  /* bytes of one handed-out table with its nested copies */
#define GUARD_OBJECT_BYTES 512  /* bytes of one object copied (a table, a nested array) */
#define GUARD_NEST_MAX 3        /* levels of nested tables followed below the handed-out one */
#define GUARD_DEPTH_MAX 8       /* nested guarded calls per thread whose attribution is restored exactly */

/* The build's record of one NPI's table shapes (plain C types: generated). */
struct guard_shape_rec {
	uint8_t npi_id[16];        /* the NPIID GUID as laid out in memory */
	uint16_t off[2], n[2];     /* [0] client's dispatch table, [1] provider's: n functions from byte off */
	uint16_t via[2];           /* byte offset of a pointer to a nested table, 0xffff if none */
	uint16_t noff[2], nn[2];   /* the nested table's: nn functions from byte noff */
};

/* One table handed out guarded. */
struct guard_table {
	uint32_t binding;          /* binding handle */
	uint16_t slot;             /* binding slot (events) */
	uint8_t caller, peer;      /* module calling through the table, module it reaches */
};

/* One wrapped function: trampoline k calls fns[k]. */
struct guard_fn {
	const void *const *orig;   /* its slot in the original (static) table, read at each call; or NULL */
	const void *fn;            /* the function when orig is NULL (a declared shape's, copied at attach) */
	uint16_t table;            /* the guard_table it was handed out in */
	uint16_t ordinal;          /* its place among that table's functions (EV_CALL_* arg) */
};

struct guard {
	struct sched *sched;
	uint32_t ntables;
	uint32_t nfns;
	uint32_t copy_used;        /* bytes of copies used */
	uint32_t unwrapped;        /* tables handed out unwrapped (capacity) */
	struct guard_table tables[GUARD_TABLES_MAX];
	struct guard_fn fns[GUARD_FNS_MAX];
	_Alignas(16) unsigned char copies[GUARD_COPY_BYTES];
	uint8_t depth[SIM_THREADS_MAX];                     /* guarded calls in progress per thread */
	uint8_t saved_module[SIM_THREADS_MAX][GUARD_DEPTH_MAX]; /* attribution before each */
	uint8_t call_table[SIM_THREADS_MAX][GUARD_DEPTH_MAX]; /* table of each guarded call in progress */
	uint8_t call_frames[SIM_THREADS_MAX][GUARD_DEPTH_MAX]; /* the thread's kernel frame depth at each call */
};

/* Benchmarks only (bench/bench_host.c): hand every table out as it is. */
extern bool guard_disabled;

/* Whether thread `thread` runs inside a guarded call that is now late: its
 * caller's detach of that binding completed or its cleanup ran (before or
 * while the call runs: M18/M19, the caller's bug). Kernel findings against
 * the callee there are consequences and are not reported. */
bool guard_in_late_call(const struct guard *g, uint8_t thread);
/* The same as the kernel's mute_reports hook (ctx = the guard). */
bool guard_mutes_reports(void *guard, uint8_t thread);
/* The kernel's dispatch_frames hook (ctx = the guard): the kernel frame
 * depth at which thread's innermost guarded call began, -1 outside one. */
int guard_dispatch_frames(void *guard, uint8_t thread);

extern struct guard *guard_current;

void guard_init(struct guard *g, struct sched *s);
/* A table handed to `caller` for calls to `peer` on binding `binding`.
 * which: 0 = the client's dispatch table (handed to the provider), 1 = the
 * provider's (handed to the client). Returns the guarded copy, or table
 * itself when it holds no function of a hosted driver or cannot be copied
 * faithfully (then with a KE_DispatchUnguarded event). */
const void *guard_wrap(struct guard *g, const void *npi_id, int which, const void *table, uint32_t binding,
		       uint16_t slot, uint8_t caller, uint8_t peer);

/* guard_walk.c: the guarded copy of `table` without a declared shape, its
 * functions taking trampolines from `tramps` (16 bytes each) as guard_fn
 * entries of table `index`. Returns the copy, `table` when it holds no
 * function, or NULL with *refusal set (nothing allocated then). */
const void *guard_walk(struct guard *g, uint16_t index, const void *table, const unsigned char *tramps,
		       enum guard_refusal *refusal);

#endif
