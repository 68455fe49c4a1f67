/* ke_guarded_mutex.c - guarded mutexes and guarded regions.
 *
 * The WDK declares KGUARDED_MUTEX as the FAST_MUTEX structure, and since
 * Windows 8 both are one implementation; what differs is what the acquire
 * does to the thread: ExAcquireFastMutex raises to APC_LEVEL, while
 * KeAcquireGuardedMutex leaves the IRQL alone and enters a guarded region
 * (every APC disabled), which the release leaves. So the blocking, the
 * ownership and the K02 checks are the fast mutex code (ex_lock.c,
 * kernel_fast_mutex_acquire), and this file adds the guarded region.
 *
 * Checks, from the routines' pages: every routine <= APC_LEVEL (K01;
 * KeInitializeGuardedMutex <= DISPATCH_LEVEL); a recursive acquire deadlocks
 * and a release by a thread that does not own it (K02, as for fast
 * mutexes); the Unsafe forms do not enter a guarded region, so "code
 * enclosed within a KeAcquireGuardedMutexUnsafe/KeReleaseGuardedMutexUnsafe
 * pair must execute either at IRQL = APC_LEVEL, or within a guarded region":
 * an Unsafe acquire below APC_LEVEL outside a guarded region is K01 (called
 * below its level, as the AtDpcLevel forms are); KeLeaveGuardedRegion
 * without a matching enter is K09, as KeLeaveCriticalRegion's is. */
#include "kernel/kernel.h"

VOID KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeInitializeGuardedMutex, DISPATCH_LEVEL);
	ExInitializeFastMutex(Mutex); /* the same structure, the same initial state */
}

VOID KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	kernel_fast_mutex_acquire(KE_KeAcquireGuardedMutex, Mutex, KMUTEX_GUARDED, false);
}

VOID KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	kernel_check_irql_max(kernel_get(), KE_KeReleaseGuardedMutex, APC_LEVEL);
	kernel_fast_mutex_release(KE_KeReleaseGuardedMutex, Mutex, KMUTEX_GUARDED);
}

BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
	return (BOOLEAN)kernel_fast_mutex_acquire(KE_KeTryToAcquireGuardedMutex, Mutex, KMUTEX_GUARDED, true);
}

VOID KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX Mutex)
{
	struct kernel *k = kernel_get();
	const struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	if (kernel_irql(k) < APC_LEVEL && kt->guarded_region == 0)
		kernel_report(k, RULE_K01, KE_KeAcquireGuardedMutex, 0,
			      "KeAcquireGuardedMutexUnsafe at IRQL %u outside a guarded region: the pair must run at "
			      "APC_LEVEL or within a guarded region (KeEnterGuardedRegion)", kernel_irql(k));
	kernel_fast_mutex_acquire(KE_KeAcquireGuardedMutex, Mutex, KMUTEX_UNSAFE, false);
}

VOID KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX Mutex)
{
	kernel_check_irql_max(kernel_get(), KE_KeReleaseGuardedMutex, APC_LEVEL);
	kernel_fast_mutex_release(KE_KeReleaseGuardedMutex, Mutex, KMUTEX_UNSAFE);
}

VOID KeEnterGuardedRegion(VOID)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeEnterGuardedRegion, APC_LEVEL);
	struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	if (kt->guarded_region < UINT8_MAX)
		kt->guarded_region++;
}

VOID KeLeaveGuardedRegion(VOID)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeLeaveGuardedRegion, APC_LEVEL);
	struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	if (kt->guarded_region == 0) {
		kernel_report(k, RULE_K09, KE_KeLeaveGuardedRegion, 0,
			      "KeLeaveGuardedRegion without a matching KeEnterGuardedRegion");
		return;
	}
	kt->guarded_region--;
	/* Leaving lets pending APCs run: a point where other threads may run, as KeLeaveCriticalRegion. */
	kernel_enter(k, KE_KeLeaveGuardedRegion);
}

BOOLEAN KeAreAllApcsDisabled(VOID)
{
	struct kernel *k = kernel_get();
	return (BOOLEAN)(kernel_irql(k) >= APC_LEVEL || k->threads[kernel_thread_now(k)->id].guarded_region > 0);
}
