/* l04_good.c - DriverEntry starts a worker thread and spins until the worker
 * says it is up (a flag it sets with InterlockedExchange); Unload stops the
 * worker and waits for it: correct. On a multi-core machine the spin ends as
 * soon as the worker ran; here the spinning thread gives way every so many
 * blocks of driver code (sim/host/spin.h), so it ends the same way.
 * A WDK-style test driver; scenario: corpus/kernel/L04-good.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static KSTART_ROUTINE WorkerThread;

#define L04_TAG 0x3430344Cu /* "L404" */

static volatile LONG WorkerReady;
static KEVENT StopEvent;
static PKTHREAD Worker;
static PVOID WorkerBuffer;

_Use_decl_annotations_
static VOID WorkerThread(PVOID StartContext)
{
    UNREFERENCED_PARAMETER(StartContext);
    WorkerBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 256, L04_TAG);
    InterlockedExchange(&WorkerReady, WorkerBuffer != NULL ? 1 : -1);
    KeWaitForSingleObject(&StopEvent, Executive, KernelMode, FALSE, NULL);
    if (WorkerBuffer != NULL) {
        ExFreePoolWithTag(WorkerBuffer, L04_TAG);
        WorkerBuffer = NULL;
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID StopWorker(VOID)
{
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Worker, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Worker);
    Worker = NULL;
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    StopWorker();
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  WorkerThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                       (PVOID *)&Worker, NULL);
    ZwClose(ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    //
    // The worker comes up quickly: spin rather than wait on an event.
    //
    while (InterlockedCompareExchange(&WorkerReady, 0, 0) == 0) {
        YieldProcessor();
    }
    if (WorkerReady < 0) {
        StopWorker();
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
