/*++

Module Name:

    r27_cleanup_assert_queued.c

Abstract:

    Racy-bug benchmark case r27 (K07 bugcheck: a failed NT_ASSERT): a
    provider of the Example NPI that completes sends asynchronously, the
    way a NIC driver does. Send takes a transmit request from a lookaside
    list, queues it on the binding and queues the binding's transmit
    completion DPC; the DPC takes the queued requests, tells the client
    each send is done (Indicate) unless the binding is closing, and frees
    them. The cleanup callback asserts that no request is left.

    ProviderDetachClient returns STATUS_PENDING while an indication is in
    progress (the DPC then completes the detach), as the documentation's
    pattern for calls into the client asks.

    The bug: the detach counts the indications in progress but not the
    requests still queued for the DPC. A detach between a Send and its
    DPC returns STATUS_SUCCESS; the client, whose Send returned, completes
    its side, NMR cleans up, and the assertion fails (the queued requests
    and the DPC would then use freed memory). It needs the detach after a
    Send queued its request and before the DPC took it, and the client's
    side done before the DPC runs.

    RACY_FIXED: the detach pends while requests are outstanding (queued or
    being indicated); the DPC completes it when the last one is done.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R27_POOL_TAG 0x37325252 // 'RR27'
#define R27_REQUEST_TAG 0x71325252 // 'RR2q'

typedef struct _R27_TX_REQUEST {
    LIST_ENTRY Link;
    ULONG Length;
} R27_TX_REQUEST, *PR27_TX_REQUEST;

typedef struct _R27_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    KSPIN_LOCK Lock;                        // protects everything below
    LIST_ENTRY TxQueue;                     // requests waiting for the DPC
    ULONG Outstanding;                      // requests not yet freed, plus one while the DPC is queued or running
    ULONG IndicationsInProgress;
    BOOLEAN Closing;
    BOOLEAN DetachPending;
    KDPC TxCompleteDpc;
    volatile LONG BytesSent;
} R27_BINDING, *PR27_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R27Unload;
static NPI_PROVIDER_ATTACH_CLIENT_FN R27AttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN R27DetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN R27CleanupBindingContext;
static EXAMPLE_SEND_FN R27Send;
static EXAMPLE_QUERY_FN R27Query;
static KDEFERRED_ROUTINE R27TxCompleteDpc;

static CONST EXAMPLE_PROVIDER_DISPATCH R27Dispatch = { R27Send, R27Query };

static CONST NPI_MODULEID R27ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0027, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x27 } } }
};

static CONST NPI_PROVIDER_CHARACTERISTICS R27Characteristics = {
    0,
    sizeof(NPI_PROVIDER_CHARACTERISTICS),
    R27AttachClient,
    R27DetachClient,
    R27CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R27ModuleId, 0, NULL }
};

static HANDLE R27ProviderHandle;
static LOOKASIDE_LIST_EX R27RequestLookaside;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    Status = ExInitializeLookasideListEx(&R27RequestLookaside, NULL, NULL, NonPagedPoolNx, 0,
                                         sizeof(R27_TX_REQUEST), R27_REQUEST_TAG, 0);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    DriverObject->DriverUnload = R27Unload;

    Status = NmrRegisterProvider(&R27Characteristics, NULL, &R27ProviderHandle);
    if (!NT_SUCCESS(Status)) {
        ExDeleteLookasideListEx(&R27RequestLookaside);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R27Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterProvider(R27ProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(R27ProviderHandle);
    }
    //
    // Every binding was cleaned up, so no DPC of ours is queued; one may
    // still be returning from its last Complete.
    //
    KeFlushQueuedDpcs();
    ExDeleteLookasideListEx(&R27RequestLookaside);
}


static
NTSTATUS
R27AttachClient(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ProviderContext,
    _In_ PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
    _In_ PVOID ClientBindingContext,
    _In_ CONST VOID *ClientDispatch,
    _Out_ PVOID *ProviderBindingContext,
    _Out_ CONST VOID **ProviderDispatch
    )
{
    PR27_BINDING Binding;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);

    if (ClientDispatch == NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R27_BINDING), R27_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    KeInitializeSpinLock(&Binding->Lock);
    InitializeListHead(&Binding->TxQueue);
    KeInitializeDpc(&Binding->TxCompleteDpc, R27TxCompleteDpc, Binding);

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &R27Dispatch;
    return STATUS_SUCCESS;
}


static
NTSTATUS
R27DetachClient(
    _In_ PVOID ProviderBindingContext
    )
{
    PR27_BINDING Binding = (PR27_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
#ifdef RACY_FIXED
    Pending = (Binding->Outstanding != 0);
#else
    //
    // The client's calls are done once their Send returned; only an
    // indication still calls into it.
    //
    Pending = (Binding->IndicationsInProgress != 0);
#endif
    Binding->DetachPending = Pending;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R27CleanupBindingContext(
    _In_ PVOID ProviderBindingContext
    )
{
    PR27_BINDING Binding = (PR27_BINDING)ProviderBindingContext;

    NT_ASSERT(IsListEmpty(&Binding->TxQueue));
    NT_ASSERT(Binding->Outstanding == 0);
    ExFreePoolWithTag(Binding, R27_POOL_TAG);
}


static
NTSTATUS
R27Send(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PR27_BINDING Binding = (PR27_BINDING)ProviderBindingContext;
    PR27_TX_REQUEST Request;
    KIRQL OldIrql;

    if (Buffer == NULL && Length != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    Request = ExAllocateFromLookasideListEx(&R27RequestLookaside);
    if (Request == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Request->Length = Length;
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);

    //
    // The "hardware" completes the transmit at once: its DPC reports it.
    // A queued DPC counts as outstanding work too: the binding must outlive
    // it.
    //
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    if (Binding->Closing) {
        //
        // The detach started: nothing more is reported to the client.
        //
        KeReleaseSpinLock(&Binding->Lock, OldIrql);
        ExFreeToLookasideListEx(&R27RequestLookaside, Request);
        return STATUS_SUCCESS;
    }
    InsertTailList(&Binding->TxQueue, &Request->Link);
    Binding->Outstanding++;
    if (KeInsertQueueDpc(&Binding->TxCompleteDpc, NULL, NULL)) {
        Binding->Outstanding++;
    }
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    return STATUS_PENDING;
}


static
NTSTATUS
R27Query(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    )
{
    PR27_BINDING Binding = (PR27_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}


static
VOID
R27TxCompleteDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    PR27_BINDING Binding = (PR27_BINDING)DeferredContext;
    LIST_ENTRY Completed;
    PLIST_ENTRY Entry;
    ULONG Count = 0;
    BOOLEAN Indicate;
    BOOLEAN CompleteDetach;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    InitializeListHead(&Completed);
    KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
    while (!IsListEmpty(&Binding->TxQueue)) {
        Entry = RemoveHeadList(&Binding->TxQueue);
        InsertTailList(&Completed, Entry);
    }
    Indicate = !Binding->Closing && !IsListEmpty(&Completed);
    if (Indicate) {
        Binding->IndicationsInProgress++;
    }
    KeReleaseSpinLockFromDpcLevel(&Binding->Lock);

    while (!IsListEmpty(&Completed)) {
        Entry = RemoveHeadList(&Completed);
        if (Indicate) {
            Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);
        }
        ExFreeToLookasideListEx(&R27RequestLookaside, CONTAINING_RECORD(Entry, R27_TX_REQUEST, Link));
        Count++;
    }

    KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
    if (Indicate) {
        Binding->IndicationsInProgress--;
    }
    Binding->Outstanding -= Count + 1;      // the requests, and this run of the DPC
#ifdef RACY_FIXED
    CompleteDetach = Binding->DetachPending && Binding->Outstanding == 0;
#else
    CompleteDetach = Binding->DetachPending && Binding->IndicationsInProgress == 0;
#endif
    if (CompleteDetach) {
        Binding->DetachPending = FALSE;
    }
    KeReleaseSpinLockFromDpcLevel(&Binding->Lock);

    //
    // The binding may be cleaned up inside the Complete: nothing touches
    // it afterwards.
    //
    if (CompleteDetach) {
        NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
    }
}
