/*++

Module Name:

    r22_early_closing.c

Abstract:

    Racy-bug benchmark case r22 (M15 complete-unexpected, provider side): a
    provider of the Example NPI that stops calling its clients as soon as
    its Unload starts, before NMR detaches them.

    Send tells the client that the data was sent (Indicate) unless the
    binding is closing, and counts the indications in progress.
    ProviderDetachClient marks the binding closing and returns
    STATUS_PENDING while an indication is in progress; the indication that
    finishes last on a closing binding completes the detach. The provider
    keeps its bindings in a list (under a spin lock) so that Unload can
    mark them all closing before it deregisters: no client is called back
    while the provider goes away.

    The bug: Unload marks them with the same Closing flag the detach
    callback sets. An indication in progress when Unload marks its binding,
    and finishing before NMR calls ProviderDetachClient for that binding,
    sees "closing, no indication in progress" and completes a detach that
    has not started. It needs the provider's Unload to start during an
    indication and that indication to return before the detach callback;
    otherwise the flag is set by the detach callback, as intended, or no
    indication is in progress when Unload sets it.

    RACY_FIXED: Unload sets a separate flag that only stops new
    indications; the completion still follows the detach callback's flag.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R22_POOL_TAG 0x32325252 // 'RR22'

typedef struct _R22_BINDING {
    LIST_ENTRY Link;                        // in R22BindingList, under R22ListLock
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    KSPIN_LOCK Lock;                        // protects the fields below
    BOOLEAN Closing;                        // no new indication; the detach completes when they drain
#ifdef RACY_FIXED
    BOOLEAN Quiescing;                      // Unload started: no new indication
#endif
    ULONG IndicationsInProgress;
    volatile LONG BytesSent;
} R22_BINDING, *PR22_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R22Unload;
static NPI_PROVIDER_ATTACH_CLIENT_FN R22AttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN R22DetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN R22CleanupBindingContext;
static EXAMPLE_SEND_FN R22Send;
static EXAMPLE_QUERY_FN R22Query;

static CONST EXAMPLE_PROVIDER_DISPATCH R22Dispatch = { R22Send, R22Query };

static CONST NPI_MODULEID R22ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0022, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x22 } } }
};

static CONST NPI_PROVIDER_CHARACTERISTICS R22Characteristics = {
    0,
    sizeof(NPI_PROVIDER_CHARACTERISTICS),
    R22AttachClient,
    R22DetachClient,
    R22CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R22ModuleId, 0, NULL }
};

static HANDLE R22ProviderHandle;
static KSPIN_LOCK R22ListLock;
static LIST_ENTRY R22BindingList;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R22ListLock);
    InitializeListHead(&R22BindingList);

    DriverObject->DriverUnload = R22Unload;

    Status = NmrRegisterProvider(&R22Characteristics, NULL, &R22ProviderHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R22Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    PLIST_ENTRY Entry;
    PR22_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(DriverObject);

    //
    // Call no client back from now on.
    //
    KeAcquireSpinLock(&R22ListLock, &OldIrql);
    for (Entry = R22BindingList.Flink; Entry != &R22BindingList; Entry = Entry->Flink) {
        Binding = CONTAINING_RECORD(Entry, R22_BINDING, Link);
        KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
#ifdef RACY_FIXED
        Binding->Quiescing = TRUE;
#else
        Binding->Closing = TRUE;
#endif
        KeReleaseSpinLockFromDpcLevel(&Binding->Lock);
    }
    KeReleaseSpinLock(&R22ListLock, OldIrql);

    if (NmrDeregisterProvider(R22ProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(R22ProviderHandle);
    }
}


static
NTSTATUS
R22AttachClient(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ProviderContext,
    _In_ PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
    _In_ PVOID ClientBindingContext,
    _In_ CONST VOID *ClientDispatch,
    _Out_ PVOID *ProviderBindingContext,
    _Out_ CONST VOID **ProviderDispatch
    )
{
    PR22_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);

    if (ClientDispatch == NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R22_BINDING), R22_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    KeInitializeSpinLock(&Binding->Lock);

    KeAcquireSpinLock(&R22ListLock, &OldIrql);
    InsertTailList(&R22BindingList, &Binding->Link);
    KeReleaseSpinLock(&R22ListLock, OldIrql);

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &R22Dispatch;
    return STATUS_SUCCESS;
}


static
NTSTATUS
R22DetachClient(
    _In_ PVOID ProviderBindingContext
    )
{
    PR22_BINDING Binding = (PR22_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
    Pending = (Binding->IndicationsInProgress != 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R22CleanupBindingContext(
    _In_ PVOID ProviderBindingContext
    )
{
    PR22_BINDING Binding = (PR22_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R22ListLock, &OldIrql);
    RemoveEntryList(&Binding->Link);
    KeReleaseSpinLock(&R22ListLock, OldIrql);

    ExFreePoolWithTag(Binding, R22_POOL_TAG);
}


static
NTSTATUS
R22Send(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PR22_BINDING Binding = (PR22_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN CompleteDetach;

    if (Buffer == NULL && Length != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
#ifdef RACY_FIXED
    if (Binding->Closing || Binding->Quiescing) {
#else
    if (Binding->Closing) {
#endif
        KeReleaseSpinLock(&Binding->Lock, OldIrql);
        return STATUS_SUCCESS;
    }
    Binding->IndicationsInProgress++;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->IndicationsInProgress--;
    CompleteDetach = (Binding->Closing && Binding->IndicationsInProgress == 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    //
    // The last indication out of a closing binding completes its detach.
    //
    if (CompleteDetach) {
        NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
    }
    return STATUS_SUCCESS;
}


static
NTSTATUS
R22Query(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    )
{
    PR22_BINDING Binding = (PR22_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}
