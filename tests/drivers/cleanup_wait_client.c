/* cleanup_wait_client.c - a client of the Example NPI that warms a
 * per-binding statistics buffer on a system worker after it attaches, and
 * whose cleanup waits for that work before freeing the binding. The wait is
 * its bug: NMR may call the cleanup at DISPATCH_LEVEL (F3), where a wait
 * that may block is K03. At PASSIVE it is correct, so only the F3 option
 * DISPATCH shows it. Scenario: tests/por_cleanup_wait.nmr (test dpor-kernel:
 * the reduced search, which skips F3's DISPATCH for cleanups that only free
 * pool, must still take it here). */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static WORKER_THREAD_ROUTINE WarmStats;

#define WAIT_CLIENT_TAG 0x74695743u /* "CWit" */
#define STATS_SLOTS 16

typedef struct _WAIT_CLIENT_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    WORK_QUEUE_ITEM WarmWork;
    KEVENT WarmDone;
    PULONG Stats;
} WAIT_CLIENT_BINDING, *PWAIT_CLIENT_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a1d2c33, 0x51e0, 0x4c2b, { 0x90, 0x1f, 0x3e, 0x44, 0x5a, 0x66, 0x77, 0x31 } } }
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
    PWAIT_CLIENT_BINDING Binding = (PWAIT_CLIENT_BINDING)ClientBindingContext;

    if (Binding->Stats != NULL) {
        InterlockedIncrement((volatile LONG *)&Binding->Stats[Indication % STATS_SLOTS]);
    }
}

_Use_decl_annotations_
static VOID WarmStats(PVOID Parameter)
{
    PWAIT_CLIENT_BINDING Binding = (PWAIT_CLIENT_BINDING)Parameter;

    Binding->Stats = (PULONG)ExAllocatePool2(POOL_FLAG_NON_PAGED, STATS_SLOTS * sizeof(ULONG), WAIT_CLIENT_TAG);
    KeSetEvent(&Binding->WarmDone, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PWAIT_CLIENT_BINDING Binding;
    CONST VOID *ProviderDispatch = NULL;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PWAIT_CLIENT_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(WAIT_CLIENT_BINDING),
                                                    WAIT_CLIENT_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    KeInitializeEvent(&Binding->WarmDone, NotificationEvent, FALSE);
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, WAIT_CLIENT_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    //
    // Allocate the statistics off the attach path.
    //
    ExInitializeWorkItem(&Binding->WarmWork, WarmStats, Binding);
    ExQueueWorkItem(&Binding->WarmWork, DelayedWorkQueue);
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
    PWAIT_CLIENT_BINDING Binding = (PWAIT_CLIENT_BINDING)ClientBindingContext;

    //
    // The warm-up work item still refers to the binding: let it finish.
    //
    KeWaitForSingleObject(&Binding->WarmDone, Executive, KernelMode, FALSE, NULL);
    if (Binding->Stats != NULL) {
        ExFreePoolWithTag(Binding->Stats, WAIT_CLIENT_TAG);
    }
    ExFreePoolWithTag(Binding, WAIT_CLIENT_TAG);
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
