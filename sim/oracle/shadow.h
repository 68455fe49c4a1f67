/* shadow.h - the oracle's shadow of registrations, bindings and threads,
 * built from events alone (internal to sim/oracle).
 *
 * The records themselves (struct oracle_reg, oracle_binding, oracle_thread)
 * are in oracle.h, because struct oracle holds them by value; their states
 * and every operation on them are here. Registrations are keyed by the
 * handle value the registrar returned, bindings by the binding handle of the
 * attach callbacks, and per thread the shadow keeps the NMR callbacks and API
 * calls it is inside. Handles are values, never dereferenced: any registrar
 * can be checked. A handle value seen again for a new registration or binding
 * makes the older entry with that value unfindable (the registrar reused it).
 *
 * Capacities: a full shadow recycles its oldest finished entry (registration:
 * wait returned; binding: attach failed or both cleanups ran). When every
 * entry is unfinished the new one is not tracked (regs_dropped,
 * bindings_dropped): events about it then match nothing and are not checked.
 * Deeper callback/API nesting than the per-thread arrays hold is counted but
 * not recorded: checks that need the innermost frame skip while it is
 * unknown. Events of a thread id >= SIM_THREADS_MAX have no thread shadow.
 *
 * One event goes through the shadow in two halves around the rule checks
 * (oracle.c): shadow_resolve finds what it concerns (and pushes or pops the
 * thread's frames), the checks judge it against the state as it stood, then
 * shadow_apply moves the state on. The state machines only move forward
 * (asserted): a registration REGISTERED -> DEREGISTERING -> DEREGISTERED ->
 * WAIT_RETURNED, a binding side ATTACHED -> DETACHING -> PENDING -> DETACHED.
 */
#ifndef NMRSIM_ORACLE_SHADOW_H
#define NMRSIM_ORACLE_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "oracle/oracle.h"

#define NO_INDEX -1
#define ST_SUCCESS 0
#define ST_PENDING 0x103
#define IRQL_PASSIVE 0u
#define IRQL_DISPATCH 2u

enum oracle_reg_state {
	REG_FREE = 0,      /* slot unused (or forgotten) */
	REG_REGISTERED,    /* NmrRegister* returned it */
	REG_DEREGISTERING, /* NmrDeregister* entered with it, not returned */
	REG_DEREGISTERED,  /* NmrDeregister* returned */
	REG_WAIT_RETURNED, /* NmrWaitFor*DeregisterComplete returned SUCCESS: finished */
};

/* One side's attach callback. */
enum oracle_attach_cb { ACB_NONE = 0, ACB_RUNNING, ACB_OK, ACB_FAILED };

/* The binding's attach, from its two attach callbacks (binding_update_attach). */
enum oracle_attach_state { BATT_ATTACHING = 0, BATT_ATTACHED, BATT_FAILED };

enum oracle_side_state {
	SIDE_ATTACHED = 0, /* detach not delivered */
	SIDE_DETACHING,    /* detach callback running */
	SIDE_PENDING,      /* it returned PENDING, no Complete yet */
	SIDE_DETACHED,     /* detach completed (SUCCESS, or Complete) */
};

/* One event resolved against the shadow: what the rule checks read. Only
 * the fields of the event's kind are set (see shadow_resolve). */
struct oracle_view {
	const struct event *e;
	struct oracle_thread *t;      /* the event's thread, NULL beyond SIM_THREADS_MAX */
	struct oracle_api_frame *f;   /* API enter: the frame pushed (scratch if not recorded); exit: popped, or NULL */
	struct oracle_reg *r;         /* registration concerned, NULL if none or not tracked */
	int ri;                       /* its index in regs, NO_INDEX */
	struct oracle_reg *peer;      /* client attach: the provider's current registration, NULL if unknown */
	struct oracle_binding *b;     /* binding concerned (by handle), NULL if none or not tracked */
	int cb_index;                 /* callback exit: the frame popped, NO_INDEX if not recorded */
	unsigned side;                /* 0 client, 1 provider: of the callback, Complete, dispatch caller or role */
	bool hung;                    /* end of run: the run ended in a hang */
	struct oracle_api_frame scratch; /* the frame of an API enter the thread shadow cannot hold */
};

/* ---- lookups ---- */

int shadow_reg_find(const struct oracle *o, uint32_t handle);
/* The module's current registration of that role: the newest not finished, else the newest. */
int shadow_reg_current(const struct oracle *o, uint8_t module, unsigned role);
int shadow_binding_find(const struct oracle *o, uint32_t handle);
bool shadow_binding_finished(const struct oracle_binding *b);
/* Innermost recorded callback frame index of t, or NO_INDEX (none, or not recorded). */
int shadow_cb_top(const struct oracle_thread *t);

static inline uint8_t binding_side_module(const struct oracle_binding *b, unsigned side)
{
	return side ? b->provider_module : b->client_module;
}

/* A Complete or dispatch call by a module other than the one on that side. */
static inline bool binding_foreign_caller(const struct oracle_binding *b, unsigned side, uint8_t module)
{
	uint8_t owner = binding_side_module(b, side);
	return module != EV_NONE8 && owner != EV_NONE8 && module != owner;
}

static inline bool attach_unreturned(uint8_t acb)
{
	return acb == ACB_NONE || acb == ACB_RUNNING;
}

/* ---- one event ---- */

/* Fill v for e (pushing or popping the thread's frames, creating a
 * registration a callback reached before NmrRegister* returned). False: the
 * event is of no concern to any rule (and the shadow took it already). */
bool shadow_resolve(struct oracle *o, const struct event *e, struct oracle_view *v);
/* Move the shadow on by the event v was resolved for, after the checks. */
void shadow_apply(struct oracle *o, struct oracle_view *v);

#endif
