/*++

Module Name:

    r17_complete_after_unload.c

Abstract:

    Racy-bug benchmark case r17 (K06 work-after-unload): a client of the
    Example NPI that completes a pending detach from a system work item and
    logs the completion afterwards in its statistics.

    The sender thread counts its calls in a per-binding word. When NMR
    detaches the binding while a call is in progress, ClientDetachProvider
    returns STATUS_PENDING; the last call out queues a work item that calls
    NmrClientDetachProviderComplete at PASSIVE_LEVEL (NMR's cleanup
    callbacks may run inside it) and then counts and logs the deferred
    completion.

    The bug: the work item is an executive work item (ExInitializeWorkItem
    and ExQueueWorkItem, embedded in the binding: no allocation that can
    fail). Nothing holds the driver loaded while its routine runs. Once
    NmrClientDetachProviderComplete has returned, the deregistration can
    finish, the Unload waiting for it returns, and the rest of the routine
    runs in an unloaded driver. It needs a detach while a send is in
    progress (else the detach returns STATUS_SUCCESS and no work item is
    queued), the driver being unloaded while the routine is inside
    NmrClientDetachProviderComplete, and the Unload thread to return before
    the routine's next step. The Unload path waits for the deregistration,
    the sender thread and deletes the device: several steps the work item
    must not take in between.

    RACY_FIXED: an I/O work item (IoAllocateWorkItem in the attach,
    IoQueueWorkItem): the I/O manager keeps the driver loaded until the
    routine returns.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R17_POOL_TAG 0x37315252 // 'RR17'
#define R17_SEND_COUNT 3
#define R17_CLOSING 0x40000000L

typedef struct _R17_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R17_CLOSING once detaching
#ifdef RACY_FIXED
    PIO_WORKITEM CompleteWorkItem;
#else
    WORK_QUEUE_ITEM CompleteWorkItem;
#endif
} R17_BINDING, *PR17_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R17Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R17AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R17DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R17CleanupBindingContext;
static EXAMPLE_INDICATE_FN R17Indicate;
#ifdef RACY_FIXED
static IO_WORKITEM_ROUTINE R17CompleteWorker;
#else
static WORKER_THREAD_ROUTINE R17CompleteWorker;
#endif
static KSTART_ROUTINE R17SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R17Dispatch = { R17Indicate };

static CONST NPI_MODULEID R17ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0017, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x17 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R17Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R17AttachProvider,
    R17DetachProvider,
    R17CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R17ModuleId, 0, NULL }
};

static HANDLE R17ClientHandle;
static PDEVICE_OBJECT R17DeviceObject;
static KSPIN_LOCK R17BindingLock;           // protects R17CurrentBinding
static PR17_BINDING R17CurrentBinding;
static KEVENT R17StopEvent;
static PVOID R17Thread;
static KSPIN_LOCK R17StatsLock;             // protects R17DeferredCompletions
static LONG R17DeferredCompletions;


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

    KeInitializeSpinLock(&R17BindingLock);
    KeInitializeSpinLock(&R17StatsLock);
    KeInitializeEvent(&R17StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R17DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R17SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R17DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R17Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R17Unload;

    Status = NmrRegisterClient(&R17Characteristics, NULL, &R17ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R17StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R17Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R17Thread);
        IoDeleteDevice(R17DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R17Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R17ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R17ClientHandle);
    }
    KeSetEvent(&R17StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R17Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R17Thread);
    IoDeleteDevice(R17DeviceObject);
}


static
NTSTATUS
R17AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR17_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R17CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R17_BINDING), R17_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
#ifdef RACY_FIXED
    Binding->CompleteWorkItem = IoAllocateWorkItem(R17DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R17_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
#else
    ExInitializeWorkItem(&Binding->CompleteWorkItem, R17CompleteWorker, Binding);
#endif
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R17Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
#ifdef RACY_FIXED
        IoFreeWorkItem(Binding->CompleteWorkItem);
#endif
        ExFreePoolWithTag(Binding, R17_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R17BindingLock, &OldIrql);
    R17CurrentBinding = Binding;
    KeReleaseSpinLock(&R17BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R17DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR17_BINDING Binding = (PR17_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R17BindingLock, &OldIrql);
    if (R17CurrentBinding == Binding) {
        R17CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R17BindingLock, OldIrql);

    //
    // The last call out completes the detach (R17SendOne).
    //
    OldState = InterlockedOr(&Binding->CallState, R17_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
R17CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR17_BINDING Binding = (PR17_BINDING)ClientBindingContext;

#ifdef RACY_FIXED
    IoFreeWorkItem(Binding->CompleteWorkItem);
#endif
    ExFreePoolWithTag(Binding, R17_POOL_TAG);
}


//
// Completes the pending detach at PASSIVE_LEVEL. The binding may be gone
// once NmrClientDetachProviderComplete returns (NMR can clean it up inside
// the call): only driver-wide state is touched after it.
//
static
VOID
R17CompleteDeferredDetach(
    _In_ PR17_BINDING Binding
    )
{
    KIRQL OldIrql;
    LONG Count;

    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);

    KeAcquireSpinLock(&R17StatsLock, &OldIrql);
    Count = ++R17DeferredCompletions;
    KeReleaseSpinLock(&R17StatsLock, OldIrql);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "r17: deferred detach completed (%d)\n", (int)Count);
}


#ifdef RACY_FIXED
static
VOID
R17CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    UNREFERENCED_PARAMETER(DeviceObject);
    R17CompleteDeferredDetach((PR17_BINDING)Context);
}
#else
static
VOID
R17CompleteWorker(
    _In_ PVOID Parameter
    )
{
    R17CompleteDeferredDetach((PR17_BINDING)Parameter);
}
#endif


static
VOID
R17Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R17SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR17_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R17BindingLock, &OldIrql);
    Binding = R17CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R17BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    //
    // The last call out of a closing binding completes its detach, from a
    // work item: the cleanup callback may run inside the Complete.
    //
    if (InterlockedDecrement(&Binding->CallState) == R17_CLOSING) {
#ifdef RACY_FIXED
        IoQueueWorkItem(Binding->CompleteWorkItem, R17CompleteWorker, DelayedWorkQueue, Binding);
#else
        ExQueueWorkItem(&Binding->CompleteWorkItem, DelayedWorkQueue);
#endif
    }
}


static
VOID
R17SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R17_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R17StopEvent) != 0) {
            break;
        }
        R17SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
