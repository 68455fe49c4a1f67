/* nmr_model.c - the registrar model: registrations, bindings and the
 * attach / detach / complete / cleanup state machines, with the freedoms the
 * documentation leaves open taken as choices:
 *   F1 attach inside NmrRegister* (handle written before or after) or later on a worker
 *   F2 order of detach callbacks, of bindings among themselves
 *   F3 detach and cleanup at PASSIVE or DISPATCH
 *   F4 cleanup inside the call that finished detach, or later on a worker
 *   F5 callback on the caller's thread or an NMR worker
 *   F6 INSUFFICIENT_RESOURCES from NmrRegister* and NmrClientAttachProvider
 * Option 0 of each is the plain behaviour (inline, in order, PASSIVE).
 * Planted bugs (m->mutant) exist only to prove the oracle's R rules. */
#include "nmr/nmr.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "scenario/scenario.h"

/* ---- handles ---- */

static uint32_t make_handle(struct nmr_model *m, uint32_t tag, uint32_t slot)
{
	m->generation++;
	return (tag << 28) | ((m->generation & 0xfffffu) << 8) | (slot & 0xffu);
}

static struct nmr_reg *reg_of(struct nmr_model *m, enum nmr_role role, HANDLE h)
{
	uint32_t v = nmr_handle_value(h);
	uint32_t slot = v & 0xffu;
	uint32_t tag = v >> 28;
	if (slot >= NMR_REGS_MAX || tag != (role == NMR_CLIENT ? NMR_TAG_CLIENT : NMR_TAG_PROVIDER))
		return NULL;
	struct nmr_reg *r = &m->regs[slot];
	if (r->state == REG_FREE || r->handle != v)
		return NULL;
	return r;
}

static struct nmr_binding *binding_of(struct nmr_model *m, HANDLE h)
{
	uint32_t v = nmr_handle_value(h);
	uint32_t slot = v & 0xffu;
	if (slot >= NMR_BINDINGS_MAX || (v >> 28) != NMR_TAG_BINDING)
		return NULL;
	struct nmr_binding *b = &m->bindings[slot];
	if (b->state == BIND_FREE || b->handle != v)
		return NULL;
	return b;
}

static uint16_t slot_of_binding(const struct nmr_model *m, const struct nmr_binding *b)
{
	return (uint16_t)(b - m->bindings);
}

static uint16_t slot_of_reg(const struct nmr_model *m, const struct nmr_reg *r)
{
	return (uint16_t)(r - m->regs);
}

/* ---- deferred deliveries ---- */

static bool can_defer(const struct nmr_model *m)
{
	return m->nworkers > 0;
}

static void queue_work(struct nmr_model *m, struct nmr_work w)
{
	if (m->queue_len == NMR_WORK_MAX) {
		/* Full: a real registrar would allocate; the model counts the
		 * loss (visible in stats) rather than corrupting state. */
		m->dropped_work++;
		return;
	}
	m->queue[(m->queue_head + m->queue_len) % NMR_WORK_MAX] = w;
	m->queue_len++;
	for (uint32_t i = 0; i < m->nworkers; i++) {
		struct sim_thread *t = m->workers[i];
		if (t && t->state == TS_BLOCKED && t->idle_worker) {
			sched_wake(m->sched, t);
			break;
		}
	}
}

static void emit_choice(struct nmr_model *m, enum choice_kind kind, uint32_t option)
{
	struct event e = { .kind = EV_CHOICE, .what = (uint8_t)kind, .module = EV_NONE8, .peer = EV_NONE8,
			   .binding = EV_NONE16, .arg = option };
	sched_emit(m->sched, &e);
}

static uint32_t take(struct nmr_model *m, enum choice_kind kind, uint32_t n)
{
	uint32_t v = choice_pick(m->choice, kind, n);
	if (n > 1 && v != 0)
		emit_choice(m, kind, v);
	return v;
}

static uint8_t callback_irql(struct nmr_model *m)
{
	if (m->mutant == MUTANT_HIGH_IRQL)
		return HIGH_LEVEL;
	return take(m, CK_F3_IRQL, 2) ? DISPATCH_LEVEL : PASSIVE_LEVEL;
}

/* The caller runs above DISPATCH (its own bug, M05): callbacks must not
 * inherit that IRQL, so they go to a worker when there is one. */
static bool caller_above_dispatch(const struct nmr_model *m)
{
	return m->sched->current && m->sched->current->irql > DISPATCH_LEVEL;
}

/* ---- registration completion ---- */

static void reg_check_done(struct nmr_model *m, struct nmr_reg *r)
{
	if (r->state != REG_DEREGISTERING || r->nbindings != 0)
		return;
	r->state = REG_DONE;
	struct event e = { .kind = EV_DEREG_COMPLETE, .module = r->module, .peer = EV_NONE8, .binding = EV_NONE16,
			   .reg = r->handle, .handle = r->handle };
	sched_emit(m->sched, &e);
	for (uint32_t w = r->waiters; w; w &= w - 1)
		sched_wake(m->sched, &m->sched->threads[__builtin_ctz(w)]);
}

static void binding_free(struct nmr_model *m, struct nmr_binding *b)
{
	for (int side = 0; side < 2; side++) {
		struct nmr_reg *r = &m->regs[b->reg[side]];
		assert(r->nbindings > 0);
		r->nbindings--;
	}
	uint8_t regs[2] = { b->reg[0], b->reg[1] };
	memset(b, 0, sizeof(*b));
	for (int side = 0; side < 2; side++)
		reg_check_done(m, &m->regs[regs[side]]);
}

/* ---- cleanup ---- */

static void cleanup_side(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side, uint8_t irql)
{
	if (b->cleaned[side])
		return;
	b->cleaned[side] = true;
	b->side[side] = SIDE_CLEANED;
	uint32_t bh = b->handle;
	uint16_t slot = slot_of_binding(m, b);
	nmr_deliver_cleanup(m->sched, side, &m->regs[b->reg[side]], &m->regs[b->reg[!side]], slot, bh, b->context[side], irql);
	if (m->mutant == MUTANT_DOUBLE_CLEANUP && side == NMR_CLIENT)
		nmr_deliver_cleanup(m->sched, side, &m->regs[b->reg[side]], &m->regs[b->reg[!side]], slot, bh, b->context[side], irql);
}

static void cleanup_binding(struct nmr_model *m, struct nmr_binding *b, uint8_t irql)
{
	uint32_t bh = b->handle;
	cleanup_side(m, b, NMR_CLIENT, irql);
	if (b->handle != bh)
		return;
	cleanup_side(m, b, NMR_PROVIDER, irql);
	if (b->handle != bh)
		return;
	binding_free(m, b);
}

static bool side_detached(const struct nmr_binding *b, int side)
{
	return b->side[side] == SIDE_DETACHED || b->side[side] == SIDE_CLEANED;
}

/* Both sides finished detach: clean up now, on this thread (option 0), or
 * later on a worker (F4). */
static void maybe_cleanup(struct nmr_model *m, struct nmr_binding *b)
{
	if (b->state != BIND_DETACHING || !side_detached(b, 0) || !side_detached(b, 1))
		return;
	b->state = BIND_CLEANUP;
	uint8_t irql = callback_irql(m);
	if (can_defer(m) && (caller_above_dispatch(m) || take(m, CK_F4_CLEANUP, 2))) {
		struct nmr_work w = { .kind = WORK_CLEANUP, .irql = irql, .slot_a = (uint8_t)slot_of_binding(m, b),
				      .handle_a = b->handle };
		queue_work(m, w);
		return;
	}
	cleanup_binding(m, b, irql);
}

/* ---- detach ---- */

static void detach_side(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side, uint8_t irql)
{
	if (b->side[side] != SIDE_ATTACHED)
		return;
	b->side[side] = SIDE_DETACHING;
	b->completed_early[side] = false;
	uint32_t bh = b->handle;
	uint16_t slot = slot_of_binding(m, b);
	struct nmr_reg *self = &m->regs[b->reg[side]], *peer = &m->regs[b->reg[!side]];
	NTSTATUS st = nmr_deliver_detach(m->sched, side, self, peer, slot, bh, b->context[side], irql);
	if (m->mutant == MUTANT_DOUBLE_DETACH && side == NMR_CLIENT && b->handle == bh)
		(void)nmr_deliver_detach(m->sched, side, self, peer, slot, bh, b->context[side], irql);
	if (b->handle != bh || b->side[side] != SIDE_DETACHING)
		return; /* a planted bug already moved it on */
	/* Anything but PENDING counts as SUCCESS (M14 is the module's bug;
	 * the model stays consistent). A Complete that raced the callback
	 * finishes a PENDING at once. */
	if (st == STATUS_PENDING && !b->completed_early[side]) {
		b->side[side] = SIDE_PENDING;
		return;
	}
	b->side[side] = SIDE_DETACHED;
	if (m->mutant == MUTANT_EARLY_CLEANUP && !side_detached(b, !side)) {
		cleanup_side(m, b, side, irql);
		return;
	}
	maybe_cleanup(m, b);
}

static void deliver_or_defer_detach(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side)
{
	uint8_t irql = callback_irql(m);
	if (can_defer(m) && (caller_above_dispatch(m) || take(m, CK_F5_THREAD, 2))) {
		struct nmr_work w = { .kind = WORK_DETACH_SIDE, .side = (uint8_t)side, .irql = irql,
				      .slot_a = (uint8_t)slot_of_binding(m, b), .handle_a = b->handle };
		queue_work(m, w);
		return;
	}
	detach_side(m, b, side, irql);
}

static void start_detach(struct nmr_model *m, struct nmr_binding *b)
{
	if (b->state != BIND_ATTACHED)
		return;
	b->state = BIND_DETACHING;
	uint32_t bh = b->handle;
	enum nmr_role first = take(m, CK_F2_ORDER, 2) ? NMR_PROVIDER : NMR_CLIENT;
	deliver_or_defer_detach(m, b, first);
	if (b->handle == bh)
		deliver_or_defer_detach(m, b, (enum nmr_role)!first);
}

/* Detach every attached binding of r, in an order the choice stream picks (F2). */
static void detach_all(struct nmr_model *m, struct nmr_reg *r)
{
	uint8_t slots[NMR_BINDINGS_MAX];
	uint32_t handles[NMR_BINDINGS_MAX];
	uint32_t n = 0;
	uint16_t rs = slot_of_reg(m, r);
	for (uint32_t i = 0; i < NMR_BINDINGS_MAX; i++) {
		struct nmr_binding *b = &m->bindings[i];
		if (b->state == BIND_ATTACHED && (b->reg[0] == rs || b->reg[1] == rs)) {
			slots[n] = (uint8_t)i;
			handles[n++] = b->handle;
		}
	}
	while (n > 0) {
		uint32_t k = take(m, CK_F2_ORDER, n);
		struct nmr_binding *b = &m->bindings[slots[k]];
		if (b->handle == handles[k])
			start_detach(m, b);
		slots[k] = slots[n - 1];
		handles[k] = handles[n - 1];
		n--;
	}
}

/* ---- attach ---- */

static bool reg_offerable(const struct nmr_model *m, const struct nmr_reg *r)
{
	if (r->state == REG_ACTIVE)
		return true;
	if (m->mutant == MUTANT_ATTACH_AFTER_DEREG && r->state == REG_DEREGISTERING)
		return true;
	if (m->mutant == MUTANT_LATE_CALLBACK && r->state == REG_WAITED)
		return true;
	return false;
}

static bool pair_bound(const struct nmr_model *m, uint16_t c, uint16_t p)
{
	for (uint32_t i = 0; i < NMR_BINDINGS_MAX; i++) {
		const struct nmr_binding *b = &m->bindings[i];
		if (b->state != BIND_FREE && b->reg[NMR_CLIENT] == c && b->reg[NMR_PROVIDER] == p)
			return true;
	}
	return false;
}

static void attach_pair(struct nmr_model *m, struct nmr_reg *c, struct nmr_reg *p)
{
	uint16_t cs = slot_of_reg(m, c), ps = slot_of_reg(m, p);
	if (!reg_offerable(m, c) || !reg_offerable(m, p))
		return;
	if (m->mutant != MUTANT_WRONG_NPI && c->npi != p->npi)
		return;
	if (m->mutant != MUTANT_DUP_ATTACH && pair_bound(m, cs, ps))
		return;
	struct nmr_binding *b = NULL;
	for (uint32_t i = 0; i < NMR_BINDINGS_MAX; i++)
		if (m->bindings[i].state == BIND_FREE) {
			b = &m->bindings[i];
			break;
		}
	if (!b)
		return; /* no slot: the pair stays unbound (a capacity limit, not a rule) */
	memset(b, 0, sizeof(*b));
	b->handle = make_handle(m, NMR_TAG_BINDING, slot_of_binding(m, b));
	b->state = BIND_ATTACHING;
	b->reg[NMR_CLIENT] = (uint8_t)cs;
	b->reg[NMR_PROVIDER] = (uint8_t)ps;
	b->side[NMR_CLIENT] = SIDE_ATTACHING;
	c->nbindings++;
	p->nbindings++;
	uint32_t bh = b->handle;
	NTSTATUS st = nmr_deliver_client_attach(m->sched, c, p, slot_of_binding(m, b), bh, PASSIVE_LEVEL,
						&b->attach_called, &b->attach_status);
	if (b->handle != bh)
		return;
	if (st == STATUS_SUCCESS && b->side[NMR_PROVIDER] == SIDE_ATTACHED) {
		b->side[NMR_CLIENT] = SIDE_ATTACHED;
		b->state = BIND_ATTACHED;
		if (m->mutant == MUTANT_DUP_ATTACH && !pair_bound(m, cs, ps))
			attach_pair(m, c, p);
		/* A deregistration that started while we attached detaches now. */
		if (c->state != REG_ACTIVE || p->state != REG_ACTIVE)
			start_detach(m, b);
		return;
	}
	/* Attach failed (or the provider side was already detached by a planted
	 * bug): the binding goes away without callbacks. */
	binding_free(m, b);
}

static void offer_attaches(struct nmr_model *m, struct nmr_reg *r)
{
	uint16_t rs = slot_of_reg(m, r);
	for (uint32_t i = 0; i < NMR_REGS_MAX; i++) {
		struct nmr_reg *o = &m->regs[i];
		if (i == rs || o->state == REG_FREE || o->role == r->role)
			continue;
		if (!reg_offerable(m, r))
			return;
		struct nmr_reg *c = r->role == NMR_CLIENT ? r : o;
		struct nmr_reg *p = r->role == NMR_CLIENT ? o : r;
		if (!reg_offerable(m, o))
			continue;
		attach_pair(m, c, p);
		if (m->mutant == MUTANT_DUP_ATTACH)
			attach_pair(m, c, p);
	}
}

/* ---- the registrar operations ---- */

static NTSTATUS model_register(void *impl, enum nmr_role role, const void *chars, void *context, HANDLE *handle,
			       uint8_t module, uint8_t npi)
{
	struct nmr_model *m = impl;
	if (!chars || nmr_chars_bad(role, chars) & (CHARS_BAD_ATTACH_BIT | CHARS_BAD_DETACH_BIT |
						    CHARS_BAD_NPIID_BIT | CHARS_BAD_MODULEID_BIT))
		return STATUS_INVALID_PARAMETER;
	if (choice_chance(m->choice, CK_F6_FAULT, m->fault_num, m->fault_den)) {
		emit_choice(m, CK_F6_FAULT, 1);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	struct nmr_reg *r = NULL;
	for (uint32_t i = 0; i < NMR_REGS_MAX; i++)
		if (m->regs[i].state == REG_FREE || (m->regs[i].state == REG_WAITED && m->mutant != MUTANT_LATE_CALLBACK)) {
			r = &m->regs[i];
			break;
		}
	if (!r)
		return STATUS_INSUFFICIENT_RESOURCES;
	memset(r, 0, sizeof(*r));
	r->handle = make_handle(m, role == NMR_CLIENT ? NMR_TAG_CLIENT : NMR_TAG_PROVIDER, slot_of_reg(m, r));
	r->state = REG_ACTIVE;
	r->role = (uint8_t)role;
	r->module = module;
	r->npi = npi;
	r->chars = chars;
	r->context = context;
	/* F1: attach here after writing the handle (0), here before writing it
	 * (1), or later on a worker (2). Attach callbacks need PASSIVE. */
	bool passive = m->sched->current && m->sched->current->irql == PASSIVE_LEVEL;
	uint32_t f1 = take(m, CK_F1_ATTACH, can_defer(m) ? 3 : 2);
	if (!passive && can_defer(m))
		f1 = 2;
	if (f1 == 2 || !passive) {
		*handle = nmr_handle_make(r->handle);
		if (can_defer(m)) {
			struct nmr_work w = { .kind = WORK_ATTACH, .slot_a = (uint8_t)slot_of_reg(m, r),
					      .handle_a = r->handle };
			queue_work(m, w);
		}
		return STATUS_SUCCESS;
	}
	if (f1 == 0)
		*handle = nmr_handle_make(r->handle);
	offer_attaches(m, r);
	*handle = nmr_handle_make(r->handle);
	return STATUS_SUCCESS;
}

static NTSTATUS model_deregister(void *impl, enum nmr_role role, HANDLE h)
{
	struct nmr_model *m = impl;
	struct nmr_reg *r = reg_of(m, role, h);
	if (!r || r->state != REG_ACTIVE)
		return STATUS_INVALID_PARAMETER;
	r->state = REG_DEREGISTERING;
	if (m->mutant == MUTANT_SKIP_DETACH) {
		/* Planted bug: declares the deregistration complete with bindings alive. */
		uint8_t n = r->nbindings;
		r->nbindings = 0;
		reg_check_done(m, r);
		r->nbindings = n;
	} else {
		detach_all(m, r);
		reg_check_done(m, r);
	}
	return m->mutant == MUTANT_DEREG_SUCCESS ? STATUS_SUCCESS : STATUS_PENDING;
}

#ifdef NMRSIM_CANARY
/* CANARY (built only with -Dcanary=true; fuzz/canary.sh, docs/FUZZING.md):
 * one planted registrar bug the fuzzers must find. A Wait on a provider's
 * deregistration returns at once when that provider's last binding is done
 * with detach and its cleanup was deferred to an NMR worker (F4) that has
 * not run yet, while another deferred delivery is queued ahead of it: the
 * wait returns before the cleanup (R08, then R10 when the cleanup runs).
 * Reaching it takes workers, the F4 deferral, a second queued delivery and
 * the waiter running before the worker: no seed does, mutation does. */
static bool canary_cleanup_queued(const struct nmr_model *m, const struct nmr_reg *r)
{
	uint16_t rs = slot_of_reg(m, r);
	for (uint32_t i = 0; i < m->queue_len; i++) {
		const struct nmr_work *w = &m->queue[(m->queue_head + i) % NMR_WORK_MAX];
		if (i > 0 && w->kind == WORK_CLEANUP && m->bindings[w->slot_a].handle == w->handle_a &&
		    m->bindings[w->slot_a].reg[NMR_PROVIDER] == rs)
			return true;
	}
	return false;
}
#endif

static NTSTATUS model_wait(void *impl, enum nmr_role role, HANDLE h)
{
	struct nmr_model *m = impl;
	struct nmr_reg *r = reg_of(m, role, h);
	if (!r || r->state == REG_ACTIVE || r->state == REG_WAITED)
		return STATUS_INVALID_PARAMETER;
	struct sim_thread *t = m->sched->current;
	uint32_t v = r->handle;
#ifdef NMRSIM_CANARY
	if (role == NMR_PROVIDER && r->state == REG_DEREGISTERING && r->nbindings == 1 && canary_cleanup_queued(m, r))
		return STATUS_SUCCESS;
#endif
	if (m->mutant != MUTANT_EARLY_WAIT) {
		while (r->handle == v && r->state == REG_DEREGISTERING) {
			r->waiters |= 1u << t->id;
			sched_block(m->sched, BLOCK_DEREG_WAIT, slot_of_reg(m, r));
			r->waiters &= ~(1u << t->id);
		}
		if (r->handle != v || r->state != REG_DONE)
			return STATUS_INVALID_PARAMETER; /* another waiter took it */
	}
	if (r->state == REG_DONE) {
		/* The slot stays as REG_WAITED (not reused while a planted bug may
		 * still call into it); its handle is dead from now on. */
		r->state = REG_WAITED;
	}
	return STATUS_SUCCESS;
}

static NTSTATUS model_client_attach_provider(void *impl, HANDLE bh, PVOID cbc, const void *cdisp, PVOID *pbc,
					     const void **pdisp)
{
	struct nmr_model *m = impl;
	struct nmr_binding *b = binding_of(m, bh);
	if (!b || b->state != BIND_ATTACHING || b->side[NMR_PROVIDER] != SIDE_NONE)
		return STATUS_INVALID_PARAMETER;
	b->attach_called = true;
	b->attach_status = STATUS_NOINTERFACE;
	/* A deregistration that began while the client's attach callback ran
	 * ends the attach: the provider is offered nothing after its
	 * NmrDeregisterProvider returned (R03). */
	if (!reg_offerable(m, &m->regs[b->reg[NMR_CLIENT]]) || !reg_offerable(m, &m->regs[b->reg[NMR_PROVIDER]]))
		return STATUS_NOINTERFACE;
	b->attach_status = STATUS_INSUFFICIENT_RESOURCES;
	if (choice_chance(m->choice, CK_F6_FAULT, m->fault_num, m->fault_den)) {
		emit_choice(m, CK_F6_FAULT, 1);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	b->side[NMR_PROVIDER] = SIDE_ATTACHING;
	b->context[NMR_CLIENT] = cbc;
	b->dispatch[NMR_CLIENT] = cdisp;
	uint32_t v = b->handle;
	bool written = false;
	PVOID ctx = NULL;
	const void *disp = NULL;
	NTSTATUS st = nmr_deliver_provider_attach(m->sched, &m->regs[b->reg[NMR_CLIENT]], &m->regs[b->reg[NMR_PROVIDER]],
						  slot_of_binding(m, b), v, cbc, cdisp, &ctx, &disp, &written);
	if (b->handle != v)
		return STATUS_INVALID_PARAMETER;
	b->attach_status = st;
	if (st != STATUS_SUCCESS) {
		b->side[NMR_PROVIDER] = SIDE_NONE;
		return st;
	}
	b->side[NMR_PROVIDER] = SIDE_ATTACHED;
	b->context[NMR_PROVIDER] = ctx;
	b->dispatch[NMR_PROVIDER] = disp;
	*pbc = ctx;
	*pdisp = disp;
	if (m->mutant == MUTANT_DETACH_EARLY) {
		/* Planted bug: the provider is detached before the client's attach
		 * callback returned. */
		b->state = BIND_DETACHING;
		detach_side(m, b, NMR_PROVIDER, PASSIVE_LEVEL);
		if (b->handle == v)
			b->state = BIND_ATTACHING;
	}
	return st;
}

static void model_detach_complete(void *impl, enum nmr_role side, HANDLE bh)
{
	struct nmr_model *m = impl;
	struct nmr_binding *b = binding_of(m, bh);
	if (!b)
		return; /* VOID API: nothing to answer; the oracle reports M16 */
	if (b->side[side] == SIDE_DETACHING) {
		b->completed_early[side] = true;
		return;
	}
	if (b->side[side] != SIDE_PENDING)
		return; /* M15 */
	b->side[side] = SIDE_DETACHED;
	maybe_cleanup(m, b);
}

const struct nmr_registrar_ops nmr_model_ops = {
	.register_module = model_register,
	.deregister = model_deregister,
	.wait = model_wait,
	.client_attach_provider = model_client_attach_provider,
	.detach_complete = model_detach_complete,
};

/* ---- workers ---- */

static void run_work(struct nmr_model *m, const struct nmr_work *w)
{
	switch (w->kind) {
	case WORK_ATTACH: {
		struct nmr_reg *r = &m->regs[w->slot_a];
		if (r->handle == w->handle_a && reg_offerable(m, r))
			offer_attaches(m, r);
		break;
	}
	case WORK_DETACH_SIDE: {
		struct nmr_binding *b = &m->bindings[w->slot_a];
		if (b->handle == w->handle_a)
			detach_side(m, b, (enum nmr_role)w->side, w->irql);
		break;
	}
	case WORK_CLEANUP: {
		struct nmr_binding *b = &m->bindings[w->slot_a];
		if (b->handle == w->handle_a && b->state == BIND_CLEANUP)
			cleanup_binding(m, b, w->irql);
		break;
	}
	}
}

void nmr_model_worker(struct sched *s, void *model)
{
	struct nmr_model *m = model;
	for (;;) {
		if (m->queue_len == 0) {
			s->current->idle_worker = true;
			sched_block(s, BLOCK_WORK, EV_NONE16);
			continue;
		}
		struct nmr_work w = m->queue[m->queue_head];
		m->queue_head = (m->queue_head + 1) % NMR_WORK_MAX;
		m->queue_len--;
		sched_point(s);
		run_work(m, &w);
	}
}

void nmr_model_init(struct nmr_model *m, struct sched *s, struct choice *c, uint8_t mutant,
		    uint8_t fault_num, uint8_t fault_den)
{
	memset(m, 0, sizeof(*m));
	m->sched = s;
	m->choice = c;
	m->mutant = mutant;
	m->fault_num = fault_num;
	m->fault_den = fault_den;
}

static const char *side_state_name(uint8_t st)
{
	static const char *const names[] = { "none", "attaching", "attached", "in its detach callback",
					     "detach PENDING, Complete not called", "detached", "cleaned up" };
	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

int nmr_model_describe_wait(const struct nmr_model *m, uint16_t slot, const char *const *names, char *buf, size_t cap)
{
	if (slot >= NMR_REGS_MAX)
		return snprintf(buf, cap, "registration slot %u", (unsigned)slot);
	const struct nmr_reg *r = &m->regs[slot];
	int len = snprintf(buf, cap, "deregistration of %s (handle 0x%08x) still has %u binding(s)",
			   names ? names[r->module] : "?", r->handle, (unsigned)r->nbindings);
	for (uint32_t i = 0; i < NMR_BINDINGS_MAX && len >= 0 && (size_t)len < cap; i++) {
		const struct nmr_binding *b = &m->bindings[i];
		if (b->state == BIND_FREE || (b->reg[0] != slot && b->reg[1] != slot))
			continue;
		const struct nmr_reg *c = &m->regs[b->reg[0]], *p = &m->regs[b->reg[1]];
		len += snprintf(buf + len, cap - (size_t)len, "; binding #%u: %s %s, %s %s", i,
				names ? names[c->module] : "client", side_state_name(b->side[0]),
				names ? names[p->module] : "provider", side_state_name(b->side[1]));
	}
	return len;
}
