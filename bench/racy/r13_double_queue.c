/*++

Module Name:

    r13_double_queue.c

Abstract:

    Racy-bug benchmark case r13 (K09 object-misuse): a client of the
    Example NPI with two sender threads that, after each send, queue one
    shared work item to flush the send statistics.

    A sender queues the flush work item when R13FlushQueued is FALSE and
    then sets it. The test and the set are two steps: two senders that
    both test before either sets queue the same work item twice.

    RACY_FIXED: InterlockedCompareExchange makes the test and set one step.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R13_POOL_TAG 0x33315252 // 'RR13'
#define R13_SEND_COUNT 2

typedef struct _R13_BINDING {
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} R13_BINDING, *PR13_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R13Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R13AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R13DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R13CleanupBindingContext;
static EXAMPLE_INDICATE_FN R13Indicate;
static KSTART_ROUTINE R13SenderThread;
static IO_WORKITEM_ROUTINE R13FlushWorker;

static CONST EXAMPLE_CLIENT_DISPATCH R13Dispatch = { R13Indicate };

static CONST NPI_MODULEID R13ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0013, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x13 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R13Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R13AttachProvider,
    R13DetachProvider,
    R13CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R13ModuleId, 0, NULL }
};

static HANDLE R13ClientHandle;
static KSPIN_LOCK R13BindingLock;           // protects R13CurrentBinding; held across a send
static PR13_BINDING R13CurrentBinding;
static EX_RUNDOWN_REF R13SendRundown;     // held by each send and the queued flush; Unload runs it down
static PVOID R13Sender[2];                  // the thread objects
static PDEVICE_OBJECT R13DeviceObject;
static PIO_WORKITEM R13FlushWorkItem;
static volatile LONG R13FlushQueued;        // R13FlushWorkItem is queued
static volatile LONG R13SendsDone;          // sends since the last flush
static ULONG R13BytesAtFlush;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;
    ULONG Index;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R13BindingLock);
    ExInitializeRundownProtection(&R13SendRundown);

    Status = NmrRegisterClient(&R13Characteristics, NULL, &R13ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R13DeviceObject);
    if (!NT_SUCCESS(Status)) {
        NmrDeregisterClient(R13ClientHandle);
        NmrWaitForClientDeregisterComplete(R13ClientHandle);
        return Status;
    }
    R13FlushWorkItem = IoAllocateWorkItem(R13DeviceObject);
    if (R13FlushWorkItem == NULL) {
        IoDeleteDevice(R13DeviceObject);
        NmrDeregisterClient(R13ClientHandle);
        NmrWaitForClientDeregisterComplete(R13ClientHandle);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    //
    // Without a sender the driver still binds; it just sends nothing.
    //
    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    for (Index = 0; Index < 2; Index++) {
        R13Sender[Index] = NULL;
        Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                      R13SenderThread, NULL);
        if (NT_SUCCESS(Status)) {
            Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                               &R13Sender[Index], NULL);
            ZwClose(ThreadHandle);
            NT_ASSERT(NT_SUCCESS(Status));
        }
    }

    DriverObject->DriverUnload = R13Unload;
    return STATUS_SUCCESS;
}


static
VOID
R13Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R13ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R13ClientHandle);
    }

    //
    // No send starts after this; the ones in progress and a queued flush
    // have returned.
    //
    ExWaitForRundownProtectionRelease(&R13SendRundown);
    for (Index = 0; Index < 2; Index++) {
        if (R13Sender[Index] != NULL) {
            KeWaitForSingleObject(R13Sender[Index], Executive, KernelMode, FALSE, NULL);
            ObDereferenceObject(R13Sender[Index]);
        }
    }
    IoFreeWorkItem(R13FlushWorkItem);
    IoDeleteDevice(R13DeviceObject);
}


static
NTSTATUS
R13AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR13_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R13CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R13_BINDING), R13_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R13Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R13_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R13BindingLock, &OldIrql);
    R13CurrentBinding = Binding;
    KeReleaseSpinLock(&R13BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R13DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    KIRQL OldIrql;

    //
    // The sender calls under the lock: once the binding is unpublished no
    // send can use it.
    //
    KeAcquireSpinLock(&R13BindingLock, &OldIrql);
    if (R13CurrentBinding == ClientBindingContext) {
        R13CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R13BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
VOID
R13CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, R13_POOL_TAG);
}


static
VOID
R13Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R13FlushWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    ULONG BytesSent;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);

    KeAcquireSpinLock(&R13BindingLock, &OldIrql);
    if (R13CurrentBinding != NULL &&
        NT_SUCCESS(R13CurrentBinding->ProviderDispatch->Query(R13CurrentBinding->ProviderBindingContext,
                                                              &BytesSent))) {
        R13BytesAtFlush = BytesSent;
    }
    KeReleaseSpinLock(&R13BindingLock, OldIrql);

    InterlockedExchange(&R13SendsDone, 0);
    InterlockedExchange(&R13FlushQueued, FALSE);
    ExReleaseRundownProtection(&R13SendRundown);
}


static
VOID
R13QueueFlush(
    VOID
    )
{
#ifdef RACY_FIXED
    if (InterlockedCompareExchange(&R13FlushQueued, TRUE, FALSE) != FALSE) {
        return;
    }
#else
    if (R13FlushQueued) {
        return;
    }
#endif
    //
    // The queued flush holds rundown protection of its own, so Unload
    // waits for it.
    //
    if (!ExAcquireRundownProtection(&R13SendRundown)) {
        InterlockedExchange(&R13FlushQueued, FALSE);
        return;
    }
    IoQueueWorkItem(R13FlushWorkItem, R13FlushWorker, DelayedWorkQueue, NULL);
#ifndef RACY_FIXED
    R13FlushQueued = TRUE;
#endif
}


static
NTSTATUS
R13SendOne(
    ULONG Sequence
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    KIRQL OldIrql;
    NTSTATUS Status = STATUS_SUCCESS;

    UNREFERENCED_PARAMETER(Sequence);

    if (!ExAcquireRundownProtection(&R13SendRundown)) {
        return STATUS_DELETE_PENDING;
    }

    KeAcquireSpinLock(&R13BindingLock, &OldIrql);
    if (R13CurrentBinding != NULL) {
        Status = R13CurrentBinding->ProviderDispatch->Send(R13CurrentBinding->ProviderBindingContext,
                                                           Packet, sizeof(Packet));
    }
    KeReleaseSpinLock(&R13BindingLock, OldIrql);

    InterlockedIncrement(&R13SendsDone);
    R13QueueFlush();

    ExReleaseRundownProtection(&R13SendRundown);
    return Status;
}


static
VOID
R13SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R13_SEND_COUNT; Index++) {
        if (R13SendOne(Index) == STATUS_DELETE_PENDING) {
            break;
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
