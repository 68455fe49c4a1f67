/*++

Module Name:

    bug_use_after_complete.c

Abstract:

    BUGGY SAMPLE - the binding context is freed after
    NmrClientDetachProviderComplete (rule K05; the binding context is used
    after NMR cleaned it up).

    A client of the Example NPI that protects its calls with rundown
    protection. ClientDetachProvider cannot wait for the calls in progress
    (NMR may call it at DISPATCH_LEVEL), so it always returns
    STATUS_PENDING and queues a work item; the work item, at PASSIVE_LEVEL,
    waits for the rundown (ExWaitForRundownProtectionRelease) and then calls
    NmrClientDetachProviderComplete. That part is right.

    BUG: after NmrClientDetachProviderComplete the work item frees the
    binding context, as if the detach were the end of the binding. It is
    not: once both sides have completed their detach, NMR calls
    ClientCleanupBindingContext, which frees the context too. Depending on
    when NMR cleans up (inside the Complete call, or later on another
    thread) the work item frees memory that the cleanup callback already
    freed, or the cleanup callback frees memory the work item freed: a
    double free either way. After NmrClientDetachProviderComplete the
    binding context belongs to NMR until the cleanup callback runs; the
    cleanup callback is the only place to free it.

    Expected finding: K05 (pool misuse: a double free).

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

//
// Pool tag 'lCaU'.
//
#define UAC_POOL_TAG 0x6c436155

#define UAC_SEND_COUNT 3

typedef struct _UAC_BINDING {
    HANDLE NmrBindingHandle;                            // for NmrClientDetachProviderComplete
    PVOID ProviderBindingContext;                       // first argument of the provider's functions
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;  // the provider's functions
    EX_RUNDOWN_REF CallRundown;                         // one reference per call in progress
    PIO_WORKITEM DetachWorkItem;                        // waits for the calls, completes the detach
    volatile LONG Indications;                          // send completions received
} UAC_BINDING, *PUAC_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD UacUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN UacAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN UacDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN UacCleanupBindingContext;
static EXAMPLE_INDICATE_FN UacIndicate;
static IO_WORKITEM_ROUTINE UacDetachWorker;
static KSTART_ROUTINE UacSenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH UacDispatch = {
    UacIndicate
};

//
// {9d2f4b6a-1e3c-4a5b-8c7d-6e5f4a3b2c1d}
//
static CONST NPI_MODULEID UacModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x9d2f4b6a, 0x1e3c, 0x4a5b, { 0x8c, 0x7d, 0x6e, 0x5f, 0x4a, 0x3b, 0x2c, 0x1d } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS UacCharacteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    UacAttachProvider,
    UacDetachProvider,
    UacCleanupBindingContext,
    {
        0,
        sizeof(NPI_REGISTRATION_INSTANCE),
        (PNPIID)&NPI_EXAMPLE_ID,
        (PNPI_MODULEID)&UacModuleId,
        0,
        NULL
    }
};

static HANDLE UacClientHandle;
static PDEVICE_OBJECT UacDeviceObject;

//
// BindingLock protects CurrentBinding and BindingBusy.
//
static KSPIN_LOCK BindingLock;
static PUAC_BINDING CurrentBinding;
static BOOLEAN BindingBusy;

static KEVENT StopEvent;
static PVOID SenderThread;


static
VOID
UacStopSender(
    VOID
    )
{
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(SenderThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(SenderThread);
    SenderThread = NULL;
}


NTSTATUS
DriverEntry(
    _In_ PDRIVER_OBJECT DriverObject,
    _In_ PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    HANDLE ThreadHandle;
    OBJECT_ATTRIBUTES ObjectAttributes;

    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeSpinLock(&BindingLock);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);

    Status = IoCreateDevice(DriverObject,
                            0,
                            NULL,
                            FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN,
                            FALSE,
                            &UacDeviceObject);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle,
                                  THREAD_ALL_ACCESS,
                                  &ObjectAttributes,
                                  NULL,
                                  NULL,
                                  UacSenderThread,
                                  NULL);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(UacDeviceObject);
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle,
                                       THREAD_ALL_ACCESS,
                                       *PsThreadType,
                                       KernelMode,
                                       &SenderThread,
                                       NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = UacUnload;

    Status = NmrRegisterClient(&UacCharacteristics, NULL, &UacClientHandle);
    if (!NT_SUCCESS(Status)) {
        UacStopSender();
        IoDeleteDevice(UacDeviceObject);
        return Status;
    }

    return STATUS_SUCCESS;
}


static
VOID
UacUnload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);

    Status = NmrDeregisterClient(UacClientHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(UacClientHandle);
    }

    UacStopSender();
    IoDeleteDevice(UacDeviceObject);
}


static
NTSTATUS
UacAttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PUAC_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (CurrentBinding != NULL || BindingBusy) {
        KeReleaseSpinLock(&BindingLock, OldIrql);
        return STATUS_NOINTERFACE;
    }
    BindingBusy = TRUE;
    KeReleaseSpinLock(&BindingLock, OldIrql);

    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(UAC_BINDING), UAC_POOL_TAG);
    if (Binding == NULL) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
        goto Publish;
    }
    Binding->DetachWorkItem = IoAllocateWorkItem(UacDeviceObject);
    if (Binding->DetachWorkItem == NULL) {
        ExFreePoolWithTag(Binding, UAC_POOL_TAG);
        Binding = NULL;
        Status = STATUS_INSUFFICIENT_RESOURCES;
        goto Publish;
    }
    ExInitializeRundownProtection(&Binding->CallRundown);
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle,
                                     Binding,
                                     &UacDispatch,
                                     &Binding->ProviderBindingContext,
                                     &ProviderDispatch);
    if (NT_SUCCESS(Status)) {
        Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    } else {
        IoFreeWorkItem(Binding->DetachWorkItem);
        ExFreePoolWithTag(Binding, UAC_POOL_TAG);
        Binding = NULL;
    }

Publish:
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (Binding != NULL) {
        CurrentBinding = Binding;
    }
    BindingBusy = FALSE;
    KeReleaseSpinLock(&BindingLock, OldIrql);

    return Status;
}


static
NTSTATUS
UacDetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PUAC_BINDING Binding = (PUAC_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (CurrentBinding == Binding) {
        CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&BindingLock, OldIrql);

    //
    // Waiting for the rundown here could block at DISPATCH_LEVEL: let the
    // work item do it.
    //
    IoQueueWorkItem(Binding->DetachWorkItem, UacDetachWorker, DelayedWorkQueue, Binding);
    return STATUS_PENDING;
}


static
VOID
UacDetachWorker(
    _In_ PDEVICE_OBJECT DeviceObject,
    _In_opt_ PVOID Context
    )
{
    PUAC_BINDING Binding = (PUAC_BINDING)Context;

    UNREFERENCED_PARAMETER(DeviceObject);

    //
    // Wait for the calls in progress; no new call can take a reference
    // once the wait has started.
    //
    ExWaitForRundownProtectionRelease(&Binding->CallRundown);

    //
    // The work item is done with: a work item routine may free its own
    // work item.
    //
    IoFreeWorkItem(Binding->DetachWorkItem);
    Binding->DetachWorkItem = NULL;

    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL,
               "bug_use_after_complete: detach completes after %d send completions\n",
               (int)Binding->Indications);

    NmrClientDetachProviderComplete(Binding->NmrBindingHandle);

    //
    // BUG: the binding is not ours any more. NMR calls
    // UacCleanupBindingContext once the provider has detached too (it may
    // already have, inside the call above), and that frees the context
    // again.
    //
    ExFreePoolWithTag(Binding, UAC_POOL_TAG);
}


static
VOID
UacCleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, UAC_POOL_TAG);
}


static
VOID
UacIndicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    PUAC_BINDING Binding = (PUAC_BINDING)ClientBindingContext;

    if (Indication == EXAMPLE_INDICATE_SEND_COMPLETE) {
        InterlockedIncrement(&Binding->Indications);
    }
}


static
VOID
UacSenderThread(
    _In_ PVOID StartContext
    )
{
    static CONST UCHAR Packet[4] = { 'd', 'a', 't', 'a' };
    PUAC_BINDING Binding;
    KIRQL OldIrql;
    BOOLEAN Referenced;
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < UAC_SEND_COUNT; Index++) {
        if (KeReadStateEvent(&StopEvent) != 0) {
            break;
        }

        //
        // The binding is freed only after its detach, which unpublishes it
        // under BindingLock first: take the reference under the lock.
        //
        Referenced = FALSE;
        KeAcquireSpinLock(&BindingLock, &OldIrql);
        Binding = CurrentBinding;
        if (Binding != NULL) {
            Referenced = ExAcquireRundownProtection(&Binding->CallRundown);
        }
        KeReleaseSpinLock(&BindingLock, OldIrql);

        if (Referenced) {
            (VOID)Binding->ProviderDispatch->Send(Binding->ProviderBindingContext,
                                                  Packet,
                                                  sizeof(Packet));
            ExReleaseRundownProtection(&Binding->CallRundown);
        }
    }

    PsTerminateSystemThread(STATUS_SUCCESS);
}
