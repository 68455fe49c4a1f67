/* pend_client.c - a client of the Example NPI that sends from a periodic
 * timer DPC, one provider at a time.
 *
 * The DPC finds the current binding under a spin lock and takes the
 * binding's rundown protection before it calls Send, so ClientDetachProvider
 * (maybe at DISPATCH_LEVEL) unpublishes the binding, queues the binding's
 * IoQueueWorkItem item and returns STATUS_PENDING; the item waits for the
 * rundown at PASSIVE_LEVEL and completes the detach (the cleanup, maybe run
 * inside that Complete, frees the item and the binding: nothing of them is
 * touched afterwards). The binding block comes from ExAllocatePool2.
 * Teardown runs from a work item (the same routine a stop request would
 * queue): it deregisters and waits, then signals; Unload queues it, waits
 * for the signal, cancels the timer and flushes the DPCs before it frees
 * the item and deletes its device.
 *
 * Built with PEND_NO_FLUSH: Unload cancels the timer but does not flush
 * the DPCs (BUG: a DPC already queued by the timer runs after Unload
 * returned: K06; the netevent_sim shape, docs/DRIVERS.md).
 * Scenarios: corpus/kernel/pend-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static KDEFERRED_ROUTINE SendTimerDpc;
static IO_WORKITEM_ROUTINE DetachWorker;
static IO_WORKITEM_ROUTINE TeardownWorker;

#define PEND_TAG 'dnPE'

typedef struct _PEND_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    EX_RUNDOWN_REF Rundown;          // a Send in progress
    PIO_WORKITEM DetachItem;
    volatile LONG Indications;
} PEND_BINDING, *PPEND_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x3c8e2a71, 0x5b4f, 0x4d60, { 0xa7, 0x12, 0x6e, 0x5d, 0x4c, 0x3b, 0x2a, 0x19 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatchTable = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static PDEVICE_OBJECT ClientDevice;
static KSPIN_LOCK BindingLock;
static PPEND_BINDING CurrentBinding;    // under BindingLock: the one the DPC sends on
static BOOLEAN SlotTaken;               // under BindingLock: a binding attaches or is bound
static KTIMER SendTimer;
static KDPC SendDpc;
static PIO_WORKITEM TeardownItem;
static KEVENT TeardownDone;

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(Indication);
    InterlockedIncrement(&((PPEND_BINDING)ClientBindingContext)->Indications);
}

_Use_decl_annotations_
static VOID SendTimerDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    static const UCHAR Payload[16] = { 0 };
    PPEND_BINDING Binding;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    KeAcquireSpinLockAtDpcLevel(&BindingLock);
    Binding = CurrentBinding;
    if (Binding != NULL && !ExAcquireRundownProtection(&Binding->Rundown)) {
        Binding = NULL;
    }
    KeReleaseSpinLockFromDpcLevel(&BindingLock);
    if (Binding == NULL) {
        return;
    }
    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Payload, sizeof(Payload));
    ExReleaseRundownProtection(&Binding->Rundown);
}

_Use_decl_annotations_
static VOID DetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PPEND_BINDING Binding = (PPEND_BINDING)Context;
    HANDLE NmrBindingHandle = Binding->NmrBindingHandle;

    UNREFERENCED_PARAMETER(DeviceObject);
    ExWaitForRundownProtectionRelease(&Binding->Rundown);
    NmrClientDetachProviderComplete(NmrBindingHandle);
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PPEND_BINDING Binding;
    PVOID ProviderBindingContext;
    CONST VOID *ProviderDispatch;
    NTSTATUS Status;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (SlotTaken) {
        KeReleaseSpinLock(&BindingLock, OldIrql);
        return STATUS_NOINTERFACE;                  // one provider at a time
    }
    SlotTaken = TRUE;
    KeReleaseSpinLock(&BindingLock, OldIrql);

    Status = STATUS_INSUFFICIENT_RESOURCES;
    Binding = (PPEND_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(PEND_BINDING), PEND_TAG);
    if (Binding != NULL) {
        Binding->DetachItem = IoAllocateWorkItem(ClientDevice);
        if (Binding->DetachItem != NULL) {
            Binding->NmrBindingHandle = NmrBindingHandle;
            ExInitializeRundownProtection(&Binding->Rundown);
            Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatchTable,
                                             &ProviderBindingContext, &ProviderDispatch);
            if (NT_SUCCESS(Status)) {
                Binding->ProviderBindingContext = ProviderBindingContext;
                Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
                KeAcquireSpinLock(&BindingLock, &OldIrql);
                CurrentBinding = Binding;
                KeReleaseSpinLock(&BindingLock, OldIrql);
                return STATUS_SUCCESS;
            }
            IoFreeWorkItem(Binding->DetachItem);
        }
        ExFreePoolWithTag(Binding, PEND_TAG);
    }
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    SlotTaken = FALSE;
    KeReleaseSpinLock(&BindingLock, OldIrql);
    return Status;
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    PPEND_BINDING Binding = (PPEND_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (CurrentBinding == Binding) {
        CurrentBinding = NULL;                      // no new Send starts on it
    }
    KeReleaseSpinLock(&BindingLock, OldIrql);
    IoQueueWorkItem(Binding->DetachItem, DetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    PPEND_BINDING Binding = (PPEND_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    IoFreeWorkItem(Binding->DetachItem);
    ExFreePoolWithTag(Binding, PEND_TAG);
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    SlotTaken = FALSE;
    KeReleaseSpinLock(&BindingLock, OldIrql);
}

/* Deregisters at PASSIVE_LEVEL and waits for the bindings to go; the
 * signal is the routine's last act. */
_Use_decl_annotations_
static VOID TeardownWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    if (NmrDeregisterClient(NmrClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);
    }
    KeSetEvent(&TeardownDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    IoQueueWorkItem(TeardownItem, TeardownWorker, DelayedWorkQueue, NULL);
    KeWaitForSingleObject(&TeardownDone, Executive, KernelMode, FALSE, NULL);
    KeCancelTimer(&SendTimer);
#ifndef PEND_NO_FLUSH
    KeFlushQueuedDpcs();
#endif
    IoFreeWorkItem(TeardownItem);
    IoDeleteDevice(ClientDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER DueTime;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &ClientDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    TeardownItem = IoAllocateWorkItem(ClientDevice);
    if (TeardownItem == NULL) {
        IoDeleteDevice(ClientDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeSpinLock(&BindingLock);
    KeInitializeEvent(&TeardownDone, NotificationEvent, FALSE);
    KeInitializeTimerEx(&SendTimer, NotificationTimer);
    KeInitializeDpc(&SendDpc, SendTimerDpc, NULL);
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(TeardownItem);
        IoDeleteDevice(ClientDevice);
        return Status;
    }
    DueTime.QuadPart = -10 * 1000;                  // 1 ms, then every millisecond
    KeSetTimerEx(&SendTimer, DueTime, 1, &SendDpc);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
