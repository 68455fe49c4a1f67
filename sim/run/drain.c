/* drain.c - the end of a run, as deterministic simulators end one: after the
 * scenario's ops (the safety phase) a drain unloads every module still
 * loaded, each on a thread of its own, and the system must settle within a
 * budget of its own (liveness).
 *
 * When it starts: once every scripted thread finished and nothing is
 * runnable, before simulated time moves on. Time-driven activity (a periodic
 * worker in a timed wait, a periodic timer, a DPC it queues) never holds it
 * off: a correct driver's periodic worker waits on its stop event with a
 * timeout, and only its Unload stops it, so waiting for it to go quiet
 * before unloading would spin through the budget and report a false L02.
 *
 * When it ends: its threads finished. Time may then move a few more times
 * (kernel.c, KERNEL_SETTLED_STALLS_MAX); a thread still waking on timeouts
 * after that (a worker its Unload did not stop: K06/M21 at that Unload, or a
 * driver without Unload) no longer keeps the run going. A run is "no
 * progress" (L02) only when threads keep running in the safety phase or
 * without the drain being able to finish. */
#include "run/run.h"

static bool scripted_done(const struct run_state *st)
{
	for (uint32_t i = 0; i < st->scn->nthreads && i < st->sched.nthreads; i++)
		if (st->sched.threads[i].state != TS_DONE)
			return false;
	return true;
}

/* Spawn the drain threads; true if any. The drain gets a step budget of its
 * own: at least the scenario's budget from here on. */
static bool drain_start(struct run_state *st)
{
	struct sched *s = &st->sched;
	st->drain_started = true;
	st->drain_first = (uint8_t)s->next_id;
	bool any = false;
	for (uint32_t i = 0; i < st->scn->nmodules; i++) {
		struct scripted_module *m = &st->scripted.modules[i];
		if (m->cfg->kind != MODULE_SCRIPTED || !m->registered || m->unloaded)
			continue;
		any |= sched_spawn(s, THREAD_SCRIPT, scripted_drain_thread, m) != NULL;
	}
	any |= host_drain(&st->host);
	st->drain_end = (uint8_t)s->next_id;
	uint32_t own = st->scn->steps_max;
	if (any && s->steps_max - s->step < own)
		s->steps_max = s->step <= UINT32_MAX - own ? s->step + own : UINT32_MAX;
	return any;
}

static bool drain_done(const struct run_state *st)
{
	for (uint32_t i = st->drain_first; i < st->drain_end && i < st->sched.nthreads; i++)
		if (st->sched.threads[i].state != TS_DONE)
			return false;
	return true;
}

int drain_before_time(void *ctx)
{
	struct run_state *st = ctx;
	if (!st->drain_started) {
		if (!scripted_done(st))
			return KERNEL_TIME_PASS;
		if (drain_start(st))
			return KERNEL_TIME_STARTED;
	}
	return drain_done(st) ? KERNEL_TIME_SETTLED : KERNEL_TIME_PASS;
}

/* Nothing can run and nothing waits for time: first the drain (once every
 * scripted thread finished), then the kernel may fire the next timer. */
bool drain_on_idle(struct sched *s, void *ctx)
{
	(void)s;
	struct run_state *st = ctx;
	if (!st->drain_started && scripted_done(st) && drain_start(st))
		return true;
	return kernel_on_idle(&st->kernel);
}
