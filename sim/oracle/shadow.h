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
 * One event goes through the shadow in one pass (oracle.c's intake): it
 * finds what the event concerns (and pushes or pops the thread's frames),
 * the checks judge it against the state as it stood, then the state moves on. The lookups and frame operations that run at
 * every event are inline here; creating and recycling entries is in
 * shadow.c. The state machines only move forward
 * (asserted): a registration REGISTERED -> DEREGISTERING -> DEREGISTERED ->
 * WAIT_RETURNED, a binding side ATTACHED -> DETACHING -> PENDING -> DETACHED.
 */
#ifndef NMRSIM_ORACLE_SHADOW_H
#define NMRSIM_ORACLE_SHADOW_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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
 * the fields of the event's kind are set (oracle.c, the intake of each kind). */
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

/* ---- creating and recycling entries (shadow.c) ---- */

/* The module's current registration of that role: the newest not finished, else the newest. */
int shadow_reg_current(const struct oracle *o, uint8_t module, unsigned role);
/* The other side's registration an attach callback names: the event's peer_reg when tracked, else
 * the module's current one of that NPI when it has one, else of that role. */
int shadow_reg_offered(struct oracle *o, uint8_t module, unsigned role, uint8_t npi, uint32_t peer_reg, uint32_t step);
/* A new registration (REG_REGISTERED); its index, or NO_INDEX when the shadow is full of unfinished ones. */
int shadow_reg_create(struct oracle *o, uint32_t handle, uint8_t module, unsigned role, uint8_t npi,
		      uint32_t digest, bool digest_known, uint32_t step);
/* A callback reached (or named) registration reg of module before its NmrRegister* returned (F1): create
 * it from the register frame; NO_INDEX when no such frame is open. */
int shadow_reg_from_inflight(struct oracle *o, uint32_t reg, uint8_t module, unsigned role, uint32_t step);
/* Attach failed or both cleanups ran: may be recycled. */
bool shadow_binding_finished(const struct oracle_binding *b);
/* A new binding, or NULL when the shadow is full of unfinished ones. */
struct oracle_binding *shadow_binding_create(struct oracle *o, uint32_t handle, uint16_t slot_id);

/* ---- at every event: lookups, state moves, per-thread frames ---- */

static inline int shadow_reg_find(const struct oracle *o, uint32_t handle)
{
	if (!handle)
		return NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++)
		if (o->regs[i].state != REG_FREE && o->regs[i].handle == handle)
			return (int)i;
	return NO_INDEX;
}

/* A registration moves forward only (or is forgotten: REG_FREE). */
static inline void reg_advance(struct oracle_reg *r, enum oracle_reg_state to)
{
	assert(r->state != REG_FREE && (unsigned)to > r->state);
	r->state = (uint8_t)to;
}

/* The registration a deregister/wait frame recorded, if it still is that one. */
static inline struct oracle_reg *frame_reg(struct oracle *o, const struct oracle_api_frame *f)
{
	if (!f || !f->valid || f->reg_index >= o->nregs)
		return NULL;
	struct oracle_reg *r = &o->regs[f->reg_index];
	return r->state != REG_FREE && r->seq == f->reg_seq ? r : NULL;
}

static inline int shadow_binding_find(const struct oracle *o, uint32_t handle)
{
	if (!handle)
		return NO_INDEX;
	for (uint32_t i = 0; i < o->nbindings; i++)
		if (o->bindings[i].live && o->bindings[i].handle == handle)
			return (int)i;
	return NO_INDEX;
}

static inline void binding_update_attach(struct oracle_binding *b)
{
	uint8_t c = b->attach_cb[0], p = b->attach_cb[1];
	if (c == ACB_FAILED || p == ACB_FAILED || (c == ACB_OK && p == ACB_NONE))
		b->attach_state = BATT_FAILED;
	else if (c == ACB_OK && p == ACB_OK)
		b->attach_state = BATT_ATTACHED;
	else
		b->attach_state = BATT_ATTACHING;
}

/* A side's detach moves forward only. */
static inline void side_advance(struct oracle_binding *b, unsigned side, enum oracle_side_state to)
{
	assert(side < 2 && (unsigned)to > b->side_state[side]);
	b->side_state[side] = (uint8_t)to;
}

static inline void count_up(uint8_t *n)
{
	if (*n < UINT8_MAX)
		(*n)++;
}

/* A thread's shadow with no frames: every frame field is read only below
 * depth or api_depth and written by the push that raises them, so the two
 * depths are all a (re)started thread needs (not its whole ~300 bytes). */
static inline void shadow_thread_reset(struct oracle_thread *t)
{
	t->depth = 0;
	t->api_depth = 0;
}

static inline int shadow_cb_top(const struct oracle_thread *t)
{
	if (!t || t->depth == 0 || t->depth > ORACLE_CB_DEPTH_MAX)
		return NO_INDEX;
	return t->depth - 1;
}

static inline void cb_push(struct oracle_thread *t, const struct event *e)
{
	if (!t)
		return;
	if (t->depth < ORACLE_CB_DEPTH_MAX) {
		unsigned d = t->depth;
		t->cb[d] = e->what;
		t->cb_handle[d] = e->handle;
		t->cb_module[d] = e->module;
		t->attach_called[d] = false;
		t->attach_returned[d] = false;
		t->attach_status[d] = 0;
	}
	if (t->depth < UINT8_MAX)
		t->depth++;
}

/* Pop the callback frame matching (cb, handle): the innermost, or a deeper
 * one (frames above it were never closed). Returns its index (data stays
 * readable until the next push), NO_INDEX if not recorded. */
static inline int cb_pop(struct oracle_thread *t, uint8_t cb, uint32_t handle)
{
	if (!t || t->depth == 0)
		return NO_INDEX;
	if (t->depth > ORACLE_CB_DEPTH_MAX) {
		t->depth--;
		return NO_INDEX;
	}
	for (int i = t->depth - 1; i >= 0; i--) {
		if (t->cb[i] == cb && t->cb_handle[i] == handle) {
			t->depth = (uint8_t)i;
			return i;
		}
	}
	return NO_INDEX;
}

static inline struct oracle_api_frame *api_push(struct oracle_thread *t, const struct event *e,
					 struct oracle_api_frame *scratch)
{
	struct oracle_api_frame *f = scratch;
	if (t) {
		if (t->api_depth < ORACLE_API_DEPTH_MAX)
			f = &t->api[t->api_depth];
		if (t->api_depth < UINT8_MAX)
			t->api_depth++;
	}
	memset(f, 0, sizeof *f);
	f->api = e->what;
	f->module = e->module;
	f->irql = e->irql;
	f->handle = e->handle;
	f->cb_index = EV_NONE8;
	f->reg_index = EV_NONE16;
	return f;
}

static inline struct oracle_api_frame *api_pop(struct oracle_thread *t, uint8_t api)
{
	if (!t || t->api_depth == 0)
		return NULL;
	if (t->api_depth > ORACLE_API_DEPTH_MAX) {
		t->api_depth--;
		return NULL;
	}
	for (int i = t->api_depth - 1; i >= 0; i--) {
		if (t->api[i].api == api) {
			t->api_depth = (uint8_t)i;
			return &t->api[i];
		}
	}
	return NULL;
}

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

#endif
