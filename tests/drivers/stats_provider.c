/* stats_provider.c - a provider of the Example NPI that counts the queries
 * of all its clients in a pool-allocated statistics block. Unload
 * deregisters, waits for the deregistration (after which no client calls
 * in), then frees the block: clean with thread_client, whose system thread
 * queries the provider every few milliseconds.
 *
 * stats_provider_early.c builds it with STATS_FREE_EARLY: Unload frees the
 * block first, so a query that thread_client's service thread makes before
 * the detach reads freed pool (K05). The finding is the provider's: its
 * module and the dispatch call (Query), not the client's system thread
 * that made the call. Scenarios: corpus/kernel/stats-good.nmr, stats-early.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;

#define STATS_TAG 'tStP'

typedef struct _PROVIDER_STATS {
    LONG Queries;
    LONG BytesSent;
} PROVIDER_STATS, *PPROVIDER_STATS;

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x4d5e6f70, 0x8192, 0x4a3b, { 0x9c, 0x1d, 0x2e, 0x3f, 0x40, 0x51, 0x62, 0x73 } } }
};

static const EXAMPLE_PROVIDER_DISPATCH ProviderDispatchTable = { ProviderSend, ProviderQuery };

static HANDLE NmrProviderHandle;
static PPROVIDER_STATS Stats;

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
    UNREFERENCED_PARAMETER(Buffer);
    InterlockedAdd(&Stats->BytesSent, (LONG)Length);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
    Stats->Queries++;                                   // one client thread each; a race is not the point
    *BytesSent = (ULONG)InterlockedAdd(&Stats->BytesSent, 0);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    UNREFERENCED_PARAMETER(NmrBindingHandle);
    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    *ProviderBindingContext = NULL;
    *ProviderDispatch = &ProviderDispatchTable;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
#ifdef STATS_FREE_EARLY
    ExFreePoolWithTag(Stats, STATS_TAG);                // BUG: clients may still query
#endif
    Status = NmrDeregisterProvider(NmrProviderHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(NmrProviderHandle);
    }
#ifndef STATS_FREE_EARLY
    ExFreePoolWithTag(Stats, STATS_TAG);
#endif
}

static const NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ProviderAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ProviderModuleId, 0, NULL }
};

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Stats = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Stats), STATS_TAG);
    if (Stats == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrRegisterProvider(&ProviderCharacteristics, NULL, &NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Stats, STATS_TAG);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
