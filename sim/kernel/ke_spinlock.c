/* ke_spinlock.c - spin locks and in-stack queued spin locks.
 *
 * A KSPIN_LOCK (a ULONG_PTR, as in the WDK) packs the lock's per-run id
 * (bits 0-23), its owner (thread id + 1, bits 24-31; 0 = free) and the run
 * generation (bits 32-63). A zero lock is a free lock (KeInitializeSpinLock
 * stores 0 on Windows too, so zeroed memory is a valid lock); any other value
 * from another run is K09 and is taken as a free lock.
 *
 * Each simulated thread is a processor: a thread that finds the lock held
 * spins, which the simulation models as blocking (BLOCK_SPINLOCK) until the
 * owner releases it. A recursive acquire is K02 and the thread spins for
 * good (the run then ends in a hang, as the machine would). */
#include "kernel/kernel.h"

_Static_assert(sizeof(KSPIN_LOCK) == 8, "KSPIN_LOCK packs id, owner and generation in 64 bits");

#define LOCK_ID(v) ((uint32_t)((v) & 0xffffffu))
#define LOCK_OWNER(v) ((uint8_t)(((v) >> 24) & 0xffu))
#define LOCK_GEN(v) ((uint32_t)((v) >> 32))
#define LOCK_MAKE(id, owner, gen) ((KSPIN_LOCK)(((uint64_t)(gen) << 32) | ((uint64_t)(owner) << 24) | ((id) & 0xffffffu)))

/* The lock's id in this run; adopts a zero lock and reports a foreign one. */
static uint32_t lock_id(struct kernel *k, enum ke_api api, PKSPIN_LOCK lock)
{
	KSPIN_LOCK v = *lock;
	if (v != 0 && LOCK_GEN(v) == k->generation && LOCK_ID(v) != 0)
		return LOCK_ID(v);
	if (v != 0)
		kernel_object_not_live(k, api, lock, "a spin lock");
	uint32_t id = kernel_new_id(k, lock) & 0xffffffu;
	*lock = LOCK_MAKE(id, 0, k->generation);
	return id;
}

static void acquire(struct kernel *k, enum ke_api api, PKSPIN_LOCK lock)
{
	struct sim_thread *t = kernel_thread_now(k);
	kernel_enter(k, api);
	kernel_object_touch(k, lock, true);
	uint32_t id = lock_id(k, api, lock);
	uint8_t self = (uint8_t)(t->id + 1u);
	kernel_touch(k, RULE_K02);
	if (LOCK_OWNER(*lock) == self)
		kernel_report(k, RULE_K02, api, id, "%s on spin lock #%u that this thread already holds: it spins forever",
			      ke_api_name(api), id);
	k->threads[t->id].blocked_on = lock;
	while (LOCK_OWNER(*lock) != 0) {
		sched_block(k->sched, BLOCK_SPINLOCK, (uint16_t)id);
		kernel_object_touch(k, lock, true); /* woken: a new step reads and takes the lock */
		id = lock_id(k, api, lock);
	}
	*lock = LOCK_MAKE(id, self, k->generation);
	if (k->threads[t->id].locks_held < UINT8_MAX)
		k->threads[t->id].locks_held++;
	kernel_sync_acquire(k, lock);
	kernel_emit(k, api, id, 0, 0);
}

static void release(struct kernel *k, enum ke_api api, PKSPIN_LOCK lock)
{
	struct sim_thread *t = kernel_thread_now(k);
	if (!lock) {
		kernel_report(k, RULE_K02, api, 0, "%s without a lock", ke_api_name(api));
		return;
	}
	kernel_object_touch(k, lock, true);
	uint32_t id = lock_id(k, api, lock);
	uint8_t self = (uint8_t)(t->id + 1u), owner = LOCK_OWNER(*lock);
	if (t->irql != DISPATCH_LEVEL)
		kernel_report(k, RULE_K02, api, id, "%s of spin lock #%u at IRQL %u; a spin lock is held at DISPATCH_LEVEL",
			      ke_api_name(api), id, t->irql);
	if (owner != self) {
		kernel_report(k, RULE_K02, api, id, "%s of spin lock #%u, which this thread does not hold (%s)",
			      ke_api_name(api), id, owner ? "another thread holds it" : "it is free");
		return;
	}
	kernel_sync_release(k, lock);
	*lock = LOCK_MAKE(id, 0, k->generation);
	if (k->threads[t->id].locks_held)
		k->threads[t->id].locks_held--;
	kernel_emit(k, api, id, 0, 0);
	struct sched *s = k->sched;
	for (uint32_t i = 0; i < s->nthreads; i++) {
		struct sim_thread *w = &s->threads[i];
		if (w->state == TS_BLOCKED && w->block_reason == BLOCK_SPINLOCK && w->block_obj == (uint16_t)id)
			sched_wake(s, w);
	}
}

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
	struct kernel *k = kernel_get();
	kernel_object_touch(k, SpinLock, true);
	*SpinLock = LOCK_MAKE(kernel_new_id(k, SpinLock), 0, k->generation);
}

static KIRQL acquire_raise(struct kernel *k, enum ke_api api, PKSPIN_LOCK lock)
{
	KIRQL old = kernel_irql(k);
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	if (old < DISPATCH_LEVEL)
		sched_set_irql(k->sched, DISPATCH_LEVEL);
	acquire(k, api, lock);
	return old;
}

static void release_lower(struct kernel *k, enum ke_api api, PKSPIN_LOCK lock, KIRQL new_irql)
{
	release(k, api, lock);
	if (new_irql > kernel_irql(k))
		kernel_report(k, RULE_K01, api, 0, "%s to IRQL %u above the current IRQL %u", ke_api_name(api), new_irql,
			      kernel_irql(k));
	else
		sched_set_irql(k->sched, new_irql);
	kernel_enter(k, api);
}

static void check_at_dispatch(struct kernel *k, enum ke_api api)
{
	if (kernel_irql(k) < DISPATCH_LEVEL)
		kernel_report(k, RULE_K01, api, 0, "%s called at IRQL %u; it must be called at DISPATCH_LEVEL",
			      ke_api_name(api), kernel_irql(k));
}

VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
{
	KIRQL old = acquire_raise(kernel_get(), KE_KeAcquireSpinLock, SpinLock);
	if (OldIrql)
		*OldIrql = old;
}

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
	return acquire_raise(kernel_get(), KE_KeAcquireSpinLock, SpinLock);
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
	release_lower(kernel_get(), KE_KeReleaseSpinLock, SpinLock, NewIrql);
}

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
	struct kernel *k = kernel_get();
	check_at_dispatch(k, KE_KeAcquireSpinLockAtDpcLevel);
	acquire(k, KE_KeAcquireSpinLockAtDpcLevel, SpinLock);
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
	struct kernel *k = kernel_get();
	release(k, KE_KeReleaseSpinLockFromDpcLevel, SpinLock);
	kernel_enter(k, KE_KeReleaseSpinLockFromDpcLevel);
}

BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeTryToAcquireSpinLockAtDpcLevel;
	check_at_dispatch(k, api);
	kernel_enter(k, api);
	kernel_object_touch(k, SpinLock, true);
	struct sim_thread *t = kernel_thread_now(k);
	uint32_t id = lock_id(k, api, SpinLock);
	uint8_t owner = LOCK_OWNER(*SpinLock);
	if (owner == t->id + 1u)
		kernel_report(k, RULE_K02, api, id, "%s on spin lock #%u that this thread already holds", ke_api_name(api), id);
	if (owner)
		return FALSE;
	*SpinLock = LOCK_MAKE(id, t->id + 1u, k->generation);
	if (k->threads[t->id].locks_held < UINT8_MAX)
		k->threads[t->id].locks_held++;
	kernel_sync_acquire(k, SpinLock);
	kernel_emit(k, api, id, 0, 0);
	return TRUE;
}

BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
	struct kernel *k = kernel_get();
	kernel_enter(k, KE_KeTryToAcquireSpinLockAtDpcLevel);
	kernel_object_touch(k, SpinLock, false);
	return (BOOLEAN)(LOCK_OWNER(*SpinLock) == 0);
}

VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
	struct kernel *k = kernel_get();
	LockHandle->LockQueue.Next = NULL;
	LockHandle->LockQueue.Lock = SpinLock;
	LockHandle->OldIrql = acquire_raise(k, KE_KeAcquireInStackQueuedSpinLock, SpinLock);
}

VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
	release_lower(kernel_get(), KE_KeReleaseInStackQueuedSpinLock, LockHandle->LockQueue.Lock, LockHandle->OldIrql);
}

VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
	struct kernel *k = kernel_get();
	check_at_dispatch(k, KE_KeAcquireInStackQueuedSpinLockAtDpcLevel);
	LockHandle->LockQueue.Next = NULL;
	LockHandle->LockQueue.Lock = SpinLock;
	LockHandle->OldIrql = kernel_irql(k);
	acquire(k, KE_KeAcquireInStackQueuedSpinLockAtDpcLevel, SpinLock);
}

VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
	struct kernel *k = kernel_get();
	release(k, KE_KeReleaseInStackQueuedSpinLockFromDpcLevel, LockHandle->LockQueue.Lock);
	kernel_enter(k, KE_KeReleaseInStackQueuedSpinLockFromDpcLevel);
}
