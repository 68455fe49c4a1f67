/*++

Module Name:

    r03_lost_completion.c

Abstract:

    Racy-bug benchmark case r03 (M17 pending-forever): a client of the
    Example NPI that counts its calls in progress and completes a pending
    detach from a work item when the last call returns.

    ClientDetachProvider decides first (a call is in progress: it will
    return STATUS_PENDING), then unpublishes the binding and updates its
    statistics, and sets Closing last. A call that returns in between
    takes the count to zero while Closing is still FALSE, so it queues no
    Complete; the detach then pends and nobody completes it.

    RACY_FIXED: the count and the closing bit live in one word changed with
    Interlocked operations, so exactly one side sees the transition.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R03_POOL_TAG 0x33305252 // 'RR03'
#define R03_SEND_COUNT 4
#define R03_CLOSING 0x40000000L

typedef struct _R03_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress (| R03_CLOSING when fixed)
    volatile BOOLEAN Closing;               // ClientDetachProvider was called
    PIO_WORKITEM CompleteWorkItem;
} R03_BINDING, *PR03_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R03Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R03AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R03DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R03CleanupBindingContext;
static EXAMPLE_INDICATE_FN R03Indicate;
static IO_WORKITEM_ROUTINE R03CompleteWorker;
static KSTART_ROUTINE R03SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R03Dispatch = { R03Indicate };

static CONST NPI_MODULEID R03ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0003, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x03 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R03Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R03AttachProvider,
    R03DetachProvider,
    R03CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R03ModuleId, 0, NULL }
};

static HANDLE R03ClientHandle;
static PDEVICE_OBJECT R03DeviceObject;
static KSPIN_LOCK R03BindingLock;           // protects R03CurrentBinding
static PR03_BINDING R03CurrentBinding;
static KSPIN_LOCK R03StatsLock;             // protects R03Detaches
static ULONG R03Detaches;
static KEVENT R03StopEvent;
static PVOID R03Thread;


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

    KeInitializeSpinLock(&R03BindingLock);
    KeInitializeSpinLock(&R03StatsLock);
    KeInitializeEvent(&R03StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R03DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R03SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R03DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R03Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R03Unload;

    Status = NmrRegisterClient(&R03Characteristics, NULL, &R03ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R03StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R03Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R03Thread);
        IoDeleteDevice(R03DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R03Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R03ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R03ClientHandle);
    }
    KeSetEvent(&R03StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R03Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R03Thread);
    IoDeleteDevice(R03DeviceObject);
}


static
NTSTATUS
R03AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR03_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R03CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R03_BINDING), R03_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R03DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R03_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R03Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R03_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R03BindingLock, &OldIrql);
    R03CurrentBinding = Binding;
    KeReleaseSpinLock(&R03BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R03DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR03_BINDING Binding = (PR03_BINDING)ClientBindingContext;
    KIRQL OldIrql;
#ifdef RACY_FIXED
    LONG OldState;
#else
    BOOLEAN Pending = (Binding->CallState != 0);
#endif

    KeAcquireSpinLock(&R03BindingLock, &OldIrql);
    if (R03CurrentBinding == Binding) {
        R03CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R03BindingLock, OldIrql);

    KeAcquireSpinLock(&R03StatsLock, &OldIrql);
    R03Detaches++;
    KeReleaseSpinLock(&R03StatsLock, OldIrql);

#ifdef RACY_FIXED
    OldState = InterlockedOr(&Binding->CallState, R03_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
#else
    Binding->Closing = TRUE;
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
#endif
}


static
VOID
R03CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR03_BINDING Binding = (PR03_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R03_POOL_TAG);
}


static
VOID
R03CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR03_BINDING Binding = (PR03_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R03Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R03SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR03_BINDING Binding;
    KIRQL OldIrql;
    BOOLEAN Last;

    KeAcquireSpinLock(&R03BindingLock, &OldIrql);
    Binding = R03CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R03BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

#ifdef RACY_FIXED
    Last = (InterlockedDecrement(&Binding->CallState) == R03_CLOSING);
#else
    Last = (InterlockedDecrement(&Binding->CallState) == 0) && Binding->Closing;
#endif
    if (Last) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R03CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R03SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R03_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R03StopEvent) != 0) {
            break;
        }
        R03SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
