/*++

Module Name:

    r09_lock_on_pending.c

Abstract:

    Racy-bug benchmark case r09 (K02 spinlock-misuse): a client of the
    Example NPI that counts its calls in progress in one interlocked word
    (plus a closing bit) and completes a pending detach from a work item
    when the last call returns.

    ClientDetachProvider unpublishes the binding and sets the closing bit
    under the binding lock. On the path where a call is still in progress
    it returns STATUS_PENDING straight from inside the locked region, the
    lock still held: only a detach that races a send takes that path.

    RACY_FIXED: the lock is released on both paths.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R09_POOL_TAG 0x39305252 // 'RR09'
#define R09_SEND_COUNT 4
#define R09_CLOSING 0x40000000L

typedef struct _R09_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R09_CLOSING
    PIO_WORKITEM CompleteWorkItem;
} R09_BINDING, *PR09_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R09Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R09AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R09DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R09CleanupBindingContext;
static EXAMPLE_INDICATE_FN R09Indicate;
static IO_WORKITEM_ROUTINE R09CompleteWorker;
static KSTART_ROUTINE R09SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R09Dispatch = { R09Indicate };

static CONST NPI_MODULEID R09ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0009, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x09 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R09Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R09AttachProvider,
    R09DetachProvider,
    R09CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R09ModuleId, 0, NULL }
};

static HANDLE R09ClientHandle;
static PDEVICE_OBJECT R09DeviceObject;
static KSPIN_LOCK R09BindingLock;           // protects R09CurrentBinding
static PR09_BINDING R09CurrentBinding;
static KSPIN_LOCK R09StatsLock;             // protects R09Detaches
static ULONG R09Detaches;
static KEVENT R09StopEvent;
static PVOID R09Thread;


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

    KeInitializeSpinLock(&R09BindingLock);
    KeInitializeSpinLock(&R09StatsLock);
    KeInitializeEvent(&R09StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R09DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R09SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R09DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R09Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R09Unload;

    Status = NmrRegisterClient(&R09Characteristics, NULL, &R09ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R09StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R09Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R09Thread);
        IoDeleteDevice(R09DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R09Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R09ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R09ClientHandle);
    }
    KeSetEvent(&R09StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R09Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R09Thread);
    IoDeleteDevice(R09DeviceObject);
}


static
NTSTATUS
R09AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR09_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R09CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R09_BINDING), R09_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R09DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R09_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R09Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R09_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R09BindingLock, &OldIrql);
    R09CurrentBinding = Binding;
    KeReleaseSpinLock(&R09BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R09DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR09_BINDING Binding = (PR09_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R09BindingLock, &OldIrql);
    if (R09CurrentBinding == Binding) {
        R09CurrentBinding = NULL;
    }
    OldState = InterlockedOr(&Binding->CallState, R09_CLOSING);
    if (OldState != 0) {
        //
        // A send is in progress: the last one out completes the detach.
        //
#ifdef RACY_FIXED
        KeReleaseSpinLock(&R09BindingLock, OldIrql);
#endif
        return STATUS_PENDING;
    }
    KeReleaseSpinLock(&R09BindingLock, OldIrql);

    KeAcquireSpinLock(&R09StatsLock, &OldIrql);
    R09Detaches++;
    KeReleaseSpinLock(&R09StatsLock, OldIrql);
    return STATUS_SUCCESS;
}


static
VOID
R09CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR09_BINDING Binding = (PR09_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R09_POOL_TAG);
}


static
VOID
R09CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR09_BINDING Binding = (PR09_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R09Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R09SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR09_BINDING Binding;
    KIRQL OldIrql;
    BOOLEAN Last;

    KeAcquireSpinLock(&R09BindingLock, &OldIrql);
    Binding = R09CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R09BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    Last = (InterlockedDecrement(&Binding->CallState) == R09_CLOSING);
    if (Last) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R09CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R09SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R09_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R09StopEvent) != 0) {
            break;
        }
        R09SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
