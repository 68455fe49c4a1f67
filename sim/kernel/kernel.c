/* kernel.c - the kernel shim's run state: initialisation, the scheduler hooks,
 * module accounting, reports. The WDK routines: ke_*.c, ex_*.c, io_*.c, ps_*.c. */
#include "kernel/kernel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kernel *kernel_current;

/* Generations are per process, only to tell this run's objects from
 * leftovers; they never reach a trace, a hash or a report. */
static uint32_t kernel_runs;

/* kernel_init clears the head up to threads, then a prefix of threads: nothing between. */
_Static_assert(offsetof(struct kernel, message_text) == offsetof(struct kernel, threads) + sizeof(((struct kernel *)0)->threads),
	       "threads ends the part of struct kernel that kernel_init clears");

void kernel_init(struct kernel *k, struct sched *s, struct choice *c, struct oracle *o,
		 uint8_t pool_fault_num, uint8_t pool_fault_den)
{
	SIM_ASSERT(s != NULL, "the kernel runs on a scheduler");
	SIM_ASSERT(s->trace != NULL, "the kernel's messages go to the run's trace");
	/* Everything but the message texts, the thread objects and the pool
	 * buffer; of the per-thread state only what the previous run wrote
	 * (kernel_run_end; from a kernel that may hold anything: all of it). */
	uint32_t dirty = SIM_THREADS_MAX;
	if (k->threads_gen == k->generation && k->threads_dirty < dirty)
		dirty = k->threads_dirty;
	memset(k, 0, offsetof(struct kernel, threads));
	memset(k->threads, 0, dirty * sizeof k->threads[0]);
	/* The granule marks of the previous run (a kernel that never ran may
	 * hold anything there: then all of them). */
	size_t marked = k->pool_marked <= KERNEL_POOL_BYTES ? k->pool_marked : KERNEL_POOL_BYTES;
	memset(k->pool_granule, 0, (marked + 15u) / 16u);
	k->pool_marked = 0;
	k->sched = s;
	k->choice = c;
	k->oracle = o;
	k->pool_fault_num = pool_fault_num;
	k->pool_fault_den = pool_fault_den;
	do
		k->generation = (++kernel_runs * 0x9E3779B1u) | 1u;
	while (k->generation == 0xCDCDCDCDu || k->generation == 0xDDDDDDDDu);
	/* Off until the run asks (sim/host/memaccess.h). */
	race_init(&k->race, false);
	k->messages.text = k->message_text;
	k->messages.cap = KERNEL_MESSAGES_MAX;
	s->on_stall = kernel_stall;
	s->on_deadline = kernel_deadline;
	s->on_event = kernel_on_event;
	s->hook_ctx = k;
	s->deadline_step = UINT32_MAX;
	s->trace->messages = &k->messages;
}

void kernel_fini(struct kernel *k)
{
	(void)k;
}

void kernel_run_end(struct kernel *k)
{
	SIM_ASSERT_LE(k->sched->nthreads, SIM_THREADS_MAX, "a run's thread ids index the kernel's thread table");
	k->threads_dirty = (uint8_t)k->sched->nthreads;
	k->threads_gen = k->generation;
}

struct kernel *kernel_get_at(uintptr_t site)
{
	if (!kernel_current || !kernel_current->sched->current) {
		fprintf(stderr, "nmrsim: a WDK kernel routine was called outside a simulated thread of a run\n");
		abort();
	}
	kernel_current->entries++;
	kernel_current->sched->current->irql_seen++;
	uint8_t t = kernel_current->sched->current->id;
	if (t < SIM_THREADS_MAX)
		kernel_current->threads[t].site = site;
	return kernel_current;
}

uint64_t kernel_time(const struct kernel *k)
{
	/* Time is the step count: whoever reads it depends on every step. */
	sched_touch_wild(k->sched, POR_WHY_TIME);
	return k->time_offset + (uint64_t)k->sched->step * KERNEL_STEP_TIME;
}

uint64_t kernel_due_time(const struct kernel *k, LONGLONG timeout)
{
	uint64_t now = kernel_time(k);
	if (timeout < 0)
		return now + (uint64_t)(-(timeout + 1)) + 1u;
	/* Absolute system time. */
	uint64_t abs = (uint64_t)timeout;
	return abs > KERNEL_EPOCH ? abs - KERNEL_EPOCH : 0;
}

uint32_t kernel_new_id(struct kernel *k, const void *obj)
{
	sched_touch(k->sched, POR_KEY(POR_IDS, 1)); /* ids are handed out in order */
	if (k->next_id < UINT32_MAX)
		k->next_id++;
	if (k->next_id < KERNEL_OBJECT_NAMES_MAX)
		k->object_addr[k->next_id] = obj;
	return k->next_id;
}

const void *kernel_object_address(const struct kernel *k, uint32_t id)
{
	return id && id <= k->next_id && id < KERNEL_OBJECT_NAMES_MAX ? k->object_addr[id] : NULL;
}

const char *kernel_module_name(const struct kernel *k, uint8_t module, char buf[8])
{
	const struct oracle *o = k->oracle;
	if (module == EV_NONE8)
		return "the system";
	if (o && o->module_names && module < o->nmodules && o->module_names[module])
		return o->module_names[module];
	snprintf(buf, 8, "#%u", (unsigned)module);
	return buf;
}

void kernel_report(struct kernel *k, enum rule rule, enum ke_api api, uint32_t obj, const char *fmt, ...)
{
	if (!k->oracle)
		return;
	struct sim_thread *t = kernel_thread_now(k);
	/* Inside a dispatch call its caller should not have made (M18/M19,
	 * reported against the caller), the callee's kernel misuse is a
	 * consequence, not a finding of its own. */
	if (t && k->hooks.mute_reports && k->hooks.mute_reports(k->hooks.ctx, t->id))
		return;
	char detail[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	oracle_report(k->oracle, rule, SITE_KERNEL, (uint8_t)api, t ? t->module : EV_NONE8, t ? t->id : EV_NONE8,
		      EV_NONE16, obj, detail);
}

void kernel_emit(struct kernel *k, enum ke_api api, uint32_t obj, int32_t status, uint32_t aux)
{
	struct event e = { .kind = EV_KERNEL, .what = (uint8_t)api, .module = kernel_module_now(k), .peer = EV_NONE8,
			   .binding = EV_NONE16, .arg = obj, .status = status, .aux = aux };
	sched_emit(k->sched, &e);
	struct trace_note *note = trace_last_note(k->sched->trace);
	if (note && e.thread < SIM_THREADS_MAX) {
		note->site = k->threads[e.thread].site;
		k->threads[e.thread].site = 0; /* one routine, one site: not for a later helper's event */
	}
}

bool kernel_check_irql_max(struct kernel *k, enum ke_api api, uint8_t max)
{
	uint8_t irql = kernel_irql(k);
	kernel_touch(k, RULE_K01);
	if (irql <= max)
		return true;
	char a[8], b[8];
	kernel_report(k, RULE_K01, api, 0, "%s called at %s; it must be called at IRQL <= %s", ke_api_name(api),
		      irql_level_name(irql, a), irql_level_name(max, b));
	return false;
}

/* A DPC, work item or system thread routine returns: its last
 * instructions are still its module's code, and nothing but the driver
 * itself (KeFlushQueuedDpcs, waiting for the thread object, IoQueueWorkItem's
 * device reference) keeps Unload from returning before them. A scheduling
 * point lets Unload run there; K06 if it did. */
void kernel_routine_returns(struct kernel *k, enum ke_api api)
{
	sched_point(k->sched);
	kernel_check_alive(k, api);
}

void kernel_check_alive(struct kernel *k, enum ke_api api)
{
	struct sim_thread *t = kernel_thread_now(k);
	if (t)
		kernel_module_gone_read(k, t->module);
	if (!t || t->module >= SCN_MODULES_MAX || !k->modules[t->module].unloaded)
		return;
	if (t->kind != THREAD_DPC && t->kind != THREAD_IO_WORKER && t->kind != THREAD_SYSTEM)
		return;
	if (k->threads[t->id].unload_exempt)
		return;
	char nb[8];
	kernel_report(k, RULE_K06, t->kind == THREAD_SYSTEM ? KE_SystemThread : api, 0,
		      "code of %s runs after its Unload returned (%s calls %s)", kernel_module_name(k, t->module, nb),
		      t->kind == THREAD_SYSTEM ? "a system thread" : "a helper thread", ke_api_name(api));
}

/* What a routine's family is for the reduced search; 0: only the calling
 * thread's state (IRQL, critical region). Routines whose effect depends on
 * simulated time read it through kernel_time, which makes the step wild;
 * the dispatcher, pool, DPC and work queues touch their key where they are
 * read or written (kernel_dispatcher_*, kernel_pool_*, kernel_*_queue). */
static int por_family(enum ke_api api)
{
	switch (api) {
	case KE_KeRaiseIrql: case KE_KeLowerIrql: case KE_KeRaiseIrqlToDpcLevel:
	case KE_KeEnterCriticalRegion: case KE_KeLeaveCriticalRegion:
		return 0;
	case KE_KeInitializeSpinLock: case KE_KeAcquireSpinLock: case KE_KeReleaseSpinLock:
	case KE_KeAcquireSpinLockAtDpcLevel: case KE_KeReleaseSpinLockFromDpcLevel:
	case KE_KeTryToAcquireSpinLockAtDpcLevel: case KE_KeAcquireInStackQueuedSpinLock:
	case KE_KeReleaseInStackQueuedSpinLock: case KE_KeAcquireInStackQueuedSpinLockAtDpcLevel:
	case KE_KeReleaseInStackQueuedSpinLockFromDpcLevel: case KE_ExAcquireSpinLockExclusive:
	case KE_ExAcquireSpinLockShared: case KE_ExReleaseSpinLockExclusive: case KE_ExReleaseSpinLockShared:
	case KE_ExTryConvertSharedSpinLockExclusive: case KE_ExInterlockedList:
		return KFAM_SPIN;
	case KE_ExInitializePushLock: case KE_ExAcquirePushLockExclusive: case KE_ExAcquirePushLockShared:
	case KE_ExReleasePushLockExclusive: case KE_ExReleasePushLockShared: case KE_ExReleasePushLock:
	case KE_ExInitializeFastMutex: case KE_ExAcquireFastMutex: case KE_ExReleaseFastMutex:
	case KE_ExTryToAcquireFastMutex: case KE_ExInitializeResourceLite: case KE_ExDeleteResourceLite:
	case KE_ExAcquireResourceExclusiveLite: case KE_ExAcquireResourceSharedLite: case KE_ExReleaseResourceLite:
	case KE_ExConvertExclusiveToSharedLite:
		return KFAM_LOCK;
	case KE_KeInitializeEvent: case KE_KeSetEvent: case KE_KeClearEvent: case KE_KeResetEvent:
	case KE_KeReadStateEvent: case KE_KePulseEvent: case KE_KeWaitForSingleObject:
	case KE_KeWaitForMultipleObjects: case KE_KeInitializeMutex: case KE_KeReleaseMutex:
	case KE_KeInitializeSemaphore: case KE_KeReleaseSemaphore:
		return KFAM_DISP;
	case KE_ExInitializeRundownProtection: case KE_ExAcquireRundownProtection: case KE_ExReleaseRundownProtection:
	case KE_ExWaitForRundownProtectionRelease: case KE_ExReInitializeRundownProtection: case KE_ExRundownCompleted:
	case KE_ExInitializeRundownProtectionCacheAware: case KE_ExAcquireRundownProtectionCacheAware:
	case KE_ExReleaseRundownProtectionCacheAware: case KE_ExWaitForRundownProtectionReleaseCacheAware:
	case KE_ExReInitializeRundownProtectionCacheAware: case KE_ExRundownCompletedCacheAware:
		return KFAM_RUNDOWN;
	case KE_ExAllocatePool2: case KE_ExAllocatePoolWithTag: case KE_ExAllocatePoolZero: case KE_ExFreePoolWithTag:
	case KE_ExFreePool: case KE_IoCreateDevice: case KE_IoDeleteDevice: case KE_IoAllocateWorkItem:
	case KE_IoFreeWorkItem: case KE_ExInitializeLookasideList: case KE_ExAllocateFromLookasideList:
	case KE_ExFreeToLookasideList: case KE_ExDeleteLookasideList: case KE_ExAllocateCacheAwareRundownProtection:
	case KE_ExFreeCacheAwareRundownProtection:
		return KFAM_POOL;
	case KE_IoQueueWorkItem: case KE_ExQueueWorkItem:
		return KFAM_WORK;
	case KE_KeInitializeDpc: case KE_KeInsertQueueDpc: case KE_KeRemoveQueueDpc:
		return KFAM_DPC;
	case KE_DbgPrint: case KE_ExUuidCreate: case KE_RtlQueryRegistryValues:
		return KFAM_MISC;
	/* System threads, their handles and object references: the thread
	 * table, the handle table, reference counts. Spawning also touches the
	 * new thread's key and the id counter (sched_spawn_at); its end signals
	 * its object (KFAM_DISP). */
	case KE_PsCreateSystemThread: case KE_PsTerminateSystemThread: case KE_ObReferenceObjectByHandle:
	case KE_ObReferenceObject: case KE_ObDereferenceObject: case KE_ZwClose:
		return KFAM_THREADS;
	default:
		return -1; /* timers, DPC flushes, bug checks: everything */
	}
}

bool kernel_object_keyed(const struct kernel *k, enum ke_api api)
{
	if (!kernel_objects_fine(k))
		return false;
	switch (api) {
	case KE_KeAcquireSpinLock: case KE_KeReleaseSpinLock: case KE_KeAcquireSpinLockAtDpcLevel:
	case KE_KeReleaseSpinLockFromDpcLevel: case KE_KeTryToAcquireSpinLockAtDpcLevel:
	case KE_KeAcquireInStackQueuedSpinLock: case KE_KeReleaseInStackQueuedSpinLock:
	case KE_KeAcquireInStackQueuedSpinLockAtDpcLevel: case KE_KeReleaseInStackQueuedSpinLockFromDpcLevel:
	case KE_KeInitializeEvent: case KE_KeSetEvent: case KE_KeClearEvent: case KE_KeResetEvent:
	case KE_KeReadStateEvent: case KE_KePulseEvent: case KE_KeWaitForSingleObject:
	case KE_KeWaitForMultipleObjects: case KE_KeInitializeMutex: case KE_KeReleaseMutex:
	case KE_KeInitializeSemaphore: case KE_KeReleaseSemaphore:
		return true;
	default:
		return false;
	}
}

void kernel_enter(struct kernel *k, enum ke_api api)
{
	kernel_check_alive(k, api);
	sched_point(k->sched);
	/* The routine's body belongs to the step that begins here. */
	if (k->sched->por) {
		int f = por_family(api);
		if (f < 0)
			sched_touch_wild(k->sched, POR_WHY_ROUTINE);
		else if (f > 0 && !((f == KFAM_SPIN || f == KFAM_DISP) && kernel_object_keyed(k, api)))
			kernel_por(k, (enum kernel_por_family)f);
	}
}

uint32_t kernel_locks_held(const struct kernel *k, uint8_t thread)
{
	return thread < SIM_THREADS_MAX ? k->threads[thread].locks_held : 0;
}

/* ---- modules ---- */

void kernel_module_unloaded(struct kernel *k, uint8_t module, uint32_t *leaked_allocs, uint32_t *pending_work)
{
	uint32_t leaked = 0, pending = 0;
	kernel_touch(k, RULE_K06);
	if (module < SCN_MODULES_MAX) {
		struct kernel_module *m = &k->modules[module];
		m->unloaded = true;
		kernel_module_changed(k, module); /* reads the accounting */
		sched_touch_fine(k->sched, POR_FINE_READS, POR_KEY(POR_MODULE, POR_MODULE_GONE + module));
		/* An IoQueueWorkItem item queued or running keeps the driver
		 * loaded (the I/O manager holds its device) and its routine may
		 * still free what the driver holds: the leak check waits for
		 * the last such item to end (io_work.c: io_item_ended). */
		uint32_t io_queued = kernel_work_pending(k, module, true) - kernel_work_pending(k, module, false);
		m->leak_deferred = io_queued > 0 || kernel_io_item_running(k, module);
		leaked = m->leak_deferred ? 0 : m->allocations + m->handles;
		pending = kernel_dpc_pending(k, module) + kernel_work_pending(k, module, false) +
			  kernel_system_threads_running(k, module);
		SIM_ASSERT_LE(k->ntimers, KERNEL_TIMERS_MAX, "set timers fit the timer table");
		for (uint32_t i = 0; i < k->ntimers; i++) {
			PKTIMER tm = k->timers[i];
			if (tm->Dpc && tm->Dpc->Reserved3 == module)
				pending++;
		}
	}
	if (leaked_allocs)
		*leaked_allocs = leaked;
	if (pending_work)
		*pending_work = pending;
}

/* ---- hang reports ---- */

static const char *owner_name(const struct scenario *scn, unsigned owner_plus_one, char buf[32])
{
	if (!owner_plus_one)
		return "nobody";
	return trace_thread_name(scn, owner_plus_one - 1u, buf);
}

int kernel_describe_block(const struct kernel *k, const struct scenario *scn, uint8_t thread, char *buf, size_t cap)
{
	if (!cap || thread >= SIM_THREADS_MAX || thread >= k->sched->nthreads)
		return 0;
	const struct sim_thread *t = &k->sched->threads[thread];
	const struct kernel_thread *kt = &k->threads[thread];
	const struct kernel_wait *w = &kt->wait;
	char tn[32];
	if (t->state != TS_BLOCKED)
		return 0;
	switch (t->block_reason) {
	case BLOCK_SPINLOCK: {
		const KSPIN_LOCK *l = kt->blocked_on;
		return snprintf(buf, cap, "spin lock #%u held by %s", (unsigned)t->block_obj,
				owner_name(scn, l ? (unsigned)((*l >> 24) & 0xffu) : 0, tn));
	}
	case BLOCK_PUSHLOCK: {
		const EX_PUSH_LOCK *l = kt->blocked_on;
		unsigned owner = l ? (unsigned)(l->Value & 0xffu) : 0, shared = l ? (unsigned)((l->Value >> 8) & 0xffffu) : 0;
		if (owner)
			return snprintf(buf, cap, "push lock #%u held exclusively by %s", (unsigned)t->block_obj,
					owner_name(scn, owner, tn));
		return snprintf(buf, cap, "push lock #%u held shared %u time(s)", (unsigned)t->block_obj, shared);
	}
	case BLOCK_MUTEX: {
		const FAST_MUTEX *m = kt->blocked_on;
		return snprintf(buf, cap, "fast mutex #%u owned by %s", (unsigned)t->block_obj,
				owner_name(scn, m ? m->Owner : 0, tn));
	}
	case BLOCK_RUNDOWN: {
		const EX_RUNDOWN_REF *r = kt->blocked_on;
		return snprintf(buf, cap, "rundown ref #%u with %u reference(s) never released", (unsigned)t->block_obj,
				r ? (unsigned)r->Count : 0);
	}
	case BLOCK_EVENT: case BLOCK_TIMER:
		/* A KMUTEX held by a thread: name the holder (the cycle's other end). */
		if (w->count == 1 && w->objects[0]->Type == KOBJ_MUTEX && w->objects[0]->Reserved1 == w->ids[0] &&
		    w->objects[0]->Reserved4)
			return snprintf(buf, cap, "mutex #%u owned by %s", (unsigned)t->block_obj,
					owner_name(scn, w->objects[0]->Reserved4, tn));
		return snprintf(buf, cap, "%s #%u%s never signalled", t->block_reason == BLOCK_TIMER ? "timer" : "event",
				(unsigned)t->block_obj, w->count > 1 ? (w->all ? " and others (all)" : " or others") : "");
	case BLOCK_THREAD: {
		for (unsigned i = 0; i < SIM_THREADS_MAX; i++)
			if (w->count && (const void *)w->objects[0] == (const void *)&k->thread_objects[i])
				return snprintf(buf, cap, "thread object #%u: %s never ends", (unsigned)t->block_obj,
						trace_thread_name(scn, i, tn));
		return snprintf(buf, cap, "thread object #%u never ends", (unsigned)t->block_obj);
	}
	case BLOCK_DELAY:
		return snprintf(buf, cap, "a delay");
	case BLOCK_DRIVER_ENTRY: {
		char nb[8];
		return snprintf(buf, cap, "DriverEntry of %s never returns", kernel_module_name(k, (uint8_t)t->block_obj, nb));
	}
	case BLOCK_REMOVE_LOCK: {
		const IO_REMOVE_LOCK *l = kt->blocked_on;
		return snprintf(buf, cap, "remove lock #%u with %d acquisition(s) never released", (unsigned)t->block_obj,
				l ? (int)l->Common.IoCount : 0);
	}
	case BLOCK_DPC_FLUSH:
		return snprintf(buf, cap, "KeFlushQueuedDpcs with %u DPC(s) queued", k->dpc_len);
	default:
		return 0;
	}
}

/* ---- callback and Unload frames (from events) ---- */

static uint8_t enter_kind_of(uint8_t exit_kind)
{
	switch (exit_kind) {
	case EV_CB_EXIT: return EV_CB_ENTER;
	case EV_UNLOAD_EXIT: return EV_UNLOAD_ENTER;
	case EV_LOAD_EXIT: return EV_LOAD_ENTER;
	default: return EV_KIND_COUNT;
	}
}

/* Happens-before from events (race.h): NMR is one sync object, acquired
 * and released when an Nmr* call starts and when it returns (a worker may
 * deliver the callbacks a call causes before the call returns), acquired
 * when a callback starts and released when it returns (the registrar's lock
 * orders its state changes and the callbacks it delivers after them); a
 * driver's DriverEntry returning is visible to its Unload (the I/O manager
 * serialises them). */
__attribute__((noinline)) static void race_on_event(struct kernel *k, const struct event *e)
{
	switch (e->kind) {
	case EV_API_ENTER:
		race_acquire(&k->race, e->thread, &race_nmr_object);
		race_release(&k->race, e->thread, &race_nmr_object);
		return;
	case EV_CB_ENTER:
		race_acquire(&k->race, e->thread, &race_nmr_object);
		return;
	case EV_API_EXIT:
		race_release(&k->race, e->thread, &race_nmr_object);
		race_acquire(&k->race, e->thread, &race_nmr_object);
		return;
	case EV_CB_EXIT:
		race_release(&k->race, e->thread, &race_nmr_object);
		return;
	case EV_LOAD_EXIT:
		if (e->module < SCN_MODULES_MAX)
			race_release(&k->race, e->thread, &k->modules[e->module]);
		return;
	case EV_UNLOAD_ENTER:
		if (e->module < SCN_MODULES_MAX)
			race_acquire(&k->race, e->thread, &k->modules[e->module]);
		return;
	default:
		return;
	}
}

static void frame_exit(struct kernel *k, const struct event *e, struct kernel_thread *kt);

/* The events that open or close a frame (kernel_on_event). */
#define FRAME_KINDS                                                                                \
	(1u << EV_LOAD_ENTER | 1u << EV_CB_ENTER | 1u << EV_UNLOAD_ENTER | 1u << EV_CB_EXIT |      \
	 1u << EV_UNLOAD_EXIT | 1u << EV_LOAD_EXIT)
_Static_assert(EV_KIND_COUNT <= 32, "FRAME_KINDS holds one bit per event kind");

static __attribute__((noinline)) void frame_event(struct kernel *k, const struct event *e)
{
	struct kernel_thread *kt = &k->threads[e->thread];
	switch (e->kind) {
	case EV_LOAD_ENTER:
		kernel_touch(k, RULE_K07); /* driver code runs: its assertions are live */
		/* fall through */
	case EV_CB_ENTER: case EV_UNLOAD_ENTER:
		if (kt->depth < KERNEL_FRAMES_MAX)
			kt->frames[kt->depth] = (struct kernel_frame){ e->kind, e->what, e->irql, kt->locks_held,
								++kt->frames_entered };
		if (kt->depth < UINT8_MAX)
			kt->depth++;
		return;
	case EV_CB_EXIT: case EV_UNLOAD_EXIT: case EV_LOAD_EXIT:
		frame_exit(k, e, kt);
		return;
	default:
		return;
	}
}

/* With race detection on: the race state first, then the frames. */
static __attribute__((noinline)) void race_and_frame_event(struct kernel *k, const struct event *e)
{
	if (e->thread >= SIM_THREADS_MAX)
		return;
	race_on_event(k, e);
	if (e->kind < 32 && (FRAME_KINDS >> e->kind & 1u))
		frame_event(k, e);
}

void kernel_on_event(void *ctx, const struct event *e)
{
	struct kernel *k = ctx;
	/* Every event of a run comes here and most open or close no frame:
	 * they leave after two tests, before any register is saved (the
	 * switch with the race hook inline cost 20 instructions an event). */
	if (k->race.on) {
		race_and_frame_event(k, e);
		return;
	}
	if (e->kind < 32 && (FRAME_KINDS >> e->kind & 1u) && e->thread < SIM_THREADS_MAX)
		frame_event(k, e);
}

/* A frame's K02/K01 findings; cold: correct drivers never get here. */
__attribute__((noinline, cold)) static void frame_report(struct kernel *k, const struct event *e,
							 const struct kernel_thread *kt, const struct kernel_frame *f)
{
	char nb[8];
	const char *routine = e->kind == EV_CB_EXIT ? nmr_cb_name((enum nmr_cb)e->what) :
			      e->kind == EV_UNLOAD_EXIT ? "Unload" : "DriverEntry";
	enum ke_api site = e->kind == EV_CB_EXIT ? KE_CallbackReturn :
			   e->kind == EV_UNLOAD_EXIT ? KE_UnloadReturn : KE_DriverEntryReturn;
	if (kt->locks_held > f->locks) {
		char detail[160];
		snprintf(detail, sizeof detail, "%s of %s returned holding %u lock(s) it acquired", routine,
			 kernel_module_name(k, e->module, nb), (unsigned)(kt->locks_held - f->locks));
		oracle_report(k->oracle, RULE_K02, SITE_KERNEL, (uint8_t)site, e->module, e->thread, EV_NONE16, 0, detail);
	}
	if (e->irql != f->irql) {
		char detail[160];
		snprintf(detail, sizeof detail, "%s of %s returned at IRQL %u; it was entered at IRQL %u", routine,
			 kernel_module_name(k, e->module, nb), e->irql, f->irql);
		oracle_report(k->oracle, RULE_K01, SITE_KERNEL, (uint8_t)site, e->module, e->thread, EV_NONE16, 0, detail);
	}
}

/* A callback, Unload or DriverEntry returned: K02 and K01 against its
 * frame. The reports are out of line (frame_report): their buffers made
 * every event's hook save and restore registers. */
static void frame_exit(struct kernel *k, const struct event *e, struct kernel_thread *kt)
{
	if (kt->depth == 0)
		return;
	if (kt->depth > KERNEL_FRAMES_MAX) {
		kt->depth--;
		return;
	}
	const struct kernel_frame *f = &kt->frames[kt->depth - 1];
	if (f->kind != enter_kind_of(e->kind))
		return;
	kt->depth--;
	if ((kt->locks_held > f->locks || e->irql != f->irql) && k->oracle)
		frame_report(k, e, kt, f);
}

void kernel_code_site(const struct kernel *k, const struct sim_thread *t, uint8_t *kind, uint8_t *site,
		      const char **name)
{
	const struct kernel_thread *kt = &k->threads[t->id];
	/* Inside a dispatch call that no callback entered since: the callee's
	 * dispatch routine (the thread's module is the callee's then), not the
	 * caller's thread routine (a system thread, a work item). */
	int call = k->hooks.dispatch_frames ? k->hooks.dispatch_frames(k->hooks.ctx, t->id) : -1;
	if (call >= 0 && call >= (int)kt->depth) {
		*kind = SITE_CALL;
		*site = 0;
		*name = "a dispatch routine";
		return;
	}
	if (kt->depth > 0 && kt->depth <= KERNEL_FRAMES_MAX) {
		const struct kernel_frame *f = &kt->frames[kt->depth - 1];
		if (f->kind == EV_CB_ENTER) {
			*kind = SITE_CB;
			*site = f->what;
			*name = nmr_cb_name((enum nmr_cb)f->what);
			return;
		}
		if (f->kind == EV_UNLOAD_ENTER) {
			*kind = SITE_UNLOAD;
			*site = 0;
			*name = "Unload";
			return;
		}
	}
	enum ke_api api = t->kind == THREAD_DPC ? KE_DpcRoutine : t->kind == THREAD_IO_WORKER ? KE_WorkItemRoutine :
			  t->kind == THREAD_SYSTEM ? KE_SystemThread : KE_DriverEntry;
	if (kt->depth > 0 && kt->depth <= KERNEL_FRAMES_MAX && kt->frames[kt->depth - 1].kind == EV_LOAD_ENTER)
		api = KE_DriverEntry;
	*kind = SITE_KERNEL;
	*site = (uint8_t)api;
	*name = kernel_site_routine(*kind, *site);
}

const char *kernel_site_routine(uint8_t kind, uint8_t site)
{
	switch (kind) {
	case SITE_CALL: return "a dispatch routine";
	case SITE_CB: return nmr_cb_name((enum nmr_cb)site);
	case SITE_UNLOAD: return "Unload";
	default:
		return site == KE_DpcRoutine ? "a DPC routine" : site == KE_WorkItemRoutine ? "a work item routine" :
		       site == KE_SystemThread ? "a system thread" : "DriverEntry";
	}
}
