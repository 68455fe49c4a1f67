/*++

Module Name:

    inflight_client.c

Abstract:

    A client module of the Example NPI (example_npi.h) that keeps calling
    its provider while NMR may detach it, done right.

    A system thread, started in DriverEntry, sends packets and queries the
    provider through the current binding. Each binding context holds one
    32-bit word, CallState: the number of calls in progress, plus the bit
    INFLIGHT_CLOSING once ClientDetachProvider has been called. All of it
    changes with Interlocked operations, no lock:

    - ClientDetachProvider sets INFLIGHT_CLOSING. If no call was in
      progress it returns STATUS_SUCCESS; otherwise STATUS_PENDING.

    - The call that takes CallState down to exactly INFLIGHT_CLOSING (the
      last one out after a detach) queues the binding's work item, and the
      work item calls NmrClientDetachProviderComplete at PASSIVE_LEVEL.
      Completing from a work item keeps NMR's cleanup callbacks, which may
      run inside NmrClientDetachProviderComplete, out of the send path.

    A spin lock guards only the pointer to the current binding: the sender
    takes a call reference while holding it, and ClientDetachProvider
    removes the binding from that pointer (under the lock) before it sets
    INFLIGHT_CLOSING, so no new call can find a closing binding.

    The work item is allocated with the binding context in the attach
    callback (IoAllocateWorkItem needs a device object: DriverEntry creates
    one, Unload deletes it) and freed with it in the cleanup callback.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

//
// Pool tag 'lCfI'.
//
#define INFLIGHT_POOL_TAG 0x6c436649

#define INFLIGHT_SEND_COUNT 3

//
// CallState bit: ClientDetachProvider was called.
//
#define INFLIGHT_CLOSING 0x40000000L

typedef struct _INFLIGHT_BINDING {
    HANDLE NmrBindingHandle;                            // for NmrClientDetachProviderComplete
    PVOID ProviderBindingContext;                       // first argument of the provider's functions
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;  // the provider's functions
    volatile LONG CallState;                            // calls in progress | INFLIGHT_CLOSING
    PIO_WORKITEM CompleteWorkItem;                      // completes a pending detach
    volatile LONG Indications;                          // send completions received
} INFLIGHT_BINDING, *PINFLIGHT_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD InflightUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN InflightAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN InflightDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN InflightCleanupBindingContext;
static EXAMPLE_INDICATE_FN InflightIndicate;
static IO_WORKITEM_ROUTINE InflightCompleteDetachWorker;
static KSTART_ROUTINE InflightSenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH InflightDispatch = {
    InflightIndicate
};

//
// {c3e1f0a4-6b7d-4e28-9f15-2a3b4c5d6e7f}
//
static CONST NPI_MODULEID InflightModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0xc3e1f0a4, 0x6b7d, 0x4e28, { 0x9f, 0x15, 0x2a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS InflightCharacteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    InflightAttachProvider,
    InflightDetachProvider,
    InflightCleanupBindingContext,
    {
        0,
        sizeof(NPI_REGISTRATION_INSTANCE),
        (PNPIID)&NPI_EXAMPLE_ID,
        (PNPI_MODULEID)&InflightModuleId,
        0,
        NULL
    }
};

static HANDLE InflightClientHandle;
static PDEVICE_OBJECT InflightDeviceObject;

//
// BindingLock protects CurrentBinding (and BindingBusy).
//
static KSPIN_LOCK BindingLock;
static PINFLIGHT_BINDING CurrentBinding;
static BOOLEAN BindingBusy;                 // an attach callback is binding a provider

static KEVENT StopEvent;
static PVOID SenderThread;


static
VOID
InflightStopSender(
    VOID
    )
{
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(SenderThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(SenderThread);
    SenderThread = NULL;
}


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

    KeInitializeSpinLock(&BindingLock);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);

    //
    // The device object only anchors the work items.
    //
    Status = IoCreateDevice(DriverObject,
                            0,
                            NULL,
                            FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN,
                            FALSE,
                            &InflightDeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle,
                                  THREAD_ALL_ACCESS,
                                  &ObjectAttributes,
                                  NULL,
                                  NULL,
                                  InflightSenderThread,
                                  NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(InflightDeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle,
                                       THREAD_ALL_ACCESS,
                                       *PsThreadType,
                                       KernelMode,
                                       &SenderThread,
                                       NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = InflightUnload;

    //
    // The sender finds no binding until an attach succeeds.
    //
    Status = NmrRegisterClient(&InflightCharacteristics, NULL, &InflightClientHandle);
    if (!NT_SUCCESS(Status)) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "inflight_client: NmrRegisterClient failed 0x%08X\n", (ULONG)Status);
        InflightStopSender();
        IoDeleteDevice(InflightDeviceObject);
        return Status;
    }

    return STATUS_SUCCESS;
}


static
VOID
InflightUnload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);

    //
    // Deregister while the sender may still be calling: the detach pends
    // for the calls in progress and the last one completes it.
    //
    Status = NmrDeregisterClient(InflightClientHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(InflightClientHandle);
    }

    //
    // Every binding has been cleaned up (and its work item freed). Stop the
    // sender, then delete the device object the work items used.
    //
    InflightStopSender();
    IoDeleteDevice(InflightDeviceObject);
}


static
NTSTATUS
InflightAttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PINFLIGHT_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (CurrentBinding != NULL || BindingBusy) {
        KeReleaseSpinLock(&BindingLock, OldIrql);
        return STATUS_NOINTERFACE;
    }
    BindingBusy = TRUE;
    KeReleaseSpinLock(&BindingLock, OldIrql);

    //
    // Allocate everything the detach path needs now: the detach callback
    // may run at DISPATCH_LEVEL and must not fail.
    //
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(INFLIGHT_BINDING), INFLIGHT_POOL_TAG);
    if (Binding == NULL) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
        goto Publish;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(InflightDeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, INFLIGHT_POOL_TAG);
        Binding = NULL;
        Status = STATUS_INSUFFICIENT_RESOURCES;
        goto Publish;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle,
                                     Binding,
                                     &InflightDispatch,
                                     &Binding->ProviderBindingContext,
                                     &ProviderDispatch);
    if (NT_SUCCESS(Status)) {
        Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    } else {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, INFLIGHT_POOL_TAG);
        Binding = NULL;
    }

Publish:
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (Binding != NULL) {
        CurrentBinding = Binding;
    }
    BindingBusy = FALSE;
    KeReleaseSpinLock(&BindingLock, OldIrql);

    return Status;
}


static
NTSTATUS
InflightDetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PINFLIGHT_BINDING Binding = (PINFLIGHT_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    //
    // First make the binding unreachable for new calls...
    //
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (CurrentBinding == Binding) {
        CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&BindingLock, OldIrql);

    //
    // ...then mark it closing. Whoever sees the count reach zero with the
    // bit set completes: this callback (by returning STATUS_SUCCESS) when no
    // call is in progress, otherwise the last call out.
    //
    OldState = InterlockedOr(&Binding->CallState, INFLIGHT_CLOSING);
    NT_ASSERT((OldState & INFLIGHT_CLOSING) == 0);

    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
InflightCleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PINFLIGHT_BINDING Binding = (PINFLIGHT_BINDING)ClientBindingContext;

    //
    // This may run inside NmrClientDetachProviderComplete, called from the
    // work item's own routine: freeing the work item there is allowed, the
    // routine does not touch it afterwards.
    //
    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, INFLIGHT_POOL_TAG);
}


static
VOID
InflightCompleteDetachWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PINFLIGHT_BINDING Binding = (PINFLIGHT_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);

    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL,
               "inflight_client: detach completes after %d send completions\n",
               (int)Binding->Indications);

    //
    // The binding context may be freed inside this call.
    //
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
InflightIndicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    PINFLIGHT_BINDING Binding = (PINFLIGHT_BINDING)ClientBindingContext;

    if (Indication == EXAMPLE_INDICATE_SEND_COMPLETE) {
        InterlockedIncrement(&Binding->Indications);
    }
}


//
// Takes a call reference on the current binding; NULL when there is none.
//
static
PINFLIGHT_BINDING
InflightReferenceBinding(
    VOID
    )
{
    PINFLIGHT_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Binding = CurrentBinding;
    if (Binding != NULL) {
        //
        // Still published, so the detach callback has not set
        // INFLIGHT_CLOSING yet: it unpublishes first, under this lock.
        //
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&BindingLock, OldIrql);

    return Binding;
}


static
VOID
InflightDereferenceBinding(
    _In_ PINFLIGHT_BINDING Binding
    )
{
    //
    // Exactly INFLIGHT_CLOSING: the detach returned STATUS_PENDING and this
    // was the last call. The binding stays allocated until the work item
    // has called NmrClientDetachProviderComplete.
    //
    if (InterlockedDecrement(&Binding->CallState) == INFLIGHT_CLOSING) {
        IoQueueWorkItem(Binding->CompleteWorkItem,
                        InflightCompleteDetachWorker,
                        DelayedWorkQueue,
                        Binding);
    }
}


static
VOID
InflightSenderThread(
    _In_ PVOID StartContext
    )
{
    static CONST UCHAR Packet[4] = { 'p', 'i', 'n', 'g' };
    PINFLIGHT_BINDING Binding;
    ULONG BytesSent;
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < INFLIGHT_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&StopEvent) != 0) {
            break;
        }

        Binding = InflightReferenceBinding();
        if (Binding != NULL) {
            (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext,
                                                  Packet,
                                                  sizeof(Packet));
            InflightDereferenceBinding(Binding);
        }

        Binding = InflightReferenceBinding();
        if (Binding != NULL) {
            (VOID)Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &BytesSent);
            InflightDereferenceBinding(Binding);
        }
    }

    PsTerminateSystemThread(STATUS_SUCCESS);
}
