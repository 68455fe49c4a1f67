/*++

Module Name:

    bug_call_after_detach.c

Abstract:

    A copy of guide_client.c with one classic mistake: its detach callback
    returns STATUS_SUCCESS but leaves the binding published, so the sender
    thread keeps calling the provider's Send through a binding whose detach
    already completed. nmrsim hands the client a guarded copy of the
    provider's dispatch table (the engine walks the table: no shape is
    declared), so every such call is reported: M18
    call-after-detach.

    The window is a race: the call must start after the detach returned and
    before the cleanup unpublished the binding, which only some schedules
    (and NMR's freedom to defer the cleanup, F4) give.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

//
// Pool tag 'lCdG'.
//
#define GUIDE_CLIENT_POOL_TAG 0x6c436447

//
// How many packets the sender thread sends.
//
#define GUIDE_CLIENT_SEND_COUNT 3

//
// Per-binding state of the client. Closing and CallsInProgress are
// protected by ClientLock.
//
typedef struct _CLIENT_BINDING_CONTEXT {
    HANDLE NmrBindingHandle;                            // for NmrClientDetachProviderComplete
    PVOID ProviderBindingContext;                       // first argument of the provider's functions
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;  // the provider's functions
    BOOLEAN Closing;                                    // ClientDetachProvider was called
    ULONG CallsInProgress;                              // calls into the provider not yet returned
    volatile LONG SendsCompleted;                       // indications received
} CLIENT_BINDING_CONTEXT, *PCLIENT_BINDING_CONTEXT;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static KSTART_ROUTINE ClientSenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH ClientDispatch = {
    ClientIndicate
};

//
// {7a0c4e19-52b3-4d8f-b6e1-93a2c5d7e8f0}
//
static CONST NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a0c4e19, 0x52b3, 0x4d8f, { 0xb6, 0xe1, 0x93, 0xa2, 0xc5, 0xd7, 0xe8, 0xf0 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0,                                          // Version
    sizeof(NPI_CLIENT_CHARACTERISTICS),         // Length
    ClientAttachProvider,
    ClientDetachProvider,
    ClientCleanupBindingContext,
    {
        0,                                      // Version
        sizeof(NPI_REGISTRATION_INSTANCE),      // Size
        (PNPIID)&NPI_EXAMPLE_ID,
        (PNPI_MODULEID)&ClientModuleId,
        0,                                      // Number
        NULL                                    // NpiSpecificCharacteristics
    }
};

// Variable containing the handle for the registration
static HANDLE ClientHandle;

//
// ClientLock protects ClientBinding, AttachInProgress and the Closing and
// CallsInProgress fields of every binding context.
//
static KSPIN_LOCK ClientLock;
static PCLIENT_BINDING_CONTEXT ClientBinding;   // the binding sends go through, or NULL
static BOOLEAN AttachInProgress;                // an attach callback is binding a provider

//
// The sender thread and the event that tells it to stop.
//
static KEVENT StopEvent;
static PVOID SenderThread;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    NTSTATUS DeregisterStatus;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&ClientLock);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);

    DriverObject->DriverUnload = Unload;

    //
    // Register the client module with the NMR. It may attach to a provider
    // before this call returns.
    //
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &ClientHandle);
    if (!NT_SUCCESS(Status)) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "bug_call_after_detach: NmrRegisterClient failed 0x%08X\n", (ULONG)Status);
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle,
                                  THREAD_ALL_ACCESS,
                                  &ObjectAttributes,
                                  NULL,
                                  NULL,
                                  ClientSenderThread,
                                  NULL);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(ThreadHandle,
                                           THREAD_ALL_ACCESS,
                                           *PsThreadType,
                                           KernelMode,
                                           &SenderThread,
                                           NULL);
        ZwClose(ThreadHandle);
        //
        // Cannot fail for the handle just created; if it did, Unload could
        // not wait for the thread.
        //
        NT_ASSERT(NT_SUCCESS(Status));
    }

    if (!NT_SUCCESS(Status)) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "bug_call_after_detach: PsCreateSystemThread failed 0x%08X\n", (ULONG)Status);
        //
        // Unload is not called when DriverEntry fails: undo the
        // registration here, the same way.
        //
        DeregisterStatus = NmrDeregisterClient(ClientHandle);
        if (DeregisterStatus == STATUS_PENDING) {
            NmrWaitForClientDeregisterComplete(ClientHandle);
        }
        return Status;
    }

    return STATUS_SUCCESS;
}


// Unload function
static
VOID
Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);

    // Deregister the client module from the NMR
    Status = NmrDeregisterClient(ClientHandle);

    // Check if pending
    if (Status == STATUS_PENDING) {
        // Wait for the deregistration to be completed
        NmrWaitForClientDeregisterComplete(ClientHandle);
    }

    // An error occurred
    else {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "bug_call_after_detach: NmrDeregisterClient failed 0x%08X\n", (ULONG)Status);
    }

    //
    // No binding is left, so the sender thread can make no more calls.
    // Stop it and wait until it has exited: its code is part of this image.
    //
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(SenderThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(SenderThread);
}


static
NTSTATUS
ClientAttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PCLIENT_BINDING_CONTEXT BindingContext;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    //
    // One provider at a time: decline the others.
    //
    KeAcquireSpinLock(&ClientLock, &OldIrql);
    if (ClientBinding != NULL || AttachInProgress) {
        KeReleaseSpinLock(&ClientLock, OldIrql);
        return STATUS_NOINTERFACE;
    }
    AttachInProgress = TRUE;
    KeReleaseSpinLock(&ClientLock, OldIrql);

    BindingContext = ExAllocatePool2(POOL_FLAG_NON_PAGED,
                                     sizeof(CLIENT_BINDING_CONTEXT),
                                     GUIDE_CLIENT_POOL_TAG);
    if (BindingContext == NULL) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
        BindingContext->NmrBindingHandle = NmrBindingHandle;

        Status = NmrClientAttachProvider(NmrBindingHandle,
                                         BindingContext,
                                         &ClientDispatch,
                                         &BindingContext->ProviderBindingContext,
                                         &ProviderDispatch);
        if (NT_SUCCESS(Status)) {
            BindingContext->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
        } else {
            //
            // No binding: NMR calls neither detach nor cleanup for it.
            //
            ExFreePoolWithTag(BindingContext, GUIDE_CLIENT_POOL_TAG);
            BindingContext = NULL;
        }
    }

    //
    // Publish the binding. NMR does not detach it before this callback
    // returns, so it cannot be closing yet.
    //
    KeAcquireSpinLock(&ClientLock, &OldIrql);
    if (BindingContext != NULL) {
        ClientBinding = BindingContext;
    }
    AttachInProgress = FALSE;
    KeReleaseSpinLock(&ClientLock, OldIrql);

    //
    // Return what NmrClientAttachProvider returned.
    //
    return Status;
}


static
NTSTATUS
ClientDetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PCLIENT_BINDING_CONTEXT BindingContext = (PCLIENT_BINDING_CONTEXT)ClientBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&ClientLock, &OldIrql);

    //
    // BUG: the binding stays published in ClientBinding and is not marked
    // closing, so the sender thread keeps starting calls into the provider
    // after this detach completed (M18). The fix (guide_client.c): set
    // Closing and clear ClientBinding here, under the lock.
    //

    // Check if there are in-progress calls
    Pending = (BindingContext->CallsInProgress != 0);
    if (Pending) {
        BindingContext->Closing = TRUE;
    }

    KeReleaseSpinLock(&ClientLock, OldIrql);

    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
ClientCleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    KIRQL OldIrql;
    BOOLEAN InUse;

    //
    // Unpublish the binding only now (too late: see ClientDetachProvider).
    // A call still running keeps the context; it is leaked rather than
    // freed under the caller's feet.
    //
    KeAcquireSpinLock(&ClientLock, &OldIrql);
    if (ClientBinding == (PCLIENT_BINDING_CONTEXT)ClientBindingContext) {
        ClientBinding = NULL;
    }
    InUse = (((PCLIENT_BINDING_CONTEXT)ClientBindingContext)->CallsInProgress != 0);
    KeReleaseSpinLock(&ClientLock, OldIrql);

    if (!InUse) {
        ExFreePoolWithTag(ClientBindingContext, GUIDE_CLIENT_POOL_TAG);
    }
}


static
VOID
ClientIndicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    PCLIENT_BINDING_CONTEXT BindingContext = (PCLIENT_BINDING_CONTEXT)ClientBindingContext;

    if (Indication == EXAMPLE_INDICATE_SEND_COMPLETE) {
        InterlockedIncrement(&BindingContext->SendsCompleted);
    }
}


//
// Sends one packet through the current binding, if there is one.
//
static
NTSTATUS
ClientSend(
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PCLIENT_BINDING_CONTEXT BindingContext;
    KIRQL OldIrql;
    NTSTATUS Status;
    BOOLEAN CompleteDetach;
    HANDLE BindingHandle;

    //
    // Take the binding and count the call while holding the lock, so the
    // detach callback sees it.
    //
    KeAcquireSpinLock(&ClientLock, &OldIrql);
    BindingContext = ClientBinding;
    if (BindingContext == NULL) {
        KeReleaseSpinLock(&ClientLock, OldIrql);
        return STATUS_DEVICE_NOT_READY;
    }
    BindingContext->CallsInProgress++;
    KeReleaseSpinLock(&ClientLock, OldIrql);

    Status = BindingContext->ProviderDispatch->Send(BindingContext->ProviderBindingContext,
                                                    Buffer,
                                                    Length);

    KeAcquireSpinLock(&ClientLock, &OldIrql);
    BindingContext->CallsInProgress--;
    CompleteDetach = (BindingContext->Closing && BindingContext->CallsInProgress == 0);
    BindingHandle = BindingContext->NmrBindingHandle;
    KeReleaseSpinLock(&ClientLock, OldIrql);

    if (CompleteDetach) {
        //
        // NMR may clean up the binding inside this call: the binding
        // context must not be touched afterwards.
        //
        NmrClientDetachProviderComplete(BindingHandle);
    }

    return Status;
}


static
VOID
ClientSenderThread(
    _In_ PVOID StartContext
    )
{
    static CONST UCHAR Packet[8] = { 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < GUIDE_CLIENT_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&StopEvent) != 0) {
            break;
        }
        (VOID)ClientSend(Packet, sizeof(Packet));
    }

    PsTerminateSystemThread(STATUS_SUCCESS);
}
