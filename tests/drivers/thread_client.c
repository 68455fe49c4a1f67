/* thread_client.c - a client of the Example NPI whose binding is served by
 * one system thread: the thread queries the provider every few
 * milliseconds, and completes the detach. ClientDetachProvider (which may
 * run at DISPATCH_LEVEL, on any thread) only marks the binding and wakes
 * the thread, and returns STATUS_PENDING; the thread, between two queries,
 * forgets the binding and calls NmrClientDetachProviderComplete. The
 * thread is the only caller, so no call can be in progress then. Unload
 * deregisters first (the thread must be alive to complete the detach),
 * waits, then stops the thread and waits for its thread object. One
 * provider at a time: an attach while another binding is active, being
 * attached or detaching is declined (attaches may run concurrently on
 * NMR's threads).
 *
 * No call starts after the detach callback (the ClientDetachProvider
 * page: no more calls into the provider once it has been called).
 *
 * Built with THREAD_QUERY_AFTER_COMPLETE: the thread takes a last reading
 * of the provider's counter after it completed the detach (BUG: M18, and
 * the binding may be cleaned up already).
 * Scenarios: corpus/kernel/thread-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static KSTART_ROUTINE ServiceThread;

#define THREAD_TAG 'hTxE'
#define THREAD_POLL_MS 3

typedef struct _TC_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
    ULONG LastCounter;               // the service thread's
} TC_BINDING, *PTC_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7f9b1c43, 0x25d6, 0x4e87, { 0xb8, 0xc9, 0xda, 0xeb, 0xfc, 0x0d, 0x1e, 0x2f } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatchTable = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static KSPIN_LOCK BindingLock;
static PTC_BINDING ActiveBinding;       // under BindingLock: usable by the thread
static PTC_BINDING DetachingBinding;    // under BindingLock: detach pending
static BOOLEAN Attaching;               // under BindingLock
static KEVENT WakeEvent;                // synchronization: a detach to complete
static KEVENT StopEvent;
static PKTHREAD Service;
static ULONG PollMs = THREAD_POLL_MS;

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}

_Use_decl_annotations_
static VOID ServiceThread(PVOID StartContext)
{
    PVOID Objects[2];
    LARGE_INTEGER Timeout;

    UNREFERENCED_PARAMETER(StartContext);
    Objects[0] = &StopEvent;
    Objects[1] = &WakeEvent;
    Timeout.QuadPart = -10 * 1000 * (LONGLONG)PollMs;
    for (;;) {
        PTC_BINDING Binding, Detaching;
        KIRQL OldIrql;
        NTSTATUS Wait;

        Wait = KeWaitForMultipleObjects(2, Objects, WaitAny, Executive, KernelMode, FALSE, &Timeout, NULL);
        KeAcquireSpinLock(&BindingLock, &OldIrql);
        Detaching = DetachingBinding;
        DetachingBinding = NULL;
        Binding = ActiveBinding;
        KeReleaseSpinLock(&BindingLock, OldIrql);
        if (Detaching != NULL) {
            HANDLE NmrBindingHandle = Detaching->NmrBindingHandle;
            NmrClientDetachProviderComplete(NmrBindingHandle);  // may clean the binding up inside
#ifdef THREAD_QUERY_AFTER_COMPLETE
            Detaching->ProviderDispatch->Query(Detaching->ProviderBindingContext, &Detaching->LastCounter); // BUG
#endif
        }
        if (Wait == STATUS_WAIT_0) {
            break;                                              // Unload: the detach was completed before
        }
        if (Binding != NULL) {
            Binding->ProviderDispatch->Query(Binding->ProviderBindingContext, &Binding->LastCounter);
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PTC_BINDING Binding;
    CONST VOID *ProviderDispatch = NULL;
    KIRQL OldIrql;
    NTSTATUS Status;
    BOOLEAN Taken;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Taken = ActiveBinding != NULL || DetachingBinding != NULL || Attaching;
    if (!Taken) {
        Attaching = TRUE;
    }
    KeReleaseSpinLock(&BindingLock, OldIrql);
    if (Taken) {
        return STATUS_NOINTERFACE;                              // one provider at a time
    }
    Binding = (PTC_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(TC_BINDING), THREAD_TAG);
    Status = STATUS_INSUFFICIENT_RESOURCES;
    if (Binding != NULL) {
        Binding->NmrBindingHandle = NmrBindingHandle;
        Binding->LastCounter = 0;
        Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatchTable,
                                         &Binding->ProviderBindingContext, &ProviderDispatch);
        if (NT_SUCCESS(Status)) {
            Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
        } else {
            ExFreePoolWithTag(Binding, THREAD_TAG);
        }
    }
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    Attaching = FALSE;
    if (NT_SUCCESS(Status)) {
        ActiveBinding = Binding;
    }
    KeReleaseSpinLock(&BindingLock, OldIrql);
    return Status;
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    PTC_BINDING Binding = (PTC_BINDING)ClientBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&BindingLock, &OldIrql);
    if (ActiveBinding == Binding) {
        ActiveBinding = NULL;
    }
    DetachingBinding = Binding;
    KeReleaseSpinLock(&BindingLock, OldIrql);
    KeSetEvent(&WakeEvent, IO_NO_INCREMENT, FALSE);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    ExFreePoolWithTag(ClientBindingContext, THREAD_TAG);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterClient(NmrClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);    // the thread completed the detach
    }
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Service, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Service);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&BindingLock);
    KeInitializeEvent(&WakeEvent, SynchronizationEvent, FALSE);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ServiceThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Service, NULL);
    ZwClose(ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
    if (!NT_SUCCESS(Status)) {
        /* No registration: stop the thread and wait for it to end. */
        KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(Service, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Service);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
