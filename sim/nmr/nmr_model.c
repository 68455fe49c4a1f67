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
 * Planted bugs (m->mutant) exist only to prove the oracle's R rules.
 *
 * This file: handles, registrations (FREE -> ACTIVE -> DEREGISTERING -> DONE
 * -> WAITED, a WAITED slot reused) and the registrar operations behind
 * nmr_model_ops. The bindings are nmr_binding.c, the workers nmr_work.c. */
#include <string.h>

#include "nmr/nmr_model.h"
#include "kernel/kernel.h"
#include "trace/trace.h"

/* ---- handles ---- */

_Static_assert(NMR_TAG_BINDING == POR_NMR_TAG_BINDING && NMR_TAG_CLIENT < NMR_TAG_BINDING &&
		       NMR_TAG_PROVIDER < NMR_TAG_BINDING,
	       "the reduced search reads a handle's slot and tag as nmr.h lays them out (sched/por_log.c)");

uint32_t nmr_model_new_handle(struct nmr_model *m, uint32_t tag, uint32_t slot)
{
	SIM_ASSERT(tag >= NMR_TAG_CLIENT && tag <= NMR_TAG_BINDING, "a handle's tag is client, provider or binding");
	SIM_ASSERT_LT(slot, tag == NMR_TAG_BINDING ? NMR_BINDINGS_MAX : NMR_REGS_MAX, "a handle's slot is in its table");
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
	SIM_ASSERT(r->role == (uint8_t)role, "a registration's handle tag matches its role");
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
	SIM_ASSERT_LT(b->reg[NMR_CLIENT], NMR_REGS_MAX, "a live binding's client is a registration slot");
	SIM_ASSERT_LT(b->reg[NMR_PROVIDER], NMR_REGS_MAX, "a live binding's provider is a registration slot");
	return b;
}

/* ---- choices ---- */

void nmr_model_emit_choice(struct nmr_model *m, enum choice_kind kind, uint32_t option)
{
	struct event e = { .kind = EV_CHOICE, .what = (uint8_t)kind, .module = EV_NONE8, .peer = EV_NONE8,
			   .binding = EV_NONE16, .arg = option };
	sched_emit(m->sched, &e);
}

uint32_t nmr_model_take(struct nmr_model *m, enum choice_kind kind, uint32_t n)
{
	uint32_t v = choice_pick(m->choice, kind, n);
	SIM_ASSERT(v < n || n == 0, "a freedom takes one of its options");
	if (n > 1 && v != 0)
		nmr_model_emit_choice(m, kind, v);
	return v;
}

/* ---- options that give the same run (the reduced search) ----
 *
 * Some freedom options are provably the same run as the option taken. The
 * registrar marks such a choice in the log (CHOICE_REC_SAME_NEXT, bounded
 * exhaustive search only), and the reduced search (run/dpor.c) skips the
 * next option where every run through the choice confirmed it. Nothing
 * else changes a run: the skipped one would emit one more event (EV_CHOICE,
 * trace only, in a step that touches the registrar's key anyway), and
 * differ nowhere else, so its findings, choices and footprints are the
 * taken one's.
 *
 * What "nothing happened" means: no event, no kernel routine call (every
 * WDK routine goes through kernel_get; KeGetCurrentIrql emits no event),
 * no scheduling point, no choice. Driver or module code that did only
 * that cannot have read the IRQL or a handle: those are read through
 * routines, events carry the IRQL to the oracle, and nothing else exists
 * for it to read.
 *
 * For F3 only, "nothing that saw the IRQL" is enough: the callback's own
 * thread emitted no event but its two and entered only routines that behave
 * the same at PASSIVE and DISPATCH (each takes its entry and events back
 * from the thread's irql_seen: sched/sched.h, sched_irql_blind; a cleanup
 * freeing its context). Its scheduling points may let other threads run in
 * between: nothing of theirs reads another thread's IRQL (the scheduler
 * offers the same threads at any IRQL), and the callback thread's own steps
 * have the same footprints at either level (an IRQL change touches no key
 * of an instrumented driver; DRVCODE of another is an over-approximation).
 * So the run at DISPATCH makes the same choices with the same footprints
 * and findings; the IRQL in its events and two EV_IRQL events (entry,
 * exit) are all that differ. A run equivalent to one explored has the same
 * steps per thread, so the same verdict. */
static struct nmr_quiet quiet_now(const struct nmr_model *m)
{
	const struct sim_thread *t = m->sched->current;
	return (struct nmr_quiet){ .events = m->sched->trace->count,
				   .entries = kernel_current ? kernel_current->entries : 0,
				   .steps = m->sched->step,
				   .choices = m->choice->count,
				   .seen = t ? t->irql_seen : 0,
				   .thread = t ? t->id : EV_NONE8,
				   .pos = UINT32_MAX };
}

static bool quiet_since(const struct nmr_model *m, const struct nmr_quiet *q, uint32_t events)
{
	struct nmr_quiet now = quiet_now(m);
	return now.events - q->events == events && now.entries == q->entries && now.steps == q->steps &&
	       now.choices == q->choices;
}

/* The callback's thread saw no IRQL (above): only its `events` own. */
static bool blind_since(const struct nmr_model *m, const struct nmr_quiet *q, uint32_t events)
{
	struct nmr_quiet now = quiet_now(m);
	return q->thread != EV_NONE8 && now.thread == q->thread && now.seen - q->seen == events;
}

/* F3: PASSIVE (0) or DISPATCH (1). A detach or cleanup callback delivered
 * at PASSIVE that did nothing but return (its CB_ENTER and CB_EXIT events
 * only) behaves the same at DISPATCH: its code cannot have seen the IRQL,
 * the oracle's IRQL checks on those two events (R09: limit DISPATCH for
 * detach and cleanup; the kernel's entry/exit IRQL match) pass either way,
 * and the IRQL is its caller's again after it. So the choice is marked at
 * once (no callback delivered yet: none saw it, e.g. work still queued at
 * the end of the run) and unmarked by any callback at it that did more. */
nmr_cb_irql nmr_model_callback_irql(struct nmr_model *m)
{
	if (m->mutant == MUTANT_HIGH_IRQL)
		return HIGH_LEVEL;
	if (nmr_model_take(m, CK_F3_IRQL, 2))
		return DISPATCH_LEVEL;
	uint32_t pos = choice_dfs_last(m->choice);
	if (pos == UINT32_MAX)
		return PASSIVE_LEVEL;
	choice_same_next(m->choice, pos, true);
	return PASSIVE_LEVEL | (pos + 1u) << 8;
}

struct nmr_quiet nmr_model_watch(struct nmr_model *m, nmr_cb_irql irql)
{
	struct nmr_quiet q = quiet_now(m);
	if (irql >> 8 == 0)
		return q;
	q.pos = (irql >> 8) - 1u;
	q.same = choice_is_same_next(m->choice, q.pos);
	choice_same_next(m->choice, q.pos, false); /* until it returns quiet (a run may end inside it) */
	return q;
}

void nmr_model_watched(struct nmr_model *m, const struct nmr_quiet *q)
{
	if (q->pos != UINT32_MAX)
		choice_same_next(m->choice, q->pos, q->same && blind_since(m, q, 2)); /* quiet implies blind */
}

/* ---- registration completion ---- */

void nmr_model_reg_check_done(struct nmr_model *m, struct nmr_reg *r)
{
	if (r->state != REG_DEREGISTERING || r->nbindings != 0)
		return;
	r->state = REG_DONE;
	struct event e = { .kind = EV_DEREG_COMPLETE, .module = r->module, .peer = EV_NONE8, .binding = EV_NONE16,
			   .reg = r->handle, .handle = r->handle };
	sched_emit(m->sched, &e);
	for (uint32_t w = r->waiters; w; w &= w - 1) {
		SIM_ASSERT_LT((unsigned)__builtin_ctz(w), m->sched->nthreads, "a deregistration's waiters are threads");
		sched_wake(m->sched, &m->sched->threads[__builtin_ctz(w)]);
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
		nmr_model_emit_choice(m, CK_F6_FAULT, 1);
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
	NMR_MODEL_ASSERT(m, r->nbindings == 0, "a registration slot is reused only with no binding");
	memset(r, 0, sizeof(*r));
	r->handle = nmr_model_new_handle(m, role == NMR_CLIENT ? NMR_TAG_CLIENT : NMR_TAG_PROVIDER, nmr_model_reg_slot(m, r));
	r->state = REG_ACTIVE;
	r->role = (uint8_t)role;
	r->module = module;
	r->npi = npi;
	r->chars = chars;
	r->context = context;
	/* F1: attach here after writing the handle (0), here before writing it
	 * (1), or later on a worker (2). Attach callbacks need PASSIVE. */
	bool passive = m->sched->current && m->sched->current->irql == PASSIVE_LEVEL;
	uint32_t f1 = nmr_model_take(m, CK_F1_ATTACH, nmr_model_can_defer(m) ? 3 : 2);
	uint32_t f1_pos = f1 == 0 && passive ? choice_dfs_last(m->choice) : UINT32_MAX;
	if (!passive && nmr_model_can_defer(m))
		f1 = 2;
	if (f1 == 2 || !passive) {
		*handle = nmr_handle_make(r->handle);
		if (nmr_model_can_defer(m)) {
			struct nmr_work w = { .kind = WORK_ATTACH, .slot_a = (uint8_t)nmr_model_reg_slot(m, r),
					      .handle_a = r->handle };
			nmr_model_queue_work(m, w);
		}
		return STATUS_SUCCESS;
	}
	if (f1 == 0)
		*handle = nmr_handle_make(r->handle);
	/* F1 option 1 (the handle written after the attaches) is option 0's
	 * run when there was nothing to attach, or when nobody read or wrote
	 * the handle while the attaches ran: the two options differ only in
	 * when the handle's bytes change. Watched where every access is seen: a
	 * hosted driver registering (not a scripted module: engine code), the
	 * handle in driver memory, no driver in the run without the access
	 * instrumentation, no watch already open (a register inside an attach). */
	struct sched_por *por = m->sched->por;
	uintptr_t off;
	bool watch = f1_pos != UINT32_MAX && por && por->mem_region && !por->hosted && !por->watch_hi &&
		     module < 32 && (por->drivers >> module & 1u) &&
		     por->mem_region((uintptr_t)handle, &off) != POR_MEM_OTHER;
	if (watch) {
		por->watch_lo = (uintptr_t)handle;
		por->watch_hi = (uintptr_t)handle + sizeof(*handle);
		por->watch_hit = false;
	}
	struct nmr_quiet q = quiet_now(m);
	nmr_model_offer_attaches(m, r);
	if (watch)
		por->watch_hi = 0;
	if (f1_pos != UINT32_MAX && (quiet_since(m, &q, 0) || (watch && !por->watch_hit)))
		choice_same_next(m->choice, f1_pos, true);
	*handle = nmr_handle_make(r->handle);
	return STATUS_SUCCESS;
}

static NTSTATUS model_deregister(void *impl, enum nmr_role role, HANDLE h)
{
	struct nmr_model *m = impl;
	struct nmr_reg *r = reg_of(m, role, h);
	if (m->mutant == MUTANT_DEREGISTER_AGAIN && r && r->state != REG_ACTIVE)
		return STATUS_PENDING; /* planted bug: a repeated call answered as if it were the first */
	if (!r || r->state != REG_ACTIVE)
		return STATUS_INVALID_PARAMETER;
	r->state = REG_DEREGISTERING;
	if (m->mutant == MUTANT_SKIP_DETACH) {
		/* Planted bug: declares the deregistration complete with bindings alive. */
		uint8_t n = r->nbindings;
		r->nbindings = 0;
		nmr_model_reg_check_done(m, r);
		r->nbindings = n;
	} else {
		nmr_model_detach_all(m, r);
		nmr_model_reg_check_done(m, r);
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
	uint16_t rs = nmr_model_reg_slot(m, r);
	sched_touch(m->sched, POR_NMR_QUEUE); /* reads the work queue (nmr_work.c) */
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
	SIM_ASSERT(t != NULL, "a Wait runs on a simulated thread");
	uint32_t v = r->handle;
#ifdef NMRSIM_CANARY
	if (role == NMR_PROVIDER && r->state == REG_DEREGISTERING && r->nbindings == 1 && canary_cleanup_queued(m, r))
		return STATUS_SUCCESS;
#endif
	if (m->mutant != MUTANT_EARLY_WAIT) {
		while (r->handle == v && r->state == REG_DEREGISTERING) {
			r->waiters |= 1u << t->id;
			sched_block(m->sched, BLOCK_DEREG_WAIT, nmr_model_reg_slot(m, r));
			r->waiters &= ~(1u << t->id);
		}
		if (r->handle != v || r->state != REG_DONE)
			return STATUS_INVALID_PARAMETER; /* another waiter took it */
	}
	if (r->state == REG_DONE) {
		NMR_MODEL_ASSERT(m, r->nbindings == 0, "a completed deregistration has no binding");
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
	NMR_MODEL_ASSERT(m, b->side[NMR_CLIENT] == SIDE_ATTACHING, "an attaching binding's client side attaches");
	b->attach_called = true;
	b->attach_status = STATUS_NOINTERFACE;
	/* A deregistration that began while the client's attach callback ran
	 * ends the attach: the provider is offered nothing after its
	 * NmrDeregisterProvider returned (R03). */
	if (!nmr_model_reg_offerable(m, &m->regs[b->reg[NMR_CLIENT]]) ||
	    !nmr_model_reg_offerable(m, &m->regs[b->reg[NMR_PROVIDER]]))
		return STATUS_NOINTERFACE;
	b->attach_status = STATUS_INSUFFICIENT_RESOURCES;
	if (choice_chance(m->choice, CK_F6_FAULT, m->fault_num, m->fault_den)) {
		nmr_model_emit_choice(m, CK_F6_FAULT, 1);
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
						  nmr_model_binding_slot(m, b), v, cbc, cdisp, &ctx, &disp, &written);
	if (b->handle != v)
		return STATUS_INVALID_PARAMETER;
	NMR_MODEL_ASSERT(m, b->side[NMR_PROVIDER] == SIDE_ATTACHING, "the provider side attaches until its callback returns");
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
		nmr_model_detach_side(m, b, NMR_PROVIDER, PASSIVE_LEVEL);
		if (b->handle == v)
			b->state = BIND_ATTACHING;
	}
	return st;
}

/* Planted bug: a Complete finishes the binding of the caller's registration
 * whose side has been PENDING longest, not the one it names (a registrar
 * keeping a FIFO of pending detaches per registration). Right whenever a
 * module completes in the order its detaches pended, as work items do. */
static struct nmr_binding *complete_wrong_binding(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side)
{
	struct nmr_binding *oldest = b;
	for (uint32_t i = 0; i < NMR_BINDINGS_MAX; i++) {
		struct nmr_binding *o = &m->bindings[i];
		if (o->state == BIND_DETACHING && o->reg[side] == b->reg[side] && o->side[side] == SIDE_PENDING &&
		    o->pending_since[side] < oldest->pending_since[side])
			oldest = o;
	}
	return oldest;
}

static void model_detach_complete(void *impl, enum nmr_role side, HANDLE bh)
{
	struct nmr_model *m = impl;
	struct nmr_binding *b = binding_of(m, bh);
	if (!b)
		return; /* VOID API: nothing to answer; the oracle reports M16 */
	SIM_ASSERT_LE((unsigned)side, NMR_PROVIDER, "a side is the client's or the provider's");
	/* The reduced search: a Complete changes what a Wait or a completed
	 * deregistration of either registration judges (R08, R04). */
	if (nmr_model_fine(m)) {
		por_log_nmr_object(m->sched->por, POR_NMR_REG(b->reg[NMR_CLIENT]), false);
		por_log_nmr_object(m->sched->por, POR_NMR_REG(b->reg[NMR_PROVIDER]), false);
	}
	if (b->side[side] == SIDE_DETACHING) {
		b->completed_early[side] = true;
		return;
	}
	if (b->side[side] != SIDE_PENDING)
		return; /* M15 */
	if (m->mutant == MUTANT_COMPLETE_WRONG)
		b = complete_wrong_binding(m, b, side);
	NMR_MODEL_ASSERT(m, b->state == BIND_DETACHING, "a side is PENDING only while its binding detaches");
	b->side[side] = SIDE_DETACHED;
	nmr_model_maybe_cleanup(m, b);
}

const struct nmr_registrar_ops nmr_model_ops = {
	.register_module = model_register,
	.deregister = model_deregister,
	.wait = model_wait,
	.client_attach_provider = model_client_attach_provider,
	.detach_complete = model_detach_complete,
};

void nmr_model_init(struct nmr_model *m, struct sched *s, struct choice *c, uint8_t mutant,
		    uint8_t fault_num, uint8_t fault_den)
{
	SIM_ASSERT(s != NULL, "the model has a scheduler");
	SIM_ASSERT(c != NULL, "the model has a choice stream");
	memset(m, 0, sizeof(*m));
	m->sched = s;
	m->choice = c;
	m->mutant = mutant;
	m->fault_num = fault_num;
	m->fault_den = fault_den;
}
