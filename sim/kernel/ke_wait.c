/* ke_wait.c - dispatcher objects (events; timers and threads share the
 * header), KeWaitForSingleObject / KeWaitForMultipleObjects and
 * KeDelayExecutionThread.
 *
 * A wait that cannot be satisfied at once records its objects in the
 * thread's kernel_wait and blocks. Whoever signals an object ends the waits
 * it satisfies right then, in wait order (a synchronization event satisfies
 * one waiter and stays clear; a notification event satisfies all), so a
 * set-then-clear or KePulseEvent wakes the waiters as on Windows. A timeout
 * is a deadline in simulated time (kernel.c fires it). */
#include "kernel/kernel.h"

static bool type_valid(UCHAR type)
{
	return (type >= KOBJ_EVENT_NOTIFICATION && type <= KOBJ_THREAD) || type == KOBJ_MUTEX || type == KOBJ_SEMAPHORE;
}

bool kernel_dispatcher_check(struct kernel *k, enum ke_api api, DISPATCHER_HEADER *h)
{
	if (kernel_objects_fine(k))
		kernel_dispatcher_touch(k, h, api != KE_KeReadStateEvent);
	else
		kernel_por(k, KFAM_DISP);
	kernel_touch(k, RULE_K09);
	if (!h) {
		kernel_report(k, RULE_K09, api, 0, "%s on a NULL object", ke_api_name(api));
		return false;
	}
	if (kernel_obj_live(k, h->Reserved1, h->Reserved2) && type_valid(h->Type))
		return true;
	/* In freed pool: a signalled notification event, so a wait on the
	 * filler goes on after the K05 (M19). Else take it as what its bytes
	 * say if they make sense, else a clear notification event. */
	bool freed = kernel_object_not_live(k, api, h, "an object");
	if (freed || !type_valid(h->Type) || h->Type == KOBJ_THREAD)
		h->Type = KOBJ_EVENT_NOTIFICATION;
	if (freed)
		h->SignalState = 1;
	else if (h->SignalState != 0 && h->SignalState != 1)
		h->SignalState = 0;
	h->Reserved1 = kernel_new_id(k, h);
	h->Reserved2 = k->generation;
	h->Reserved3 = kernel_module_now(k);
	return true;
}

static bool signalled(const DISPATCHER_HEADER *h)
{
	return h->SignalState > 0;
}

/* Signalled for a wait by `thread`: a mutex is also for its owner (recursion). */
static bool signalled_for(const DISPATCHER_HEADER *h, uint8_t thread)
{
	return h->SignalState > 0 || (h->Type == KOBJ_MUTEX && h->Reserved4 == thread + 1u);
}

static void consume(DISPATCHER_HEADER *h, uint8_t thread)
{
	if (h->Type == KOBJ_EVENT_SYNCHRONIZATION || h->Type == KOBJ_TIMER_SYNCHRONIZATION)
		h->SignalState = 0;
	else if (h->Type == KOBJ_SEMAPHORE)
		h->SignalState--;
	else if (h->Type == KOBJ_MUTEX)
		kernel_mutex_acquired(h, thread);
}

/* The thread whose kernel_wait w is. */
static uint8_t wait_thread(const struct kernel *k, const struct kernel_wait *w)
{
	const struct kernel_thread *kt = (const struct kernel_thread *)(const void *)((const char *)w - offsetof(struct kernel_thread, wait));
	return (uint8_t)(kt - k->threads);
}

/* The object a wait recorded, if its memory still holds that object. */
static DISPATCHER_HEADER *wait_object(const struct kernel *k, const struct kernel_wait *w, unsigned i)
{
	DISPATCHER_HEADER *h = w->objects[i];
	return h->Reserved1 == w->ids[i] && h->Reserved2 == k->generation ? h : NULL;
}

_Static_assert(KERNEL_WAIT_OBJECTS_MAX <= 8, "kernel_wait.freed has a bit per waited object");

/* Object i of the wait was freed while waited on: signalled for this wait,
 * nothing to consume (its memory is filler now). */
static bool freed_entry(const struct kernel_wait *w, unsigned i)
{
	return (w->freed >> i) & 1u;
}

/* Object i of the wait satisfies it now. */
static bool entry_signalled(const struct kernel *k, const struct kernel_wait *w, unsigned i, uint8_t thread)
{
	if (freed_entry(w, i))
		return true;
	const DISPATCHER_HEADER *h = wait_object(k, w, i);
	return h && signalled_for(h, thread);
}

/* Satisfy the wait if it can be now: consume and return true with *status. */
static bool try_satisfy(const struct kernel *k, struct kernel_wait *w, int32_t *status)
{
	uint8_t thread = wait_thread(k, w);
	if (w->all) {
		for (unsigned i = 0; i < w->count; i++)
			if (!entry_signalled(k, w, i, thread))
				return false;
		for (unsigned i = 0; i < w->count; i++)
			if (!freed_entry(w, i))
				consume(w->objects[i], thread);
		*status = STATUS_WAIT_0;
		return true;
	}
	for (unsigned i = 0; i < w->count; i++) {
		if (entry_signalled(k, w, i, thread)) {
			if (!freed_entry(w, i))
				consume(w->objects[i], thread);
			*status = STATUS_WAIT_0 + (int32_t)i;
			return true;
		}
	}
	return false;
}

void kernel_wait_end(struct kernel *k, uint8_t thread, int32_t status)
{
	SIM_ASSERT_LT(thread, k->sched->nthreads, "a wait ends on a spawned thread");
	struct kernel_wait *w = &k->threads[thread].wait;
	SIM_ASSERT(w->active, "a wait ends only while the thread waits");
	w->active = false;
	w->deadline = 0;
	w->status = status;
	sched_wake(k->sched, &k->sched->threads[thread]);
}

static bool waits_on(const struct kernel_wait *w, const DISPATCHER_HEADER *h)
{
	for (unsigned i = 0; i < w->count; i++)
		if (w->objects[i] == h && w->ids[i] == h->Reserved1)
			return true;
	return false;
}

/* Every object of the wait is signalled (WaitAll), or the wait is WaitAny. */
static bool satisfiable(const struct kernel *k, const struct kernel_wait *w)
{
	if (!w->all)
		return true;
	for (unsigned j = 0; j < w->count; j++)
		if (!entry_signalled(k, w, j, wait_thread(k, w)))
			return false;
	return true;
}

void kernel_dispatcher_signalled(struct kernel *k, DISPATCHER_HEADER *h)
{
	if (kernel_objects_fine(k)) {
		/* A wait on h and other objects reads (WaitAll) or leaves
		 * (WaitAny) them too when h ends it. */
		kernel_dispatcher_touch(k, h, true);
		for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++) {
			const struct kernel_wait *w = &k->threads[i].wait;
			if (w->active && w->count > 1 && waits_on(w, h))
				for (unsigned j = 0; j < w->count; j++)
					kernel_dispatcher_touch(k, w->objects[j], true);
		}
	} else {
		kernel_por(k, KFAM_DISP);
	}
	/* What the signalling thread did before is visible to the waiters. */
	kernel_sync_release(k, h);
	/* Satisfy waiters in wait order while the object stays signalled. */
	while (signalled(h)) {
		int best = -1;
		for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++) {
			const struct kernel_wait *w = &k->threads[i].wait;
			if (w->active && waits_on(w, h) && satisfiable(k, w) &&
			    (best < 0 || w->seq < k->threads[best].wait.seq))
				best = (int)i;
		}
		if (best < 0)
			return;
		int32_t status;
		if (!try_satisfy(k, &k->threads[best].wait, &status))
			return;
		kernel_wait_end(k, (uint8_t)best, status);
	}
}

bool kernel_waits_freed(struct kernel *k, const unsigned char *lo, const unsigned char *hi)
{
	bool any = false;
	for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++) {
		struct kernel_wait *w = &k->threads[i].wait;
		for (unsigned j = 0; w->active && j < w->count; j++) {
			const unsigned char *o = (const unsigned char *)w->objects[j];
			if (o >= lo && o < hi && wait_object(k, w, j)) {
				w->freed |= (uint8_t)(1u << j);
				any = true;
			}
		}
	}
	return any;
}

void kernel_waits_freed_end(struct kernel *k)
{
	for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++) {
		struct kernel_wait *w = &k->threads[i].wait;
		int32_t status;
		if (w->active && w->freed && try_satisfy(k, w, &status))
			kernel_wait_end(k, (uint8_t)i, status);
	}
}

static bool has_waiters(const struct kernel *k, const DISPATCHER_HEADER *h)
{
	for (uint32_t i = 0; i < k->sched->nthreads && i < SIM_THREADS_MAX; i++)
		if (k->threads[i].wait.active && waits_on(&k->threads[i].wait, h))
			return true;
	return false;
}

/* ---- events ---- */

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
	struct kernel *k = kernel_get();
	DISPATCHER_HEADER *h = &Event->Header;
	kernel_dispatcher_touch(k, h, true);
	if (kernel_obj_live(k, h->Reserved1, h->Reserved2) && type_valid(h->Type) && has_waiters(k, h))
		kernel_report(k, RULE_K09, KE_KeInitializeEvent, h->Reserved1,
			      "KeInitializeEvent on event #%u while threads wait on it", h->Reserved1);
	memset(h, 0, sizeof *h);
	h->Type = Type == SynchronizationEvent ? KOBJ_EVENT_SYNCHRONIZATION : KOBJ_EVENT_NOTIFICATION;
	h->SignalState = State ? 1 : 0;
	h->Reserved1 = kernel_new_id(k, h);
	h->Reserved2 = k->generation;
	h->Reserved3 = kernel_module_now(k);
}

static bool event_check(struct kernel *k, enum ke_api api, PRKEVENT ev)
{
	if (!kernel_dispatcher_check(k, api, ev ? &ev->Header : NULL))
		return false;
	if (ev->Header.Type != KOBJ_EVENT_NOTIFICATION && ev->Header.Type != KOBJ_EVENT_SYNCHRONIZATION) {
		kernel_report(k, RULE_K09, api, ev->Header.Reserved1, "%s on object #%u, which is not an event",
			      ke_api_name(api), ev->Header.Reserved1);
		return false;
	}
	return true;
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
	(void)Increment;
	(void)Wait;
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeSetEvent, DISPATCH_LEVEL);
	kernel_enter(k, KE_KeSetEvent);
	if (!event_check(k, KE_KeSetEvent, Event))
		return 0;
	LONG prev = Event->Header.SignalState;
	Event->Header.SignalState = 1;
	kernel_emit(k, KE_KeSetEvent, Event->Header.Reserved1, 0, 0);
	kernel_dispatcher_signalled(k, &Event->Header);
	return prev;
}

LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
	(void)Increment;
	(void)Wait;
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KePulseEvent, DISPATCH_LEVEL);
	kernel_enter(k, KE_KePulseEvent);
	if (!event_check(k, KE_KePulseEvent, Event))
		return 0;
	LONG prev = Event->Header.SignalState;
	Event->Header.SignalState = 1;
	kernel_emit(k, KE_KePulseEvent, Event->Header.Reserved1, 0, 0);
	kernel_dispatcher_signalled(k, &Event->Header);
	Event->Header.SignalState = 0;
	return prev;
}

VOID KeClearEvent(PRKEVENT Event)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeClearEvent, DISPATCH_LEVEL);
	kernel_enter(k, KE_KeClearEvent);
	if (event_check(k, KE_KeClearEvent, Event))
		Event->Header.SignalState = 0;
}

LONG KeResetEvent(PRKEVENT Event)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeResetEvent, DISPATCH_LEVEL);
	kernel_enter(k, KE_KeResetEvent);
	if (!event_check(k, KE_KeResetEvent, Event))
		return 0;
	LONG prev = Event->Header.SignalState;
	Event->Header.SignalState = 0;
	kernel_emit(k, KE_KeResetEvent, Event->Header.Reserved1, 0, 0);
	return prev;
}

LONG KeReadStateEvent(PRKEVENT Event)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeReadStateEvent, DISPATCH_LEVEL);
	kernel_enter(k, KE_KeReadStateEvent);
	if (!event_check(k, KE_KeReadStateEvent, Event))
		return 0;
	return Event->Header.SignalState;
}

/* ---- waits ---- */

static enum block_reason block_reason_of(const DISPATCHER_HEADER *h)
{
	switch (h->Type) {
	case KOBJ_THREAD: return BLOCK_THREAD;
	case KOBJ_TIMER_NOTIFICATION: case KOBJ_TIMER_SYNCHRONIZATION: return BLOCK_TIMER;
	default: return BLOCK_EVENT;
	}
}

/* K01 above DISPATCH; K03 for a wait that may block (timeout absent or non-zero) at DISPATCH or above. */
static void check_wait_irql(struct kernel *k, enum ke_api api, const LARGE_INTEGER *timeout)
{
	uint8_t irql = kernel_irql(k);
	bool may_block = !timeout || timeout->QuadPart != 0;
	kernel_touch(k, RULE_K03);
	if (may_block && irql >= DISPATCH_LEVEL)
		kernel_report(k, RULE_K03, api, 0, "%s with a %s timeout at IRQL %u (DISPATCH_LEVEL or above)",
			      ke_api_name(api), timeout ? "non-zero" : "infinite", irql);
	else
		kernel_check_irql_max(k, api, DISPATCH_LEVEL);
}

/* Block the running thread in the wait set up in its kernel_wait. */
static NTSTATUS block_in_wait(struct kernel *k, enum ke_api api, enum block_reason reason, uint32_t obj)
{
	struct sim_thread *t = kernel_thread_now(k);
	struct kernel_wait *w = &k->threads[t->id].wait;
	SIM_ASSERT(!w->active, "a thread is in one wait at a time");
	SIM_ASSERT_LE(w->count, KERNEL_WAIT_OBJECTS_MAX, "a wait's objects fit its table");
	w->active = true;
	w->seq = ++k->wait_seq;
	if (!w->deadline)
		k->untimed_waits++;
	w->status = STATUS_TIMEOUT;
	if (w->deadline)
		kernel_deadline_update(k);
	kernel_emit(k, api, obj, STATUS_PENDING, 0);
	while (w->active)
		sched_block(k->sched, reason, (uint16_t)obj);
	/* An object freed during the wait: what a wait begun after the free reports. */
	for (uint32_t i = 0; i < w->count; i++)
		if (freed_entry(w, i))
			kernel_pool_object_freed_waited(k, api, w->objects[i]);
	if (w->status != STATUS_TIMEOUT)
		for (uint32_t i = 0; i < w->count; i++)
			kernel_sync_acquire(k, w->objects[i]);
	kernel_check_alive(k, api);
	kernel_emit(k, api, obj, w->status, 0);
	return w->status;
}

static NTSTATUS wait_objects(struct kernel *k, enum ke_api api, ULONG count, PVOID *objects, bool all,
			     PLARGE_INTEGER timeout)
{
	check_wait_irql(k, api, timeout);
	kernel_enter(k, api);
	struct sim_thread *t = kernel_thread_now(k);
	struct kernel_wait *w = &k->threads[t->id].wait;
	if (count == 0 || !objects) {
		kernel_report(k, RULE_K09, api, 0, "%s with no objects", ke_api_name(api));
		return STATUS_INVALID_PARAMETER;
	}
	if (count > KERNEL_WAIT_OBJECTS_MAX) {
		kernel_report(k, RULE_K09, api, 0, "%s on %u objects; the simulation waits on at most %u",
			      ke_api_name(api), count, KERNEL_WAIT_OBJECTS_MAX);
		count = KERNEL_WAIT_OBJECTS_MAX;
	}
	memset(w, 0, sizeof *w);
	for (ULONG i = 0; i < count; i++) {
		DISPATCHER_HEADER *h = objects[i];
		if (!kernel_dispatcher_check(k, api, h))
			return STATUS_INVALID_PARAMETER;
		w->objects[i] = h;
		w->ids[i] = h->Reserved1;
	}
	w->count = (uint8_t)count;
	w->all = all;
	int32_t status;
	if (try_satisfy(k, w, &status)) {
		for (uint32_t i = 0; i < w->count; i++)
			kernel_sync_acquire(k, w->objects[i]);
		w->count = 0;
		kernel_emit(k, api, w->ids[0], status, 0);
		return status;
	}
	if (timeout) {
		uint64_t due = kernel_due_time(k, timeout->QuadPart);
		if (timeout->QuadPart == 0 || due <= kernel_time(k)) {
			w->count = 0;
			kernel_emit(k, api, w->ids[0], STATUS_TIMEOUT, 0);
			return STATUS_TIMEOUT;
		}
		w->deadline = due;
	}
	return block_in_wait(k, api, block_reason_of(w->objects[0]), w->ids[0]);
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
			       PLARGE_INTEGER Timeout)
{
	(void)WaitReason;
	(void)WaitMode;
	(void)Alertable;
	return wait_objects(kernel_get(), KE_KeWaitForSingleObject, 1, &Object, false, Timeout);
}

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
				  KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
				  PKWAIT_BLOCK WaitBlockArray)
{
	(void)WaitReason;
	(void)WaitMode;
	(void)Alertable;
	(void)WaitBlockArray;
	return wait_objects(kernel_get(), KE_KeWaitForMultipleObjects, Count, Object, WaitType == WaitAll, Timeout);
}

void kernel_sleep(struct kernel *k, uint64_t interval)
{
	struct sched *s = k->sched;
	struct kernel_wait *w = &k->threads[kernel_thread_now(k)->id].wait;
	interval = interval ? interval : 1u;
	/* The time a scenario lets pass is not its work: what runs meanwhile
	 * (a periodic worker every few ms) must not spend its step budget. Time
	 * moves at least KERNEL_STEP_TIME per step, so the sleep ends within
	 * `grant` steps; the budget grows by the part of that window no earlier
	 * sleep granted (overlapping sleeps count once). */
	uint64_t grant = (interval + KERNEL_STEP_TIME - 1) / KERNEL_STEP_TIME, until = (uint64_t)s->step + grant;
	if (until > k->sleep_granted) {
		uint64_t from = k->sleep_granted > s->step ? k->sleep_granted : s->step;
		uint64_t max = (uint64_t)s->steps_max + (until - from);
		s->steps_max = max < UINT32_MAX ? (uint32_t)max : UINT32_MAX - 1u;
		k->sleep_granted = until;
	}
	memset(w, 0, sizeof *w);
	w->deadline = kernel_time(k) + interval;
	struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	kt->in_sleep = true;
	block_in_wait(k, KE_KeDelayExecutionThread, BLOCK_DELAY, 0);
	kt->in_sleep = false;
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
	(void)WaitMode;
	(void)Alertable;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeDelayExecutionThread;
	if (kernel_irql(k) >= DISPATCH_LEVEL)
		kernel_report(k, RULE_K03, api, 0, "KeDelayExecutionThread at IRQL %u (DISPATCH_LEVEL or above)",
			      kernel_irql(k));
	kernel_enter(k, api);
	if (!Interval || Interval->QuadPart == 0)
		return STATUS_SUCCESS; /* a yield: the scheduling point above */
	struct kernel_wait *w = &k->threads[kernel_thread_now(k)->id].wait;
	memset(w, 0, sizeof *w);
	w->deadline = kernel_due_time(k, Interval->QuadPart);
	if (w->deadline <= kernel_time(k))
		return STATUS_SUCCESS;
	block_in_wait(k, api, BLOCK_DELAY, 0);
	return STATUS_SUCCESS;
}
