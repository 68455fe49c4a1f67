/* poll_provider.c - a provider of the Example NPI whose detaches are
 * completed by its own system thread: ProviderDetachClient (which may run
 * at DISPATCH_LEVEL) queues the binding on the detach list under a spin
 * lock, wakes the thread and returns STATUS_PENDING; the thread takes the
 * bindings off the list and completes their detaches. Unload deregisters,
 * polls with KeDelayExecutionThread until the cleanups have released
 * every binding (a count kept with interlocked operations), waits for the
 * deregistration, and only then stops the thread (it must be alive to
 * complete the detaches) and waits for its thread object.
 *
 * Built with POLL_STOP_FIRST: Unload stops the thread before deregistering
 * (BUG: a detach pended after that is never completed: M17, and Unload
 * hangs).
 * Scenarios: corpus/kernel/poll-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;
static KSTART_ROUTINE DetachThread;

#define POLL_TAG 0x6C6F5045u /* "EPol" */

typedef struct _POLL_BINDING {
    LIST_ENTRY DetachLink;           // on DetachList while its detach pends
    HANDLE NmrBindingHandle;
    volatile LONG BytesSent;
} POLL_BINDING, *PPOLL_BINDING;

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x8a0c2d54, 0x36e7, 0x4f98, { 0xc9, 0xda, 0xeb, 0xfc, 0x0d, 0x1e, 0x2f, 0x30 } } }
};

static const EXAMPLE_PROVIDER_DISPATCH ProviderDispatchTable = { ProviderSend, ProviderQuery };

static const NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ProviderAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ProviderModuleId, 0, NULL }
};

static HANDLE NmrProviderHandle;
static KSPIN_LOCK DetachLock;
static LIST_ENTRY DetachList;           // under DetachLock
static KEVENT DetachWake;               // synchronization event
static KEVENT StopEvent;
static PKTHREAD Detacher;
static volatile LONG LiveBindings;      // attached and not yet cleaned up

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    PPOLL_BINDING Binding = (PPOLL_BINDING)ProviderBindingContext;

    UNREFERENCED_PARAMETER(Buffer);
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    PPOLL_BINDING Binding = (PPOLL_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID DetachThread(PVOID StartContext)
{
    PVOID Objects[2];

    UNREFERENCED_PARAMETER(StartContext);
    Objects[0] = &StopEvent;
    Objects[1] = &DetachWake;
    for (;;) {
        NTSTATUS Wait = KeWaitForMultipleObjects(2, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL);
        for (;;) {
            PLIST_ENTRY Entry;
            KIRQL OldIrql;

            KeAcquireSpinLock(&DetachLock, &OldIrql);
            Entry = IsListEmpty(&DetachList) ? NULL : RemoveHeadList(&DetachList);
            KeReleaseSpinLock(&DetachLock, OldIrql);
            if (Entry == NULL) {
                break;
            }
            /* The binding may be cleaned up inside: nothing of it afterwards. */
            NmrProviderDetachClientComplete(CONTAINING_RECORD(Entry, POLL_BINDING, DetachLink)->NmrBindingHandle);
        }
        if (Wait == STATUS_WAIT_0) {
            break;
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    PPOLL_BINDING Binding;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PPOLL_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(POLL_BINDING), POLL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->BytesSent = 0;
    InterlockedIncrement(&LiveBindings);
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &ProviderDispatchTable;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    PPOLL_BINDING Binding = (PPOLL_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&DetachLock, &OldIrql);
    InsertTailList(&DetachList, &Binding->DetachLink);
    KeReleaseSpinLock(&DetachLock, OldIrql);
    KeSetEvent(&DetachWake, IO_NO_INCREMENT, FALSE);
    return STATUS_PENDING;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    ExFreePoolWithTag(ProviderBindingContext, POLL_TAG);
    InterlockedDecrement(&LiveBindings);
}

static VOID StopDetachThread(VOID)
{
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Detacher, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Detacher);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    LARGE_INTEGER Poll;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
#ifdef POLL_STOP_FIRST
    StopDetachThread();                                         // BUG: the detaches still need it
#endif
    Poll.QuadPart = -10 * 1000;                                 // 1 ms
    Status = NmrDeregisterProvider(NmrProviderHandle);
    while (InterlockedCompareExchange(&LiveBindings, 0, 0) != 0) {
        KeDelayExecutionThread(KernelMode, FALSE, &Poll);
    }
    if (Status == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(NmrProviderHandle);
    }
#ifndef POLL_STOP_FIRST
    StopDetachThread();
#endif
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&DetachLock);
    InitializeListHead(&DetachList);
    KeInitializeEvent(&DetachWake, SynchronizationEvent, FALSE);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, DetachThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Detacher, NULL);
    ZwClose(ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = NmrRegisterProvider(&ProviderCharacteristics, NULL, &NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        StopDetachThread();
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
