/* rtl_misc.c - small routines real drivers call around NMR: processor
 * counts and numbers (every simulated thread is a processor of group 0),
 * ExUuidCreate (deterministic: derived from the run's object ids),
 * RtlFailFast (a bug check: K07) and the debugger flags (never attached).
 * RtlQueryRegistryValues is in rtl_registry.c. */
#include "kernel/kernel.h"

static BOOLEAN kd_enabled = FALSE, kd_not_present = TRUE;
PBOOLEAN KdDebuggerEnabled = &kd_enabled;
PBOOLEAN KdDebuggerNotPresent = &kd_not_present;

BOOLEAN KdRefreshDebuggerNotPresent(VOID) { return TRUE; }

VOID RtlFailFast(ULONG Code)
{
	KeBugCheckEx(KERNEL_SECURITY_CHECK_FAILURE, Code, 0, 0, 0);
}

ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)
{
	return GroupNumber == 0 || GroupNumber == ALL_PROCESSOR_GROUPS ? KeQueryActiveProcessorCount(NULL) : 0;
}
ULONG KeQueryMaximumProcessorCount(VOID) { return KeQueryActiveProcessorCount(NULL); }
ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber) { return KeQueryActiveProcessorCountEx(GroupNumber); }
USHORT KeQueryActiveGroupCount(VOID) { return 1; }
USHORT KeQueryMaximumGroupCount(VOID) { return 1; }
KAFFINITY KeQueryActiveProcessors(VOID)
{
	KAFFINITY a;
	KeQueryActiveProcessorCount(&a);
	return a;
}

ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber)
{
	return ProcNumber && ProcNumber->Group == 0 && ProcNumber->Number < KeQueryActiveProcessorCount(NULL)
		       ? ProcNumber->Number
		       : (ULONG)-1; /* INVALID_PROCESSOR_INDEX */
}

NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber)
{
	if (ProcIndex >= KeQueryActiveProcessorCount(NULL))
		return STATUS_INVALID_PARAMETER;
	ProcNumber->Group = 0;
	ProcNumber->Number = (UCHAR)ProcIndex;
	ProcNumber->Reserved = 0;
	return STATUS_SUCCESS;
}

NTSTATUS ExUuidCreate(UUID *Uuid)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_ExUuidCreate, PASSIVE_LEVEL);
	kernel_enter(k, KE_ExUuidCreate);
	uint32_t n = kernel_new_id(k, NULL);
	/* A version-4 layout whose bits come from the run's counter, not a clock. */
	Uuid->Data1 = 0x6e6d7273u ^ (n * 0x9e3779b9u);
	Uuid->Data2 = (uint16_t)(n >> 16);
	Uuid->Data3 = (uint16_t)(0x4000u | (n & 0x0fffu));
	for (int i = 0; i < 8; i++)
		Uuid->Data4[i] = (uint8_t)((n >> (i * 4)) * 31u + (unsigned)i);
	Uuid->Data4[0] = (uint8_t)(0x80u | (Uuid->Data4[0] & 0x3fu));
	kernel_emit(k, KE_ExUuidCreate, n, 0, 0);
	return STATUS_SUCCESS;
}
