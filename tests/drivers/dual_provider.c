/* dual_provider.c - one driver, two NPIs: it provides the Example NPI and
 * a private statistics NPI of its own, registering both in DriverEntry (the
 * Example provider first) and deregistering both in Unload. A client of
 * the Example NPI must bind to the first registration and never be said to
 * have been offered the second (a false R01 when the oracle took "the
 * driver's provider registration" for the one offered). With npi_client:
 * clean (corpus/kernel/dual-provider.nmr). */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ExampleAttachClient;
static NPI_PROVIDER_ATTACH_CLIENT_FN StatsAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;

#define DUAL_TAG 0x6c617544u /* "Dual" */

/* {5d0c8e31-2a47-4f6b-9c13-7e8f90a1b2c3} */
static const NPIID NPI_DUAL_STATS_ID = { 0x5d0c8e31, 0x2a47, 0x4f6b, { 0x9c, 0x13, 0x7e, 0x8f, 0x90, 0xa1, 0xb2, 0xc3 } };

static const NPI_MODULEID DualModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x2c3d4e5f, 0x7a8b, 0x4c9d, { 0xae, 0xbf, 0xc0, 0xd1, 0xe2, 0xf3, 0x04, 0x15 } } }
};

typedef struct _DUAL_BINDING {
    HANDLE NmrBindingHandle;
    ULONG BytesSent;
} DUAL_BINDING, *PDUAL_BINDING;

static const EXAMPLE_PROVIDER_DISPATCH ExampleDispatchTable = { ProviderSend, ProviderQuery };

static HANDLE ExampleHandle;
static HANDLE StatsHandle;
static volatile LONG SendsTotal;

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PDUAL_BINDING Binding = (PDUAL_BINDING)ProviderBindingContext;

    UNREFERENCED_PARAMETER(Buffer);
    if (Binding != NULL) {
        Binding->BytesSent += Length;
    }
    InterlockedAdd(&SendsTotal, (LONG)Length);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
    *BytesSent = (ULONG)InterlockedAdd(&SendsTotal, 0);
    return STATUS_SUCCESS;
}

static NTSTATUS AttachCommon(HANDLE NmrBindingHandle, PVOID *ProviderBindingContext)
{
    PDUAL_BINDING Binding;

    Binding = (PDUAL_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(DUAL_BINDING), DUAL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->BytesSent = 0;
    *ProviderBindingContext = Binding;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ExampleAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                    PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                    PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                    PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Status = AttachCommon(NmrBindingHandle, ProviderBindingContext);
    if (NT_SUCCESS(Status)) {
        *ProviderDispatch = &ExampleDispatchTable;
    }
    return Status;
}

_Use_decl_annotations_
static NTSTATUS StatsAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                  PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                  PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                  PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_DUAL_STATS_ID)) {
        return STATUS_NOINTERFACE;
    }
    Status = AttachCommon(NmrBindingHandle, ProviderBindingContext);
    if (NT_SUCCESS(Status)) {
        *ProviderDispatch = NULL; // the statistics NPI has no functions yet
    }
    return Status;
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
    if (ProviderBindingContext != NULL) {
        ExFreePoolWithTag(ProviderBindingContext, DUAL_TAG);
    }
}

static const NPI_PROVIDER_CHARACTERISTICS ExampleCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ExampleAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&DualModuleId, 0, NULL }
};

static const NPI_PROVIDER_CHARACTERISTICS StatsCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    StatsAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_DUAL_STATS_ID, (PNPI_MODULEID)&DualModuleId, 0, NULL }
};

static VOID DeregisterBoth(VOID)
{
    if (StatsHandle != NULL && NmrDeregisterProvider(StatsHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(StatsHandle);
    }
    StatsHandle = NULL;
    if (ExampleHandle != NULL && NmrDeregisterProvider(ExampleHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(ExampleHandle);
    }
    ExampleHandle = NULL;
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DeregisterBoth();
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = NmrRegisterProvider(&ExampleCharacteristics, NULL, &ExampleHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = NmrRegisterProvider(&StatsCharacteristics, NULL, &StatsHandle);
    if (!NT_SUCCESS(Status)) {
        DeregisterBoth();
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
