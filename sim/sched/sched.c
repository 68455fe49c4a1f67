#include "sched/sched.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"

_Static_assert(SIM_THREADS_MAX <= 32, "runnable_mask holds one bit per thread id");
_Static_assert(SIM_THREADS_MAX <= CHOICE_THREADS_MAX, "thread ids fit the choice stream's per-thread tables");

static void thread_finish(struct sched *s);

static void thread_entry(void *arg)
{
	struct sim_thread *t = arg;
	struct sched *s = t->sched;
	SIM_ASSERT(s->current == t, "a fiber starts as the current thread");
	struct event e = { .kind = EV_THREAD_START, .what = t->kind };
	sched_emit(s, &e);
	t->fn(s, t->arg);
	/* sched_exit without calling a _Noreturn function: ASan puts
	 * __asan_handle_no_return (a sigaltstack syscall and a memset of the
	 * stack's shadow) before such a call, about 5% of an ASan fuzzing run;
	 * it is not needed here, fiber_start unpoisons the whole stack. */
	thread_finish(s);
	abort(); /* thread_finish never returns to a finished thread */
}

void sched_init(struct sched *s, struct fiber_pool *pool, struct choice *c, struct trace *t,
		uint32_t steps_max, const bool *stop_flag)
{
	SIM_ASSERT(pool != NULL, "a scheduler has a fiber pool");
	memset(s, 0, sizeof(*s));
	s->pool = pool;
	s->choice = c;
	s->trace = t;
	s->steps_max = steps_max;
	s->stop_flag = stop_flag;
	s->deadline_step = UINT32_MAX;
	fiber_init_main(&s->main);
}

struct sim_thread *sched_spawn(struct sched *s, enum sim_thread_kind kind, sim_thread_fn fn, void *arg)
{
	if (s->next_id >= SIM_THREADS_ENGINE_MAX)
		return NULL;
	struct sim_thread *t = sched_spawn_at(s, (uint8_t)s->next_id, kind, fn, arg);
	if (t)
		s->next_id++;
	SIM_ASSERT_LE(s->next_id, SIM_THREADS_ENGINE_MAX, "engine thread ids stay below the kernel's fixed ids");
	return t;
}

struct sim_thread *sched_spawn_at(struct sched *s, uint8_t id, enum sim_thread_kind kind, sim_thread_fn fn, void *arg)
{
	if (id >= SIM_THREADS_MAX || id >= s->pool->count || s->threads[id].state != TS_UNUSED)
		return NULL;
	struct sim_thread *t = &s->threads[id];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->kind = (uint8_t)kind;
	t->state = TS_RUNNABLE;
	t->module = EV_NONE8;
	t->fn = fn;
	t->arg = arg;
	t->sched = s;
	t->fiber = &s->pool->fibers[id];
	SIM_ASSERT(fn != NULL, "a thread has a body");
	fiber_start(t->fiber, thread_entry, t);
	SIM_ASSERT(t->fiber->arg == t, "a thread's pooled fiber belongs to that thread");
	s->runnable_mask |= 1u << t->id;
	if (s->por) {
		por_log_woke(s->por, id);
		por_log_touch(s->por, POR_KEY(POR_IDS, 0)); /* engine ids are handed out in order */
	}
	if (s->nthreads <= id)
		s->nthreads = id + 1u;
	SIM_ASSERT_LE(s->nthreads, SIM_THREADS_MAX, "thread count within the thread table");
	return t;
}

void sched_emit(struct sched *s, struct event *e)
{
	e->step = s->step;
	if (s->current) {
		e->thread = s->current->id;
		e->irql = s->current->irql;
		s->current->irql_seen++;
	} else {
		e->thread = EV_NONE8;
	}
	trace_emit(s->trace, e);
	if (s->por)
		por_log_event(s->por, e);
	if (s->on_event)
		s->on_event(s->hook_ctx, e);
}

void sched_set_irql(struct sched *s, uint8_t irql)
{
	struct sim_thread *t = s->current;
	if (!t || t->irql == irql)
		return;
	uint8_t old = t->irql;
	t->irql = irql;
	struct event e = { .kind = EV_IRQL, .module = t->module, .binding = EV_NONE16, .peer = EV_NONE8, .arg = old };
	sched_emit(s, &e);
}

/* Hand control from the running thread (or main) to `to`. A finished thread
 * leaves for good, so ASan may drop its fake stack. */
static inline __attribute__((always_inline)) void switch_to(struct sched *s, struct fiber *to,
								struct sim_thread *next)
{
	struct sim_thread *cur = s->current;
	struct fiber *from = cur ? cur->fiber : &s->main;
	if (from == to)
		return;
	s->current = next;
	s->switches++;
	if (cur && cur->state == TS_DONE)
		fiber_switch_final(from, to);
	else
		fiber_switch(from, to);
}

/* Return to main. On main itself (nothing ever ran) this just records. */
static void end_run(struct sched *s, enum sched_outcome outcome)
{
	SIM_ASSERT(outcome != OUTCOME_RUNNING, "a run ends with an outcome");
	s->outcome = outcome;
	if (!s->current)
		return;
	switch_to(s, &s->main, NULL);
	/* Only reached if a finished run's fiber is resumed, which never happens. */
	abort();
}

static bool blocked_for_good(const struct sched *s)
{
	for (uint32_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].state == TS_BLOCKED && !s->threads[i].idle_worker)
			return true;
	return false;
}

/* A pick began a step (por_log.h): where its choice is in the log, what it
 * could have picked. Only with the reduced search on. */
static void por_begin(struct sched *s, const uint8_t *ids, uint32_t n, bool cur_first, uint32_t k)
{
	const struct choice *c = s->choice;
	/* Logged when every choice so far was (the log was not full). */
	uint32_t pos = n > 1 && c->log_len == c->count ? c->log_len - 1 : POR_NO_CHOICE;
	uint32_t preempted = c->preemptions - (cur_first && k != 0 ? 1u : 0u);
	uint8_t next = ids[k];
	por_log_begin(s->por, ids, n, cur_first, next, s->threads[next].module, pos, preempted);
	/* POS with holds: each thread's steps, where a hold begins (choice_pos_hold). */
	if (s->choice->pos_nholds && next < CHOICE_THREADS_MAX && s->choice->pos_steps[next] < UINT16_MAX)
		s->choice->pos_steps[next]++;
	/* A timer or timeout due at a step count: that step depends on every other. */
	if (s->deadline_step != UINT32_MAX)
		por_log_wild(s->por, POR_WHY_DEADLINE);
}

/* pick_next's choice with the reduced search on: partial order sampling
 * redraws what conflicts, the pick begins a step in the log. Out of line:
 * without it (fuzzing) the hot pick saves fewer registers. */
static __attribute__((noinline)) uint32_t pick_por(struct sched *s, const uint8_t *ids, uint32_t n, bool cur_first)
{
	if (n > 1 && s->por->sample)
		s->choice->pos_redraw |= por_log_conflicts(s->por);
	if (n > 1 && s->por_asleep)
		s->choice->dfs_avoid = s->por_asleep(s->por_asleep_ctx);
	uint32_t k = n == 1 ? 0 : choice_thread(s->choice, ids, n, cur_first);
	por_begin(s, ids, n, cur_first, k);
	return k;
}

/* Nothing runnable: time moves, the drain starts, or the run ends. True:
 * pick again. Out of line, so the hot pick keeps its registers. */
static __attribute__((noinline)) bool pick_none(struct sched *s)
{
	if (s->on_stall && s->on_stall(s, s->hook_ctx)) {
		sched_touch_wild(s, POR_WHY_STALL); /* time moved: what runs next depends on every step */
		return true;
	}
	if (blocked_for_good(s)) {
		end_run(s, OUTCOME_DEADLOCK);
		return false;
	}
	if (s->on_idle && s->on_idle(s, s->on_idle_ctx)) {
		sched_touch_wild(s, POR_WHY_IDLE); /* the drain starts once nothing else runs */
		return true;
	}
	end_run(s, OUTCOME_DONE);
	return false;
}

/* Pick the next thread among the runnable ones (option 0: the running one,
 * when it can go on) and switch to it. */
static void pick_next(struct sched *s)
{
	for (;;) {
		struct sim_thread *cur = s->current;
		uint8_t *ids = s->pick_ids;
		uint32_t n = 0;
		bool cur_first = cur && cur->state == TS_RUNNABLE;
		/* The common case: the running thread is the only runnable one. No
		 * choice is offered (as below with n == 1), nothing to switch. */
		if (cur_first && s->runnable_mask == 1u << cur->id)
			return;
		if (cur_first)
			ids[n++] = cur->id;
		for (uint32_t mask = s->runnable_mask; mask; mask &= mask - 1) {
			uint8_t id = (uint8_t)__builtin_ctz(mask);
			if (!cur_first || id != cur->id)
				ids[n++] = id;
		}
		if (n == 0) {
			if (pick_none(s))
				continue;
			return;
		}
		uint32_t k = s->por ? pick_por(s, ids, n, cur_first) : n == 1 ? 0 : choice_thread(s->choice, ids, n, cur_first);
		/* The runnable set against the thread states: checked on the thread
		 * picked (here) and where a bit changes (block, wake, finish), not
		 * for every candidate of every pick (the hottest loop of a run). The
		 * choice stream asserts k < n. */
		struct sim_thread *next = &s->threads[ids[k]];
		SIM_ASSERT(next->state == TS_RUNNABLE, "runnable set matches thread states");
		if (next != cur) {
			struct event e = { .kind = EV_SWITCH, .module = next->module, .peer = EV_NONE8,
					   .binding = EV_NONE16, .arg = cur ? cur->id : EV_NONE8 };
			/* Stamp the switch with the thread that takes over. */
			e.step = s->step;
			e.thread = next->id;
			e.irql = next->irql;
			trace_emit(s->trace, &e);
			switch_to(s, next->fiber, next);
		}
		return;
	}
}

void sched_point(struct sched *s)
{
	SIM_ASSERT(s->current != NULL, "a scheduling point runs on a simulated thread");
	SIM_ASSERT(s->current->state == TS_RUNNABLE, "the current thread is runnable");
	if (++s->step > s->steps_max)
		end_run(s, OUTCOME_BUDGET);
	SIM_ASSERT_LE(s->step, s->steps_max, "no step beyond the budget");
	if (s->step >= s->deadline_step && s->on_deadline)
		s->on_deadline(s, s->hook_ctx);
	if (s->stop_flag && *s->stop_flag)
		end_run(s, OUTCOME_STOPPED);
	if (s->runnable_mask & (s->runnable_mask - 1))
		pick_next(s);
}

void sched_give_way(struct sched *s)
{
	struct sim_thread *t = s->current;
	SIM_ASSERT(t && t->state == TS_RUNNABLE, "a thread gives way only while it runs");
	uint32_t others = s->runnable_mask & ~(1u << t->id);
	/* The spinning thread waits for memory another thread writes. */
	sched_touch_wild(s, POR_WHY_SPIN);
	if (!others) {
		sched_point(s);
		return;
	}
	if (++s->step > s->steps_max)
		end_run(s, OUTCOME_BUDGET);
	if (s->step >= s->deadline_step && s->on_deadline)
		s->on_deadline(s, s->hook_ctx);
	if (s->stop_flag && *s->stop_flag)
		end_run(s, OUTCOME_STOPPED);
	/* The deadline hook may have woken more threads. */
	others = s->runnable_mask & ~(1u << t->id);
	uint8_t *ids = s->pick_ids;
	uint32_t n = 0;
	for (uint32_t mask = others; mask; mask &= mask - 1)
		ids[n++] = (uint8_t)__builtin_ctz(mask);
	/* Not a preemption the search chooses (current_first = false): the
	 * running thread cannot go on usefully until another one ran. */
	if (n > 1 && s->por && s->por->sample)
		s->choice->pos_redraw |= por_log_conflicts(s->por);
	if (n > 1 && s->por && s->por_asleep)
		s->choice->dfs_avoid = s->por_asleep(s->por_asleep_ctx);
	uint32_t k = n == 1 ? 0 : choice_thread(s->choice, ids, n, false);
	struct sim_thread *next = &s->threads[ids[k]];
	if (s->por)
		por_begin(s, ids, n, false, k);
	struct event e = { .kind = EV_SWITCH, .module = next->module, .peer = EV_NONE8, .binding = EV_NONE16,
			   .arg = t->id };
	e.step = s->step;
	e.thread = next->id;
	e.irql = next->irql;
	trace_emit(s->trace, &e);
	switch_to(s, next->fiber, next);
}

void sched_block(struct sched *s, enum block_reason reason, uint16_t obj)
{
	struct sim_thread *t = s->current;
	SIM_ASSERT(t != NULL, "only a simulated thread blocks");
	SIM_ASSERT(t->state == TS_RUNNABLE, "the current thread is runnable");
	SIM_ASSERT(s->runnable_mask & (1u << t->id), "the current thread is in the runnable set");
	t->state = TS_BLOCKED;
	t->block_reason = (uint8_t)reason;
	t->block_obj = obj;
	s->runnable_mask &= ~(1u << t->id);
	if (reason != BLOCK_WORK) {
		struct event e = { .kind = EV_BLOCK, .what = (uint8_t)reason, .module = t->module,
				   .peer = EV_NONE8, .binding = EV_NONE16, .arg = obj };
		sched_emit(s, &e);
	}
	if (++s->step > s->steps_max)
		end_run(s, OUTCOME_BUDGET);
	if (s->step >= s->deadline_step && s->on_deadline)
		s->on_deadline(s, s->hook_ctx);
	if (s->stop_flag && *s->stop_flag)
		end_run(s, OUTCOME_STOPPED);
	pick_next(s);
	/* Resumed: someone woke us and the scheduler picked us. */
	SIM_ASSERT(t->state == TS_RUNNABLE, "a blocked thread resumes only after a wake");
	SIM_ASSERT(s->current == t, "a resumed thread is the current thread");
}

void sched_wake(struct sched *s, struct sim_thread *t)
{
	if (t->state != TS_BLOCKED)
		return;
	SIM_ASSERT(!(s->runnable_mask & (1u << t->id)), "a blocked thread is not in the runnable set");
	SIM_ASSERT_LT(t->id, s->nthreads, "a woken thread is one of this scheduler's");
	bool was_idle = t->block_reason == BLOCK_WORK;
	if (s->por)
		por_log_woke(s->por, t->id);
	t->state = TS_RUNNABLE;
	t->block_reason = BLOCK_NONE;
	t->idle_worker = false;
	s->runnable_mask |= 1u << t->id;
	if (!was_idle) {
		struct event e = { .kind = EV_WAKE, .module = t->module, .peer = EV_NONE8, .binding = EV_NONE16 };
		e.step = s->step;
		e.thread = t->id;
		e.irql = t->irql;
		trace_emit(s->trace, &e);
	}
}

/* End the running thread and switch away for good. */
static void thread_finish(struct sched *s)
{
	struct sim_thread *t = s->current;
	SIM_ASSERT(t != NULL, "only a simulated thread finishes");
	SIM_ASSERT(t->state == TS_RUNNABLE, "a finishing thread was running");
	SIM_ASSERT(s->runnable_mask & (1u << t->id), "a finishing thread is in the runnable set");
	struct event e = { .kind = EV_THREAD_END, .module = t->module, .peer = EV_NONE8, .binding = EV_NONE16 };
	sched_emit(s, &e);
	t->state = TS_DONE;
	s->runnable_mask &= ~(1u << t->id);
	pick_next(s);
}

_Noreturn void sched_exit(struct sched *s)
{
	thread_finish(s);
	/* pick_next never returns to a finished thread. */
	abort();
}

_Noreturn void sched_halt(struct sched *s)
{
	SIM_ASSERT(s->current != NULL, "a halt comes from a simulated thread");
	end_run(s, OUTCOME_HALTED);
	abort(); /* end_run left this fiber for good */
}

enum sched_outcome sched_run(struct sched *s)
{
	s->outcome = OUTCOME_RUNNING;
	s->current = NULL;
	pick_next(s);
	/* Back on main: some thread ended the run. */
	SIM_ASSERT(s->current == NULL, "a run returns to main with no thread current");
	SIM_ASSERT(s->outcome != OUTCOME_RUNNING, "a run returns to main with its outcome");
	s->current = NULL;
	return s->outcome;
}
