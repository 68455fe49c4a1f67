/* npi_client.c - a correct client of the Example NPI that asks the provider
 * for its counter as soon as it is attached (ProviderDispatch->Query from
 * ClientAttachProvider). The test providers it meets: m13_partial_provider,
 * m13_nodispatch_provider, m03_stack_provider (tests of what NMR hands back
 * and of characteristics the engine reads). Scenarios: corpus/kernel/M13-*.nmr,
 * M03-stack.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;

#define CLIENT_TAG 0x746E6C43u /* "Clnt" */

typedef struct _CLIENT_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    ULONG ProviderCounter;
} CLIENT_BINDING, *PCLIENT_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a1d2c33, 0x51e0, 0x4c2b, { 0x90, 0x1f, 0x3e, 0x44, 0x5a, 0x66, 0x77, 0x01 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatch = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PCLIENT_BINDING Binding;
    CONST VOID *ProviderDispatch = NULL;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PCLIENT_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CLIENT_BINDING), CLIENT_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, CLIENT_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    //
    // Ask the provider for its counter right away.
    //
    Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &Binding->ProviderCounter);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    ExFreePoolWithTag(ClientBindingContext, CLIENT_TAG);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
    Status = NmrDeregisterClient(NmrClientHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);
    }
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = DriverUnload;
    return NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
}
