/* k06_bad_exitem.c - defers its statistics flush to an ExQueueWorkItem item
 * and lets Unload wait for an event the item sets as its last statement.
 * Unload can return while the item is still executing its own code (the
 * return after KeSetEvent): K06. ExQueueWorkItem holds no reference on the
 * driver; k06_good_exitem.c is the same driver with IoQueueWorkItem.
 * Scenario: corpus/kernel/K06-bad_exitem.nmr. Built unmodified against
 * sim/include. */
#include <ntddk.h>

#define STATS_TAG 'tSxE'

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

typedef struct _FLUSH_CONTEXT {
    WORK_QUEUE_ITEM WorkItem;
    ULONG Packets;
} FLUSH_CONTEXT, *PFLUSH_CONTEXT;

static KEVENT FlushDone;
static PFLUSH_CONTEXT Flush;
static volatile LONG FlushedPackets;

static WORKER_THREAD_ROUTINE FlushWorker;

_Use_decl_annotations_
static VOID FlushWorker(PVOID Parameter)
{
    PFLUSH_CONTEXT Context = (PFLUSH_CONTEXT)Parameter;

    InterlockedExchangeAdd(&FlushedPackets, (LONG)Context->Packets);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "exitem: flushed %lu packets\n", Context->Packets);
    KeSetEvent(&FlushDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeWaitForSingleObject(&FlushDone, Executive, KernelMode, FALSE, NULL);
    ExFreePoolWithTag(Flush, STATS_TAG);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    Flush = (PFLUSH_CONTEXT)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(FLUSH_CONTEXT), STATS_TAG);
    if (Flush == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Flush->Packets = 42;
    KeInitializeEvent(&FlushDone, NotificationEvent, FALSE);
    ExInitializeWorkItem(&Flush->WorkItem, FlushWorker, Flush);
    ExQueueWorkItem(&Flush->WorkItem, DelayedWorkQueue);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
