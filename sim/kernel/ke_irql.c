/* ke_irql.c - IRQL routines and critical regions.
 *
 * The IRQL is the simulated thread's (sched_set_irql, an EV_IRQL event per
 * change). Raising to a lower IRQL or lowering to a higher one is K01 and
 * leaves the IRQL as it was (Windows bug checks with
 * IRQL_NOT_GREATER_OR_EQUAL / IRQL_NOT_LESS_OR_EQUAL). */
#include "kernel/kernel.h"

KIRQL KeGetCurrentIrql(VOID)
{
	return kernel_irql(kernel_get());
}

static KIRQL raise_to(struct kernel *k, enum ke_api api, KIRQL new_irql)
{
	KIRQL old = kernel_irql(k);
	kernel_enter(k, api);
	if (new_irql < old) {
		kernel_report(k, RULE_K01, api, 0, "%s to IRQL %u below the current IRQL %u", ke_api_name(api),
			      new_irql, old);
		return old;
	}
	sched_set_irql(k->sched, new_irql);
	return old;
}

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
	KIRQL old = raise_to(kernel_get(), KE_KeRaiseIrql, NewIrql);
	if (OldIrql)
		*OldIrql = old;
}

KIRQL KfRaiseIrql(KIRQL NewIrql)
{
	return raise_to(kernel_get(), KE_KeRaiseIrql, NewIrql);
}

KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
	return raise_to(kernel_get(), KE_KeRaiseIrqlToDpcLevel, DISPATCH_LEVEL);
}

VOID KeLowerIrql(KIRQL NewIrql)
{
	struct kernel *k = kernel_get();
	KIRQL cur = kernel_irql(k);
	if (NewIrql > cur) {
		kernel_report(k, RULE_K01, KE_KeLowerIrql, 0, "KeLowerIrql to IRQL %u above the current IRQL %u", NewIrql,
			      cur);
		kernel_enter(k, KE_KeLowerIrql);
		return;
	}
	sched_set_irql(k->sched, NewIrql);
	/* Lowering is where pending work may take the processor. */
	kernel_enter(k, KE_KeLowerIrql);
}

VOID KeEnterCriticalRegion(VOID)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeEnterCriticalRegion, APC_LEVEL);
	struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	if (kt->critical_region < UINT8_MAX)
		kt->critical_region++;
}

VOID KeLeaveCriticalRegion(VOID)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_KeLeaveCriticalRegion, APC_LEVEL);
	struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	if (kt->critical_region == 0) {
		kernel_report(k, RULE_K09, KE_KeLeaveCriticalRegion, 0,
			      "KeLeaveCriticalRegion without a matching KeEnterCriticalRegion");
		return;
	}
	kt->critical_region--;
	kernel_enter(k, KE_KeLeaveCriticalRegion);
}

BOOLEAN KeAreApcsDisabled(VOID)
{
	struct kernel *k = kernel_get();
	const struct kernel_thread *kt = &k->threads[kernel_thread_now(k)->id];
	/* A guarded region disables every APC, normal kernel ones included. */
	return (BOOLEAN)(kernel_irql(k) >= APC_LEVEL || kt->critical_region > 0 || kt->guarded_region > 0);
}

/* Every simulated thread is its own processor. */
ULONG KeGetCurrentProcessorNumber(VOID)
{
	return kernel_thread_now(kernel_get())->id;
}

ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)
{
	ULONG n = kernel_thread_now(kernel_get())->id;
	if (ProcNumber) {
		ProcNumber->Group = 0;
		ProcNumber->Number = (UCHAR)n;
		ProcNumber->Reserved = 0;
	}
	return n;
}

ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)
{
	if (ActiveProcessors)
		*ActiveProcessors = (KAFFINITY)((1ull << SIM_THREADS_MAX) - 1);
	return SIM_THREADS_MAX;
}
