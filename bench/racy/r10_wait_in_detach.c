/*++

Module Name:

    r10_wait_in_detach.c

Abstract:

    Racy-bug benchmark case r10 (M10 block-in-detach): a client of the
    Example NPI that counts its calls in progress in one interlocked word
    (plus a closing bit).

    When a send is in progress, ClientDetachProvider waits (up to 10 ms)
    for the sender to signal that it went idle, then returns
    STATUS_SUCCESS. A detach callback may run at DISPATCH_LEVEL and must not
    block; the wait only happens when a detach races a send.

    RACY_FIXED: the detach returns STATUS_PENDING instead, and the last
    call out completes it from a work item.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R10_POOL_TAG 0x30315252 // 'RR10'
#define R10_SEND_COUNT 4
#define R10_CLOSING 0x40000000L

typedef struct _R10_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R10_CLOSING
    PIO_WORKITEM CompleteWorkItem;
} R10_BINDING, *PR10_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R10Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R10AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R10DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R10CleanupBindingContext;
static EXAMPLE_INDICATE_FN R10Indicate;
#ifdef RACY_FIXED
static IO_WORKITEM_ROUTINE R10CompleteWorker;
#endif
static KSTART_ROUTINE R10SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R10Dispatch = { R10Indicate };

static CONST NPI_MODULEID R10ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0010, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x10 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R10Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R10AttachProvider,
    R10DetachProvider,
    R10CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R10ModuleId, 0, NULL }
};

static HANDLE R10ClientHandle;
static PDEVICE_OBJECT R10DeviceObject;
static KSPIN_LOCK R10BindingLock;           // protects R10CurrentBinding
static PR10_BINDING R10CurrentBinding;
static KSPIN_LOCK R10StatsLock;             // protects R10Detaches
static ULONG R10Detaches;
static KEVENT R10StopEvent;
static KEVENT R10IdleEvent;                // the last call out of a closing binding (bug build)
static PVOID R10Thread;


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

    KeInitializeSpinLock(&R10BindingLock);
    KeInitializeSpinLock(&R10StatsLock);
    KeInitializeEvent(&R10StopEvent, NotificationEvent, FALSE);
    KeInitializeEvent(&R10IdleEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R10DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R10SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R10DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R10Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R10Unload;

    Status = NmrRegisterClient(&R10Characteristics, NULL, &R10ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R10StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R10Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R10Thread);
        IoDeleteDevice(R10DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R10Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R10ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R10ClientHandle);
    }
    KeSetEvent(&R10StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R10Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R10Thread);
    IoDeleteDevice(R10DeviceObject);
}


static
NTSTATUS
R10AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR10_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R10CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R10_BINDING), R10_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R10DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R10_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R10Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R10_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R10BindingLock, &OldIrql);
    R10CurrentBinding = Binding;
    KeReleaseSpinLock(&R10BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R10DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR10_BINDING Binding = (PR10_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;
#ifndef RACY_FIXED
    LARGE_INTEGER Timeout;
#endif

    KeAcquireSpinLock(&R10BindingLock, &OldIrql);
    if (R10CurrentBinding == Binding) {
        R10CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R10BindingLock, OldIrql);

    KeAcquireSpinLock(&R10StatsLock, &OldIrql);
    R10Detaches++;
    KeReleaseSpinLock(&R10StatsLock, OldIrql);

    OldState = InterlockedOr(&Binding->CallState, R10_CLOSING);
    if (OldState == 0) {
        return STATUS_SUCCESS;
    }
#ifdef RACY_FIXED
    return STATUS_PENDING;
#else
    //
    // A send is in progress; it will not take long.
    //
    Timeout.QuadPart = -10000LL * 10;
    (VOID)KeWaitForSingleObject(&R10IdleEvent, Executive, KernelMode, FALSE, &Timeout);
    return STATUS_SUCCESS;
#endif
}


static
VOID
R10CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR10_BINDING Binding = (PR10_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R10_POOL_TAG);
}


#ifdef RACY_FIXED
static
VOID
R10CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR10_BINDING Binding = (PR10_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}
#endif


static
VOID
R10Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R10SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR10_BINDING Binding;
    KIRQL OldIrql;
    BOOLEAN Last;

    KeAcquireSpinLock(&R10BindingLock, &OldIrql);
    Binding = R10CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R10BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    Last = (InterlockedDecrement(&Binding->CallState) == R10_CLOSING);
    if (Last) {
#ifdef RACY_FIXED
        IoQueueWorkItem(Binding->CompleteWorkItem, R10CompleteWorker, DelayedWorkQueue, Binding);
#else
        KeSetEvent(&R10IdleEvent, IO_NO_INCREMENT, FALSE);
#endif
    }
}


static
VOID
R10SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R10_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R10StopEvent) != 0) {
            break;
        }
        R10SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
