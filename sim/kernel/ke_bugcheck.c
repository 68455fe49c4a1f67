/* ke_bugcheck.c - KeBugCheckEx, KeBugCheck and RtlAssert (the target of
 * ASSERT / NT_ASSERT, always checked under nmrsim).
 *
 * A bug check is a finding (K07) with its code and parameters, and the end of
 * the run: the simulated system is down (sched_halt, OUTCOME_HALTED). */
#include "kernel/kernel.h"

#include <string.h>

static _Noreturn void halt(struct kernel *k, uint32_t code)
{
	kernel_emit(k, KE_KeBugCheckEx, 0, (int32_t)code, 0);
	sched_halt(k->sched);
}

VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2,
		  ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4)
{
	struct kernel *k = kernel_get();
	kernel_report(k, RULE_K07, KE_KeBugCheckEx, 0, "KeBugCheckEx(0x%08X, 0x%llx, 0x%llx, 0x%llx, 0x%llx)",
		      (unsigned)BugCheckCode, (unsigned long long)BugCheckParameter1,
		      (unsigned long long)BugCheckParameter2, (unsigned long long)BugCheckParameter3,
		      (unsigned long long)BugCheckParameter4);
	halt(k, BugCheckCode);
}

VOID KeBugCheck(ULONG BugCheckCode)
{
	KeBugCheckEx(BugCheckCode, 0, 0, 0, 0);
}

VOID RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber, PSTR MutableMessage)
{
	struct kernel *k = kernel_get();
	const char *file = VoidFileName ? (const char *)VoidFileName : "?";
	const char *slash = strrchr(file, '/');
	kernel_report(k, RULE_K07, KE_RtlAssert, 0, "assertion failed: %s at %s:%u%s%s (STATUS_ASSERTION_FAILURE)",
		      VoidFailedAssertion ? (const char *)VoidFailedAssertion : "?", slash ? slash + 1 : file,
		      (unsigned)LineNumber, MutableMessage ? ": " : "", MutableMessage ? MutableMessage : "");
	halt(k, (uint32_t)STATUS_ASSERTION_FAILURE);
}
