/* ex_spinlock.c - executive spin locks (EX_SPIN_LOCK, reader/writer spin
 * locks at DISPATCH_LEVEL) and the ExInterlocked list routines.
 *
 * An EX_SPIN_LOCK is a LONG, as in the WDK, and zero is a free lock. The
 * value packs the exclusive owner (thread id + 1, bits 0-7), the shared
 * count (bits 8-15) and a per-run id (bits 16-31, given at first use).
 * Checks as for KSPIN_LOCK (K01 IRQL, K02 recursive exclusive acquire, which
 * spins for good, or a release of a lock not held); a thread that finds the
 * lock taken spins (BLOCK_SPINLOCK) until it is released. The locks count
 * in the thread's held locks (K02 at callback return). */
#include "kernel/kernel.h"

#define XL_OWNER(v) ((uint8_t)((uint32_t)(v) & 0xffu))
#define XL_SHARED(v) ((uint8_t)(((uint32_t)(v) >> 8) & 0xffu))
#define XL_ID(v) ((uint16_t)((uint32_t)(v) >> 16))
#define XL_MAKE(id, shared, owner) ((LONG)(((uint32_t)(id) << 16) | ((uint32_t)(shared) << 8) | (uint32_t)(owner)))

static uint16_t xl_id(struct kernel *k, PEX_SPIN_LOCK l)
{
	if (XL_ID(*l) == 0) {
		uint32_t id = kernel_new_id(k, (const void *)l) & 0xffffu;
		*l = XL_MAKE(id ? id : 1u, XL_SHARED(*l), XL_OWNER(*l));
	}
	return XL_ID(*l);
}

static void held(struct kernel *k, int delta)
{
	struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	if (delta > 0 && kt->locks_held < UINT8_MAX)
		kt->locks_held++;
	else if (delta < 0 && kt->locks_held)
		kt->locks_held--;
}

static void acquire(struct kernel *k, enum ke_api api, PEX_SPIN_LOCK l, bool exclusive)
{
	kernel_enter(k, api);
	kernel_touch(k, RULE_K02);
	struct sim_thread *t = kernel_thread_now(k);
	uint8_t self = (uint8_t)(t->id + 1u);
	/* A lock in freed pool holds the filler: reported, then taken as free. */
	if (kernel_pool_object_freed(k, api, (const void *)l))
		*l = 0;
	uint16_t id = xl_id(k, l);
	if (XL_OWNER(*l) == self)
		kernel_report(k, RULE_K02, api, id, "%s on executive spin lock #%u that this thread holds exclusively: it spins forever",
			      ke_api_name(api), id);
	k->threads[t->id].blocked_on = (const void *)l;
	for (;;) {
		LONG v = *l;
		if (exclusive ? XL_OWNER(v) == 0 && XL_SHARED(v) == 0 : XL_OWNER(v) == 0)
			break;
		sched_block(k->sched, BLOCK_SPINLOCK, id);
	}
	*l = exclusive ? XL_MAKE(id, 0, self) : XL_MAKE(id, XL_SHARED(*l) + 1u, 0);
	held(k, +1);
	kernel_sync_acquire_rw(k, (const void *)l, exclusive);
	kernel_emit(k, api, id, 0, 0);
}

static bool release(struct kernel *k, enum ke_api api, PEX_SPIN_LOCK l, bool exclusive)
{
	struct sim_thread *t = kernel_thread_now(k);
	uint16_t id = xl_id(k, l);
	kernel_touch(k, RULE_K02);
	if (t->irql != DISPATCH_LEVEL)
		kernel_report(k, RULE_K02, api, id, "%s of executive spin lock #%u at IRQL %u; it is held at DISPATCH_LEVEL",
			      ke_api_name(api), id, t->irql);
	if (exclusive ? XL_OWNER(*l) != t->id + 1u : XL_SHARED(*l) == 0) {
		kernel_report(k, RULE_K02, api, id, "%s of executive spin lock #%u, which is not held %s%s", ke_api_name(api),
			      id, exclusive ? "exclusively by this thread" : "shared", "");
		return false;
	}
	kernel_sync_release_rw(k, (const void *)l, exclusive);
	*l = exclusive ? XL_MAKE(id, 0, 0) : XL_MAKE(id, XL_SHARED(*l) - 1u, 0);
	held(k, -1);
	kernel_emit(k, api, id, 0, 0);
	struct sched *s = k->sched;
	for (uint32_t i = 0; i < s->nthreads; i++) {
		struct sim_thread *w = &s->threads[i];
		if (w->state == TS_BLOCKED && w->block_reason == BLOCK_SPINLOCK && w->block_obj == id)
			sched_wake(s, w);
	}
	return true;
}

static KIRQL acquire_raise(enum ke_api api, PEX_SPIN_LOCK l, bool exclusive)
{
	struct kernel *k = kernel_get();
	KIRQL old = kernel_irql(k);
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	if (old < DISPATCH_LEVEL)
		sched_set_irql(k->sched, DISPATCH_LEVEL);
	acquire(k, api, l, exclusive);
	return old;
}

static void release_lower(enum ke_api api, PEX_SPIN_LOCK l, bool exclusive, KIRQL old)
{
	struct kernel *k = kernel_get();
	release(k, api, l, exclusive);
	if (old > kernel_irql(k))
		kernel_report(k, RULE_K01, api, 0, "%s to IRQL %u above the current IRQL %u", ke_api_name(api), old,
			      kernel_irql(k));
	else
		sched_set_irql(k->sched, old);
	kernel_enter(k, api);
}

static struct kernel *at_dispatch(enum ke_api api)
{
	struct kernel *k = kernel_get();
	if (kernel_irql(k) != DISPATCH_LEVEL)
		kernel_report(k, RULE_K01, api, 0, "%s called at IRQL %u; it must be called at DISPATCH_LEVEL",
			      ke_api_name(api), kernel_irql(k));
	return k;
}

KIRQL ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock) { return acquire_raise(KE_ExAcquireSpinLockExclusive, SpinLock, true); }
KIRQL ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock) { return acquire_raise(KE_ExAcquireSpinLockShared, SpinLock, false); }
VOID ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql)
{
	release_lower(KE_ExReleaseSpinLockExclusive, SpinLock, true, OldIrql);
}
VOID ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql)
{
	release_lower(KE_ExReleaseSpinLockShared, SpinLock, false, OldIrql);
}
VOID ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	acquire(at_dispatch(KE_ExAcquireSpinLockExclusive), KE_ExAcquireSpinLockExclusive, SpinLock, true);
}
VOID ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	acquire(at_dispatch(KE_ExAcquireSpinLockShared), KE_ExAcquireSpinLockShared, SpinLock, false);
}
VOID ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	struct kernel *k = at_dispatch(KE_ExReleaseSpinLockExclusive);
	release(k, KE_ExReleaseSpinLockExclusive, SpinLock, true);
	kernel_enter(k, KE_ExReleaseSpinLockExclusive);
}
VOID ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	struct kernel *k = at_dispatch(KE_ExReleaseSpinLockShared);
	release(k, KE_ExReleaseSpinLockShared, SpinLock, false);
	kernel_enter(k, KE_ExReleaseSpinLockShared);
}

static BOOLEAN try_acquire(enum ke_api api, PEX_SPIN_LOCK l, bool exclusive)
{
	struct kernel *k = at_dispatch(api);
	kernel_enter(k, api);
	LONG v = *l;
	if (exclusive ? XL_OWNER(v) != 0 || XL_SHARED(v) != 0 : XL_OWNER(v) != 0)
		return FALSE;
	acquire(k, api, l, exclusive);
	return TRUE;
}
BOOLEAN ExTryAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	return try_acquire(KE_ExAcquireSpinLockShared, SpinLock, false);
}
BOOLEAN ExTryAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock)
{
	return try_acquire(KE_ExAcquireSpinLockExclusive, SpinLock, true);
}

/* Succeeds when this thread is the only shared holder (the documented case). */
LOGICAL ExTryConvertSharedSpinLockExclusive(PEX_SPIN_LOCK SpinLock)
{
	struct kernel *k = at_dispatch(KE_ExTryConvertSharedSpinLockExclusive);
	kernel_enter(k, KE_ExTryConvertSharedSpinLockExclusive);
	uint16_t id = xl_id(k, SpinLock);
	if (XL_OWNER(*SpinLock) != 0 || XL_SHARED(*SpinLock) != 1)
		return FALSE;
	*SpinLock = XL_MAKE(id, 0, kernel_thread_now(k)->id + 1u);
	/* Exclusive now: after every shared holder that released before. */
	kernel_sync_acquire(k, kernel_sync_readers((const void *)SpinLock));
	kernel_emit(k, KE_ExTryConvertSharedSpinLockExclusive, id, 0, 0);
	return TRUE;
}

/* ---- ExInterlocked lists: callable at any IRQL (the WDK raises to HIGH
 * around the operation); each is a scheduling point before the operation,
 * which is then atomic, as the spin lock makes it. ---- */

/* A scheduling point, and the list's lock taken and released around the
 * operation (happens-before, race.h). With per-object keys the lock is
 * keyed by its line (it may also be taken with KeAcquireSpinLock around
 * the driver's own accesses to the list), and so are the links the
 * operation writes in driver memory (list_touch), which no instrumented
 * access sees. */
static void list_point(PVOID lock, const void *head)
{
	struct kernel *k = kernel_get();
	kernel_enter(k, KE_ExInterlockedList);
	kernel_object_touch(k, lock, true);
	kernel_object_touch_n(k, head, sizeof(LIST_ENTRY), true);
	kernel_sync_acquire(k, lock);
	kernel_sync_release(k, lock);
}

static void list_touch(const void *entry)
{
	if (entry)
		kernel_object_touch_n(kernel_get(), entry, sizeof(LIST_ENTRY), true);
}

PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
	list_point(Lock, ListHead);
	list_touch(ListEntry);
	list_touch(ListHead->Flink);
	PLIST_ENTRY first = IsListEmpty(ListHead) ? NULL : ListHead->Flink;
	InsertHeadList(ListHead, ListEntry);
	return first;
}

PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
	list_point(Lock, ListHead);
	list_touch(ListEntry);
	list_touch(ListHead->Blink);
	PLIST_ENTRY last = IsListEmpty(ListHead) ? NULL : ListHead->Blink;
	InsertTailList(ListHead, ListEntry);
	return last;
}

PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
	list_point(Lock, ListHead);
	if (!IsListEmpty(ListHead)) {
		list_touch(ListHead->Flink);
		list_touch(ListHead->Flink->Flink);
	}
	return IsListEmpty(ListHead) ? NULL : RemoveHeadList(ListHead);
}

PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
	list_point(Lock, ListHead);
	list_touch(ListHead->Next);
	return PopEntryList(ListHead);
}

PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
	list_point(Lock, ListHead);
	list_touch(ListEntry);
	PSINGLE_LIST_ENTRY first = ListHead->Next;
	PushEntryList(ListHead, ListEntry);
	return first;
}
