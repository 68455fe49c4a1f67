/* rwlock_provider.c - a provider of the Example NPI whose bindings live in a
 * table read far more often than written, the way a team writes one
 * (sixth sweep, docs/SWEEP.md), around facilities the earlier test drivers
 * did not use.
 *
 * The binding table is guarded by an executive reader/writer spin lock
 * (EX_SPIN_LOCK): Send and Query look their binding up shared
 * (ExAcquireSpinLockShared), attach, detach and cleanup change the table
 * exclusive. Send takes a reference on the binding under the shared lock
 * (refused once the detach marked it, which it does exclusive), counts the
 * bytes in the provider's statistics with InterlockedExchangeAdd64, and
 * queues the request (ExAllocatePoolZero) on a list of the ExInterlocked
 * kind; a threaded DPC (KeInitializeThreadedDpc, KeSetImportanceDpc)
 * drains it with ExInterlockedRemoveHeadList, indicates each completion
 * (unless the binding's detach was called), frees the request and drops its
 * reference. ProviderDetachClient marks and unlinks the binding and drops
 * the table's reference: STATUS_SUCCESS when it was the last, else
 * STATUS_PENDING, and the DPC's last dereference completes. The DPC's
 * importance and the statistics snapshot use ExTryConvertSharedSpinLockExclusive
 * (a Query that finds the snapshot stale refreshes it when it is the only
 * reader). Unload deregisters and waits, takes the DPC out of the queue
 * (KeRemoveQueueDpc) and flushes it (KeFlushQueuedDpcs).
 *
 * Built with RW_STATS_UNDER_SHARED: Send adds to the statistics with plain
 * `+=` because "the table lock is held" (BUG: it is held shared, so two
 * senders are in at once and updates are lost: K11 on RwStats).
 * Scenarios: corpus/kernel/rwlock-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD RwUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN RwAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN RwDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN RwCleanupBinding;
static EXAMPLE_SEND_FN RwSend;
static EXAMPLE_QUERY_FN RwQuery;
static KDEFERRED_ROUTINE RwCompletionDpc;

#define RW_BINDING_TAG 'bWRx'
#define RW_REQUEST_TAG 'rWRx'

typedef struct _RW_BINDING {
    LIST_ENTRY Link;                       // RwBindings, under RwTableLock exclusive
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    volatile LONG References;              // 1 for the table, 1 per request in flight
    BOOLEAN Detaching;                     // written under RwTableLock exclusive
    BOOLEAN Linked;                        // on RwBindings (exclusive)
    volatile LONG BytesSent;
} RW_BINDING, *PRW_BINDING;

typedef struct _RW_REQUEST {
    LIST_ENTRY Link;                       // RwQueue, under RwQueueLock
    PRW_BINDING Binding;
    ULONG Length;
} RW_REQUEST, *PRW_REQUEST;

typedef struct _RW_STATS {
    LONG64 Sends;
    LONG64 Bytes;
} RW_STATS;

static const NPI_MODULEID RwModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x6d1f2a84, 0x93c5, 0x4e27, { 0xb1, 0x48, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71 } } }
};

static const EXAMPLE_PROVIDER_DISPATCH RwDispatch = { RwSend, RwQuery };

static const NPI_PROVIDER_CHARACTERISTICS RwCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    RwAttachClient, RwDetachClient, RwCleanupBinding,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &NPI_EXAMPLE_ID, &RwModuleId, 0, NULL }
};

static HANDLE RwNmrHandle;
static EX_SPIN_LOCK RwTableLock;
static LIST_ENTRY RwBindings;              // under RwTableLock exclusive
static KSPIN_LOCK RwQueueLock;
static LIST_ENTRY RwQueue;                 // ExInterlocked*List with RwQueueLock
static KDPC RwDpc;
static RW_STATS RwStats;                   // Send's counters (interlocked)
static RW_STATS RwSnapshot;                // under RwTableLock exclusive; read shared
static ULONG RwBatches;                    // the DPC's own (one DPC object: never concurrent with itself)

/* The last reference after the detach callback completes the detach; the
 * cleanup callback (maybe run inside the Complete) frees the binding. */
static VOID RwDereference(PRW_BINDING Binding)
{
    HANDLE NmrBindingHandle = Binding->NmrBindingHandle;

    if (InterlockedDecrement(&Binding->References) == 0) {
        NmrProviderDetachClientComplete(NmrBindingHandle);
    }
}

_Use_decl_annotations_
static NTSTATUS RwSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PRW_BINDING Binding = (PRW_BINDING)ProviderBindingContext;
    PRW_REQUEST Request;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(Buffer);
    Request = (PRW_REQUEST)ExAllocatePoolZero(NonPagedPoolNx, sizeof(RW_REQUEST), RW_REQUEST_TAG);
    if (Request == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    OldIrql = ExAcquireSpinLockShared(&RwTableLock);
    if (Binding->Detaching) {
        ExReleaseSpinLockShared(&RwTableLock, OldIrql);
        ExFreePoolWithTag(Request, RW_REQUEST_TAG);
        return STATUS_DEVICE_NOT_READY;
    }
    InterlockedIncrement(&Binding->References);
#ifdef RW_STATS_UNDER_SHARED
    RwStats.Sends += 1;
    RwStats.Bytes += Length;
#else
    InterlockedIncrement64(&RwStats.Sends);
    InterlockedExchangeAdd64(&RwStats.Bytes, Length);
#endif
    ExReleaseSpinLockShared(&RwTableLock, OldIrql);

    Request->Binding = Binding;
    Request->Length = Length;
    ExInterlockedInsertTailList(&RwQueue, &Request->Link, &RwQueueLock);
    KeInsertQueueDpc(&RwDpc, NULL, NULL);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static NTSTATUS RwQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    PRW_BINDING Binding = (PRW_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    OldIrql = ExAcquireSpinLockShared(&RwTableLock);
    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    if (RwSnapshot.Sends != ReadNoFence64(&RwStats.Sends) && ExTryConvertSharedSpinLockExclusive(&RwTableLock)) {
        // The only reader: refresh the snapshot the table lock guards.
        RwSnapshot.Sends = ReadNoFence64(&RwStats.Sends);
        RwSnapshot.Bytes = ReadNoFence64(&RwStats.Bytes);
        ExReleaseSpinLockExclusive(&RwTableLock, OldIrql);
        return STATUS_SUCCESS;
    }
    ExReleaseSpinLockShared(&RwTableLock, OldIrql);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID RwCompletionDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PLIST_ENTRY Entry;
    ULONG Done = 0;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    while ((Entry = ExInterlockedRemoveHeadList(&RwQueue, &RwQueueLock)) != NULL) {
        PRW_REQUEST Request = CONTAINING_RECORD(Entry, RW_REQUEST, Link);
        PRW_BINDING Binding = Request->Binding;
        BOOLEAN Detaching;
        KIRQL OldIrql;

        InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Request->Length);
        OldIrql = ExAcquireSpinLockShared(&RwTableLock);
        Detaching = Binding->Detaching;
        ExReleaseSpinLockShared(&RwTableLock, OldIrql);
        if (!Detaching) {
            Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);
        }
        ExFreePoolWithTag(Request, RW_REQUEST_TAG);
        RwDereference(Binding);
        Done++;
    }
    if (Done != 0) {
        RwBatches++;
    }
}

_Use_decl_annotations_
static NTSTATUS RwAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                               PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance, PVOID ClientBindingContext,
                               CONST VOID *ClientDispatch, PVOID *ProviderBindingContext,
                               CONST VOID **ProviderDispatch)
{
    PRW_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);
    Binding = (PRW_BINDING)ExAllocatePoolZero(NonPagedPoolNx, sizeof(RW_BINDING), RW_BINDING_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    Binding->References = 1;
    OldIrql = ExAcquireSpinLockExclusive(&RwTableLock);
    InsertTailList(&RwBindings, &Binding->Link);
    Binding->Linked = TRUE;
    ExReleaseSpinLockExclusive(&RwTableLock, OldIrql);
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &RwDispatch;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS RwDetachClient(PVOID ProviderBindingContext)
{
    PRW_BINDING Binding = (PRW_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    OldIrql = ExAcquireSpinLockExclusive(&RwTableLock);
    Binding->Detaching = TRUE;                      // no Send takes a reference after this
    RemoveEntryList(&Binding->Link);
    Binding->Linked = FALSE;
    ExReleaseSpinLockExclusive(&RwTableLock, OldIrql);
    if (InterlockedDecrement(&Binding->References) == 0) {
        return STATUS_SUCCESS;                      // no request in flight
    }
    return STATUS_PENDING;                          // the DPC's last dereference completes
}

_Use_decl_annotations_
static VOID RwCleanupBinding(PVOID ProviderBindingContext)
{
    PRW_BINDING Binding = (PRW_BINDING)ProviderBindingContext;

    NT_ASSERT(!Binding->Linked);
    ExFreePoolWithTag(Binding, RW_BINDING_TAG);
}

_Use_decl_annotations_
static VOID RwUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterProvider(RwNmrHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(RwNmrHandle);
    }
    // Every binding is cleaned up, so every request was taken by the DPC;
    // its last run may still be returning.
    KeRemoveQueueDpc(&RwDpc);
    KeFlushQueuedDpcs();
    NT_ASSERT(IsListEmpty(&RwQueue));
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    RwTableLock = 0;
    InitializeListHead(&RwBindings);
    KeInitializeSpinLock(&RwQueueLock);
    InitializeListHead(&RwQueue);
    KeInitializeThreadedDpc(&RwDpc, RwCompletionDpc, NULL);
    KeSetImportanceDpc(&RwDpc, MediumHighImportance);
    Status = NmrRegisterProvider(&RwCharacteristics, NULL, &RwNmrHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    DriverObject->DriverUnload = RwUnload;
    return STATUS_SUCCESS;
}
