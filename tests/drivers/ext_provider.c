/*++

Module Name:

    ext_provider.c

Abstract:

    A correct provider of the three extension NPIs (ext_npi.h), one
    registration each. Its dispatch tables are the kind nmrsim refuses to
    copy: the buffer table holds the kernel's ExFreePool, the opcode tables
    a handler per reserved opcode (inline, or through a constant array).
    Each binding counts the requests it served.

--*/

#include <ntddk.h>
#include "ext_npi.h"

#define EXT_PROVIDER_TAG 0x76507845u /* "ExPv" */
#define EXT_NPI_COUNT 3

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXT_GET_BUFFER_FN ProviderGetBuffer;
static EXT_HANDLER_FN ProviderEcho;
static EXT_HANDLER_FN ProviderCount;
static EXT_HANDLER_FN ProviderVersion;
static EXT_HANDLER_FN ProviderNotSupported;

typedef struct _PROVIDER_BINDING {
    HANDLE NmrBindingHandle;
    volatile LONG Requests;
} PROVIDER_BINDING, *PPROVIDER_BINDING;

static const EXT_BUFFER_DISPATCH BufferDispatch = {
    EXT_DISPATCH_VERSION, sizeof(EXT_BUFFER_DISPATCH), EXT_BUFFER_BYTES,
    ProviderGetBuffer,
    ExFreePool
};

#define NS ProviderNotSupported
#define NS8 NS, NS, NS, NS, NS, NS, NS, NS
#define EXT_HANDLERS \
    ProviderEcho, ProviderCount, ProviderVersion, NS, NS, NS, NS, NS, \
    NS8, NS8, NS8, NS8, NS8, NS8, NS8, NS8

static const EXT_OPCODE_DISPATCH OpcodeDispatch = {
    EXT_DISPATCH_VERSION, sizeof(EXT_OPCODE_DISPATCH), EXT_OPCODE_COUNT,
    { EXT_HANDLERS }
};

static CONST PEXT_HANDLER_FN OpcodeHandlers[EXT_OPCODE_COUNT] = { EXT_HANDLERS };

static const EXT_OPCODE_ARRAY_DISPATCH OpcodeArrayDispatch = {
    EXT_DISPATCH_VERSION, sizeof(EXT_OPCODE_ARRAY_DISPATCH), EXT_OPCODE_COUNT,
    OpcodeHandlers
};

static const NPIID *const ExtNpis[EXT_NPI_COUNT] = {
    &NPI_EXT_BUFFER_ID, &NPI_EXT_OPCODE_ID, &NPI_EXT_OPCODE_ARRAY_ID
};
static CONST VOID *const ExtDispatch[EXT_NPI_COUNT] = {
    &BufferDispatch, &OpcodeDispatch, &OpcodeArrayDispatch
};

static const NPI_MODULEID ProviderModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x5d6e7f80, 0x91a2, 0x4b3c, { 0x8d, 0x4e, 0x5f, 0x60, 0x71, 0x82, 0x93, 0xa4 } } }
};

static NPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics[EXT_NPI_COUNT];
static HANDLE NmrProviderHandles[EXT_NPI_COUNT];

_Use_decl_annotations_
static NTSTATUS ProviderGetBuffer(PVOID ProviderBindingContext, PVOID *Buffer)
{
    PPROVIDER_BINDING Binding = (PPROVIDER_BINDING)ProviderBindingContext;

    *Buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, EXT_BUFFER_BYTES, EXT_PROVIDER_TAG);
    if (*Buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    InterlockedIncrement(&Binding->Requests);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderEcho(PVOID ProviderBindingContext, ULONG Opcode, PULONG Result)
{
    UNREFERENCED_PARAMETER(Opcode);
    InterlockedIncrement(&((PPROVIDER_BINDING)ProviderBindingContext)->Requests);
    return STATUS_SUCCESS;      // *Result unchanged
}

_Use_decl_annotations_
static NTSTATUS ProviderCount(PVOID ProviderBindingContext, ULONG Opcode, PULONG Result)
{
    UNREFERENCED_PARAMETER(Opcode);
    *Result = (ULONG)InterlockedIncrement(&((PPROVIDER_BINDING)ProviderBindingContext)->Requests);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderVersion(PVOID ProviderBindingContext, ULONG Opcode, PULONG Result)
{
    UNREFERENCED_PARAMETER(Opcode);
    InterlockedIncrement(&((PPROVIDER_BINDING)ProviderBindingContext)->Requests);
    *Result = EXT_DISPATCH_VERSION;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderNotSupported(PVOID ProviderBindingContext, ULONG Opcode, PULONG Result)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
    UNREFERENCED_PARAMETER(Opcode);
    UNREFERENCED_PARAMETER(Result);
    return STATUS_NOT_SUPPORTED;
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    ULONG Npi = (ULONG)(ULONG_PTR)ProviderContext;
    PPROVIDER_BINDING Binding;

    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (Npi >= EXT_NPI_COUNT || !IsEqualGUID(ClientRegistrationInstance->NpiId, ExtNpis[Npi])) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PPROVIDER_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(PROVIDER_BINDING), EXT_PROVIDER_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->Requests = 0;
    *ProviderBindingContext = Binding;
    *ProviderDispatch = ExtDispatch[Npi];
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    UNREFERENCED_PARAMETER(ProviderBindingContext);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    ExFreePoolWithTag(ProviderBindingContext, EXT_PROVIDER_TAG);
}

static VOID ProviderDeregisterAll(ULONG Count)
{
    ULONG i;

    for (i = 0; i < Count; i++) {
        if (NmrDeregisterProvider(NmrProviderHandles[i]) == STATUS_PENDING) {
            NmrWaitForProviderDeregisterComplete(NmrProviderHandles[i]);
        }
    }
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ProviderDeregisterAll(EXT_NPI_COUNT);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);
    for (i = 0; i < EXT_NPI_COUNT; i++) {
        NPI_PROVIDER_CHARACTERISTICS *Chars = &ProviderCharacteristics[i];

        Chars->Length = sizeof(NPI_PROVIDER_CHARACTERISTICS);
        Chars->ProviderAttachClient = ProviderAttachClient;
        Chars->ProviderDetachClient = ProviderDetachClient;
        Chars->ProviderCleanupBindingContext = ProviderCleanupBindingContext;
        Chars->ProviderRegistrationInstance.Size = sizeof(NPI_REGISTRATION_INSTANCE);
        Chars->ProviderRegistrationInstance.NpiId = ExtNpis[i];
        Chars->ProviderRegistrationInstance.ModuleId = &ProviderModuleId;
        Status = NmrRegisterProvider(Chars, (PVOID)(ULONG_PTR)i, &NmrProviderHandles[i]);
        if (!NT_SUCCESS(Status)) {
            ProviderDeregisterAll(i);
            return Status;
        }
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
