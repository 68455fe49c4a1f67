/*++

Module Name:

    r26_stats_wrong_lock.c

Abstract:

    Racy-bug benchmark case r26 (K11 data race, `races on`): a client of the
    Example NPI that keeps per-binding send statistics and samples them
    every 5 ms into a driver-wide history.

    The send path updates the binding's counters in the provider's send
    completion (Indicate) under the binding's spin lock. The statistics
    timer's DPC reads and resets them under the driver's statistics lock,
    the lock that guards the history it writes to.

    The bug: two locks for one set of counters. The DPC's read-and-reset
    and the completion's increments are not ordered by either lock, so a
    completion can be lost or counted twice. It needs the statistics timer
    to fire while a binding is attached, on a send whose completion was
    not ordered before the DPC by the driver's binding lock (the sender's
    last send, or a DPC between a send's lookup and its completion).

    RACY_FIXED: the DPC takes the binding's lock (at DISPATCH_LEVEL) around
    the read-and-reset, then the statistics lock around the history.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R26_POOL_TAG 0x36325252 // 'RR26'
#define R26_SEND_INTERVAL_MS 1
#define R26_SAMPLE_PERIOD_MS 5
#define R26_HISTORY 8

typedef struct _R26_SEND_STATS {
    ULONG Completions;
    ULONG BytesCompleted;
} R26_SEND_STATS;

typedef struct _R26_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    ULONG CallsInProgress;                  // under R26BindingLock
    BOOLEAN Closing;                        // under R26BindingLock
    PIO_WORKITEM CompleteWorkItem;
    KSPIN_LOCK Lock;                        // protects Stats
    R26_SEND_STATS Stats;
} R26_BINDING, *PR26_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R26Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R26AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R26DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R26CleanupBindingContext;
static EXAMPLE_INDICATE_FN R26Indicate;
static IO_WORKITEM_ROUTINE R26CompleteWorker;
static KSTART_ROUTINE R26SenderThread;
static KDEFERRED_ROUTINE R26SampleDpc;

static CONST EXAMPLE_CLIENT_DISPATCH R26Dispatch = { R26Indicate };

static CONST NPI_MODULEID R26ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0026, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x26 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R26Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R26AttachProvider,
    R26DetachProvider,
    R26CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R26ModuleId, 0, NULL }
};

static HANDLE R26ClientHandle;
static PDEVICE_OBJECT R26DeviceObject;
static KSPIN_LOCK R26BindingLock;           // protects R26CurrentBinding and each binding's call count
static PR26_BINDING R26CurrentBinding;
static KEVENT R26StopEvent;
static PVOID R26Thread;
static KTIMER R26SampleTimer;
static KDPC R26SampleDpcObject;
static KSPIN_LOCK R26StatsLock;             // protects the history
static R26_SEND_STATS R26History[R26_HISTORY];
static ULONG R26HistoryNext;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;
    LARGE_INTEGER DueTime;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R26BindingLock);
    KeInitializeSpinLock(&R26StatsLock);
    KeInitializeEvent(&R26StopEvent, NotificationEvent, FALSE);
    KeInitializeTimer(&R26SampleTimer);
    KeInitializeDpc(&R26SampleDpcObject, R26SampleDpc, NULL);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R26DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R26SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R26DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R26Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R26Unload;

    Status = NmrRegisterClient(&R26Characteristics, NULL, &R26ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R26StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R26Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R26Thread);
        IoDeleteDevice(R26DeviceObject);
        return Status;
    }

    DueTime.QuadPart = -10000LL * R26_SAMPLE_PERIOD_MS;
    KeSetTimerEx(&R26SampleTimer, DueTime, R26_SAMPLE_PERIOD_MS, &R26SampleDpcObject);
    return STATUS_SUCCESS;
}


static
VOID
R26Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    KIRQL OldIrql;
    ULONG Index;
    ULONG Completions = 0;

    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R26ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R26ClientHandle);
    }
    KeCancelTimer(&R26SampleTimer);
    KeFlushQueuedDpcs();
    KeSetEvent(&R26StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R26Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R26Thread);

    KeAcquireSpinLock(&R26StatsLock, &OldIrql);
    for (Index = 0; Index < R26_HISTORY; Index++) {
        Completions += R26History[Index].Completions;
    }
    KeReleaseSpinLock(&R26StatsLock, OldIrql);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "r26: %u completions in the last %u samples\n",
               Completions, (ULONG)R26_HISTORY);
    IoDeleteDevice(R26DeviceObject);
}


static
NTSTATUS
R26AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR26_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R26CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R26_BINDING), R26_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R26DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R26_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeSpinLock(&Binding->Lock);
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R26Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R26_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R26BindingLock, &OldIrql);
    R26CurrentBinding = Binding;
    KeReleaseSpinLock(&R26BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R26DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR26_BINDING Binding = (PR26_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&R26BindingLock, &OldIrql);
    if (R26CurrentBinding == Binding) {
        R26CurrentBinding = NULL;
    }
    Binding->Closing = TRUE;
    Pending = (Binding->CallsInProgress != 0);
    KeReleaseSpinLock(&R26BindingLock, OldIrql);
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R26CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR26_BINDING Binding = (PR26_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R26_POOL_TAG);
}


static
VOID
R26CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR26_BINDING Binding = (PR26_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


//
// The provider's send completion, in the sender's context.
//
static
VOID
R26Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    PR26_BINDING Binding = (PR26_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    if (Indication != EXAMPLE_INDICATE_SEND_COMPLETE) {
        return;
    }
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Stats.Completions++;
    Binding->Stats.BytesCompleted += 4;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
}


//
// Moves the current binding's counters into the history, every
// R26_SAMPLE_PERIOD_MS. The binding lock keeps the binding from being
// detached (and cleaned up) while the DPC looks at it.
//
static
VOID
R26SampleDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    PR26_BINDING Binding;
    R26_SEND_STATS Sample;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    KeAcquireSpinLockAtDpcLevel(&R26BindingLock);
    Binding = R26CurrentBinding;
    if (Binding != NULL) {
#ifdef RACY_FIXED
        KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
        Sample = Binding->Stats;
        RtlZeroMemory(&Binding->Stats, sizeof(Binding->Stats));
        KeReleaseSpinLockFromDpcLevel(&Binding->Lock);
        KeAcquireSpinLockAtDpcLevel(&R26StatsLock);
#else
        KeAcquireSpinLockAtDpcLevel(&R26StatsLock);
        Sample = Binding->Stats;
        RtlZeroMemory(&Binding->Stats, sizeof(Binding->Stats));
#endif
        R26History[R26HistoryNext] = Sample;
        R26HistoryNext = (R26HistoryNext + 1) % R26_HISTORY;
        KeReleaseSpinLockFromDpcLevel(&R26StatsLock);
    }
    KeReleaseSpinLockFromDpcLevel(&R26BindingLock);
}


static
VOID
R26SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR26_BINDING Binding;
    KIRQL OldIrql;
    BOOLEAN CompleteDetach;

    KeAcquireSpinLock(&R26BindingLock, &OldIrql);
    Binding = R26CurrentBinding;
    if (Binding != NULL) {
        Binding->CallsInProgress++;
    }
    KeReleaseSpinLock(&R26BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    KeAcquireSpinLock(&R26BindingLock, &OldIrql);
    Binding->CallsInProgress--;
    CompleteDetach = (Binding->Closing && Binding->CallsInProgress == 0);
    KeReleaseSpinLock(&R26BindingLock, OldIrql);
    if (CompleteDetach) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R26CompleteWorker, DelayedWorkQueue, Binding);
    }
}


//
// A keepalive every millisecond while the driver is loaded.
//
static
VOID
R26SenderThread(
    _In_ PVOID StartContext
    )
{
    LARGE_INTEGER Interval;

    UNREFERENCED_PARAMETER(StartContext);

    Interval.QuadPart = -10000LL * R26_SEND_INTERVAL_MS;
    while (KeReadStateEvent(&R26StopEvent) == 0) {
        R26SendOne();
        (VOID)KeWaitForSingleObject(&R26StopEvent, Executive, KernelMode, FALSE, &Interval);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
