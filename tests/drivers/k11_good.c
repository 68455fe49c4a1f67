/* k11_good.c - k11_bad.c made right: the send path and the statistics work
 * item update SendCount under one spin lock (StatsLock), so the updates are
 * ordered whichever runs first: clean with `races on`. Scenario:
 * corpus/kernel/K11-good.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static IO_WORKITEM_ROUTINE StatsWorker;

#define CLIENT_TAG 0x3231314Bu /* "K112" */

typedef struct _CLIENT_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} CLIENT_BINDING, *PCLIENT_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a1d2c41, 0x51e0, 0x4c2b, { 0x90, 0x1f, 0x3e, 0x44, 0x5a, 0x66, 0x77, 0x11 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatch = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static PDEVICE_OBJECT ClientDevice;
static PIO_WORKITEM StatsWorkItem;
static KEVENT StatsDone;
static KSPIN_LOCK StatsLock;   // guards SendCount and SendTotal
static ULONG SendCount;      // sends since the last fold
static ULONG SendTotal;      // folded by the work item

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}

static NTSTATUS ClientSend(PCLIENT_BINDING Binding, CONST VOID *Buffer, ULONG Length)
{
    KIRQL OldIrql;

    KeAcquireSpinLock(&StatsLock, &OldIrql);
    SendCount++;
    KeReleaseSpinLock(&StatsLock, OldIrql);
    return Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Buffer, Length);
}

_Use_decl_annotations_
static VOID StatsWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(Context);
    KeAcquireSpinLock(&StatsLock, &OldIrql);
    SendTotal += SendCount;
    SendCount = 0;
    KeReleaseSpinLock(&StatsLock, OldIrql);
    KeSetEvent(&StatsDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    static const UCHAR Hello[4] = { 'h', 'e', 'l', 'o' };
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
    ClientSend(Binding, Hello, sizeof(Hello));
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
    KeWaitForSingleObject(&StatsDone, Executive, KernelMode, FALSE, NULL);
    IoFreeWorkItem(StatsWorkItem);
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
    StatsWorkItem = IoAllocateWorkItem(ClientDevice);
    if (StatsWorkItem == NULL) {
        IoDeleteDevice(ClientDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeEvent(&StatsDone, NotificationEvent, FALSE);
    KeInitializeSpinLock(&StatsLock);
    IoQueueWorkItem(StatsWorkItem, StatsWorker, DelayedWorkQueue, NULL);
    DriverObject->DriverUnload = DriverUnload;
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeWaitForSingleObject(&StatsDone, Executive, KernelMode, FALSE, NULL);
        IoFreeWorkItem(StatsWorkItem);
        IoDeleteDevice(ClientDevice);
    }
    return Status;
}
