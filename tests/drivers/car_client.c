/* car_client.c - a telemetry client of the Example NPI, written the way a
 * team writes one (fifth sweep, docs/SWEEP.md), around facilities the
 * earlier test drivers did not use.
 *
 * One provider at a time. Each binding comes from an NPAGED_LOOKASIDE_LIST
 * and is guarded by cache-aware rundown protection
 * (ExAllocateCacheAwareRundownProtection): a sender system thread, started
 * in DriverEntry and referenced by its thread object
 * (ObReferenceObjectByHandle), finds the binding under a spin lock, takes
 * the rundown, stamps the sample with KeQuerySystemTimePrecise, waits a few
 * microseconds for the "hardware" (KeStallExecutionProcessor) and sends.
 * ClientDetachProvider (maybe at DISPATCH_LEVEL) unpublishes the binding
 * and pends; the binding's IoQueueWorkItem item waits for the rundown at
 * PASSIVE_LEVEL, frees the rundown there (ExFreeCacheAwareRundownProtection
 * needs <= APC_LEVEL; the cleanup callback may run at DISPATCH_LEVEL) and
 * completes. Unload deregisters and waits, stops the
 * thread and waits for its object before it dereferences it, then frees
 * what DriverEntry took (the driver's name copied with RtlCopyUnicodeString
 * into ExAllocatePoolWithTag memory, the lookaside list, the device).
 *
 * Built with CAR_NO_THREAD_WAIT: Unload signals the thread to stop and
 * drops its reference without waiting for the thread object (BUG: the
 * thread's last steps run after Unload returned: K06).
 * Scenarios: corpus/kernel/car-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD CarUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN CarAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN CarDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN CarCleanupBinding;
static EXAMPLE_INDICATE_FN CarIndicate;
static KSTART_ROUTINE CarSenderThread;
static IO_WORKITEM_ROUTINE CarDetachWorker;

#define CAR_TAG      'raCT'
#define CAR_NAME_TAG 'mNaC'
#define CAR_RUN_TAG  'nRaC'

typedef struct _CAR_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    PEX_RUNDOWN_REF_CACHE_AWARE Rundown;   // a Send in progress
    PIO_WORKITEM DetachItem;
    LARGE_INTEGER LastSample;              // written by the sender under the rundown
    volatile LONG Completions;
} CAR_BINDING, *PCAR_BINDING;

static const NPI_MODULEID CarModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a2c4e19, 0x3d5b, 0x4f81, { 0x9c, 0x06, 0x1e, 0x2f, 0x3a, 0x4b, 0x5c, 0x6d } } }
};

static const EXAMPLE_CLIENT_DISPATCH CarDispatch = { CarIndicate };

static const NPI_CLIENT_CHARACTERISTICS CarCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    CarAttachProvider, CarDetachProvider, CarCleanupBinding,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), &NPI_EXAMPLE_ID, &CarModuleId, 0, NULL }
};

static HANDLE CarNmrHandle;
static PDEVICE_OBJECT CarDevice;
static NPAGED_LOOKASIDE_LIST CarBindingList;
static KSPIN_LOCK CarLock;
static PCAR_BINDING CarCurrent;            // under CarLock: the binding the sender uses
static BOOLEAN CarSlotTaken;               // under CarLock: a binding attaches or is bound
static KEVENT CarStop;
static PKTHREAD CarThread;
static UNICODE_STRING CarName;

_Use_decl_annotations_
static VOID CarIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    if (Indication == EXAMPLE_INDICATE_SEND_COMPLETE) {
        InterlockedIncrement(&((PCAR_BINDING)ClientBindingContext)->Completions);
    }
}

static PCAR_BINDING CarReferenceCurrent(VOID)
{
    PCAR_BINDING Binding;
    KIRQL OldIrql;

    KeAcquireSpinLock(&CarLock, &OldIrql);
    Binding = CarCurrent;
    if (Binding != NULL && !ExAcquireRundownProtectionCacheAware(Binding->Rundown)) {
        Binding = NULL;
    }
    KeReleaseSpinLock(&CarLock, OldIrql);
    return Binding;
}

_Use_decl_annotations_
static VOID CarSenderThread(PVOID StartContext)
{
    LARGE_INTEGER Period;
    UCHAR Sample[24];

    UNREFERENCED_PARAMETER(StartContext);
    Period.QuadPart = -10 * 500;                    // every half millisecond
    for (;;) {
        PCAR_BINDING Binding;
        NTSTATUS Status = KeWaitForSingleObject(&CarStop, Executive, KernelMode, FALSE, &Period);
        if (Status == STATUS_SUCCESS) {
            break;
        }
        Binding = CarReferenceCurrent();
        if (Binding == NULL) {
            continue;
        }
        KeQuerySystemTimePrecise(&Binding->LastSample);
        RtlCopyMemory(Sample, &Binding->LastSample, sizeof(Binding->LastSample));
        RtlZeroMemory(Sample + sizeof(LARGE_INTEGER), sizeof(Sample) - sizeof(LARGE_INTEGER));
        KeStallExecutionProcessor(5);               // the device latches the sample
        (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext, Sample, sizeof(Sample));
        ExReleaseRundownProtectionCacheAware(Binding->Rundown);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID CarDetachWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PCAR_BINDING Binding = (PCAR_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    ExWaitForRundownProtectionReleaseCacheAware(Binding->Rundown);
    // Freed here, at PASSIVE_LEVEL (the routine needs <= APC_LEVEL), not in
    // the cleanup callback, which may run at DISPATCH_LEVEL: nothing takes
    // the rundown once the wait returned.
    ExFreeCacheAwareRundownProtection(Binding->Rundown);
    Binding->Rundown = NULL;
    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);    // the cleanup may free Binding in here
}

static VOID CarFreeBinding(PCAR_BINDING Binding)
{
    KIRQL OldIrql;

    if (Binding->Rundown != NULL) {
        ExFreeCacheAwareRundownProtection(Binding->Rundown);
    }
    if (Binding->DetachItem != NULL) {
        IoFreeWorkItem(Binding->DetachItem);
    }
    ExFreeToNPagedLookasideList(&CarBindingList, Binding);
    KeAcquireSpinLock(&CarLock, &OldIrql);
    CarSlotTaken = FALSE;
    KeReleaseSpinLock(&CarLock, OldIrql);
}

_Use_decl_annotations_
static NTSTATUS CarAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                  PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PCAR_BINDING Binding;
    PVOID ProviderBindingContext;
    CONST VOID *ProviderDispatch;
    NTSTATUS Status;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    KeAcquireSpinLock(&CarLock, &OldIrql);
    if (CarSlotTaken) {
        KeReleaseSpinLock(&CarLock, OldIrql);
        return STATUS_NOINTERFACE;
    }
    CarSlotTaken = TRUE;
    KeReleaseSpinLock(&CarLock, OldIrql);

    Binding = (PCAR_BINDING)ExAllocateFromNPagedLookasideList(&CarBindingList);
    if (Binding == NULL) {
        KeAcquireSpinLock(&CarLock, &OldIrql);
        CarSlotTaken = FALSE;
        KeReleaseSpinLock(&CarLock, OldIrql);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(Binding, sizeof(*Binding));
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->Rundown = ExAllocateCacheAwareRundownProtection(NonPagedPoolNx, CAR_RUN_TAG);
    Binding->DetachItem = IoAllocateWorkItem(CarDevice);
    if (Binding->Rundown == NULL || Binding->DetachItem == NULL) {
        CarFreeBinding(Binding);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &CarDispatch, &ProviderBindingContext,
                                     &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        CarFreeBinding(Binding);
        return Status;
    }
    Binding->ProviderBindingContext = ProviderBindingContext;
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    KeAcquireSpinLock(&CarLock, &OldIrql);
    CarCurrent = Binding;
    KeReleaseSpinLock(&CarLock, OldIrql);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS CarDetachProvider(PVOID ClientBindingContext)
{
    PCAR_BINDING Binding = (PCAR_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&CarLock, &OldIrql);
    if (CarCurrent == Binding) {
        CarCurrent = NULL;                          // no new Send starts on it
    }
    KeReleaseSpinLock(&CarLock, OldIrql);
    IoQueueWorkItem(Binding->DetachItem, CarDetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID CarCleanupBinding(PVOID ClientBindingContext)
{
    CarFreeBinding((PCAR_BINDING)ClientBindingContext);
}

_Use_decl_annotations_
static VOID CarUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterClient(CarNmrHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(CarNmrHandle);
    }
    KeSetEvent(&CarStop, IO_NO_INCREMENT, FALSE);
#ifndef CAR_NO_THREAD_WAIT
    KeWaitForSingleObject(CarThread, Executive, KernelMode, FALSE, NULL);
#endif
    ObDereferenceObject(CarThread);
    ExDeleteNPagedLookasideList(&CarBindingList);
    ExFreePoolWithTag(CarName.Buffer, CAR_NAME_TAG);
    IoDeleteDevice(CarDevice);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &CarDevice);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    CarName.Length = 0;
    CarName.MaximumLength = RegistryPath->Length;
    CarName.Buffer = (PWCH)ExAllocatePoolWithTag(NonPagedPoolNx, CarName.MaximumLength, CAR_NAME_TAG);
    if (CarName.Buffer == NULL) {
        IoDeleteDevice(CarDevice);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyUnicodeString(&CarName, RegistryPath);
    KdPrint(("car_client: loading from %wZ\n", &CarName));

    KeInitializeSpinLock(&CarLock);
    KeInitializeEvent(&CarStop, NotificationEvent, FALSE);
    ExInitializeNPagedLookasideList(&CarBindingList, NULL, NULL, POOL_NX_ALLOCATION, sizeof(CAR_BINDING),
                                   CAR_TAG, 0);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, CarSenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        goto FailList;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                       (PVOID *)&CarThread, NULL);
    ZwClose(ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        // The thread runs without an object we can wait on: stop it the only way left.
        KeSetEvent(&CarStop, IO_NO_INCREMENT, FALSE);
        goto FailList;
    }
    Status = NmrRegisterClient(&CarCharacteristics, NULL, &CarNmrHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&CarStop, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(CarThread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(CarThread);
        goto FailList;
    }
    DriverObject->DriverUnload = CarUnload;
    return STATUS_SUCCESS;

FailList:
    ExDeleteNPagedLookasideList(&CarBindingList);
    ExFreePoolWithTag(CarName.Buffer, CAR_NAME_TAG);
    IoDeleteDevice(CarDevice);
    return Status;
}
