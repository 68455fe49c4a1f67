/*++

Module Name:

    r02_complete_vs_detach.c

Abstract:

    Racy-bug benchmark case r02 (M15 complete-unexpected): a client of the
    Example NPI that counts its calls in progress and completes a pending
    detach from a work item when the last call returns.

    ClientDetachProvider unpublishes the binding, sets Closing, updates its
    statistics under a second lock, and only then reads the call count to
    choose between STATUS_SUCCESS and STATUS_PENDING. A call that returns
    after Closing was set but before the count was read sees "last call
    out while closing" and queues the Complete, while the detach callback
    sees no call in progress and returns STATUS_SUCCESS: a Complete for a
    detach that did not pend.

    RACY_FIXED: the count and the closing bit live in one word changed with
    Interlocked operations, so exactly one side sees the transition.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R02_POOL_TAG 0x32305252 // 'RR02'
#define R02_SEND_COUNT 4
#define R02_CLOSING 0x40000000L

typedef struct _R02_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress (| R02_CLOSING when fixed)
    volatile BOOLEAN Closing;               // ClientDetachProvider was called
    PIO_WORKITEM CompleteWorkItem;
} R02_BINDING, *PR02_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R02Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R02AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R02DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R02CleanupBindingContext;
static EXAMPLE_INDICATE_FN R02Indicate;
static IO_WORKITEM_ROUTINE R02CompleteWorker;
static KSTART_ROUTINE R02SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R02Dispatch = { R02Indicate };

static CONST NPI_MODULEID R02ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0002, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x02 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R02Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R02AttachProvider,
    R02DetachProvider,
    R02CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R02ModuleId, 0, NULL }
};

static HANDLE R02ClientHandle;
static PDEVICE_OBJECT R02DeviceObject;
static KSPIN_LOCK R02BindingLock;           // protects R02CurrentBinding
static PR02_BINDING R02CurrentBinding;
static KSPIN_LOCK R02StatsLock;             // protects R02Detaches
static ULONG R02Detaches;
static KEVENT R02StopEvent;
static PVOID R02Thread;


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

    KeInitializeSpinLock(&R02BindingLock);
    KeInitializeSpinLock(&R02StatsLock);
    KeInitializeEvent(&R02StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R02DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R02SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(R02DeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R02Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R02Unload;

    Status = NmrRegisterClient(&R02Characteristics, NULL, &R02ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R02StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R02Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R02Thread);
        IoDeleteDevice(R02DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R02Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R02ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R02ClientHandle);
    }
    KeSetEvent(&R02StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R02Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R02Thread);
    IoDeleteDevice(R02DeviceObject);
}


static
NTSTATUS
R02AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR02_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R02CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R02_BINDING), R02_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R02DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R02_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R02Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R02_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R02BindingLock, &OldIrql);
    R02CurrentBinding = Binding;
    KeReleaseSpinLock(&R02BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R02DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR02_BINDING Binding = (PR02_BINDING)ClientBindingContext;
    KIRQL OldIrql;
#ifdef RACY_FIXED
    LONG OldState;
#endif

    KeAcquireSpinLock(&R02BindingLock, &OldIrql);
    if (R02CurrentBinding == Binding) {
        R02CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R02BindingLock, OldIrql);

#ifdef RACY_FIXED
    OldState = InterlockedOr(&Binding->CallState, R02_CLOSING);
#else
    Binding->Closing = TRUE;
#endif

    KeAcquireSpinLock(&R02StatsLock, &OldIrql);
    R02Detaches++;
    KeReleaseSpinLock(&R02StatsLock, OldIrql);

#ifdef RACY_FIXED
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
#else
    return (Binding->CallState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
#endif
}


static
VOID
R02CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR02_BINDING Binding = (PR02_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R02_POOL_TAG);
}


static
VOID
R02CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR02_BINDING Binding = (PR02_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R02Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R02SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR02_BINDING Binding;
    KIRQL OldIrql;
    BOOLEAN Last;

    KeAcquireSpinLock(&R02BindingLock, &OldIrql);
    Binding = R02CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R02BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

#ifdef RACY_FIXED
    Last = (InterlockedDecrement(&Binding->CallState) == R02_CLOSING);
#else
    Last = (InterlockedDecrement(&Binding->CallState) == 0) && Binding->Closing;
#endif
    if (Last) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R02CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R02SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R02_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R02StopEvent) != 0) {
            break;
        }
        R02SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
