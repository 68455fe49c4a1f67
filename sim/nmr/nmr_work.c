/* nmr_work.c - the registrar model's deferred deliveries: a FIFO of attach,
 * detach and cleanup work that NMR worker threads run (F1, F4, F5 when the
 * choice defers), and the description of a deregistration that hangs. */
#include <stdio.h>

#include "nmr/nmr_model.h"

void nmr_model_queue_work(struct nmr_model *m, struct nmr_work w)
{
	SIM_ASSERT(nmr_model_can_defer(m), "work is queued only when NMR workers exist");
	SIM_ASSERT_LE(m->queue_len, NMR_WORK_MAX, "the work queue holds at most its capacity");
	if (m->queue_len == NMR_WORK_MAX) {
		/* Full: a real registrar would allocate; the model counts the
		 * loss (visible in stats) rather than corrupting state. */
		m->dropped_work++;
		return;
	}
	SIM_ASSERT_LT(m->queue_head, NMR_WORK_MAX, "the work queue's head is inside the queue");
	/* The queue has its own key, read by the idle workers; what the work
	 * will do is the queueing operation's (the binding it detaches or
	 * cleans up, written in this step) and the worker's. */
	if (!nmr_model_fine(m))
		nmr_model_touch_registry(m);
	sched_touch(m->sched, POR_NMR_QUEUE);
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

static void run_work(struct nmr_model *m, const struct nmr_work *w)
{
	switch (w->kind) {
	case WORK_ATTACH: {
		SIM_ASSERT_LT(w->slot_a, NMR_REGS_MAX, "queued attach work names a registration slot");
		struct nmr_reg *r = &m->regs[w->slot_a];
		if (r->handle == w->handle_a && nmr_model_reg_offerable(m, r))
			nmr_model_offer_attaches(m, r);
		break;
	}
	case WORK_DETACH_SIDE: {
		SIM_ASSERT_LT(w->slot_a, NMR_BINDINGS_MAX, "queued detach work names a binding slot");
		struct nmr_binding *b = &m->bindings[w->slot_a];
		if (b->handle == w->handle_a)
			nmr_model_detach_side(m, b, (enum nmr_role)w->side, w->irql);
		break;
	}
	case WORK_CLEANUP: {
		SIM_ASSERT_LT(w->slot_a, NMR_BINDINGS_MAX, "queued cleanup work names a binding slot");
		struct nmr_binding *b = &m->bindings[w->slot_a];
		if (b->handle == w->handle_a && b->state == BIND_CLEANUP)
			nmr_model_cleanup_binding(m, b, w->irql);
		break;
	}
	default:
		SIM_ASSERT(false, "queued work is attach, detach or cleanup");
	}
}

void nmr_model_worker(struct sched *s, void *model)
{
	struct nmr_model *m = model;
	SIM_ASSERT_LE(m->nworkers, NMR_WORKERS_MAX, "NMR workers fit their table");
	for (;;) {
		/* The queue is read in the step that resumed here: only the queue,
		 * so a worker finding it empty is independent of registrar calls
		 * that queue nothing (partial-order reduction). */
		sched_touch(s, POR_NMR_QUEUE);
		if (m->queue_len == 0) {
			s->current->idle_worker = true;
			sched_block(s, BLOCK_WORK, EV_NONE16);
			continue;
		}
		SIM_ASSERT_LE(m->queue_len, NMR_WORK_MAX, "the work queue holds at most its capacity");
		SIM_ASSERT_LT(m->queue_head, NMR_WORK_MAX, "the work queue's head is inside the queue");
		struct nmr_work w = m->queue[m->queue_head];
		m->queue_head = (m->queue_head + 1) % NMR_WORK_MAX;
		m->queue_len--;
		sched_point(s);
		/* The work reads the registrar's state, maybe emitting nothing:
		 * a detach or a cleanup its binding (its slot, stale or not), an
		 * attach the registry. */
		if (w.kind != WORK_ATTACH && w.slot_a < NMR_BINDINGS_MAX)
			nmr_model_touch_binding(m, &m->bindings[w.slot_a]);
		else
			nmr_model_touch_registry(m);
		run_work(m, &w);
	}
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
