/* k06_good_thread.c - k06_bad_thread.c done right: Unload waits for the
 * thread object, which is signalled only once the thread has ended, so no
 * driver code runs after Unload returns. Scenario:
 * corpus/kernel/K06-good_thread.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static KEVENT StopEvent;
static PKTHREAD PollThreadObject;
static volatile LONG Polls;

static KSTART_ROUTINE PollThread;

_Use_decl_annotations_
static VOID PollThread(PVOID StartContext)
{
    LARGE_INTEGER Interval;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(StartContext);
    Interval.QuadPart = -10 * 1000 * 10; /* 10 ms */
    for (;;) {
        Status = KeWaitForSingleObject(&StopEvent, Executive, KernelMode, FALSE, &Interval);
        if (Status == STATUS_SUCCESS) {
            break;
        }
        InterlockedIncrement(&Polls);
    }
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(PollThreadObject, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(PollThreadObject);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE Thread;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    Status = PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, PollThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(Thread, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                       (PVOID *)&PollThreadObject, NULL);
    ZwClose(Thread);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
