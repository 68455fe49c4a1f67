/* k02_good.c - takes and releases its spin lock (plain and in-stack queued) in DriverEntry and Unload: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K02-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static KSPIN_LOCK Lock;
static LONG Counter;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    KLOCK_QUEUE_HANDLE LockHandle;

    UNREFERENCED_PARAMETER(DriverObject);
    KeAcquireInStackQueuedSpinLock(&Lock, &LockHandle);
    Counter--;
    KeReleaseInStackQueuedSpinLock(&LockHandle);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &OldIrql);
    Counter++;
    KeReleaseSpinLock(&Lock, OldIrql);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
