/* npi_provider.c - a correct provider of the Example NPI: static
 * characteristics, a binding context and the dispatch table written at
 * attach, freed at cleanup, deregistration waited for in Unload. With
 * npi_client: clean (corpus/kernel/NPI-good.nmr), the counterpart of the
 * M03/M13 tests on the same client. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

/* The registration instance's Version: 0 as documented (a build may set
 * its NPI version there, as shipped drivers do: m22_versioned_provider.c). */
#ifndef PROVIDER_CHARACTERISTICS_VERSION
#define PROVIDER_CHARACTERISTICS_VERSION 0 /* m02_versioned_provider.c: 1, as netevent_sim */
#endif
#ifndef PROVIDER_INSTANCE_VERSION
#define PROVIDER_INSTANCE_VERSION 0
#endif

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;

#define PROVIDER_TAG 0x76727250u /* "Prrv" */

typedef struct _PROVIDER_BINDING {
    HANDLE NmrBindingHandle;
    ULONG BytesSent;
} PROVIDER_BINDING, *PPROVIDER_BINDING;

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x1b2e3f40, 0x6a7b, 0x4c8d, { 0x9e, 0xaf, 0xb0, 0xc1, 0xd2, 0xe3, 0xf4, 0x05 } } }
};

static const EXAMPLE_PROVIDER_DISPATCH ProviderDispatchTable = { ProviderSend, ProviderQuery };

static HANDLE NmrProviderHandle;
static volatile LONG SendsTotal;

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PPROVIDER_BINDING Binding = (PPROVIDER_BINDING)ProviderBindingContext;

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
    *BytesSent = (ULONG)InterlockedAdd(&SendsTotal, 0);         // a provider-wide counter
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    PPROVIDER_BINDING Binding;

    Binding = (PPROVIDER_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(PROVIDER_BINDING), PROVIDER_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->BytesSent = 0;
    *ProviderBindingContext = Binding;
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
    if (ProviderBindingContext != NULL) {
        ExFreePoolWithTag(ProviderBindingContext, PROVIDER_TAG);
    }
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
    Status = NmrDeregisterProvider(NmrProviderHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(NmrProviderHandle);
    }
}

static const NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics = {
    PROVIDER_CHARACTERISTICS_VERSION, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ProviderAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { PROVIDER_INSTANCE_VERSION, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID,
      (PNPI_MODULEID)&ProviderModuleId, 0, NULL }
};

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = DriverUnload;
    return NmrRegisterProvider(&ProviderCharacteristics, NULL, &NmrProviderHandle);
}
