/* scripted.c - scripted client and provider modules, driven by the scenario.
 * Correct by default; each buggy behaviour is one scenario setting, so every
 * rule has a module that breaks it and a twin that does not. */
#include "modules/scripted.h"

#include "host/host.h"
#include "kernel/kernel.h"

#include <stddef.h>
#include <string.h>

#include "core/assert.h"
#include "nmr/nmr.h"
#include "trace/trace.h"

struct scripted_run *scripted_current;

/* The scripted NPI's dispatch table: one function. */
struct scripted_dispatch {
	void (*call)(void *binding_context);
};

static void dispatch_call(void *binding_context) { (void)binding_context; }
static const struct scripted_dispatch dispatch_table = { dispatch_call };

static bool is_client(const struct scripted_module *m) { return m->cfg->role == ROLE_CLIENT; }

/* ---- binding contexts ---- */

static struct scripted_binding *binding_alloc(struct scripted_module *m, HANDLE bh)
{
	struct scripted_run *r = m->run;
	if (r->pool_used == SCRIPTED_BINDINGS_MAX || m->nbindings == SCRIPTED_BINDINGS_MAX)
		return NULL;
	SIM_ASSERT2(m->run == r, m->index < r->scn->nmodules, "a binding context's module is one of the run's");
	struct scripted_binding *b = &r->pool[r->pool_used++];
	memset(b, 0, sizeof(*b));
	b->owner = m;
	b->binding = bh;
	b->in_use = true;
	m->bindings[m->nbindings++] = b;
	m->allocations++;
	return b;
}

static void binding_release(struct scripted_binding *b)
{
	if (!b->in_use)
		return;
	SIM_ASSERT(b->owner->allocations > 0, "a binding context in use is counted by its module");
	b->in_use = false;
	b->owner->allocations--;
}

/* The scripted module whose registration instance this is (its ModuleId),
 * EV_NONE8 for any other module: `complete M peer=N` picks bindings by it. */
static uint8_t scripted_module_of(const struct scripted_run *r, const NPI_REGISTRATION_INSTANCE *ri)
{
	/* Only module i's GUID has Data1 = 0x6f6d0000 + i (module_init). */
	uint32_t i = ri && ri->ModuleId ? ri->ModuleId->Guid.Data1 - 0x6f6d0000u : UINT32_MAX;
	if (i < r->scn->nmodules && r->scn->modules[i].kind == MODULE_SCRIPTED &&
	    memcmp(&r->modules[i].module_id.Guid, &ri->ModuleId->Guid, sizeof(GUID)) == 0)
		return (uint8_t)i;
	return EV_NONE8;
}

/* ---- module work items (the system worker) ---- */

static void queue_work(struct scripted_run *r, struct scripted_work w)
{
	if (r->work_len == SCRIPTED_WORK_MAX)
		return; /* full: the item is lost, like a failed IoAllocateWorkItem */
	SIM_ASSERT_LT(r->work_len, SCRIPTED_WORK_MAX, "a queued module work item takes a slot of the queue");
	SIM_ASSERT_LT(r->work_head, SCRIPTED_WORK_MAX, "the module work queue's head is inside the queue");
	sched_touch(r->sched, POR_KEY(POR_QUEUE, 0));
	r->work[(r->work_head + r->work_len) % SCRIPTED_WORK_MAX] = w;
	r->work_len++;
	struct sim_thread *t = r->sys_worker;
	if (t && t->state == TS_BLOCKED && t->idle_worker)
		sched_wake(r->sched, t);
}

static void complete(struct scripted_binding *b)
{
	if (is_client(b->owner))
		NmrClientDetachProviderComplete(b->binding);
	else
		NmrProviderDetachClientComplete(b->binding);
}

void scripted_sys_worker(struct sched *s, void *arg)
{
	struct scripted_run *r = arg;
	for (;;) {
		sched_touch(s, POR_KEY(POR_QUEUE, 0)); /* the queue is read in the step that resumed here */
		if (r->work_len == 0) {
			s->current->idle_worker = true;
			sched_block(s, BLOCK_WORK, EV_NONE16);
			continue;
		}
		SIM_ASSERT_LE(r->work_len, SCRIPTED_WORK_MAX, "the module work queue holds at most its capacity");
		SIM_ASSERT_LT(r->work_head, SCRIPTED_WORK_MAX, "the module work queue's head is inside the queue");
		struct scripted_work w = r->work[r->work_head];
		r->work_head = (r->work_head + 1) % SCRIPTED_WORK_MAX;
		r->work_len--;
		sched_point(s);
		if (w.kind == SWORK_WAKE) {
			sched_wake(s, w.thread);
			continue;
		}
		s->current->module = w.binding->owner->index;
		w.binding->pending = false;
		w.binding->detach_done = true;
		complete(w.binding);
		if (w.kind == SWORK_COMPLETE_TWICE)
			complete(w.binding);
		s->current->module = EV_NONE8;
	}
}

/* ---- callbacks ---- */

static NTSTATUS client_attach(HANDLE bh, PVOID ClientContext, PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
	struct scripted_module *m = ClientContext;
	switch (m->cfg->attach) {
	case ATTACH_DECLINE:
		return STATUS_NOINTERFACE;
	case ATTACH_FAIL:
		return STATUS_UNSUCCESSFUL;
	case ATTACH_LIE:
		return STATUS_SUCCESS;
	default:
		break;
	}
	struct scripted_binding *b = binding_alloc(m, bh);
	if (!b)
		return STATUS_INSUFFICIENT_RESOURCES;
	HANDLE use = bh;
	if (m->cfg->attach == ATTACH_WRONG_HANDLE)
		use = nmr_handle_make(nmr_handle_value(bh) ^ 0x100u); /* another generation */
	PVOID pctx = NULL;
	const void *pdisp = NULL;
	NTSTATUS st = NmrClientAttachProvider(use, b, &dispatch_table, &pctx, &pdisp);
	if (m->cfg->attach == ATTACH_MISMATCH) {
		binding_release(b);
		return st == STATUS_SUCCESS ? STATUS_NOINTERFACE : STATUS_SUCCESS;
	}
	if (st != STATUS_SUCCESS) {
		binding_release(b);
		return st;
	}
	b->peer_context = pctx;
	b->peer_dispatch = pdisp;
	b->peer_module = scripted_module_of(m->run, ProviderRegistrationInstance);
	b->attached = true;
	return STATUS_SUCCESS;
}

static NTSTATUS provider_attach(HANDLE bh, PVOID ProviderContext, PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
				PVOID ClientBindingContext, CONST VOID *ClientDispatch, PVOID *ProviderBindingContext,
				CONST VOID **ProviderDispatch)
{
	struct scripted_module *m = ProviderContext;
	switch (m->cfg->attach) {
	case ATTACH_DECLINE:
		return STATUS_NOINTERFACE;
	case ATTACH_FAIL:
		return STATUS_UNSUCCESSFUL;
	case ATTACH_NOOUT:
		return STATUS_SUCCESS;
	default:
		break;
	}
	struct scripted_binding *b = binding_alloc(m, bh);
	if (!b)
		return STATUS_INSUFFICIENT_RESOURCES;
	b->peer_context = ClientBindingContext;
	b->peer_dispatch = ClientDispatch;
	b->peer_module = scripted_module_of(m->run, ClientRegistrationInstance);
	b->attached = true;
	*ProviderBindingContext = b;
	*ProviderDispatch = &dispatch_table;
	return STATUS_SUCCESS;
}

static void sleep_blocking(struct scripted_module *m)
{
	/* A timed wait: the system worker plays the timer that ends it. */
	struct scripted_run *r = m->run;
	struct scripted_work w = { .kind = SWORK_WAKE, .thread = r->sched->current };
	queue_work(r, w);
	sched_block(r->sched, BLOCK_SLEEP, EV_NONE16);
}

static NTSTATUS detach(PVOID binding_context)
{
	struct scripted_binding *b = binding_context;
	if (!b)
		return STATUS_SUCCESS; /* a provider that never wrote its context (M13) */
	struct scripted_module *m = b->owner;
	b->detaching = true;
	switch (m->cfg->detach) {
	case DETACH_ASYNC: {
		b->pending = true;
		struct scripted_work w = { .kind = SWORK_COMPLETE, .binding = b };
		queue_work(m->run, w);
		return STATUS_PENDING;
	}
	case DETACH_COMPLETE_TWICE: {
		b->pending = true;
		struct scripted_work w = { .kind = SWORK_COMPLETE_TWICE, .binding = b };
		queue_work(m->run, w);
		return STATUS_PENDING;
	}
	case DETACH_OP:
	case DETACH_NEVER:
		b->pending = true;
		return STATUS_PENDING;
	case DETACH_BOGUS:
		b->detach_done = true;
		return STATUS_UNSUCCESSFUL;
	case DETACH_WAIT:
		if (is_client(m))
			(void)NmrWaitForClientDeregisterComplete(m->handle);
		else
			(void)NmrWaitForProviderDeregisterComplete(m->handle);
		b->detach_done = true;
		return STATUS_SUCCESS;
	case DETACH_BLOCK:
		sleep_blocking(m);
		b->detach_done = true;
		return STATUS_SUCCESS;
	case DETACH_SUCCESS_COMPLETE:
		complete(b);
		b->detach_done = true;
		return STATUS_SUCCESS;
	case DETACH_INFLIGHT:
		if (b->inflight > 0) {
			b->pending = true;
			return STATUS_PENDING;
		}
		b->detach_done = true;
		return STATUS_SUCCESS;
	default:
		b->detach_done = true;
		return STATUS_SUCCESS;
	}
}

static void cleanup(PVOID binding_context)
{
	struct scripted_binding *b = binding_context;
	if (!b)
		return;
	b->cleaned = true;
	if (!(b->owner->cfg->flags & FLAG_LEAK))
		binding_release(b);
}

/* ---- setup ---- */

static void module_init(struct scripted_run *r, struct scripted_module *m, uint8_t index)
{
	const struct scn_module *cfg = &r->scn->modules[index];
	/* bindings[] is read only below nbindings: not cleared (per run). */
	memset(m, 0, offsetof(struct scripted_module, bindings));
	m->nbindings = 0;
	m->run = r;
	m->index = index;
	m->cfg = cfg;
	m->module_id.Length = sizeof(NPI_MODULEID);
	m->module_id.Type = MIT_GUID;
	m->module_id.Guid = (GUID){ 0x6f6d0000u + index, 0x6e72, 0x7369, { 'n', 'm', 'r', 's', 'i', 'm', 0, index } };
	NPI_REGISTRATION_INSTANCE *ri;
	if (cfg->role == ROLE_CLIENT) {
		NPI_CLIENT_CHARACTERISTICS *c = &m->chars.client;
		c->Length = sizeof(*c);
		c->ClientAttachProvider = client_attach;
		c->ClientDetachProvider = detach;
		c->ClientCleanupBindingContext = cleanup;
		ri = &c->ClientRegistrationInstance;
	} else {
		NPI_PROVIDER_CHARACTERISTICS *p = &m->chars.provider;
		p->Length = sizeof(*p);
		p->ProviderAttachClient = provider_attach;
		p->ProviderDetachClient = detach;
		p->ProviderCleanupBindingContext = cleanup;
		ri = &p->ProviderRegistrationInstance;
	}
	ri->Size = sizeof(*ri);
	ri->NpiId = (PNPIID)&scripted_npi_guids[cfg->npi % SCN_NPIS_MAX];
	ri->ModuleId = &m->module_id;
	/* Both characteristics structures share their first five fields' layout. */
	NPI_CLIENT_CHARACTERISTICS *any = &m->chars.client;
	switch (cfg->chars) {
	case CHARS_BAD_VERSION: any->Version = 1; break;
	case CHARS_SHORT_LENGTH: any->Length = 4; break;
	case CHARS_NULL_ATTACH: any->ClientAttachProvider = NULL; break;
	case CHARS_NULL_DETACH: any->ClientDetachProvider = NULL; break;
	case CHARS_NULL_NPIID: ri->NpiId = NULL; break;
	case CHARS_NULL_MODULEID: ri->ModuleId = NULL; break;
	default: break;
	}
}

void scripted_init(struct scripted_run *r, struct sched *s, const struct scenario *scn)
{
	r->sched = s;
	r->scn = scn;
	r->pool_used = 0;
	r->work_head = r->work_len = 0;
	r->sys_worker = NULL;
	memset(r->op_cursor, 0, sizeof(r->op_cursor));
	for (uint8_t i = 0; i < scn->nmodules; i++)
		module_init(r, &r->modules[i], i);
}

/* ---- operations ---- */

static HANDLE garbage_handle(void) { return nmr_handle_make(0xd00dfe00u); }

static struct scripted_binding *latest_binding(const struct scripted_module *m)
{
	return m->nbindings ? m->bindings[m->nbindings - 1] : NULL;
}

static HANDLE select_reg_handle(struct scripted_run *r, struct scripted_module *m, uint8_t sel)
{
	switch (sel) {
	case HSEL_STALE:
		return m->prev_handle ? m->prev_handle : nmr_handle_make(((is_client(m) ? NMR_TAG_CLIENT : NMR_TAG_PROVIDER) << 28) | 0x0ffff000u);
	case HSEL_BINDING: {
		struct scripted_binding *b = latest_binding(m);
		return b ? b->binding : garbage_handle();
	}
	case HSEL_PEER:
		for (uint32_t i = 0; i < r->scn->nmodules; i++)
			if (r->modules[i].cfg->role != m->cfg->role && r->modules[i].handle)
				return r->modules[i].handle;
		return garbage_handle();
	case HSEL_GARBAGE:
		return garbage_handle();
	default:
		return m->handle;
	}
}

static void op_register(struct scripted_module *m)
{
	/* A scripted driver registers once until its deregistration wait
	 * returned, whichever thread asks: a second registration of the same characteristics would be
	 * two registration instances of one module, which the scenario language
	 * does not mean (and which makes module-keyed reports ambiguous). */
	if (m->registered || m->registering)
		return;
	HANDLE h = NULL;
	m->registering = true; /* another thread's `register` meanwhile is the same once */
	NTSTATUS st = is_client(m) ? NmrRegisterClient(&m->chars.client, m, &h)
				   : NmrRegisterProvider(&m->chars.provider, m, &h);
	m->registering = false;
	if (st == STATUS_SUCCESS) {
		m->prev_handle = m->handle;
		m->handle = h;
		m->registered = true;
		m->deregistered = false;
		m->unloaded = false;
	}
}

static NTSTATUS op_deregister(struct scripted_module *m, uint8_t sel)
{
	HANDLE h = select_reg_handle(m->run, m, sel);
	NTSTATUS st = is_client(m) ? NmrDeregisterClient(h) : NmrDeregisterProvider(h);
	if (sel == HSEL_OWN && m->registered && (st == STATUS_PENDING || st == STATUS_SUCCESS))
		m->deregistered = true;
	return st;
}

static NTSTATUS op_wait(struct scripted_module *m, uint8_t sel)
{
	HANDLE h = select_reg_handle(m->run, m, sel);
	NTSTATUS st = is_client(m) ? NmrWaitForClientDeregisterComplete(h) : NmrWaitForProviderDeregisterComplete(h);
	if (sel == HSEL_OWN && st == STATUS_SUCCESS && m->deregistered)
		m->registered = false;
	return st;
}

/* Whether b is a binding with module `peer` (1 + index; 0: any). */
static bool binding_with(const struct scripted_binding *b, uint8_t peer)
{
	return peer == 0 || b->peer_module == peer - 1;
}

static struct scripted_binding *first_pending(const struct scripted_module *m, uint8_t peer)
{
	for (uint32_t i = 0; i < m->nbindings; i++)
		if (m->bindings[i]->pending && binding_with(m->bindings[i], peer))
			return m->bindings[i];
	return NULL;
}

static bool detach_may_come(const struct scripted_module *m, uint8_t peer)
{
	for (uint32_t i = 0; i < m->nbindings; i++) {
		const struct scripted_binding *b = m->bindings[i];
		if (b->attached && !b->detach_done && !b->cleaned && binding_with(b, peer))
			return true;
	}
	return false;
}

static void op_complete(struct scripted_module *m, uint8_t sel, uint8_t peer)
{
	struct scripted_binding *target = first_pending(m, peer);
	if (sel == HSEL_OWN) {
		/* A correct module completes only a detach it pended: it waits
		 * (polling, as a module's own worker would) until one pends, and
		 * calls nothing when no detach can come any more. */
		while (!target) {
			if (!detach_may_come(m, peer))
				return;
			/* Gives way: a strict-priority search (PCT) must not let
			 * the poll starve the thread it waits for (a false L02). */
			sched_give_way(m->run->sched);
			target = first_pending(m, peer);
		}
	}
	if (!target)
		target = latest_binding(m);
	HANDLE h;
	bool other_side = false;
	switch (sel) {
	case HSEL_STALE: {
		h = garbage_handle();
		for (uint32_t i = 0; i < m->nbindings; i++)
			if (m->bindings[i]->cleaned) {
				h = m->bindings[i]->binding;
				break;
			}
		break;
	}
	case HSEL_BINDING: h = m->handle; break; /* a registration handle where a binding handle belongs */
	case HSEL_PEER: h = target ? target->binding : garbage_handle(); other_side = true; break;
	case HSEL_GARBAGE: h = garbage_handle(); break;
	default: h = target ? target->binding : garbage_handle(); break;
	}
	if (sel == HSEL_OWN && target && target->pending) {
		target->pending = false;
		target->detach_done = true;
	}
	if (is_client(m) != other_side)
		NmrClientDetachProviderComplete(h);
	else
		NmrProviderDetachClientComplete(h);
}

static void op_call(struct scripted_module *m)
{
	struct scripted_binding *b = NULL;
	if (m->cfg->flags & FLAG_UNSAFE_CALLS) {
		b = latest_binding(m); /* whatever state it is in: the bug */
	} else {
		for (uint32_t i = 0; i < m->nbindings && !b; i++) {
			struct scripted_binding *c = m->bindings[i];
			if (c->attached && !c->detaching && !c->detach_done && !c->cleaned)
				b = c;
		}
	}
	if (!b || !b->peer_dispatch)
		return;
	struct sched *s = m->run->sched;
	const struct scripted_binding *peer = b->peer_context;
	struct event e = { .kind = EV_CALL_ENTER, .module = m->index,
			   .peer = peer ? peer->owner->index : EV_NONE8, .binding = EV_NONE16,
			   .handle = nmr_handle_value(b->binding) };
	b->inflight++;
	sched_emit(s, &e);
	((const struct scripted_dispatch *)b->peer_dispatch)->call(b->peer_context);
	sched_point(s); /* the call takes time: detach may start meanwhile */
	e.kind = EV_CALL_EXIT;
	sched_emit(s, &e);
	b->inflight--;
	/* The in-flight pattern: the last call out completes a pending detach. */
	if (m->cfg->detach == DETACH_INFLIGHT && b->pending && b->inflight == 0) {
		b->pending = false;
		b->detach_done = true;
		complete(b);
	}
}

static void op_attach(struct scripted_module *m)
{
	struct scripted_binding *b = latest_binding(m);
	PVOID pctx = NULL;
	const void *pdisp = NULL;
	(void)NmrClientAttachProvider(b ? b->binding : garbage_handle(), NULL, &dispatch_table, &pctx, &pdisp);
}

static void op_mutate(struct scripted_module *m)
{
	m->module_id.Guid.Data1 ^= 0x1u;
	struct event e = { .kind = EV_MUTATE, .module = m->index, .peer = EV_NONE8, .binding = EV_NONE16 };
	sched_emit(m->run->sched, &e);
}

static uint32_t bindings_not_cleaned(const struct scripted_module *m)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->nbindings; i++)
		n += m->bindings[i]->attached && !m->bindings[i]->cleaned;
	return n;
}

static void op_poll(struct scripted_module *m)
{
	/* Busy-waits (no Wait call) until every binding is cleaned up. A
	 * binding that never finishes makes it spin through the budget (L02). */
	struct sched *s = m->run->sched;
	while (bindings_not_cleaned(m) > 0)
		sched_give_way(s);
}

void scripted_unload(struct scripted_module *m)
{
	struct sched *s = m->run->sched;
	struct sim_thread *t = s->current;
	uint8_t saved = t->module;
	t->module = m->index;
	t->unload_depth++;
	struct event e = { .kind = EV_UNLOAD_ENTER, .module = m->index, .peer = EV_NONE8, .binding = EV_NONE16 };
	sched_point(s);
	sched_emit(s, &e);
	if (m->cfg->unload != UNLOAD_NODEREG && m->registered) {
		NTSTATUS st = STATUS_PENDING;
		if (!m->deregistered)
			st = op_deregister(m, HSEL_OWN);
		if (m->cfg->unload == UNLOAD_CORRECT && st == STATUS_PENDING)
			(void)op_wait(m, HSEL_OWN);
	}
	m->unloaded = true;
	e.kind = EV_UNLOAD_EXIT;
	e.aux = m->allocations;
	sched_emit(s, &e);
	t->unload_depth--;
	t->module = saved;
}

static void run_op(struct scripted_run *r, const struct scn_op *op, uint32_t index)
{
	struct sched *s = r->sched;
	struct scripted_module *m = op->module < r->scn->nmodules && op->kind != OP_SLEEP ? &r->modules[op->module] : NULL;
	sched_point(s);
	struct event e = { .kind = EV_OP, .what = op->kind, .module = m ? m->index : EV_NONE8, .peer = EV_NONE8,
			   .binding = EV_NONE16, .arg = index };
	sched_emit(s, &e);
	if (!m && op->kind != OP_IRQL && op->kind != OP_YIELD && op->kind != OP_SLEEP)
		return;
	if (m && m->cfg->kind == MODULE_DRIVER) {
		host_op(host_current, op); /* load / unload of a hosted driver */
		return;
	}
	s->current->module = m ? m->index : EV_NONE8;
	switch (op->kind) {
	case OP_REGISTER: op_register(m); break;
	case OP_DEREGISTER: (void)op_deregister(m, op->arg); break;
	case OP_WAIT: (void)op_wait(m, op->arg); break;
	case OP_UNLOAD: scripted_unload(m); break;
	case OP_COMPLETE: op_complete(m, op->arg, op->peer); break;
	case OP_CALL: op_call(m); break;
	case OP_ATTACH: op_attach(m); break;
	case OP_IRQL: sched_set_irql(s, op->arg); break;
	case OP_MUTATE: op_mutate(m); break;
	case OP_POLL: op_poll(m); break;
	case OP_SLEEP: kernel_sleep(kernel_current, (uint64_t)op->arg * 10000u); break; /* ms in 100 ns units */
	default: break;
	}
	s->current->module = EV_NONE8;
}

void scripted_thread(struct sched *s, void *arg)
{
	struct scripted_run *r = arg;
	uint8_t k = s->current->id;
	for (uint32_t i = 0; i < r->scn->nops; i++)
		if (r->scn->ops[i].thread == k)
			run_op(r, &r->scn->ops[i], i);
	/* A thread ends at PASSIVE: the engine lowers what the ops raised. */
	sched_set_irql(s, PASSIVE_LEVEL);
}

void scripted_drain_thread(struct sched *s, void *arg)
{
	(void)s;
	scripted_unload(arg);
}
