/*++

Module Name:

    r24_detach_busy_reset.c

Abstract:

    Racy-bug benchmark case r24 (M14 detach-status): a client of the Example
    NPI with a link watchdog. A periodic timer (10 ms) queues a health-check
    I/O work item; the work item marks the binding "reset in progress",
    queries the provider's counter, and compares it with the last sample.

    The bug: the author treats NMR's detach like a removal query that a
    driver may veto. ClientDetachProvider, finding a health check in
    progress, returns STATUS_DEVICE_BUSY ("try again later"). NMR accepts
    only STATUS_SUCCESS and STATUS_PENDING. It needs the watchdog to fire
    while the binding is attached, its work item to be between the two
    flag updates (inside Query), and the detach to arrive then.

    RACY_FIXED: the detach marks the binding closing and returns
    STATUS_PENDING while a health check is in progress; the health check
    completes the detach when it ends.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R24_POOL_TAG 0x34325252 // 'RR24'
#define R24_WATCHDOG_PERIOD_MS 10

typedef struct _R24_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    KSPIN_LOCK Lock;                        // protects the two flags below
    BOOLEAN ResetInProgress;                // a health check is calling the provider
    BOOLEAN Closing;                        // ClientDetachProvider was called
    ULONG LastBytesSent;                    // health check only
} R24_BINDING, *PR24_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R24Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R24AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R24DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R24CleanupBindingContext;
static EXAMPLE_INDICATE_FN R24Indicate;
static KDEFERRED_ROUTINE R24WatchdogDpc;
static IO_WORKITEM_ROUTINE R24HealthCheckWorker;

static CONST EXAMPLE_CLIENT_DISPATCH R24Dispatch = { R24Indicate };

static CONST NPI_MODULEID R24ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0024, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x24 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R24Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R24AttachProvider,
    R24DetachProvider,
    R24CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R24ModuleId, 0, NULL }
};

static HANDLE R24ClientHandle;
static PDEVICE_OBJECT R24DeviceObject;
static KSPIN_LOCK R24BindingLock;           // protects R24CurrentBinding and R24CheckQueued
static PR24_BINDING R24CurrentBinding;
static BOOLEAN R24CheckQueued;              // the health-check work item is queued or running
static PIO_WORKITEM R24CheckWorkItem;
static KEVENT R24CheckIdle;                 // signalled while no health check is queued
static KTIMER R24WatchdogTimer;
static KDPC R24WatchdogDpcObject;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    LARGE_INTEGER DueTime;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R24BindingLock);
    KeInitializeEvent(&R24CheckIdle, NotificationEvent, TRUE);
    KeInitializeTimer(&R24WatchdogTimer);
    KeInitializeDpc(&R24WatchdogDpcObject, R24WatchdogDpc, NULL);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R24DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    R24CheckWorkItem = IoAllocateWorkItem(R24DeviceObject);
    if (R24CheckWorkItem == NULL) {
        IoDeleteDevice(R24DeviceObject);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    DriverObject->DriverUnload = R24Unload;

    Status = NmrRegisterClient(&R24Characteristics, NULL, &R24ClientHandle);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(R24CheckWorkItem);
        IoDeleteDevice(R24DeviceObject);
        return Status;
    }

    DueTime.QuadPart = -10000LL * R24_WATCHDOG_PERIOD_MS;
    KeSetTimerEx(&R24WatchdogTimer, DueTime, R24_WATCHDOG_PERIOD_MS, &R24WatchdogDpcObject);
    return STATUS_SUCCESS;
}


static
VOID
R24Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R24ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R24ClientHandle);
    }

    //
    // No binding is left: stop the watchdog, let a DPC that already fired
    // finish, then wait for a health check it queued.
    //
    KeCancelTimer(&R24WatchdogTimer);
    KeFlushQueuedDpcs();
    KeWaitForSingleObject(&R24CheckIdle, Executive, KernelMode, FALSE, NULL);
    IoFreeWorkItem(R24CheckWorkItem);
    IoDeleteDevice(R24DeviceObject);
}


static
NTSTATUS
R24AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR24_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R24CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R24_BINDING), R24_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeSpinLock(&Binding->Lock);
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R24Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R24_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R24BindingLock, &OldIrql);
    R24CurrentBinding = Binding;
    KeReleaseSpinLock(&R24BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R24DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR24_BINDING Binding = (PR24_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    NTSTATUS Status;

    KeAcquireSpinLock(&R24BindingLock, &OldIrql);
    if (R24CurrentBinding == Binding) {
        R24CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R24BindingLock, OldIrql);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
#ifdef RACY_FIXED
    //
    // A health check still calls the provider: it completes the detach.
    //
    Binding->Closing = TRUE;
    Status = Binding->ResetInProgress ? STATUS_PENDING : STATUS_SUCCESS;
#else
    //
    // Do not tear the binding down under a running health check: ask NMR
    // to come back once it is over.
    //
    if (Binding->ResetInProgress) {
        Status = STATUS_DEVICE_BUSY;
    } else {
        Binding->Closing = TRUE;
        Status = STATUS_SUCCESS;
    }
#endif
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    return Status;
}


static
VOID
R24CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, R24_POOL_TAG);
}


static
VOID
R24Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R24WatchdogDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    BOOLEAN Queue = FALSE;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    KeAcquireSpinLockAtDpcLevel(&R24BindingLock);
    if (R24CurrentBinding != NULL && !R24CheckQueued) {
        R24CheckQueued = TRUE;
        KeClearEvent(&R24CheckIdle);
        Queue = TRUE;
    }
    KeReleaseSpinLockFromDpcLevel(&R24BindingLock);

    if (Queue) {
        IoQueueWorkItem(R24CheckWorkItem, R24HealthCheckWorker, DelayedWorkQueue, NULL);
    }
}


static
VOID
R24HealthCheckWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR24_BINDING Binding;
    KIRQL OldIrql;
    ULONG BytesSent = 0;
#ifdef RACY_FIXED
    BOOLEAN CompleteDetach;
#endif

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);

    //
    // Mark the binding under both locks: the detach cannot have started on
    // a binding that is still current.
    //
    KeAcquireSpinLock(&R24BindingLock, &OldIrql);
    Binding = R24CurrentBinding;
    if (Binding != NULL) {
        KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
        Binding->ResetInProgress = TRUE;
        KeReleaseSpinLockFromDpcLevel(&Binding->Lock);
    }
    KeReleaseSpinLock(&R24BindingLock, OldIrql);

    if (Binding != NULL) {
        (VOID)Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &BytesSent);
        if (BytesSent < Binding->LastBytesSent) {
            DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_WARNING_LEVEL, "r24: provider counter went back\n");
        }
        Binding->LastBytesSent = BytesSent;

        KeAcquireSpinLock(&Binding->Lock, &OldIrql);
        Binding->ResetInProgress = FALSE;
#ifdef RACY_FIXED
        CompleteDetach = Binding->Closing;
#endif
        KeReleaseSpinLock(&Binding->Lock, OldIrql);
#ifdef RACY_FIXED
        if (CompleteDetach) {
            NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
        }
#endif
    }

    KeAcquireSpinLock(&R24BindingLock, &OldIrql);
    R24CheckQueued = FALSE;
    KeSetEvent(&R24CheckIdle, IO_NO_INCREMENT, FALSE);
    KeReleaseSpinLock(&R24BindingLock, OldIrql);
}
