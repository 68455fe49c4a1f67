/* k11_good_rundown.c - state published before ExReInitializeRundownProtection
 * and read under the protection a later acquire takes (xdp-for-windows'
 * pktmon.c pattern: the interface's rundown is run down at start, a
 * registration sets the context and re-initialises the rundown, the datapath
 * reads the context only after its acquire succeeds). The acquire is an
 * interlocked operation on the ref, so the read is ordered after the write:
 * clean (a K11 before acquires synchronised). Built with K11_RUNDOWN_LATE:
 * the context is written after the re-initialisation (a real race, K11).
 * Scenario: corpus/kernel/K11-good_rundown.nmr, K11-bad_rundown.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD RdUnload;
static KSTART_ROUTINE RdDatapath;
static IO_WORKITEM_ROUTINE RdRegister;

typedef struct _RD_CONTEXT {
    ULONG IfIndex;
    ULONG Drops;
} RD_CONTEXT;

static EX_RUNDOWN_REF RdRundown;
// Not static, as a driver's globals often are: a report names them by the
// driver they belong to (kernel/K11-names-nonstatic).
RD_CONTEXT RdContextStorage;
RD_CONTEXT *RdContext;                  // published before the rundown opens
static PDEVICE_OBJECT RdDevice;
static PIO_WORKITEM RdItem;
static KEVENT RdStop, RdRegistered;
static PKTHREAD RdThread;

static VOID RdDatapath(PVOID StartContext)
{
    LARGE_INTEGER Period;
    UNREFERENCED_PARAMETER(StartContext);
    Period.QuadPart = -10 * 100;
    while (KeWaitForSingleObject(&RdStop, Executive, KernelMode, FALSE, &Period) == STATUS_TIMEOUT) {
        if (ExAcquireRundownProtection(&RdRundown)) {
            if (RdContextStorage.IfIndex != 0) {    // registered
                RdContext->Drops++;     // only this thread writes it, under the protection
            }
            ExReleaseRundownProtection(&RdRundown);
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID RdRegister(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
#ifndef K11_RUNDOWN_LATE
    RdContextStorage.IfIndex = 7;
    RdContext = &RdContextStorage;
    ExReInitializeRundownProtection(&RdRundown);
#else
    ExReInitializeRundownProtection(&RdRundown);
    RdContextStorage.IfIndex = 7;
    RdContext = &RdContextStorage;
#endif
    KeSetEvent(&RdRegistered, IO_NO_INCREMENT, FALSE);
}

static VOID RdUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeWaitForSingleObject(&RdRegistered, Executive, KernelMode, FALSE, NULL);
    ExWaitForRundownProtectionRelease(&RdRundown);
    KeSetEvent(&RdStop, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(RdThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(RdThread);
    IoFreeWorkItem(RdItem);
    IoDeleteDevice(RdDevice);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE Thread;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &RdDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    RdItem = IoAllocateWorkItem(RdDevice);
    if (RdItem == NULL) {
        IoDeleteDevice(RdDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeEvent(&RdStop, NotificationEvent, FALSE);
    KeInitializeEvent(&RdRegistered, NotificationEvent, FALSE);
    ExInitializeRundownProtection(&RdRundown);
    ExWaitForRundownProtectionRelease(&RdRundown);  // closed until the registration opens it
    Status = PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, RdDatapath, NULL);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(RdItem);
        IoDeleteDevice(RdDevice);
        return Status;
    }
    ObReferenceObjectByHandle(Thread, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, (PVOID *)&RdThread, NULL);
    ZwClose(Thread);
    IoQueueWorkItem(RdItem, RdRegister, DelayedWorkQueue, NULL);
    DriverObject->DriverUnload = RdUnload;
    return STATUS_SUCCESS;
}
