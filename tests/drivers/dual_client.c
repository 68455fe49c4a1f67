/* dual_client.c - a client of the Example NPI that attaches to up to two
 * providers and sends through one of them, the preferred one (the first
 * attached; when it detaches, the other). A system thread started by
 * DriverEntry polls with KeDelayExecutionThread until a provider is bound
 * and sends a few packets. Each binding counts its calls in progress under
 * the client's lock and has an Idle event, set when the count drops to
 * zero. ClientDetachProvider may run at DISPATCH_LEVEL: if calls are in
 * progress it queues the binding's work item, which waits for Idle at
 * PASSIVE_LEVEL and completes the detach. DriverEntry registers before
 * creating the thread, so its error path deregisters and waits. Unload
 * stops the thread, waits for the thread object, deregisters and waits.
 *
 * Built with DUAL_COUNT_LATE: the sender counts its call after it dropped
 * the lock (BUG: the detach can see no call in progress, return SUCCESS,
 * and the send enters the provider's table after the client's detach
 * completed: M18, or after the cleanup freed the binding).
 * Scenarios: corpus/kernel/dual-*.nmr, rundown-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static KSTART_ROUTINE SenderThread;
static IO_WORKITEM_ROUTINE DrainWorker;

#define DUAL_TAG 'lDxE'
#define DUAL_MAX_PROVIDERS 2
#define DUAL_SEND_COUNT 4
#define DUAL_POLL_TRIES 8

typedef struct _DUAL_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    LONG CallsInProgress;            // under ClientLock
    BOOLEAN Detaching;               // under ClientLock
    KEVENT Idle;                     // set while CallsInProgress == 0
    PIO_WORKITEM DrainItem;
    volatile LONG Indications;
} DUAL_BINDING, *PDUAL_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x2c7e9a14, 0x3b5d, 0x4f60, { 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatchTable = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static PDEVICE_OBJECT ClientDevice;
static KSPIN_LOCK ClientLock;
static PDUAL_BINDING Bindings[DUAL_MAX_PROVIDERS];   // under ClientLock
static PDUAL_BINDING Preferred;                      // under ClientLock
static KEVENT StopEvent;
static PKTHREAD Sender;

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    PDUAL_BINDING Binding = (PDUAL_BINDING)ClientBindingContext;

    if (Indication == EXAMPLE_INDICATE_SEND_COMPLETE) {
        InterlockedIncrement(&Binding->Indications);
    }
}

/* The call through the preferred binding; the count taken under the lock
 * keeps the binding (and its detach) until the call returned. */
static NTSTATUS SendOnce(ULONG Sequence)
{
    PDUAL_BINDING Binding;
    KIRQL OldIrql;
    NTSTATUS Status;

    KeAcquireSpinLock(&ClientLock, &OldIrql);
    Binding = Preferred;
    if (Binding == NULL) {
        KeReleaseSpinLock(&ClientLock, OldIrql);
        return STATUS_DEVICE_NOT_READY;
    }
#ifndef DUAL_COUNT_LATE
    if (Binding->CallsInProgress++ == 0) {
        KeClearEvent(&Binding->Idle);
    }
#endif
    KeReleaseSpinLock(&ClientLock, OldIrql);
#ifdef DUAL_COUNT_LATE
    KeAcquireSpinLock(&ClientLock, &OldIrql);                   // BUG: the binding may have detached meanwhile
    if (Binding->CallsInProgress++ == 0) {
        KeClearEvent(&Binding->Idle);
    }
    KeReleaseSpinLock(&ClientLock, OldIrql);
#endif

    Status = Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, &Sequence, sizeof Sequence);

    KeAcquireSpinLock(&ClientLock, &OldIrql);
    if (--Binding->CallsInProgress == 0) {
        KeSetEvent(&Binding->Idle, IO_NO_INCREMENT, FALSE);     // a pending detach may go on
    }
    KeReleaseSpinLock(&ClientLock, OldIrql);
    return Status;
}

_Use_decl_annotations_
static VOID SenderThread(PVOID StartContext)
{
    LARGE_INTEGER Poll;
    ULONG Sent = 0, Tries = 0;

    UNREFERENCED_PARAMETER(StartContext);
    Poll.QuadPart = -10 * 1000;                                 // 1 ms
    while (Sent < DUAL_SEND_COUNT && Tries < DUAL_POLL_TRIES) {
        if (KeReadStateEvent(&StopEvent)) {
            break;
        }
        if (NT_SUCCESS(SendOnce(Sent)) || Sent > 0) {
            Sent++;
        } else {
            Tries++;                                            // no provider bound yet
        }
        KeDelayExecutionThread(KernelMode, FALSE, &Poll);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID DrainWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PDUAL_BINDING Binding = (PDUAL_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    KeWaitForSingleObject(&Binding->Idle, Executive, KernelMode, FALSE, NULL);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);  // the binding may be gone after this
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PDUAL_BINDING Binding;
    CONST VOID *ProviderDispatch = NULL;
    KIRQL OldIrql;
    NTSTATUS Status;
    ULONG Slot;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PDUAL_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(DUAL_BINDING), DUAL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->DrainItem = IoAllocateWorkItem(ClientDevice);
    if (Binding->DrainItem == NULL) {
        ExFreePoolWithTag(Binding, DUAL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ProviderDispatch = NULL;                           // not usable until attached
    Binding->CallsInProgress = 0;
    Binding->Detaching = FALSE;
    Binding->Indications = 0;
    KeInitializeEvent(&Binding->Idle, NotificationEvent, TRUE);

    /* A slot first: a third provider is declined before binding. */
    KeAcquireSpinLock(&ClientLock, &OldIrql);
    for (Slot = 0; Slot < DUAL_MAX_PROVIDERS && Bindings[Slot] != NULL; Slot++) {
    }
    if (Slot < DUAL_MAX_PROVIDERS) {
        Bindings[Slot] = Binding;                               // reserved, not yet usable
    }
    KeReleaseSpinLock(&ClientLock, OldIrql);
    if (Slot == DUAL_MAX_PROVIDERS) {
        IoFreeWorkItem(Binding->DrainItem);
        ExFreePoolWithTag(Binding, DUAL_TAG);
        return STATUS_NOINTERFACE;
    }

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatchTable,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    KeAcquireSpinLock(&ClientLock, &OldIrql);
    if (NT_SUCCESS(Status)) {
        Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
        if (Preferred == NULL) {
            Preferred = Binding;
        }
    } else {
        Bindings[Slot] = NULL;
    }
    KeReleaseSpinLock(&ClientLock, OldIrql);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->DrainItem);
        ExFreePoolWithTag(Binding, DUAL_TAG);
    }
    return Status;
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    PDUAL_BINDING Binding = (PDUAL_BINDING)ClientBindingContext;
    BOOLEAN Busy;
    KIRQL OldIrql;
    ULONG Slot;

    KeAcquireSpinLock(&ClientLock, &OldIrql);
    Binding->Detaching = TRUE;
    if (Preferred == Binding) {
        Preferred = NULL;
        for (Slot = 0; Slot < DUAL_MAX_PROVIDERS; Slot++) {
            PDUAL_BINDING Other = Bindings[Slot];
            if (Other != NULL && Other != Binding && !Other->Detaching && Other->ProviderDispatch != NULL) {
                Preferred = Other;                              // fail over to the other provider
                break;
            }
        }
    }
    Busy = Binding->CallsInProgress > 0;
    KeReleaseSpinLock(&ClientLock, OldIrql);
    if (!Busy) {
        return STATUS_SUCCESS;
    }
    IoQueueWorkItem(Binding->DrainItem, DrainWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    PDUAL_BINDING Binding = (PDUAL_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    ULONG Slot;

    KeAcquireSpinLock(&ClientLock, &OldIrql);
    for (Slot = 0; Slot < DUAL_MAX_PROVIDERS; Slot++) {
        if (Bindings[Slot] == Binding) {
            Bindings[Slot] = NULL;
        }
    }
    KeReleaseSpinLock(&ClientLock, OldIrql);
    IoFreeWorkItem(Binding->DrainItem);
    ExFreePoolWithTag(Binding, DUAL_TAG);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Sender, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Sender);
    Status = NmrDeregisterClient(NmrClientHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);
    }
    IoDeleteDevice(ClientDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&ClientLock);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_NETWORK, 0, FALSE, &ClientDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(ClientDevice);
        return Status;
    }
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, SenderThread, NULL);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Sender, NULL);
        if (!NT_SUCCESS(Status)) {
            KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);     // cannot wait for it: let it end soon
        }
        ZwClose(ThreadHandle);
    }
    if (!NT_SUCCESS(Status)) {
        /* Unload is not called when DriverEntry fails: undo the registration. */
        if (NmrDeregisterClient(NmrClientHandle) == STATUS_PENDING) {
            NmrWaitForClientDeregisterComplete(NmrClientHandle);
        }
        IoDeleteDevice(ClientDevice);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
