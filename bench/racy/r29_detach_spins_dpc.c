/*++

Module Name:

    r29_detach_spins_dpc.c

Abstract:

    Racy-bug benchmark case r29 (L02 no-progress): a client of the Example
    NPI that processes its send completions in a DPC. The provider's
    Indicate, called inside Send, only counts the completion and queues the
    binding's DPC; the DPC updates the statistics and signals
    CompletionsDrained once nothing is queued. A send in progress at detach
    time makes the detach pend; the last call out completes it.

    The bug: ClientDetachProvider may run at DISPATCH_LEVEL, so it cannot
    wait for completions still queued to the DPC. Thinking a DPC finishes
    in microseconds, the author spins on CompletionsDrained instead of
    pending, holding the binding lock so that no new completion is queued
    meanwhile. The DPC needs that lock to drain: the detach spins for good.
    It needs the detach after an Indicate queued a completion and before
    the DPC took the lock (a send in progress alone pends correctly).

    RACY_FIXED: queued completions make the detach pend like calls in
    progress; the DPC completes it when it drained the last one.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R29_POOL_TAG 0x39325252 // 'RR29'
#define R29_SEND_COUNT 3

typedef struct _R29_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    KSPIN_LOCK Lock;                        // protects everything below
    BOOLEAN Closing;
    BOOLEAN DetachPending;
    ULONG SendsInProgress;
    ULONG CompletionsQueued;                // counted by Indicate, not yet taken by the DPC
    ULONG DpcRuns;                          // the DPC is queued (or running) this often
    ULONG Completions;
    KDPC CompletionDpc;
    KEVENT CompletionsDrained;              // signalled while CompletionsQueued is 0
} R29_BINDING, *PR29_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R29Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R29AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R29DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R29CleanupBindingContext;
static EXAMPLE_INDICATE_FN R29Indicate;
static KDEFERRED_ROUTINE R29CompletionDpc;
static KSTART_ROUTINE R29SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R29Dispatch = { R29Indicate };

static CONST NPI_MODULEID R29ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0029, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x29 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R29Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R29AttachProvider,
    R29DetachProvider,
    R29CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R29ModuleId, 0, NULL }
};

static HANDLE R29ClientHandle;
static KSPIN_LOCK R29BindingLock;           // protects R29CurrentBinding
static PR29_BINDING R29CurrentBinding;
static KEVENT R29StopEvent;
static PVOID R29Thread;


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

    KeInitializeSpinLock(&R29BindingLock);
    KeInitializeEvent(&R29StopEvent, NotificationEvent, FALSE);

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R29SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R29Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R29Unload;

    Status = NmrRegisterClient(&R29Characteristics, NULL, &R29ClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R29StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R29Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R29Thread);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R29Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R29ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R29ClientHandle);
    }
    KeSetEvent(&R29StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R29Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R29Thread);

    //
    // The last DPC of a binding may still be returning from its Complete.
    //
    KeFlushQueuedDpcs();
}


static
NTSTATUS
R29AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR29_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R29CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R29_BINDING), R29_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    KeInitializeSpinLock(&Binding->Lock);
    KeInitializeDpc(&Binding->CompletionDpc, R29CompletionDpc, Binding);
    KeInitializeEvent(&Binding->CompletionsDrained, NotificationEvent, TRUE);

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R29Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R29_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R29BindingLock, &OldIrql);
    R29CurrentBinding = Binding;
    KeReleaseSpinLock(&R29BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R29DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR29_BINDING Binding = (PR29_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&R29BindingLock, &OldIrql);
    if (R29CurrentBinding == Binding) {
        R29CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R29BindingLock, OldIrql);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
#ifdef RACY_FIXED
    Pending = (Binding->SendsInProgress != 0 || Binding->CompletionsQueued != 0 || Binding->DpcRuns != 0);
#else
    //
    // Completions queued to the DPC drain in microseconds: let them, rather
    // than pend for them (no waiting here, this may run at DISPATCH_LEVEL).
    //
    while (KeReadStateEvent(&Binding->CompletionsDrained) == 0) {
        YieldProcessor();
    }
    Pending = (Binding->SendsInProgress != 0);
#endif
    Binding->DetachPending = Pending;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R29CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, R29_POOL_TAG);
}


//
// The provider's send completion, inside Send: counted and handed to the
// DPC.
//
static
VOID
R29Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    PR29_BINDING Binding = (PR29_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    if (Indication != EXAMPLE_INDICATE_SEND_COMPLETE) {
        return;
    }
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->CompletionsQueued++;
    KeClearEvent(&Binding->CompletionsDrained);
    if (KeInsertQueueDpc(&Binding->CompletionDpc, NULL, NULL)) {
        Binding->DpcRuns++;
    }
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
}


static
VOID
R29CompletionDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    PR29_BINDING Binding = (PR29_BINDING)DeferredContext;
    BOOLEAN CompleteDetach;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
    Binding->Completions += Binding->CompletionsQueued;
    Binding->CompletionsQueued = 0;
    Binding->DpcRuns--;
    KeSetEvent(&Binding->CompletionsDrained, IO_NO_INCREMENT, FALSE);
    CompleteDetach = Binding->DetachPending && Binding->SendsInProgress == 0 && Binding->DpcRuns == 0;
    if (CompleteDetach) {
        Binding->DetachPending = FALSE;
    }
    KeReleaseSpinLockFromDpcLevel(&Binding->Lock);

    if (CompleteDetach) {
        NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
    }
}


static
VOID
R29SendOne(
    VOID
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PR29_BINDING Binding;
    KIRQL OldIrql;
    BOOLEAN CompleteDetach;

    KeAcquireSpinLock(&R29BindingLock, &OldIrql);
    Binding = R29CurrentBinding;
    if (Binding != NULL) {
        KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
        Binding->SendsInProgress++;
        KeReleaseSpinLockFromDpcLevel(&Binding->Lock);
    }
    KeReleaseSpinLock(&R29BindingLock, OldIrql);
    if (Binding == NULL) {
        return;
    }

    (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Packet, sizeof(Packet));

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->SendsInProgress--;
    CompleteDetach = Binding->DetachPending && Binding->SendsInProgress == 0 && Binding->DpcRuns == 0;
    if (CompleteDetach) {
        Binding->DetachPending = FALSE;
    }
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    //
    // NmrClientDetachProviderComplete may be called at PASSIVE or DISPATCH
    // level; the cleanup callback may run inside it.
    //
    if (CompleteDetach) {
        NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
    }
}


static
VOID
R29SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R29_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&R29StopEvent) != 0) {
            break;
        }
        R29SendOne();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
