/* k03_good.c - waits 1 ms for an event at PASSIVE_LEVEL, outside its spin lock: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K03-good.nmr. Built unmodified against sim/include. */
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
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&Lock);
    KeInitializeEvent(&Ready, NotificationEvent, FALSE);
    Timeout.QuadPart = -10 * 1000;                              // 1 ms, relative
    Status = KeWaitForSingleObject(&Ready, Executive, KernelMode, FALSE, &Timeout);
    KeAcquireSpinLock(&Lock, &OldIrql);
    if (Status == STATUS_TIMEOUT) {
        KeSetEvent(&Ready, IO_NO_INCREMENT, FALSE);
    }
    KeReleaseSpinLock(&Lock, OldIrql);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
