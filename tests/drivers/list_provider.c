/* list_provider.c - a provider of the Example NPI that keeps its bindings
 * in a list and indicates to every bound client from a notifier system
 * thread, the way event sources (netevent, pktmon) fan out.
 *
 * The list is under a spin lock (ProviderDetachClient may run at
 * DISPATCH_LEVEL, so nothing it takes may be a PASSIVE-only lock). Each
 * binding is reference counted: the list holds one reference; Send, Query
 * and the notifier take one under the lock while the binding is not
 * detaching, and call the client (or do the work) outside it. The detach
 * unlinks the binding and drops the list's reference: if that was the last
 * one it returns STATUS_SUCCESS, else STATUS_PENDING and whoever drops the
 * last reference completes the detach (the in-flight-count pattern; its
 * Complete may come before the detach callback returned PENDING). Binding
 * blocks come from a LOOKASIDE_LIST_EX. Unload deregisters and waits (the
 * notifier still runs and may complete detaches), then stops the notifier
 * and waits for its thread object, then deletes the lookaside list.
 *
 * Built with LIST_REF_AFTER_UNLOCK: the notifier copies the bindings under
 * the lock but takes their references after releasing it (BUG: a binding
 * may detach, complete and be cleaned up in between, and the notifier then
 * indicates on it). Scenarios: corpus/kernel/list-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;
static KSTART_ROUTINE NotifierThread;

#define LIST_TAG 'tsLE'
#define LIST_NOTIFY_MAX 8

typedef struct _LP_BINDING {
    LIST_ENTRY Link;                 // in BindingList while not detaching
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    volatile LONG References;        // the list's one, plus each call in progress
    BOOLEAN Detaching;               // under BindingLock
    volatile LONG BytesSent;
} LP_BINDING, *PLP_BINDING;

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a1c3e52, 0x64d0, 0x4b2f, { 0x9e, 0x81, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f } } }
};

static const EXAMPLE_PROVIDER_DISPATCH ProviderDispatchTable = { ProviderSend, ProviderQuery };

static const NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ProviderAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ProviderModuleId, 0, NULL }
};

static HANDLE NmrProviderHandle;
static KSPIN_LOCK BindingLock;
static LIST_ENTRY BindingList;
static LOOKASIDE_LIST_EX BindingLookaside;
static KEVENT StopEvent;
static PKTHREAD Notifier;

/* Takes a reference unless the binding is detaching. Caller holds BindingLock. */
static BOOLEAN ReferenceBindingLocked(PLP_BINDING Binding)
{
    if (Binding->Detaching) {
        return FALSE;
    }
    InterlockedIncrement(&Binding->References);
    return TRUE;
}

/* Drops a reference; the last one completes a pending detach. Nothing of
 * the binding is touched after the Complete (its cleanup frees it). */
static VOID DereferenceBinding(PLP_BINDING Binding)
{
    HANDLE NmrBindingHandle = Binding->NmrBindingHandle;

    if (InterlockedDecrement(&Binding->References) == 0) {
        NmrProviderDetachClientComplete(NmrBindingHandle);
    }
}

static BOOLEAN ReferenceBinding(PLP_BINDING Binding)
{
    KIRQL OldIrql;
    BOOLEAN Referenced;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Referenced = ReferenceBindingLocked(Binding);
    KeReleaseSpinLock(&BindingLock, OldIrql);
    return Referenced;
}

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PLP_BINDING Binding = (PLP_BINDING)ProviderBindingContext;

    UNREFERENCED_PARAMETER(Buffer);
    if (!ReferenceBinding(Binding)) {
        return STATUS_DEVICE_NOT_READY;
    }
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);
    DereferenceBinding(Binding);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    PLP_BINDING Binding = (PLP_BINDING)ProviderBindingContext;

    if (!ReferenceBinding(Binding)) {
        return STATUS_DEVICE_NOT_READY;
    }
    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    DereferenceBinding(Binding);
    return STATUS_SUCCESS;
}

/* Every millisecond, tells each bound client that its sends went out. */
_Use_decl_annotations_
static VOID NotifierThread(PVOID StartContext)
{
    LARGE_INTEGER Period;

    UNREFERENCED_PARAMETER(StartContext);
    Period.QuadPart = -10 * 1000;
    while (KeWaitForSingleObject(&StopEvent, Executive, KernelMode, FALSE, &Period) == STATUS_TIMEOUT) {
        PLP_BINDING Batch[LIST_NOTIFY_MAX];
        ULONG Count = 0, Index;
        PLIST_ENTRY Entry;
        KIRQL OldIrql;

        KeAcquireSpinLock(&BindingLock, &OldIrql);
        for (Entry = BindingList.Flink; Entry != &BindingList && Count < LIST_NOTIFY_MAX; Entry = Entry->Flink) {
            PLP_BINDING Binding = CONTAINING_RECORD(Entry, LP_BINDING, Link);
#ifdef LIST_REF_AFTER_UNLOCK
            Batch[Count++] = Binding;
#else
            if (ReferenceBindingLocked(Binding)) {
                Batch[Count++] = Binding;
            }
#endif
        }
        KeReleaseSpinLock(&BindingLock, OldIrql);
        for (Index = 0; Index < Count; Index++) {
#ifdef LIST_REF_AFTER_UNLOCK
            InterlockedIncrement(&Batch[Index]->References);   // BUG: it may be detached and gone by now
#endif
            Batch[Index]->ClientDispatch->Indicate(Batch[Index]->ClientBindingContext,
                                                   EXAMPLE_INDICATE_SEND_COMPLETE);
            DereferenceBinding(Batch[Index]);
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    PLP_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderContext);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PLP_BINDING)ExAllocateFromLookasideListEx(&BindingLookaside);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(Binding, sizeof(*Binding));
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    Binding->References = 1;
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &ProviderDispatchTable;
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    InsertTailList(&BindingList, &Binding->Link);
    KeReleaseSpinLock(&BindingLock, OldIrql);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    PLP_BINDING Binding = (PLP_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Binding->Detaching = TRUE;
    RemoveEntryList(&Binding->Link);
    KeReleaseSpinLock(&BindingLock, OldIrql);
    if (InterlockedDecrement(&Binding->References) == 0) {
        return STATUS_SUCCESS;
    }
    return STATUS_PENDING;          // the last DereferenceBinding completes it
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    ExFreeToLookasideListEx(&BindingLookaside, ProviderBindingContext);
}

static VOID StopNotifier(VOID)
{
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Notifier, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Notifier);
    Notifier = NULL;
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
    StopNotifier();
    ExDeleteLookasideListEx(&BindingLookaside);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    HANDLE ThreadHandle;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&BindingLock);
    InitializeListHead(&BindingList);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    Status = ExInitializeLookasideListEx(&BindingLookaside, NULL, NULL, NonPagedPoolNx, 0,
                                         sizeof(LP_BINDING), LIST_TAG, 0);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, NotifierThread, NULL);
    if (!NT_SUCCESS(Status)) {
        ExDeleteLookasideListEx(&BindingLookaside);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                       (PVOID *)&Notifier, NULL);
    ZwClose(ThreadHandle);
    ASSERT(NT_SUCCESS(Status));     // our own thread's handle, just returned
    Status = NmrRegisterProvider(&ProviderCharacteristics, NULL, &NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        StopNotifier();
        ExDeleteLookasideListEx(&BindingLookaside);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
