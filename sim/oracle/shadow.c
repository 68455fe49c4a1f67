/* shadow.c - creating and recycling the oracle's shadow entries (shadow.h):
 * registrations and bindings, and a registration a callback reached before
 * NmrRegister* returned. No rule is decided here. */
#include "oracle/shadow.h"

#include <assert.h>
#include <string.h>

/* The module's newest registration of that role (and NPI, unless
 * EV_NONE8) that is not finished, else its newest finished one. */
static int reg_newest(const struct oracle *o, uint8_t module, unsigned role, uint8_t npi)
{
	int best = NO_INDEX, best_done = NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++) {
		const struct oracle_reg *r = &o->regs[i];
		if (r->state == REG_FREE || r->module != module || r->role != role || (npi != EV_NONE8 && r->npi != npi))
			continue;
		int *slot = r->state == REG_WAIT_RETURNED ? &best_done : &best;
		if (*slot == NO_INDEX || o->regs[*slot].seq < r->seq)
			*slot = (int)i;
	}
	return best != NO_INDEX ? best : best_done;
}

int shadow_reg_current(const struct oracle *o, uint8_t module, unsigned role)
{
	return reg_newest(o, module, role, EV_NONE8);
}

/* The registration of `module` an attach callback names as the other side:
 * the one the event names (peer_reg: a driver may register two providers
 * of one NPI, and a client attaches to each), from the shadow or, for a
 * peer still inside NmrRegister* (F1), from its register frame; else the
 * module's current registration
 * of that role and NPI (the event's arg: a driver may register one
 * provider per NPI, or a client of each), else its current one of that role. */
int shadow_reg_offered(struct oracle *o, uint8_t module, unsigned role, uint8_t npi, uint32_t peer_reg,
		       uint32_t step)
{
	int exact = peer_reg ? shadow_reg_find(o, peer_reg) : NO_INDEX;
	if (exact == NO_INDEX && peer_reg)
		exact = shadow_reg_from_inflight(o, peer_reg, module, role, step);
	if (exact != NO_INDEX && o->regs[exact].module == module && o->regs[exact].role == role)
		return exact;
	int i = npi != EV_NONE8 ? reg_newest(o, module, role, npi) : NO_INDEX;
	return i != NO_INDEX ? i : reg_newest(o, module, role, EV_NONE8);
}

int shadow_reg_create(struct oracle *o, uint32_t handle, uint8_t module, unsigned role, uint8_t npi,
		      uint32_t digest, bool digest_known, uint32_t step)
{
	int slot = NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++)
		if (o->regs[i].state != REG_FREE && o->regs[i].handle == handle)
			o->regs[i].state = REG_FREE; /* the registrar reused the value */
	if (o->nregs < ORACLE_REGS_MAX) {
		slot = (int)o->nregs++;
	} else {
		for (uint32_t i = 0; i < o->nregs && slot == NO_INDEX; i++)
			if (o->regs[i].state == REG_FREE)
				slot = (int)i;
		for (uint32_t i = 0; i < o->nregs && slot == NO_INDEX; i++) {
			/* oldest finished one */
			if (o->regs[i].state != REG_WAIT_RETURNED)
				continue;
			int old = (int)i;
			for (uint32_t j = i + 1; j < o->nregs; j++)
				if (o->regs[j].state == REG_WAIT_RETURNED && o->regs[j].seq < o->regs[old].seq)
					old = (int)j;
			slot = old;
		}
	}
	if (slot == NO_INDEX) {
		o->regs_dropped++;
		return NO_INDEX;
	}
	assert((uint32_t)slot < o->nregs && o->nregs <= ORACLE_REGS_MAX);
	struct oracle_reg *r = &o->regs[slot];
	memset(r, 0, sizeof *r);
	r->handle = handle;
	r->module = module;
	r->role = (uint8_t)role;
	r->npi = npi;
	r->state = REG_REGISTERED;
	r->digest = digest;
	r->digest_flagged = !digest_known;
	r->seq = ++o->seq;
	r->step_registered = step;
	return slot;
}

/* A callback reached a registration handle not seen yet: NmrRegister* may
 * still be running (F1). Take its data from an in-flight register frame. */
int shadow_reg_from_inflight(struct oracle *o, uint32_t reg, uint8_t module, unsigned role, uint32_t step)
{
	for (unsigned t = 0; t < SIM_THREADS_MAX; t++) {
		struct oracle_thread *th = &o->threads[t];
		unsigned n = th->api_depth < ORACLE_API_DEPTH_MAX ? th->api_depth : ORACLE_API_DEPTH_MAX;
		for (unsigned j = 0; j < n; j++) {
			struct oracle_api_frame *f = &th->api[j];
			if (f->api != API_REGISTER_CLIENT + role || f->module != module || (f->handle && f->handle != reg))
				continue;
			f->handle = reg; /* so a failing register forgets it again */
			return shadow_reg_create(o, reg, module, role, f->npi, f->digest, true, step);
		}
	}
	return NO_INDEX;
}

bool shadow_binding_finished(const struct oracle_binding *b)
{
	return !b->live || b->attach_state == BATT_FAILED || (b->cleanup_calls[0] && b->cleanup_calls[1]);
}

struct oracle_binding *shadow_binding_create(struct oracle *o, uint32_t handle, uint16_t slot_id)
{
	int slot = NO_INDEX;
	for (uint32_t i = 0; i < o->nbindings; i++)
		if (o->bindings[i].live && o->bindings[i].handle == handle)
			o->bindings[i].live = false;
	if (o->nbindings < ORACLE_BINDINGS_MAX) {
		slot = (int)o->nbindings++;
	} else {
		for (uint32_t i = 0; i < o->nbindings && slot == NO_INDEX; i++)
			if (!o->bindings[i].live)
				slot = (int)i;
		for (uint32_t i = 0; i < o->nbindings; i++)
			if (shadow_binding_finished(&o->bindings[i]) &&
			    (slot == NO_INDEX || (o->bindings[slot].live && o->bindings[i].seq < o->bindings[slot].seq)))
				slot = (int)i;
		if (slot != NO_INDEX && o->bindings[slot].live)
			o->bindings_recycled++;
	}
	if (slot == NO_INDEX) {
		o->bindings_dropped++;
		return NULL;
	}
	assert((uint32_t)slot < o->nbindings && o->nbindings <= ORACLE_BINDINGS_MAX);
	struct oracle_binding *b = &o->bindings[slot];
	memset(b, 0, sizeof *b);
	b->handle = handle;
	b->slot = slot_id;
	b->client_module = b->provider_module = EV_NONE8;
	b->live = true;
	b->seq = ++o->seq;
	return b;
}
