/*++

Module Name:

    good_provider.c

Abstract:

    A provider module of the Example NPI (example_npi.h), written the way
    the Network Module Registrar (NMR) documentation asks:

    - DriverEntry registers the provider with NmrRegisterProvider; Unload
      deregisters it and waits for the deregistration to complete before it
      returns.

    - ProviderAttachClient allocates a binding context for each client,
      keeps the client's binding context and dispatch table in it, and hands
      the client this provider's binding context and dispatch table.

    - Send tells the client, through its Indicate function, that the data
      was transmitted. Those indications are calls from the provider into
      the client, so the provider counts them: ProviderDetachClient returns
      STATUS_PENDING while one is in progress, and the indication that
      finishes last calls NmrProviderDetachClientComplete. No indication
      starts once ProviderDetachClient has been called.

    - ProviderCleanupBindingContext frees the binding context. NMR calls it
      once both sides of the binding have finished detaching, so no call of
      either side can still be using it.

    The detach and cleanup callbacks may be called at DISPATCH_LEVEL: they
    only take a spin lock and never wait.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

//
// Pool tag 'vPdG' (shows as "GdPv" in pool dumps).
//
#define GOOD_PROVIDER_POOL_TAG 0x76506447

//
// Per-binding state of the provider.
//
typedef struct _GOOD_PROVIDER_BINDING {
    HANDLE NmrBindingHandle;                            // for NmrProviderDetachClientComplete
    PVOID ClientBindingContext;                         // first argument of the client's functions
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;      // the client's functions
    KSPIN_LOCK Lock;                                    // protects Closing and IndicationsInProgress
    BOOLEAN Closing;                                    // ProviderDetachClient was called
    ULONG IndicationsInProgress;                        // calls into the client not yet returned
    volatile LONG BytesSent;                            // what Query reports
} GOOD_PROVIDER_BINDING, *PGOOD_PROVIDER_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD GoodProviderUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN GoodProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN GoodProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN GoodProviderCleanupBindingContext;
static EXAMPLE_SEND_FN GoodProviderSend;
static EXAMPLE_QUERY_FN GoodProviderQuery;

//
// The functions this provider offers to its clients.
//
static CONST EXAMPLE_PROVIDER_DISPATCH GoodProviderDispatch = {
    GoodProviderSend,
    GoodProviderQuery
};

//
// This provider's module identifier.
// {0b1d7e2a-3c44-4f5e-8a6b-7c8d9e0f1a2b}
//
static CONST NPI_MODULEID GoodProviderModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x0b1d7e2a, 0x3c44, 0x4f5e, { 0x8a, 0x6b, 0x7c, 0x8d, 0x9e, 0x0f, 0x1a, 0x2b } } }
};

//
// The registration characteristics. NMR reads them until the deregistration
// has completed, so they live in static storage.
//
static CONST NPI_PROVIDER_CHARACTERISTICS GoodProviderCharacteristics = {
    0,                                          // Version
    sizeof(NPI_PROVIDER_CHARACTERISTICS),       // Length
    GoodProviderAttachClient,
    GoodProviderDetachClient,
    GoodProviderCleanupBindingContext,
    {
        0,                                      // Version
        sizeof(NPI_REGISTRATION_INSTANCE),      // Size
        (PNPIID)&NPI_EXAMPLE_ID,
        (PNPI_MODULEID)&GoodProviderModuleId,
        0,                                      // Number
        NULL                                    // NpiSpecificCharacteristics
    }
};

//
// The handle of the registration, from NmrRegisterProvider.
//
static HANDLE GoodProviderHandle;

//
// Clients that attached over the driver's lifetime (for the debug output).
//
static volatile LONG GoodProviderAttachCount;


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->DriverUnload = GoodProviderUnload;

    //
    // NMR may attach clients that are already registered before this call
    // returns, even before GoodProviderHandle is written: the attach
    // callback does not use the handle.
    //
    Status = NmrRegisterProvider(&GoodProviderCharacteristics,
                                 NULL,
                                 &GoodProviderHandle);
    if (!NT_SUCCESS(Status)) {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "good_provider: NmrRegisterProvider failed 0x%08X\n", (ULONG)Status);
        return Status;
    }

    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "good_provider: registered\n");
    return STATUS_SUCCESS;
}


static
VOID
GoodProviderUnload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);

    //
    // Detach from every client, and do not return before NMR is done with
    // this module: after the wait no callback of this driver can run.
    //
    Status = NmrDeregisterProvider(GoodProviderHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(GoodProviderHandle);
    } else {
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL,
                   "good_provider: NmrDeregisterProvider failed 0x%08X\n", (ULONG)Status);
    }

    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL,
               "good_provider: unloaded after %d attaches\n", (int)GoodProviderAttachCount);
}


static
NTSTATUS
GoodProviderAttachClient(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ProviderContext,
    _In_ PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
    _In_ PVOID ClientBindingContext,
    _In_ CONST VOID *ClientDispatch,
    _Out_ PVOID *ProviderBindingContext,
    _Out_ CONST VOID **ProviderDispatch
    )
{
    PGOOD_PROVIDER_BINDING Binding;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);

    if (ClientDispatch == NULL) {
        return STATUS_NOINTERFACE;
    }

    //
    // ExAllocatePool2 returns zeroed memory: Closing is FALSE and no
    // indication is in progress.
    //
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED,
                              sizeof(GOOD_PROVIDER_BINDING),
                              GOOD_PROVIDER_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    KeInitializeSpinLock(&Binding->Lock);

    InterlockedIncrement(&GoodProviderAttachCount);

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &GoodProviderDispatch;
    return STATUS_SUCCESS;
}


static
NTSTATUS
GoodProviderDetachClient(
    _In_ PVOID ProviderBindingContext
    )
{
    PGOOD_PROVIDER_BINDING Binding = (PGOOD_PROVIDER_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    //
    // From now on no new indication starts. If one is still running, the
    // detach completes when it returns (see GoodProviderSend).
    //
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
    Pending = (Binding->IndicationsInProgress != 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
GoodProviderCleanupBindingContext(
    _In_ PVOID ProviderBindingContext
    )
{
    //
    // Both sides have finished detaching: nothing refers to the binding
    // any more.
    //
    ExFreePoolWithTag(ProviderBindingContext, GOOD_PROVIDER_POOL_TAG);
}


static
NTSTATUS
GoodProviderSend(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PGOOD_PROVIDER_BINDING Binding = (PGOOD_PROVIDER_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN CompleteDetach;

    if (Buffer == NULL && Length != 0) {
        return STATUS_INVALID_PARAMETER;
    }

    //
    // "Transmit" the data.
    //
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);

    //
    // Tell the client that the send is done, unless NMR is detaching us
    // from it: after ProviderDetachClient the provider must not start a
    // call into the client.
    //
    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    if (Binding->Closing) {
        KeReleaseSpinLock(&Binding->Lock, OldIrql);
        return STATUS_SUCCESS;
    }
    Binding->IndicationsInProgress++;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    Binding->ClientDispatch->Indicate(Binding->ClientBindingContext,
                                      EXAMPLE_INDICATE_SEND_COMPLETE);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->IndicationsInProgress--;
    CompleteDetach = (Binding->Closing && Binding->IndicationsInProgress == 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    //
    // The last indication out completes a detach that returned
    // STATUS_PENDING. The binding context stays valid: the client is still
    // inside this Send, so its side of the binding has not finished
    // detaching and NMR cannot have cleaned up yet.
    //
    if (CompleteDetach) {
        NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
    }

    return STATUS_SUCCESS;
}


static
NTSTATUS
GoodProviderQuery(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    )
{
    PGOOD_PROVIDER_BINDING Binding = (PGOOD_PROVIDER_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}
