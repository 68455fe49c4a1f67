/* k04_bad.c - releases rundown protection once more than it acquired it: K04.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K04-bad.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static EX_RUNDOWN_REF Rundown;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ExWaitForRundownProtectionRelease(&Rundown);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    ExInitializeRundownProtection(&Rundown);
    if (ExAcquireRundownProtection(&Rundown)) {
        ExReleaseRundownProtection(&Rundown);
    }
    ExReleaseRundownProtection(&Rundown);                       // BUG: not acquired
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
