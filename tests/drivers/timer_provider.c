/* timer_provider.c - a provider of the Example NPI whose detach pends and
 * is completed from a timer DPC: ProviderDetachClient sets the binding's
 * one-shot timer (a grace period for sends the hardware still has) and
 * returns STATUS_PENDING; the DPC calls NmrProviderDetachClientComplete,
 * inside which NMR may clean the binding up (the DPC reads the handle
 * first and touches nothing afterwards). DriverEntry registers and then
 * creates its control device: when that fails, its error path
 * deregisters, waits and flushes the DPCs. Unload deregisters, waits, and
 * flushes the DPCs: the DPC that completed the last detach may still be
 * returning when the wait returns.
 *
 * Built with TIMER_NO_FLUSH: neither path flushes the DPCs (BUG: Unload
 * returns while the DPC routine of the last Complete has yet to return:
 * K06). Built with TIMER_STATS_AFTER_COMPLETE: the DPC counts the detach
 * in the binding after the Complete (BUG: the cleanup may have run inside
 * the Complete and freed the binding: M19). Built with
 * TIMER_RESET_AFTER_COMPLETE: the same bug, a reset of the send counter with
 * RtlZeroMemory (a plain store unless the build keeps it a checked call). 
 * Scenarios: corpus/kernel/timer-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;
static KDEFERRED_ROUTINE DetachTimerDpc;

#define TIMER_TAG 'mTxE'
#define TIMER_GRACE_MS 5

typedef struct _TIMER_STATS {
    volatile LONG Bindings;
    volatile LONG Detaches;
    volatile LONG BytesSent;
} TIMER_STATS, *PTIMER_STATS;

typedef struct _TIMER_BINDING {
    HANDLE NmrBindingHandle;
    KTIMER DetachTimer;
    KDPC DetachDpc;
    volatile LONG BytesSent;
    LONG Detached;
} TIMER_BINDING, *PTIMER_BINDING;

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x6e8a0b32, 0x14c5, 0x4d76, { 0xa7, 0xb8, 0xc9, 0xda, 0xeb, 0xfc, 0x0d, 0x1e } } }
};

static const EXAMPLE_PROVIDER_DISPATCH ProviderDispatchTable = { ProviderSend, ProviderQuery };

static const NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ProviderAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ProviderModuleId, 0, NULL }
};

static HANDLE NmrProviderHandle;
static PTIMER_STATS Stats;                  // allocated before the registration
static PDEVICE_OBJECT ControlDevice;

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PTIMER_BINDING Binding = (PTIMER_BINDING)ProviderBindingContext;

    UNREFERENCED_PARAMETER(Buffer);
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    PTIMER_BINDING Binding = (PTIMER_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID DetachTimerDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PTIMER_BINDING Binding = (PTIMER_BINDING)DeferredContext;
    HANDLE NmrBindingHandle = Binding->NmrBindingHandle;
    PTIMER_STATS Counters = Stats;          // set before the registration, freed after the flush

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    if (Counters != NULL) {
        InterlockedExchangeAdd(&Counters->BytesSent, InterlockedCompareExchange(&Binding->BytesSent, 0, 0));
    }
#if defined(TIMER_STATS_AFTER_COMPLETE)
    NmrProviderDetachClientComplete(NmrBindingHandle);
    InterlockedIncrement(&Binding->Detached);                   // BUG: the cleanup may have freed it
#elif defined(TIMER_RESET_AFTER_COMPLETE)
    NmrProviderDetachClientComplete(NmrBindingHandle);
    RtlZeroMemory((PVOID)&Binding->BytesSent, sizeof(Binding->BytesSent));  // BUG: likewise
#else
    InterlockedIncrement(&Binding->Detached);
    NmrProviderDetachClientComplete(NmrBindingHandle);          // the binding may be freed inside
#endif
    if (Counters != NULL) {
        InterlockedIncrement(&Counters->Detaches);
    }
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    PTIMER_BINDING Binding;
    PTIMER_STATS Counters = (PTIMER_STATS)ProviderContext;

    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PTIMER_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(TIMER_BINDING), TIMER_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->BytesSent = 0;
    Binding->Detached = 0;
    KeInitializeTimer(&Binding->DetachTimer);
    KeInitializeDpc(&Binding->DetachDpc, DetachTimerDpc, Binding);
    if (Counters != NULL) {
        InterlockedIncrement(&Counters->Bindings);
    }
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &ProviderDispatchTable;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    PTIMER_BINDING Binding = (PTIMER_BINDING)ProviderBindingContext;
    LARGE_INTEGER DueTime;

    DueTime.QuadPart = -10 * 1000 * TIMER_GRACE_MS;            // relative
    KeSetTimer(&Binding->DetachTimer, DueTime, &Binding->DetachDpc);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    /* The one-shot timer has fired (its DPC completed the detach): the
     * timer and the DPC inside the binding are free to go. */
    ExFreePoolWithTag(ProviderBindingContext, TIMER_TAG);
}

static VOID DeregisterAndWait(VOID)
{
    if (NmrDeregisterProvider(NmrProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(NmrProviderHandle);
    }
#ifndef TIMER_NO_FLUSH
    KeFlushQueuedDpcs();                                        // the last Complete's DPC may still run
#endif
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DeregisterAndWait();
    IoDeleteDevice(ControlDevice);
    ExFreePoolWithTag(Stats, TIMER_TAG);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Stats = (PTIMER_STATS)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(TIMER_STATS), TIMER_TAG);
    if (Stats == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrRegisterProvider(&ProviderCharacteristics, Stats, &NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Stats, TIMER_TAG);
        return Status;
    }
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_NETWORK, 0, FALSE, &ControlDevice);
    if (!NT_SUCCESS(Status)) {
        /* Clients may be attached already: undo the registration. */
        DeregisterAndWait();
        ExFreePoolWithTag(Stats, TIMER_TAG);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
