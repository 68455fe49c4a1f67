/*++

Module Name:

    r06_thread_start_race.c

Abstract:

    Racy-bug benchmark case r06 (K06 work-after-unload): a client of the
    Example NPI that samples its provider's byte counter from a system
    thread started in DriverEntry.

    The thread sets R06SamplerRunning when it starts; Unload stops and
    waits for the thread only if that flag is set. When Unload runs before
    the new thread was first scheduled, it returns without stopping it,
    and the thread then runs (and polls forever) in an unloaded driver.

    RACY_FIXED: Unload always signals the stop event and waits for the
    thread object.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R06_POOL_TAG 0x36305252 // 'RR06'
#define R06_PERIOD_MS 1

typedef struct _R06_BINDING {
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} R06_BINDING, *PR06_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R06Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R06AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R06DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R06CleanupBindingContext;
static EXAMPLE_INDICATE_FN R06Indicate;
static KSTART_ROUTINE R06SamplerThread;

static CONST EXAMPLE_CLIENT_DISPATCH R06Dispatch = { R06Indicate };

static CONST NPI_MODULEID R06ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0006, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x06 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R06Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R06AttachProvider,
    R06DetachProvider,
    R06CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R06ModuleId, 0, NULL }
};

static HANDLE R06ClientHandle;
static KSPIN_LOCK R06BindingLock;           // protects R06CurrentBinding and R06LastSample
static PR06_BINDING R06CurrentBinding;
static ULONG R06LastSample;
static KEVENT R06StopEvent;
static PVOID R06Sampler;                    // the thread object
static volatile BOOLEAN R06SamplerRunning;  // set by the thread when it starts


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

    KeInitializeSpinLock(&R06BindingLock);
    KeInitializeEvent(&R06StopEvent, NotificationEvent, FALSE);

    Status = NmrRegisterClient(&R06Characteristics, NULL, &R06ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R06SamplerThread, NULL);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                           &R06Sampler, NULL);
        ZwClose(ThreadHandle);
        NT_ASSERT(NT_SUCCESS(Status));
    } else {
        //
        // Without the sampler the driver still works; it just reports no
        // samples.
        //
        R06Sampler = NULL;
    }

    DriverObject->DriverUnload = R06Unload;
    return STATUS_SUCCESS;
}


static
VOID
R06Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R06ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R06ClientHandle);
    }

    if (R06Sampler != NULL) {
#ifdef RACY_FIXED
        KeSetEvent(&R06StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R06Sampler, Executive, KernelMode, FALSE, NULL);
#else
        if (R06SamplerRunning) {
            KeSetEvent(&R06StopEvent, IO_NO_INCREMENT, FALSE);
            KeWaitForSingleObject(R06Sampler, Executive, KernelMode, FALSE, NULL);
        }
#endif
        ObDereferenceObject(R06Sampler);
    }
}


static
NTSTATUS
R06AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR06_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R06CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R06_BINDING), R06_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R06Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R06_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R06BindingLock, &OldIrql);
    R06CurrentBinding = Binding;
    KeReleaseSpinLock(&R06BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R06DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    KIRQL OldIrql;

    //
    // The sampler polls under the lock: once the binding is unpublished no
    // sample can use it.
    //
    KeAcquireSpinLock(&R06BindingLock, &OldIrql);
    if (R06CurrentBinding == ClientBindingContext) {
        R06CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R06BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
VOID
R06CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, R06_POOL_TAG);
}


static
VOID
R06Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R06SamplerThread(
    _In_ PVOID StartContext
    )
{
    LARGE_INTEGER Period;
    ULONG BytesSent;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(StartContext);

    R06SamplerRunning = TRUE;
    Period.QuadPart = -10000LL * R06_PERIOD_MS;
    while (KeWaitForSingleObject(&R06StopEvent, Executive, KernelMode, FALSE, &Period) == STATUS_TIMEOUT) {
        KeAcquireSpinLock(&R06BindingLock, &OldIrql);
        if (R06CurrentBinding != NULL &&
            NT_SUCCESS(R06CurrentBinding->ProviderDispatch->Query(R06CurrentBinding->ProviderBindingContext,
                                                                  &BytesSent))) {
            R06LastSample = BytesSent;
        }
        KeReleaseSpinLock(&R06BindingLock, OldIrql);
    }
    R06SamplerRunning = FALSE;
    PsTerminateSystemThread(STATUS_SUCCESS);
}
