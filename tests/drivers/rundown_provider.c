/* rundown_provider.c - a provider of the Example NPI serving several
 * clients. Each binding has its own rundown protection: Send and Query
 * acquire it, so a detach waits for the calls in progress. A send takes a
 * request from a lookaside list and is completed from a DPC, which
 * indicates the completion to the client and then releases the request's
 * rundown reference; once ProviderDetachClient has been called no new
 * indication starts (the ProviderDetachClient page: no more calls into the
 * client; the flag and the dequeue share a lock, so an indication the DPC
 * decided on is one in progress). ProviderDetachClient may run at DISPATCH_LEVEL, so
 * it does not wait: it returns STATUS_PENDING and queues the binding's
 * IoQueueWorkItem item, which waits for the rundown at PASSIVE_LEVEL and
 * completes the detach. Unload deregisters, waits, then flushes the DPCs
 * (the DPC routine may still be returning after its last release) before
 * deleting the lookaside list and the device.
 *
 * Built with RUNDOWN_RELEASE_EARLY: the DPC releases the request's rundown
 * reference before it indicates the completion (BUG: the detach can
 * complete in between, and the indication enters the client's table after
 * the provider's detach completed: M18).
 * Built with RUNDOWN_NO_FLUSH: Unload does not flush the DPCs (BUG: the
 * DPC routine that released the last reference may still be running when
 * Unload returns: K06).
 * Scenarios: corpus/kernel/rundown-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;
static KDEFERRED_ROUTINE SendCompleteDpc;
static IO_WORKITEM_ROUTINE DetachWorker;

#define BINDING_TAG 'bRxE'
#define REQUEST_TAG 'qRxE'

typedef struct _RD_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    EX_RUNDOWN_REF Rundown;          // Send/Query/requests in progress
    BOOLEAN Detaching;               // under CompletionLock: no new indications
    PIO_WORKITEM DetachItem;         // waits for the rundown at PASSIVE_LEVEL
    volatile LONG BytesSent;
} RD_BINDING, *PRD_BINDING;

typedef struct _RD_REQUEST {
    LIST_ENTRY Link;
    PRD_BINDING Binding;
    ULONG Length;
} RD_REQUEST, *PRD_REQUEST;

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x4d6f7c21, 0x90ab, 0x4e1c, { 0x8d, 0x2f, 0x31, 0x42, 0x53, 0x64, 0x75, 0x86 } } }
};

static const EXAMPLE_PROVIDER_DISPATCH ProviderDispatchTable = { ProviderSend, ProviderQuery };

static const NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ProviderAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ProviderModuleId, 0, NULL }
};

static HANDLE NmrProviderHandle;
static PDEVICE_OBJECT ProviderDevice;
static NPAGED_LOOKASIDE_LIST RequestLookaside;
static KSPIN_LOCK CompletionLock;
static LIST_ENTRY CompletionList;
static KDPC CompletionDpc;

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PRD_BINDING Binding = (PRD_BINDING)ProviderBindingContext;
    PRD_REQUEST Request;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(Buffer);
    if (!ExAcquireRundownProtection(&Binding->Rundown)) {
        return STATUS_DEVICE_NOT_READY;                         // detaching
    }
    Request = (PRD_REQUEST)ExAllocateFromNPagedLookasideList(&RequestLookaside);
    if (Request == NULL) {
        ExReleaseRundownProtection(&Binding->Rundown);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Request->Binding = Binding;                                 // the request keeps the reference
    Request->Length = Length;
    KeAcquireSpinLock(&CompletionLock, &OldIrql);
    InsertTailList(&CompletionList, &Request->Link);
    KeReleaseSpinLock(&CompletionLock, OldIrql);
    KeInsertQueueDpc(&CompletionDpc, NULL, NULL);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    PRD_BINDING Binding = (PRD_BINDING)ProviderBindingContext;

    if (!ExAcquireRundownProtection(&Binding->Rundown)) {
        return STATUS_DEVICE_NOT_READY;
    }
    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    ExReleaseRundownProtection(&Binding->Rundown);
    return STATUS_SUCCESS;
}

/* Completes the queued sends at DISPATCH_LEVEL: each one is indicated to
 * its client, then its rundown reference goes. */
_Use_decl_annotations_
static VOID SendCompleteDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    for (;;) {
        PLIST_ENTRY Entry;
        PRD_REQUEST Request;
        PRD_BINDING Binding;
        BOOLEAN Indicate = FALSE;

        KeAcquireSpinLockAtDpcLevel(&CompletionLock);
        Entry = IsListEmpty(&CompletionList) ? NULL : RemoveHeadList(&CompletionList);
        if (Entry != NULL) {
            Indicate = !CONTAINING_RECORD(Entry, RD_REQUEST, Link)->Binding->Detaching;
        }
        KeReleaseSpinLockFromDpcLevel(&CompletionLock);
        if (Entry == NULL) {
            break;
        }
        Request = CONTAINING_RECORD(Entry, RD_REQUEST, Link);
        Binding = Request->Binding;
        InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Request->Length);
        ExFreeToNPagedLookasideList(&RequestLookaside, Request);
#ifdef RUNDOWN_RELEASE_EARLY
        ExReleaseRundownProtection(&Binding->Rundown);          // BUG: the binding may detach now
#endif
        if (Indicate) {
            Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);
        }
#ifndef RUNDOWN_RELEASE_EARLY
        ExReleaseRundownProtection(&Binding->Rundown);
#endif
    }
}

/* Waits for the binding's calls and requests at PASSIVE_LEVEL, then
 * completes the detach (the cleanup may run inside the Complete and free
 * the binding and this item: nothing of it is touched afterwards). */
_Use_decl_annotations_
static VOID DetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PRD_BINDING Binding = (PRD_BINDING)Context;
    HANDLE NmrBindingHandle = Binding->NmrBindingHandle;

    UNREFERENCED_PARAMETER(DeviceObject);
    ExWaitForRundownProtectionRelease(&Binding->Rundown);
    NmrProviderDetachClientComplete(NmrBindingHandle);
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    PRD_BINDING Binding;

    UNREFERENCED_PARAMETER(ProviderContext);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PRD_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(RD_BINDING), BINDING_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->DetachItem = IoAllocateWorkItem(ProviderDevice);
    if (Binding->DetachItem == NULL) {
        ExFreePoolWithTag(Binding, BINDING_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    Binding->BytesSent = 0;
    Binding->Detaching = FALSE;
    ExInitializeRundownProtection(&Binding->Rundown);
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &ProviderDispatchTable;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    PRD_BINDING Binding = (PRD_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&CompletionLock, &OldIrql);
    Binding->Detaching = TRUE;                                  // no indication starts from now on
    KeReleaseSpinLock(&CompletionLock, OldIrql);
    /* May be DISPATCH_LEVEL: the wait for the rundown goes to a work item. */
    IoQueueWorkItem(Binding->DetachItem, DetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    PRD_BINDING Binding = (PRD_BINDING)ProviderBindingContext;

    IoFreeWorkItem(Binding->DetachItem);                        // dequeued before its routine ran
    ExFreePoolWithTag(Binding, BINDING_TAG);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
    Status = NmrDeregisterProvider(NmrProviderHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(NmrProviderHandle);
    }
#ifndef RUNDOWN_NO_FLUSH
    KeFlushQueuedDpcs();                                        // the DPC may still be returning
#endif
    ExDeleteNPagedLookasideList(&RequestLookaside);
    IoDeleteDevice(ProviderDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_NETWORK, 0, FALSE, &ProviderDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    ExInitializeNPagedLookasideList(&RequestLookaside, NULL, NULL, 0, sizeof(RD_REQUEST), REQUEST_TAG, 0);
    KeInitializeSpinLock(&CompletionLock);
    InitializeListHead(&CompletionList);
    KeInitializeDpc(&CompletionDpc, SendCompleteDpc, NULL);
    Status = NmrRegisterProvider(&ProviderCharacteristics, NULL, &NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        ExDeleteNPagedLookasideList(&RequestLookaside);
        IoDeleteDevice(ProviderDevice);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
