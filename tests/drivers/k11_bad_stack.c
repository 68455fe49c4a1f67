/* k11_bad_stack.c - a client of the Example NPI whose DriverEntry probes
 * its device on a system thread and hands it a request on DriverEntry's
 * stack. BUG: after creating the thread, DriverEntry marks the request seen
 * (Request.Flags |= PROBE_SEEN) before waiting for the thread's Done event,
 * while the thread sets PROBE_COMPLETE in the same word: two threads write
 * one stack object unordered, and an update can be lost (K11 data-race on
 * DriverEntry's stack, every schedule). Twin: k11_good_stack.c, the same
 * source with K11_STACK_FIXED: the mark comes after the wait, which orders
 * it after the thread's update (the event). Before the probes, DriverEntry
 * reads its configuration through a work item with a request on its stack
 * the same way, correctly (waited for) in both. Scenario:
 * corpus/kernel/K11-bad_stack.nmr (`races on`). */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static KSTART_ROUTINE ProbeThread;
static IO_WORKITEM_ROUTINE_EX ReadConfigurationWorker;

#define CLIENT_TAG 0x3331314Bu /* "K113" */

#define PROBE_COMPLETE 0x1u  /* set by the probe thread */
#define PROBE_SEEN     0x2u  /* set by the caller */
#define PROBE_PORTS    2
#define CONFIG_READ    0x1u  /* set by the configuration work item */

typedef struct _CLIENT_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} CLIENT_BINDING, *PCLIENT_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x7a1d2c42, 0x51e0, 0x4c2b, { 0x90, 0x1f, 0x3e, 0x44, 0x5a, 0x66, 0x77, 0x11 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatch = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;

/* What DriverEntry asks the probe thread, on DriverEntry's stack: the
 * thread fills it in and signals Done; DriverEntry waits for Done. */
typedef struct _PROBE_REQUEST {
    KEVENT Done;
    ULONG Port;
    ULONG Flags;
    NTSTATUS Status;
} PROBE_REQUEST, *PPROBE_REQUEST;

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}

_Use_decl_annotations_
static VOID ProbeThread(PVOID StartContext)
{
    PPROBE_REQUEST Request = (PPROBE_REQUEST)StartContext;

    Request->Status = Request->Port < PROBE_PORTS ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    Request->Flags |= PROBE_COMPLETE;
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

/* Probes one port of the device on a system thread (it may block) and
 * waits for it. */
static NTSTATUS ProbePort(ULONG Port)
{
    PROBE_REQUEST Request;
    HANDLE ThreadHandle;
    PVOID Thread;
    NTSTATUS Status;

    KeInitializeEvent(&Request.Done, NotificationEvent, FALSE);
    Request.Port = Port;
    Request.Flags = 0;
    Request.Status = STATUS_PENDING;
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ProbeThread, &Request);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
#ifndef K11_STACK_FIXED
    Request.Flags |= PROBE_SEEN;                                // BUG: the probe thread may be updating Flags
#endif
    KeWaitForSingleObject(&Request.Done, Executive, KernelMode, FALSE, NULL);
#ifdef K11_STACK_FIXED
    Request.Flags |= PROBE_SEEN;                                // after Done: the thread's update is visible
#endif
    /* The thread must have ended before the driver can unload. */
    if (NT_SUCCESS(ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode, &Thread, NULL))) {
        KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Thread);
    }
    ZwClose(ThreadHandle);
    return (Request.Flags & PROBE_COMPLETE) ? Request.Status : STATUS_UNSUCCESSFUL;
}

/* What DriverEntry asks the configuration work item, on DriverEntry's
 * stack: the same pattern on the I/O worker thread (the event and the
 * answer in one local, waited for). An IoQueueWorkItemEx item on the
 * driver object: the I/O manager keeps the driver loaded until the routine
 * has returned (an ExQueueWorkItem routine may still be returning when
 * the driver unloads: K06). */
typedef struct _CONFIG_REQUEST {
    KEVENT Done;
    ULONG Ports;
    ULONG Flags;
} CONFIG_REQUEST, *PCONFIG_REQUEST;

_Use_decl_annotations_
static VOID ReadConfigurationWorker(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem)
{
    PCONFIG_REQUEST Request = (PCONFIG_REQUEST)Context;

    UNREFERENCED_PARAMETER(IoObject);
    UNREFERENCED_PARAMETER(IoWorkItem);

    Request->Ports = PROBE_PORTS;
    Request->Flags |= CONFIG_READ;
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE);
}

/* How many ports the device has, read at PASSIVE_LEVEL by a work item. */
static ULONG ReadConfiguration(PDRIVER_OBJECT DriverObject)
{
    CONFIG_REQUEST Request;
    PIO_WORKITEM WorkItem;

    WorkItem = IoAllocateWorkItem((PDEVICE_OBJECT)DriverObject);
    if (WorkItem == NULL) {
        return 0;
    }
    KeInitializeEvent(&Request.Done, NotificationEvent, FALSE);
    Request.Ports = 0;
    Request.Flags = 0;
    IoQueueWorkItemEx(WorkItem, ReadConfigurationWorker, DelayedWorkQueue, &Request);
    KeWaitForSingleObject(&Request.Done, Executive, KernelMode, FALSE, NULL);
    IoFreeWorkItem(WorkItem);                                   // dequeued before its routine ran
    return (Request.Flags & CONFIG_READ) ? Request.Ports : 0;
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
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, CLIENT_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
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
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    ULONG Port, Ports;

    UNREFERENCED_PARAMETER(RegistryPath);
    /* One port after the other: the second probe's thread and request take
     * the places (thread, stack) the first one's had. */
    Ports = ReadConfiguration(DriverObject);
    for (Port = 0; Port < Ports; Port++) {
        Status = ProbePort(Port);
        if (!NT_SUCCESS(Status)) {
            return Status;
        }
    }
    DriverObject->DriverUnload = DriverUnload;
    return NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
}
