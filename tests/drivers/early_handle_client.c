/* early_handle_client.c - a client of the Example NPI that reads its own
 * registration handle in its attach callback: a binding offered before
 * NmrRegisterClient has written the handle is parked "to attach once the
 * registration is complete", which never happens, so its context leaks.
 * NMR may call the attach callback before the out handle is written (F1),
 * so the handle is NULL only under that option. Scenario:
 * tests/por_early_handle.nmr (test dpor-f3: the reduced search skips F1's
 * "handle written after the attaches" when nobody touched the handle
 * during them; this driver reads it, so the option must still be run and
 * the leak found, as the plain search finds it). */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;

#define EARLY_CLIENT_TAG 0x6C724145u /* "EArl" */

typedef struct _EARLY_BINDING {
    LIST_ENTRY Link;
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} EARLY_BINDING, *PEARLY_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a1d2c33, 0x51e0, 0x4c2b, { 0x90, 0x1f, 0x3e, 0x44, 0x5a, 0x66, 0x77, 0x41 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatch = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static LIST_ENTRY ParkedBindings; /* offered before the registration completed */

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
    PEARLY_BINDING Binding;
    CONST VOID *ProviderDispatch = NULL;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PEARLY_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(EARLY_BINDING), EARLY_CLIENT_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    if (NmrClientHandle == NULL) {
        //
        // Our registration is not complete yet: attach once it is.
        //
        InsertTailList(&ParkedBindings, &Binding->Link);
        return STATUS_NOINTERFACE;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, EARLY_CLIENT_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
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
    ExFreePoolWithTag(ClientBindingContext, EARLY_CLIENT_TAG);
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
    InitializeListHead(&ParkedBindings);
    DriverObject->DriverUnload = DriverUnload;
    return NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
}
