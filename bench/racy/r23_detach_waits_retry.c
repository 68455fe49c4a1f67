/*++

Module Name:

    r23_send_alloc_fail.c

Abstract:

    Racy-bug benchmark case r23 (M10 block-in-detach, K03): a client of
    the Example NPI that keeps a send it could not start for a retry.

    Each send allocates a send context. When the allocation fails, the
    sender keeps the packet for a retry (RetryPending, RetryDone reset),
    and the next send first retries it and sets RetryDone. The calls in
    progress are counted in one word with a closing bit; the last call out
    of a closing binding completes the detach from a work item.

    The bug: ClientDetachProvider, finding a retry pending, gives it a
    millisecond to go out ("do not drop a packet the stack accepted") with
    a timed wait on RetryDone. Detach callbacks may run at DISPATCH_LEVEL
    and must not block. It needs a pool failure on a send context and the
    detach before the next send retries the packet; with no retry pending
    the detach never waits.

    RACY_FIXED: the detach only polls RetryDone (a zero timeout) and drops
    a packet still waiting.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R23_POOL_TAG 0x33325252 // 'RR23'
#define R23_SEND_COUNT 4
#define R23_CLOSING 0x40000000L

typedef struct _R23_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R23_CLOSING once detaching
    PIO_WORKITEM CompleteWorkItem;
    volatile BOOLEAN RetryPending;          // a packet waits for a send context (sender thread only writes)
    ULONG RetrySequence;
    KEVENT RetryDone;                       // set when no retry is pending
} R23_BINDING, *PR23_BINDING;

typedef struct _R23_SEND_CONTEXT {
    ULONG Sequence;
    UCHAR Packet[4];
} R23_SEND_CONTEXT, *PR23_SEND_CONTEXT;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R23Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R23AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R23DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R23CleanupBindingContext;
static EXAMPLE_INDICATE_FN R23Indicate;
static IO_WORKITEM_ROUTINE R23CompleteWorker;
static KSTART_ROUTINE R23SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R23Dispatch = { R23Indicate };

static CONST NPI_MODULEID R23ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0023, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x23 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R23Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R23AttachProvider,
    R23DetachProvider,
    R23CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R23ModuleId, 0, NULL }
};

static HANDLE R23ClientHandle;
static PDEVICE_OBJECT R23DeviceObject;
static KSPIN_LOCK R23BindingLock;           // protects R23CurrentBinding
static PR23_BINDING R23CurrentBinding;
static KEVENT R23StopEvent;
static PVOID R23Thread;
static volatile LONG R23SendFailures;
static volatile LONG R23DroppedRetries;


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

    KeInitializeSpinLock(&R23BindingLock);
    KeInitializeEvent(&R23StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R23DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R23SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R23DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R23Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R23Unload;

    Status = NmrRegisterClient(&R23Characteristics, NULL, &R23ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R23StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R23Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R23Thread);
        IoDeleteDevice(R23DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R23Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R23ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R23ClientHandle);
    }
    KeSetEvent(&R23StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R23Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R23Thread);
    IoDeleteDevice(R23DeviceObject);
}


static
NTSTATUS
R23AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR23_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R23CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R23_BINDING), R23_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R23DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R23_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    KeInitializeEvent(&Binding->RetryDone, NotificationEvent, TRUE);

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R23Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R23_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R23BindingLock, &OldIrql);
    R23CurrentBinding = Binding;
    KeReleaseSpinLock(&R23BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R23DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR23_BINDING Binding = (PR23_BINDING)ClientBindingContext;
    LARGE_INTEGER Timeout;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R23BindingLock, &OldIrql);
    if (R23CurrentBinding == Binding) {
        R23CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R23BindingLock, OldIrql);

    //
    // Give a packet waiting for a retry the chance to go out first.
    //
    if (Binding->RetryPending) {
#ifdef RACY_FIXED
        Timeout.QuadPart = 0;
#else
        Timeout.QuadPart = -10 * 1000;      // 1 ms
#endif
        if (KeWaitForSingleObject(&Binding->RetryDone, Executive, KernelMode, FALSE, &Timeout) == STATUS_TIMEOUT) {
            InterlockedIncrement(&R23DroppedRetries);
        }
    }

    //
    // The last call out completes the detach (R23ReleaseCall).
    //
    OldState = InterlockedOr(&Binding->CallState, R23_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
R23CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR23_BINDING Binding = (PR23_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R23_POOL_TAG);
}


static
VOID
R23CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR23_BINDING Binding = (PR23_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R23Indicate(
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
R23ReleaseCall(
    _In_ PR23_BINDING Binding
    )
{
    if (InterlockedDecrement(&Binding->CallState) == R23_CLOSING) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R23CompleteWorker, DelayedWorkQueue, Binding);
    }
}


//
// Sends one packet in a fresh send context; FALSE when none could be
// allocated.
//
static
BOOLEAN
R23SendPacket(
    _In_ PR23_BINDING Binding,
    _In_ ULONG Sequence
    )
{
    PR23_SEND_CONTEXT SendContext;

    SendContext = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R23_SEND_CONTEXT), R23_POOL_TAG);
    if (SendContext == NULL) {
        InterlockedIncrement(&R23SendFailures);
        return FALSE;
    }
    SendContext->Sequence = Sequence;
    SendContext->Packet[0] = 'd';
    SendContext->Packet[1] = 'a';
    SendContext->Packet[2] = 't';
    SendContext->Packet[3] = (UCHAR)Sequence;

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, SendContext->Packet,
                                          sizeof(SendContext->Packet));
    ExFreePoolWithTag(SendContext, R23_POOL_TAG);
    return TRUE;
}


static
VOID
R23SendOne(
    _In_ ULONG Sequence
    )
{
    PR23_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R23BindingLock, &OldIrql);
    Binding = R23CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R23BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    //
    // A packet kept for a retry goes first; while it cannot go, the new
    // one waits behind it (one retry slot: the new one is dropped).
    //
    if (Binding->RetryPending) {
        if (R23SendPacket(Binding, Binding->RetrySequence)) {
            Binding->RetryPending = FALSE;
            KeSetEvent(&Binding->RetryDone, IO_NO_INCREMENT, FALSE);
        }
    } else if (!R23SendPacket(Binding, Sequence)) {
        Binding->RetrySequence = Sequence;
        KeClearEvent(&Binding->RetryDone);
        Binding->RetryPending = TRUE;
    }

    R23ReleaseCall(Binding);
}


static
VOID
R23SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R23_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R23StopEvent) != 0) {
            break;
        }
        R23SendOne(Index);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
