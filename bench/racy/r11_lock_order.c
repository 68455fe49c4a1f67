/*++

Module Name:

    r11_lock_order.c

Abstract:

    Racy-bug benchmark case r11 (L01 deadlock): a client of the Example NPI
    that samples its provider's byte counter from a system thread and keeps
    a configuration and statistics, each under its own fast mutex.

    The sampler takes the configuration mutex, then the statistics mutex.
    Unload resets the statistics and the configuration before it stops the
    sampler, taking the two mutexes in the other order: when the sampler
    holds the first and Unload the second, neither goes on.

    RACY_FIXED: Unload takes them in the sampler's order.

Environment:

    Kernel mode.

--*/

#include <ntddk.h>
#include <netioddk.h>

#include "example_npi.h"

#define R11_POOL_TAG 0x31315252 // 'RR11'
#define R11_PERIOD_MS 1

typedef struct _R11_BINDING {
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} R11_BINDING, *PR11_BINDING;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD R11Unload;
static NPI_CLIENT_ATTACH_PROVIDER_FN R11AttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN R11DetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN R11CleanupBindingContext;
static EXAMPLE_INDICATE_FN R11Indicate;
static KSTART_ROUTINE R11SamplerThread;

static CONST EXAMPLE_CLIENT_DISPATCH R11Dispatch = { R11Indicate };

static CONST NPI_MODULEID R11ModuleId = {
    sizeof(NPI_MODULEID),
    MIT_GUID,
    { { 0x7a1c0011, 0x3b2d, 0x4e5f, { 0x80, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x11 } } }
};

static CONST NPI_CLIENT_CHARACTERISTICS R11Characteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    R11AttachProvider,
    R11DetachProvider,
    R11CleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&R11ModuleId, 0, NULL }
};

static HANDLE R11ClientHandle;
static KSPIN_LOCK R11BindingLock;           // protects R11CurrentBinding and R11LastSample
static PR11_BINDING R11CurrentBinding;
static ULONG R11LastSample;
static KEVENT R11StopEvent;
static PVOID R11Sampler;                    // the thread object
static FAST_MUTEX R11ConfigMutex;           // protects R11SampleScale; taken first
static ULONG R11SampleScale = 1;
static FAST_MUTEX R11StatsMutex;            // protects R11Samples and R11Total; taken second
static ULONG R11Samples;
static ULONG R11Total;


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

    KeInitializeSpinLock(&R11BindingLock);
    KeInitializeEvent(&R11StopEvent, NotificationEvent, FALSE);
    ExInitializeFastMutex(&R11ConfigMutex);
    ExInitializeFastMutex(&R11StatsMutex);

    Status = NmrRegisterClient(&R11Characteristics, NULL, &R11ClientHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL,
                                  R11SamplerThread, NULL);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                           &R11Sampler, NULL);
        ZwClose(ThreadHandle);
        NT_ASSERT(NT_SUCCESS(Status));
    } else {
        //
        // Without the sampler the driver still works; it just reports no
        // samples.
        //
        R11Sampler = NULL;
    }

    DriverObject->DriverUnload = R11Unload;
    return STATUS_SUCCESS;
}


static
VOID
R11Unload(
    _In_ PDRIVER_OBJECT DriverObject
    )
{
    UNREFERENCED_PARAMETER(DriverObject);

    if (NmrDeregisterClient(R11ClientHandle) == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(R11ClientHandle);
    }

    //
    // Leave nothing behind for the next load: reset the statistics and the
    // configuration.
    //
#ifdef RACY_FIXED
    ExAcquireFastMutex(&R11ConfigMutex);
    ExAcquireFastMutex(&R11StatsMutex);
#else
    ExAcquireFastMutex(&R11StatsMutex);
    ExAcquireFastMutex(&R11ConfigMutex);
#endif
    R11Samples = 0;
    R11Total = 0;
    R11SampleScale = 1;
#ifdef RACY_FIXED
    ExReleaseFastMutex(&R11StatsMutex);
    ExReleaseFastMutex(&R11ConfigMutex);
#else
    ExReleaseFastMutex(&R11ConfigMutex);
    ExReleaseFastMutex(&R11StatsMutex);
#endif

    if (R11Sampler != NULL) {
        KeSetEvent(&R11StopEvent, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(R11Sampler, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(R11Sampler);
    }
}


static
NTSTATUS
R11AttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance
    )
{
    PR11_BINDING Binding;
    CONST VOID *ProviderDispatch;
    KIRQL OldIrql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    UNREFERENCED_PARAMETER(ProviderRegistrationInstance);

    if (R11CurrentBinding != NULL) {
        return STATUS_NOINTERFACE;
    }
    Binding = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(R11_BINDING), R11_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &R11Dispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, R11_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (CONST EXAMPLE_PROVIDER_DISPATCH *)ProviderDispatch;

    KeAcquireSpinLock(&R11BindingLock, &OldIrql);
    R11CurrentBinding = Binding;
    KeReleaseSpinLock(&R11BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
NTSTATUS
R11DetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    KIRQL OldIrql;

    //
    // The sampler polls under the lock: once the binding is unpublished no
    // sample can use it.
    //
    KeAcquireSpinLock(&R11BindingLock, &OldIrql);
    if (R11CurrentBinding == ClientBindingContext) {
        R11CurrentBinding = NULL;
    }
    KeReleaseSpinLock(&R11BindingLock, OldIrql);
    return STATUS_SUCCESS;
}


static
VOID
R11CleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, R11_POOL_TAG);
}


static
VOID
R11Indicate(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    )
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
}


static
VOID
R11SamplerThread(
    _In_ PVOID StartContext
    )
{
    LARGE_INTEGER Period;
    ULONG BytesSent;
    KIRQL OldIrql;
    ULONG Scale;

    UNREFERENCED_PARAMETER(StartContext);

    Period.QuadPart = -10000LL * R11_PERIOD_MS;
    while (KeWaitForSingleObject(&R11StopEvent, Executive, KernelMode, FALSE, &Period) == STATUS_TIMEOUT) {
        KeAcquireSpinLock(&R11BindingLock, &OldIrql);
        if (R11CurrentBinding != NULL &&
            NT_SUCCESS(R11CurrentBinding->ProviderDispatch->Query(R11CurrentBinding->ProviderBindingContext,
                                                                  &BytesSent))) {
            R11LastSample = BytesSent;
        }
        KeReleaseSpinLock(&R11BindingLock, OldIrql);

        ExAcquireFastMutex(&R11ConfigMutex);
        Scale = R11SampleScale;
        ExAcquireFastMutex(&R11StatsMutex);
        R11Samples++;
        R11Total += R11LastSample / Scale;
        ExReleaseFastMutex(&R11StatsMutex);
        ExReleaseFastMutex(&R11ConfigMutex);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}
