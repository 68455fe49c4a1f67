/* guard.h - dispatch guarding (M18, M19): wrapped dispatch tables.
 *
 * NMR hands each side of a binding the other side's dispatch table, and the
 * module then calls through it directly; the engine sees nothing. When the
 * engine is told the shape of an NPI's tables (where the function pointers
 * are: byte offset of the first one and how many), the registrar front hands
 * out a per-binding copy whose function pointers are trampolines. A call
 * through one is a scheduling point that emits EV_CALL_ENTER (caller module,
 * peer, binding handle), attributes the thread to the callee while the call
 * runs (so what the callee does, e.g. complete its own detach or allocate
 * pool, is charged to it), calls the real function with the caller's
 * arguments untouched and emits EV_CALL_EXIT on return. The oracle sees
 * every call a driver makes and reports one after its detach completed (M18)
 * or after its cleanup (M19).
 *
 * Shapes come from the build: -Ddispatch=GUID:client=OFF+N:provider=OFF+N
 * (tools/dispatch-shapes.sh writes a record per NPI into the section
 * `nmrsim_shapes`). Without a shape, or on a CPU without trampolines
 * (x86-64 only for now), tables are handed out unwrapped: the rest works.
 */
#ifndef NMRSIM_GUARD_H
#define NMRSIM_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "sched/sched.h"

#define GUARD_FNS_MAX 16       /* function pointers per table */
#define GUARD_TABLES_MAX 64    /* wrapped tables per run (never reused within a run) */
#define GUARD_TABLE_BYTES 256  /* bytes copied per table (header + pointers) */
#define GUARD_DEPTH_MAX 8      /* nested guarded calls per thread whose attribution is restored exactly */

/* The build's record of one NPI's table shapes (plain C types: generated). */
struct guard_shape_rec {
	uint8_t npi_id[16];        /* the NPIID GUID as laid out in memory */
	uint16_t off[2], n[2];     /* [0] client's dispatch table, [1] provider's */
};

struct guard_table {
	uint32_t binding;          /* binding handle */
	uint16_t slot;             /* binding slot (events) */
	uint8_t caller, peer;      /* module calling through the table, module it reaches */
	const void *fns[GUARD_FNS_MAX]; /* the real functions */
	_Alignas(16) unsigned char copy[GUARD_TABLE_BYTES];
};

struct guard {
	struct sched *sched;
	uint32_t ntables;
	uint32_t unwrapped;        /* tables handed out unwrapped (capacity) */
	struct guard_table tables[GUARD_TABLES_MAX];
	uint8_t depth[SIM_THREADS_MAX];                     /* guarded calls in progress per thread */
	uint8_t saved_module[SIM_THREADS_MAX][GUARD_DEPTH_MAX]; /* attribution before each */
	uint8_t call_table[SIM_THREADS_MAX][GUARD_DEPTH_MAX]; /* table of each guarded call in progress */
};

/* Whether thread `thread` runs inside a guarded call that is now late: its
 * caller's detach of that binding completed or its cleanup ran (before or
 * while the call runs: M18/M19, the caller's bug). Kernel findings against
 * the callee there are consequences and are not reported. */
bool guard_in_late_call(const struct guard *g, uint8_t thread);
/* The same as the kernel's mute_reports hook (ctx = the guard). */
bool guard_mutes_reports(void *guard, uint8_t thread);

extern struct guard *guard_current;

void guard_init(struct guard *g, struct sched *s);
/* A table handed to `caller` for calls to `peer` on binding `binding`.
 * which: 0 = the client's dispatch table (handed to the provider), 1 = the
 * provider's (handed to the client). Returns the wrapped copy, or table
 * itself when no shape is known or capacity is spent. */
const void *guard_wrap(struct guard *g, const void *npi_id, int which, const void *table, uint32_t binding,
		       uint16_t slot, uint8_t caller, uint8_t peer);

#endif
