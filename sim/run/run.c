/* run.c - one run: wire the parts, play the scripted threads, drain
 * (drain.c), and turn the outcome into findings. */
#include "run/run.h"

#include <stdlib.h>
#include <string.h>

#include "core/images.h"
#include "run/freedoms.h"
#include "host/drvsyms.h"
#include "host/memaccess.h"
#include "trace/names.h"

#define RUN_ARENA_BYTES (sizeof(struct run_state) + (sizeof(struct event) + sizeof(struct trace_note)) * TRACE_EVENTS_MAX + \
			 sizeof(struct choice_rec) * SCN_CHOICES_MAX + sizeof(struct por_step) * RUN_POR_STEPS + \
			 sizeof(uint32_t) * RUN_POR_KEYS + 4096)

struct run_state *run_current;

int runner_init(struct runner *r)
{
	memset(r, 0, sizeof(*r));
	if (arena_init(&r->arena, RUN_ARENA_BYTES) != 0)
		return -1;
	if (fiber_pool_init(&r->pool, SIM_THREADS_MAX, FIBER_STACK_BYTES) != 0) {
		arena_fini(&r->arena);
		return -1;
	}
	r->st = arena_alloc(&r->arena, sizeof(struct run_state));
	r->st->events = arena_alloc(&r->arena, sizeof(struct event) * TRACE_EVENTS_MAX);
	r->st->choice_log = arena_alloc(&r->arena, sizeof(struct choice_rec) * SCN_CHOICES_MAX);
	r->st->notes = arena_alloc(&r->arena, sizeof(struct trace_note) * TRACE_EVENTS_MAX);
	r->st->por_steps = arena_alloc(&r->arena, sizeof(struct por_step) * RUN_POR_STEPS);
	r->st->por_keys = arena_alloc(&r->arena, sizeof(uint32_t) * RUN_POR_KEYS);
	if (!r->st || !r->st->events || !r->st->choice_log || !r->st->notes || !r->st->por_steps || !r->st->por_keys) {
		runner_fini(r);
		return -1;
	}
	/* Apart from the arena: only the race-directed search writes them
	 * (fresh pages, untouched otherwise). */
	r->st->por_exact = arena_pages(sizeof(struct por_exact) * RUN_POR_STEPS);
	if (!r->st->por_exact) {
		runner_fini(r);
		return -1;
	}
	return 0;
}

void runner_set_long_log(struct runner *r, struct choice_rec *log, uint32_t cap)
{
	SIM_ASSERT(!log || cap > SCN_CHOICES_MAX, "a long log is longer than the runner's own");
	r->long_log = log;
	r->long_cap = log ? cap : 0;
}

void runner_fini(struct runner *r)
{
	freedoms_fini(r);
	if (r->st)
		arena_pages_free(r->st->por_exact, sizeof(struct por_exact) * RUN_POR_STEPS);
	fiber_pool_fini(&r->pool);
	arena_fini(&r->arena);
	r->st = NULL;
}

/* The reduced search's sleeping threads at a pick past the prefix
 * (sched.h: por_asleep). */
static uint32_t steer_asleep(void *ctx)
{
	struct run_state *st = ctx;
	if (st->choice.count < st->choice.prefix_len)
		return 0;
	return dpor_asleep(st->steer, &st->steer_walk, &st->por, st->choice.prefix_len);
}

static void init_choice(struct run_state *st, const struct scenario *s, const struct run_source *src,
			struct choice_rec *log, uint32_t cap)
{
	struct choice *c = &st->choice;
	switch (src ? src->kind : SOURCE_SCENARIO) {
	case SOURCE_BYTES:
		choice_init_bytes(c, src->bytes, src->bytes_len, log, cap);
		return;
	case SOURCE_PRNG:
		choice_init_prng(c, src->seed, log, cap);
		if (src->prefix_len)
			choice_set_prefix(c, src->prefix, src->prefix_len);
		return;
	case SOURCE_PCT:
		choice_init_pct(c, src->seed, src->pct_depth, s->steps_max < 4096 ? s->steps_max : 4096,
				log, cap);
		return;
	case SOURCE_DFS:
		choice_init_dfs(c, src->prefix, src->prefix_len, src->preempt_bound, log, cap);
		return;
	case SOURCE_REPLAY:
		choice_init_replay(c, src->choices, src->nchoices, log, cap);
		return;
	case SOURCE_SWARM:
		choice_init_swarm(c, src->seed, log, cap);
		if (src->prefix_len)
			choice_set_prefix(c, src->prefix, src->prefix_len);
		return;
	case SOURCE_SWARM_BYTES:
		choice_init_swarm_bytes(c, src->bytes, src->bytes_len, log, cap);
		return;
	case SOURCE_POS:
		choice_init_pos(c, src->seed, log, cap);
		if (src->nholds)
			choice_pos_hold(c, src->holds, src->nholds);
		c->pos_urw = src->urw_left;
		if (src->prefix_len)
			choice_set_prefix(c, src->prefix, src->prefix_len);
		return;
	default:
		break;
	}
	switch (s->sched) {
	case SCHED_SEED:
		if (s->swarm)
			choice_init_swarm(c, s->seed, log, cap);
		else
			choice_init_prng(c, s->seed, log, cap);
		break;
	case SCHED_PCT:
		choice_init_pct(c, s->seed, s->pct_depth, s->steps_max < 4096 ? s->steps_max : 4096,
				log, cap);
		break;
	case SCHED_REPLAY:
		if (s->choices_long)
			choice_init_replay(c, s->choices_long, s->nchoices_long, log, cap);
		else
			choice_init_replay(c, s->choices, s->nchoices, log, cap);
		break;
	default:
		if (s->swarm)
			choice_init_swarm_bytes(c, s->sched_bytes, s->sched_len, log, cap);
		else
			choice_init_bytes(c, s->sched_bytes, s->sched_len, log, cap);
		break;
	}
}

static size_t append(char *buf, size_t len, const char *text)
{
	size_t n = strlen(text);
	if (len + n + 1 > RUN_HANG_TEXT_MAX)
		n = RUN_HANG_TEXT_MAX - 1 - len;
	memcpy(buf + len, text, n);
	buf[len + n] = '\0';
	return len + n;
}

static bool any_pending_detach(const struct nmr_model *m)
{
	for (uint32_t i = 0; i < NMR_BINDINGS_MAX; i++)
		for (int side = 0; side < 2; side++)
			if (m->bindings[i].state != BIND_FREE && m->bindings[i].side[side] == SIDE_PENDING)
				return true;
	return false;
}

/* Work items still queued when nothing can run: no I/O worker is free to
 * run them (each is blocked in an item), so they never run. By routine
 * (host/drvsyms.h, as findings name driver code), queuing module and step. */
static size_t describe_queued_work(struct run_state *st, size_t len)
{
	const struct kernel *k = &st->kernel;
	char line[256], routine[128], nb[8];
	SIM_ASSERT_LE(k->work_len, KERNEL_WORK_MAX, "the work queue holds at most its capacity");
	for (uint32_t n = 0; n < k->work_len; n++) {
		const struct kernel_work *w = &k->work[(k->work_head + n) % KERNEL_WORK_MAX];
		if (!w->item)
			continue; /* freed while queued: the worker skips it */
		if (!drvsyms_code_name(w->routine, routine, sizeof routine))
			snprintf(routine, sizeof routine, "(a routine outside the drivers)");
		snprintf(line, sizeof line, "\n  work item %s queued by %s (%s) at step %u: never runs, no I/O worker is free",
			 routine, kernel_module_name(k, w->module, nb),
			 w->kind == KWORK_EX ? "ExQueueWorkItem" : "IoQueueWorkItem", w->step);
		len = append(st->hang, len, line);
	}
	return len;
}

/* Whether the blocked threads' lock holders form a cycle (the holder of
 * what one waits for waits, in turn, for what the first holds): a lock-order
 * deadlock, which the wait-for graph shows holder by holder. */
static bool lock_cycle(struct run_state *st)
{
	struct sched *s = &st->sched;
	for (uint32_t i = 0; i < s->nthreads && i < SIM_THREADS_MAX; i++) {
		int at = (int)i;
		for (uint32_t hops = 0; hops < s->nthreads; hops++) {
			at = kernel_block_holder(&st->kernel, (uint8_t)at);
			if (at < 0)
				break;
			if (at == (int)i)
				return true;
		}
	}
	return false;
}

/* Out of line and cold: only a hung run builds this text. Without TEXT the
 * same finding (rule, site, module, thread) and no words: neither the hang
 * text (result.hang) nor the finding's detail is read (run_options'
 * no_hang_text, and the rule masked). */
__attribute__((noinline, cold)) static void report_hang(struct run_state *st, enum sched_outcome outcome, bool text)
{
	struct sched *s = &st->sched;
	char line[512], tname[32];
	size_t len = 0;
	st->hang[0] = '\0';
	if (outcome == OUTCOME_BUDGET) {
		if (text)
			len = (size_t)snprintf(st->hang, RUN_HANG_TEXT_MAX, "step budget of %u spent; still running:",
					       s->steps_max);
		for (uint32_t i = 0; text && i < s->nthreads; i++)
			if (s->threads[i].state == TS_RUNNABLE) {
				snprintf(line, sizeof line, " %s", trace_thread_name(st->scn, i, tname));
				len = append(st->hang, len, line);
			}
		struct sim_thread *t = s->current ? s->current : &s->threads[0];
		oracle_report(&st->oracle, RULE_L02, SITE_HANG, 0, t->module, t->id, EV_NONE16, 0, st->hang);
		return;
	}
	bool all_in_unload = true, wait_in_callback = false;
	struct sim_thread *first = NULL;
	if (text)
		len = append(st->hang, len, "wait-for graph:");
	for (uint32_t i = 0; i < s->nthreads; i++) {
		struct sim_thread *t = &s->threads[i];
		if (t->state != TS_BLOCKED || t->idle_worker)
			continue;
		if (!first)
			first = t;
		all_in_unload &= t->unload_depth > 0;
		if (t->block_reason == BLOCK_DEREG_WAIT && i < SIM_THREADS_MAX && st->oracle.threads[i].depth > 0)
			wait_in_callback = true;
		if (!text)
			continue;
		snprintf(line, sizeof line, "\n  %s%s blocked in %s: ", trace_thread_name(st->scn, i, tname),
			 t->unload_depth ? " (in Unload)" : "", block_reason_name((enum block_reason)t->block_reason));
		len = append(st->hang, len, line);
		if (t->block_reason == BLOCK_DEREG_WAIT)
			nmr_model_describe_wait(&st->model, t->block_obj, st->module_names, line, sizeof line);
		else if (kernel_describe_block(&st->kernel, st->scn, (uint8_t)i, line, sizeof line) <= 0)
			snprintf(line, sizeof line, "nothing will wake it");
		len = append(st->hang, len, line);
	}
	if (text)
		len = describe_queued_work(st, len);
	const char *cause = "cause: an event never signalled";
	if (lock_cycle(st))
		cause = "cause: a lock cycle (each thread waits for a lock or mutex another of them holds)";
	else if (wait_in_callback)
		cause = "cause: a wait for a deregistration inside an NMR callback (M09)";
	else if (text && any_pending_detach(&st->model))
		cause = "cause: a detach returned PENDING and its Complete never came (M17)";
	if (text) {
		len = append(st->hang, len, "\n  ");
		append(st->hang, len, cause);
	}
	if (!first)
		return;
	char detail[160] = "";
	if (text)
		snprintf(detail, sizeof detail, "%s blocked for good in %s; %s",
			 trace_thread_name(st->scn, first->id, tname),
			 block_reason_name((enum block_reason)first->block_reason), cause + 7);
	oracle_report(&st->oracle, all_in_unload ? RULE_L03 : RULE_L01, SITE_HANG, first->block_reason,
		      first->module, first->id, EV_NONE16, 0, detail);
}

/* The trace observer of a run that asks for more than the findings: the
 * oracle first (it may stop the run), then the outcome (run_options.outcome)
 * and the interleaving features (run_options.interleave_map). A plain run
 * observes with oracle_observe alone. */
static void observe_with_extras(void *ctx, const struct event *e)
{
	struct run_state *st = ctx;
	oracle_observe(&st->oracle, e);
	if (st->outcome)
		outcome_on_event(st->outcome, e);
	if (st->interleave.map)
		interleave_event(&st->interleave, e);
}

struct run_result run_scenario(struct runner *r, const struct scenario *s, const struct run_source *src,
			       const struct run_options *opt)
{
	static const struct run_options defaults = { 0 };
	if (!opt)
		opt = &defaults;
	struct run_state *st = r->st;
	SIM_ASSERT(run_current == NULL, "one run at a time per process");
	SIM_ASSERT_LE(s->nmodules, SCN_MODULES_MAX, "a scenario's modules fit the run's tables");
	st->scn = s;
	st->drain_started = false;
	st->drain_first = st->drain_end = 0;
	st->hang[0] = '\0';
	for (uint32_t i = 0; i < s->nmodules; i++)
		st->module_names[i] = s->modules[i].name;
	uint32_t keep = opt->keep_events && opt->keep_events < TRACE_EVENTS_MAX ? opt->keep_events : TRACE_EVENTS_MAX;

	oracle_init(&st->oracle, st->module_names, s->nmodules, opt->stop_on_first);
	st->oracle.scenario = s; /* thread names in reports */
	st->oracle.rule_mask = opt->rule_mask;
	st->outcome = opt->outcome;
	st->oracle.suppress = opt->suppress;
	st->oracle.advisories_fail = opt->advisories_fail;
	st->interleave.map = NULL;
	if (st->outcome)
		outcome_init(st->outcome, s->nmodules);
	if (opt->interleave_map)
		interleave_init(&st->interleave, opt->interleave_map, opt->interleave_slots);
	if (st->outcome || opt->interleave_map)
		trace_init(&st->trace, st->events, keep, observe_with_extras, st);
	else
		trace_init(&st->trace, st->events, keep, oracle_observe, &st->oracle);
	st->trace.notes = st->notes;
	/* DFS extends the log of the previous schedule: it always keeps one. */
	bool dfs = src && src->kind == SOURCE_DFS;
	/* A runner given a long log (runner_set_long_log) logs every choice of
	 * a long run there, for its trace file; DFS keeps the log its tree
	 * indexes (SCN_CHOICES_MAX). */
	struct choice_rec *log = st->choice_log;
	uint32_t cap = SCN_CHOICES_MAX;
	if (r->long_log && !dfs) {
		log = r->long_log;
		cap = r->long_cap;
	}
	init_choice(st, s, src, log, opt->no_choice_log && !dfs ? 0 : cap);
	sched_init(&st->sched, &r->pool, &st->choice, &st->trace, s->steps_max, &st->oracle.stop_requested);
	st->sched.on_idle = drain_on_idle;
	bool pos = src && src->kind == SOURCE_POS;
	bool swarm = src && src->kind == SOURCE_SWARM; /* logged for the race-directed search (explore_race.c) */
	if ((dfs || pos || swarm) && src->por) {
		/* Drivers whose memory accesses are instrumented touch a key per
		 * access (host/memaccess.c); the others' code is one location. */
		uint32_t hosted = 0;
		for (uint32_t i = 0; i < s->nmodules && i < 32; i++) {
			if (s->modules[i].kind != MODULE_DRIVER)
				continue;
			const struct image_rec *img = image_get(s->modules[i].driver);
			if (!img || !img->access_checked)
				hosted |= 1u << i;
		}
		por_log_init(&st->por, st->por_steps, RUN_POR_STEPS, hosted);
		if (dfs || src->por_fine) {
			/* The reduced search's finer footprints (sched/por_log.h);
			 * the race-directed search asks for them too. */
			for (uint32_t i = 0; i < s->nmodules && i < 32; i++)
				if (s->modules[i].kind == MODULE_DRIVER)
					st->por.drivers |= 1u << i;
			st->por.fine = src->por_fine;
			/* A planted registrar bug breaks the model's bookkeeping on
			 * purpose (a Complete finishing another binding, a second
			 * attach): its accesses are not what the keys say. */
			if (s->registrar != REGISTRAR_MODEL)
				st->por.fine &= ~(uint32_t)POR_FINE_NMR;
			st->por.fine &= ~(uint32_t)POR_FINE_EXACT;
			if (dfs && (src->por_fine & POR_FINE_EXACT))
				por_log_exact(&st->por, st->por_keys, RUN_POR_KEYS);
		}
		if (src->por_exact)
			st->por.exact = st->por_exact;
		if (pos)
			por_log_sample(&st->por);
		st->sched.por = &st->por;
		if (dfs && src->steer) {
			st->steer = src->steer;
			memset(&st->steer_walk, 0, sizeof(st->steer_walk));
			st->sched.por_asleep = steer_asleep;
			st->sched.por_asleep_ctx = st;
		}
	}
	st->sched.on_idle_ctx = st;
	nmr_model_init(&st->model, &st->sched, &st->choice, s->registrar, s->fault_num, s->fault_den);
	nmr_front_init(&st->front, &nmr_model_ops, &st->model, &st->sched);
	guard_init(&st->guard, &st->sched);
	st->front.guard = &st->guard;
	scripted_init(&st->scripted, &st->sched, s);
	st->front.engine_chars = scripted_owns_chars;
	st->front.engine_chars_ctx = &st->scripted;
	host_run_init(&st->host, &st->sched, s);
	/* Faults: the same ratio injects NMR failures (F6) and pool failures. */
	kernel_init(&st->kernel, &st->sched, &st->choice, &st->oracle, s->fault_num, s->fault_den);
	st->kernel.time_jumps = s->time_jumps;
	st->kernel.io_workers = s->io_workers;
	memaccess_run_init(&st->kernel, s->races || memaccess_races_env());
	st->kernel.hooks = (struct kernel_hooks){.mute_reports = guard_mutes_reports, .dispatch_frames = guard_dispatch_frames, .ctx = &st->guard,
						 .before_time = drain_before_time, .time_ctx = st};
	kernel_current = &st->kernel;
	nmr_front_current = &st->front;
	scripted_current = &st->scripted;
	host_current = &st->host;
	guard_current = &st->guard;
	run_current = st;

	/* Thread ids follow trace_thread_name(): scripted, NMR workers, system worker, drain. */
	for (uint32_t i = 0; i < s->nthreads; i++)
		sched_spawn(&st->sched, THREAD_SCRIPT, scripted_thread, &st->scripted);
	for (uint32_t i = 0; i < s->workers && i < NMR_WORKERS_MAX; i++)
		st->model.workers[st->model.nworkers++] = sched_spawn(&st->sched, THREAD_NMR_WORKER, nmr_model_worker, &st->model);
	st->scripted.sys_worker = sched_spawn(&st->sched, THREAD_MOD_WORKER, scripted_sys_worker, &st->scripted);

	enum sched_outcome outcome = sched_run(&st->sched);
	kernel_run_end(&st->kernel);
	bool hung = outcome == OUTCOME_DEADLOCK || outcome == OUTCOME_BUDGET;
	/* Liveness findings are stamped with the step at which the run ended. */
	st->oracle.last_step = st->sched.step;
	if (hung)
		report_hang(st, outcome,
			    !opt->no_hang_text || oracle_counts(&st->oracle, RULE_L01) ||
				    oracle_counts(&st->oracle, RULE_L02) || oracle_counts(&st->oracle, RULE_L03));
	/* A spent budget says nothing about what was still owed: a Complete
	 * starved by a spinning thread is not a missing Complete (M17). */
	/* After a bug check (OUTCOME_HALTED) the system is down: nothing more was
	 * owed, so no end-of-run checks. */
	/* A run stopped at its first finding (fuzzing) has work still owed by
	 * design: no end-of-run checks either. */
	if (outcome != OUTCOME_BUDGET && outcome != OUTCOME_HALTED && outcome != OUTCOME_STOPPED) {
		kernel_fini(&st->kernel);
		oracle_finish(&st->oracle, hung);
	}
	nmr_front_current = NULL;
	scripted_current = NULL;
	host_current = NULL;
	guard_current = NULL;
	run_current = NULL;
	kernel_current = NULL;
	r->runs++;

	struct run_result res = {
		.outcome = outcome,
		.steps = st->sched.step,
		.switches = st->sched.switches,
		.events = st->trace.count,
		.hash = st->trace.hash,
		.nfindings = st->oracle.nfindings,
		.findings = st->oracle.findings,
		.nfailing = oracle_failing(&st->oracle),
		.nsuppressed = st->oracle.suppressed,
		.rules_touched = st->oracle.rules_touched,
		.rules_violated = st->oracle.rules_violated,
		.diverged = st->choice.diverged,
		.choices = st->choice.log,
		.nchoices = st->choice.log_len,
		.choices_made = st->choice.count,
		.por = st->sched.por,
		.hang = st->hang,
		.interleave_features = opt->interleave_map ? st->interleave.features : 0,
	};
	return res;
}

uint64_t rule_mask_parse(const char *spec, bool *ok)
{
	uint64_t mask = 0;
	bool all = false;
	*ok = spec != NULL;
	while (spec && *spec) {
		char item[16];
		size_t n = strcspn(spec, ",");
		if (n == 0 || n >= sizeof item) {
			*ok = false;
			return 0;
		}
		memcpy(item, spec, n);
		item[n] = '\0';
		spec += n + (spec[n] == ',');
		if (strcmp(item, "all") == 0) {
			all = true;
			continue;
		}
		if (n == 1) {
			bool found = false;
			for (int r = 1; r < RULE_COUNT; r++)
				if (rule_info((enum rule)r)->id[0] == item[0]) {
					mask |= 1ull << r;
					found = true;
				}
			if (!found)
				*ok = false;
			continue;
		}
		enum rule r = rule_parse(item);
		if (r == RULE_NONE) {
			*ok = false;
			continue;
		}
		mask |= 1ull << r;
	}
	return all ? 0 : mask;
}

bool run_matches_expect(const struct scenario *s, const struct run_result *res)
{
	if (s->expect == EXPECT_NONE)
		return true;
	if (s->expect == EXPECT_CLEAN)
		return res->nfindings == 0;
	uint64_t want = 0, got = 0;
	for (uint32_t i = 0; i < s->nexpect; i++)
		want |= 1ull << s->expect_rules[i];
	for (uint32_t i = 0; i < res->nfindings; i++)
		got |= 1ull << res->findings[i].rule;
	return want == got;
}
