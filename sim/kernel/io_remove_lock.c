/* io_remove_lock.c - remove locks (IO_REMOVE_LOCK).
 *
 * A remove lock is the I/O manager's rundown for a device: each I/O path
 * takes it (IoAcquireRemoveLock), and the removal path (IRP_MN_REMOVE_DEVICE,
 * or an Unload that owns no PnP device) takes it once more and calls
 * IoReleaseRemoveLockAndWait, which marks the lock removed, releases its
 * own acquisition and waits until every other one is released. Later
 * acquires fail with STATUS_DELETE_PENDING. As on Windows, IoCount is 1
 * plus the acquisitions held (the initial bias goes with the wait).
 *
 * Checks, from the routines' pages: IoInitializeRemoveLock at PASSIVE_LEVEL
 * and IoReleaseRemoveLockAndWait at PASSIVE_LEVEL (K01; at DISPATCH_LEVEL or
 * above the wait is K03, as every wait is), acquire and release at <=
 * DISPATCH_LEVEL (K01). Misuse is K09 (an object in a state its routine
 * forbids), as the checked kernel asserts: a release without an acquisition
 * (IoCount would reach the bias) or with a tag no acquisition held passed
 * (the pages: "the driver must supply the same Tag in the corresponding
 * call to IoReleaseRemoveLock"), IoReleaseRemoveLockAndWait by a caller
 * holding no acquisition of its tag ("the driver must have acquired the
 * lock" before it) or a second time, a (re)initialisation while
 * acquisitions are held or a wait is in progress, a lock never initialised.
 * Tags are kept per lock in IO_REMOVE_LOCK_TAG_SLOTS slots; more distinct
 * tags at once stop the tag check for that lock. HighWatermark and
 * MaxLockedMinutes are not checked. The object id and generation live in
 * the lock itself (docs/KERNEL.md, "Objects"). */
#include "kernel/kernel.h"

enum remove_lock_state { RL_ACTIVE = 0, RL_WAITING, RL_REMOVED };

static void tags_clear(PIO_REMOVE_LOCK l)
{
	memset(&l->Dbg, 0, sizeof l->Dbg);
}

/* An acquisition with this tag is held. */
static void tag_add(PIO_REMOVE_LOCK l, PVOID tag)
{
	IO_REMOVE_LOCK_DBG_BLOCK *d = &l->Dbg;
	int empty = -1;
	for (int i = 0; i < IO_REMOVE_LOCK_TAG_SLOTS; i++) {
		if (d->TagCounts[i] && d->Tags[i] == tag && d->TagCounts[i] < 0xffffu) {
			d->TagCounts[i]++;
			return;
		}
		if (!d->TagCounts[i] && empty < 0)
			empty = i;
	}
	if (empty < 0) {
		d->Untracked++;
		return;
	}
	d->Tags[empty] = tag;
	d->TagCounts[empty] = 1;
}

/* Releases an acquisition with this tag; false when none was held (with
 * untracked acquisitions, one of those is taken: no finding). */
static bool tag_remove(PIO_REMOVE_LOCK l, PVOID tag)
{
	IO_REMOVE_LOCK_DBG_BLOCK *d = &l->Dbg;
	for (int i = 0; i < IO_REMOVE_LOCK_TAG_SLOTS; i++) {
		if (d->TagCounts[i] && d->Tags[i] == tag) {
			d->TagCounts[i]--;
			return true;
		}
	}
	if (d->Untracked) {
		d->Untracked--;
		return true;
	}
	return false;
}

/* A lock as IoInitializeRemoveLock leaves it: not removed, the count's bias
 * of 1, a fresh object id of this run, no tags held. Returns the id. */
static uint32_t remove_lock_start(struct kernel *k, PIO_REMOVE_LOCK l)
{
	IO_REMOVE_LOCK_COMMON_BLOCK *c = &l->Common;
	c->Removed = FALSE;
	c->IoCount = 1;
	c->Reserved1 = kernel_new_id(k, l);
	c->Reserved2 = k->generation;
	c->Reserved3 = RL_ACTIVE;
	tags_clear(l);
	return c->Reserved1;
}

static uint32_t remove_lock_id(struct kernel *k, enum ke_api api, PIO_REMOVE_LOCK l)
{
	kernel_touch(k, RULE_K09);
	IO_REMOVE_LOCK_COMMON_BLOCK *c = &l->Common;
	if (kernel_obj_live(k, c->Reserved1, c->Reserved2))
		return c->Reserved1;
	/* In freed pool: K05 (M19 after a cleanup callback), once per block,
	 * and 0: the routine then does nothing, so the release that follows
	 * an acquire on freed memory makes no made-up K09 (and the filler is
	 * not written). Never initialised in this run: K09, then a fresh lock
	 * so the run goes on. */
	if (kernel_object_not_live(k, api, l, "a remove lock"))
		return 0;
	return remove_lock_start(k, l);
}

VOID IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes, ULONG HighWatermark,
			      ULONG RemlockSize)
{
	(void)AllocateTag;
	(void)MaxLockedMinutes;
	(void)HighWatermark;
	(void)RemlockSize;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_IoInitializeRemoveLock;
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	IO_REMOVE_LOCK_COMMON_BLOCK *c = &Lock->Common;
	if (kernel_obj_live(k, c->Reserved1, c->Reserved2) && (c->IoCount > 1 || c->Reserved3 == RL_WAITING))
		kernel_report(k, RULE_K09, api, c->Reserved1,
			      "IoInitializeRemoveLock on remove lock #%u while it is in use (%d acquisition(s)%s)",
			      c->Reserved1, (int)c->IoCount - 1, c->Reserved3 == RL_WAITING ? ", a wait in progress" : "");
	kernel_emit(k, api, remove_lock_start(k, Lock), 0, 0);
}

NTSTATUS IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line, ULONG RemlockSize)
{
	(void)File;
	(void)Line;
	(void)RemlockSize;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_IoAcquireRemoveLock;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	uint32_t id = remove_lock_id(k, api, RemoveLock);
	if (!id)
		return STATUS_SUCCESS; /* freed: reported; its release is quiet too */
	IO_REMOVE_LOCK_COMMON_BLOCK *c = &RemoveLock->Common;
	bool ok = !c->Removed;
	if (ok) {
		c->IoCount++;
		tag_add(RemoveLock, Tag);
	}
	kernel_emit(k, api, id, ok ? STATUS_SUCCESS : STATUS_DELETE_PENDING, (uint32_t)c->IoCount);
	return ok ? STATUS_SUCCESS : STATUS_DELETE_PENDING;
}

static void wake_waiters(struct kernel *k, uint32_t id)
{
	struct sched *s = k->sched;
	for (uint32_t i = 0; i < s->nthreads; i++) {
		struct sim_thread *w = &s->threads[i];
		if (w->state == TS_BLOCKED && w->block_reason == BLOCK_REMOVE_LOCK && w->block_obj == (uint16_t)id)
			sched_wake(s, w);
	}
}

VOID IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
	(void)RemlockSize;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_IoReleaseRemoveLock;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	uint32_t id = remove_lock_id(k, api, RemoveLock);
	if (!id) {
		kernel_enter(k, api);
		return;
	}
	IO_REMOVE_LOCK_COMMON_BLOCK *c = &RemoveLock->Common;
	/* While the wait runs the bias is gone: a release may take IoCount to 0. */
	LONG floor = c->Reserved3 == RL_ACTIVE ? 1 : 0;
	if (c->IoCount <= floor) {
		kernel_report(k, RULE_K09, api, id,
			      "IoReleaseRemoveLock on remove lock #%u with no acquisition held: released more often than "
			      "acquired", id);
		kernel_emit(k, api, id, 0, (uint32_t)c->IoCount);
		kernel_enter(k, api);
		return;
	}
	if (!tag_remove(RemoveLock, Tag))
		kernel_report(k, RULE_K09, api, id,
			      "IoReleaseRemoveLock on remove lock #%u with a tag no acquisition held passed (a release must "
			      "pass its IoAcquireRemoveLock's tag)", id);
	c->IoCount--;
	/* The work done under the lock is visible to the thread the wait releases. */
	kernel_sync_release(k, RemoveLock);
	kernel_emit(k, api, id, 0, (uint32_t)c->IoCount);
	if (c->IoCount == 0 && c->Reserved3 == RL_WAITING)
		wake_waiters(k, id);
	kernel_enter(k, api);
}

VOID IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
	(void)RemlockSize;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_IoReleaseRemoveLockAndWait;
	if (kernel_irql(k) >= DISPATCH_LEVEL)
		kernel_report(k, RULE_K03, api, 0, "IoReleaseRemoveLockAndWait at IRQL %u (DISPATCH_LEVEL or above)",
			      kernel_irql(k));
	else
		kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	uint32_t id = remove_lock_id(k, api, RemoveLock);
	if (!id)
		return; /* freed: reported, nothing to wait for */
	IO_REMOVE_LOCK_COMMON_BLOCK *c = &RemoveLock->Common;
	if (c->Reserved3 != RL_ACTIVE) {
		kernel_report(k, RULE_K09, api, id, "IoReleaseRemoveLockAndWait on remove lock #%u a second time", id);
		return;
	}
	c->Removed = TRUE;
	c->Reserved3 = RL_WAITING;
	if (c->IoCount < 2 || !tag_remove(RemoveLock, Tag)) {
		/* The checked kernel asserts. Only the bias goes, so the wait still
		 * waits for every acquisition held (Windows would drop one of them
		 * too, and the release that follows would underflow): one finding,
		 * at its cause. */
		kernel_report(k, RULE_K09, api, id,
			      "IoReleaseRemoveLockAndWait on remove lock #%u without holding an acquisition with its tag "
			      "(call IoAcquireRemoveLock first)", id);
		c->IoCount = c->IoCount > 0 ? c->IoCount - 1 : 0;
	} else {
		c->IoCount -= 2; /* the caller's acquisition and the initial bias */
	}
	kernel_emit(k, api, id, STATUS_PENDING, (uint32_t)c->IoCount);
	k->threads[kernel_thread_now(k)->id].blocked_on = RemoveLock;
	while (c->IoCount > 0 && kernel_obj_live(k, c->Reserved1, c->Reserved2) && c->Reserved1 == id)
		sched_block(k->sched, BLOCK_REMOVE_LOCK, (uint16_t)id);
	kernel_check_alive(k, api);
	kernel_sync_acquire(k, RemoveLock);
	c->Reserved3 = RL_REMOVED;
	kernel_emit(k, api, id, STATUS_SUCCESS, 0);
}
