/* shadow.c - the oracle's shadow of registrations, bindings and threads
 * (shadow.h): lookups, creation and recycling, the per-thread frames, and
 * the two halves of taking one event in. No rule is decided here. */
#include "oracle/shadow.h"

#include <assert.h>
#include <string.h>

/* ---- registrations ---- */

int shadow_reg_find(const struct oracle *o, uint32_t handle)
{
	if (!handle)
		return NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++)
		if (o->regs[i].state != REG_FREE && o->regs[i].handle == handle)
			return (int)i;
	return NO_INDEX;
}

int shadow_reg_current(const struct oracle *o, uint8_t module, unsigned role)
{
	int best = NO_INDEX, best_done = NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++) {
		const struct oracle_reg *r = &o->regs[i];
		if (r->state == REG_FREE || r->module != module || r->role != role)
			continue;
		int *slot = r->state == REG_WAIT_RETURNED ? &best_done : &best;
		if (*slot == NO_INDEX || o->regs[*slot].seq < r->seq)
			*slot = (int)i;
	}
	return best != NO_INDEX ? best : best_done;
}

static int reg_create(struct oracle *o, uint32_t handle, uint8_t module, unsigned role, uint8_t npi,
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

/* A registration moves forward only (or is forgotten: REG_FREE). */
static void reg_advance(struct oracle_reg *r, enum oracle_reg_state to)
{
	assert(r->state != REG_FREE && (unsigned)to > r->state);
	r->state = (uint8_t)to;
}

/* A callback reached a registration handle not seen yet: NmrRegister* may
 * still be running (F1). Take its data from an in-flight register frame. */
static int reg_from_inflight(struct oracle *o, const struct event *e, unsigned role)
{
	for (unsigned t = 0; t < SIM_THREADS_MAX; t++) {
		struct oracle_thread *th = &o->threads[t];
		unsigned n = th->api_depth < ORACLE_API_DEPTH_MAX ? th->api_depth : ORACLE_API_DEPTH_MAX;
		for (unsigned j = 0; j < n; j++) {
			struct oracle_api_frame *f = &th->api[j];
			if (f->api != API_REGISTER_CLIENT + role || f->module != e->module)
				continue;
			f->handle = e->reg; /* so a failing register forgets it again */
			return reg_create(o, e->reg, e->module, role, f->npi, f->digest, true, e->step);
		}
	}
	return NO_INDEX;
}

/* The registration a deregister/wait frame recorded, if it still is that one. */
static struct oracle_reg *frame_reg(struct oracle *o, const struct oracle_api_frame *f)
{
	if (!f || !f->valid || f->reg_index >= o->nregs)
		return NULL;
	struct oracle_reg *r = &o->regs[f->reg_index];
	return r->state != REG_FREE && r->seq == f->reg_seq ? r : NULL;
}

/* ---- bindings ---- */

int shadow_binding_find(const struct oracle *o, uint32_t handle)
{
	if (!handle)
		return NO_INDEX;
	for (uint32_t i = 0; i < o->nbindings; i++)
		if (o->bindings[i].live && o->bindings[i].handle == handle)
			return (int)i;
	return NO_INDEX;
}

bool shadow_binding_finished(const struct oracle_binding *b)
{
	return !b->live || b->attach_state == BATT_FAILED || (b->cleanup_calls[0] && b->cleanup_calls[1]);
}

static struct oracle_binding *binding_create(struct oracle *o, uint32_t handle, uint16_t slot_id)
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

static void binding_update_attach(struct oracle_binding *b)
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
static void side_advance(struct oracle_binding *b, unsigned side, enum oracle_side_state to)
{
	assert(side < 2 && (unsigned)to > b->side_state[side]);
	b->side_state[side] = (uint8_t)to;
}

static void count_up(uint8_t *n)
{
	if (*n < UINT8_MAX)
		(*n)++;
}

/* ---- per-thread frames ---- */

int shadow_cb_top(const struct oracle_thread *t)
{
	if (!t || t->depth == 0 || t->depth > ORACLE_CB_DEPTH_MAX)
		return NO_INDEX;
	return t->depth - 1;
}

static void cb_push(struct oracle_thread *t, const struct event *e)
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
static int cb_pop(struct oracle_thread *t, uint8_t cb, uint32_t handle)
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

static struct oracle_api_frame *api_push(struct oracle_thread *t, const struct event *e,
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

static struct oracle_api_frame *api_pop(struct oracle_thread *t, uint8_t api)
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

/* ---- one event: resolve ---- */

static void view_reg(struct oracle *o, struct oracle_view *v, int ri)
{
	assert(ri == NO_INDEX || (uint32_t)ri < o->nregs);
	v->ri = ri;
	v->r = ri != NO_INDEX ? &o->regs[ri] : NULL;
}

static void view_binding(struct oracle *o, struct oracle_view *v, uint32_t handle)
{
	int bi = shadow_binding_find(o, handle);
	assert(bi == NO_INDEX || (uint32_t)bi < o->nbindings);
	v->b = bi != NO_INDEX ? &o->bindings[bi] : NULL;
}

bool shadow_resolve(struct oracle *o, const struct event *e, struct oracle_view *v)
{
	struct oracle_thread *t = e->thread < SIM_THREADS_MAX ? &o->threads[e->thread] : NULL;
	v->e = e;
	v->t = t;
	v->f = NULL;
	v->r = v->peer = NULL;
	v->ri = v->cb_index = NO_INDEX;
	v->b = NULL;
	v->side = 0;
	v->hung = false;
	switch (e->kind) {
	case EV_THREAD_START:
		if (t)
			memset(t, 0, sizeof *t);
		return false;
	case EV_API_ENTER:
		v->f = api_push(t, e, &v->scratch);
		switch (e->what) {
		case API_REGISTER_CLIENT:
		case API_REGISTER_PROVIDER:
			v->f->npi = e->peer;
			v->f->digest = e->aux;
			break;
		case API_DEREGISTER_CLIENT:
		case API_DEREGISTER_PROVIDER:
		case API_WAIT_CLIENT:
		case API_WAIT_PROVIDER:
			v->side = e->what & 1u; /* the role: client APIs are even */
			view_reg(o, v, shadow_reg_find(o, e->handle));
			break;
		case API_CLIENT_DETACH_COMPLETE:
		case API_PROVIDER_DETACH_COMPLETE:
			v->side = e->what - API_CLIENT_DETACH_COMPLETE;
			view_binding(o, v, e->handle);
			break;
		default:
			break;
		}
		return true;
	case EV_API_EXIT:
		v->f = api_pop(t, e->what);
		v->r = frame_reg(o, v->f);
		return true;
	case EV_CB_ENTER: {
		if (e->what >= CB_COUNT)
			return false;
		v->side = e->what & 1u; /* client callbacks are even, provider odd */
		int ri = shadow_reg_find(o, e->reg);
		if (ri == NO_INDEX && e->reg)
			ri = reg_from_inflight(o, e, v->side);
		view_reg(o, v, ri);
		view_binding(o, v, e->handle);
		if (e->what == CB_CLIENT_ATTACH) {
			int pi = shadow_reg_current(o, e->peer, 1);
			v->peer = pi != NO_INDEX ? &o->regs[pi] : NULL;
		}
		return true;
	}
	case EV_CB_EXIT:
		if (e->what >= CB_COUNT)
			return false;
		v->side = e->what & 1u;
		v->cb_index = cb_pop(t, e->what, e->handle);
		assert(v->cb_index == NO_INDEX || (t && v->cb_index < ORACLE_CB_DEPTH_MAX));
		view_binding(o, v, e->handle);
		return true;
	case EV_CALL_ENTER:
		view_binding(o, v, e->handle);
		if (!v->b)
			return false;
		if (e->module == v->b->client_module)
			v->side = 0;
		else if (e->module == v->b->provider_module)
			v->side = 1;
		else
			return false; /* neither side's module: nothing to judge */
		return true;
	case EV_DEREG_COMPLETE:
		view_reg(o, v, shadow_reg_find(o, e->reg));
		return true;
	case EV_BLOCK:
	case EV_UNLOAD_EXIT:
		return true;
	default:
		return false;
	}
}

/* ---- one event: apply ---- */

static void apply_api_enter(struct oracle *o, struct oracle_view *v)
{
	const struct event *e = v->e;
	struct oracle_api_frame *f = v->f;
	struct oracle_reg *r = v->r;
	struct oracle_thread *t = v->t;
	switch (e->what) {
	case API_DEREGISTER_CLIENT:
	case API_DEREGISTER_PROVIDER:
	case API_WAIT_CLIENT:
	case API_WAIT_PROVIDER: {
		bool dereg = e->what <= API_DEREGISTER_PROVIDER;
		/* Deregister takes a live registration; wait one deregistered
		 * and not waited for (M04, M06, M07 judged the others). */
		if (!r || r->role != v->side || r->state == REG_WAIT_RETURNED ||
		    (dereg ? r->state != REG_REGISTERED : r->state == REG_REGISTERED))
			break;
		f->valid = true;
		f->reg_index = (uint16_t)v->ri;
		f->reg_seq = r->seq;
		if (dereg) {
			reg_advance(r, REG_DEREGISTERING);
			r->step_deregistered = e->step;
		}
		break;
	}
	case API_CLIENT_ATTACH_PROVIDER: {
		int top = shadow_cb_top(t);
		if (top == NO_INDEX || t->cb[top] != CB_CLIENT_ATTACH)
			break; /* M11 */
		t->attach_called[top] = true;
		t->attach_returned[top] = false;
		f->cb_index = (uint8_t)top;
		break;
	}
	case API_CLIENT_DETACH_COMPLETE:
	case API_PROVIDER_DETACH_COMPLETE: {
		struct oracle_binding *b = v->b;
		unsigned side = v->side;
		/* The registrar acts on a Complete made by the other side's module
		 * all the same (the API names the side): follow it, so later checks
		 * judge the registrar on what it was told. A Complete after cleanup
		 * or on a failed attach changes nothing. */
		if (!b || (!binding_foreign_caller(b, side, e->module) &&
			   (b->cleanup_calls[side] || b->attach_state == BATT_FAILED)))
			break;
		count_up(&b->completes[side]);
		if (b->side_state[side] == SIDE_PENDING) {
			side_advance(b, side, SIDE_DETACHED);
			b->step_detached[side] = e->step;
		} else if (b->side_state[side] == SIDE_DETACHING) {
			b->complete_early[side] = true; /* decided at the detach callback's exit (M15) */
		}
		break;
	}
	default:
		break;
	}
}

static void apply_api_exit(struct oracle *o, struct oracle_view *v)
{
	const struct event *e = v->e;
	struct oracle_api_frame *f = v->f;
	struct oracle_reg *r = v->r;
	switch (e->what) {
	case API_REGISTER_CLIENT:
	case API_REGISTER_PROVIDER: {
		unsigned role = e->what - API_REGISTER_CLIENT;
		if (e->status != ST_SUCCESS || e->handle == 0) {
			int early = f && f->handle ? shadow_reg_find(o, f->handle) : NO_INDEX;
			if (early != NO_INDEX && o->regs[early].module == e->module)
				o->regs[early].state = REG_FREE;
			break;
		}
		int ri = shadow_reg_find(o, e->handle);
		if (ri != NO_INDEX && o->regs[ri].module == e->module && o->regs[ri].role == role &&
		    o->regs[ri].state != REG_WAIT_RETURNED)
			break; /* created when a callback reached it before the return (F1) */
		reg_create(o, e->handle, e->module, role, f ? f->npi : EV_NONE8, f ? f->digest : 0, f != NULL, e->step);
		break;
	}
	case API_DEREGISTER_CLIENT:
	case API_DEREGISTER_PROVIDER:
		if (r && r->state == REG_DEREGISTERING)
			reg_advance(r, REG_DEREGISTERED);
		break;
	case API_WAIT_CLIENT:
	case API_WAIT_PROVIDER:
		if (!r || r->state == REG_WAIT_RETURNED || e->status != ST_SUCCESS)
			break;
		reg_advance(r, REG_WAIT_RETURNED);
		r->step_wait = e->step;
		break;
	case API_CLIENT_ATTACH_PROVIDER: {
		struct oracle_thread *t = v->t;
		if (f && t && f->cb_index < t->depth && f->cb_index < ORACLE_CB_DEPTH_MAX &&
		    t->cb[f->cb_index] == CB_CLIENT_ATTACH) {
			t->attach_status[f->cb_index] = e->status;
			t->attach_returned[f->cb_index] = true;
		}
		break;
	}
	default:
		break;
	}
}

static void apply_cb_enter(struct oracle *o, struct oracle_view *v)
{
	const struct event *e = v->e;
	struct oracle_binding *b = v->b;
	unsigned side = v->side;
	switch (e->what) {
	case CB_CLIENT_ATTACH:
	case CB_PROVIDER_ATTACH:
		/* A new binding, unless the other side's attach came first. */
		if ((!b || b->attach_cb[side] != ACB_NONE) && e->handle) {
			uint32_t peer_reg = 0;
			if (side == 0) {
				peer_reg = v->peer ? v->peer->handle : 0;
			} else {
				int ci = shadow_reg_current(o, e->peer, 0);
				peer_reg = ci != NO_INDEX ? o->regs[ci].handle : 0;
			}
			b = binding_create(o, e->handle, e->binding);
			if (b) {
				*(side ? &b->client_module : &b->provider_module) = e->peer;
				*(side ? &b->client_reg : &b->provider_reg) = peer_reg;
			}
		}
		if (b) {
			*(side ? &b->provider_module : &b->client_module) = e->module;
			*(side ? &b->provider_reg : &b->client_reg) = e->reg;
			b->attach_cb[side] = ACB_RUNNING;
			binding_update_attach(b);
		}
		break;
	case CB_CLIENT_DETACH:
	case CB_PROVIDER_DETACH:
		if (!b)
			break;
		count_up(&b->detach_calls[side]);
		if (b->side_state[side] == SIDE_ATTACHED)
			side_advance(b, side, SIDE_DETACHING);
		break;
	case CB_CLIENT_CLEANUP:
	case CB_PROVIDER_CLEANUP:
		if (!b)
			break;
		count_up(&b->cleanup_calls[side]);
		if (b->cleanup_calls[side] == 1)
			b->step_cleanup[side] = e->step;
		break;
	default:
		break;
	}
	cb_push(v->t, e);
}

static void apply_cb_exit(struct oracle_view *v)
{
	const struct event *e = v->e;
	struct oracle_binding *b = v->b;
	unsigned side = v->side;
	if (!b)
		return;
	switch (e->what) {
	case CB_CLIENT_ATTACH:
	case CB_PROVIDER_ATTACH:
		b->attach_cb[side] = e->status == ST_SUCCESS ? ACB_OK : ACB_FAILED;
		binding_update_attach(b);
		break;
	case CB_CLIENT_DETACH:
	case CB_PROVIDER_DETACH:
		if (b->side_state[side] != SIDE_DETACHING)
			break;
		if (!b->complete_early[side] && e->status == ST_PENDING)
			side_advance(b, side, SIDE_PENDING);
		else
			side_advance(b, side, SIDE_DETACHED); /* SUCCESS, or a Complete already made */
		b->step_detached[side] = e->step;
		break;
	default:
		break;
	}
}

void shadow_apply(struct oracle *o, struct oracle_view *v)
{
	switch (v->e->kind) {
	case EV_API_ENTER: apply_api_enter(o, v); break;
	case EV_API_EXIT: apply_api_exit(o, v); break;
	case EV_CB_ENTER: apply_cb_enter(o, v); break;
	case EV_CB_EXIT: apply_cb_exit(v); break;
	case EV_DEREG_COMPLETE:
		if (v->r)
			v->r->dereg_complete = true;
		break;
	default:
		break;
	}
}
