/* refs_client.c - a client of the Example NPI that counts its calls in
 * flight and its binding's closing flag in one word, lock-free, as team
 * drivers hand-roll it (docs/KERNEL.md, "atomics preempt").
 *
 * CallState is the number of sends in progress, plus REFS_CLOSING once
 * ClientDetachProvider was called (or while no provider is bound). A
 * system thread sends through the binding every few hundred microseconds:
 * it enters with a compare-exchange loop that adds a call only while
 * REFS_CLOSING is clear, sends, and leaves with InterlockedDecrement; the
 * call that takes CallState down to exactly REFS_CLOSING (the last one out
 * after a detach) completes the detach. ClientDetachProvider sets
 * REFS_CLOSING with InterlockedOr and returns STATUS_SUCCESS when no call
 * was in progress, else STATUS_PENDING. No call starts after the detach
 * callback (the ClientDetachProvider page). One provider at a time.
 *
 * Built with REFS_CHECK_THEN_ACT (refs_client_racy.c): the sender checks
 * REFS_CLOSING with one interlocked read and adds its call with a second
 * interlocked operation. A detach between the two sees no call, returns
 * STATUS_SUCCESS, and the sender then calls the provider through a
 * detached binding (BUG: M18, then M15 when its decrement "completes" a
 * detach that did not pend). No kernel routine sits between the two
 * operations, so only `atomics preempt` lets a schedule reach it.
 * Scenarios: corpus/kernel/refs-*.nmr. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;
static KSTART_ROUTINE SenderThread;

#define REFS_CLOSING 0x40000000L
#define REFS_POLL_100NS 2000            /* 200 us between sends */

typedef struct _REFS_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} REFS_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x2c4e6a81, 0x93b5, 0x4d17, { 0xa2, 0x6f, 0x81, 0x3c, 0x5e, 0x07, 0x9b, 0xd4 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatchTable = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static REFS_BINDING Binding;            /* written by the attach before CallState opens */
static volatile LONG CallState = REFS_CLOSING;
static volatile LONG Bound;             /* 1 from an attach until its cleanup */
static KEVENT StopEvent;
static PKTHREAD Sender;

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}

/* A call may start: TRUE with one more call counted. */
static BOOLEAN RefsEnter(VOID)
{
#ifdef REFS_CHECK_THEN_ACT
    if ((InterlockedCompareExchange(&CallState, 0, 0) & REFS_CLOSING) != 0) {
        return FALSE;
    }
    InterlockedIncrement(&CallState);                   /* BUG: the detach may have run since the check */
    return TRUE;
#else
    for (;;) {
        LONG Old = InterlockedCompareExchange(&CallState, 0, 0);
        if ((Old & REFS_CLOSING) != 0) {
            return FALSE;
        }
        if (InterlockedCompareExchange(&CallState, Old + 1, Old) == Old) {
            return TRUE;
        }
    }
#endif
}

/* The call is over; the last one out after a detach completes it. */
static VOID RefsLeave(VOID)
{
    if (InterlockedDecrement(&CallState) == REFS_CLOSING) {
        NmrClientDetachProviderComplete(Binding.NmrBindingHandle);
    }
}

_Use_decl_annotations_
static VOID SenderThread(PVOID StartContext)
{
    LARGE_INTEGER Timeout;
    static const UCHAR Packet[4] = { 1, 2, 3, 4 };

    UNREFERENCED_PARAMETER(StartContext);
    Timeout.QuadPart = -REFS_POLL_100NS;
    while (KeWaitForSingleObject(&StopEvent, Executive, KernelMode, FALSE, &Timeout) == STATUS_TIMEOUT) {
        if (RefsEnter()) {
            Binding.ProviderDispatch->Send(Binding.ProviderBindingContext, Packet, sizeof Packet);
            RefsLeave();
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    CONST VOID *ProviderDispatch = NULL;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    if (InterlockedCompareExchange(&Bound, 1, 0) != 0) {
        return STATUS_NOINTERFACE;                      /* one provider at a time */
    }
    Binding.NmrBindingHandle = NmrBindingHandle;
    Status = NmrClientAttachProvider(NmrBindingHandle, &Binding, &ClientDispatchTable,
                                     &Binding.ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        InterlockedExchange(&Bound, 0);
        return Status;
    }
    Binding.ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;
    InterlockedExchange(&CallState, 0);                 /* open: the sender may call now */
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    if (InterlockedOr(&CallState, REFS_CLOSING) == 0) {
        return STATUS_SUCCESS;                          /* no call in progress */
    }
    return STATUS_PENDING;                              /* the last call out completes */
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    InterlockedExchange(&Bound, 0);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (NmrDeregisterClient(NmrClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);    /* the sender completed the detach */
    }
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Sender, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Sender);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, SenderThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Sender, NULL);
    ZwClose(ThreadHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(Sender, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(Sender);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
