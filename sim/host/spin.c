/* spin.c - basic-block instrumentation of driver code: spins give way, a
 * spin that never ends is L04 (see spin.h). */
#include "host/spin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "host/atomic_point.h"
#include "kernel/kernel.h"
#include "oracle/oracle.h"
#include "trace/trace.h"

/* One run at a time per process, like the other *_current state: driver
 * code takes no context argument. */
static struct {
	uint32_t left;                     /* blocks until the next check (hot path) */
	struct sched *sched;               /* the run's, set by spin_run_init */
	uint32_t step;                     /* sched step when the window started */
	uint8_t thread;                    /* thread that ran then */
	uint32_t yields;                   /* spin yields this run */
	uint32_t runs;                     /* runs started in this process (kept across runs) */
	uint32_t rounds[SIM_THREADS_MAX];  /* consecutive yields of a thread with no progress elsewhere */
} spin;

void spin_run_init(struct sched *s)
{
	uint32_t runs = spin.runs;
	memset(&spin, 0, sizeof spin);
	spin.runs = runs + 1;
	spin.sched = s;
	spin.left = SPIN_BLOCKS;
	spin.step = UINT32_MAX;
	spin.thread = EV_NONE8;
}

uint32_t spin_yields(void)
{
	return spin.yields;
}

uint32_t spin_runs(void)
{
	return spin.runs;
}

/* The spin never ends: report it where it is and end the run (the system
 * would hang there). pc: an address inside the loop, printed relative to
 * its binary (addr2line -e BINARY -f OFFSET), never hashed. */
_Noreturn static void spin_forever(struct sched *s, struct sim_thread *t, const void *pc, const char *why)
{
	struct kernel *k = kernel_current;
	uint8_t kind, site;
	const char *routine;
	kernel_code_site(k, t, &kind, &site, &routine);
	char where[96] = "";
	Dl_info info;
	if (dladdr(pc, &info) && info.dli_fname) {
		const char *base = strrchr(info.dli_fname, '/');
		snprintf(where, sizeof where, " at %s+0x%lx", base ? base + 1 : info.dli_fname,
			 (unsigned long)((const char *)pc - (const char *)info.dli_fbase));
	}
	char detail[160], nb[8];
	snprintf(detail, sizeof detail, "%s of %s spins%s with no kernel call; %s", routine,
		 kernel_module_name(k, t->module, nb), where, why);
	k->oracle->last_step = s->step;
	oracle_report(k->oracle, RULE_L04, (enum finding_site)kind, site, t->module, t->id, EV_NONE16, 0, detail);
	sched_halt(s);
}

/* SPIN_BLOCKS blocks of thread t with no scheduling point: give way. */
static void spin_yield(struct sched *s, struct sim_thread *t, const void *pc)
{
	struct kernel *k = kernel_current;
	uint32_t *rounds = &spin.rounds[t->id];
	spin.yields++;
	struct event e = { .kind = EV_KERNEL, .what = KE_DriverSpin, .module = t->module, .peer = EV_NONE8,
			   .binding = EV_NONE16, .aux = *rounds + 1 };
	sched_emit(s, &e);
	if (k)
		kernel_touch(k, RULE_L04);
	bool alone = s->runnable_mask == 1u << t->id;
	bool woke = false;
	/* Nothing else runs, or nothing else progressed last round: time passes
	 * while a processor spins (timers, timeouts), and once the scripted
	 * threads are done the system unloads drivers (the drain phase). */
	if (alone || *rounds > 0) {
		woke = s->on_stall && s->on_stall(s, s->hook_ctx);
		if (!woke)
			woke = s->on_idle && s->on_idle(s, s->on_idle_ctx);
	}
	if (alone && !woke && s->runnable_mask == 1u << t->id && k)
		spin_forever(s, t, pc, "no other thread can run, nothing can change what it waits for");
	uint32_t step0 = s->step, yields0 = spin.yields, atomics0 = atomic_points_taken();
	sched_give_way(s);
	/* Steps other threads made, less the ones that were spin yields too
	 * and the atomic points of `atomics preempt` (another thread polling a
	 * flag with an interlocked read makes no progress either). */
	bool progress = woke || s->step - step0 - 1u > (spin.yields - yields0) + (atomic_points_taken() - atomics0);
	if (progress)
		*rounds = 0;
	else if (++*rounds >= SPIN_ROUNDS_MAX && k)
		spin_forever(s, t, pc, "every other thread spun too, round after round");
}

__attribute__((noinline)) static void spin_check(const void *pc)
{
	struct sched *s = spin.sched;
	spin.left = SPIN_BLOCKS;
	struct sim_thread *t = s ? s->current : NULL;
	if (!t || t->state != TS_RUNNABLE)
		return;
	if (s->step != spin.step || t->id != spin.thread) {
		/* A scheduling point passed in this window: no spin (yet). The
		 * thread got here through a kernel or NMR call (a spin yield
		 * re-arms below), so it is not spinning any more. */
		spin.rounds[t->id] = 0;
		spin.step = s->step;
		spin.thread = t->id;
		return;
	}
	spin_yield(s, t, pc);
	spin.step = s->step;
	spin.thread = s->current->id;
	spin.left = SPIN_BLOCKS;
}

void nmrsim_spin_point(void)
{
	if (__builtin_expect(--spin.left != 0, 1))
		return;
	spin_check(__builtin_return_address(0));
}
