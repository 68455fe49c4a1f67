/*++

Module Name:

    twin_provider.h

Abstract:

    One driver, two providers of the same NPI: the Example NPI, once per
    instance it serves (two NPI_MODULEIDs, registered in DriverEntry,
    deregistered in Unload). A client of the Example NPI attaches to both,
    two bindings; which registration each binding belongs to is told only
    by the registration itself, never by which was registered last
    (corpus/kernel/twin-provider*.nmr, with npi_client).

    twin_provider.c is correct. twin_provider_bad.c (TWIN_WAIT_BUG) waits
    for the first instance's deregistration in both turns of its Unload
    loop (a copy-and-paste slip): its second wait names a handle whose
    wait already returned (M07), and Unload returns while the second
    instance's deregistration may still be running (M20).

--*/

#include <ntddk.h>
#include "../../examples/example_npi.h"

#ifndef TWIN_WAIT_BUG
#define TWIN_WAIT_BUG 0
#endif

#define TWIN_TAG 0x6e697754u /* "Twin" */
#define TWIN_INSTANCES 2

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;

typedef struct _TWIN_INSTANCE {
    HANDLE NmrProviderHandle;
    volatile LONG BytesSent;            // over every binding of this instance
} TWIN_INSTANCE, *PTWIN_INSTANCE;

typedef struct _TWIN_BINDING {
    PTWIN_INSTANCE Instance;
    HANDLE NmrBindingHandle;
} TWIN_BINDING, *PTWIN_BINDING;

static const EXAMPLE_PROVIDER_DISPATCH TwinDispatch = { ProviderSend, ProviderQuery };

static const NPI_MODULEID TwinModuleIds[TWIN_INSTANCES] = {
    { sizeof(NPI_MODULEID), MIT_GUID,
      { { 0x3e4f5a6b, 0x7c8d, 0x4e9f, { 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0x06, 0x01 } } } },
    { sizeof(NPI_MODULEID), MIT_GUID,
      { { 0x3e4f5a6b, 0x7c8d, 0x4e9f, { 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0x06, 0x02 } } } },
};

static TWIN_INSTANCE Instances[TWIN_INSTANCES];
static NPI_PROVIDER_CHARACTERISTICS TwinCharacteristics[TWIN_INSTANCES];

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PTWIN_BINDING Binding = (PTWIN_BINDING)ProviderBindingContext;

    UNREFERENCED_PARAMETER(Buffer);
    InterlockedAdd(&Binding->Instance->BytesSent, (LONG)Length);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    PTWIN_BINDING Binding = (PTWIN_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedAdd(&Binding->Instance->BytesSent, 0);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    PTWIN_BINDING Binding;

    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PTWIN_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(TWIN_BINDING), TWIN_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->Instance = (PTWIN_INSTANCE)ProviderContext;
    Binding->NmrBindingHandle = NmrBindingHandle;
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &TwinDispatch;
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
    ExFreePoolWithTag(ProviderBindingContext, TWIN_TAG);
}

static VOID DeregisterInstances(ULONG Count)
{
    ULONG i;
    NTSTATUS Status[TWIN_INSTANCES] = { STATUS_SUCCESS, STATUS_SUCCESS };

    // Both deregistrations first, so the instances' clients detach in parallel.
    for (i = 0; i < Count; i++) {
        Status[i] = NmrDeregisterProvider(Instances[i].NmrProviderHandle);
    }
    for (i = 0; i < Count; i++) {
        if (Status[i] == STATUS_PENDING) {
            NmrWaitForProviderDeregisterComplete(Instances[TWIN_WAIT_BUG ? 0 : i].NmrProviderHandle);
        }
    }
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DeregisterInstances(TWIN_INSTANCES);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);
    for (i = 0; i < TWIN_INSTANCES; i++) {
        NPI_PROVIDER_CHARACTERISTICS *Chars = &TwinCharacteristics[i];

        Chars->Length = sizeof(NPI_PROVIDER_CHARACTERISTICS);
        Chars->ProviderAttachClient = ProviderAttachClient;
        Chars->ProviderDetachClient = ProviderDetachClient;
        Chars->ProviderCleanupBindingContext = ProviderCleanupBindingContext;
        Chars->ProviderRegistrationInstance.Size = sizeof(NPI_REGISTRATION_INSTANCE);
        Chars->ProviderRegistrationInstance.NpiId = &NPI_EXAMPLE_ID;
        Chars->ProviderRegistrationInstance.ModuleId = &TwinModuleIds[i];
        Instances[i].BytesSent = 0;
        Status = NmrRegisterProvider(Chars, &Instances[i], &Instances[i].NmrProviderHandle);
        if (!NT_SUCCESS(Status)) {
            DeregisterInstances(i);
            return Status;
        }
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
