/*++

Module Name:

    r28_resource_deleted.c

Abstract:

    Racy-bug benchmark case r28 (K09/K10, an executive resource used after
    its deletion): a client of the
    Example NPI that keeps a history of its deferred detaches under an
    executive resource (ERESOURCE; Unload reads it for its log).

    The sender thread counts its calls in a per-binding word. When NMR
    detaches the binding while a call is in progress, ClientDetachProvider
    returns STATUS_PENDING; the last call out queues the binding's I/O work
    item, which completes the detach at PASSIVE_LEVEL and then records it
    in the history under the resource. Unload deregisters, waits for the
    deregistration, logs the history and deletes the resource.

    The bug: the history is written after NmrClientDetachProviderComplete.
    The Complete lets the deregistration finish, so the Unload waiting for
    it can delete the resource before the work item takes it (K09: a
    deleted resource), or while it holds it (K10). The I/O work
    item keeps the driver image loaded, not its resource. It needs the
    detach while a send is in progress, and the Unload to run to the
    delete between the work item's Complete and its acquire (or release).

    RACY_FIXED: the work item records the detach first, then completes it.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R28_POOL_TAG 0x38325252 // 'RR28'
#define R28_SEND_COUNT 3
#define R28_CLOSING 0x40000000L

typedef struct _R28_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R28_CLOSING once detaching
    volatile LONG BytesQueued;
    PIO_WORKITEM CompleteWorkItem;
} R28_BINDING, *PR28_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R28Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R28AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R28DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R28CleanupBindingContext;
static EXAMPLE_INDICATE_FN R28Indicate;
static IO_WORKITEM_ROUTINE R28CompleteWorker;
static KSTART_ROUTINE R28SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R28Dispatch = { R28Indicate };

static CONST NPI_MODULEID R28ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0028, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x28 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R28Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R28AttachProvider,
    R28DetachProvider,
    R28CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R28ModuleId, 0, NULL }
};

static HANDLE R28ClientHandle;
static PDEVICE_OBJECT R28DeviceObject;
static KSPIN_LOCK R28BindingLock;           // protects R28CurrentBinding
static PR28_BINDING R28CurrentBinding;
static KEVENT R28StopEvent;
static PVOID R28Thread;
static ERESOURCE R28HistoryResource;        // protects the history
static ULONG R28DeferredDetaches;
static ULONG R28LastDetachBytes;


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

    KeInitializeSpinLock(&R28BindingLock);
    KeInitializeEvent(&R28StopEvent, NotificationEvent, FALSE);
    Status = ExInitializeResourceLite(&R28HistoryResource);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R28DeviceObject);
    if (!NT_SUCCESS(Status)) {
        ExDeleteResourceLite(&R28HistoryResource);
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R28SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R28DeviceObject);
        ExDeleteResourceLite(&R28HistoryResource);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R28Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R28Unload;

    Status = NmrRegisterClient(&R28Characteristics, NULL, &R28ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R28StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R28Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R28Thread);
        IoDeleteDevice(R28DeviceObject);
        ExDeleteResourceLite(&R28HistoryResource);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R28Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    ULONG Detaches;

    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R28ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R28ClientHandle);
    }
    KeSetEvent(&R28StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R28Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R28Thread);

    //
    // Every binding is cleaned up and the sender is gone: nobody else uses
    // the history.
    //
    ExEnterCriticalRegionAndAcquireResourceShared(&R28HistoryResource);
    Detaches = R28DeferredDetaches;
    ExReleaseResourceAndLeaveCriticalRegion(&R28HistoryResource);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "r28: %u deferred detaches\n", Detaches);

    ExDeleteResourceLite(&R28HistoryResource);
    IoDeleteDevice(R28DeviceObject);
}


static
NTSTATUS
R28AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR28_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R28CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R28_BINDING), R28_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R28DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R28_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R28Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R28_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R28BindingLock, &OldIrql);
    R28CurrentBinding = Binding;
    KeReleaseSpinLock(&R28BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R28DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR28_BINDING Binding = (PR28_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R28BindingLock, &OldIrql);
    if (R28CurrentBinding == Binding) {
        R28CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R28BindingLock, OldIrql);

    //
    // The last call out completes the detach (R28SendOne).
    //
    OldState = InterlockedOr(&Binding->CallState, R28_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
R28CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR28_BINDING Binding = (PR28_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R28_POOL_TAG);
}


static
VOID
R28RecordDetach(
    _In_ ULONG BytesQueued
    )
{
    ExEnterCriticalRegionAndAcquireResourceExclusive(&R28HistoryResource);
    R28DeferredDetaches++;
    R28LastDetachBytes = BytesQueued;
    ExReleaseResourceAndLeaveCriticalRegion(&R28HistoryResource);
}


//
// Completes a pending detach at PASSIVE_LEVEL (NMR's cleanup callback may
// run inside the Complete) and records it.
//
static
VOID
R28CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR28_BINDING Binding = (PR28_BINDING)Context;
    ULONG BytesQueued;

    UNREFERENCED_PARAMETER(DeviceObject);

    //
    // The binding may be gone once the Complete returns: read what the
    // history needs first.
    //
    BytesQueued = (ULONG)InterlockedCompareExchange(&Binding->BytesQueued, 0, 0);
#ifdef RACY_FIXED
    R28RecordDetach(BytesQueued);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
#else
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
    R28RecordDetach(BytesQueued);
#endif
}


static
VOID
R28Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R28SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR28_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R28BindingLock, &OldIrql);
    Binding = R28CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R28BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    InterlockedExchangeAdd(&Binding->BytesQueued, (LONG)sizeof(Packet));
    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    if (InterlockedDecrement(&Binding->CallState) == R28_CLOSING) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R28CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R28SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R28_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R28StopEvent) != 0) {
            break;
        }
        R28SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
