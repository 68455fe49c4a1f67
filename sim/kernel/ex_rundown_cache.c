/* ex_rundown_cache.c - cache-aware rundown protection
 * (EX_RUNDOWN_REF_CACHE_AWARE, "Cache-Aware Run-Down Protection" in the WDK).
 *
 * Windows spreads the reference count over per-processor slots; the
 * contract a driver sees is the plain rundown's, so each routine runs the
 * plain rundown code (ex_rundown.c) on the EX_RUNDOWN_REF inside, under
 * its own name in the trace and findings: K04 for a release without an
 * acquire, a second wait, a (re)initialisation in use; K03 for the wait at
 * DISPATCH_LEVEL or above. ExAllocateCacheAwareRundownProtection takes a
 * pool block of the caller's tag (it fails under `faults N/D` and counts
 * for M21 until ExFreeCacheAwareRundownProtection); freeing it with
 * ExFreePool, or freeing a structure the driver initialised in its own
 * memory with ExFreeCacheAwareRundownProtection, is K05. A structure used
 * after its free is K05 at the routine (kernel_object_not_live). */
#include "kernel/kernel.h"

PEX_RUNDOWN_REF_CACHE_AWARE ExAllocateCacheAwareRundownProtection(POOL_TYPE PoolType, ULONG PoolTag)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExAllocateCacheAwareRundownProtection;
	kernel_check_irql_max(k, api, kernel_pool_type_paged(PoolType) ? APC_LEVEL : DISPATCH_LEVEL);
	kernel_enter(k, api);
	PEX_RUNDOWN_REF_CACHE_AWARE r = kernel_pool_alloc(k, api, sizeof *r, PoolTag, true, KPOOL_RUNDOWN);
	if (r == NULL)
		return NULL;
	r->Size = (ULONG)sizeof *r;
	kernel_rundown_init(api, &r->RunRef);
	return r;
}

SIZE_T ExSizeOfRundownProtectionCacheAware(VOID)
{
	return sizeof(EX_RUNDOWN_REF_CACHE_AWARE);
}

VOID ExInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, SIZE_T RunRefSize)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExInitializeRundownProtectionCacheAware;
	if (RunRefSize < sizeof *RunRefCacheAware) {
		/* Windows would write past the caller's block; nmrsim leaves it
		 * uninitialised, so its next use is K09 as well. */
		kernel_report(k, RULE_K09, api, 0,
			      "ExInitializeRundownProtectionCacheAware given %llu bytes, less than "
			      "ExSizeOfRundownProtectionCacheAware (%llu)",
			      (unsigned long long)RunRefSize, (unsigned long long)sizeof *RunRefCacheAware);
		return;
	}
	RunRefCacheAware->Size = (ULONG)RunRefSize;
	kernel_rundown_init(api, &RunRefCacheAware->RunRef); /* like ExInitializeRundownProtection: no scheduling point */
}

VOID ExFreeCacheAwareRundownProtection(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExFreeCacheAwareRundownProtection;
	kernel_check_irql_max(k, api, APC_LEVEL);
	kernel_enter(k, api);
	kernel_pool_free(k, api, RunRefCacheAware, 0, false, KPOOL_RUNDOWN);
}

BOOLEAN ExAcquireRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, ULONG Count)
{
	return (BOOLEAN)kernel_rundown_acquire(KE_ExAcquireRundownProtectionCacheAware, &RunRefCacheAware->RunRef, Count);
}

BOOLEAN ExAcquireRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)
{
	return ExAcquireRundownProtectionCacheAwareEx(RunRefCacheAware, 1);
}

VOID ExReleaseRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRef, ULONG Count)
{
	kernel_rundown_release(KE_ExReleaseRundownProtectionCacheAware, &RunRef->RunRef, Count);
}

VOID ExReleaseRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)
{
	ExReleaseRundownProtectionCacheAwareEx(RunRefCacheAware, 1);
}

VOID ExWaitForRundownProtectionReleaseCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRef)
{
	kernel_rundown_wait(KE_ExWaitForRundownProtectionReleaseCacheAware, &RunRef->RunRef);
}

VOID ExReInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)
{
	kernel_rundown_reinit(KE_ExReInitializeRundownProtectionCacheAware, &RunRefCacheAware->RunRef);
}

VOID ExRundownCompletedCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)
{
	kernel_rundown_completed(KE_ExRundownCompletedCacheAware, &RunRefCacheAware->RunRef);
}
