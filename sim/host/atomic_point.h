/* atomic_point.h - `atomics preempt` (docs/SCENARIO.md): an atomic or
 * volatile access of hosted driver code is a scheduling point.
 *
 * Interlocked operations are not kernel calls, so without this a
 * check-then-act between two of them (`if (InterlockedCompareExchange(
 * &Closing, 0, 0) == 0) InterlockedIncrement(&Refs);` against a teardown
 * that sets Closing and reads Refs) runs in one piece in every schedule,
 * and a lock-free protocol is never interleaved where it can break. With
 * the scenario's `atomics preempt` (binary form: byte 3 bit 4), the
 * memory-access instrumentation's atomic entry points (sim/host/memaccess.c:
 * every __atomic builtin the WDK's Interlocked* and ReadAcquire/WriteRelease
 * forms compile to, and volatile reads and writes, which MSVC's /volatile:ms
 * makes acquire and release) call atomic_point before the access: the
 * choice stream may switch threads there as at a kernel call, and the
 * access is an EV_KERNEL KE_AtomicAccess event with its operation and size
 * (aux, enum atomic_op) and the driver's call site (a timeline note), so
 * a timeline shows where a thread was preempted ("InterlockedIncrement
 * (4 bytes)  [client.c:88]"). The access's reduced-search footprint stays
 * its memory key (sync_op); the point only moves the step boundary to it.
 *
 * A loop of atomics with nothing else between (a hand-rolled spin lock, a
 * poll of a flag) would spend a step per iteration and run a budget out
 * under a schedule that keeps the spinning thread running: after
 * ATOMIC_CHAIN_MAX points of one thread with no other step between, its
 * further atomics are plain until it calls the kernel or another thread
 * runs, and the spin detection of sim/host/spin.h (which does not count
 * these points as another thread's progress) takes over as without the
 * directive.
 *
 * Off (`atomics plain`, the default): nothing is called, every trace is the
 * one it was before the directive existed. Needs the memory-access
 * instrumentation (`-Ddriver_access=true`, the default). */
#ifndef NMRSIM_ATOMIC_POINT_H
#define NMRSIM_ATOMIC_POINT_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"

/* Points of one thread in a row, with no other step between, before its
 * atomics go plain (a check-then-act needs 2; a CAS loop's retry 2 more). */
#define ATOMIC_CHAIN_MAX 16

/* One run's state (in struct host_run: driver code takes no context
 * argument, so the entry points find it through host_current). */
struct atomic_points {
	struct sched *sched;   /* the run's scheduler; NULL: `atomics plain` */
	uint32_t step;         /* the step at which the chain's last point ended */
	uint32_t chain;        /* points of `thread` in a row with no other step between */
	uint32_t taken;        /* points taken this run (not progress for spin.c) */
	uint8_t thread;        /* the thread of the chain */
};

/* Start of a run: on = the scenario's `atomics preempt`. */
void atomic_points_run_init(struct atomic_points *a, struct sched *s, bool on);
/* An atomic or volatile access by driver code at pc, of `bytes` bytes, with
 * operand `operand` (0 where none): a scheduling point and its event. */
void atomic_point(struct atomic_points *a, enum atomic_op op, unsigned bytes, int64_t operand, const void *pc);
/* Points taken so far in the running run (0 without one or when off). */
uint32_t atomic_points_taken(void);

#endif
