/*++

Module Name:

    r25_attach_during_unload.c

Abstract:

    Racy-bug benchmark case r25 (M12 attach-status): a client of the Example
    NPI that refuses new bindings once its Unload has started.

    Unload sets R25Unloading under the driver lock before it deregisters,
    so that an attach racing with the unload does not publish a binding
    the sender thread would then use. The attach callback allocates its
    binding context and a receive buffer, attaches with
    NmrClientAttachProvider, and only then takes the driver lock to
    publish the binding.

    The bug: finding R25Unloading set at that point, the attach frees its
    context and returns STATUS_DELETE_PENDING, although
    NmrClientAttachProvider succeeded: NMR considers the binding attached
    (the provider holds a binding context for it) and the client's own
    status contradicts it. It needs the provider's registration to attach
    this client while the client's Unload starts: the Unload between
    NmrClientAttachProvider and the publish.

    RACY_FIXED: the attach checks R25Unloading (under the lock) before it
    calls NmrClientAttachProvider, and once that call succeeded it always
    returns STATUS_SUCCESS (the deregistration that follows detaches it).

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R25_POOL_TAG 0x35325252 // 'RR25'
#define R25_RECEIVE_BUFFER_SIZE 256
#define R25_SEND_COUNT 3
#define R25_CLOSING 0x40000000L

typedef struct _R25_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R25_CLOSING
    PIO_WORKITEM CompleteWorkItem;
    PUCHAR ReceiveBuffer;
} R25_BINDING, *PR25_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R25Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R25AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R25DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R25CleanupBindingContext;
static EXAMPLE_INDICATE_FN R25Indicate;
static IO_WORKITEM_ROUTINE R25CompleteWorker;
static KSTART_ROUTINE R25SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R25Dispatch = { R25Indicate };

static CONST NPI_MODULEID R25ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0025, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x25 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R25Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R25AttachProvider,
    R25DetachProvider,
    R25CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R25ModuleId, 0, NULL }
};

static HANDLE R25ClientHandle;
static PDEVICE_OBJECT R25DeviceObject;
static KSPIN_LOCK R25Lock;                  // protects R25CurrentBinding and R25Unloading
static PR25_BINDING R25CurrentBinding;
static BOOLEAN R25Unloading;
static KEVENT R25StopEvent;
static PVOID R25Thread;


static
VOID
R25FreeBinding(
    _In_ PR25_BINDING Binding
    )
{
    if (Binding->CompleteWorkItem != NULL) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
    }
    if (Binding->ReceiveBuffer != NULL) {
        ExFreePoolWithTag(Binding->ReceiveBuffer, R25_POOL_TAG);
    }
    ExFreePoolWithTag(Binding, R25_POOL_TAG);
}


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

    KeInitializeSpinLock(&R25Lock);
    KeInitializeEvent(&R25StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R25DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R25SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R25DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R25Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R25Unload;

    Status = NmrRegisterClient(&R25Characteristics, NULL, &R25ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R25StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R25Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R25Thread);
        IoDeleteDevice(R25DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R25Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(DriverObject);

    //
    // No new binding from here on: the sender must not pick one up while
    // the driver goes away.
    //
    KeAcquireSpinLock(&R25Lock, &OldIrql);
    R25Unloading = TRUE;
    KeReleaseSpinLock(&R25Lock, OldIrql);

    if (NmrDeregisterClient(R25ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R25ClientHandle);
    }
    KeSetEvent(&R25StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R25Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R25Thread);
    IoDeleteDevice(R25DeviceObject);
}


static
NTSTATUS
R25AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR25_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

#ifdef RACY_FIXED
    KeAcquireSpinLock(&R25Lock, &OldIrql);
    Status = (R25Unloading || R25CurrentBinding != NULL) ? STATUS_NOINTERFACE : STATUS_SUCCESS;
    KeReleaseSpinLock(&R25Lock, OldIrql);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
#endif

    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R25_BINDING), R25_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ReceiveBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, R25_RECEIVE_BUFFER_SIZE, R25_POOL_TAG);
    Binding->CompleteWorkItem = IoAllocateWorkItem(R25DeviceObject);
    if (Binding->ReceiveBuffer == NULL || Binding->CompleteWorkItem == NULL) {
        R25FreeBinding(Binding);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R25Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        R25FreeBinding(Binding);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R25Lock, &OldIrql);
#ifdef RACY_FIXED
    //
    // Attached: NMR owns the binding now. If the Unload started meanwhile,
    // its deregistration detaches it; the sender may use it until then.
    //
    R25CurrentBinding = Binding;
#else
    if (R25Unloading || R25CurrentBinding != NULL) {
        KeReleaseSpinLock(&R25Lock, OldIrql);
        R25FreeBinding(Binding);
        return STATUS_DELETE_PENDING;
    }
    R25CurrentBinding = Binding;
#endif
    KeReleaseSpinLock(&R25Lock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R25DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR25_BINDING Binding = (PR25_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R25Lock, &OldIrql);
    if (R25CurrentBinding == Binding) {
        R25CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R25Lock, OldIrql);

    OldState = InterlockedOr(&Binding->CallState, R25_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
R25CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    R25FreeBinding((PR25_BINDING)ClientBindingContext);
}


static
VOID
R25CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR25_BINDING Binding = (PR25_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R25Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R25SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR25_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R25Lock, &OldIrql);
    Binding = R25CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R25Lock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    if (InterlockedDecrement(&Binding->CallState) == R25_CLOSING) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R25CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R25SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R25_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R25StopEvent) != 0) {
            break;
        }
        R25SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
