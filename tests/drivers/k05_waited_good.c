/* k05_waited_good.c - a request queue driver with two system threads that
 * wait on kernel objects inside its pool-allocated queue: the completer
 * holds the queue's KMUTEX while it waits for the queue's stop KEVENT, the
 * poller waits for the KMUTEX. Unload sets the stop event, waits for both
 * threads, then frees the queue: clean.
 * With FREE_BEFORE_STOP (k05_waited_bug.c) Unload frees the queue first,
 * while the threads may already wait on its objects (on Windows their wait
 * blocks stay linked in freed memory): K05, and nothing after it. The
 * waits end (a freed object counts as signalled, as for a wait begun after
 * the free) and the first waiter to run reports it at its wait; the threads
 * and Unload finish, no deadlock is made up.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenarios:
 * corpus/kernel/K05-waited-good.nmr, K05-waited-bug.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD QueueUnload;
static KSTART_ROUTINE QueueCompleter;
static KSTART_ROUTINE QueuePoller;

#define QUEUE_TAG 0x75516552u /* "ReQu" */

typedef struct _REQUEST_QUEUE {
    KMUTEX Lock;        // serialises the completer and the poller
    KEVENT Stop;        // set by Unload
    ULONG Completed;
} REQUEST_QUEUE, *PREQUEST_QUEUE;

static PREQUEST_QUEUE Queue;
static PKTHREAD Completer;
static PKTHREAD Poller;

_Use_decl_annotations_
static VOID QueueCompleter(PVOID StartContext)
{
    UNREFERENCED_PARAMETER(StartContext);
    KeWaitForSingleObject(&Queue->Lock, Executive, KernelMode, FALSE, NULL);
    KeWaitForSingleObject(&Queue->Stop, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutex(&Queue->Lock, FALSE);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID QueuePoller(PVOID StartContext)
{
    UNREFERENCED_PARAMETER(StartContext);
    KeWaitForSingleObject(&Queue->Lock, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutex(&Queue->Lock, FALSE);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS QueueStartThread(PKSTART_ROUTINE Routine, PKTHREAD *Thread)
{
    HANDLE ThreadHandle;
    NTSTATUS Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, (PVOID *)Thread, NULL);
    ZwClose(ThreadHandle);
    return Status;
}

static VOID QueueStop(VOID)
{
    KeSetEvent(&Queue->Stop, IO_NO_INCREMENT, FALSE);
    if (Completer != NULL) {
        KeWaitForSingleObject(Completer, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Completer);
    }
    if (Poller != NULL) {
        KeWaitForSingleObject(Poller, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Poller);
    }
}

_Use_decl_annotations_
static VOID QueueUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
#ifdef FREE_BEFORE_STOP
    ExFreePoolWithTag(Queue, QUEUE_TAG);            // BUG: the threads may wait on its objects
    QueueStop();
#else
    QueueStop();
    ExFreePoolWithTag(Queue, QUEUE_TAG);
#endif
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Queue = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Queue), QUEUE_TAG);
    if (Queue == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeMutex(&Queue->Lock, 0);
    KeInitializeEvent(&Queue->Stop, NotificationEvent, FALSE);
    Status = QueueStartThread(QueueCompleter, &Completer);
    if (NT_SUCCESS(Status)) {
        Status = QueueStartThread(QueuePoller, &Poller);
    }
    if (!NT_SUCCESS(Status)) {
        QueueStop();
        ExFreePoolWithTag(Queue, QUEUE_TAG);
        return Status;
    }
    DriverObject->DriverUnload = QueueUnload;
    return STATUS_SUCCESS;
}
