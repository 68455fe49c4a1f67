/*++

Module Name:

    r15_last_out_twice.c

Abstract:

    Racy-bug benchmark case r15 (K09 object-misuse, or M15 when both
    Completes run): a client of the Example NPI with two sender threads that
    count their calls in progress in one word with a closing bit and
    complete a pending detach from a work item when the last call returns.

    R15ReleaseCall counts the call out, updates the call statistics under
    a spin lock, and then reads the word again to see whether it was the
    last call out of a closing binding. When the detach came while both
    senders were inside a call and both count out before either reads,
    both see "closing, no call" and both queue the Complete work item.

    RACY_FIXED: the value InterlockedDecrement returns decides, so exactly
    one call is the last one out.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R15_POOL_TAG 0x34315252 // 'RR15'
#define R15_SEND_COUNT 4
#define R15_CLOSING 0x40000000L

typedef struct _R15_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG CallState;                // calls in progress | R15_CLOSING once detaching
    PIO_WORKITEM CompleteWorkItem;
} R15_BINDING, *PR15_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R15Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R15AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R15DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R15CleanupBindingContext;
static EXAMPLE_INDICATE_FN R15Indicate;
static IO_WORKITEM_ROUTINE R15CompleteWorker;
static KSTART_ROUTINE R15SenderThread;
static VOID R15StopSenders(VOID);

static CONST EXAMPLE_CLIENT_DISPATCH R15Dispatch = { R15Indicate };

static CONST NPI_MODULEID R15ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0015, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x15 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R15Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R15AttachProvider,
    R15DetachProvider,
    R15CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R15ModuleId, 0, NULL }
};

static HANDLE R15ClientHandle;
static PDEVICE_OBJECT R15DeviceObject;
static KSPIN_LOCK R15BindingLock;           // protects R15CurrentBinding
static PR15_BINDING R15CurrentBinding;
static KSPIN_LOCK R15StatsLock;             // protects R15CallsDone
static ULONG R15CallsDone;
static KEVENT R15StopEvent;
static PVOID R15Thread[2];


static
VOID
R15StopSenders(
    VOID
    )
{
    ULONG Index;

    KeSetEvent(&R15StopEvent, IO_NO_INCREMENT, FALSE);
    for (Index = 0; Index < 2; Index++) {
        if (R15Thread[Index] != NULL) {
            KeWaitForSingleObject(R15Thread[Index], Executive, KernelMode, FALSE, NULL);
            ObDereferenceObject(R15Thread[Index]);
        }
    }
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
    ULONG Index;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R15BindingLock);
    KeInitializeSpinLock(&R15StatsLock);
    KeInitializeEvent(&R15StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R15DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    for (Index = 0; Index < 2; Index++) {
        R15Thread[Index] = NULL;
        Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                      R15SenderThread, NULL);
        if (NT_SUCCESS(Status)) {
            Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                               &R15Thread[Index], NULL);
            ZwClose(ThreadHandle);
            NT_ASSERT(NT_SUCCESS(Status));
        }
    }

    DriverObject->DriverUnload = R15Unload;

    Status = NmrRegisterClient(&R15Characteristics, NULL, &R15ClientHandle);
    if (!NT_SUCCESS(Status)) {
        R15StopSenders();
        IoDeleteDevice(R15DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R15Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R15ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R15ClientHandle);
    }
    R15StopSenders();
    IoDeleteDevice(R15DeviceObject);
}


static
NTSTATUS
R15AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR15_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R15CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R15_BINDING), R15_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R15DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R15_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R15Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R15_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R15BindingLock, &OldIrql);
    R15CurrentBinding = Binding;
    KeReleaseSpinLock(&R15BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R15DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR15_BINDING Binding = (PR15_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    LONG OldState;

    KeAcquireSpinLock(&R15BindingLock, &OldIrql);
    if (R15CurrentBinding == Binding) {
        R15CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R15BindingLock, OldIrql);

    //
    // The last call out completes the detach (R15ReleaseCall).
    //
    OldState = InterlockedOr(&Binding->CallState, R15_CLOSING);
    return (OldState == 0) ? STATUS_SUCCESS : STATUS_PENDING;
}


static
VOID
R15CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR15_BINDING Binding = (PR15_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R15_POOL_TAG);
}


static
VOID
R15CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR15_BINDING Binding = (PR15_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R15Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


//
// Counts a call out; the last one out of a closing binding queues the
// Complete of its pending detach.
//
static
VOID
R15ReleaseCall(
    _In_ PR15_BINDING Binding
    )
{
    KIRQL OldIrql;
#ifdef RACY_FIXED
    BOOLEAN Last = (InterlockedDecrement(&Binding->CallState) == R15_CLOSING);
#else
    BOOLEAN Last;

    InterlockedDecrement(&Binding->CallState);
#endif

    KeAcquireSpinLock(&R15StatsLock, &OldIrql);
    R15CallsDone++;
    KeReleaseSpinLock(&R15StatsLock, OldIrql);

#ifndef RACY_FIXED
    Last = (Binding->CallState == R15_CLOSING);
#endif
    if (Last) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R15CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R15SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR15_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R15BindingLock, &OldIrql);
    Binding = R15CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->CallState);
    }
    KeReleaseSpinLock(&R15BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    R15ReleaseCall(Binding);
}


static
VOID
R15SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R15_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R15StopEvent) != 0) {
            break;
        }
        R15SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
