/* test_kernel.c - the kernel shim on its own: a scheduler, trace, oracle and
 * kernel wired as a run wires them (sim/run/run.c), simulated threads whose
 * bodies call WDK routines. For every K rule a passing case (correct use, no
 * finding) and a failing one (the finding with that rule), plus functional
 * checks: event wake-ups, timeouts on simulated time, DPCs at DISPATCH, pool
 * faults from the choice stream, rundown waits, thread objects, determinism. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernel/kernel.h"

#define EVENTS_CAP 8192
#define TAG_TEST 0x74736554u
#define TAG_A 0x41414141u
#define TAG_B 0x42424242u
#define TAG_C 0x43434343u
#define TAG_LEAK 0x4B41454Cu
#define LOG_CAP 4096

static const char *const module_names[] = { "D0", "D1" };

struct world {
	struct fiber_pool pool;
	struct choice choice;
	struct choice_rec log[LOG_CAP];
	struct trace trace;
	struct event events[EVENTS_CAP];
	struct oracle oracle;
	struct sched sched;
	struct kernel *k;
	enum sched_outcome outcome;
};

static struct world *W;

static void world_init(const uint8_t *bytes, size_t n, uint8_t fault_num, uint8_t fault_den)
{
	struct world *w = W;
	oracle_init(&w->oracle, module_names, 2, false);
	trace_init(&w->trace, w->events, EVENTS_CAP, oracle_observe, &w->oracle);
	choice_init_bytes(&w->choice, bytes, n, w->log, LOG_CAP);
	sched_init(&w->sched, &w->pool, &w->choice, &w->trace, 20000, &w->oracle.stop_requested);
	kernel_init(w->k, &w->sched, &w->choice, &w->oracle, fault_num, fault_den);
	kernel_current = w->k;
}

/* A thread of module `module` running fn. */
static struct sim_thread *spawn(void (*fn)(struct sched *, void *), void *arg, uint8_t module)
{
	struct sim_thread *t = sched_spawn(&W->sched, THREAD_SCRIPT, fn, arg);
	if (t)
		t->module = module;
	return t;
}

static enum sched_outcome run(void)
{
	W->outcome = sched_run(&W->sched);
	/* The run calls kernel_on_idle from its idle hook; here: after the threads. */
	return W->outcome;
}

static unsigned findings_of(enum rule r)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < W->oracle.nfindings; i++)
		n += W->oracle.findings[i].rule == r;
	return n;
}

static const struct finding *first_of(enum rule r)
{
	for (uint32_t i = 0; i < W->oracle.nfindings; i++)
		if (W->oracle.findings[i].rule == r)
			return &W->oracle.findings[i];
	static const struct finding none = { .rule = RULE_NONE, .site = 0xff };
	return &none;
}

static void dump_findings(void)
{
	for (uint32_t i = 0; i < W->oracle.nfindings; i++)
		oracle_print_finding(&W->oracle, &W->oracle.findings[i], stderr);
}

#define CHECK_CLEAN() do { CHECK_EQ_U(W->oracle.nfindings, 0); if (W->oracle.nfindings) dump_findings(); } while (0)
#define CHECK_RULE(r) do { CHECK(findings_of(r) > 0); if (!findings_of(r)) dump_findings(); } while (0)

static uint64_t seconds_ms(uint64_t t) { return t / 10000u; }

static LARGE_INTEGER rel_ms(LONGLONG ms)
{
	LARGE_INTEGER v;
	v.QuadPart = -ms * 10000;
	return v;
}

/* ---- K01 irql-mismatch ---- */

static void k01_good(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG_TEST);
	ExFreePoolWithTag(p, TAG_TEST);
	KeLowerIrql(old);
	p = ExAllocatePool2(POOL_FLAG_PAGED, 32, TAG_TEST);
	ExFreePoolWithTag(p, TAG_TEST);
}

static void k01_bad(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	void *p = ExAllocatePool2(POOL_FLAG_PAGED, 32, TAG_TEST); /* paged pool at DISPATCH */
	ExFreePoolWithTag(p, TAG_TEST);
	KeLowerIrql(old);
}

static void k01_lower_up(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeLowerIrql(DISPATCH_LEVEL); /* "lowering" to a higher IRQL */
	CHECK_EQ_U(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* A callback (events as the registrar emits them) that returns at another IRQL. */
static void k01_callback(struct sched *s, void *arg)
{
	(void)arg;
	struct event e = { .kind = EV_CB_ENTER, .what = CB_CLIENT_DETACH, .module = 0, .peer = 1, .binding = 0 };
	sched_emit(s, &e);
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old); /* never lowered */
	e.kind = EV_CB_EXIT;
	sched_emit(s, &e);
	sched_set_irql(s, PASSIVE_LEVEL);
}

static void test_k01(void)
{
	world_init(NULL, 0, 0, 0);
	spawn(k01_good, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();

	world_init(NULL, 0, 0, 0);
	spawn(k01_bad, NULL, 0);
	run();
	CHECK_RULE(RULE_K01);
	CHECK_EQ_U(first_of(RULE_K01)->site_kind, SITE_KERNEL);
	CHECK_EQ_U(first_of(RULE_K01)->site, KE_ExAllocatePool2);
	char sig[96];
	oracle_signature(&W->oracle, first_of(RULE_K01), sig, sizeof sig);
	CHECK(strcmp(sig, "K01 D0 ExAllocatePool2") == 0);

	world_init(NULL, 0, 0, 0);
	spawn(k01_lower_up, NULL, 0);
	run();
	CHECK_RULE(RULE_K01);

	world_init(NULL, 0, 0, 0);
	spawn(k01_callback, NULL, 0);
	run();
	CHECK_RULE(RULE_K01);
	CHECK_EQ_U(first_of(RULE_K01)->site, KE_CallbackReturn);
}

/* ---- K02 spinlock-misuse ---- */

static KSPIN_LOCK g_lock;
static LONG g_counter;

static void k02_good(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	for (int i = 0; i < 3; i++) {
		KIRQL irql;
		KeAcquireSpinLock(&g_lock, &irql);
		LONG v = g_counter;
		KeQueryInterruptTime(); /* a scheduling point inside the critical section */
		g_counter = v + 1;
		KeReleaseSpinLock(&g_lock, irql);
		KLOCK_QUEUE_HANDLE h;
		KeAcquireInStackQueuedSpinLock(&g_lock, &h);
		KeReleaseInStackQueuedSpinLock(&h);
	}
}

static void k02_release_unheld(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeInitializeSpinLock(&g_lock);
	KeRaiseIrql(DISPATCH_LEVEL, &(KIRQL){ 0 });
	KeReleaseSpinLock(&g_lock, PASSIVE_LEVEL);
}

static void k02_recursive(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KIRQL a, b;
	KeInitializeSpinLock(&g_lock);
	KeAcquireSpinLock(&g_lock, &a);
	KeAcquireSpinLock(&g_lock, &b); /* spins forever */
	CHECK(!"not reached");
}

static void k02_held_at_return(struct sched *s, void *arg)
{
	(void)arg;
	KeInitializeSpinLock(&g_lock);
	struct event e = { .kind = EV_CB_ENTER, .what = CB_PROVIDER_DETACH, .module = 0, .peer = 1, .binding = 0 };
	sched_emit(s, &e);
	KIRQL irql;
	KeAcquireSpinLock(&g_lock, &irql);
	sched_set_irql(s, PASSIVE_LEVEL); /* returns at the right IRQL, lock still held */
	e.kind = EV_CB_EXIT;
	sched_emit(s, &e);
}

static void test_k02(void)
{
	world_init((const uint8_t[]){ 1, 2, 1, 0, 2, 1, 1, 2, 0, 1 }, 10, 0, 0);
	g_lock = 0; /* a zeroed lock is a valid free lock */
	g_counter = 0;
	spawn(k02_good, NULL, 0);
	spawn(k02_good, NULL, 1);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK_EQ_U(g_counter, 6);
	CHECK_EQ_U(kernel_locks_held(W->k, 0), 0);

	world_init(NULL, 0, 0, 0);
	spawn(k02_release_unheld, NULL, 0);
	run();
	CHECK_RULE(RULE_K02);

	world_init(NULL, 0, 0, 0);
	spawn(k02_recursive, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DEADLOCK);
	CHECK_RULE(RULE_K02);
	CHECK_EQ_U(W->sched.threads[0].block_reason, BLOCK_SPINLOCK);
	char why[96];
	CHECK(kernel_describe_block(W->k, NULL, 0, why, sizeof why) > 0);
	CHECK(strstr(why, "held by thread-0") != NULL);

	world_init(NULL, 0, 0, 0);
	spawn(k02_held_at_return, NULL, 0);
	run();
	CHECK_RULE(RULE_K02);
	CHECK_EQ_U(first_of(RULE_K02)->site, KE_CallbackReturn);
	CHECK_EQ_U(kernel_locks_held(W->k, 0), 1);
}

/* Spin lock contention: the second thread blocks until the first releases. */
static void spin_holder(struct sched *s, void *arg)
{
	(void)arg;
	KIRQL irql;
	KeAcquireSpinLock(&g_lock, &irql);
	g_counter = 1;
	for (int i = 0; i < 5; i++)
		sched_point(s);
	g_counter = 2;
	KeReleaseSpinLock(&g_lock, irql);
}

static void spin_waiter(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	while (g_counter == 0)
		KeQueryInterruptTime(); /* a scheduling point */
	KIRQL irql;
	KeAcquireSpinLock(&g_lock, &irql);
	CHECK_EQ_U(g_counter, 2); /* only after the holder released */
	KeReleaseSpinLock(&g_lock, irql);
}

static void test_spin_contention(void)
{
	/* Schedule bytes prefer switching threads, so the waiter meets the held lock. */
	static const uint8_t bytes[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	world_init(bytes, sizeof bytes, 0, 0);
	g_lock = 0;
	g_counter = 0;
	spawn(spin_holder, NULL, 0);
	spawn(spin_waiter, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	bool blocked = false;
	for (uint32_t i = 0; i < W->trace.count && i < EVENTS_CAP; i++)
		blocked |= W->events[i].kind == EV_BLOCK && W->events[i].what == BLOCK_SPINLOCK;
	CHECK(blocked);
}

/* ---- K03 wait-at-dispatch ---- */

static KEVENT g_event;

static void k03_good(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeInitializeEvent(&g_event, NotificationEvent, FALSE);
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	LARGE_INTEGER zero = { .QuadPart = 0 };
	CHECK_EQ_U(KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
	KeSetEvent(&g_event, 0, FALSE);
	CHECK_EQ_U(KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
	KeLowerIrql(old);
}

static void k03_bad(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeInitializeEvent(&g_event, NotificationEvent, FALSE);
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	LARGE_INTEGER t = rel_ms(1);
	CHECK_EQ_U(KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, &t), STATUS_TIMEOUT);
	KeLowerIrql(old);
}

static void test_k03(void)
{
	world_init(NULL, 0, 0, 0);
	spawn(k03_good, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();

	world_init(NULL, 0, 0, 0);
	spawn(k03_bad, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_RULE(RULE_K03);
	CHECK_EQ_U(first_of(RULE_K03)->site, KE_KeWaitForSingleObject);
}

/* ---- K04 rundown-misuse ---- */

static EX_RUNDOWN_REF g_rundown;
static int g_stage;

static void rundown_user(struct sched *s, void *arg)
{
	(void)arg;
	CHECK(ExAcquireRundownProtection(&g_rundown));
	g_stage = 1;
	for (int i = 0; i < 4; i++)
		sched_point(s);
	g_stage = 2;
	ExReleaseRundownProtection(&g_rundown);
}

static void rundown_waiter(struct sched *s, void *arg)
{
	(void)arg;
	while (g_stage == 0)
		sched_point(s);
	ExWaitForRundownProtectionRelease(&g_rundown);
	CHECK_EQ_U(g_stage, 2);
	CHECK(!ExAcquireRundownProtection(&g_rundown)); /* run down */
	ExReInitializeRundownProtection(&g_rundown);
	CHECK(ExAcquireRundownProtection(&g_rundown));
	ExReleaseRundownProtection(&g_rundown);
}

static void k04_over_release(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	ExInitializeRundownProtection(&g_rundown);
	CHECK(ExAcquireRundownProtection(&g_rundown));
	ExReleaseRundownProtection(&g_rundown);
	ExReleaseRundownProtection(&g_rundown);
}

static void k04_wait_twice(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	ExInitializeRundownProtection(&g_rundown);
	ExWaitForRundownProtectionRelease(&g_rundown);
	ExWaitForRundownProtectionRelease(&g_rundown);
}

static void k04_reinit_in_use(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	ExInitializeRundownProtection(&g_rundown);
	CHECK(ExAcquireRundownProtection(&g_rundown));
	ExReInitializeRundownProtection(&g_rundown);
}

static void test_k04(void)
{
	static const uint8_t bytes[] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	world_init(bytes, sizeof bytes, 0, 0);
	memset(&g_rundown, 0, sizeof g_rundown); /* zeroed = initialised, as on Windows */
	g_stage = 0;
	spawn(rundown_user, NULL, 0);
	spawn(rundown_waiter, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	bool waited = false;
	for (uint32_t i = 0; i < W->trace.count && i < EVENTS_CAP; i++)
		waited |= W->events[i].kind == EV_BLOCK && W->events[i].what == BLOCK_RUNDOWN;
	CHECK(waited);

	void (*bad[])(struct sched *, void *) = { k04_over_release, k04_wait_twice, k04_reinit_in_use };
	for (unsigned i = 0; i < 3; i++) {
		world_init(NULL, 0, 0, 0);
		spawn(bad[i], NULL, 0);
		run();
		CHECK_RULE(RULE_K04);
	}
}

/* ---- K05 pool-misuse ---- */

static void k05_good(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	unsigned char *a = ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, TAG_A);
	unsigned char *b = ExAllocatePoolWithTag(NonPagedPoolNx, 8, TAG_B);
	unsigned char *c = ExAllocatePoolZero(NonPagedPoolNx, 8, TAG_C);
	CHECK(a && b && c);
	CHECK(a[0] == 0 && a[39] == 0);  /* ExAllocatePool2 zeroes */
	CHECK(b[0] == 0xCD);             /* WithTag does not: a fixed fill, never old data */
	CHECK(c[7] == 0);
	ExFreePoolWithTag(a, TAG_A);
	ExFreePool(b);
	ExFreePoolWithTag(c, TAG_C);
}

static void k05_double_free(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	void *a = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG_A);
	ExFreePoolWithTag(a, TAG_A);
	ExFreePoolWithTag(a, TAG_A);
}

static void k05_foreign(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	static char not_pool[32];
	ExFreePool(not_pool);
}

static void k05_tag(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	void *a = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG_A);
	ExFreePoolWithTag(a, TAG_B);
}

static void test_k05(void)
{
	world_init(NULL, 0, 0, 0);
	spawn(k05_good, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	uint32_t leaked = 9, pending = 9;
	kernel_module_unloaded(W->k, 0, &leaked, &pending);
	CHECK_EQ_U(leaked, 0);
	CHECK_EQ_U(pending, 0);

	void (*bad[])(struct sched *, void *) = { k05_double_free, k05_foreign, k05_tag };
	for (unsigned i = 0; i < 3; i++) {
		world_init(NULL, 0, 0, 0);
		spawn(bad[i], NULL, 0);
		run();
		CHECK_RULE(RULE_K05);
	}
}

/* Leak accounting and pool faults from the choice stream. */
static void leaky(struct sched *s, void *arg)
{
	(void)s;
	void **out = arg;
	out[0] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG_LEAK);
	out[1] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG_LEAK);
	out[2] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG_LEAK);
}

static void test_pool_faults(void)
{
	void *got[3];
	/* Ratio 1/2: an odd byte fails the allocation; option 0 succeeds. */
	world_init((const uint8_t[]){ 0, 1, 0 }, 3, 1, 2);
	spawn(leaky, got, 1);
	run();
	CHECK(got[0] != NULL);
	CHECK(got[1] == NULL);
	CHECK(got[2] != NULL);
	uint32_t leaked = 0, pending = 0;
	kernel_module_unloaded(W->k, 1, &leaked, &pending);
	CHECK_EQ_U(leaked, 2);
	bool fault_event = false;
	for (uint32_t i = 0; i < W->trace.count && i < EVENTS_CAP; i++)
		fault_event |= W->events[i].kind == EV_CHOICE && W->events[i].what == CK_POOL_FAULT;
	CHECK(fault_event);
	/* Den 0: never, and no choice is consumed. */
	world_init(NULL, 0, 0, 0);
	spawn(leaky, got, 1);
	run();
	CHECK(got[0] && got[1] && got[2]);
	CHECK_EQ_U(W->choice.log_len, 0);
}

/* ---- K06 work-after-unload ---- */

static KTIMER g_timer;
static KDPC g_dpc;
static int g_dpc_runs;
static KIRQL g_dpc_irql;
static uint8_t g_dpc_thread_kind;

static void dpc_routine(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	(void)dpc; (void)a1; (void)a2;
	g_dpc_runs++;
	g_dpc_irql = KeGetCurrentIrql();
	g_dpc_thread_kind = kernel_current->sched->current->kind;
	if (ctx)
		KeSetEvent(ctx, 0, FALSE);
}

static void k06_good(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeInitializeEvent(&g_event, NotificationEvent, FALSE);
	KeInitializeDpc(&g_dpc, dpc_routine, &g_event);
	KeInitializeTimer(&g_timer);
	LARGE_INTEGER due = rel_ms(50);
	KeSetTimer(&g_timer, due, &g_dpc);
	KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, NULL); /* the DPC sets it */
	KeCancelTimer(&g_timer);
	KeFlushQueuedDpcs();
}

static void k06_bad(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeInitializeDpc(&g_dpc, dpc_routine, NULL);
	KeInitializeTimer(&g_timer);
	LARGE_INTEGER due = rel_ms(50);
	KeSetTimer(&g_timer, due, &g_dpc); /* never cancelled */
}

static void test_k06(void)
{
	world_init(NULL, 0, 0, 0);
	g_dpc_runs = 0;
	spawn(k06_good, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK_EQ_U(g_dpc_runs, 1);
	CHECK_EQ_U(g_dpc_irql, DISPATCH_LEVEL);
	CHECK_EQ_U(g_dpc_thread_kind, THREAD_DPC);
	CHECK(seconds_ms(kernel_time(W->k)) >= 50);
	uint32_t leaked = 9, pending = 9;
	kernel_module_unloaded(W->k, 0, &leaked, &pending);
	CHECK_EQ_U(pending, 0);

	world_init(NULL, 0, 0, 0);
	g_dpc_runs = 0;
	spawn(k06_bad, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	kernel_module_unloaded(W->k, 0, &leaked, &pending);
	CHECK_EQ_U(pending, 1); /* the timer with its DPC */
	/* The run's idle hook: time moves on, the timer fires, its DPC is due. */
	CHECK(kernel_on_idle(W->k));
	W->sched.outcome = OUTCOME_RUNNING;
	CHECK_EQ_U(sched_run(&W->sched), OUTCOME_DONE);
	CHECK_RULE(RULE_K06);
	CHECK_EQ_U(g_dpc_runs, 0); /* the unloaded module's code did not run */
	CHECK(!kernel_on_idle(W->k));
}

/* An IoQueueWorkItem queued before Unload may still run; one queued after is K06. */
static PDEVICE_OBJECT g_device;
static PIO_WORKITEM g_item;
static int g_work_runs;
static KIRQL g_work_irql;

static void work_routine(PDEVICE_OBJECT dev, PVOID ctx)
{
	(void)ctx;
	CHECK(dev == g_device);
	g_work_runs++;
	g_work_irql = KeGetCurrentIrql();
}

static void io_work_body(struct sched *s, void *arg)
{
	(void)s;
	int phase = (int)(intptr_t)arg;
	if (phase == 0) {
		CHECK_EQ_U(IoCreateDevice(NULL, 16, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_device), STATUS_SUCCESS);
		g_item = IoAllocateWorkItem(g_device);
		CHECK(g_item != NULL);
		IoQueueWorkItem(g_item, work_routine, DelayedWorkQueue, NULL);
	} else {
		IoQueueWorkItem(g_item, work_routine, DelayedWorkQueue, NULL); /* after unload */
	}
}

static void test_io_work(void)
{
	world_init(NULL, 0, 0, 0);
	g_work_runs = 0;
	spawn(io_work_body, (void *)(intptr_t)0, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK_EQ_U(g_work_runs, 1);
	CHECK_EQ_U(g_work_irql, PASSIVE_LEVEL);
	uint32_t leaked = 0, pending = 0;
	kernel_module_unloaded(W->k, 0, &leaked, &pending);
	CHECK_EQ_U(leaked, 2); /* the device and the work item */
	spawn(io_work_body, (void *)(intptr_t)1, 0);
	W->sched.outcome = OUTCOME_RUNNING;
	sched_run(&W->sched);
	CHECK_RULE(RULE_K06);
	CHECK_EQ_U(g_work_runs, 1);
}

/* ---- K07 bugcheck ---- */

static void k07_good(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	NT_ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
	ASSERT(1 + 1 == 2);
}

static void k07_bugcheck(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeBugCheckEx(0xDEADu, 1, 2, 3, 4);
}

static void k07_assert(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	NT_ASSERT(KeGetCurrentIrql() == DISPATCH_LEVEL);
	CHECK(!"not reached");
}

static void test_k07(void)
{
	world_init(NULL, 0, 0, 0);
	spawn(k07_good, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();

	world_init(NULL, 0, 0, 0);
	spawn(k07_bugcheck, NULL, 0);
	spawn(k07_good, NULL, 1);
	CHECK_EQ_U(run(), OUTCOME_HALTED);
	CHECK_RULE(RULE_K07);
	CHECK(strstr(first_of(RULE_K07)->detail, "0x0000DEAD") != NULL);

	world_init(NULL, 0, 0, 0);
	spawn(k07_assert, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_HALTED);
	CHECK_RULE(RULE_K07);
	CHECK_EQ_U(first_of(RULE_K07)->site, KE_RtlAssert);
	CHECK(strstr(first_of(RULE_K07)->detail, "test_kernel.c:") != NULL);
}

/* ---- K09 object-misuse ---- */

static void k09_bad(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	static KEVENT never_initialised;
	LARGE_INTEGER zero = { .QuadPart = 0 };
	CHECK_EQ_U(KeWaitForSingleObject(&never_initialised, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
	FAST_MUTEX m;
	memset(&m, 0xCD, sizeof m);
	ExAcquireFastMutex(&m); /* reported, then taken as a free mutex */
	ExReleaseFastMutex(&m);
}

static void test_k09(void)
{
	world_init(NULL, 0, 0, 0);
	spawn(k09_bad, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_RULE(RULE_K09);
	CHECK_EQ_U(findings_of(RULE_K09), 2);
}

/* ---- events, timeouts, waits ---- */

static int g_woken;

static void event_waiter(struct sched *s, void *arg)
{
	(void)s;
	PRKEVENT ev = arg;
	CHECK_EQ_U(KeWaitForSingleObject(ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	g_woken++;
}

static void event_init(struct sched *s, void *arg)
{
	(void)s;
	KeInitializeEvent(&g_event, (EVENT_TYPE)(intptr_t)arg, FALSE);
}

static void event_setter(struct sched *s, void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		sched_point(s);
	KeSetEvent(&g_event, 0, FALSE);
	KeClearEvent(&g_event); /* the waiters were satisfied at the set */
}

static void test_events(void)
{
	/* Notification: one set wakes every waiter, even if cleared at once. */
	world_init(NULL, 0, 0, 0);
	g_woken = 0;
	spawn(event_init, (void *)(intptr_t)NotificationEvent, 0);
	spawn(event_waiter, &g_event, 0);
	spawn(event_waiter, &g_event, 0);
	spawn(event_setter, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK_EQ_U(g_woken, 2);

	/* Synchronization: one set wakes one waiter; the other stays blocked. */
	world_init(NULL, 0, 0, 0);
	g_woken = 0;
	spawn(event_init, (void *)(intptr_t)SynchronizationEvent, 0);
	spawn(event_waiter, &g_event, 0);
	spawn(event_waiter, &g_event, 0);
	spawn(event_setter, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DEADLOCK);
	CHECK_EQ_U(g_woken, 1);
	CHECK_EQ_U(g_event.Header.SignalState, 0);
	char why[96] = "";
	unsigned blocked = W->sched.threads[1].state == TS_BLOCKED ? 1 : 2;
	CHECK(kernel_describe_block(W->k, NULL, (uint8_t)blocked, why, sizeof why) > 0);
	CHECK(strstr(why, "never signalled") != NULL);
}

static NTSTATUS g_status;
static uint64_t g_before, g_after;

static void timed_waiter(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	KeInitializeEvent(&g_event, NotificationEvent, FALSE);
	LARGE_INTEGER t = rel_ms(250);
	g_before = KeQueryInterruptTime();
	g_status = KeWaitForSingleObject(&g_event, Executive, KernelMode, FALSE, &t);
	g_after = KeQueryInterruptTime();
	LARGE_INTEGER d = rel_ms(1000);
	KeDelayExecutionThread(KernelMode, FALSE, &d);
}

static void test_timeouts(void)
{
	uint64_t hash[2], end[2];
	for (int round = 0; round < 2; round++) {
		world_init(NULL, 0, 0, 0);
		spawn(timed_waiter, NULL, 0);
		CHECK_EQ_U(run(), OUTCOME_DONE);
		CHECK_CLEAN();
		CHECK_EQ_U(g_status, STATUS_TIMEOUT);
		CHECK(g_after - g_before >= 250u * 10000u);
		CHECK(g_after - g_before < 251u * 10000u);
		end[round] = kernel_time(W->k);
		hash[round] = W->trace.hash;
	}
	CHECK(end[0] >= 1250u * 10000u);
	CHECK_EQ_U(end[0], end[1]); /* simulated time is a function of the run */
	CHECK_EQ_U(hash[0], hash[1]);
}

/* A thread object: wait for a system thread to end. */
static int g_sys_ran;

static void system_routine(PVOID ctx)
{
	CHECK(ctx == &g_sys_ran);
	g_sys_ran = 1;
	CHECK_EQ_U(kernel_current->sched->current->kind, THREAD_SYSTEM);
	CHECK_EQ_U(kernel_current->sched->current->module, 1);
	LARGE_INTEGER d = rel_ms(5);
	KeDelayExecutionThread(KernelMode, FALSE, &d);
	PsTerminateSystemThread(STATUS_SUCCESS);
}

static void thread_creator(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	HANDLE h;
	CHECK_EQ_U(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, NULL, system_routine, &g_sys_ran),
		   STATUS_SUCCESS);
	PVOID obj = NULL;
	CHECK_EQ_U(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &obj, NULL), STATUS_SUCCESS);
	ZwClose(h);
	CHECK_EQ_U(KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	CHECK_EQ_U(g_sys_ran, 1);
	ObDereferenceObject(obj);
}

static void bad_close(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	ZwClose((HANDLE)(uintptr_t)0x80000040u);
}

static void test_threads(void)
{
	world_init(NULL, 0, 0, 0);
	g_sys_ran = 0;
	spawn(thread_creator, NULL, 1);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	uint32_t leaked = 9, pending = 9;
	kernel_module_unloaded(W->k, 1, &leaked, &pending);
	CHECK_EQ_U(leaked, 0);
	CHECK_EQ_U(pending, 0);

	world_init(NULL, 0, 0, 0);
	spawn(bad_close, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_HALTED);
	CHECK_RULE(RULE_K07);
}

/* ---- push locks, fast mutexes, multiple waits, ExQueueWorkItem ---- */

static EX_PUSH_LOCK g_push;
static FAST_MUTEX g_mutex;
static int g_inside, g_max_inside;

static void push_user(struct sched *s, void *arg)
{
	(void)s;
	bool exclusive = arg != NULL;
	for (int i = 0; i < 3; i++) {
		KeEnterCriticalRegion();
		if (exclusive)
			ExAcquirePushLockExclusive(&g_push);
		else
			ExAcquirePushLockShared(&g_push);
		g_inside += exclusive ? 100 : 1;
		if (g_inside > g_max_inside)
			g_max_inside = g_inside;
		KeQueryInterruptTime();
		g_inside -= exclusive ? 100 : 1;
		if (exclusive)
			ExReleasePushLockExclusive(&g_push);
		else
			ExReleasePushLockShared(&g_push);
		KeLeaveCriticalRegion();
	}
}

static void mutex_user(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	for (int i = 0; i < 3; i++) {
		ExAcquireFastMutex(&g_mutex);
		CHECK_EQ_U(KeGetCurrentIrql(), APC_LEVEL);
		g_inside++;
		if (g_inside > g_max_inside)
			g_max_inside = g_inside;
		KeQueryInterruptTime();
		g_inside--;
		ExReleaseFastMutex(&g_mutex);
		CHECK_EQ_U(KeGetCurrentIrql(), PASSIVE_LEVEL);
	}
}

static void mutex_init(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	ExInitializeFastMutex(&g_mutex);
}

static void mutex_recursive(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	ExInitializeFastMutex(&g_mutex);
	ExAcquireFastMutex(&g_mutex);
	ExAcquireFastMutex(&g_mutex);
}

static void test_locks(void)
{
	static const uint8_t bytes[] = { 1, 2, 1, 1, 2, 0, 1, 2, 2, 1, 1, 0, 2, 1, 2, 1, 1, 2, 1, 2, 1, 1, 2, 2, 1, 1 };
	world_init(bytes, sizeof bytes, 0, 0);
	memset(&g_push, 0, sizeof g_push);
	g_inside = g_max_inside = 0;
	spawn(push_user, (void *)1, 0);
	spawn(push_user, NULL, 0);
	spawn(push_user, NULL, 1);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK(g_max_inside == 100 || g_max_inside <= 2); /* never exclusive and shared together */

	world_init(bytes, sizeof bytes, 0, 0);
	g_inside = g_max_inside = 0;
	spawn(mutex_init, NULL, 0);
	spawn(mutex_user, NULL, 0);
	spawn(mutex_user, NULL, 1);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK_EQ_U(g_max_inside, 1);

	world_init(NULL, 0, 0, 0);
	spawn(mutex_recursive, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DEADLOCK);
	CHECK_RULE(RULE_K02);
}

static KEVENT g_events[2];

static void multi_waiter(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	PVOID objs[2] = { &g_events[0], &g_events[1] };
	KeInitializeEvent(&g_events[0], SynchronizationEvent, FALSE);
	KeInitializeEvent(&g_events[1], NotificationEvent, FALSE);
	g_stage = 1;
	CHECK_EQ_U(KeWaitForMultipleObjects(2, objs, WaitAny, Executive, KernelMode, FALSE, NULL, NULL), STATUS_WAIT_1);
	g_stage = 2;
	CHECK_EQ_U(KeWaitForMultipleObjects(2, objs, WaitAll, Executive, KernelMode, FALSE, NULL, NULL), STATUS_WAIT_0);
	CHECK_EQ_U(g_events[0].Header.SignalState, 0); /* the synchronization event was consumed */
	CHECK_EQ_U(g_events[1].Header.SignalState, 1);
}

static void multi_setter(struct sched *s, void *arg)
{
	(void)arg;
	(void)s;
	LARGE_INTEGER nap = rel_ms(1);
	while (g_stage != 1)
		KeDelayExecutionThread(KernelMode, FALSE, &nap);
	KeSetEvent(&g_events[1], 0, FALSE);
	while (g_stage != 2)
		KeDelayExecutionThread(KernelMode, FALSE, &nap);
	KeSetEvent(&g_events[0], 0, FALSE);
}

static void test_multiple(void)
{
	world_init(NULL, 0, 0, 0);
	g_stage = 0;
	spawn(multi_waiter, NULL, 0);
	spawn(multi_setter, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
}

static WORK_QUEUE_ITEM g_ex_item;

static void ex_routine(PVOID ctx)
{
	(void)ctx;
	g_work_runs++;
}

static void ex_queuer(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	ExInitializeWorkItem(&g_ex_item, ex_routine, NULL);
	ExQueueWorkItem(&g_ex_item, DelayedWorkQueue);
}

/* Queues, then Unload returns (on this thread, before the worker runs). */
static void ex_queuer_unloading(struct sched *s, void *arg)
{
	ex_queuer(s, arg);
	uint32_t leaked = 0, pending = 0;
	kernel_module_unloaded(kernel_current, 0, &leaked, &pending);
	CHECK_EQ_U(pending, 1);
}

static void test_ex_work(void)
{
	world_init(NULL, 0, 0, 0);
	g_work_runs = 0;
	spawn(ex_queuer, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK_EQ_U(g_work_runs, 1);

	/* Queued, then the module unloads before the worker gets to it: K06, not run. */
	world_init(NULL, 0, 0, 0);
	g_work_runs = 0;
	spawn(ex_queuer_unloading, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_RULE(RULE_K06);
	CHECK_EQ_U(g_work_runs, 0);
}

/* Windows' worker pool grows while every worker is blocked inside an item and
 * items are queued: WAITERS items wait for a gate event that the last queued
 * item sets. Each blocked worker lets one more start, up to
 * KERNEL_IO_WORKERS_MAX; beyond it the gate item stays queued (a deadlock,
 * whose report names it). */
static KEVENT g_gate;
static WORK_QUEUE_ITEM g_gate_items[KERNEL_IO_WORKERS_MAX + 1];
static int g_gate_passed;

static void gate_waiter(PVOID ctx)
{
	(void)ctx;
	KeWaitForSingleObject(&g_gate, Executive, KernelMode, FALSE, NULL);
	g_gate_passed++;
}

static void gate_opener(PVOID ctx)
{
	(void)ctx;
	KeSetEvent(&g_gate, IO_NO_INCREMENT, FALSE);
}

static void gate_queuer(struct sched *s, void *arg)
{
	(void)s;
	unsigned waiters = (unsigned)(uintptr_t)arg;
	KeInitializeEvent(&g_gate, NotificationEvent, FALSE);
	for (unsigned i = 0; i <= waiters; i++) {
		ExInitializeWorkItem(&g_gate_items[i], i < waiters ? gate_waiter : gate_opener, NULL);
		ExQueueWorkItem(&g_gate_items[i], DelayedWorkQueue);
	}
}

static unsigned io_workers_spawned(void)
{
	unsigned n = W->k->io_worker != NULL;
	for (unsigned i = 0; i + 1 < KERNEL_IO_WORKERS_MAX; i++)
		n += W->k->io_more[i] != NULL;
	return n;
}

static enum sched_outcome gate_run(unsigned waiters)
{
	world_init(NULL, 0, 0, 0);
	g_gate_passed = 0;
	spawn(gate_queuer, (void *)(uintptr_t)waiters, 0);
	return run();
}

static void test_work_grow(void)
{
	/* At the capacity: every worker but one blocked, the last runs the gate. */
	CHECK_EQ_U(gate_run(KERNEL_IO_WORKERS_MAX - 1), OUTCOME_DONE);
	CHECK_CLEAN();
	CHECK_EQ_U(g_gate_passed, KERNEL_IO_WORKERS_MAX - 1);
	CHECK_EQ_U(io_workers_spawned(), KERNEL_IO_WORKERS_MAX);
	/* Beyond it: every worker blocked, the gate item never runs. */
	CHECK_EQ_U(gate_run(KERNEL_IO_WORKERS_MAX), OUTCOME_DEADLOCK);
	CHECK_EQ_U(g_gate_passed, 0);
	CHECK_EQ_U(io_workers_spawned(), KERNEL_IO_WORKERS_MAX);
	CHECK_EQ_U(W->k->work_len, 1);
	/* Three items blocked at once (a false deadlock with two workers before):
	 * a fourth worker runs the gate, except in the tiny configuration. */
	CHECK_EQ_U(gate_run(3), 3 < KERNEL_IO_WORKERS_MAX ? OUTCOME_DONE : OUTCOME_DEADLOCK);
}

/* A run that never calls the kernel spawns no helper thread (traces unchanged). */
static void plain(struct sched *s, void *arg)
{
	(void)arg;
	sched_point(s);
}

static void test_lazy(void)
{
	world_init(NULL, 0, 0, 0);
	spawn(plain, NULL, 0);
	CHECK_EQ_U(run(), OUTCOME_DONE);
	CHECK_EQ_U(W->sched.nthreads, 1);
	CHECK(W->k->dpc_thread == NULL && W->k->io_worker == NULL);
}

/* DbgPrint goes to the message table, not the hash. */
static void printer(struct sched *s, void *arg)
{
	(void)s; (void)arg;
	UNICODE_STRING u;
	static const WCHAR name[] = { 'n', 'm', 'r', 0 };
	RtlInitUnicodeString(&u, name);
	static const char counted[4] = { 'a', 'b', 'c', 'd' }; /* not terminated */
	DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "hello %d %s %wZ %p %I64u %.*s %5.2s|%lu\n", -3, "x", &u,
		   (void *)&u, (ULONG64)7, 3, counted, "xyz", (ULONG)42);
}

static void test_dprint(void)
{
	world_init(NULL, 0, 0, 0);
	spawn(printer, NULL, 0);
	run();
	const char *text = trace_message(&W->trace, 0);
	CHECK(text && strcmp(text, "hello -3 x nmr <ptr> 7 abc xy|42") == 0);
	if (text)
		fprintf(stderr, "dprint: '%s'\n", text);
}

int main(void)
{
	W = calloc(1, sizeof *W);
	struct kernel *k = malloc(sizeof *k);
	if (!W || !k || fiber_pool_init(&W->pool, SIM_THREADS_MAX, FIBER_STACK_BYTES) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	W->k = k;
	test_k01();
	test_k02();
	test_spin_contention();
	test_k03();
	test_k04();
	test_k05();
	test_pool_faults();
	test_k06();
	test_io_work();
	test_k07();
	test_k09();
	test_events();
	test_timeouts();
	test_threads();
	test_locks();
	test_multiple();
	test_ex_work();
	test_work_grow();
	test_lazy();
	test_dprint();
	kernel_current = NULL;
	fiber_pool_fini(&W->pool);
	free(k);
	free(W);
	return check_exit();
}
