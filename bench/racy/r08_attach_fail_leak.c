/*++

Module Name:

    r08_attach_fail_leak.c

Abstract:

    Racy-bug benchmark case r08 (M21 unload-leak): a client of the Example
    NPI that gives each binding a receive buffer and samples the provider's
    byte counter from a periodic timer DPC.

    ClientAttachProvider allocates the binding context, then its receive
    buffer, then calls NmrClientAttachProvider. When the buffer cannot be
    allocated, the error path returns without freeing the binding context:
    the pool stays allocated after Unload. Only an allocation failure (a
    pool fault) at that one allocation takes the path.

    RACY_FIXED: the error path frees the binding context.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R08_POOL_TAG 0x38305252 // 'RR08'
#define R08_PERIOD_MS 2

#define R08_RX_BYTES 256

typedef struct _R08_BINDING {
    PUCHAR RxBuffer;                        // receive buffer, R08_RX_BYTES
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} R08_BINDING, *PR08_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R08Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R08AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R08DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R08CleanupBindingContext;
static EXAMPLE_INDICATE_FN R08Indicate;
static KDEFERRED_ROUTINE R08SampleDpc;

static CONST EXAMPLE_CLIENT_DISPATCH R08Dispatch = { R08Indicate };

static CONST NPI_MODULEID R08ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0008, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x08 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R08Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R08AttachProvider,
    R08DetachProvider,
    R08CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R08ModuleId, 0, NULL }
};

static HANDLE R08ClientHandle;
static KSPIN_LOCK R08BindingLock;           // protects R08CurrentBinding and R08LastSample
static PR08_BINDING R08CurrentBinding;
static ULONG R08LastSample;
static KTIMER R08SampleTimer;
static KDPC R08SampleDpcObject;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    LARGE_INTEGER DueTime;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&R08BindingLock);
    KeInitializeTimer(&R08SampleTimer);
    KeInitializeDpc(&R08SampleDpcObject, R08SampleDpc, NULL);

    DriverObject->DriverUnload = R08Unload;

    Status = NmrRegisterClient(&R08Characteristics, NULL, &R08ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    DueTime.QuadPart = -10000LL * R08_PERIOD_MS;
    KeSetTimerEx(&R08SampleTimer, DueTime, R08_PERIOD_MS, &R08SampleDpcObject);
    return STATUS_SUCCESS;
}


static
VOID
R08Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R08ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R08ClientHandle);
    }

    KeCancelTimer(&R08SampleTimer);
    KeFlushQueuedDpcs();
}


static
NTSTATUS
R08AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR08_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R08CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R08_BINDING), R08_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->RxBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, R08_RX_BYTES, R08_POOL_TAG);
    if (Binding->RxBuffer == NULL) {
#ifdef RACY_FIXED
        ExFreePoolWithTag(Binding, R08_POOL_TAG);
#endif
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R08Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding->RxBuffer, R08_POOL_TAG);
        ExFreePoolWithTag(Binding, R08_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R08BindingLock, &OldIrql);
    R08CurrentBinding = Binding;
    KeReleaseSpinLock(&R08BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R08DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    KIRQL OldIrql;

    //
    // The DPC samples under the lock: once the binding is unpublished no
    // sample can use it.
    //
    KeAcquireSpinLock(&R08BindingLock, &OldIrql);
    if (R08CurrentBinding == ClientBindingContext) {
        R08CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R08BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
VOID
R08CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    PR08_BINDING Binding = (PR08_BINDING)ClientBindingContext;

    ExFreePoolWithTag(Binding->RxBuffer, R08_POOL_TAG);
    ExFreePoolWithTag(Binding, R08_POOL_TAG);
}


static
VOID
R08Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R08SampleDpc(
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

    KeAcquireSpinLockAtDpcLevel(&R08BindingLock);
    if (R08CurrentBinding != NULL &&
        NT_SUCCESS(R08CurrentBinding->ProviderDispatch->Query(R08CurrentBinding->ProviderBindingContext,
                                                              &BytesSent))) {
        R08LastSample = BytesSent;
    }
    KeReleaseSpinLockFromDpcLevel(&R08BindingLock);
}
