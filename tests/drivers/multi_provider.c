/* multi_provider.c - a provider of the Example NPI that registers it twice,
 * once per port (a driver serving two interfaces: the registration
 * instance's Number is the port). Each port's characteristics and module ID
 * live in one port table allocated from pool in DriverEntry, as a driver
 * that learns its ports at start keeps them; NMR reads them until each
 * port's deregistration wait returned. A client may bind to both ports
 * (dual_client does). Send and Query count in the provider's binding
 * context; the provider never calls into the client, so its detach returns
 * SUCCESS and the cleanup frees the binding context. DriverEntry's error
 * path deregisters and waits for the port already registered. Unload
 * deregisters every port first (their clients detach in parallel), then
 * waits for each, then frees the table.
 *
 * Built with MULTI_FREE_EARLY: Unload frees the port table as soon as the
 * first port's wait returned and keeps the second port's handle in a local
 * (BUG: the second port is still registered, its characteristics now lie in
 * freed pool until its wait returns: M03).
 * Scenarios: corpus/kernel/multi-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;

#define MULTI_TAG 'tMxE'
#define MULTI_PORTS 2

typedef struct _MULTI_PORT {
    NPI_PROVIDER_CHARACTERISTICS Characteristics;   // read by NMR while registered
    NPI_MODULEID ModuleId;
    HANDLE NmrProviderHandle;
    ULONG Number;
} MULTI_PORT, *PMULTI_PORT;

typedef struct _MULTI_TABLE {
    MULTI_PORT Port[MULTI_PORTS];
} MULTI_TABLE, *PMULTI_TABLE;

typedef struct _MULTI_BINDING {
    HANDLE NmrBindingHandle;
    ULONG Port;
    volatile LONG BytesSent;
} MULTI_BINDING, *PMULTI_BINDING;

static const EXAMPLE_PROVIDER_DISPATCH ProviderDispatchTable = { ProviderSend, ProviderQuery };

/* One module per port: the GUID differs in its last byte. */
static const GUID MultiModuleGuid = {
    0x6a1f4c27, 0x90b3, 0x4e58, { 0xa2, 0x6d, 0x1e, 0x3f, 0x50, 0x71, 0x82, 0x00 }
};

static PMULTI_TABLE PortTable;

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PMULTI_BINDING Binding = (PMULTI_BINDING)ProviderBindingContext;

    UNREFERENCED_PARAMETER(Buffer);
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    PMULTI_BINDING Binding = (PMULTI_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    PMULTI_PORT Port = (PMULTI_PORT)ProviderContext;
    PMULTI_BINDING Binding;

    UNREFERENCED_PARAMETER(ClientRegistrationInstance);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);

    Binding = (PMULTI_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *Binding, MULTI_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->Port = Port->Number;
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &ProviderDispatchTable;
    return STATUS_SUCCESS;
}

/* No call of ours into the client can be in progress: done at once. */
_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    ExFreePoolWithTag(ProviderBindingContext, MULTI_TAG);
}

static VOID InitPort(PMULTI_PORT Port, ULONG Number)
{
    NPI_PROVIDER_CHARACTERISTICS *Chars = &Port->Characteristics;

    Port->Number = Number;
    Port->ModuleId.Length = sizeof(NPI_MODULEID);
    Port->ModuleId.Type = MIT_GUID;
    Port->ModuleId.Guid = MultiModuleGuid;
    Port->ModuleId.Guid.Data4[7] = (UCHAR)(0x10 + Number);
    Chars->Version = 0;
    Chars->Length = sizeof(NPI_PROVIDER_CHARACTERISTICS);
    Chars->ProviderAttachClient = ProviderAttachClient;
    Chars->ProviderDetachClient = ProviderDetachClient;
    Chars->ProviderCleanupBindingContext = ProviderCleanupBindingContext;
    Chars->ProviderRegistrationInstance.Version = 0;
    Chars->ProviderRegistrationInstance.Size = sizeof(NPI_REGISTRATION_INSTANCE);
    Chars->ProviderRegistrationInstance.NpiId = &NPI_EXAMPLE_ID;
    Chars->ProviderRegistrationInstance.ModuleId = &Port->ModuleId;
    Chars->ProviderRegistrationInstance.Number = Number;
    Chars->ProviderRegistrationInstance.NpiSpecificCharacteristics = NULL;
}

/* Deregister every registered port, then wait for each: the ports' clients
 * detach in parallel. */
static VOID DeregisterPorts(PMULTI_TABLE Table)
{
    ULONG i;

    for (i = 0; i < MULTI_PORTS; i++) {
        if (Table->Port[i].NmrProviderHandle != NULL) {
            NTSTATUS Status = NmrDeregisterProvider(Table->Port[i].NmrProviderHandle);
            if (Status != STATUS_PENDING) {
                Table->Port[i].NmrProviderHandle = NULL;    // nothing to wait for
            }
        }
    }
#ifdef MULTI_FREE_EARLY
    {
        HANDLE Second = Table->Port[1].NmrProviderHandle;
        if (Table->Port[0].NmrProviderHandle != NULL) {
            NmrWaitForProviderDeregisterComplete(Table->Port[0].NmrProviderHandle);
        }
        ExFreePoolWithTag(Table, MULTI_TAG);                // BUG: port 1 is still registered
        PortTable = NULL;
        if (Second != NULL) {
            NmrWaitForProviderDeregisterComplete(Second);
        }
        return;
    }
#else
    for (i = 0; i < MULTI_PORTS; i++) {
        if (Table->Port[i].NmrProviderHandle != NULL) {
            NmrWaitForProviderDeregisterComplete(Table->Port[i].NmrProviderHandle);
            Table->Port[i].NmrProviderHandle = NULL;
        }
    }
    ExFreePoolWithTag(Table, MULTI_TAG);
    PortTable = NULL;
#endif
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DeregisterPorts(PortTable);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status = STATUS_SUCCESS;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);

    PortTable = (PMULTI_TABLE)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *PortTable, MULTI_TAG);
    if (PortTable == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (i = 0; i < MULTI_PORTS; i++) {
        InitPort(&PortTable->Port[i], i);
    }
    for (i = 0; i < MULTI_PORTS; i++) {
        Status = NmrRegisterProvider(&PortTable->Port[i].Characteristics, &PortTable->Port[i],
                                     &PortTable->Port[i].NmrProviderHandle);
        if (!NT_SUCCESS(Status)) {
            PortTable->Port[i].NmrProviderHandle = NULL;
            break;
        }
    }
    if (!NT_SUCCESS(Status)) {
        DeregisterPorts(PortTable);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
