/* remlock_good.c - a remove lock used as the IoReleaseRemoveLockAndWait page
 * says: every IoQueueWorkItem item of the driver's device runs under an
 * acquisition taken when it is queued (IoAcquireRemoveLock fails with
 * STATUS_DELETE_PENDING once removal began, and then nothing is queued);
 * Unload acquires the lock once more and calls IoReleaseRemoveLockAndWait,
 * which waits for the items' releases, then frees the items and deletes
 * the device. Clean in every schedule.
 *
 * Built with REMLOCK_WAIT_UNACQUIRED (remlock_misuse.c): Unload calls
 * IoReleaseRemoveLockAndWait without acquiring first (BUG: "the driver must
 * have acquired the lock" before it; Windows drops its bias early and the
 * checked kernel asserts): K09, at the wait. Built with REMLOCK_WRONG_TAG
 * (remlock_badtag.c): the items release with a NULL tag instead of the one
 * they were acquired with (BUG: the pages say a release passes its
 * acquire's tag): K09 at the first such release. Scenarios:
 * corpus/kernel/remlock-good.nmr, remlock-misuse.nmr, remlock-badtag.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static IO_WORKITEM_ROUTINE Refresh;

#define ITEMS 3

static PDEVICE_OBJECT Device;
static IO_REMOVE_LOCK RemoveLock;
static PIO_WORKITEM Items[ITEMS];
static volatile LONG Refreshes;

_Use_decl_annotations_
static VOID Refresh(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    InterlockedIncrement(&Refreshes);
#ifdef REMLOCK_WRONG_TAG
    UNREFERENCED_PARAMETER(Context);
    IoReleaseRemoveLock(&RemoveLock, NULL);
#else
    IoReleaseRemoveLock(&RemoveLock, Context);
#endif
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
#ifndef REMLOCK_WAIT_UNACQUIRED
    if (NT_SUCCESS(IoAcquireRemoveLock(&RemoveLock, (PVOID)DriverUnload)))
#endif
        IoReleaseRemoveLockAndWait(&RemoveLock, (PVOID)DriverUnload);
    for (ULONG i = 0; i < ITEMS; i++) {
        IoFreeWorkItem(Items[i]);
    }
    IoDeleteDevice(Device);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    IoInitializeRemoveLock(&RemoveLock, 'lRmR', 0, 0);
    for (ULONG i = 0; i < ITEMS; i++) {
        Items[i] = IoAllocateWorkItem(Device);
        if (Items[i] == NULL) {
            while (i-- > 0) {
                IoFreeWorkItem(Items[i]);
            }
            IoDeleteDevice(Device);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    for (ULONG i = 0; i < ITEMS; i++) {
        if (NT_SUCCESS(IoAcquireRemoveLock(&RemoveLock, Items[i]))) {
            IoQueueWorkItem(Items[i], Refresh, DelayedWorkQueue, Items[i]);
        }
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
