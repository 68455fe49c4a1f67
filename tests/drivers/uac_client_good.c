/* uac_client_good.c - uac_client.c made right: the work item takes what it
 * still needs from the binding context (the receive buffer) before
 * NmrClientDetachProviderComplete, after which the context belongs to NMR
 * and its cleanup callback: clean. Scenario: corpus/kernel/M19-work-item-good.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static IO_WORKITEM_ROUTINE CompleteDetachWorker;

#define CLIENT_TAG 0x746E6C43u /* "Clnt" */

typedef struct _CLIENT_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    ULONG ProviderCounter;
    PIO_WORKITEM CompleteWorkItem;
    PVOID ReceiveBuffer;
} CLIENT_BINDING, *PCLIENT_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a1d2c35, 0x51e0, 0x4c2b, { 0x90, 0x1f, 0x3e, 0x44, 0x5a, 0x66, 0x77, 0x01 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatch = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static PDEVICE_OBJECT ClientDevice;

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
    Binding->CompleteWorkItem = IoAllocateWorkItem(ClientDevice);
    Binding->ReceiveBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, CLIENT_TAG);
    if (Binding->CompleteWorkItem == NULL || Binding->ReceiveBuffer == NULL) {
        if (Binding->CompleteWorkItem != NULL) {
            IoFreeWorkItem(Binding->CompleteWorkItem);
        }
        if (Binding->ReceiveBuffer != NULL) {
            ExFreePoolWithTag(Binding->ReceiveBuffer, CLIENT_TAG);
        }
        ExFreePoolWithTag(Binding, CLIENT_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->CompleteWorkItem);
        ExFreePoolWithTag(Binding->ReceiveBuffer, CLIENT_TAG);
        ExFreePoolWithTag(Binding, CLIENT_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID CompleteDetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PCLIENT_BINDING Binding = (PCLIENT_BINDING)Context;
    PVOID ReceiveBuffer = Binding->ReceiveBuffer;

    UNREFERENCED_PARAMETER(DeviceObject);
    Binding->ReceiveBuffer = NULL;

    //
    // The binding belongs to NMR after the Complete (its cleanup callback
    // may free it inside the call): nothing of it is touched afterwards.
    //
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
    ExFreePoolWithTag(ReceiveBuffer, CLIENT_TAG);
#ifdef UAC_LEAK_HISTORY
    // uac_client_leak.c: a history record of the detach, never freed.
    ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, CLIENT_TAG);
#endif
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    PCLIENT_BINDING Binding = (PCLIENT_BINDING)ClientBindingContext;

    //
    // Detach may come at DISPATCH_LEVEL: finish it at PASSIVE_LEVEL.
    //
    IoQueueWorkItem(Binding->CompleteWorkItem, CompleteDetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    PCLIENT_BINDING Binding = (PCLIENT_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->CompleteWorkItem);
    ExFreePoolWithTag(Binding, CLIENT_TAG);
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
    IoDeleteDevice(ClientDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,
                            &ClientDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(ClientDevice);
    }
    return Status;
}
