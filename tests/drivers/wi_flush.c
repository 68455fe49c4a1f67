/* wi_flush.c - a logging driver that hands its pending batch of records to
 * flush work items: DriverEntry fills a batch and queues one IoQueueWorkItem
 * flush per queue (two); each flush takes the pending batch, writes it out
 * and frees it. The batch is taken with InterlockedExchangePointer, so one
 * flush gets it and the other finds none, however the items overlap.
 *
 * wi_flush_bug.c builds it with WI_FLUSH_UNLOCKED_TAKE: the flush reads the
 * pointer, frees the batch, then clears the pointer. Two flushes running at
 * once on two system worker threads both see the batch and both free it: a
 * double free (K05). With one worker the items run one after the other and
 * the second always finds NULL, so the bug needs `io-workers 2`.
 * Scenarios: corpus/kernel/io-workers-*.nmr. Built unmodified against
 * sim/include. */
#include <ntddk.h>

#define LOG_TAG 'gLwF'
#define FLUSHES 2

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD LogUnload;
static IO_WORKITEM_ROUTINE LogFlush;

typedef struct _LOG_BATCH {
    ULONG Count;
    ULONG Records[8];
} LOG_BATCH, *PLOG_BATCH;

typedef struct _LOG_STATE {
    ULONG Written;
    LONG Outstanding;
    PLOG_BATCH Pending;
} LOG_STATE;

static LOG_STATE Log;
static KEVENT LogIdle;
static PDEVICE_OBJECT LogDevice;
static PIO_WORKITEM FlushItems[FLUSHES];

static PLOG_BATCH LogTakeBatch(VOID)
{
#ifdef WI_FLUSH_UNLOCKED_TAKE
    return Log.Pending;
#else
    return (PLOG_BATCH)InterlockedExchangePointer((PVOID volatile *)&Log.Pending, NULL);
#endif
}

_Use_decl_annotations_
static VOID LogFlush(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PLOG_BATCH Batch;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    Batch = LogTakeBatch();
    if (Batch != NULL) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "wi_flush: %lu records\n", Batch->Count);
        ExFreePoolWithTag(Batch, LOG_TAG);
#ifdef WI_FLUSH_UNLOCKED_TAKE
        Log.Pending = NULL;
#endif
        InterlockedIncrement((LONG volatile *)&Log.Written);
    }
    if (InterlockedDecrement(&Log.Outstanding) == 0) {
        KeSetEvent(&LogIdle, IO_NO_INCREMENT, FALSE);
    }
}

_Use_decl_annotations_
static VOID LogUnload(PDRIVER_OBJECT DriverObject)
{
    ULONG i;

    UNREFERENCED_PARAMETER(DriverObject);
    KeWaitForSingleObject(&LogIdle, Executive, KernelMode, FALSE, NULL);
    for (i = 0; i < FLUSHES; i++) {
        IoFreeWorkItem(FlushItems[i]);
    }
    IoDeleteDevice(LogDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    PLOG_BATCH Batch;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeEvent(&LogIdle, NotificationEvent, FALSE);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &LogDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Batch = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Batch), LOG_TAG);
    if (Batch == NULL) {
        IoDeleteDevice(LogDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Batch->Count = 3;
    for (i = 0; i < FLUSHES; i++) {
        FlushItems[i] = IoAllocateWorkItem(LogDevice);
        if (FlushItems[i] == NULL) {
            while (i-- > 0) {
                IoFreeWorkItem(FlushItems[i]);
            }
            ExFreePoolWithTag(Batch, LOG_TAG);
            IoDeleteDevice(LogDevice);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    Log.Pending = Batch;
    Log.Outstanding = FLUSHES;
    for (i = 0; i < FLUSHES; i++) {
        IoQueueWorkItem(FlushItems[i], LogFlush, DelayedWorkQueue, NULL);
    }
    DriverObject->DriverUnload = LogUnload;
    return STATUS_SUCCESS;
}
