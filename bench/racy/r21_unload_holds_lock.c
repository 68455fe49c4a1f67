/*++

Module Name:

    r21_complete_after_unload.c

Abstract:

    Racy-bug benchmark case r21 (L01 deadlock): a client of the Example NPI
    that keeps its driver-wide state (an "unloading" flag, the number of
    bindings detached) under a fast mutex, and completes a detach that
    pended for calls in progress from a work item, which records the
    detach in that state first.

    The bug: Unload sets the unloading flag and deregisters under the mutex,
    and waits for the deregistration with the mutex still held ("nothing
    may change the state while the client goes away"). When the detach
    pends because a send is in progress, the completion work item blocks
    on the mutex before it can call NmrClientDetachProviderComplete, and
    the deregistration Unload waits for never completes. It needs this
    client's Unload to start the detach (not the provider's), a send in
    progress when it does, and that send to finish while Unload holds the
    mutex. A detach with no call in progress returns STATUS_SUCCESS and
    needs no work item; one started by the provider's Unload completes
    while the mutex is free.

    RACY_FIXED: Unload releases the mutex before it deregisters.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R21_POOL_TAG 0x31325252 // 'RR21'
#define R21_SEND_COUNT 3
#define R21_CLOSING 0x40000000L

typedef struct _R21_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R21_CLOSING once detaching
    PIO_WORKITEM CompleteWorkItem;
} R21_BINDING, *PR21_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R21Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R21AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R21DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R21CleanupBindingContext;
static EXAMPLE_INDICATE_FN R21Indicate;
static IO_WORKITEM_ROUTINE R21CompleteWorker;
static KSTART_ROUTINE R21SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R21Dispatch = { R21Indicate };

static CONST NPI_MODULEID R21ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0021, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x21 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R21Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R21AttachProvider,
    R21DetachProvider,
    R21CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R21ModuleId, 0, NULL }
};

static HANDLE R21ClientHandle;
static PDEVICE_OBJECT R21DeviceObject;
static KSPIN_LOCK R21BindingLock;           // protects R21CurrentBinding
static PR21_BINDING R21CurrentBinding;
static KEVENT R21StopEvent;
static PVOID R21Thread;
static FAST_MUTEX R21StateLock;             // protects the two below
static BOOLEAN R21Unloading;
static LONG R21DetachedBindings;


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

    KeInitializeSpinLock(&R21BindingLock);
    ExInitializeFastMutex(&R21StateLock);
    KeInitializeEvent(&R21StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R21DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R21SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R21DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R21Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R21Unload;

    Status = NmrRegisterClient(&R21Characteristics, NULL, &R21ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R21StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R21Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R21Thread);
        IoDeleteDevice(R21DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R21Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    ExAcquireFastMutex(&R21StateLock);
    R21Unloading = TRUE;
#ifdef RACY_FIXED
    ExReleaseFastMutex(&R21StateLock);
#endif
    if (NmrDeregisterClient(R21ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R21ClientHandle);
    }
#ifndef RACY_FIXED
    ExReleaseFastMutex(&R21StateLock);
#endif

    KeSetEvent(&R21StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R21Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R21Thread);
    IoDeleteDevice(R21DeviceObject);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "r21: unloaded, %d bindings detached\n",
               (int)R21DetachedBindings);
}


static
NTSTATUS
R21AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR21_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R21CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R21_BINDING), R21_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R21DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R21_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R21Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R21_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R21BindingLock, &OldIrql);
    R21CurrentBinding = Binding;
    KeReleaseSpinLock(&R21BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R21DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR21_BINDING Binding = (PR21_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R21BindingLock, &OldIrql);
    if (R21CurrentBinding == Binding) {
        R21CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R21BindingLock, OldIrql);

    //
    // The last call out completes the detach (R21SendOne).
    //
    OldState = InterlockedOr(&Binding->CallState, R21_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
R21CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR21_BINDING Binding = (PR21_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R21_POOL_TAG);
}


//
// Records the detach in the driver state, then completes it at
// PASSIVE_LEVEL (a fast mutex needs IRQL <= APC_LEVEL; the detach callback
// may run at DISPATCH_LEVEL, so this runs in a work item).
//
static
VOID
R21CompleteDeferredDetach(
    _In_ PR21_BINDING Binding
    )
{
    ExAcquireFastMutex(&R21StateLock);
    R21DetachedBindings++;
    if (R21Unloading) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "r21: binding detached for unload\n");
    }
    ExReleaseFastMutex(&R21StateLock);

    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R21CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    UNREFERENCED_PARAMETER(DeviceObject);
    R21CompleteDeferredDetach((PR21_BINDING)Context);
}


static
VOID
R21Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R21SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR21_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R21BindingLock, &OldIrql);
    Binding = R21CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R21BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    //
    // The last call out of a closing binding completes its detach, from a
    // work item: the cleanup callback may run inside the Complete.
    //
    if (InterlockedDecrement(&Binding->CallState) == R21_CLOSING) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R21CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R21SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R21_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R21StopEvent) != 0) {
            break;
        }
        R21SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
