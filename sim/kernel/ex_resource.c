/* ex_resource.c - executive resources (ERESOURCE): reader/writer locks that
 * the exclusive owner may re-acquire (exclusive or shared), used at
 * <= APC_LEVEL with normal kernel APCs disabled.
 *
 * K10 resource-misuse is the documented contract: acquiring with APCs
 * enabled (not in a critical region, below APC_LEVEL), releasing a resource
 * this thread does not hold, deleting or reinitialising one that is held,
 * acquiring exclusive while holding it shared (a deadlock on Windows: the
 * thread then blocks for good). A thread that cannot get the resource
 * blocks (BLOCK_PUSHLOCK, the reader/writer lock reason) unless Wait is
 * FALSE. An uninitialised resource is K09 and taken as free. */
#include "kernel/kernel.h"

_Static_assert(SIM_THREADS_MAX <= sizeof(((ERESOURCE *)0)->SharedBy), "ERESOURCE counts shared holders per thread");

static uint32_t resource_id(struct kernel *k, enum ke_api api, PERESOURCE r)
{
	if (kernel_obj_live(k, r->Reserved1, r->Reserved2))
		return r->Reserved1;
	kernel_object_not_live(k, api, r, "a resource");
	memset(r, 0, sizeof *r);
	r->Reserved1 = kernel_new_id(k, r);
	r->Reserved2 = k->generation;
	return r->Reserved1;
}

static bool held_by_anyone(const ERESOURCE *r) { return r->Owner != 0 || r->SharedCount != 0; }

static void wake(struct kernel *k, uint32_t id)
{
	struct sched *s = k->sched;
	for (uint32_t i = 0; i < s->nthreads; i++) {
		struct sim_thread *w = &s->threads[i];
		if (w->state == TS_BLOCKED && w->block_reason == BLOCK_PUSHLOCK && w->block_obj == (uint16_t)id)
			sched_wake(s, w);
	}
}

static NTSTATUS init(enum ke_api api, PERESOURCE r)
{
	struct kernel *k = kernel_get();
	kernel_touch(k, RULE_K10);
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	if (kernel_obj_live(k, r->Reserved1, r->Reserved2) && held_by_anyone(r))
		kernel_report(k, RULE_K10, api, r->Reserved1, "%s of resource #%u while it is held", ke_api_name(api),
			      r->Reserved1);
	memset(r, 0, sizeof *r);
	r->Reserved1 = kernel_new_id(k, r);
	r->Reserved2 = k->generation;
	kernel_emit(k, api, r->Reserved1, 0, 0);
	return STATUS_SUCCESS;
}

NTSTATUS ExInitializeResourceLite(PERESOURCE Resource) { return init(KE_ExInitializeResourceLite, Resource); }
NTSTATUS ExReinitializeResourceLite(PERESOURCE Resource) { return init(KE_ExInitializeResourceLite, Resource); }

NTSTATUS ExDeleteResourceLite(PERESOURCE Resource)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExDeleteResourceLite;
	kernel_touch(k, RULE_K10);
	kernel_check_irql_max(k, api, APC_LEVEL);
	kernel_enter(k, api);
	uint32_t id = resource_id(k, api, Resource);
	if (held_by_anyone(Resource))
		kernel_report(k, RULE_K10, api, id, "%s of resource #%u while it is held", ke_api_name(api), id);
	kernel_emit(k, api, id, 0, 0);
	Resource->Reserved2 = 0; /* deleted: a later use is K09 */
	return STATUS_SUCCESS;
}

static void check_apcs(struct kernel *k, enum ke_api api, uint32_t id)
{
	kernel_touch(k, RULE_K10);
	const struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	/* A guarded region (KeEnterGuardedRegion, a guarded mutex held) disables normal kernel APCs too. */
	if (kernel_irql(k) < APC_LEVEL && kt->critical_region == 0 && kt->guarded_region == 0)
		kernel_report(k, RULE_K10, api, id,
			      "%s of resource #%u with normal kernel APCs enabled (call KeEnterCriticalRegion first)",
			      ke_api_name(api), id);
}

static BOOLEAN acquire(enum ke_api api, PERESOURCE r, bool exclusive, BOOLEAN wait)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, APC_LEVEL);
	kernel_enter(k, api);
	uint32_t id = resource_id(k, api, r);
	check_apcs(k, api, id);
	struct sim_thread *t = kernel_thread_now(k);
	uint8_t self = (uint8_t)(t->id + 1u);
	if (r->Owner == self) { /* the owner re-acquires either way */
		r->ExclusiveCount++;
		kernel_emit(k, api, id, 0, 0);
		return TRUE;
	}
	if (exclusive && r->SharedBy[t->id])
		kernel_report(k, RULE_K10, api, id,
			      "%s of resource #%u that this thread holds shared: it waits for itself", ke_api_name(api), id);
	for (;;) {
		bool free = exclusive ? !held_by_anyone(r) : r->Owner == 0;
		if (free)
			break;
		if (!wait)
			return FALSE;
		r->Contention++;
		k->threads[t->id].blocked_on = r;
		sched_block(k->sched, BLOCK_PUSHLOCK, (uint16_t)id);
		id = resource_id(k, api, r);
	}
	if (exclusive) {
		r->Owner = self;
		r->ExclusiveCount = 1;
	} else {
		r->SharedCount++;
		if (r->SharedBy[t->id] < UINT8_MAX)
			r->SharedBy[t->id]++;
	}
	kernel_sync_acquire_rw(k, r, exclusive);
	kernel_emit(k, api, id, 0, 0);
	return TRUE;
}

BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)
{
	return acquire(KE_ExAcquireResourceExclusiveLite, Resource, true, Wait);
}
BOOLEAN ExTryToAcquireResourceExclusiveLite(PERESOURCE Resource)
{
	return acquire(KE_ExAcquireResourceExclusiveLite, Resource, true, FALSE);
}
BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)
{
	return acquire(KE_ExAcquireResourceSharedLite, Resource, false, Wait);
}
BOOLEAN ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
	return acquire(KE_ExAcquireResourceSharedLite, Resource, false, Wait);
}
BOOLEAN ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
	return acquire(KE_ExAcquireResourceSharedLite, Resource, false, Wait);
}

VOID ExReleaseResourceLite(PERESOURCE Resource)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExReleaseResourceLite;
	kernel_touch(k, RULE_K10);
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	uint32_t id = resource_id(k, api, Resource);
	struct sim_thread *t = kernel_thread_now(k);
	bool exclusive = Resource->Owner == t->id + 1u;
	if (exclusive) {
		if (--Resource->ExclusiveCount == 0)
			Resource->Owner = 0;
	} else if (Resource->SharedBy[t->id]) {
		Resource->SharedBy[t->id]--;
		Resource->SharedCount--;
	} else {
		kernel_report(k, RULE_K10, api, id, "%s of resource #%u, which this thread does not hold (%s)",
			      ke_api_name(api), id, held_by_anyone(Resource) ? "other threads hold it" : "it is free");
		return;
	}
	kernel_sync_release_rw(k, Resource, exclusive);
	kernel_emit(k, api, id, 0, 0);
	wake(k, id);
	kernel_enter(k, api);
}

VOID ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)
{
	(void)ResourceThreadId; /* the releasing thread is the holder in every use nmrsim models */
	ExReleaseResourceLite(Resource);
}

VOID ExConvertExclusiveToSharedLite(PERESOURCE Resource)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExConvertExclusiveToSharedLite;
	kernel_check_irql_max(k, api, APC_LEVEL);
	uint32_t id = resource_id(k, api, Resource);
	struct sim_thread *t = kernel_thread_now(k);
	kernel_touch(k, RULE_K10);
	if (Resource->Owner != t->id + 1u) {
		kernel_report(k, RULE_K10, api, id, "%s of resource #%u, which this thread does not own exclusively",
			      ke_api_name(api), id);
		return;
	}
	Resource->Owner = 0;
	Resource->SharedCount = (USHORT)(Resource->SharedCount + Resource->ExclusiveCount);
	Resource->SharedBy[t->id] = (UCHAR)(Resource->SharedBy[t->id] + Resource->ExclusiveCount);
	Resource->ExclusiveCount = 0;
	/* The writes made exclusive are published to the shared holders after it. */
	kernel_sync_release(k, Resource);
	kernel_emit(k, api, id, 0, 0);
	wake(k, id);
	kernel_enter(k, api);
}

BOOLEAN ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)
{
	struct kernel *k = kernel_get();
	return (BOOLEAN)(Resource->Owner == kernel_thread_now(k)->id + 1u);
}

ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource)
{
	struct kernel *k = kernel_get();
	uint8_t t = kernel_thread_now(k)->id;
	return Resource->Owner == t + 1u ? Resource->ExclusiveCount : Resource->SharedBy[t];
}

ULONG ExGetExclusiveWaiterCount(PERESOURCE Resource) { (void)Resource; return 0; }
ULONG ExGetSharedWaiterCount(PERESOURCE Resource) { (void)Resource; return 0; }

PVOID ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource)
{
	KeEnterCriticalRegion();
	ExAcquireResourceExclusiveLite(Resource, TRUE);
	return NULL;
}

PVOID ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource)
{
	KeEnterCriticalRegion();
	ExAcquireResourceSharedLite(Resource, TRUE);
	return NULL;
}

VOID ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource)
{
	ExReleaseResourceLite(Resource);
	KeLeaveCriticalRegion();
}
