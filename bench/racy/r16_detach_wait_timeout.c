/*++

Module Name:

    r16_detach_wait_timeout.c

Abstract:

    Racy-bug benchmark case r16 (M17 pending-forever, L03): a client of the
    Example NPI whose detach waits for its calls in progress from a work
    item, with a timeout.

    The sender thread counts its calls in a per-binding word. When NMR
    detaches the binding while a call is in progress, ClientDetachProvider
    returns STATUS_PENDING and queues the drain work item: it waits (at
    PASSIVE_LEVEL, where waiting is allowed) for the event the last call out
    sets, and then calls NmrClientDetachProviderComplete. The wait has a
    100 ms timeout so that a provider stuck in a call shows up in the debug
    log.

    The bug is on the expiry path: when the wait times out, the work item
    logs the stuck provider and gives up on the detach ("NMR cleans the
    binding up when the provider goes away"). Nobody completes the detach:
    both deregistrations, and the Unload waiting for them, hang. It needs a
    detach that arrives while a send is in progress, and the 100 ms to pass
    while the work item waits and before that send returns, which in the
    simulation is simulated time moving on inside an Unload (`time jumps`)
    at that moment. A detach with no call in progress, or a wait that the
    last call out ends first, never reaches the expiry path.

    RACY_FIXED: the expiry path logs and waits again.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R16_POOL_TAG 0x36315252 // 'RR16'
#define R16_SEND_COUNT 3
#define R16_CLOSING 0x40000000L
#define R16_DRAIN_TIMEOUT_MS 100

typedef struct _R16_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R16_CLOSING once detaching
    KEVENT DrainedEvent;                    // set by the last call out of a closing binding
    PIO_WORKITEM DrainWorkItem;
} R16_BINDING, *PR16_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R16Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R16AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R16DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R16CleanupBindingContext;
static EXAMPLE_INDICATE_FN R16Indicate;
static IO_WORKITEM_ROUTINE R16DrainWorker;
static KSTART_ROUTINE R16SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R16Dispatch = { R16Indicate };

static CONST NPI_MODULEID R16ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0016, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x16 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R16Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R16AttachProvider,
    R16DetachProvider,
    R16CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R16ModuleId, 0, NULL }
};

static HANDLE R16ClientHandle;
static PDEVICE_OBJECT R16DeviceObject;
static KSPIN_LOCK R16BindingLock;           // protects R16CurrentBinding
static PR16_BINDING R16CurrentBinding;
static KEVENT R16StopEvent;
static PVOID R16Thread;
static volatile LONG R16DrainTimeouts;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R16BindingLock);
    KeInitializeEvent(&R16StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R16DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R16SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R16DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R16Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R16Unload;

    Status = NmrRegisterClient(&R16Characteristics, NULL, &R16ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R16StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R16Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R16Thread);
        IoDeleteDevice(R16DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R16Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R16ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R16ClientHandle);
    }
    KeSetEvent(&R16StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R16Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R16Thread);
    IoDeleteDevice(R16DeviceObject);
}


static
NTSTATUS
R16AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR16_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R16CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R16_BINDING), R16_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->DrainWorkItem = IoAllocateWorkItem(R16DeviceObject);
    if (Binding->DrainWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R16_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeEvent(&Binding->DrainedEvent, NotificationEvent, FALSE);
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R16Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->DrainWorkItem);
        ExFreePoolWithTag(Binding, R16_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R16BindingLock, &OldIrql);
    R16CurrentBinding = Binding;
    KeReleaseSpinLock(&R16BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R16DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR16_BINDING Binding = (PR16_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R16BindingLock, &OldIrql);
    if (R16CurrentBinding == Binding) {
        R16CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R16BindingLock, OldIrql);

    OldState = InterlockedOr(&Binding->CallState, R16_CLOSING);
    if (OldState == 0) {
        return STATUS_SUCCESS;
    }

    //
    // Calls are in progress. This callback may run at DISPATCH_LEVEL, so
    // the wait for them happens in the work item.
    //
    IoQueueWorkItem(Binding->DrainWorkItem, R16DrainWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}


static
VOID
R16CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR16_BINDING Binding = (PR16_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->DrainWorkItem);
    ExFreePoolWithTag(Binding, R16_POOL_TAG);
}


static
VOID
R16DrainWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR16_BINDING Binding = (PR16_BINDING)Context;
    LARGE_INTEGER Timeout;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DeviceObject);

    Timeout.QuadPart = -(LONGLONG)R16_DRAIN_TIMEOUT_MS * 10 * 1000;
    Status = KeWaitForSingleObject(&Binding->DrainedEvent, Executive, KernelMode, FALSE, &Timeout);
#ifdef RACY_FIXED
    while (Status == STATUS_TIMEOUT) {
        InterlockedIncrement(&R16DrainTimeouts);
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_WARNING_LEVEL,
                   "r16: provider call still in progress after %d ms, waiting\n", R16_DRAIN_TIMEOUT_MS);
        Status = KeWaitForSingleObject(&Binding->DrainedEvent, Executive, KernelMode, FALSE, &Timeout);
    }
#else
    if (Status == STATUS_TIMEOUT) {
        InterlockedIncrement(&R16DrainTimeouts);
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_WARNING_LEVEL,
                   "r16: provider call stuck for %d ms, abandoning the detach\n", R16_DRAIN_TIMEOUT_MS);
        return;
    }
#endif

    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R16Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R16SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR16_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R16BindingLock, &OldIrql);
    Binding = R16CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R16BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    //
    // The last call out of a closing binding ends the drain work item's
    // wait; the work item completes the detach.
    //
    if (InterlockedDecrement(&Binding->CallState) == R16_CLOSING) {
        KeSetEvent(&Binding->DrainedEvent, IO_NO_INCREMENT, FALSE);
    }
}


static
VOID
R16SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R16_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R16StopEvent) != 0) {
            break;
        }
        R16SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
