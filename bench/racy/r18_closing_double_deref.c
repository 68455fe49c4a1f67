/*++

Module Name:

    r18_closing_double_deref.c

Abstract:

    Racy-bug benchmark case r18 (M19 binding-after-cleanup): a client of the
    Example NPI whose binding is reference counted, with two threads calling
    the provider: a sender that sends each message as a header and a
    payload, and a monitor that queries the provider's counter.

    The binding starts with one reference, the "attached" reference, which
    ClientDetachProvider drops; each call takes one while the binding is
    published (under the binding lock). The reference that goes to zero
    after the detach pended queues a work item that calls
    NmrClientDetachProviderComplete; the cleanup callback frees the binding.

    The bug: when the sender finds, between header and payload, that the
    binding is closing, it drops its reference and leaves through the
    common exit, which drops it again. The count reaches zero one
    reference early: the detach completes while the monitor still holds a
    reference, so the monitor calls Query on a binding whose detach has
    completed (M18), and its release may touch the binding NMR's cleanup
    freed (M19). It needs the detach between the sender's two Sends and the
    monitor holding a reference at that time; with the monitor idle the
    extra release only takes the count below zero after the Complete, which
    nothing notices.

    RACY_FIXED: the closing path leaves through the common exit only.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R18_POOL_TAG 0x38315252 // 'RR18'
#define R18_MESSAGE_COUNT 2
#define R18_QUERY_COUNT 3

typedef struct _R18_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    volatile LONG RefCount;                 // 1 while attached, + 1 per call in progress
    volatile BOOLEAN Closing;               // ClientDetachProvider was called
    PIO_WORKITEM CompleteWorkItem;
} R18_BINDING, *PR18_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R18Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R18AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R18DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R18CleanupBindingContext;
static EXAMPLE_INDICATE_FN R18Indicate;
static IO_WORKITEM_ROUTINE R18CompleteWorker;
static KSTART_ROUTINE R18SenderThread;
static KSTART_ROUTINE R18MonitorThread;

static CONST EXAMPLE_CLIENT_DISPATCH R18Dispatch = { R18Indicate };

static CONST NPI_MODULEID R18ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0018, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x18 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R18Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R18AttachProvider,
    R18DetachProvider,
    R18CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R18ModuleId, 0, NULL }
};

static HANDLE R18ClientHandle;
static PDEVICE_OBJECT R18DeviceObject;
static KSPIN_LOCK R18BindingLock;           // protects R18CurrentBinding
static PR18_BINDING R18CurrentBinding;
static KEVENT R18StopEvent;
static PVOID R18Threads[2];
static volatile LONG R18LastBytesSent;


static
VOID
R18StopThreads(
    VOID
    )
{
    ULONG Index;

    KeSetEvent(&R18StopEvent, IO_NO_INCREMENT, FALSE);
    for (Index = 0; Index < RTL_NUMBER_OF(R18Threads); Index++) {
        if (R18Threads[Index] != NULL) {
            KeWaitForSingleObject(R18Threads[Index], Executive, KernelMode, FALSE, NULL);
            ObDereferenceObject(R18Threads[Index]);
            R18Threads[Index] = NULL;
        }
    }
}


static
NTSTATUS
R18StartThread(
    _In_ PKSTART_ROUTINE StartRoutine,
    _Out_ PVOID *Thread
    )
{
    NTSTATUS Status;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  StartRoutine, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));
    return STATUS_SUCCESS;
}


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R18BindingLock);
    KeInitializeEvent(&R18StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &R18DeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    Status = R18StartThread(R18SenderThread, &R18Threads[0]);
    if (NT_SUCCESS(Status)) {
        Status = R18StartThread(R18MonitorThread, &R18Threads[1]);
    }
    if (!NT_SUCCESS(Status)) {
        R18StopThreads();
        IoDeleteDevice(R18DeviceObject);
        return Status;
    }

    DriverObject->DriverUnload = R18Unload;

    Status = NmrRegisterClient(&R18Characteristics, NULL, &R18ClientHandle);
    if (!NT_SUCCESS(Status)) {
        R18StopThreads();
        IoDeleteDevice(R18DeviceObject);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R18Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R18ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R18ClientHandle);
    }
    R18StopThreads();
    IoDeleteDevice(R18DeviceObject);
}


static
NTSTATUS
R18AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR18_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R18CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R18_BINDING), R18_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(R18DeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, R18_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->RefCount = 1;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R18Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding, R18_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R18BindingLock, &OldIrql);
    R18CurrentBinding = Binding;
    KeReleaseSpinLock(&R18BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R18DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR18_BINDING Binding = (PR18_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R18BindingLock, &OldIrql);
    if (R18CurrentBinding == Binding) {
        R18CurrentBinding = NULL;
    }
    Binding->Closing = TRUE;
    KeReleaseSpinLock(&R18BindingLock, OldIrql);

    //
    // Drop the attached reference. With calls in progress the last of them
    // completes the detach (R18DereferenceBinding).
    //
    if (InterlockedDecrement(&Binding->RefCount) == 0) {
        return STATUS_SUCCESS;
    }
    return STATUS_PENDING;
}


static
VOID
R18CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR18_BINDING Binding = (PR18_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, R18_POOL_TAG);
}


static
VOID
R18CompleteWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PR18_BINDING Binding = (PR18_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
}


static
VOID
R18Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


//
// A call reference on the published binding; NULL once it is detaching.
//
static
PR18_BINDING
R18ReferenceBinding(
    VOID
    )
{
    PR18_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R18BindingLock, &OldIrql);
    Binding = R18CurrentBinding;
    if (Binding != NULL) {
        InterlockedIncrement(&Binding->RefCount);
    }
    KeReleaseSpinLock(&R18BindingLock, OldIrql);
    return Binding;
}


static
VOID
R18DereferenceBinding(
    _In_ PR18_BINDING Binding
    )
{
    //
    // Zero only after the detach dropped the attached reference: the
    // detach pended for this call, which completes it.
    //
    if (InterlockedDecrement(&Binding->RefCount) == 0) {
        IoQueueWorkItem(Binding->CompleteWorkItem, R18CompleteWorker, DelayedWorkQueue, Binding);
    }
}


static
VOID
R18SendMessage(
    _In_ ULONG Sequence
    )
{
    UCHAR Header[4];
    static CONST UCHAR Payload[8] = { 'p', 'a', 'y', 'l', 'o', 'a', 'd', '!' };
    PR18_BINDING Binding;

    Binding = R18ReferenceBinding();
    if (Binding == NULL) {
        return;
    }

    Header[0] = 'H';
    Header[1] = (UCHAR)Sequence;
    Header[2] = sizeof(Payload);
    Header[3] = 0;
    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Header, sizeof(Header));

    //
    // Do not start the payload on a binding being torn down: the peer
    // drops a message whose payload does not follow.
    //
    if (Binding->Closing) {
#ifndef RACY_FIXED
        R18DereferenceBinding(Binding);
#endif
        goto Exit;
    }
    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Payload, sizeof(Payload));

Exit:
    R18DereferenceBinding(Binding);
}


static
VOID
R18SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R18_MESSAGE_COUNT; Index++) {
        if (KeReadStateEvent(&R18StopEvent) != 0) {
            break;
        }
        R18SendMessage(Index);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}


static
VOID
R18MonitorThread(
    _In_ PVOID StartContext
    )
{
    PR18_BINDING Binding;
    ULONG BytesSent;
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R18_QUERY_COUNT; Index++) {
        if (KeReadStateEvent(&R18StopEvent) != 0) {
            break;
        }
        Binding = R18ReferenceBinding();
        if (Binding != NULL) {
            if (NT_SUCCESS(Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &BytesSent))) {
                InterlockedExchange(&R18LastBytesSent, (LONG)BytesSent);
            }
            R18DereferenceBinding(Binding);
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
