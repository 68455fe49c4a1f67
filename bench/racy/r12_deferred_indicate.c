/*++

Module Name:

    r12_deferred_indicate.c

Abstract:

    Racy-bug benchmark case r12 (M18 call-after-detach, provider side): a
    provider of the Example NPI that reports send completions to the client
    from a work item instead of inside Send.

    Send queues the binding's completion work item; the work item calls the
    client's Indicate. ProviderDetachClient counts the indications running
    but not a completion still queued, so it returns STATUS_SUCCESS while
    the work item is pending: the work item then calls into the client on a
    binding this provider has finished detaching from.

    RACY_FIXED: a queued completion counts as an indication in progress;
    the detach pends for it and the work item completes the detach.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R12_POOL_TAG 0x32315252 // 'RR12'

typedef struct _R12_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    KSPIN_LOCK Lock;                        // protects the fields below
    BOOLEAN Closing;                        // ProviderDetachClient was called
    BOOLEAN CompletionQueued;               // CompletionWorkItem is queued
    ULONG IndicationsInProgress;            // calls into the client not yet returned
    PIO_WORKITEM CompletionWorkItem;
    volatile LONG BytesSent;
} R12_BINDING, *PR12_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R12Unload;
static NPI_PROVIDER_ATTACH_CLIENT_FN R12AttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN R12DetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN R12CleanupBindingContext;
static EXAMPLE_SEND_FN R12Send;
static EXAMPLE_QUERY_FN R12Query;
static IO_WORKITEM_ROUTINE R12CompletionWorker;

static CONST EXAMPLE_PROVIDER_DISPATCH R12Dispatch = { R12Send, R12Query };

static CONST NPI_MODULEID R12ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0012, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x12 } } }
};

static CONST NPI_PROVIDER_CHARACTERISTICS R12Characteristics = {
    0,
    sizeof(NPI_PROVIDER_CHARACTERISTICS),
    R12AttachClient,
    R12DetachClient,
    R12CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R12ModuleId, 0, NULL }
};

static HANDLE R12ProviderHandle;
static PDEVICE_OBJECT R12DeviceObject;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R12DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    DriverObject->DriverUnload = R12Unload;

    Status = NmrRegisterProvider(&R12Characteristics, NULL, &R12ProviderHandle);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R12DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R12Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterProvider(R12ProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(R12ProviderHandle);
    }
    IoDeleteDevice(R12DeviceObject);
}


static
NTSTATUS
R12AttachClient(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ProviderContext,
    _In_ PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
    _In_ PVOID ClientBindingContext,
    _In_ CONST VOID *ClientDispatch,
    _Out_ PVOID *ProviderBindingContext,
    _Out_ CONST VOID **ProviderDispatch
    )
{
    PR12_BINDING Binding;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);

    if (ClientDispatch == NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R12_BINDING), R12_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompletionWorkItem = IoAllocateWorkItem(R12DeviceObject);
    if (Binding->CompletionWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R12_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    KeInitializeSpinLock(&Binding->Lock);

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &R12Dispatch;
    return STATUS_SUCCESS;
}


static
NTSTATUS
R12DetachClient(
    _In_ PVOID ProviderBindingContext
    )
{
    PR12_BINDING Binding = (PR12_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
#ifdef RACY_FIXED
    Pending = (Binding->IndicationsInProgress != 0) || Binding->CompletionQueued;
#else
    Pending = (Binding->IndicationsInProgress != 0);
#endif
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R12CleanupBindingContext(
    _In_ PVOID ProviderBindingContext
    )
{
    PR12_BINDING Binding = (PR12_BINDING)ProviderBindingContext;

    IoFreeWorkItem(Binding->CompletionWorkItem);
    ExFreePoolWithTag(Binding, R12_POOL_TAG);
}


static
VOID
R12CompletionWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR12_BINDING Binding = (PR12_BINDING)Context;
    KIRQL OldIrql;
    BOOLEAN CompleteDetach;

    UNREFERENCED_PARAMETER(DeviceObject);

    //
    // The send was accepted before any detach: its completion is owed to
    // the client.
    //
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->CompletionQueued = FALSE;
    Binding->IndicationsInProgress++;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->IndicationsInProgress--;
    CompleteDetach = Binding->Closing && Binding->IndicationsInProgress == 0 && !Binding->CompletionQueued;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    //
    // The binding context may be freed inside this call.
    //
    if (CompleteDetach) {
        NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
    }
}


static
NTSTATUS
R12Send(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PR12_BINDING Binding = (PR12_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Queue = FALSE;

    if (Buffer == NULL && Length != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    if (!Binding->Closing && !Binding->CompletionQueued) {
        Binding->CompletionQueued = TRUE;
        Queue = TRUE;
    }
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    if (Queue) {
        IoQueueWorkItem(Binding->CompletionWorkItem, R12CompletionWorker, DelayedWorkQueue, Binding);
    }
    return STATUS_SUCCESS;
}


static
NTSTATUS
R12Query(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    )
{
    PR12_BINDING Binding = (PR12_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}
