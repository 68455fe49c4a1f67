/* atomic_point.c - atomic and volatile accesses of driver code as
 * scheduling points under `atomics preempt` (atomic_point.h). */
#include "host/atomic_point.h"

#include "core/assert.h"
#include "host/host.h"

void atomic_points_run_init(struct atomic_points *a, struct sched *s, bool on)
{
	a->sched = on ? s : NULL;
	a->step = UINT32_MAX;
	a->chain = 0;
	a->taken = 0;
	a->thread = EV_NONE8;
}

uint32_t atomic_points_taken(void)
{
	const struct host_run *h = host_current;
	return h && h->atomics.sched ? h->atomics.taken : 0;
}

void atomic_point(struct atomic_points *a, enum atomic_op op, unsigned bytes, int64_t operand, const void *pc)
{
	struct sched *s = a->sched;
	struct sim_thread *t = s->current;
	/* Driver code outside a simulated thread (none runs there) or on a
	 * thread that is not running: no point to take. */
	if (!t || t->state != TS_RUNNABLE)
		return;
	if (t->id == a->thread && s->step == a->step) {
		if (a->chain >= ATOMIC_CHAIN_MAX)
			return; /* a loop of atomics alone: spin.c's window decides */
		a->chain++;
	} else {
		a->chain = 0;
	}
	uint32_t before = s->step;
	a->taken++;
	sched_point(s);
	SIM_ASSERT(s->current == t, "a thread resumes from its own atomic point");
	if (s->step != before + 1u)
		a->chain = 0; /* another thread ran meanwhile: not a loop alone */
	a->thread = t->id;
	a->step = s->step;
	unsigned log2 = bytes >= 16 ? 4u : bytes >= 8 ? 3u : bytes >= 4 ? 2u : bytes >= 2 ? 1u : 0u;
	uint32_t aux = (uint32_t)op | log2 << 4 | (operand == 1 ? ATOMIC_AUX_ONE : 0u) |
		       (operand == -1 ? ATOMIC_AUX_MINUS_ONE : 0u);
	struct event e = { .kind = EV_KERNEL, .what = KE_AtomicAccess, .module = t->module, .peer = EV_NONE8,
			   .binding = EV_NONE16, .aux = aux };
	sched_emit(s, &e);
	struct trace_note *note = trace_last_note(s->trace);
	if (note)
		note->site = (uintptr_t)pc; /* the driver's call site: a timeline note, never hashed */
}
