/* k06_bad_thread.c - a polling system thread that Unload stops with an event
 * and waits for through another event the thread sets on its way out. The
 * thread's last instructions (after KeSetEvent, its return) are driver code
 * that may run after Unload returned: K06. k06_good_thread.c waits for the
 * thread object instead. Scenario: corpus/kernel/K06-bad_thread.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static KEVENT StopEvent;
static KEVENT StoppedEvent;
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
    KeSetEvent(&StoppedEvent, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(&StoppedEvent, Executive, KernelMode, FALSE, NULL);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE Thread;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    KeInitializeEvent(&StoppedEvent, NotificationEvent, FALSE);
    Status = PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, PollThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    ZwClose(Thread);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
