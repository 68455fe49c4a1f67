/* k02_bad.c - releases a spin lock it never acquired: K02.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K02-bad.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static KSPIN_LOCK Lock;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(DriverObject);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    KeReleaseSpinLockFromDpcLevel(&Lock);                      // BUG: never acquired
    KeLowerIrql(OldIrql);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&Lock);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
