/*++

Module Name:

    r20_attach_list_leak.c

Abstract:

    Racy-bug benchmark case r20 (K05 pool-misuse, use after free): a
    provider of the Example NPI that keeps its bindings in a list, under a
    spin lock, for a statistics thread that sums the bytes sent over every
    binding.

    ProviderAttachClient allocates the binding context, links it into the
    list, and then allocates the binding's receive ring. When that second
    allocation fails, the attach frees the binding context and fails, but
    leaves it in the list: the statistics thread's next walk reads freed
    memory. It needs a pool failure on that allocation (and not on the one
    before it) and the statistics thread walking the list after the failed
    attach, before it stops; a walk that ran before the attach, or an
    attach whose allocations succeed, is harmless.

    RACY_FIXED: the failure path unlinks the binding (under the lock)
    before it frees it.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R20_POOL_TAG 0x30325252 // 'RR20'
#define R20_RING_BYTES 256
#define R20_SAMPLE_COUNT 4

typedef struct _R20_BINDING {
    LIST_ENTRY Link;                        // in R20BindingList, under R20ListLock
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    CONST EXAMPLE_CLIENT_DISPATCH *ClientDispatch;
    KSPIN_LOCK Lock;                        // protects Closing and IndicationsInProgress
    BOOLEAN Closing;
    ULONG IndicationsInProgress;
    volatile LONG BytesSent;
    PUCHAR ReceiveRing;
} R20_BINDING, *PR20_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R20Unload;
static NPI_PROVIDER_ATTACH_CLIENT_FN R20AttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN R20DetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN R20CleanupBindingContext;
static EXAMPLE_SEND_FN R20Send;
static EXAMPLE_QUERY_FN R20Query;
static KSTART_ROUTINE R20StatisticsThread;

static CONST EXAMPLE_PROVIDER_DISPATCH R20Dispatch = { R20Send, R20Query };

static CONST NPI_MODULEID R20ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0020, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x20 } } }
};

static CONST NPI_PROVIDER_CHARACTERISTICS R20Characteristics = {
    0,
    sizeof(NPI_PROVIDER_CHARACTERISTICS),
    R20AttachClient,
    R20DetachClient,
    R20CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R20ModuleId, 0, NULL }
};

static HANDLE R20ProviderHandle;
static KSPIN_LOCK R20ListLock;
static LIST_ENTRY R20BindingList;
static KEVENT R20StopEvent;
static PVOID R20Thread;
static volatile LONG R20TotalBytesSent;


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

    KeInitializeSpinLock(&R20ListLock);
    InitializeListHead(&R20BindingList);
    KeInitializeEvent(&R20StopEvent, NotificationEvent, FALSE);

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R20StatisticsThread, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &R20Thread, NULL);
    ZwClose(ThreadHandle);
    NT_ASSERT(NT_SUCCESS(Status));

    DriverObject->DriverUnload = R20Unload;

    Status = NmrRegisterProvider(&R20Characteristics, NULL, &R20ProviderHandle);
    if (!NT_SUCCESS(Status)) {
        KeSetEvent(&R20StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R20Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R20Thread);
        return Status;
    }
    return STATUS_SUCCESS;
}


static
VOID
R20Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterProvider(R20ProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(R20ProviderHandle);
    }
    KeSetEvent(&R20StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(R20Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(R20Thread);
}


static
NTSTATUS
R20AttachClient(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ProviderContext,
    _In_ PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
    _In_ PVOID ClientBindingContext,
    _In_ CONST VOID *ClientDispatch,
    _Out_ PVOID *ProviderBindingContext,
    _Out_ CONST VOID **ProviderDispatch
    )
{
    PR20_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientRegistrationInstance);

    if (ClientDispatch == NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R20_BINDING), R20_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->ClientDispatch = (CONST EXAMPLE_CLIENT_DISPATCH *)ClientDispatch;
    KeInitializeSpinLock(&Binding->Lock);

    KeAcquireSpinLock(&R20ListLock, &OldIrql);
    InsertTailList(&R20BindingList, &Binding->Link);
    KeReleaseSpinLock(&R20ListLock, OldIrql);

    Binding->ReceiveRing = ExAllocatePool2(POOL_FLAG_NON_PAGED, R20_RING_BYTES, R20_POOL_TAG);
    if (Binding->ReceiveRing == NULL) {
#ifdef RACY_FIXED
        KeAcquireSpinLock(&R20ListLock, &OldIrql);
        RemoveEntryList(&Binding->Link);
        KeReleaseSpinLock(&R20ListLock, OldIrql);
#endif
        ExFreePoolWithTag(Binding, R20_POOL_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &R20Dispatch;
    return STATUS_SUCCESS;
}


static
NTSTATUS
R20DetachClient(
    _In_ PVOID ProviderBindingContext
    )
{
    PR20_BINDING Binding = (PR20_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN Pending;

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->Closing = TRUE;
    Pending = (Binding->IndicationsInProgress != 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    return Pending ? STATUS_PENDING : STATUS_SUCCESS;
}


static
VOID
R20CleanupBindingContext(
    _In_ PVOID ProviderBindingContext
    )
{
    PR20_BINDING Binding = (PR20_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    KeAcquireSpinLock(&R20ListLock, &OldIrql);
    RemoveEntryList(&Binding->Link);
    KeReleaseSpinLock(&R20ListLock, OldIrql);

    ExFreePoolWithTag(Binding->ReceiveRing, R20_POOL_TAG);
    ExFreePoolWithTag(Binding, R20_POOL_TAG);
}


static
NTSTATUS
R20Send(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    )
{
    PR20_BINDING Binding = (PR20_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    BOOLEAN CompleteDetach;

    if (Buffer == NULL && Length != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    InterlockedExchangeAdd(&Binding->BytesSent, (LONG)Length);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    if (Binding->Closing) {
        KeReleaseSpinLock(&Binding->Lock, OldIrql);
        return STATUS_SUCCESS;
    }
    Binding->IndicationsInProgress++;
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    Binding->ClientDispatch->Indicate(Binding->ClientBindingContext, EXAMPLE_INDICATE_SEND_COMPLETE);

    KeAcquireSpinLock(&Binding->Lock, &OldIrql);
    Binding->IndicationsInProgress--;
    CompleteDetach = (Binding->Closing && Binding->IndicationsInProgress == 0);
    KeReleaseSpinLock(&Binding->Lock, OldIrql);

    if (CompleteDetach) {
        NmrProviderDetachClientComplete(Binding->NmrBindingHandle);
    }
    return STATUS_SUCCESS;
}


static
NTSTATUS
R20Query(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    )
{
    PR20_BINDING Binding = (PR20_BINDING)ProviderBindingContext;

    *BytesSent = (ULONG)InterlockedCompareExchange(&Binding->BytesSent, 0, 0);
    return STATUS_SUCCESS;
}


static
VOID
R20StatisticsThread(
    _In_ PVOID StartContext
    )
{
    PLIST_ENTRY Entry;
    PR20_BINDING Binding;
    KIRQL OldIrql;
    LONG Total;
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R20_SAMPLE_COUNT; Index++) {
        if (KeReadStateEvent(&R20StopEvent) != 0) {
            break;
        }
        Total = 0;
        KeAcquireSpinLock(&R20ListLock, &OldIrql);
        for (Entry = R20BindingList.Flink; Entry != &R20BindingList; Entry = Entry->Flink) {
            Binding = CONTAINING_RECORD(Entry, R20_BINDING, Link);
            Total += Binding->BytesSent;
        }
        KeReleaseSpinLock(&R20ListLock, OldIrql);
        InterlockedExchange(&R20TotalBytesSent, Total);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
