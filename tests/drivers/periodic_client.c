/*++

Module Name:

    periodic_client.c

Abstract:

    A client of the Example NPI (examples/example_npi.h) with a periodic
    worker, the usual shape of a driver that polls its provider:

    - DriverEntry registers the client and starts a system thread;

    - the thread loops on KeWaitForSingleObject(StopEvent) with a 5 ms
      relative timeout; on each timeout it does its periodic work (a Query
      through the current binding, counted as a call in progress so a
      detach waits for it), and it exits when StopEvent is signalled;

    - Unload deregisters (waiting if PENDING), then signals StopEvent and
      waits for the thread object before the image goes away.

    Built twice: as is (correct; corpus/kernel/drain-periodic-*.nmr) and with
    PERIODIC_CLIENT_NO_STOP (periodic_client_nostop.c), whose Unload forgets
    to stop the worker: its code runs after Unload returned (K06) and the
    thread is outstanding work at Unload (M21).

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "../../examples/example_npi.h"

#define PERIODIC_CLIENT_POOL_TAG 0x6c437250     // 'PrCl'
#define PERIODIC_CLIENT_PERIOD_MS 5

typedef struct _PERIODIC_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    BOOLEAN Closing;                // protected by BindingLock
    ULONG CallsInProgress;          // protected by BindingLock
} PERIODIC_BINDING, *PPERIODIC_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD PeriodicUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN PeriodicAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN PeriodicDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN PeriodicCleanupBindingContext;
static EXAMPLE_INDICATE_FN PeriodicIndicate;
static KSTART_ROUTINE PeriodicWorker;

static CONST EXAMPLE_CLIENT_DISPATCH PeriodicDispatch = { PeriodicIndicate };

// {3b8e51a2-07c4-4f19-a6d2-5e90b1c7d3f4}
static CONST NPI_MODULEID PeriodicModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x3b8e51a2, 0x07c4, 0x4f19, { 0xa6, 0xd2, 0x5e, 0x90, 0xb1, 0xc7, 0xd3, 0xf4 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS PeriodicCharacteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    PeriodicAttachProvider,
    PeriodicDetachProvider,
    PeriodicCleanupBindingContext,
    {
        0,
        sizeof(NPI_REGISTRATION_INSTANCE),
        (PNPIID)&NPI_EXAMPLE_ID,
        (PNPI_MODULEID)&PeriodicModuleId,
        0,
        NULL
    }
};

static HANDLE ClientHandle;
static KSPIN_LOCK BindingLock;
static PPERIODIC_BINDING Binding;       // the binding the worker polls, or NULL
static KEVENT StopEvent;
static PVOID WorkerThread;
static volatile LONG Polls;


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

    KeInitializeSpinLock(&BindingLock);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    DriverObject->DriverUnload = PeriodicUnload;

    Status = NmrRegisterClient(&PeriodicCharacteristics, NULL, &ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes,
                                  NULL, NULL, PeriodicWorker, NULL);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType,
                                           KernelMode, &WorkerThread, NULL);
        ZwClose(ThreadHandle);
        NT_ASSERT(NT_SUCCESS(Status));
    }
    if (!NT_SUCCESS(Status)) {
        //
        // Unload is not called when DriverEntry fails: deregister here.
        //
        if (NmrDeregisterClient(ClientHandle) == STATUS_PENDING) {
            NmrWaitForClientDeregisterComplete(ClientHandle);
        }
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
PeriodicUnload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(ClientHandle);
    }

#ifndef PERIODIC_CLIENT_NO_STOP
    //
    // The worker's code is part of this image: stop it and wait for it.
    //
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(WorkerThread, Executive, KernelMode, FALSE, NULL);
#endif
    ObDereferenceObject(WorkerThread);
}


static
NTSTATUS
PeriodicAttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PPERIODIC_BINDING Context;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    Context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Context), PERIODIC_CLIENT_POOL_TAG);
    if (Context == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Context->NmrBindingHandle = NmrBindingHandle;
    Status = NmrClientAttachProvider(NmrBindingHandle, Context, &PeriodicDispatch,
                                     &Context->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Context, PERIODIC_CLIENT_POOL_TAG);
        return Status;
    }
    Context->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    //
    // One provider at a time: a second binding stays attached but unused.
    //
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (Binding == NULL) {
        Binding = Context;
    }
    KeReleaseSpinLock(&BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
PeriodicDetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PPERIODIC_BINDING Context = (PPERIODIC_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Context->Closing = TRUE;
    if (Binding == Context) {
        Binding = NULL;
    }
    Pending = (Context->CallsInProgress != 0);
    KeReleaseSpinLock(&BindingLock, OldIrql);

    //
    // PENDING: the worker's call in progress completes the detach.
    //
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
PeriodicCleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, PERIODIC_CLIENT_POOL_TAG);
}


static
VOID
PeriodicIndicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


//
// The periodic work: one Query through the current binding, if any.
//
static
VOID
PeriodicPoll(
    VOID
    )
{
    PPERIODIC_BINDING Context;
    KIRQL OldIrql;
    ULONG BytesSent;
    BOOLEAN CompleteDetach;
    HANDLE BindingHandle;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Context = Binding;
    if (Context == NULL) {
        KeReleaseSpinLock(&BindingLock, OldIrql);
        return;
    }
    Context->CallsInProgress++;
    KeReleaseSpinLock(&BindingLock, OldIrql);

    (VOID)Context->ProviderDispatch->Query(Context->ProviderBindingContext, &BytesSent);
    InterlockedIncrement(&Polls);

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Context->CallsInProgress--;
    CompleteDetach = (Context->Closing && Context->CallsInProgress == 0);
    BindingHandle = Context->NmrBindingHandle;
    KeReleaseSpinLock(&BindingLock, OldIrql);

    if (CompleteDetach) {
        NmrClientDetachProviderComplete(BindingHandle);
    }
}


static
VOID
PeriodicWorker(
    _In_ PVOID StartContext
    )
{
    LARGE_INTEGER Timeout;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(StartContext);

    Timeout.QuadPart = -10 * 1000 * PERIODIC_CLIENT_PERIOD_MS;   // relative, 100 ns units
    for (;;) {
        Status = KeWaitForSingleObject(&StopEvent, Executive, KernelMode, FALSE, &Timeout);
        if (Status != STATUS_TIMEOUT) {
            break;
        }
        PeriodicPoll();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
