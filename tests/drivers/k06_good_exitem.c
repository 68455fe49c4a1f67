/* k06_good_exitem.c - k06_bad_exitem.c done right: the flush is an
 * IoQueueWorkItem item on the driver's device, so the I/O manager keeps the
 * driver loaded until the routine has returned; Unload waits for the event
 * and frees the item. Scenario: corpus/kernel/K06-good_exitem.nmr. */
#include <ntddk.h>

#define STATS_TAG 'tSxE'

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static PDEVICE_OBJECT StatsDevice;
static PIO_WORKITEM FlushItem;
static KEVENT FlushDone;
static ULONG PendingPackets = 42;
static volatile LONG FlushedPackets;

static IO_WORKITEM_ROUTINE FlushWorker;

_Use_decl_annotations_
static VOID FlushWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    InterlockedExchangeAdd(&FlushedPackets, (LONG)PendingPackets);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "exitem: flushed %lu packets\n", PendingPackets);
    KeSetEvent(&FlushDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeWaitForSingleObject(&FlushDone, Executive, KernelMode, FALSE, NULL);
    IoFreeWorkItem(FlushItem);
    IoDeleteDevice(StatsDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_NETWORK, 0, FALSE, &StatsDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    FlushItem = IoAllocateWorkItem(StatsDevice);
    if (FlushItem == NULL) {
        IoDeleteDevice(StatsDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeEvent(&FlushDone, NotificationEvent, FALSE);
    IoQueueWorkItem(FlushItem, FlushWorker, DelayedWorkQueue, NULL);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
