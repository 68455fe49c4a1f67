/*++

Module Name:

    r14_send_alloc_fail.c

Abstract:

    Racy-bug benchmark case r14 (M17 pending-forever): a client of the
    Example NPI that counts its calls in progress in one word with a
    closing bit, completes a pending detach from a work item when the last
    call returns, and allocates a send context for each send.

    The normal return path counts the call out with R14ReleaseCall, which
    queues the Complete when it takes the count to "closing, no call".
    When the send context cannot be allocated, the error path counts the
    call out with a bare InterlockedDecrement: harmless unless a detach
    arrived between the count-in and the failed allocation and this was
    the last call in progress. Then the detach pends and nobody completes
    it: Unload waits for the deregistration for good. The bug needs a pool
    failure on that allocation and the detach inside a two-call window.

    RACY_FIXED: the error path counts the call out with R14ReleaseCall too.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R14_POOL_TAG 0x34315252 // 'RR14'
#define R14_SEND_COUNT 4
#define R14_CLOSING 0x40000000L

typedef struct _R14_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R14_CLOSING once detaching
    PIO_WORKITEM CompleteWorkItem;
} R14_BINDING, *PR14_BINDING;

typedef struct _R14_SEND_CONTEXT {
    ULONG Sequence;
    UCHAR Packet[4];
} R14_SEND_CONTEXT, *PR14_SEND_CONTEXT;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R14Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R14AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R14DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R14CleanupBindingContext;
static EXAMPLE_INDICATE_FN R14Indicate;
static IO_WORKITEM_ROUTINE R14CompleteWorker;
static KSTART_ROUTINE R14SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R14Dispatch = { R14Indicate };

static CONST NPI_MODULEID R14ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0014, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x14 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R14Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R14AttachProvider,
    R14DetachProvider,
    R14CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R14ModuleId, 0, NULL }
};

static HANDLE R14ClientHandle;
static PDEVICE_OBJECT R14DeviceObject;
static KSPIN_LOCK R14BindingLock;           // protects R14CurrentBinding
static PR14_BINDING R14CurrentBinding;
static KEVENT R14StopEvent;
static PVOID R14Thread;
static volatile LONG R14SendFailures;


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

    KeInitializeSpinLock(&R14BindingLock);
    KeInitializeEvent(&R14StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R14DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R14SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R14DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R14Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R14Unload;

    Status = NmrRegisterClient(&R14Characteristics, NULL, &R14ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R14StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R14Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R14Thread);
        IoDeleteDevice(R14DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R14Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R14ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R14ClientHandle);
    }
    KeSetEvent(&R14StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R14Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R14Thread);
    IoDeleteDevice(R14DeviceObject);
}


static
NTSTATUS
R14AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR14_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R14CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R14_BINDING), R14_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R14DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R14_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R14Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R14_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R14BindingLock, &OldIrql);
    R14CurrentBinding = Binding;
    KeReleaseSpinLock(&R14BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R14DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR14_BINDING Binding = (PR14_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R14BindingLock, &OldIrql);
    if (R14CurrentBinding == Binding) {
        R14CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R14BindingLock, OldIrql);

    //
    // The last call out completes the detach (R14ReleaseCall).
    //
    OldState = InterlockedOr(&Binding->CallState, R14_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
R14CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR14_BINDING Binding = (PR14_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R14_POOL_TAG);
}


static
VOID
R14CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR14_BINDING Binding = (PR14_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R14Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


//
// Counts a call out; the last one out of a closing binding queues the
// Complete of its pending detach.
//
static
VOID
R14ReleaseCall(
    _In_ PR14_BINDING Binding
    )
{
    if (InterlockedDecrement(&Binding->CallState) == R14_CLOSING) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R14CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R14SendOne(
    _In_ ULONG Sequence
    )
{
    PR14_BINDING Binding;
    PR14_SEND_CONTEXT SendContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R14BindingLock, &OldIrql);
    Binding = R14CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R14BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    SendContext = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R14_SEND_CONTEXT), R14_POOL_TAG);
    if (SendContext == NULL) {
        InterlockedIncrement(&R14SendFailures);
#ifdef RACY_FIXED
        R14ReleaseCall(Binding);
#else
        InterlockedDecrement(&Binding->CallState);
#endif
        return;
    }
    SendContext->Sequence = Sequence;
    SendContext->Packet[0] = 'd';
    SendContext->Packet[1] = 'a';
    SendContext->Packet[2] = 't';
    SendContext->Packet[3] = 'a';

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, SendContext->Packet,
                                          sizeof(SendContext->Packet));
    ExFreePoolWithTag(SendContext, R14_POOL_TAG);

    R14ReleaseCall(Binding);
}


static
VOID
R14SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R14_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R14StopEvent) != 0) {
            break;
        }
        R14SendOne(Index);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
