/*++

Module Name:

    counter_client.c

Abstract:

    Counter client: binds to the Counter NPI provider, bumps its counter
    and reads the description back; unbinds in Unload. Written with the
    MSVC and WDK idioms real network drivers use (a kernel mutex taken
    recursively and a semaphore at load, wsk.h for the NMR API,
    SEH, __declspec, __pragma, ASSERT routed through NT_ASSERT_ASSUME,
    callbacks declared with const registration instances).

Environment:

    Kernel mode.

--*/

#include <wdm.h>
#include <wsk.h>
#include <ntstrsafe.h>
#include <intrin.h>
#include <initguid.h>
#include "wdk_npi.h"

#undef ASSERT
#define ASSERT(e) NT_ASSERT_ASSUME(e)

#define CLIENT_POOL_TAG 'lCnC'

DECLARE_HANDLE(COUNTER_CLIENT_HANDLE);

static const char ClientVersion[] = "counter client v1";

typedef struct DECLSPEC_CACHEALIGN _CLIENT_BINDING {
    HANDLE NmrBindingHandle;
    PVOID ProviderBindingContext;
    const COUNTER_PROVIDER_DISPATCH *ProviderDispatch;
    volatile ULONG Bumps;
} CLIENT_BINDING, *PCLIENT_BINDING;

C_ASSERT(SYSTEM_CACHE_ALIGNMENT_SIZE >= sizeof(PVOID));
/* Names wdm.h declares that public drivers needed (fourth sweep): a
 * PSECURITY_DESCRIPTOR parameter (XDP's afxdp.h), the remove lock and the
 * guarded mutex types (compile-time only: no call, no trace change). */
C_ASSERT(sizeof(PSECURITY_DESCRIPTOR) == sizeof(PVOID));
C_ASSERT(sizeof(IO_REMOVE_LOCK) >= sizeof(LONG) && sizeof(KGUARDED_MUTEX) == sizeof(FAST_MUTEX));

static HANDLE ClientNmrHandle;
static KMUTEX ClientMutex;          // serialises setup (taken recursively)
static KSEMAPHORE ClientSlots;      // one setup at a time
static NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { .Guid = { 0x2b3c4d5e, 0x6f70, 0x4182, { 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, 0xf9, 0x0a } } }
};
static const COUNTER_CLIENT_DISPATCH ClientDispatch = { NULL };

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD ClientUnload;

static
NTSTATUS
ClientAttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ const NPI_REGISTRATION_INSTANCE *ProviderRegistrationInstance
    );

static
NTSTATUS
ClientDetachProvider(
    _In_ PVOID ClientBindingContext
    );

static
VOID
ClientCleanupBindingContext(
    _In_ PVOID ClientBindingContext
    );

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0,
    sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider,
    ClientDetachProvider,
    ClientCleanupBindingContext,
    {
        0,
        sizeof(NPI_REGISTRATION_INSTANCE),
        &NPI_COUNTER_ID,
        &ClientModuleId,
        0,
        NULL
    }
};

/* Both forms MSVC accepts: deprecated alone and with its message. */
typedef __declspec(deprecated("use COUNTER_CLIENT_HANDLE")) PVOID COUNTER_CLIENT_LEGACY_HANDLE;
__declspec(deprecated) __declspec(noinline) ULONG ClientLegacyAmount(VOID);

__declspec(noinline)
static
ULONG
ClientPickAmount(
    VOID
    )
{
    PROCESSOR_NUMBER Processor;
    ULONG Index;
    ULONG Count = KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS);

    Index = KeGetCurrentProcessorNumberEx(&Processor);
    ASSERT(Index < Count && Processor.Group == 0);
    ASSERT(MAXUINT32 == MAXULONG);
    return (ULONG)(UInt32x32To64(Index + 1, 2) % MAXUINT16) + (KD_DEBUGGER_ENABLED ? 0 : 1);
}

__pragma(warning(push))
__pragma(warning(disable: 4127))
static
NTSTATUS
ClientAttachProvider(
    _In_ HANDLE NmrBindingHandle,
    _In_ PVOID ClientContext,
    _In_ const NPI_REGISTRATION_INSTANCE *ProviderRegistrationInstance
    )
{
    NTSTATUS Status;
    PCLIENT_BINDING Binding;
    const VOID *ProviderDispatch = NULL;
    ULONG64 Value = 0;
    WCHAR Text[64];
    ULONG BitIndex;

    UNREFERENCED_PARAMETER(ClientContext);

    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &NPI_COUNTER_ID)) {
        return STATUS_NOINTERFACE;
    }

    Binding = (PCLIENT_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Binding), CLIENT_POOL_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;

    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, &ClientDispatch,
                                     &Binding->ProviderBindingContext, &ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, CLIENT_POOL_TAG);
        return Status;
    }
    Binding->ProviderDispatch = (const COUNTER_PROVIDER_DISPATCH *)ProviderDispatch;

    __try {
        Status = Binding->ProviderDispatch->Bump(Binding->ProviderBindingContext, ClientPickAmount(), &Value);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Status = GetExceptionCode();
    }
    if (NT_SUCCESS(Status)) {
        WriteULongRelease(&Binding->Bumps, ReadULongAcquire(&Binding->Bumps) + 1);
        NT_VERIFY(_BitScanForward(&BitIndex, (ULONG)Value | 0x80000000u));
        Status = Binding->ProviderDispatch->Describe(Binding->ProviderBindingContext, Text, RTL_NUMBER_OF(Text));
        if (NT_SUCCESS(Status)) {
            DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "counter client: %ws (bit %lu)\n", Text, BitIndex);
        }
    }
    return STATUS_SUCCESS;
}
__pragma(warning(pop))

static
NTSTATUS
ClientDetachProvider(
    _In_ PVOID ClientBindingContext
    )
{
    PCLIENT_BINDING Binding = (PCLIENT_BINDING)ClientBindingContext;

    ASSERT(Binding->ProviderDispatch != NULL);
    return STATUS_SUCCESS;
}

static
VOID
ClientCleanupBindingContext(
    _In_ PVOID ClientBindingContext
    )
{
    ExFreePoolWithTag(ClientBindingContext, CLIENT_POOL_TAG);
}

_Use_decl_annotations_
static
VOID
ClientUnload(
    PDRIVER_OBJECT DriverObject
    )
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);

    Status = NmrDeregisterClient(ClientNmrHandle);
    if (Status == STATUS_PENDING) {
        Status = NmrWaitForClientDeregisterComplete(ClientNmrHandle);
    }
    if (!NT_SUCCESS(Status)) {
        RtlFailFast(FAST_FAIL_INVALID_ARG);
    }
}

_Use_decl_annotations_
NTSTATUS
DriverEntry(
    PDRIVER_OBJECT DriverObject,
    PUNICODE_STRING RegistryPath
    )
{
    UNREFERENCED_PARAMETER(RegistryPath);

    /* <string.h>'s routines without including it, as the WDK's ntdef.h allows. */
    ASSERT(strstr(ClientVersion, "client") != NULL && strchr(ClientVersion, 'v') != NULL &&
           strncmp(ClientVersion, "counter", 7) == 0);

    KeInitializeMutex(&ClientMutex, 0);
    KeInitializeSemaphore(&ClientSlots, 1, 1);
    KeWaitForSingleObject(&ClientSlots, Executive, KernelMode, FALSE, NULL);
    KeWaitForSingleObject(&ClientMutex, Executive, KernelMode, FALSE, NULL);
    KeWaitForMutexObject(&ClientMutex, Executive, KernelMode, FALSE, NULL);
    ASSERT(KeReadStateMutex(&ClientMutex) == -1);
    KeReleaseMutex(&ClientMutex, FALSE);
    KeReleaseMutex(&ClientMutex, FALSE);
    KeReleaseSemaphore(&ClientSlots, IO_NO_INCREMENT, 1, FALSE);

    DriverObject->DriverUnload = ClientUnload;
    return NmrRegisterClient(&ClientCharacteristics, NULL, &ClientNmrHandle);
}
