/* name_client.c - a monitoring client of the Example NPI that binds to
 * every provider and names each one, the way a team writes one (fifth
 * sweep, docs/SWEEP.md).
 *
 * Each binding gets a display name built with the Rtl unicode routines
 * (RtlInitUnicodeString, RtlAppendUnicodeToString,
 * RtlIntegerToUnicodeString, RtlAppendUnicodeStringToString) and is kept
 * in a list under a push lock taken inside a guarded region
 * (KeEnterGuardedRegion). A watchdog: a coalescable periodic timer
 * (KeSetCoalescableTimer) whose DPC queues one IoQueueWorkItem item (never
 * twice: InterlockedCompareExchange on a flag); the item, at PASSIVE_LEVEL,
 * walks the list shared, queries every binding whose detach has not begun
 * and stamps the sweep with KeQueryUnbiasedInterruptTime; it compares the
 * names (RtlCompareUnicodeString) to count duplicates. ClientDetachProvider
 * (maybe at DISPATCH_LEVEL) marks the binding and queues the binding's own
 * item, which takes the lock exclusive (so no query is in flight), unlinks
 * it and completes the detach. Unload cancels the timer, flushes the DPCs,
 * waits until no watchdog item is queued or running and frees it, then
 * deregisters and waits, and deletes the device.
 *
 * Built with NAME_NO_WATCHDOG_WAIT: Unload frees the watchdog item without
 * waiting for it (BUG: IoFreeWorkItem of an item still queued, K09).
 * Scenarios: corpus/kernel/name-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD NmUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN NmAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN NmDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN NmCleanupBinding;
static EXAMPLE_INDICATE_FN NmIndicate;
static KDEFERRED_ROUTINE NmWatchdogDpc;
static IO_WORKITEM_ROUTINE NmWatchdogWorker;
static IO_WORKITEM_ROUTINE NmDetachWorker;

#define NM_TAG 'mNxE'
#define NM_NAME_CHARS 48

typedef struct _NM_BINDING {
    LIST_ENTRY Link;                           // NmBindings, under NmLock
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    PIO_WORKITEM DetachItem;
    volatile LONG Detaching;
    ULONG LastBytes;                           // under NmLock exclusive, or the watchdog's shared hold
    UNICODE_STRING Name;
    WCHAR NameBuffer[NM_NAME_CHARS];
} NM_BINDING, *PNM_BINDING;

static const NPI_MODULEID NmModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x5d1e7a42, 0x9b3c, 0x4e05, { 0xa1, 0x7f, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71 } } }
};

static const EXAMPLE_CLIENT_DISPATCH NmDispatch = { NmIndicate };

static const NPI_CLIENT_CHARACTERISTICS NmCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    NmAttachProvider, NmDetachProvider, NmCleanupBinding,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &NPI_EXAMPLE_ID, &NmModuleId, 0, NULL }
};

static HANDLE NmNmrHandle;
static PDEVICE_OBJECT NmDevice;
static EX_PUSH_LOCK NmLock;
static LIST_ENTRY NmBindings;                  // under NmLock
static volatile LONG NmBindingCount;
static KTIMER NmTimer;
static KDPC NmDpc;
static PIO_WORKITEM NmWatchdogItem;
static volatile LONG NmWatchdogQueued;         // 1 from the DPC's queueing until the item's last step
static KEVENT NmWatchdogIdle;                  // set while no watchdog item is queued or running
static ULONGLONG NmLastSweep;
static ULONG NmDuplicates;

_Use_decl_annotations_
static VOID NmIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}

static VOID NmLockExclusive(VOID)
{
    KeEnterGuardedRegion();
    ExAcquirePushLockExclusive(&NmLock);
}

static VOID NmUnlockExclusive(VOID)
{
    ExReleasePushLockExclusive(&NmLock);
    KeLeaveGuardedRegion();
}

_Use_decl_annotations_
static VOID NmWatchdogWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    ULONG Duplicates = 0;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeEnterGuardedRegion();
    ExAcquirePushLockShared(&NmLock);
    for (PLIST_ENTRY Link = NmBindings.Flink; Link != &NmBindings; Link = Link->Flink) {
        PNM_BINDING Binding = CONTAINING_RECORD(Link, NM_BINDING, Link);
        if (!InterlockedCompareExchange(&Binding->Detaching, 0, 0)) {
            ULONG Bytes = 0;
            if (NT_SUCCESS(Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &Bytes))) {
                Binding->LastBytes = Bytes;
            }
        }
        for (PLIST_ENTRY Other = Link->Flink; Other != &NmBindings; Other = Other->Flink) {
            PNM_BINDING Peer = CONTAINING_RECORD(Other, NM_BINDING, Link);
            if (RtlCompareUnicodeString(&Binding->Name, &Peer->Name, TRUE) == 0) {
                Duplicates++;
            }
        }
    }
    NmDuplicates = Duplicates;
    NmLastSweep = KeQueryUnbiasedInterruptTime();
    ExReleasePushLockShared(&NmLock);
    KeLeaveGuardedRegion();

    // The event first: once the flag is clear a DPC may queue the item
    // again and clear the event, which must then stay clear until that
    // item's own end (the other order lets Unload see "idle" while the
    // next item is queued).
    KeSetEvent(&NmWatchdogIdle, IO_NO_INCREMENT, FALSE);
    InterlockedExchange(&NmWatchdogQueued, 0);
}

_Use_decl_annotations_
static VOID NmWatchdogDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    if (InterlockedCompareExchange(&NmBindingCount, 0, 0) == 0) {
        return;
    }
    if (InterlockedCompareExchange(&NmWatchdogQueued, 1, 0) == 0) {
        KeClearEvent(&NmWatchdogIdle);
        IoQueueWorkItem(NmWatchdogItem, NmWatchdogWorker, DelayedWorkQueue, NULL);
    }
}

_Use_decl_annotations_
static VOID NmDetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PNM_BINDING Binding = (PNM_BINDING)Context;
    HANDLE NmrBindingHandle = Binding->NmrBindingHandle;

    UNREFERENCED_PARAMETER(DeviceObject);
    NmLockExclusive();
    RemoveEntryList(&Binding->Link);
    InitializeListHead(&Binding->Link);
    NmUnlockExclusive();
    InterlockedDecrement(&NmBindingCount);
    NmrClientDetachProviderComplete(NmrBindingHandle);   // the cleanup may free Binding in here
}

static VOID NmBuildName(PNM_BINDING Binding, CONST NPI_REGISTRATION_INSTANCE *Provider)
{
    UNICODE_STRING Prefix, Number;
    WCHAR NumberBuffer[12];

    RtlInitUnicodeString(&Prefix, L"example-provider-");
    Binding->Name.Buffer = Binding->NameBuffer;
    Binding->Name.Length = 0;
    Binding->Name.MaximumLength = sizeof(Binding->NameBuffer);
    (VOID)RtlAppendUnicodeStringToString(&Binding->Name, &Prefix);
    Number.Buffer = NumberBuffer;
    Number.Length = 0;
    Number.MaximumLength = sizeof(NumberBuffer);
    if (NT_SUCCESS(RtlIntegerToUnicodeString(Provider->ModuleId->Guid.Data1 & 0xffff, 16, &Number))) {
        (VOID)RtlAppendUnicodeStringToString(&Binding->Name, &Number);
    } else {
        (VOID)RtlAppendUnicodeToString(&Binding->Name, L"unknown");
    }
}

_Use_decl_annotations_
static NTSTATUS NmAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                 PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PNM_BINDING Binding;
    PVOID ProviderBindingContext;
    CONST VOID *ProviderDispatch;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    Binding = (PNM_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(NM_BINDING), NM_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->DetachItem = IoAllocateWorkItem(NmDevice);
    if (Binding->DetachItem == NULL) {
        ExFreePoolWithTag(Binding, NM_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    NmBuildName(Binding, ProviderRegistrationInstance);
    InitializeListHead(&Binding->Link);
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &NmDispatch, &ProviderBindingContext,
                                     &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(Binding->DetachItem);
        ExFreePoolWithTag(Binding, NM_TAG);
        return Status;
    }
    Binding->ProviderBindingContext = ProviderBindingContext;
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    NmLockExclusive();
    InsertTailList(&NmBindings, &Binding->Link);
    NmUnlockExclusive();
    InterlockedIncrement(&NmBindingCount);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS NmDetachProvider(PVOID ClientBindingContext)
{
    PNM_BINDING Binding = (PNM_BINDING)ClientBindingContext;

    InterlockedExchange(&Binding->Detaching, 1);    // the watchdog queries it no more
    IoQueueWorkItem(Binding->DetachItem, NmDetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID NmCleanupBinding(PVOID ClientBindingContext)
{
    PNM_BINDING Binding = (PNM_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->DetachItem);
    ExFreePoolWithTag(Binding, NM_TAG);
}

_Use_decl_annotations_
static VOID NmUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeCancelTimer(&NmTimer);
    KeFlushQueuedDpcs();                        // no DPC queues the watchdog any more
#ifndef NAME_NO_WATCHDOG_WAIT
    KeWaitForSingleObject(&NmWatchdogIdle, Executive, KernelMode, FALSE, NULL);
#endif
    IoFreeWorkItem(NmWatchdogItem);             // no watchdog item queued or running
    if (NmrDeregisterClient(NmNmrHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmNmrHandle);
    }
    IoDeleteDevice(NmDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER DueTime;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &NmDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    NmWatchdogItem = IoAllocateWorkItem(NmDevice);
    if (NmWatchdogItem == NULL) {
        IoDeleteDevice(NmDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ExInitializePushLock(&NmLock);
    InitializeListHead(&NmBindings);
    KeInitializeEvent(&NmWatchdogIdle, NotificationEvent, TRUE);
    KeInitializeTimerEx(&NmTimer, NotificationTimer);
    KeInitializeDpc(&NmDpc, NmWatchdogDpc, NULL);
    Status = NmrRegisterClient(&NmCharacteristics, NULL, &NmNmrHandle);
    if (!NT_SUCCESS(Status)) {
        IoFreeWorkItem(NmWatchdogItem);
        IoDeleteDevice(NmDevice);
        return Status;
    }
    DueTime.QuadPart = -10 * 1000;
    KeSetCoalescableTimer(&NmTimer, DueTime, 1, 1, &NmDpc);   // 1 ms, 1 ms tolerance
    DriverObject->DriverUnload = NmUnload;
    return STATUS_SUCCESS;
}
