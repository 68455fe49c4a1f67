/*++

Module Name:

    r31_mutex_at_dispatch.c

Abstract:

    Racy-bug benchmark case r31 (K01 irql-mismatch): a provider of the
    Example NPI that tells its client about the send completions (inside
    Send) and, every 10 ms, about the link state (from a periodic timer's
    DPC). Both are calls into the client, counted per binding: the detach
    pends while one is in progress, and the last one out completes it
    through R31FinishDetach, which first records the detach in a history
    the diagnostics read at PASSIVE_LEVEL, under a fast mutex.

    The bug: R31FinishDetach was written for the send path, which runs at
    the client's IRQL (PASSIVE_LEVEL in practice). When the link DPC's
    indication is the last one out, it runs at DISPATCH_LEVEL and
    ExAcquireFastMutex is called above APC_LEVEL. It needs the link timer
    to fire while the client is bound, and the detach while the DPC's
    indication is in progress, with no send in progress when it returns.

    RACY_FIXED: the history is guarded by a spin lock.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R31_POOL_TAG 0x31335252 // 'RR31'
#define R31_LINK_PERIOD_MS 10
#define R31_INDICATE_LINK_UP 2
#define R31_HISTORY 8

typedef struct _R31_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    KSPIN_LOCK Lock;                        // protects Closing and IndicationsInProgress
    BOOLEAN Closing;
    ULONG IndicationsInProgress;
    volatile LONG BytesSent;
} R31_BINDING, *PR31_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R31Unload;
static NPI_PROVIDER_ATTACH_CLIENT_FN R31AttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN R31DetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN R31CleanupBindingContext;
static EXAMPLE_SEND_FN R31Send;
static EXAMPLE_QUERY_FN R31Query;
static KDEFERRED_ROUTINE R31LinkDpc;

static CONST EXAMPLE_PROVIDER_DISPATCH R31Dispatch = { R31Send, R31Query };

static CONST NPI_MODULEID R31ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0031, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x31 } } }
};

static CONST NPI_PROVIDER_CHARACTERISTICS R31Characteristics = {
    0,
    sizeof(NPI_PROVIDER_CHARACTERISTICS),
    R31AttachClient,
    R31DetachClient,
    R31CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R31ModuleId, 0, NULL }
};

static HANDLE R31ProviderHandle;
static KSPIN_LOCK R31BindingLock;           // protects R31CurrentBinding
static PR31_BINDING R31CurrentBinding;
static KTIMER R31LinkTimer;
static KDPC R31LinkDpcObject;
#ifdef RACY_FIXED
static KSPIN_LOCK R31HistoryLock;
#else
static FAST_MUTEX R31HistoryLock;
#endif
static ULONG R31HistoryBytes[R31_HISTORY];  // bytes sent by each binding whose detach was deferred
static ULONG R31HistoryNext;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    LARGE_INTEGER DueTime;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R31BindingLock);
#ifdef RACY_FIXED
    KeInitializeSpinLock(&R31HistoryLock);
#else
    ExInitializeFastMutex(&R31HistoryLock);
#endif
    KeInitializeTimer(&R31LinkTimer);
    KeInitializeDpc(&R31LinkDpcObject, R31LinkDpc, NULL);

    DriverObject->DriverUnload = R31Unload;

    Status = NmrRegisterProvider(&R31Characteristics, NULL, &R31ProviderHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    DueTime.QuadPart = -10000LL * R31_LINK_PERIOD_MS;
    KeSetTimerEx(&R31LinkTimer, DueTime, R31_LINK_PERIOD_MS, &R31LinkDpcObject);
    return STATUS_SUCCESS;
}


static
VOID
R31Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    KeCancelTimer(&R31LinkTimer);
    KeFlushQueuedDpcs();
    if (NmrDeregisterProvider(R31ProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(R31ProviderHandle);
    }
}


static
NTSTATUS
R31AttachClient(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ProviderContext,
    _In_ PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
    _In_ PVOID ClientBindingContext,
    _In_ CONST VOID *ClientDispatch,
    _Out_ PVOID *ProviderBindingContext,
    _Out_ CONST VOID **ProviderDispatch
    )
{
    PR31_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);

    if (ClientDispatch == NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R31_BINDING), R31_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    KeInitializeSpinLock(&Binding->Lock);

    KeAcquireSpinLock(&R31BindingLock, &OldIrql);
    if (R31CurrentBinding == NULL) {
        R31CurrentBinding = Binding;
    }
    KeReleaseSpinLock(&R31BindingLock, OldIrql);

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &R31Dispatch;
    return STATUS_SUCCESS;
}


static
NTSTATUS
R31DetachClient(
    _In_ PVOID ProviderBindingContext
    )
{
    PR31_BINDING Binding = (PR31_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&R31BindingLock, &OldIrql);
    if (R31CurrentBinding == Binding) {
        R31CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R31BindingLock, OldIrql);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
    Pending = (Binding->IndicationsInProgress != 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R31CleanupBindingContext(
    _In_ PVOID ProviderBindingContext
    )
{
    ExFreePoolWithTag(ProviderBindingContext, R31_POOL_TAG);
}


//
// Records a deferred detach and completes it. The binding may be cleaned
// up inside the Complete.
//
static
VOID
R31FinishDetach(
    _In_ PR31_BINDING Binding
    )
{
#ifdef RACY_FIXED
    KIRQL OldIrql;

    KeAcquireSpinLock(&R31HistoryLock, &OldIrql);
#else
    ExAcquireFastMutex(&R31HistoryLock);
#endif
    R31HistoryBytes[R31HistoryNext] = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    R31HistoryNext = (R31HistoryNext + 1) % R31_HISTORY;
#ifdef RACY_FIXED
    KeReleaseSpinLock(&R31HistoryLock, OldIrql);
#else
    ExReleaseFastMutex(&R31HistoryLock);
#endif
    NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
}


//
// Drops a call into the client; the last call out of a closing binding
// completes its detach.
//
static
VOID
R31ReleaseIndication(
    _In_ PR31_BINDING Binding
    )
{
    KIRQL OldIrql;
    BOOLEAN CompleteDetach;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->IndicationsInProgress--;
    CompleteDetach = (Binding->Closing && Binding->IndicationsInProgress == 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    if (CompleteDetach) {
        R31FinishDetach(Binding);
    }
}


static
NTSTATUS
R31Send(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PR31_BINDING Binding = (PR31_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    if (Buffer == NULL && Length != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);

    //
    // No call into the client once the detach started.
    //
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    if (Binding->Closing) {
        KeReleaseSpinLock(&Binding->Lock, OldIrql);
        return STATUS_SUCCESS;
    }
    Binding->IndicationsInProgress++;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);
    R31ReleaseIndication(Binding);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R31Query(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    )
{
    PR31_BINDING Binding = (PR31_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}


static
VOID
R31LinkDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    PR31_BINDING Binding;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    //
    // Take a call on the current binding while it cannot be detached: the
    // detach removes it under R31BindingLock first.
    //
    KeAcquireSpinLockAtDpcLevel(&R31BindingLock);
    Binding = R31CurrentBinding;
    if (Binding != NULL) {
        KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
        Binding->IndicationsInProgress++;
        KeReleaseSpinLockFromDpcLevel(&Binding->Lock);
    }
    KeReleaseSpinLockFromDpcLevel(&R31BindingLock);
    if (Binding == NULL) {
        return;
    }

    Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, R31_INDICATE_LINK_UP);
    R31ReleaseIndication(Binding);
}
