/*++

Module Name:

    r30_poll_dpc_after_cleanup.c

Abstract:

    Racy-bug benchmark case r30 (M19 binding-after-cleanup): a client of the
    Example NPI that polls its provider's counter every 10 ms from a timer
    DPC kept in the binding context. The DPC re-arms the one-shot timer
    after each sample and stops once the binding is closing.

    The bug: the detach only marks the binding closing and returns
    STATUS_SUCCESS; the cleanup callback cancels the timer and frees the
    binding. KeCancelTimer stops a timer that has not expired, but not the
    DPC of one that has: a DPC queued (or running) at that point reads the
    freed binding context. It needs the poll timer to expire before the
    cleanup and its DPC to run after it.

    RACY_FIXED: the detach cancels the timer itself; if it had already
    expired, the DPC is queued or running, and the detach returns
    STATUS_PENDING: the DPC, finding the binding closing, completes it
    instead of re-arming.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R30_POOL_TAG 0x30335252 // 'RR30'
#define R30_POLL_MS 10

typedef struct _R30_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    KSPIN_LOCK Lock;                        // protects the fields below
    BOOLEAN Closing;
    BOOLEAN TimerArmed;                     // the timer is set, or its DPC is queued or running
    ULONG LastBytesSent;
    ULONG Samples;
    KTIMER PollTimer;
    KDPC PollDpc;
} R30_BINDING, *PR30_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R30Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R30AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R30DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R30CleanupBindingContext;
static EXAMPLE_INDICATE_FN R30Indicate;
static KDEFERRED_ROUTINE R30PollDpc;

static CONST EXAMPLE_CLIENT_DISPATCH R30Dispatch = { R30Indicate };

static CONST NPI_MODULEID R30ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0030, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x30 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R30Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R30AttachProvider,
    R30DetachProvider,
    R30CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R30ModuleId, 0, NULL }
};

static HANDLE R30ClientHandle;
static volatile LONG R30Bindings;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->DriverUnload = R30Unload;

    Status = NmrRegisterClient(&R30Characteristics, NULL, &R30ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R30Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R30ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R30ClientHandle);
    }
    //
    // A poll DPC may still be returning from the Complete of its binding.
    //
    KeFlushQueuedDpcs();
}


static
VOID
R30ArmPoll(
    _In_ PR30_BINDING Binding
    )
{
    LARGE_INTEGER DueTime;

    DueTime.QuadPart = -10000LL * R30_POLL_MS;
    KeSetTimer(&Binding->PollTimer, DueTime, &Binding->PollDpc);
}


static
NTSTATUS
R30AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR30_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R30_BINDING), R30_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    KeInitializeSpinLock(&Binding->Lock);
    KeInitializeTimer(&Binding->PollTimer);
    KeInitializeDpc(&Binding->PollDpc, R30PollDpc, Binding);

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R30Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R30_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    InterlockedIncrement(&R30Bindings);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->TimerArmed = TRUE;
    R30ArmPoll(Binding);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R30DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PR30_BINDING Binding = (PR30_BINDING)ClientBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending = FALSE;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
#ifdef RACY_FIXED
    //
    // A timer that had not expired is stopped, and its DPC will not run.
    // Otherwise the DPC is queued or running: it completes the detach.
    //
    if (KeCancelTimer(&Binding->PollTimer)) {
        Binding->TimerArmed = FALSE;
    }
    Pending = Binding->TimerArmed;
#endif
    KeReleaseSpinLock(&Binding->Lock, OldIrql);
    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R30CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR30_BINDING Binding = (PR30_BINDING)ClientBindingContext;

#ifndef RACY_FIXED
    KeCancelTimer(&Binding->PollTimer);
#endif
    InterlockedDecrement(&R30Bindings);
    ExFreePoolWithTag(Binding, R30_POOL_TAG);
}


static
VOID
R30Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R30PollDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    PR30_BINDING Binding = (PR30_BINDING)DeferredContext;
    ULONG BytesSent = 0;
    BOOLEAN CompleteDetach = FALSE;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
    if (Binding->Closing) {
        Binding->TimerArmed = FALSE;
#ifdef RACY_FIXED
        CompleteDetach = TRUE;
#endif
        KeReleaseSpinLockFromDpcLevel(&Binding->Lock);
        if (CompleteDetach) {
            NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
        }
        return;
    }
    KeReleaseSpinLockFromDpcLevel(&Binding->Lock);

    (VOID)Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &BytesSent);

    KeAcquireSpinLockAtDpcLevel(&Binding->Lock);
    Binding->LastBytesSent = BytesSent;
    Binding->Samples++;
    if (Binding->Closing) {
        Binding->TimerArmed = FALSE;
#ifdef RACY_FIXED
        CompleteDetach = TRUE;
#endif
    } else {
        R30ArmPoll(Binding);
    }
    KeReleaseSpinLockFromDpcLevel(&Binding->Lock);

    if (CompleteDetach) {
        NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
    }
}
