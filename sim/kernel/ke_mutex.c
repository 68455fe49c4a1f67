/* ke_mutex.c - kernel mutexes (KMUTEX) and semaphores (KSEMAPHORE), the
 * dispatcher objects drivers acquire with KeWaitFor*Object (ke_wait.c).
 *
 * A mutex's SignalState is 1 when free and goes down by one per
 * acquisition of its owner (recursion); the owner (thread id + 1) is kept in
 * DISPATCHER_HEADER.Reserved4, and KMUTANT.OwnerThread names its KTHREAD.
 * A wait by the owner is satisfied at once. Releasing a mutex this thread
 * does not own (Windows raises STATUS_MUTANT_NOT_OWNED) and releasing a
 * semaphore beyond its limit (STATUS_SEMAPHORE_LIMIT_EXCEEDED) are K09: the
 * object is used in a state its routine forbids; nothing changes. */
#include "kernel/kernel.h"

static void init_header(struct kernel *k, DISPATCHER_HEADER *h, enum kobj_type type, LONG state)
{
	kernel_dispatcher_touch(k, h, true);
	memset(h, 0, sizeof *h);
	h->Type = (UCHAR)type;
	h->SignalState = state;
	h->Reserved1 = kernel_new_id(k, h);
	h->Reserved2 = k->generation;
	h->Reserved3 = kernel_module_now(k);
}

void kernel_mutex_acquired(DISPATCHER_HEADER *h, uint8_t thread)
{
	struct kernel *k = kernel_get();
	h->SignalState--;
	h->Reserved4 = thread + 1u;
	((KMUTANT *)(void *)h)->OwnerThread = &k->thread_objects[thread];
}

VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)
{
	(void)Level;
	struct kernel *k = kernel_get();
	init_header(k, &Mutex->Header, KOBJ_MUTEX, 1);
	Mutex->OwnerThread = NULL;
	Mutex->Abandoned = FALSE;
	kernel_emit(k, KE_KeInitializeMutex, Mutex->Header.Reserved1, 0, 0);
}

static bool check_type(struct kernel *k, enum ke_api api, DISPATCHER_HEADER *h, enum kobj_type type, const char *what)
{
	if (!kernel_dispatcher_check(k, api, h))
		return false;
	if (h->Type != type) {
		/* An object in freed pool was reported (K05/M19) and taken as an
		 * event: its type is a consequence, not a second finding. */
		if (kernel_pool_lookup(k, h, 1, NULL) == KPOOL_FREED)
			return false;
		kernel_report(k, RULE_K09, api, h->Reserved1, "%s on object #%u, which is not a %s", ke_api_name(api),
			      h->Reserved1, what);
		return false;
	}
	return true;
}

LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)
{
	(void)Wait;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeReleaseMutex;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	DISPATCHER_HEADER *h = &Mutex->Header;
	if (!check_type(k, api, h, KOBJ_MUTEX, "mutex"))
		return 0;
	LONG prev = h->SignalState;
	if (h->Reserved4 != kernel_thread_now(k)->id + 1u) {
		kernel_report(k, RULE_K09, api, h->Reserved1,
			      "KeReleaseMutex of mutex #%u, which this thread does not own (STATUS_MUTANT_NOT_OWNED)",
			      h->Reserved1);
		return prev;
	}
	if (++h->SignalState == 1) {
		h->Reserved4 = 0;
		Mutex->OwnerThread = NULL;
	}
	kernel_emit(k, api, h->Reserved1, 0, 0);
	kernel_dispatcher_signalled(k, h);
	return prev;
}

LONG KeReadStateMutex(PRKMUTEX Mutex) { return Mutex->Header.SignalState; }

VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
	struct kernel *k = kernel_get();
	init_header(k, &Semaphore->Header, KOBJ_SEMAPHORE, Count);
	Semaphore->Limit = Limit;
	kernel_emit(k, KE_KeInitializeSemaphore, Semaphore->Header.Reserved1, 0, (uint32_t)Count);
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)
{
	(void)Increment;
	(void)Wait;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeReleaseSemaphore;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	DISPATCHER_HEADER *h = &Semaphore->Header;
	if (!check_type(k, api, h, KOBJ_SEMAPHORE, "semaphore"))
		return 0;
	LONG prev = h->SignalState;
	if (Adjustment <= 0 || prev > Semaphore->Limit - Adjustment) {
		kernel_report(k, RULE_K09, api, h->Reserved1,
			      "KeReleaseSemaphore of semaphore #%u by %d beyond its limit %d (STATUS_SEMAPHORE_LIMIT_EXCEEDED)",
			      h->Reserved1, (int)Adjustment, (int)Semaphore->Limit);
		return prev;
	}
	h->SignalState += Adjustment;
	kernel_emit(k, api, h->Reserved1, 0, (uint32_t)Adjustment);
	kernel_dispatcher_signalled(k, h);
	return prev;
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore) { return Semaphore->Header.SignalState; }

/* kernel.h: the holder of what a blocked thread waits for (the hang
 * report's lock cycles, sim/run/run.c). */
int kernel_block_holder(const struct kernel *k, uint8_t thread)
{
	if (thread >= SIM_THREADS_MAX || thread >= k->sched->nthreads)
		return -1;
	const struct sim_thread *t = &k->sched->threads[thread];
	const struct kernel_thread *kt = &k->threads[thread];
	const struct kernel_wait *w = &kt->wait;
	unsigned owner = 0; /* thread id + 1, as the objects keep it */
	if (t->state != TS_BLOCKED)
		return -1;
	if (t->block_reason == BLOCK_SPINLOCK && kt->blocked_on)
		owner = (unsigned)((*(const KSPIN_LOCK *)kt->blocked_on >> 24) & 0xffu);
	else if (t->block_reason == BLOCK_PUSHLOCK && kt->blocked_on)
		owner = (unsigned)(((const EX_PUSH_LOCK *)kt->blocked_on)->Value & 0xffu);
	else if (t->block_reason == BLOCK_MUTEX && kt->blocked_on)
		owner = ((const FAST_MUTEX *)kt->blocked_on)->Owner;
	else if ((t->block_reason == BLOCK_EVENT || t->block_reason == BLOCK_TIMER) && w->count == 1 &&
		 w->objects[0]->Type == KOBJ_MUTEX && w->objects[0]->Reserved1 == w->ids[0])
		owner = w->objects[0]->Reserved4;
	return owner ? (int)owner - 1 : -1;
}
