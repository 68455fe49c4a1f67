/* rereg_client.c - a client of the Example NPI that starts over when its
 * provider goes away: ClientDetachProvider (which may run at DISPATCH_LEVEL)
 * queues an IoQueueWorkItem item on the client's device object, and the
 * item deregisters the client, waits for the deregistration at PASSIVE_LEVEL
 * and registers it again with fresh state, so the next provider that
 * registers binds to a clean client. The client binds to one provider at a
 * time and asks it for its counter once when it attaches (the attach
 * callback's own call; detach cannot come before the attach returned).
 * State under a spin lock: Restarting (an item queued or running; no second
 * one, and the detaches that the item's own deregistration causes queue
 * nothing), Stopping (Unload has begun: nothing new is queued and the item
 * does not register again), and an Idle event set while no item is queued
 * or running, changed with Restarting under the lock (set outside it, a
 * detach in between would clear it for a new item and be overwritten).
 * Unload sets Stopping, waits for Idle, then deregisters the
 * registration the item may have made and waits; only then it frees the
 * work item and deletes the device.
 *
 * Built with REREG_NO_IDLE_WAIT: Unload does not wait for a restart in
 * progress (BUG: the item and Unload both deregister the same handle: M04,
 * the second one refused).
 * Scenarios: corpus/kernel/rereg-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static IO_WORKITEM_ROUTINE RestartWorker;

#define REREG_TAG 'rRxE'

typedef struct _REREG_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    ULONG Generation;                    // which registration made it
    volatile LONG Indications;
} REREG_BINDING, *PREREG_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x3d8f0b25, 0x4c6e, 0x4a71, { 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatchTable = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static PDEVICE_OBJECT ClientDevice;
static PIO_WORKITEM RestartItem;
static KSPIN_LOCK StateLock;
static HANDLE NmrClientHandle;           // under StateLock
static PREREG_BINDING Bound;             // under StateLock
static BOOLEAN Restarting;               // under StateLock
static BOOLEAN Stopping;                 // under StateLock
static KEVENT RestartIdle;               // set while Restarting is FALSE
static ULONG Generation;                 // under StateLock

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    PREREG_BINDING Binding = (PREREG_BINDING)ClientBindingContext;

    if (Indication == EXAMPLE_INDICATE_SEND_COMPLETE) {
        InterlockedIncrement(&Binding->Indications);
    }
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PREREG_BINDING Binding;
    CONST VOID *ProviderDispatch = NULL;
    KIRQL OldIrql;
    NTSTATUS Status;
    ULONG Counter;
    BOOLEAN Taken;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PREREG_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *Binding, REREG_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ProviderDispatch = NULL;

    /* One provider at a time: the slot is taken before binding. */
    KeAcquireSpinLock(&StateLock, &OldIrql);
    Taken = Bound != NULL;
    if (!Taken) {
        Bound = Binding;
        Binding->Generation = Generation;
    }
    KeReleaseSpinLock(&StateLock, OldIrql);
    if (Taken) {
        ExFreePoolWithTag(Binding, REREG_TAG);
        return STATUS_NOINTERFACE;
    }

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatchTable,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        KeAcquireSpinLock(&StateLock, &OldIrql);
        Bound = NULL;
        KeReleaseSpinLock(&StateLock, OldIrql);
        ExFreePoolWithTag(Binding, REREG_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    /* Still inside the attach callback: no detach can have begun. */
    Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &Counter);
    return STATUS_SUCCESS;
}

/* The provider left (or our own deregistration detaches us): no call of
 * ours is in progress, so the detach completes at once; a restart is queued
 * only when nobody deregisters us already. */
_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    BOOLEAN Queue = FALSE;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ClientBindingContext);
    KeAcquireSpinLock(&StateLock, &OldIrql);
    if (!Restarting && !Stopping) {
        Restarting = TRUE;
        KeClearEvent(&RestartIdle);
        Queue = TRUE;
    }
    KeReleaseSpinLock(&StateLock, OldIrql);
    if (Queue) {
        IoQueueWorkItem(RestartItem, RestartWorker, DelayedWorkQueue, NULL);
    }
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    PREREG_BINDING Binding = (PREREG_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&StateLock, &OldIrql);
    if (Bound == Binding) {
        Bound = NULL;
    }
    KeReleaseSpinLock(&StateLock, OldIrql);
    ExFreePoolWithTag(Binding, REREG_TAG);
}

/* At PASSIVE_LEVEL: deregister, wait, register again unless Unload began. */
_Use_decl_annotations_
static VOID RestartWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    HANDLE Old, New = NULL;
    NTSTATUS Status;
    KIRQL OldIrql;
    BOOLEAN Stop;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeAcquireSpinLock(&StateLock, &OldIrql);
    Old = NmrClientHandle;
    NmrClientHandle = NULL;
    KeReleaseSpinLock(&StateLock, OldIrql);
    if (Old != NULL && NmrDeregisterClient(Old) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(Old);
    }

    KeAcquireSpinLock(&StateLock, &OldIrql);
    Stop = Stopping;
    Generation++;
    KeReleaseSpinLock(&StateLock, OldIrql);
    if (!Stop) {
        Status = NmrRegisterClient(&ClientCharacteristics, NULL, &New);
        if (!NT_SUCCESS(Status)) {
            New = NULL;                  // stays unregistered; Unload has nothing to undo
        }
    }

    KeAcquireSpinLock(&StateLock, &OldIrql);
    NmrClientHandle = New;
    Restarting = FALSE;
    KeSetEvent(&RestartIdle, IO_NO_INCREMENT, FALSE);   // under the lock: a detach may queue the next one
    KeReleaseSpinLock(&StateLock, OldIrql);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    HANDLE Handle;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(DriverObject);
    KeAcquireSpinLock(&StateLock, &OldIrql);
    Stopping = TRUE;
    KeReleaseSpinLock(&StateLock, OldIrql);
#ifndef REREG_NO_IDLE_WAIT
    KeWaitForSingleObject(&RestartIdle, Executive, KernelMode, FALSE, NULL);
#endif
    KeAcquireSpinLock(&StateLock, &OldIrql);
    Handle = NmrClientHandle;            // with REREG_NO_IDLE_WAIT, BUG: a restart may be deregistering it now
#ifndef REREG_NO_IDLE_WAIT
    NmrClientHandle = NULL;
#endif
    KeReleaseSpinLock(&StateLock, OldIrql);
    if (Handle != NULL && NmrDeregisterClient(Handle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(Handle);
    }
#ifdef REREG_NO_IDLE_WAIT
    KeWaitForSingleObject(&RestartIdle, Executive, KernelMode, FALSE, NULL);
#endif
    IoFreeWorkItem(RestartItem);
    IoDeleteDevice(ClientDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE Handle = NULL;
    NTSTATUS Status;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&StateLock);
    KeInitializeEvent(&RestartIdle, NotificationEvent, TRUE);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_NETWORK, 0, FALSE, &ClientDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    RestartItem = IoAllocateWorkItem(ClientDevice);
    if (RestartItem == NULL) {
        IoDeleteDevice(ClientDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* A provider may attach and leave while NmrRegisterClient runs (on
     * another thread): no restart before the handle is published. */
    Restarting = TRUE;
    KeClearEvent(&RestartIdle);
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &Handle);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(RestartItem);
        IoDeleteDevice(ClientDevice);
        return Status;
    }
    KeAcquireSpinLock(&StateLock, &OldIrql);
    NmrClientHandle = Handle;
    Restarting = FALSE;
    KeSetEvent(&RestartIdle, IO_NO_INCREMENT, FALSE);
    KeReleaseSpinLock(&StateLock, OldIrql);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
