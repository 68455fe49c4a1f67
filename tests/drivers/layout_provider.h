/*++

Module Name:

    layout_provider.h

Abstract:

    A correct provider of a Layout NPI (layout_npi.h), shared by the layout
    provider drivers: each includes it after defining LAYOUT_PROVIDER_NPI
    (0 flat, 1 array, 2 table of tables, 3 mixed) and hands its clients a
    dispatch table of that NPI's layout. The flat, array and table-of-tables
    tables are constant; the mixed one is written in DriverEntry (a
    writable global) and points at the provider's statistics, which
    clients read. (All four tables are in every provider: the walk must
    hand out the one the provider returns.)

    With LAYOUT_PROVIDER_IN_POOL defined to 1 it hands out the flat table
    from its binding context (pool) instead: the engine cannot know the
    table's size there and hands it out unguarded, saying so in the
    timeline (DispatchUnguarded).

    Its detach is deferred, as providers that must finish outstanding work
    first do: ProviderDetachClient returns STATUS_PENDING and an I/O work
    item completes the detach a little later (NmrProviderDetachClientComplete).
    Until then the binding stays usable, and the client's calls reach the
    provider: the window in which a client that already finished its own
    detach may still call (M18).

--*/

#include <ntddk.h>
#include "layout_npi.h"

#define LAYOUT_PROVIDER_TAG 0x766f724cu /* "Lrov" */
#define LAYOUT_NPI_COUNT 4

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static IO_WORKITEM_ROUTINE ProviderCompleteDetachWorker;
static LAYOUT_SEND_FN ProviderSend;
static LAYOUT_QUERY_FN ProviderQuery;

#ifndef LAYOUT_PROVIDER_IN_POOL
#define LAYOUT_PROVIDER_IN_POOL 0
#endif

typedef struct _PROVIDER_BINDING {
    LAYOUT_FLAT_DISPATCH Dispatch;      // LAYOUT_PROVIDER_IN_POOL: the table handed out
    HANDLE NmrBindingHandle;
    PIO_WORKITEM CompleteWorkItem;      // completes a deferred detach
    ULONG Total;
} PROVIDER_BINDING, *PPROVIDER_BINDING;

// {6e0d4c2b-1a39-4857-96f4-0e1d2c3b4a59}
static const GUID LayoutInterfaceId =
    { 0x6e0d4c2b, 0x1a39, 0x4857, { 0x96, 0xf4, 0x0e, 0x1d, 0x2c, 0x3b, 0x4a, 0x59 } };

static const LAYOUT_FLAT_DISPATCH FlatDispatch = {
    LAYOUT_DISPATCH_VERSION, sizeof(LAYOUT_FLAT_DISPATCH), 0,
    ProviderSend,
    ProviderQuery
};

static CONST VOID *CONST ProviderFunctions[LAYOUT_FN_COUNT] = {
    (CONST VOID *)ProviderSend,         // LAYOUT_FN_SEND
    (CONST VOID *)ProviderQuery         // LAYOUT_FN_QUERY
};

static const LAYOUT_ARRAY_DISPATCH ArrayDispatch = {
    LAYOUT_DISPATCH_VERSION, sizeof(LAYOUT_ARRAY_DISPATCH), LAYOUT_FN_COUNT,
    ProviderFunctions
};

static const LAYOUT_SEND_TABLE SendTable = { LAYOUT_DISPATCH_VERSION, sizeof(LAYOUT_SEND_TABLE), ProviderSend };
static const LAYOUT_QUERY_TABLE QueryTable = { LAYOUT_DISPATCH_VERSION, sizeof(LAYOUT_QUERY_TABLE), ProviderQuery };
static const LAYOUT_TABLES_DISPATCH TablesDispatch = { &SendTable, &QueryTable };

static LAYOUT_STATISTICS Statistics;
static LAYOUT_MIXED_DISPATCH MixedDispatch;     // written in DriverEntry

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x2c3d4e5f, 0x6071, 0x4283, { 0x94, 0xa5, 0xb6, 0xc7, 0xd8, 0xe9, 0xfa, 0x0b } } }
};

static const NPIID *const LayoutNpis[LAYOUT_NPI_COUNT] = {
    &NPI_LAYOUT_FLAT_ID, &NPI_LAYOUT_ARRAY_ID, &NPI_LAYOUT_TABLES_ID, &NPI_LAYOUT_MIXED_ID
};

static NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics;
static PDEVICE_OBJECT ProviderDeviceObject;     // anchors the work items
static HANDLE NmrProviderHandle;

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, ULONG Value)
{
    PPROVIDER_BINDING Binding = (PPROVIDER_BINDING)ProviderBindingContext;

    if (Value > LAYOUT_MAX_VALUE) {
        return STATUS_INVALID_PARAMETER;
    }
    Binding->Total += Value;
    InterlockedIncrement(&Statistics.Sends);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static ULONG ProviderQuery(PVOID ProviderBindingContext)
{
    return ((PPROVIDER_BINDING)ProviderBindingContext)->Total;
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    ULONG Npi = LAYOUT_PROVIDER_NPI;
    PPROVIDER_BINDING Binding;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (Npi >= LAYOUT_NPI_COUNT || !IsEqualGUID(ClientRegistrationInstance->NpiId, LayoutNpis[Npi])) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PPROVIDER_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(PROVIDER_BINDING), LAYOUT_PROVIDER_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->CompleteWorkItem = IoAllocateWorkItem(ProviderDeviceObject);
    if (Binding->CompleteWorkItem == NULL) {
        ExFreePoolWithTag(Binding, LAYOUT_PROVIDER_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->Total = 0;
    *ProviderBindingContext = Binding;
    switch (Npi) {
    case 0:
        Binding->Dispatch = FlatDispatch;
        *ProviderDispatch = LAYOUT_PROVIDER_IN_POOL ? (CONST VOID *)&Binding->Dispatch : &FlatDispatch;
        break;
    case 1: *ProviderDispatch = &ArrayDispatch; break;
    case 2: *ProviderDispatch = &TablesDispatch; break;
    default: *ProviderDispatch = &MixedDispatch; break;
    }
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ProviderCompleteDetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PPROVIDER_BINDING Binding = (PPROVIDER_BINDING)Context;
    LARGE_INTEGER Delay;

    UNREFERENCED_PARAMETER(DeviceObject);
    Delay.QuadPart = -10 * 1000 * 10;   // 10 ms: the outstanding work
    KeDelayExecutionThread(KernelMode, FALSE, &Delay);
    NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    PPROVIDER_BINDING Binding = (PPROVIDER_BINDING)ProviderBindingContext;

    IoQueueWorkItem(Binding->CompleteWorkItem, ProviderCompleteDetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    PPROVIDER_BINDING Binding = (PPROVIDER_BINDING)ProviderBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, LAYOUT_PROVIDER_TAG);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterProvider(NmrProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(NmrProviderHandle);
    }
    IoDeleteDevice(ProviderDeviceObject);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);

    MixedDispatch.Version = LAYOUT_DISPATCH_VERSION;
    MixedDispatch.MaxValue = LAYOUT_MAX_VALUE;
    MixedDispatch.Send = ProviderSend;
    MixedDispatch.Statistics = &Statistics;
    MixedDispatch.InterfaceId = &LayoutInterfaceId;
    MixedDispatch.Query = ProviderQuery;
    MixedDispatch.Capabilities = LAYOUT_CAPABILITIES;

    ProviderCharacteristics.Length = sizeof(NPI_PROVIDER_CHARACTERISTICS);
    ProviderCharacteristics.ProviderAttachClient = ProviderAttachClient;
    ProviderCharacteristics.ProviderDetachClient = ProviderDetachClient;
    ProviderCharacteristics.ProviderCleanupBindingContext = ProviderCleanupBindingContext;
    ProviderCharacteristics.ProviderRegistrationInstance.Size = sizeof(NPI_REGISTRATION_INSTANCE);
    ProviderCharacteristics.ProviderRegistrationInstance.NpiId = LayoutNpis[LAYOUT_PROVIDER_NPI];
    ProviderCharacteristics.ProviderRegistrationInstance.ModuleId = &ProviderModuleId;

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &ProviderDeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = NmrRegisterProvider(&ProviderCharacteristics, NULL, &NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(ProviderDeviceObject);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
