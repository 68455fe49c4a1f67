/* remlock_client.c - a client of the Example NPI written the way a WDM
 * team writes it: calls in flight on a binding are counted with the I/O
 * manager's remove lock (IO_REMOVE_LOCK) instead of a rundown ref, and the
 * driver's own state is under a guarded mutex (every path that touches it
 * runs at PASSIVE_LEVEL).
 *
 * A sender system thread sends to the bound provider every millisecond:
 * under the guarded mutex it takes the active binding and an acquisition of
 * the binding's remove lock, then (outside the mutex, the lock held, the
 * binding not detaching) calls Send, and releases the lock. Its statistics
 * are under a second guarded mutex taken with the Unsafe forms inside a
 * guarded region (KeEnterGuardedRegion), as the page of
 * KeAcquireGuardedMutexUnsafe asks.
 *
 * ClientDetachProvider may run at DISPATCH_LEVEL, where neither the guarded
 * mutex nor IoReleaseRemoveLockAndWait may be used: it marks the binding
 * and queues the binding's IoQueueWorkItem item, returning STATUS_PENDING.
 * The item (PASSIVE_LEVEL) unpublishes the binding under the mutex, takes
 * the remove lock once and calls IoReleaseRemoveLockAndWait, which waits
 * for the sender's call in flight, then completes the detach. One provider
 * at a time (an attach while one is bound or attaching is declined).
 * Unload deregisters and waits, then stops the sender and waits for its
 * thread object, then deletes the device the work items need.
 *
 * Built with REMLOCK_NO_WAIT: the item completes the detach without
 * waiting for the remove lock (BUG: the sender may be inside Send, or about
 * to call it, with the detach completed: M18, and the binding may be
 * cleaned up under it: M19). Scenarios: corpus/kernel/remlock-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static KSTART_ROUTINE SenderThread;
static IO_WORKITEM_ROUTINE DetachWorker;

#define REMLOCK_TAG 'lRxE'
#define SEND_PERIOD_MS 1

typedef struct _RC_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    IO_REMOVE_LOCK RemoveLock;           // one acquisition per call in flight
    PIO_WORKITEM DetachItem;             // allocated at attach: the detach may run at DISPATCH_LEVEL
    volatile LONG Detaching;             // set by ClientDetachProvider
} RC_BINDING, *PRC_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x3c5e7a91, 0x1b2d, 0x4f60, { 0x8a, 0x9b, 0xac, 0xbd, 0xce, 0xdf, 0xe0, 0xf1 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatchTable = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static PDEVICE_OBJECT ControlDevice;     // for the work items
static KGUARDED_MUTEX StateLock;         // ActiveBinding, Attaching
static PRC_BINDING ActiveBinding;
static BOOLEAN Attaching;
static KGUARDED_MUTEX StatsLock;         // Sends, Refused (Unsafe forms, in a guarded region)
static ULONG Sends, Refused;
static KEVENT StopEvent;
static PKTHREAD Sender;

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}

static VOID CountSend(BOOLEAN Sent)
{
    KeEnterGuardedRegion();
    KeAcquireGuardedMutexUnsafe(&StatsLock);
    if (Sent) {
        Sends++;
    } else {
        Refused++;
    }
    KeReleaseGuardedMutexUnsafe(&StatsLock);
    KeLeaveGuardedRegion();
}

_Use_decl_annotations_
static VOID SenderThread(PVOID StartContext)
{
    static const UCHAR Payload[16] = { 1 };
    LARGE_INTEGER Period;

    UNREFERENCED_PARAMETER(StartContext);
    Period.QuadPart = -10 * 1000 * (LONGLONG)SEND_PERIOD_MS;
    while (KeWaitForSingleObject(&StopEvent, Executive, KernelMode, FALSE, &Period) == STATUS_TIMEOUT) {
        PRC_BINDING Binding;
        NTSTATUS Status = STATUS_DELETE_PENDING;

        KeAcquireGuardedMutex(&StateLock);
        Binding = ActiveBinding;
        if (Binding != NULL) {
            Status = IoAcquireRemoveLock(&Binding->RemoveLock, (PVOID)SenderThread);
        }
        KeReleaseGuardedMutex(&StateLock);
        if (Binding == NULL || !NT_SUCCESS(Status)) {
            continue;
        }
        if (!ReadNoFence(&Binding->Detaching)) {
            Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Payload, sizeof(Payload));
            CountSend(TRUE);
        } else {
            CountSend(FALSE);
        }
        IoReleaseRemoveLock(&Binding->RemoveLock, (PVOID)SenderThread);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID DetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PRC_BINDING Binding = (PRC_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    KeAcquireGuardedMutex(&StateLock);
    if (ActiveBinding == Binding) {
        ActiveBinding = NULL;
    }
    KeReleaseGuardedMutex(&StateLock);
#ifndef REMLOCK_NO_WAIT
    /* The acquisition IoReleaseRemoveLockAndWait releases; it cannot fail
     * (nothing else removes this lock). */
    if (NT_SUCCESS(IoAcquireRemoveLock(&Binding->RemoveLock, (PVOID)DetachWorker))) {
        IoReleaseRemoveLockAndWait(&Binding->RemoveLock, (PVOID)DetachWorker);
    }
#endif
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);  // may clean the binding up inside
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PRC_BINDING Binding;
    CONST VOID *ProviderDispatch = NULL;
    NTSTATUS Status;
    BOOLEAN Taken;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    KeAcquireGuardedMutex(&StateLock);
    Taken = ActiveBinding != NULL || Attaching;
    if (!Taken) {
        Attaching = TRUE;
    }
    KeReleaseGuardedMutex(&StateLock);
    if (Taken) {
        return STATUS_NOINTERFACE;                              // one provider at a time
    }
    Status = STATUS_INSUFFICIENT_RESOURCES;
    Binding = (PRC_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(RC_BINDING), REMLOCK_TAG);
    if (Binding != NULL) {
        Binding->DetachItem = IoAllocateWorkItem(ControlDevice);
        if (Binding->DetachItem == NULL) {
            ExFreePoolWithTag(Binding, REMLOCK_TAG);
            Binding = NULL;
        }
    }
    if (Binding != NULL) {
        Binding->NmrBindingHandle = NmrBindingHandle;
        IoInitializeRemoveLock(&Binding->RemoveLock, REMLOCK_TAG, 0, 0);
        Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatchTable,
                                         &Binding->ProviderBindingContext, &ProviderDispatch);
        if (NT_SUCCESS(Status)) {
            Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
        } else {
            IoFreeWorkItem(Binding->DetachItem);
            ExFreePoolWithTag(Binding, REMLOCK_TAG);
        }
    }
    KeAcquireGuardedMutex(&StateLock);
    Attaching = FALSE;
    if (NT_SUCCESS(Status)) {
        ActiveBinding = Binding;
    }
    KeReleaseGuardedMutex(&StateLock);
    return Status;
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    PRC_BINDING Binding = (PRC_BINDING)ClientBindingContext;

    InterlockedExchange(&Binding->Detaching, 1);
    IoQueueWorkItem(Binding->DetachItem, DetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    PRC_BINDING Binding = (PRC_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->DetachItem);
    ExFreePoolWithTag(Binding, REMLOCK_TAG);
}

static VOID StopSender(VOID)
{
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Sender, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Sender);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterClient(NmrClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);    // the detach items ran
    }
    StopSender();
    IoDeleteDevice(ControlDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeGuardedMutex(&StateLock);
    KeInitializeGuardedMutex(&StatsLock);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_NETWORK, 0, FALSE, &ControlDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(ControlDevice);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Sender, NULL);
    ZwClose(ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;                                          // as thread_client.c: not reached here
    }
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
    if (!NT_SUCCESS(Status)) {
        StopSender();
        IoDeleteDevice(ControlDevice);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
