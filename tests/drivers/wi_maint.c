/* wi_maint.c - a cache driver whose Unload runs its maintenance one last
 * time on system worker threads: it queues a flush per cache partition, a
 * trim and a statistics pass (IoQueueWorkItem, which keeps the driver loaded until each
 * routine returns; an ExQueueWorkItem routine that signals Unload and then
 * returns is K06), each of which takes the cache's KMUTEX, and waits until
 * all have finished. It
 * takes the mutex itself only to mark the cache closing, and releases it
 * before it waits: clean.
 *
 * wi_maint_bug.c builds it with WI_MAINT_WAIT_LOCKED: Unload waits while
 * still holding the mutex. The flushes block on the mutex on every I/O
 * worker the pool grows to, the trim and statistics items stay queued,
 * Unload waits for good: a deadlock (L01), whose report names the items
 * that never ran (routine, queuing driver, step). Scenarios: corpus/kernel/wi-maint-good.nmr,
 * wi-maint-bug.nmr. A WDK-style test driver built unmodified against
 * sim/include. */
#include <ntddk.h>

#define MAINT_TAG 'tnMC'
#define CACHE_PARTITIONS 4
#define MAINT_ITEMS (CACHE_PARTITIONS + 2)

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD CacheUnload;
static IO_WORKITEM_ROUTINE CacheFlushWorker;
static IO_WORKITEM_ROUTINE CacheTrimWorker;
static IO_WORKITEM_ROUTINE CacheStatsWorker;

typedef struct _CACHE {
    KMUTEX Lock;            // guards everything below
    BOOLEAN Closing;
    ULONG Dirty[CACHE_PARTITIONS];
    ULONG Entries;
    ULONG Flushes;
} CACHE;

static CACHE Cache;
static KEVENT MaintDone;
static LONG MaintOutstanding;
static PDEVICE_OBJECT CacheDevice;
static PIO_WORKITEM FlushItems[CACHE_PARTITIONS];
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
    ULONG Partition = (ULONG)(ULONG_PTR)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    KeWaitForSingleObject(&Cache.Lock, Executive, KernelMode, FALSE, NULL);
    Cache.Dirty[Partition] = 0;
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

static VOID CacheFreeItems(VOID)
{
    ULONG i;

    for (i = 0; i < CACHE_PARTITIONS; i++) {
        if (FlushItems[i] != NULL) IoFreeWorkItem(FlushItems[i]);
    }
    if (TrimItem != NULL) IoFreeWorkItem(TrimItem);
    if (StatsItem != NULL) IoFreeWorkItem(StatsItem);
}

_Use_decl_annotations_
static VOID CacheUnload(PDRIVER_OBJECT DriverObject)
{
    ULONG i;

    UNREFERENCED_PARAMETER(DriverObject);
    KeWaitForSingleObject(&Cache.Lock, Executive, KernelMode, FALSE, NULL);
    Cache.Closing = TRUE;
    MaintOutstanding = MAINT_ITEMS;
    for (i = 0; i < CACHE_PARTITIONS; i++) {
        IoQueueWorkItem(FlushItems[i], CacheFlushWorker, DelayedWorkQueue, (PVOID)(ULONG_PTR)i);
    }
    IoQueueWorkItem(TrimItem, CacheTrimWorker, DelayedWorkQueue, NULL);
    IoQueueWorkItem(StatsItem, CacheStatsWorker, DelayedWorkQueue, NULL);
#ifndef WI_MAINT_WAIT_LOCKED
    KeReleaseMutex(&Cache.Lock, FALSE);
#endif
    KeWaitForSingleObject(&MaintDone, Executive, KernelMode, FALSE, NULL);
#ifdef WI_MAINT_WAIT_LOCKED
    KeReleaseMutex(&Cache.Lock, FALSE);             // BUG: too late, the items need the mutex
#endif
    CacheFreeItems();
    IoDeleteDevice(CacheDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeMutex(&Cache.Lock, 0);
    KeInitializeEvent(&MaintDone, NotificationEvent, FALSE);
    Cache.Entries = 16;
    for (i = 0; i < CACHE_PARTITIONS; i++) {
        Cache.Dirty[i] = 3;
    }
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &CacheDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = STATUS_SUCCESS;
    for (i = 0; i < CACHE_PARTITIONS; i++) {
        FlushItems[i] = IoAllocateWorkItem(CacheDevice);
        if (FlushItems[i] == NULL) Status = STATUS_INSUFFICIENT_RESOURCES;
    }
    TrimItem = IoAllocateWorkItem(CacheDevice);
    StatsItem = IoAllocateWorkItem(CacheDevice);
    if (!NT_SUCCESS(Status) || TrimItem == NULL || StatsItem == NULL) {
        CacheFreeItems();
        IoDeleteDevice(CacheDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    DriverObject->DriverUnload = CacheUnload;
    return STATUS_SUCCESS;
}
