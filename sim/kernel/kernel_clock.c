/* kernel_clock.c - simulated time: the earliest deadline of timed waits and
 * timers, the scheduler's stall and deadline hooks (kernel_init installs
 * them), time jumps as a choice, and the drain's idle step. Time moves only
 * here, so a run's clock is a function of its choices. */
#include "kernel/kernel.h"

#include <stdio.h>
#include <string.h>

/* ---- simulated time ---- */

/* Earliest timeout of a blocked wait, UINT64_MAX if none. */
static uint64_t waits_next(const struct kernel *k)
{
	uint64_t next = UINT64_MAX;
	for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++) {
		const struct kernel_wait *w = &k->threads[i].wait;
		if (w->active && w->deadline && w->deadline < next)
			next = w->deadline;
	}
	return next;
}

void kernel_deadline_update(struct kernel *k)
{
	bool periodic_only;
	uint64_t next = kernel_timers_next(k, &periodic_only), w = waits_next(k);
	if (w < next)
		next = w;
	struct sched *s = k->sched;
	if (next == UINT64_MAX) {
		s->deadline_step = UINT32_MAX;
		return;
	}
	if (next <= kernel_time(k) || k->time_jumps) { /* time jumps: asked at every scheduling point */
		s->deadline_step = s->step;
		return;
	}
	uint64_t steps = (next - k->time_offset + KERNEL_STEP_TIME - 1) / KERNEL_STEP_TIME;
	s->deadline_step = steps >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)steps;
}

/* Fire what is due now: timers, then wait timeouts. True if anything fired. */
static bool fire_due(struct kernel *k, bool final)
{
	uint64_t now = kernel_time(k);
	bool fired = kernel_timers_fire(k, now, final);
	for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++) {
		struct kernel_wait *w = &k->threads[i].wait;
		if (w->active && w->deadline && w->deadline <= now) {
			kernel_wait_end(k, (uint8_t)i, STATUS_TIMEOUT);
			fired = true;
		}
	}
	kernel_deadline_update(k);
	return fired;
}

static void advance_to(struct kernel *k, uint64_t when)
{
	uint64_t now = kernel_time(k);
	if (when > now)
		k->time_offset += when - now;
	SIM_ASSERT(kernel_time(k) >= now, "simulated time never goes back");
}

/* `time jumps`: while an Unload runs, the schedule may move time on to the
 * next deadline now (a CK_MODULE choice), so a timer, its DPC or a periodic
 * worker's timeout lands inside the Unload. At most KERNEL_TIME_JUMPS_MAX
 * in a run: time cannot outrun the code without bound. Unbounded, a
 * periodic timer's DPC made its own next expiry due at its own steps (a
 * jump at each with chance 1/4) and, given the highest priority (PCT), ran
 * for good while the Unload that would cancel the timer never did: a false
 * L02 on a correct driver (corpus/kernel/pend-clients.nmr, the third
 * sweep). A real DPC takes microseconds, not the timer's period. */
#define KERNEL_TIME_JUMPS_MAX 64

static void maybe_jump(struct kernel *k)
{
	struct sched *s = k->sched;
	if (k->jumps_taken >= KERNEL_TIME_JUMPS_MAX)
		return;
	bool unloading = false;
	for (uint32_t i = 0; i < s->nthreads && !unloading; i++)
		unloading = s->threads[i].unload_depth > 0;
	if (!unloading)
		return;
	bool periodic_only;
	uint64_t next = kernel_timers_next(k, &periodic_only), w = waits_next(k);
	next = w < next ? w : next;
	if (next != UINT64_MAX && next > kernel_time(k) && choice_chance(k->choice, CK_MODULE, 1, 4)) {
		k->jumps_taken++;
		advance_to(k, next);
	}
}

void kernel_deadline(struct sched *s, void *ctx)
{
	(void)s;
	struct kernel *k = ctx;
	if (k->time_jumps)
		maybe_jump(k);
	fire_due(k, false);
}

static bool any_blocked(const struct sched *s)
{
	for (uint32_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].state == TS_BLOCKED && !s->threads[i].idle_worker)
			return true;
	return false;
}

/* The drain finished and time has moved KERNEL_SETTLED_STALLS_MAX times
 * since: a thread that only waits for a timeout (a periodic worker nobody
 * stopped, already reported at its Unload as outstanding work, or one of a
 * driver that has no Unload) would wake forever. It no longer keeps the run
 * going, nor counts as blocked for good. */
static void release_timed_waiters(struct kernel *k)
{
	for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++) {
		struct sim_thread *t = &k->sched->threads[i];
		if (t->state == TS_BLOCKED && k->threads[i].wait.active && k->threads[i].wait.deadline)
			t->idle_worker = true;
	}
}

/* Only timeouts move the run on while some thread is blocked for good (no
 * timeout: an event never set, a deregistration never completing): after
 * KERNEL_STALL_STUCK_MAX time moves with the same such threads, no new
 * untimed wait begun (an event-driven thread that runs on each tick begins
 * one) and no scenario `sleep` pending, the run is a hang. A periodic worker
 * beside it would otherwise tick through the step budget and turn an L01 or
 * L03 (with its cause) into an L02. */
static bool stuck_on_time(struct kernel *k)
{
	struct sched *s = k->sched;
	uint32_t blocked = 0;
	bool sleeping = false;
	for (uint32_t i = 0; i < s->nthreads && i < SIM_THREADS_MAX; i++) {
		const struct kernel_thread *kt = &k->threads[i];
		if (s->threads[i].state != TS_BLOCKED || s->threads[i].idle_worker)
			continue;
		if (kt->wait.active && kt->wait.deadline)
			sleeping |= kt->in_sleep;
		else
			blocked |= 1u << i;
	}
	if (!blocked || sleeping || blocked != k->stall_blocked || k->untimed_waits != k->stall_untimed) {
		k->stall_blocked = blocked;
		k->stall_untimed = k->untimed_waits;
		k->stall_same = 0;
		return false;
	}
	return ++k->stall_same >= KERNEL_STALL_STUCK_MAX;
}

/* Nothing is runnable. A timed wait, or a timer that may wake a blocked
 * thread, moves simulated time to its deadline. Periodic timers alone fire a
 * bounded number of times, so a thread blocked for good still ends in a hang.
 * Before time moves, the run may start its drain instead (hooks.before_time). */
bool kernel_stall(struct sched *s, void *ctx)
{
	struct kernel *k = ctx;
	if (kernel_work_grow(k))
		return true; /* a second worker takes the queue (io_work.c) */
	bool periodic_only;
	uint64_t w = waits_next(k), t = kernel_timers_next(k, &periodic_only);
	if (w == UINT64_MAX) {
		if (!any_blocked(s))
			return false;
		/* A thread waits with no timeout and nothing waits for time: a
		 * deadlock, unless the drain has yet to start; its Unloads may
		 * wake the thread (a correct driver's system thread waiting for
		 * the stop event only its Unload sets: a false L01 before). */
		if (t == UINT64_MAX)
			return k->hooks.before_time && k->hooks.before_time(k->hooks.time_ctx) == KERNEL_TIME_STARTED;
		if (periodic_only && k->stall_periodic++ >= KERNEL_STALL_PERIODIC_MAX)
			return false;
	}
	int phase = k->hooks.before_time ? k->hooks.before_time(k->hooks.time_ctx) : KERNEL_TIME_PASS;
	if (phase == KERNEL_TIME_STARTED)
		return true;
	if ((phase == KERNEL_TIME_SETTLED && k->stall_settled++ >= KERNEL_SETTLED_STALLS_MAX) || stuck_on_time(k)) {
		release_timed_waiters(k);
		return false;
	}
	advance_to(k, w < t ? w : t);
	return fire_due(k, false);
}

bool kernel_on_idle(struct kernel *k)
{
	bool periodic_only;
	uint64_t t = kernel_timers_next(k, &periodic_only);
	if (t == UINT64_MAX)
		return false;
	advance_to(k, t);
	return fire_due(k, true);
}

