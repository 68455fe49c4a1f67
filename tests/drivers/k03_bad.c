/* k03_bad.c - waits 1 ms for an event while holding a spin lock (at DISPATCH_LEVEL): K03.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K03-bad.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static KSPIN_LOCK Lock;
static KEVENT Ready;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    KIRQL OldIrql;
    LARGE_INTEGER Timeout;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&Lock);
    KeInitializeEvent(&Ready, NotificationEvent, FALSE);
    Timeout.QuadPart = -10 * 1000;                              // 1 ms, relative
    KeAcquireSpinLock(&Lock, &OldIrql);
    (VOID)KeWaitForSingleObject(&Ready, Executive, KernelMode, FALSE, &Timeout);   // BUG: at DISPATCH_LEVEL
    KeReleaseSpinLock(&Lock, OldIrql);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
