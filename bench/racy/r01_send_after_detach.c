/*++

Module Name:

    r01_send_after_detach.c

Abstract:

    Racy-bug benchmark case r01 (M18 call-after-detach): a client of the
    Example NPI whose sender thread checks a "detaching" flag without a
    lock and then calls the provider's Send.

    ClientDetachProvider sets Binding->Detaching and returns
    STATUS_SUCCESS at once. The sender reads the flag, counts the send
    under its statistics lock, and calls Send: a detach that runs in that
    window has already completed when the call is made.

    RACY_FIXED (the correct twin): the sender takes a call reference under
    the binding lock, the detach clears the published binding under the
    same lock and returns STATUS_PENDING while a call is in progress; the
    last call out completes the detach from a work item.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R01_POOL_TAG 0x31305252 // 'RR01'
#define R01_SEND_COUNT 4

typedef struct _R01_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile BOOLEAN Detaching;             // set by ClientDetachProvider
    volatile LONG CallsInProgress;          // RACY_FIXED: sends holding a reference
    PIO_WORKITEM CompleteWorkItem;          // RACY_FIXED: completes a pending detach
} R01_BINDING, *PR01_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R01Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R01AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R01DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R01CleanupBindingContext;
static EXAMPLE_INDICATE_FN R01Indicate;
#ifdef RACY_FIXED
static IO_WORKITEM_ROUTINE R01CompleteWorker;
#endif
static KSTART_ROUTINE R01SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R01Dispatch = { R01Indicate };

static CONST NPI_MODULEID R01ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0001, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x01 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R01Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R01AttachProvider,
    R01DetachProvider,
    R01CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R01ModuleId, 0, NULL }
};

static HANDLE R01ClientHandle;
static PDEVICE_OBJECT R01DeviceObject;
static KSPIN_LOCK R01BindingLock;           // protects R01CurrentBinding
static PR01_BINDING R01CurrentBinding;
static KSPIN_LOCK R01StatsLock;             // protects R01SendsStarted
static ULONG R01SendsStarted;
static KEVENT R01StopEvent;
static PVOID R01Thread;


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

    KeInitializeSpinLock(&R01BindingLock);
    KeInitializeSpinLock(&R01StatsLock);
    KeInitializeEvent(&R01StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R01DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R01SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R01DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R01Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R01Unload;

    Status = NmrRegisterClient(&R01Characteristics, NULL, &R01ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R01StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R01Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R01Thread);
        IoDeleteDevice(R01DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R01Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R01ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R01ClientHandle);
    }
    KeSetEvent(&R01StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R01Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R01Thread);
    IoDeleteDevice(R01DeviceObject);
}


static
NTSTATUS
R01AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR01_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R01CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R01_BINDING), R01_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R01DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R01_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R01Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R01_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R01BindingLock, &OldIrql);
    R01CurrentBinding = Binding;
    KeReleaseSpinLock(&R01BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R01DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR01_BINDING Binding = (PR01_BINDING)ClientBindingContext;
    KIRQL OldIrql;
#ifdef RACY_FIXED
    BOOLEAN Pending;
#endif

    KeAcquireSpinLock(&R01BindingLock, &OldIrql);
    if (R01CurrentBinding == Binding) {
        R01CurrentBinding = NULL;
    }
    Binding->Detaching = TRUE;
#ifdef RACY_FIXED
    Pending = (Binding->CallsInProgress != 0);
    KeReleaseSpinLock(&R01BindingLock, OldIrql);
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
#else
    KeReleaseSpinLock(&R01BindingLock, OldIrql);

    //
    // The sender checks Detaching before each send, so nothing can be in
    // flight once the flag is set.
    //
    return STATUS_SUCCESS;
#endif
}


static
VOID
R01CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR01_BINDING Binding = (PR01_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R01_POOL_TAG);
}


#ifdef RACY_FIXED
static
VOID
R01CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR01_BINDING Binding = (PR01_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}
#endif


static
VOID
R01Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R01SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR01_BINDING Binding;
    KIRQL OldIrql;

#ifdef RACY_FIXED
    BOOLEAN Last;

    KeAcquireSpinLock(&R01BindingLock, &OldIrql);
    Binding = R01CurrentBinding;
    if (Binding != NULL) {
        Binding->CallsInProgress++;
    }
    KeReleaseSpinLock(&R01BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }
#else
    Binding = R01CurrentBinding;
    if (Binding == NULL || Binding->Detaching) {
        return;
    }
#endif

    KeAcquireSpinLock(&R01StatsLock, &OldIrql);
    R01SendsStarted++;
    KeReleaseSpinLock(&R01StatsLock, OldIrql);

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

#ifdef RACY_FIXED
    KeAcquireSpinLock(&R01BindingLock, &OldIrql);
    Last = (--Binding->CallsInProgress == 0) && Binding->Detaching;
    KeReleaseSpinLock(&R01BindingLock, OldIrql);
    if (Last) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R01CompleteWorker, DelayedWorkQueue, Binding);
    }
#endif
}


static
VOID
R01SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R01_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R01StopEvent) != 0) {
            break;
        }
        R01SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
