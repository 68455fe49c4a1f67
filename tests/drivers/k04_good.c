/* k04_good.c - protects its state with rundown protection and runs it down in Unload: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K04-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static EX_RUNDOWN_REF Rundown;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ExWaitForRundownProtectionRelease(&Rundown);
    ExRundownCompleted(&Rundown);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    ExInitializeRundownProtection(&Rundown);
    if (ExAcquireRundownProtection(&Rundown)) {
        ExReleaseRundownProtection(&Rundown);
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
