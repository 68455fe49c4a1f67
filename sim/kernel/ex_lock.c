/* ex_lock.c - push locks and fast mutexes (PASSIVE/APC-level locks).
 *
 * A thread that finds the lock taken blocks (BLOCK_PUSHLOCK, BLOCK_MUTEX)
 * and retries when it is released. Recursive acquires deadlock on Windows:
 * K02, and the thread blocks for good. Releases of a lock not held are K02
 * and change nothing. A zeroed EX_PUSH_LOCK is a valid free lock (as on
 * Windows); a FAST_MUTEX must be initialised (K09 otherwise, then taken as
 * free). Guarded mutexes (ke_guarded_mutex.c) use the fast mutex code. */
#include "kernel/kernel.h"

#define PL_OWNER(v) ((uint8_t)((v) & 0xffu))
#define PL_SHARED(v) ((uint32_t)(((v) >> 8) & 0xffffu))
#define PL_MAKE(owner, shared) ((ULONG_PTR)(owner) | ((ULONG_PTR)(shared) << 8))

static void wake_all(struct kernel *k, enum block_reason reason, uint32_t id)
{
	struct sched *s = k->sched;
	for (uint32_t i = 0; i < s->nthreads; i++) {
		struct sim_thread *w = &s->threads[i];
		if (w->state == TS_BLOCKED && w->block_reason == reason && w->block_obj == (uint16_t)id)
			sched_wake(s, w);
	}
}

static void held(struct kernel *k, int delta)
{
	kernel_touch(k, RULE_K02);
	struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	if (delta > 0 && kt->locks_held < UINT8_MAX)
		kt->locks_held++;
	else if (delta < 0 && kt->locks_held)
		kt->locks_held--;
}

/* ---- push locks ---- */

static uint32_t push_lock_id(struct kernel *k, enum ke_api api, PEX_PUSH_LOCK l)
{
	if (kernel_obj_live(k, l->Reserved1, l->Reserved2))
		return l->Reserved1;
	if (l->Value || l->Reserved1 || l->Reserved2)
		kernel_object_not_live(k, api, l, "a push lock");
	l->Value = 0;
	l->Reserved1 = kernel_new_id(k, l);
	l->Reserved2 = k->generation;
	return l->Reserved1;
}

VOID ExInitializePushLock(PEX_PUSH_LOCK PushLock)
{
	struct kernel *k = kernel_get();
	PushLock->Value = 0;
	PushLock->Reserved1 = kernel_new_id(k, PushLock);
	PushLock->Reserved2 = k->generation;
}

static void push_acquire(enum ke_api api, PEX_PUSH_LOCK l, bool exclusive)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, APC_LEVEL);
	kernel_enter(k, api);
	uint32_t id = push_lock_id(k, api, l);
	uint8_t self = (uint8_t)(kernel_thread_now(k)->id + 1u);
	if (PL_OWNER(l->Value) == self)
		kernel_report(k, RULE_K02, api, id, "%s on push lock #%u that this thread holds exclusively: it deadlocks",
			      ke_api_name(api), id);
	for (;;) {
		ULONG_PTR v = l->Value;
		bool free = exclusive ? v == 0 : PL_OWNER(v) == 0;
		if (free)
			break;
		k->threads[kernel_thread_now(k)->id].blocked_on = l;
		sched_block(k->sched, BLOCK_PUSHLOCK, (uint16_t)id);
		id = push_lock_id(k, api, l);
	}
	l->Value = exclusive ? PL_MAKE(self, 0) : PL_MAKE(0, PL_SHARED(l->Value) + 1u);
	held(k, +1);
	kernel_sync_acquire_rw(k, l, exclusive);
	kernel_emit(k, api, id, 0, 0);
}

static void push_release(enum ke_api api, PEX_PUSH_LOCK l, int mode /* 1 exclusive, 0 shared, -1 either */)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, APC_LEVEL);
	uint32_t id = push_lock_id(k, api, l);
	uint8_t self = (uint8_t)(kernel_thread_now(k)->id + 1u);
	ULONG_PTR v = l->Value;
	if (mode < 0)
		mode = PL_OWNER(v) == self ? 1 : 0;
	if (mode == 1 && PL_OWNER(v) != self) {
		kernel_report(k, RULE_K02, api, id, "%s of push lock #%u, which this thread does not hold exclusively",
			      ke_api_name(api), id);
		return;
	}
	if (mode == 0 && PL_SHARED(v) == 0) {
		kernel_report(k, RULE_K02, api, id, "%s of push lock #%u, which is not held shared", ke_api_name(api), id);
		return;
	}
	kernel_sync_release_rw(k, l, mode == 1);
	l->Value = mode == 1 ? 0 : PL_MAKE(0, PL_SHARED(v) - 1u);
	held(k, -1);
	kernel_emit(k, api, id, 0, 0);
	wake_all(k, BLOCK_PUSHLOCK, id);
	kernel_enter(k, api);
}

VOID ExAcquirePushLockExclusive(PEX_PUSH_LOCK PushLock) { push_acquire(KE_ExAcquirePushLockExclusive, PushLock, true); }
VOID ExAcquirePushLockShared(PEX_PUSH_LOCK PushLock) { push_acquire(KE_ExAcquirePushLockShared, PushLock, false); }
VOID ExReleasePushLockExclusive(PEX_PUSH_LOCK PushLock) { push_release(KE_ExReleasePushLockExclusive, PushLock, 1); }
VOID ExReleasePushLockShared(PEX_PUSH_LOCK PushLock) { push_release(KE_ExReleasePushLockShared, PushLock, 0); }
VOID ExReleasePushLock(PEX_PUSH_LOCK PushLock) { push_release(KE_ExReleasePushLock, PushLock, -1); }

/* ---- fast mutexes ---- */

static uint32_t mutex_id(struct kernel *k, enum ke_api api, PFAST_MUTEX m)
{
	if (kernel_obj_live(k, m->Reserved1, m->Reserved2))
		return m->Reserved1;
	kernel_object_not_live(k, api, m, "a fast mutex");
	m->Count = 1;
	m->Owner = 0;
	m->Contention = 0;
	m->Reserved1 = kernel_new_id(k, m);
	m->Reserved2 = k->generation;
	return m->Reserved1;
}

VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
	struct kernel *k = kernel_get();
	FastMutex->Count = 1;
	FastMutex->Owner = 0;
	FastMutex->Contention = 0;
	FastMutex->OldIrql = 0;
	FastMutex->Reserved1 = kernel_new_id(k, FastMutex);
	FastMutex->Reserved2 = k->generation;
}

bool kernel_fast_mutex_acquire(enum ke_api api, PFAST_MUTEX m, enum kernel_mutex_mode mode, bool try_only)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, APC_LEVEL);
	kernel_enter(k, api);
	uint32_t id = mutex_id(k, api, m);
	struct sim_thread *t = kernel_thread_now(k);
	uint32_t self = t->id + 1u;
	const char *kind = mode == KMUTEX_GUARDED || api == KE_KeAcquireGuardedMutex ? "guarded mutex" : "fast mutex";
	if (m->Owner == self && !try_only)
		kernel_report(k, RULE_K02, api, id, "%s on %s #%u that this thread owns: it deadlocks",
			      ke_api_name(api), kind, id);
	if (try_only && m->Owner != 0)
		return false;
	while (m->Owner != 0) {
		m->Contention++;
		k->threads[t->id].blocked_on = m;
		sched_block(k->sched, BLOCK_MUTEX, (uint16_t)id);
		id = mutex_id(k, api, m);
	}
	m->Owner = self;
	m->Count = 0;
	kernel_sync_acquire(k, m);
	m->OldIrql = t->irql;
	if (mode == KMUTEX_RAISE_APC && t->irql < APC_LEVEL)
		sched_set_irql(k->sched, APC_LEVEL);
	else if (mode == KMUTEX_GUARDED && k->threads[t->id].guarded_region < UINT8_MAX)
		k->threads[t->id].guarded_region++;
	held(k, +1);
	kernel_emit(k, api, id, 0, 0);
	return true;
}

void kernel_fast_mutex_release(enum ke_api api, PFAST_MUTEX m, enum kernel_mutex_mode mode)
{
	struct kernel *k = kernel_get();
	uint32_t id = mutex_id(k, api, m);
	struct sim_thread *t = kernel_thread_now(k);
	bool lower = mode == KMUTEX_RAISE_APC;
	if (m->Owner != t->id + 1u) {
		kernel_report(k, RULE_K02, api, id, "%s of %s #%u, which this thread does not own (%s)",
			      ke_api_name(api), api == KE_KeReleaseGuardedMutex ? "guarded mutex" : "fast mutex", id,
			      m->Owner ? "another thread owns it" : "it is free");
		return;
	}
	if (lower && t->irql != APC_LEVEL)
		kernel_report(k, RULE_K02, api, id, "%s of fast mutex #%u at IRQL %u; it is held at APC_LEVEL",
			      ke_api_name(api), id, t->irql);
	kernel_sync_release(k, m);
	m->Owner = 0;
	m->Count = 1;
	held(k, -1);
	kernel_emit(k, api, id, 0, 0);
	if (lower)
		sched_set_irql(k->sched, (uint8_t)m->OldIrql);
	else if (mode == KMUTEX_GUARDED && k->threads[t->id].guarded_region)
		k->threads[t->id].guarded_region--;
	wake_all(k, BLOCK_MUTEX, id);
	kernel_enter(k, api);
}

VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
	kernel_fast_mutex_acquire(KE_ExAcquireFastMutex, FastMutex, KMUTEX_RAISE_APC, false);
}
VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex) { kernel_fast_mutex_release(KE_ExReleaseFastMutex, FastMutex, KMUTEX_RAISE_APC); }
BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
	return (BOOLEAN)kernel_fast_mutex_acquire(KE_ExTryToAcquireFastMutex, FastMutex, KMUTEX_RAISE_APC, true);
}
VOID ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
	kernel_fast_mutex_acquire(KE_ExAcquireFastMutex, FastMutex, KMUTEX_UNSAFE, false);
}
VOID ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex) { kernel_fast_mutex_release(KE_ExReleaseFastMutex, FastMutex, KMUTEX_UNSAFE); }
