/*++

Module Name:

    r04_cleanup_vs_workitem.c

Abstract:

    Racy-bug benchmark case r04 (K05 pool-misuse): a client of the Example
    NPI that hands each send completion to a work item.

    The provider's Indicate callback stores a completion record in the
    binding and queues the binding's work item, which frees the record.
    ClientDetachProvider returns STATUS_SUCCESS at once and the cleanup
    callback frees a record still stored in the binding: when the cleanup
    runs while the work item is queued or running, both free the record
    (and the work item then touches a freed binding).

    RACY_FIXED: the detach pends while the work item is queued; the work
    item completes the detach when it finds the binding closing.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R04_POOL_TAG 0x34305252 // 'RR04'
#define R04_SEND_COUNT 3

typedef struct _R04_RECORD {
    ULONG Indication;
} R04_RECORD, *PR04_RECORD;

typedef struct _R04_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    KSPIN_LOCK Lock;                        // protects the fields below
    PR04_RECORD PendingRecord;              // a completion not processed yet
    BOOLEAN WorkQueued;                     // CompletionWorkItem is queued or running
    BOOLEAN Closing;                        // ClientDetachProvider was called
    PIO_WORKITEM CompletionWorkItem;
} R04_BINDING, *PR04_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R04Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R04AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R04DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R04CleanupBindingContext;
static EXAMPLE_INDICATE_FN R04Indicate;
static IO_WORKITEM_ROUTINE R04CompletionWorker;
static KSTART_ROUTINE R04SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R04Dispatch = { R04Indicate };

static CONST NPI_MODULEID R04ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0004, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x04 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R04Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R04AttachProvider,
    R04DetachProvider,
    R04CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R04ModuleId, 0, NULL }
};

static HANDLE R04ClientHandle;
static PDEVICE_OBJECT R04DeviceObject;
static KSPIN_LOCK R04BindingLock;           // protects R04CurrentBinding; held across a send
static PR04_BINDING R04CurrentBinding;
static KEVENT R04StopEvent;
static PVOID R04Thread;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R04BindingLock);
    KeInitializeEvent(&R04StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R04DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R04SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R04DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R04Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R04Unload;

    Status = NmrRegisterClient(&R04Characteristics, NULL, &R04ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R04StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R04Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R04Thread);
        IoDeleteDevice(R04DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R04Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R04ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R04ClientHandle);
    }
    KeSetEvent(&R04StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R04Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R04Thread);
    IoDeleteDevice(R04DeviceObject);
}


static
NTSTATUS
R04AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR04_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R04CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R04_BINDING), R04_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeSpinLock(&Binding->Lock);
    Binding->CompletionWorkItem = IoAllocateWorkItem(R04DeviceObject);
    if (Binding->CompletionWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R04_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R04Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompletionWorkItem);
        ExFreePoolWithTag(Binding, R04_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R04BindingLock, &OldIrql);
    R04CurrentBinding = Binding;
    KeReleaseSpinLock(&R04BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R04DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR04_BINDING Binding = (PR04_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&R04BindingLock, &OldIrql);
    if (R04CurrentBinding == Binding) {
        R04CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R04BindingLock, OldIrql);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
#ifdef RACY_FIXED
    Pending = Binding->WorkQueued;
#else
    //
    // The cleanup callback frees whatever completion is still pending.
    //
    Pending = FALSE;
#endif
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R04CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR04_BINDING Binding = (PR04_BINDING)ClientBindingContext;

    if (Binding->PendingRecord != NULL) {
        ExFreePoolWithTag(Binding->PendingRecord, R04_POOL_TAG);
    }
    IoFreeWorkItem(Binding->CompletionWorkItem);
    ExFreePoolWithTag(Binding, R04_POOL_TAG);
}


static
VOID
R04CompletionWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR04_BINDING Binding = (PR04_BINDING)Context;
    PR04_RECORD Record;
    KIRQL OldIrql;
#ifdef RACY_FIXED
    BOOLEAN Complete;

    UNREFERENCED_PARAMETER(DeviceObject);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Record = Binding->PendingRecord;
    Binding->PendingRecord = NULL;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    if (Record != NULL) {
        ExFreePoolWithTag(Record, R04_POOL_TAG);
    }

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->WorkQueued = FALSE;
    Complete = Binding->Closing;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    if (Complete) {
        NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
    }
#else
    UNREFERENCED_PARAMETER(DeviceObject);

    Record = Binding->PendingRecord;
    if (Record != NULL) {
        ExFreePoolWithTag(Record, R04_POOL_TAG);
        Binding->PendingRecord = NULL;
    }
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->WorkQueued = FALSE;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
#endif
}


static
VOID
R04Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    PR04_BINDING Binding = (PR04_BINDING)ClientBindingContext;
    PR04_RECORD Record;
    KIRQL OldIrql;
    BOOLEAN Queue = FALSE;

    Record = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R04_RECORD), R04_POOL_TAG);
    if (Record == NULL) {
        return;
    }
    Record->Indication = Indication;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    if (!Binding->Closing && !Binding->WorkQueued && Binding->PendingRecord == NULL) {
        Binding->PendingRecord = Record;
        Binding->WorkQueued = TRUE;
        Record = NULL;
        Queue = TRUE;
    }
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    if (Record != NULL) {
        ExFreePoolWithTag(Record, R04_POOL_TAG);
    }
    if (Queue) {
        IoQueueWorkItem(Binding->CompletionWorkItem, R04CompletionWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R04SenderThread(
    _In_ PVOID StartContext
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    KIRQL OldIrql;
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R04_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R04StopEvent) != 0) {
            break;
        }
        //
        // The binding lock is held across the call: the detach callback
        // cannot unpublish the binding while a send is in progress.
        //
        KeAcquireSpinLock(&R04BindingLock, &OldIrql);
        if (R04CurrentBinding != NULL) {
            (VOID)R04CurrentBinding->ProviderDispatch->Send(R04CurrentBinding->ProviderBindingContext,
                                                            Packet, sizeof(Packet));
        }
        KeReleaseSpinLock(&R04BindingLock, OldIrql);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
