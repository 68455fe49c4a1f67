/*++

Module Name:

    r19_complete_wrong_handle.c

Abstract:

    Racy-bug benchmark case r19 (M16 complete-handle, provider side): a
    provider of the Example NPI that reports send completions to its client
    from a DPC, the way a NIC-facing provider does.

    Send counts the send as outstanding (under the binding lock, unless the
    binding is closing) and queues the binding's completion DPC unless it
    is queued already. The DPC
    takes the outstanding sends, tells the client once that they are done
    (unless ProviderDetachClient was called meanwhile: no indication starts
    after it), and counts them out. ProviderDetachClient returns
    STATUS_PENDING while sends are outstanding; the DPC that counts the last
    of them out completes the detach.

    The bug, after the one msquic fixed in its NMR code: that completion
    passes the provider's registration handle (from NmrRegisterProvider)
    instead of the binding handle to NmrProviderDetachClientComplete. The
    path runs only when the detach arrives while a send's completion is
    outstanding: between the client's Send and the end of the DPC that
    reports it. Otherwise the detach returns STATUS_SUCCESS and the line
    never runs.

    RACY_FIXED: the binding handle.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R19_POOL_TAG 0x39315252 // 'RR19'

typedef struct _R19_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    KSPIN_LOCK Lock;                        // protects the three fields below
    BOOLEAN Closing;                        // ProviderDetachClient was called
    BOOLEAN DpcQueued;                      // CompletionDpc queued and not started yet
    ULONG OutstandingSends;                 // sends whose completion was not reported yet
    KDPC CompletionDpc;
    volatile LONG BytesSent;
} R19_BINDING, *PR19_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R19Unload;
static NPI_PROVIDER_ATTACH_CLIENT_FN R19AttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN R19DetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN R19CleanupBindingContext;
static EXAMPLE_SEND_FN R19Send;
static EXAMPLE_QUERY_FN R19Query;
static KDEFERRED_ROUTINE R19CompletionDpc;

static CONST EXAMPLE_PROVIDER_DISPATCH R19Dispatch = { R19Send, R19Query };

static CONST NPI_MODULEID R19ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0019, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x19 } } }
};

static CONST NPI_PROVIDER_CHARACTERISTICS R19Characteristics = {
    0,
    sizeof(NPI_PROVIDER_CHARACTERISTICS),
    R19AttachClient,
    R19DetachClient,
    R19CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R19ModuleId, 0, NULL }
};

static HANDLE R19ProviderHandle;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->DriverUnload = R19Unload;

    Status = NmrRegisterProvider(&R19Characteristics, NULL, &R19ProviderHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R19Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterProvider(R19ProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(R19ProviderHandle);
    }

    //
    // The DPC that completed the last detach may still be returning.
    //
    KeFlushQueuedDpcs();
}


static
NTSTATUS
R19AttachClient(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ProviderContext,
    _In_ PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
    _In_ PVOID ClientBindingContext,
    _In_ CONST VOID *ClientDispatch,
    _Out_ PVOID *ProviderBindingContext,
    _Out_ CONST VOID **ProviderDispatch
    )
{
    PR19_BINDING Binding;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);

    if (ClientDispatch == NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R19_BINDING), R19_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    KeInitializeSpinLock(&Binding->Lock);
    KeInitializeDpc(&Binding->CompletionDpc, R19CompletionDpc, Binding);

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &R19Dispatch;
    return STATUS_SUCCESS;
}


static
NTSTATUS
R19DetachClient(
    _In_ PVOID ProviderBindingContext
    )
{
    PR19_BINDING Binding = (PR19_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
    Pending = (Binding->OutstandingSends != 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R19CleanupBindingContext(
    _In_ PVOID ProviderBindingContext
    )
{
    ExFreePoolWithTag(ProviderBindingContext, R19_POOL_TAG);
}


static
VOID
R19CompletionDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    PR19_BINDING Binding = (PR19_BINDING)DeferredContext;
    ULONG Completed;
    BOOLEAN Indicate;
    BOOLEAN CompleteDetach;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
    Binding->DpcQueued = FALSE;
    Completed = Binding->OutstandingSends;
    Indicate = !Binding->Closing;
    KeReleaseSpinLockFromDpcLevel(&Binding->Lock);
    if (Completed == 0) {
        return;
    }

    if (Indicate) {
        Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);
    }

    KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
    Binding->OutstandingSends -= Completed;
    CompleteDetach = (Binding->Closing && Binding->OutstandingSends == 0);
    KeReleaseSpinLockFromDpcLevel(&Binding->Lock);

    if (CompleteDetach) {
#ifdef RACY_FIXED
        NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
#else
        NmrProviderDetachClientComplete(R19ProviderHandle);
#endif
    }
}


static
NTSTATUS
R19Send(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PR19_BINDING Binding = (PR19_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN QueueDpc;

    if (Buffer == NULL && Length != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    if (Binding->Closing) {
        KeReleaseSpinLock(&Binding->Lock, OldIrql);
        return STATUS_SUCCESS;
    }
    Binding->OutstandingSends++;
    QueueDpc = !Binding->DpcQueued;
    Binding->DpcQueued = TRUE;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    //
    // A DPC queued and not started yet reports this send too. (One that
    // has started may have missed it: queue it again. The send stays
    // outstanding until a DPC run counts it out, so no run completes the
    // detach while the DPC is queued and the binding must stay.)
    //
    if (QueueDpc) {
        (VOID)KeInsertQueueDpc(&Binding->CompletionDpc, NULL, NULL);
    }
    return STATUS_SUCCESS;
}


static
NTSTATUS
R19Query(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    )
{
    PR19_BINDING Binding = (PR19_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}
