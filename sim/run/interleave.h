/* interleave.h - interleaving coverage: features that describe the
 * concurrency a run exercised, for coverage-guided search (the fuzzers'
 * feedback, nmr-explore's --strategy cover).
 *
 * Code coverage cannot tell two interleavings of the same code apart; these
 * features can. Fed every event of a run (a trace observer chained after the
 * oracle), it counts two kinds of feature into a caller's byte map:
 *
 *  - overlap: an activity starts on one thread (an NMR callback, an NMR API
 *    call, a dispatch call, a driver's Unload or DriverEntry, a kernel
 *    routine) while another thread is inside an activity: (what starts,
 *    what the other thread is inside, same module or not). "A detach
 *    callback entered while a dispatch call was in flight."
 *  - order: consecutive events on one object (a binding, an NMR handle, a
 *    kernel object): (previous event, this event, same thread or not). "A
 *    cleanup callback entered before the Complete that allowed it returned."
 *
 * Each feature is hashed into [0, slots) and its byte incremented
 * (saturating). Events only: no addresses, no clock, so the same run gives
 * the same map. Off (no map) costs nothing: the run installs the observer
 * only when asked. */
#ifndef NMRSIM_INTERLEAVE_H
#define NMRSIM_INTERLEAVE_H

#include <stdint.h>

#include "core/config.h"
#include "trace/trace.h"

#define INTERLEAVE_DEPTH 8     /* activities tracked per thread (deeper nesting is not told apart) */
#define INTERLEAVE_OBJECTS 64  /* objects tracked per run (open addressing; more are not) */

struct interleave {
	uint8_t *map;                      /* the caller's counters */
	uint32_t slots;                    /* their count (> 0) */
	uint64_t busy;                     /* bit per thread id with an activity open */
	uint8_t depth[SIM_THREADS_MAX];    /* open activities per thread */
	uint16_t stack[SIM_THREADS_MAX][INTERLEAVE_DEPTH]; /* their labels, innermost last */
	uint8_t stack_module[SIM_THREADS_MAX][INTERLEAVE_DEPTH]; /* the module of each */
	uint32_t obj_key[INTERLEAVE_OBJECTS];   /* object keys, 0 = free */
	uint16_t obj_label[INTERLEAVE_OBJECTS]; /* the last event's label per object */
	uint8_t obj_thread[INTERLEAVE_OBJECTS]; /* and its thread */
	uint32_t features;                 /* features counted this run */
};

/* Start a run: clear the per-run state (not the map: the caller owns it). */
void interleave_init(struct interleave *il, uint8_t *map, uint32_t slots);

/* Feed one event. */
void interleave_event(struct interleave *il, const struct event *e);

#endif
