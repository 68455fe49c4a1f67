/* nmr_binding.c - the registrar model's bindings: attach, detach, complete
 * and cleanup, with the freedoms they take as choices (F2 order, F3 IRQL,
 * F4 cleanup inline or on a worker, F5 callback thread). The transitions:
 *   binding  FREE -> ATTACHING -> ATTACHED -> DETACHING -> CLEANUP -> FREE
 *            (ATTACHING -> FREE when the attach fails)
 *   side     NONE -> ATTACHING -> ATTACHED -> DETACHING [-> PENDING]
 *            -> DETACHED -> CLEANED
 * Each transition asserts where it comes from; planted bugs (m->mutant)
 * break them on purpose, so those checks are off under a planted bug. */
#include <string.h>

#include "nmr/nmr_model.h"

/* ---- cleanup ---- */

static void binding_free(struct nmr_model *m, struct nmr_binding *b)
{
	NMR_MODEL_ASSERT(m, b->state == BIND_CLEANUP || b->state == BIND_ATTACHING,
			 "a binding is freed after its cleanup or a failed attach");
	for (int side = 0; side < 2; side++) {
		SIM_ASSERT_LT(b->reg[side], NMR_REGS_MAX, "a binding's registrations are model slots");
		struct nmr_reg *r = &m->regs[b->reg[side]];
		SIM_ASSERT(r->nbindings > 0, "a live binding is counted by both its registrations");
		r->nbindings--;
	}
	uint8_t regs[2] = { b->reg[0], b->reg[1] };
	/* The slot (a later attach, which writes the registry, scans the
	 * slots) and its registrations' counts (read by their Wait). */
	if (nmr_model_fine(m)) {
		nmr_model_touch_binding(m, b);
		nmr_model_touch_reg(m, regs[0]);
		nmr_model_touch_reg(m, regs[1]);
	}
	memset(b, 0, sizeof(*b));
	for (int side = 0; side < 2; side++)
		nmr_model_reg_check_done(m, &m->regs[regs[side]]);
}

static void cleanup_side(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side, nmr_cb_irql irql)
{
	if (b->cleaned[side])
		return;
	NMR_MODEL_ASSERT(m, nmr_model_side_detached(b, side), "a side is cleaned up only after its detach finished");
	b->cleaned[side] = true;
	b->side[side] = SIDE_CLEANED;
	uint32_t bh = b->handle;
	uint16_t slot = nmr_model_binding_slot(m, b);
	struct nmr_quiet q = nmr_model_watch(m, irql);
	nmr_deliver_cleanup(m->sched, side, &m->regs[b->reg[side]], &m->regs[b->reg[!side]], slot, bh, b->context[side],
			    nmr_cb_level(irql));
	nmr_model_watched(m, &q);
	if (m->mutant == MUTANT_DOUBLE_CLEANUP && side == NMR_CLIENT) {
		q = nmr_model_watch(m, irql);
		nmr_deliver_cleanup(m->sched, side, &m->regs[b->reg[side]], &m->regs[b->reg[!side]], slot, bh,
				    b->context[side], nmr_cb_level(irql));
		nmr_model_watched(m, &q);
	}
}

void nmr_model_cleanup_binding(struct nmr_model *m, struct nmr_binding *b, nmr_cb_irql irql)
{
	SIM_ASSERT(b->state == BIND_CLEANUP, "a binding's cleanup runs in state CLEANUP");
	uint32_t bh = b->handle;
	cleanup_side(m, b, NMR_CLIENT, irql);
	if (b->handle != bh)
		return;
	cleanup_side(m, b, NMR_PROVIDER, irql);
	if (b->handle != bh)
		return;
	binding_free(m, b);
}

/* Both sides finished detach: clean up now, on this thread (option 0), or
 * later on a worker (F4). */
void nmr_model_maybe_cleanup(struct nmr_model *m, struct nmr_binding *b)
{
	if (b->state != BIND_DETACHING || !nmr_model_side_detached(b, 0) || !nmr_model_side_detached(b, 1))
		return;
	b->state = BIND_CLEANUP;
	nmr_cb_irql irql = nmr_model_callback_irql(m);
	if (nmr_model_can_defer(m) && (nmr_model_caller_above_dispatch(m) || nmr_model_take(m, CK_F4_CLEANUP, 2))) {
		struct nmr_work w = { .kind = WORK_CLEANUP, .irql = irql, .slot_a = (uint8_t)nmr_model_binding_slot(m, b),
				      .handle_a = b->handle };
		nmr_model_queue_work(m, w);
		return;
	}
	nmr_model_cleanup_binding(m, b, irql);
}

/* ---- detach ---- */

void nmr_model_detach_side(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side, nmr_cb_irql irql)
{
	SIM_ASSERT_LE((unsigned)side, NMR_PROVIDER, "a side is the client's or the provider's");
	if (b->side[side] != SIDE_ATTACHED)
		return;
	NMR_MODEL_ASSERT(m, b->state == BIND_DETACHING, "a side detaches only while its binding detaches");
	b->side[side] = SIDE_DETACHING;
	b->completed_early[side] = false;
	uint32_t bh = b->handle;
	uint16_t slot = nmr_model_binding_slot(m, b);
	struct nmr_reg *self = &m->regs[b->reg[side]], *peer = &m->regs[b->reg[!side]];
	struct nmr_quiet q = nmr_model_watch(m, irql);
	NTSTATUS st = nmr_deliver_detach(m->sched, side, self, peer, slot, bh, b->context[side], nmr_cb_level(irql));
	nmr_model_watched(m, &q);
	if (m->mutant == MUTANT_DOUBLE_DETACH && side == NMR_CLIENT && b->handle == bh) {
		q = nmr_model_watch(m, irql);
		(void)nmr_deliver_detach(m->sched, side, self, peer, slot, bh, b->context[side], nmr_cb_level(irql));
		nmr_model_watched(m, &q);
	}
	if (b->handle != bh || b->side[side] != SIDE_DETACHING)
		return; /* a planted bug already moved it on */
	/* Anything but PENDING counts as SUCCESS (M14 is the module's bug;
	 * the model stays consistent). A Complete that raced the callback
	 * finishes a PENDING at once. */
	if (st == STATUS_PENDING && !b->completed_early[side]) {
		b->side[side] = SIDE_PENDING;
		b->pending_since[side] = ++m->pending_clock;
		return;
	}
	b->side[side] = SIDE_DETACHED;
	if (m->mutant == MUTANT_EARLY_CLEANUP && !nmr_model_side_detached(b, !side)) {
		cleanup_side(m, b, side, irql);
		return;
	}
	nmr_model_maybe_cleanup(m, b);
}

static void deliver_or_defer_detach(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side)
{
	nmr_cb_irql irql = nmr_model_callback_irql(m);
	if (nmr_model_can_defer(m) && (nmr_model_caller_above_dispatch(m) || nmr_model_take(m, CK_F5_THREAD, 2))) {
		struct nmr_work w = { .kind = WORK_DETACH_SIDE, .side = (uint8_t)side, .irql = irql,
				      .slot_a = (uint8_t)nmr_model_binding_slot(m, b), .handle_a = b->handle };
		nmr_model_queue_work(m, w);
		return;
	}
	nmr_model_detach_side(m, b, side, irql);
}

static void start_detach(struct nmr_model *m, struct nmr_binding *b)
{
	if (b->state != BIND_ATTACHED)
		return;
	NMR_MODEL_ASSERT(m, b->side[NMR_CLIENT] == SIDE_ATTACHED, "an attached binding has its client side attached");
	NMR_MODEL_ASSERT(m, b->side[NMR_PROVIDER] == SIDE_ATTACHED, "an attached binding has its provider side attached");
	b->state = BIND_DETACHING;
	uint32_t bh = b->handle;
	enum nmr_role first = nmr_model_take(m, CK_F2_ORDER, 2) ? NMR_PROVIDER : NMR_CLIENT;
	deliver_or_defer_detach(m, b, first);
	if (b->handle == bh)
		deliver_or_defer_detach(m, b, (enum nmr_role)!first);
}

/* Detach every attached binding of r, in an order the choice stream picks (F2). */
void nmr_model_detach_all(struct nmr_model *m, struct nmr_reg *r)
{
	uint8_t slots[NMR_BINDINGS_MAX];
	uint32_t handles[NMR_BINDINGS_MAX];
	uint32_t n = 0;
	uint16_t rs = nmr_model_reg_slot(m, r);
	for (uint32_t i = 0; i < NMR_BINDINGS_MAX; i++) {
		struct nmr_binding *b = &m->bindings[i];
		/* Reads every binding of r, whatever its state (with the finer
		 * keys: detaching them is writing them, skipping one reads it). */
		if (b->state != BIND_FREE && (b->reg[0] == rs || b->reg[1] == rs) && nmr_model_fine(m))
			nmr_model_touch_binding(m, b);
		if (b->state == BIND_ATTACHED && (b->reg[0] == rs || b->reg[1] == rs)) {
			slots[n] = (uint8_t)i;
			handles[n++] = b->handle;
		}
	}
	NMR_MODEL_ASSERT(m, n <= r->nbindings, "a registration has at least as many bindings as it detaches");
	while (n > 0) {
		uint32_t k = nmr_model_take(m, CK_F2_ORDER, n);
		SIM_ASSERT_LT(k, n, "the detach order picks one of the bindings left");
		struct nmr_binding *b = &m->bindings[slots[k]];
		if (b->handle == handles[k])
			start_detach(m, b);
		slots[k] = slots[n - 1];
		handles[k] = handles[n - 1];
		n--;
	}
}

/* ---- attach ---- */

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
	uint16_t cs = nmr_model_reg_slot(m, c), ps = nmr_model_reg_slot(m, p);
	SIM_ASSERT(c->role == NMR_CLIENT, "the client of a pair is a client registration");
	SIM_ASSERT(p->role == NMR_PROVIDER, "the provider of a pair is a provider registration");
	if (!nmr_model_reg_offerable(m, c) || !nmr_model_reg_offerable(m, p))
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
	SIM_ASSERT(b->handle == 0, "a free binding slot holds no handle");
	memset(b, 0, sizeof(*b));
	b->handle = nmr_model_new_handle(m, NMR_TAG_BINDING, nmr_model_binding_slot(m, b));
	b->state = BIND_ATTACHING;
	b->reg[NMR_CLIENT] = (uint8_t)cs;
	b->reg[NMR_PROVIDER] = (uint8_t)ps;
	b->side[NMR_CLIENT] = SIDE_ATTACHING;
	SIM_ASSERT_LT(c->nbindings, NMR_BINDINGS_MAX, "a registration's bindings fit the binding table");
	SIM_ASSERT_LT(p->nbindings, NMR_BINDINGS_MAX, "a registration's bindings fit the binding table");
	c->nbindings++;
	p->nbindings++;
	uint32_t bh = b->handle;
	NTSTATUS st = nmr_deliver_client_attach(m->sched, c, p, nmr_model_binding_slot(m, b), bh, PASSIVE_LEVEL,
						&b->attach_called, &b->attach_status);
	if (b->handle != bh)
		return;
	NMR_MODEL_ASSERT(m, b->state == BIND_ATTACHING, "a binding attaches until its client's attach callback returns");
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

void nmr_model_offer_attaches(struct nmr_model *m, struct nmr_reg *r)
{
	uint16_t rs = nmr_model_reg_slot(m, r);
	for (uint32_t i = 0; i < NMR_REGS_MAX; i++) {
		struct nmr_reg *o = &m->regs[i];
		if (i == rs || o->state == REG_FREE || o->role == r->role)
			continue;
		if (!nmr_model_reg_offerable(m, r))
			return;
		struct nmr_reg *c = r->role == NMR_CLIENT ? r : o;
		struct nmr_reg *p = r->role == NMR_CLIENT ? o : r;
		if (!nmr_model_reg_offerable(m, o))
			continue;
		attach_pair(m, c, p);
		if (m->mutant == MUTANT_DUP_ATTACH)
			attach_pair(m, c, p);
	}
}
