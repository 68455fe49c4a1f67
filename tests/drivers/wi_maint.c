/* wi_maint.c - a cache driver whose Unload runs its maintenance one last
 * time on system worker threads: it queues a flush, a trim and a
 * statistics pass (IoQueueWorkItem, which keeps the driver loaded until each
 * routine returns; an ExQueueWorkItem routine that signals Unload and then
 * returns is K06), each of which takes the cache's KMUTEX, and waits until
 * all three have finished. It
 * takes the mutex itself only to mark the cache closing, and releases it
 * before it waits: clean.
 *
 * wi_maint_bug.c builds it with WI_MAINT_WAIT_LOCKED: Unload waits while
 * still holding the mutex. The flush and the trim block on the mutex on the
 * two I/O workers, the statistics item stays queued, Unload waits for good:
 * a deadlock (L01), whose report names the item that never ran (routine,
 * queuing driver, step). Scenarios: corpus/kernel/wi-maint-good.nmr,
 * wi-maint-bug.nmr. A WDK-style test driver built unmodified against
 * sim/include. */
#include <ntddk.h>

#define MAINT_TAG 'tnMC'
#define MAINT_ITEMS 3

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD CacheUnload;
static IO_WORKITEM_ROUTINE CacheFlushWorker;
static IO_WORKITEM_ROUTINE CacheTrimWorker;
static IO_WORKITEM_ROUTINE CacheStatsWorker;

typedef struct _CACHE {
    KMUTEX Lock;            // guards everything below
    BOOLEAN Closing;
    ULONG Dirty;
    ULONG Entries;
    ULONG Flushes;
} CACHE;

static CACHE Cache;
static KEVENT MaintDone;
static LONG MaintOutstanding;
static PDEVICE_OBJECT CacheDevice;
static PIO_WORKITEM FlushItem;
static PIO_WORKITEM TrimItem;
static PIO_WORKITEM StatsItem;

static VOID CacheMaintDone(VOID)
{
    if (InterlockedDecrement(&MaintOutstanding) == 0) {
        KeSetEvent(&MaintDone, IO_NO_INCREMENT, FALSE);
    }
}

_Use_decl_annotations_
static VOID CacheFlushWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeWaitForSingleObject(&Cache.Lock, Executive, KernelMode, FALSE, NULL);
    Cache.Dirty = 0;
    Cache.Flushes++;
    KeReleaseMutex(&Cache.Lock, FALSE);
    CacheMaintDone();
}

_Use_decl_annotations_
static VOID CacheTrimWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeWaitForSingleObject(&Cache.Lock, Executive, KernelMode, FALSE, NULL);
    if (Cache.Entries > 4) {
        Cache.Entries = 4;
    }
    KeReleaseMutex(&Cache.Lock, FALSE);
    CacheMaintDone();
}

_Use_decl_annotations_
static VOID CacheStatsWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    ULONG Flushes;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeWaitForSingleObject(&Cache.Lock, Executive, KernelMode, FALSE, NULL);
    Flushes = Cache.Flushes;
    KeReleaseMutex(&Cache.Lock, FALSE);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "wi_maint: %lu flushes\n", Flushes);
    CacheMaintDone();
}

_Use_decl_annotations_
static VOID CacheUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeWaitForSingleObject(&Cache.Lock, Executive, KernelMode, FALSE, NULL);
    Cache.Closing = TRUE;
    MaintOutstanding = MAINT_ITEMS;
    IoQueueWorkItem(FlushItem, CacheFlushWorker, DelayedWorkQueue, NULL);
    IoQueueWorkItem(TrimItem, CacheTrimWorker, DelayedWorkQueue, NULL);
    IoQueueWorkItem(StatsItem, CacheStatsWorker, DelayedWorkQueue, NULL);
#ifndef WI_MAINT_WAIT_LOCKED
    KeReleaseMutex(&Cache.Lock, FALSE);
#endif
    KeWaitForSingleObject(&MaintDone, Executive, KernelMode, FALSE, NULL);
#ifdef WI_MAINT_WAIT_LOCKED
    KeReleaseMutex(&Cache.Lock, FALSE);             // BUG: too late, the items need the mutex
#endif
    IoFreeWorkItem(FlushItem);
    IoFreeWorkItem(TrimItem);
    IoFreeWorkItem(StatsItem);
    IoDeleteDevice(CacheDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeMutex(&Cache.Lock, 0);
    KeInitializeEvent(&MaintDone, NotificationEvent, FALSE);
    Cache.Entries = 16;
    Cache.Dirty = 3;
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &CacheDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    FlushItem = IoAllocateWorkItem(CacheDevice);
    TrimItem = IoAllocateWorkItem(CacheDevice);
    StatsItem = IoAllocateWorkItem(CacheDevice);
    if (FlushItem == NULL || TrimItem == NULL || StatsItem == NULL) {
        if (FlushItem != NULL) IoFreeWorkItem(FlushItem);
        if (TrimItem != NULL) IoFreeWorkItem(TrimItem);
        if (StatsItem != NULL) IoFreeWorkItem(StatsItem);
        IoDeleteDevice(CacheDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    DriverObject->DriverUnload = CacheUnload;
    return STATUS_SUCCESS;
}
