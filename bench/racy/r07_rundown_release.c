/*++

Module Name:

    r07_rundown_release.c

Abstract:

    Racy-bug benchmark case r07 (K04 rundown-misuse): a client of the
    Example NPI whose sender thread holds rundown protection around each
    send, so that Unload can wait for sends in progress.

    When the send buffer cannot be allocated, the error path releases the
    rundown protection and then jumps to the common exit, which releases it
    again. Only an allocation failure (a pool fault) takes that path.

    RACY_FIXED: the error path leaves the release to the common exit.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R07_POOL_TAG 0x37305252 // 'RR07'
#define R07_SEND_COUNT 4
#define R07_SEND_BYTES 64

typedef struct _R07_BINDING {
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} R07_BINDING, *PR07_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R07Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R07AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R07DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R07CleanupBindingContext;
static EXAMPLE_INDICATE_FN R07Indicate;
static KSTART_ROUTINE R07SenderThread;

static CONST EXAMPLE_CLIENT_DISPATCH R07Dispatch = { R07Indicate };

static CONST NPI_MODULEID R07ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0007, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x07 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R07Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R07AttachProvider,
    R07DetachProvider,
    R07CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R07ModuleId, 0, NULL }
};

static HANDLE R07ClientHandle;
static KSPIN_LOCK R07BindingLock;           // protects R07CurrentBinding; held across a send
static PR07_BINDING R07CurrentBinding;
static EX_RUNDOWN_REF R07SendRundown;     // held by each send; Unload runs it down
static PVOID R07Sender;                     // the thread object


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

    KeInitializeSpinLock(&R07BindingLock);
    ExInitializeRundownProtection(&R07SendRundown);

    Status = NmrRegisterClient(&R07Characteristics, NULL, &R07ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R07SenderThread, NULL);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                           &R07Sender, NULL);
        ZwClose(ThreadHandle);
        NT_ASSERT(NT_SUCCESS(Status));
    } else {
        //
        // Without the sender the driver still binds; it just sends nothing.
        //
        R07Sender = NULL;
    }

    DriverObject->DriverUnload = R07Unload;
    return STATUS_SUCCESS;
}


static
VOID
R07Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R07ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R07ClientHandle);
    }

    //
    // No send starts after this; the ones in progress have returned.
    //
    ExWaitForRundownProtectionRelease(&R07SendRundown);
    if (R07Sender != NULL) {
        KeWaitForSingleObject(R07Sender, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R07Sender);
    }
}


static
NTSTATUS
R07AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR07_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R07CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R07_BINDING), R07_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R07Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R07_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R07BindingLock, &OldIrql);
    R07CurrentBinding = Binding;
    KeReleaseSpinLock(&R07BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R07DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    KIRQL OldIrql;

    //
    // The sender calls under the lock: once the binding is unpublished no
    // send can use it.
    //
    KeAcquireSpinLock(&R07BindingLock, &OldIrql);
    if (R07CurrentBinding == ClientBindingContext) {
        R07CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R07BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
VOID
R07CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, R07_POOL_TAG);
}


static
VOID
R07Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
NTSTATUS
R07SendOne(
    ULONG Sequence
    )
{
    PUCHAR Buffer;
    KIRQL OldIrql;
    NTSTATUS Status = STATUS_SUCCESS;

    if (!ExAcquireRundownProtection(&R07SendRundown)) {
        return STATUS_DELETE_PENDING;
    }

    Buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, R07_SEND_BYTES, R07_POOL_TAG);
    if (Buffer == NULL) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
#ifndef RACY_FIXED
        ExReleaseRundownProtection(&R07SendRundown);
#endif
        goto Exit;
    }
    RtlFillMemory(Buffer, R07_SEND_BYTES, (UCHAR)Sequence);

    KeAcquireSpinLock(&R07BindingLock, &OldIrql);
    if (R07CurrentBinding != NULL) {
        Status = R07CurrentBinding->ProviderDispatch->Send(R07CurrentBinding->ProviderBindingContext,
                                                           Buffer, R07_SEND_BYTES);
    }
    KeReleaseSpinLock(&R07BindingLock, OldIrql);
    ExFreePoolWithTag(Buffer, R07_POOL_TAG);

Exit:
    ExReleaseRundownProtection(&R07SendRundown);
    return Status;
}


static
VOID
R07SenderThread(
    _In_ PVOID StartContext
    )
{
    ULONG Index;

    UNREFERENCED_PARAMETER(StartContext);

    for (Index = 0; Index < R07_SEND_COUNT; Index++) {
        if (R07SendOne(Index) == STATUS_DELETE_PENDING) {
            break;
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
