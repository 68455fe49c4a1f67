/* audit_client.c - a client of the Example NPI that audits its bindings,
 * written the way a team writes one (sixth sweep, docs/SWEEP.md), around
 * facilities the earlier test drivers did not use.
 *
 * Its module ID is made per load (ExUuidCreate) and its name printed from
 * it (RtlUnicodeStringPrintf), as drivers that register one module per
 * instance do. It binds to every provider (up to four); the table is under
 * a KMUTEX (KeWaitForMutexObject, KeReleaseMutex: every path that takes it
 * is PASSIVE_LEVEL). A sender system thread sends through each bound
 * provider every half millisecond with the mutex held and reads the audit
 * policy under a push lock held shared (ExAcquirePushLockShared in a
 * critical region); DriverEntry and Unload change the policy exclusive.
 * ClientDetachProvider (maybe at DISPATCH_LEVEL) marks the binding and
 * queues its IoQueueWorkItem item; the item writes the binding's audit
 * record into a buffer from a PAGED_LOOKASIDE_LIST
 * (ExAllocateFromPagedLookasideList: <= APC_LEVEL), stamps it with
 * KeQueryPerformanceCounter, takes the binding out of the table under the
 * mutex (so no send is in flight on it) and completes. Unload deregisters
 * and waits, stops the thread and waits for its object, then deletes the
 * lookaside list and the device.
 *
 * Built with AUDIT_RECORD_IN_DETACH: the detach callback takes the record
 * buffer itself "so the record has the detach's time" (BUG: the paged
 * lookaside list needs <= APC_LEVEL and NMR may call the detach at
 * DISPATCH_LEVEL: K01).
 * Scenarios: corpus/kernel/audit-*.nmr. */
#include <ntddk.h>
#include <ntstrsafe.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD AuUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN AuAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN AuDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN AuCleanupBinding;
static EXAMPLE_INDICATE_FN AuIndicate;
static KSTART_ROUTINE AuSenderThread;
static IO_WORKITEM_ROUTINE AuDetachWorker;

#define AU_TAG        'tuAx'
#define AU_RECORD_TAG 'rcAx'
#define AU_SLOTS      4

typedef struct _AU_RECORD {
    LARGE_INTEGER Time;
    ULONG Sends;
    ULONG Completions;
    ULONG PolicyGeneration;
} AU_RECORD, *PAU_RECORD;

typedef struct _AU_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    PIO_WORKITEM DetachItem;
    ULONG Slot;
    volatile LONG Detaching;
    volatile LONG Sends;
    volatile LONG Completions;
    PAU_RECORD Record;                     // taken by the detach item (or the detach, AUDIT_RECORD_IN_DETACH)
} AU_BINDING, *PAU_BINDING;

typedef struct _AU_POLICY {
    ULONG Generation;
    ULONG SendLength;
} AU_POLICY;

static const EXAMPLE_CLIENT_DISPATCH AuDispatch = { AuIndicate };

static NPI_MODULEID AuModuleId;            // made per load
static NPI_CLIENT_CHARACTERISTICS AuCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    AuAttachProvider, AuDetachProvider, AuCleanupBinding,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &NPI_EXAMPLE_ID, &AuModuleId, 0, NULL }
};

static HANDLE AuNmrHandle;
static PDEVICE_OBJECT AuDevice;
static KMUTEX AuMutex;
static PAU_BINDING AuTable[AU_SLOTS];      // under AuMutex
static EX_PUSH_LOCK AuPolicyLock;
static AU_POLICY AuPolicy;                 // under AuPolicyLock
static PAGED_LOOKASIDE_LIST AuRecords;
static KEVENT AuStop;
static PKTHREAD AuThread;
static WCHAR AuNameBuffer[48];
static UNICODE_STRING AuName;
static volatile LONG AuAudited;

_Use_decl_annotations_
static VOID AuIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    if (Indication == EXAMPLE_INDICATE_SEND_COMPLETE) {
        InterlockedIncrement(&((PAU_BINDING)ClientBindingContext)->Completions);
    }
}

static VOID AuLock(VOID)
{
    KeWaitForMutexObject(&AuMutex, Executive, KernelMode, FALSE, NULL);
}

static VOID AuUnlock(VOID)
{
    KeReleaseMutex(&AuMutex, FALSE);
}

static ULONG AuReadPolicy(PULONG Generation)
{
    ULONG Length;

    KeEnterCriticalRegion();
    ExAcquirePushLockShared(&AuPolicyLock);
    Length = AuPolicy.SendLength;
    if (Generation != NULL) {
        *Generation = AuPolicy.Generation;
    }
    ExReleasePushLockShared(&AuPolicyLock);
    KeLeaveCriticalRegion();
    return Length;
}

static VOID AuSetPolicy(ULONG SendLength)
{
    KeEnterCriticalRegion();
    ExAcquirePushLockExclusive(&AuPolicyLock);
    AuPolicy.SendLength = SendLength;
    AuPolicy.Generation++;
    ExReleasePushLockExclusive(&AuPolicyLock);
    KeLeaveCriticalRegion();
}

_Use_decl_annotations_
static VOID AuSenderThread(PVOID StartContext)
{
    LARGE_INTEGER Period;
    UCHAR Payload[32];

    UNREFERENCED_PARAMETER(StartContext);
    RtlZeroMemory(Payload, sizeof(Payload));
    Period.QuadPart = -10 * 500;
    while (KeWaitForSingleObject(&AuStop, Executive, KernelMode, FALSE, &Period) == STATUS_TIMEOUT) {
        ULONG Length = AuReadPolicy(NULL);
        if (Length == 0) {
            continue;
        }
        AuLock();
        for (ULONG i = 0; i < AU_SLOTS; i++) {
            PAU_BINDING Binding = AuTable[i];
            if (Binding == NULL || Binding->Detaching) {
                continue;
            }
            InterlockedIncrement(&Binding->Sends);
            (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Payload,
                                                 min(Length, (ULONG)sizeof(Payload)));
        }
        AuUnlock();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static PAU_RECORD AuTakeRecord(PAU_BINDING Binding)
{
    PAU_RECORD Record = (PAU_RECORD)ExAllocateFromPagedLookasideList(&AuRecords);
    if (Record != NULL) {
        Record->Time = KeQueryPerformanceCounter(NULL);
    }
    Binding->Record = Record;
    return Record;
}

_Use_decl_annotations_
static VOID AuDetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PAU_BINDING Binding = (PAU_BINDING)Context;
    PAU_RECORD Record;

    UNREFERENCED_PARAMETER(DeviceObject);
#ifdef AUDIT_RECORD_IN_DETACH
    Record = Binding->Record;
#else
    Record = AuTakeRecord(Binding);
#endif
    AuLock();                                       // no send is in flight on it after this
    AuTable[Binding->Slot] = NULL;
    AuUnlock();
    if (Record != NULL) {
        Record->Sends = (ULONG)Binding->Sends;
        Record->Completions = (ULONG)InterlockedCompareExchange(&Binding->Completions, 0, 0);
        (VOID)AuReadPolicy(&Record->PolicyGeneration);
        DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "%wZ: binding %u sent %u, completed %u\n", &AuName,
                   Binding->Slot, Record->Sends, Record->Completions);
        ExFreeToPagedLookasideList(&AuRecords, Record);
        Binding->Record = NULL;
        InterlockedIncrement(&AuAudited);
    }
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);    // the cleanup may free Binding in here
}

_Use_decl_annotations_
static NTSTATUS AuAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                 PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PAU_BINDING Binding;
    PVOID ProviderBindingContext;
    CONST VOID *ProviderDispatch;
    NTSTATUS Status;
    ULONG Slot;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);
    Binding = (PAU_BINDING)ExAllocatePoolZero(NonPagedPoolNx, sizeof(AU_BINDING), AU_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->DetachItem = IoAllocateWorkItem(AuDevice);
    if (Binding->DetachItem == NULL) {
        ExFreePoolWithTag(Binding, AU_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    AuLock();
    for (Slot = 0; Slot < AU_SLOTS && AuTable[Slot] != NULL; Slot++) {
    }
    if (Slot == AU_SLOTS) {
        AuUnlock();
        IoFreeWorkItem(Binding->DetachItem);
        ExFreePoolWithTag(Binding, AU_TAG);
        return STATUS_NOINTERFACE;
    }
    Binding->Slot = Slot;
    Binding->Detaching = TRUE;                      // reserved; the sender skips it until attached
    AuTable[Slot] = Binding;
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &AuDispatch, &ProviderBindingContext,
                                     &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        AuTable[Slot] = NULL;
        AuUnlock();
        IoFreeWorkItem(Binding->DetachItem);
        ExFreePoolWithTag(Binding, AU_TAG);
        return Status;
    }
    Binding->ProviderBindingContext = ProviderBindingContext;
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    Binding->Detaching = FALSE;
    AuUnlock();
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS AuDetachProvider(PVOID ClientBindingContext)
{
    PAU_BINDING Binding = (PAU_BINDING)ClientBindingContext;

    InterlockedExchange(&Binding->Detaching, TRUE); // the sender skips it from its next round
#ifdef AUDIT_RECORD_IN_DETACH
    (VOID)AuTakeRecord(Binding);
#endif
    IoQueueWorkItem(Binding->DetachItem, AuDetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID AuCleanupBinding(PVOID ClientBindingContext)
{
    PAU_BINDING Binding = (PAU_BINDING)ClientBindingContext;

    IoFreeWorkItem(Binding->DetachItem);
    ExFreePoolWithTag(Binding, AU_TAG);
}

_Use_decl_annotations_
static VOID AuUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    AuSetPolicy(0);                                 // no more sends
    if (NmrDeregisterClient(AuNmrHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(AuNmrHandle);
    }
    KeSetEvent(&AuStop, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(AuThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(AuThread);
    ExDeletePagedLookasideList(&AuRecords);
    IoDeleteDevice(AuDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;
    UUID Uuid;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = ExUuidCreate(&Uuid);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    AuModuleId.Length = sizeof(NPI_MODULEID);
    AuModuleId.Type = MIT_GUID;
    AuModuleId.Guid = Uuid;
    RtlInitEmptyUnicodeString(&AuName, AuNameBuffer, sizeof(AuNameBuffer));
    (VOID)RtlUnicodeStringPrintf(&AuName, L"audit-%08lx", Uuid.Data1);

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &AuDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    KeInitializeMutex(&AuMutex, 0);
    ExInitializePushLock(&AuPolicyLock);
    KeInitializeEvent(&AuStop, NotificationEvent, FALSE);
    ExInitializePagedLookasideList(&AuRecords, NULL, NULL, 0, sizeof(AU_RECORD), AU_RECORD_TAG, 0);
    AuSetPolicy(24);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, AuSenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        goto Fail;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                       (PVOID *)&AuThread, NULL);
    ZwClose(ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&AuStop, IO_NO_INCREMENT, FALSE);  // it runs without an object we can wait on
        goto Fail;
    }
    Status = NmrRegisterClient(&AuCharacteristics, NULL, &AuNmrHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&AuStop, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(AuThread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(AuThread);
        goto Fail;
    }
    DriverObject->DriverUnload = AuUnload;
    return STATUS_SUCCESS;

Fail:
    ExDeletePagedLookasideList(&AuRecords);
    IoDeleteDevice(AuDevice);
    return Status;
}
