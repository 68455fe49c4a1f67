/*++

Module Name:

    r05_dpc_after_unload.c

Abstract:

    Racy-bug benchmark case r05 (K06 work-after-unload): a client of the
    Example NPI that samples its provider's byte counter from a periodic
    timer DPC.

    Unload cancels the timer first, then deregisters and waits. KeCancelTimer
    only takes the timer out of the timer queue: a DPC the timer already
    queued still runs, usually while Unload waits for the deregistration,
    but if it runs after Unload returned it runs code of an unloaded driver.

    RACY_FIXED: KeFlushQueuedDpcs after KeCancelTimer.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R05_POOL_TAG 0x35305252 // 'RR05'
#define R05_PERIOD_MS 2

typedef struct _R05_BINDING {
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} R05_BINDING, *PR05_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R05Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R05AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R05DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R05CleanupBindingContext;
static EXAMPLE_INDICATE_FN R05Indicate;
static KDEFERRED_ROUTINE R05SampleDpc;

static CONST EXAMPLE_CLIENT_DISPATCH R05Dispatch = { R05Indicate };

static CONST NPI_MODULEID R05ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0005, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x05 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R05Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R05AttachProvider,
    R05DetachProvider,
    R05CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R05ModuleId, 0, NULL }
};

static HANDLE R05ClientHandle;
static KSPIN_LOCK R05BindingLock;           // protects R05CurrentBinding and R05LastSample
static PR05_BINDING R05CurrentBinding;
static ULONG R05LastSample;
static KTIMER R05SampleTimer;
static KDPC R05SampleDpcObject;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    LARGE_INTEGER DueTime;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R05BindingLock);
    KeInitializeTimer(&R05SampleTimer);
    KeInitializeDpc(&R05SampleDpcObject, R05SampleDpc, NULL);

    DriverObject->DriverUnload = R05Unload;

    Status = NmrRegisterClient(&R05Characteristics, NULL, &R05ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    DueTime.QuadPart = -10000LL * R05_PERIOD_MS;
    KeSetTimerEx(&R05SampleTimer, DueTime, R05_PERIOD_MS, &R05SampleDpcObject);
    return STATUS_SUCCESS;
}


static
VOID
R05Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    //
    // No more samples: the binding is about to go.
    //
    KeCancelTimer(&R05SampleTimer);

    if (NmrDeregisterClient(R05ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R05ClientHandle);
    }
#ifdef RACY_FIXED
    //
    // A DPC the timer queued before the cancel may still be pending.
    //
    KeFlushQueuedDpcs();
#endif
}


static
NTSTATUS
R05AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR05_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R05CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R05_BINDING), R05_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R05Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R05_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R05BindingLock, &OldIrql);
    R05CurrentBinding = Binding;
    KeReleaseSpinLock(&R05BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R05DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    KIRQL OldIrql;

    //
    // The DPC samples under the lock: once the binding is unpublished no
    // sample can use it.
    //
    KeAcquireSpinLock(&R05BindingLock, &OldIrql);
    if (R05CurrentBinding == ClientBindingContext) {
        R05CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R05BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
VOID
R05CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, R05_POOL_TAG);
}


static
VOID
R05Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R05SampleDpc(
    _In_ PKDPC Dpc,
    _In_opt_ PVOID DeferredContext,
    _In_opt_ PVOID SystemArgument1,
    _In_opt_ PVOID SystemArgument2
    )
{
    ULONG BytesSent;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    KeAcquireSpinLockAtDpcLevel(&R05BindingLock);
    if (R05CurrentBinding != NULL &&
        NT_SUCCESS(R05CurrentBinding->ProviderDispatch->Query(R05CurrentBinding->ProviderBindingContext,
                                                              &BytesSent))) {
        R05LastSample = BytesSent;
    }
    KeReleaseSpinLockFromDpcLevel(&R05BindingLock);
}
