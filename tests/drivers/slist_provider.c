/* slist_provider.c - a provider of the Example NPI that batches sends, the
 * way a team writes one (fifth sweep, docs/SWEEP.md).
 *
 * Send (any IRQL up to DISPATCH_LEVEL) takes a reference on the binding
 * with an InterlockedCompareExchange loop that fails once the detach has
 * begun, and pushes the request (ExAllocatePoolWithTag) onto one
 * SLIST_HEADER with InterlockedPushEntrySList. A periodic KTIMER
 * (KeSetTimerEx, 1 ms) queues a DPC that takes the whole batch with
 * InterlockedFlushSList, indicates each completion to its client (unless
 * that binding's detach was called), frees the request and drops its
 * reference; the reference that reaches zero after the detach completes it
 * with NmrProviderDetachClientComplete. ProviderDetachClient drops the
 * binding's own reference and returns STATUS_SUCCESS when it was the last,
 * else STATUS_PENDING. The bindings are in a list under an in-stack queued
 * spin lock (the DPC walks it at DISPATCH_LEVEL for its statistics).
 * Unload deregisters and waits, cancels the timer and flushes the DPCs,
 * then frees what is left on the list.
 *
 * Built with SLIST_RACY_REFERENCE: Send checks Detaching before it
 * allocates the request and takes the reference after (BUG: the detach can
 * drop the last reference and return STATUS_SUCCESS in between; the request
 * then references a binding whose detach completed, and NMR may clean it up
 * before the DPC takes the request: found as the Unload's NT_ASSERT that no
 * request is left (K07), or the DPC completing a detach that returned
 * SUCCESS (M15), or touching the freed binding (M19)).
 * Scenarios: corpus/kernel/slist-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD SlUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN SlAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN SlDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN SlCleanupBinding;
static EXAMPLE_SEND_FN SlSend;
static EXAMPLE_QUERY_FN SlQuery;
static KDEFERRED_ROUTINE SlFlushDpc;

#define SL_BINDING_TAG 'bLSx'
#define SL_REQUEST_TAG 'rLSx'

typedef struct _SL_BINDING {
    LIST_ENTRY Link;                       // SlBindings, under SlLock
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    volatile LONG References;              // 1 for the binding itself, 1 per request in flight
    volatile LONG Detaching;
    volatile LONG BytesSent;
} SL_BINDING, *PSL_BINDING;

typedef struct _SL_REQUEST {
    SLIST_ENTRY Entry;                     // first: the SLIST links through it
    PSL_BINDING Binding;
    ULONG Length;
} SL_REQUEST, *PSL_REQUEST;

static const NPI_MODULEID SlModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x2b9d6f30, 0x4c1e, 0x4a72, { 0x8e, 0x53, 0x6a, 0x7b, 0x8c, 0x9d, 0xae, 0xbf } } }
};

static const EXAMPLE_PROVIDER_DISPATCH SlDispatch = { SlSend, SlQuery };

static const NPI_PROVIDER_CHARACTERISTICS SlCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    SlAttachClient, SlDetachClient, SlCleanupBinding,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &NPI_EXAMPLE_ID, &SlModuleId, 0, NULL }
};

static HANDLE SlNmrHandle;
static KSPIN_LOCK SlLock;
static LIST_ENTRY SlBindings;             // under SlLock
static DECLSPEC_ALIGN(16) SLIST_HEADER SlPending;
static KTIMER SlTimer;
static KDPC SlDpc;
static ULONG SlBatches;                    // the DPC's own (one DPC object: never concurrent with itself)

/* A reference for one request, unless the detach has begun. */
static BOOLEAN SlReference(PSL_BINDING Binding)
{
#ifdef SLIST_RACY_REFERENCE
    InterlockedIncrement(&Binding->References);     // Send checked Detaching before it allocated
    return TRUE;
#else
    for (;;) {
        LONG Old = Binding->References;
        if (Old == 0 || Binding->Detaching) {
            return FALSE;
        }
        if (InterlockedCompareExchange(&Binding->References, Old + 1, Old) == Old) {
            return TRUE;
        }
    }
#endif
}

/* The last reference after the detach callback completes the detach; the
 * cleanup callback (maybe run inside the Complete) frees the binding. */
static VOID SlDereference(PSL_BINDING Binding)
{
    HANDLE NmrBindingHandle = Binding->NmrBindingHandle;

    if (InterlockedDecrement(&Binding->References) == 0) {
        NmrProviderDetachClientComplete(NmrBindingHandle);
    }
}

_Use_decl_annotations_
static NTSTATUS SlSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PSL_BINDING Binding = (PSL_BINDING)ProviderBindingContext;
    PSL_REQUEST Request;

    UNREFERENCED_PARAMETER(Buffer);
#ifdef SLIST_RACY_REFERENCE
    if (Binding->Detaching) {                       // checked here, the reference taken later
        return STATUS_DEVICE_NOT_READY;
    }
#endif
    Request = (PSL_REQUEST)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SL_REQUEST), SL_REQUEST_TAG);
    if (Request == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (!SlReference(Binding)) {
        ExFreePoolWithTag(Request, SL_REQUEST_TAG);
        return STATUS_DEVICE_NOT_READY;
    }
    Request->Binding = Binding;
    Request->Length = Length;
    InterlockedPushEntrySList(&SlPending, &Request->Entry);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static NTSTATUS SlQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    *BytesSent = (ULONG)InterlockedCompareExchange(&((PSL_BINDING)ProviderBindingContext)->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID SlFlushDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PSLIST_ENTRY Entry;
    KLOCK_QUEUE_HANDLE LockHandle;
    ULONG Bound = 0;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    Entry = InterlockedFlushSList(&SlPending);
    while (Entry != NULL) {
        PSL_REQUEST Request = CONTAINING_RECORD(Entry, SL_REQUEST, Entry);
        PSL_BINDING Binding = Request->Binding;
        Entry = Entry->Next;
        InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Request->Length);
        if (!Binding->Detaching) {
            Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);
        }
        ExFreePoolWithTag(Request, SL_REQUEST_TAG);
        SlDereference(Binding);
    }

    KeAcquireInStackQueuedSpinLockAtDpcLevel(&SlLock, &LockHandle);
    for (PLIST_ENTRY Link = SlBindings.Flink; Link != &SlBindings; Link = Link->Flink) {
        Bound++;
    }
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&LockHandle);
    if (Bound != 0) {
        SlBatches++;
    }
}

_Use_decl_annotations_
static NTSTATUS SlAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                               PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance, PVOID ClientBindingContext,
                               CONST VOID *ClientDispatch, PVOID *ProviderBindingContext,
                               CONST VOID **ProviderDispatch)
{
    PSL_BINDING Binding;
    KLOCK_QUEUE_HANDLE LockHandle;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);
    Binding = (PSL_BINDING)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SL_BINDING), SL_BINDING_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(Binding, sizeof(*Binding));
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    Binding->References = 1;
    KeAcquireInStackQueuedSpinLock(&SlLock, &LockHandle);
    InsertTailList(&SlBindings, &Binding->Link);
    KeReleaseInStackQueuedSpinLock(&LockHandle);
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &SlDispatch;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS SlDetachClient(PVOID ProviderBindingContext)
{
    PSL_BINDING Binding = (PSL_BINDING)ProviderBindingContext;

    InterlockedExchange(&Binding->Detaching, 1);
    if (InterlockedDecrement(&Binding->References) == 0) {
        return STATUS_SUCCESS;                      // no request in flight
    }
    return STATUS_PENDING;                          // the DPC's last dereference completes
}

_Use_decl_annotations_
static VOID SlCleanupBinding(PVOID ProviderBindingContext)
{
    PSL_BINDING Binding = (PSL_BINDING)ProviderBindingContext;
    KLOCK_QUEUE_HANDLE LockHandle;

    KeAcquireInStackQueuedSpinLock(&SlLock, &LockHandle);
    RemoveEntryList(&Binding->Link);
    KeReleaseInStackQueuedSpinLock(&LockHandle);
    ExFreePoolWithTag(Binding, SL_BINDING_TAG);
}

_Use_decl_annotations_
static VOID SlUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterProvider(SlNmrHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(SlNmrHandle);
    }
    // Every binding is cleaned up, so every request was flushed by the DPC.
    KeCancelTimer(&SlTimer);
    KeFlushQueuedDpcs();
    NT_ASSERT(InterlockedFlushSList(&SlPending) == NULL);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER DueTime;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&SlLock);
    InitializeListHead(&SlBindings);
    InitializeSListHead(&SlPending);
    KeInitializeTimerEx(&SlTimer, SynchronizationTimer);
    KeInitializeDpc(&SlDpc, SlFlushDpc, NULL);
    DueTime.QuadPart = -10 * 1000;
    KeSetTimerEx(&SlTimer, DueTime, 1, &SlDpc);     // every millisecond
    Status = NmrRegisterProvider(&SlCharacteristics, NULL, &SlNmrHandle);
    if (!NT_SUCCESS(Status)) {
        KeCancelTimer(&SlTimer);
        KeFlushQueuedDpcs();
        return Status;
    }
    DriverObject->DriverUnload = SlUnload;
    return STATUS_SUCCESS;
}
