/*++

Module Name:

    ext_client.c

Abstract:

    A correct client of the three extension NPIs (ext_npi.h), one
    registration each. At attach it uses what it was handed: a buffer from
    GetBuffer freed with the table's FreeBuffer, the implemented opcodes
    through the handler tables (and an unimplemented one, which must answer
    STATUS_NOT_SUPPORTED); in its detach callback, before its detach
    completes, a last request. A wrong answer is a bug check.

--*/

#include <ntddk.h>
#include "ext_npi.h"

#define EXT_CLIENT_TAG 0x6c437845u /* "ExCl" */
#define EXT_CLIENT_BUGCHECK 0x45585443u
#define EXT_NPI_COUNT 3

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;

typedef struct _CLIENT_BINDING {
    ULONG Npi;                          // index into ExtNpis
    PVOID ProviderBindingContext;
    CONST VOID *ProviderDispatch;
} CLIENT_BINDING, *PCLIENT_BINDING;

static const NPIID *const ExtNpis[EXT_NPI_COUNT] = {
    &NPI_EXT_BUFFER_ID, &NPI_EXT_OPCODE_ID, &NPI_EXT_OPCODE_ARRAY_ID
};

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x6e7f8091, 0xa2b3, 0x4c4d, { 0x9e, 0x5f, 0x60, 0x71, 0x82, 0x93, 0xa4, 0xb5 } } }
};

static NPI_CLIENT_CHARACTERISTICS ClientCharacteristics[EXT_NPI_COUNT];
static HANDLE NmrClientHandles[EXT_NPI_COUNT];

static VOID ExtCheck(BOOLEAN Condition, ULONG Npi, ULONG What)
{
    if (!Condition) {
        KeBugCheckEx(EXT_CLIENT_BUGCHECK, Npi, What, 0, 0);
    }
}

static NTSTATUS ExtRequest(PCLIENT_BINDING Binding, ULONG Opcode, PULONG Result)
{
    if (Binding->Npi == 1) {
        CONST EXT_OPCODE_DISPATCH *Dispatch = Binding->ProviderDispatch;
        return Dispatch->Handlers[Opcode](Binding->ProviderBindingContext, Opcode, Result);
    } else {
        CONST EXT_OPCODE_ARRAY_DISPATCH *Dispatch = Binding->ProviderDispatch;
        return Dispatch->Handlers[Opcode](Binding->ProviderBindingContext, Opcode, Result);
    }
}

//
// One round of requests through the binding's table.
//
static VOID ExtUse(PCLIENT_BINDING Binding)
{
    ULONG Result = 0;

    if (Binding->Npi == 0) {
        CONST EXT_BUFFER_DISPATCH *Dispatch = Binding->ProviderDispatch;
        PVOID Buffer;

        ExtCheck(Dispatch->Version == EXT_DISPATCH_VERSION && Dispatch->BufferBytes == EXT_BUFFER_BYTES, 0, 1);
        if (NT_SUCCESS(Dispatch->GetBuffer(Binding->ProviderBindingContext, &Buffer))) {
            RtlZeroMemory(Buffer, EXT_BUFFER_BYTES);
            Dispatch->FreeBuffer(Buffer);
        }
        return;
    }
    ExtCheck(((CONST EXT_OPCODE_ARRAY_DISPATCH *)Binding->ProviderDispatch)->OpcodeCount == EXT_OPCODE_COUNT,
             Binding->Npi, 1);
    ExtCheck(NT_SUCCESS(ExtRequest(Binding, EXT_OP_VERSION, &Result)) && Result == EXT_DISPATCH_VERSION,
             Binding->Npi, 2);
    ExtCheck(NT_SUCCESS(ExtRequest(Binding, EXT_OP_ECHO, &Result)) && Result == EXT_DISPATCH_VERSION,
             Binding->Npi, 3);
    ExtCheck(NT_SUCCESS(ExtRequest(Binding, EXT_OP_COUNT, &Result)) && Result >= 3, Binding->Npi, 4);
    ExtCheck(ExtRequest(Binding, EXT_OPCODE_COUNT - 1, &Result) == STATUS_NOT_SUPPORTED, Binding->Npi, 5);
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    ULONG Npi = (ULONG)(ULONG_PTR)ClientContext;
    PCLIENT_BINDING Binding;
    NTSTATUS Status;

    if (Npi >= EXT_NPI_COUNT || !IsEqualGUID(ProviderRegistrationInstance->NpiId, ExtNpis[Npi])) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PCLIENT_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CLIENT_BINDING), EXT_CLIENT_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(Binding, sizeof(*Binding));
    Binding->Npi = Npi;
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, NULL,
                                     &Binding->ProviderBindingContext, &Binding->ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, EXT_CLIENT_TAG);
        return Status;
    }
    ExtUse(Binding);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
    ExtUse((PCLIENT_BINDING)ClientBindingContext);     // still attached: the last round
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    ExFreePoolWithTag(ClientBindingContext, EXT_CLIENT_TAG);
}

static VOID ClientDeregisterAll(ULONG Count)
{
    ULONG i;

    for (i = 0; i < Count; i++) {
        if (NmrDeregisterClient(NmrClientHandles[i]) == STATUS_PENDING) {
            NmrWaitForClientDeregisterComplete(NmrClientHandles[i]);
        }
    }
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ClientDeregisterAll(EXT_NPI_COUNT);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);
    for (i = 0; i < EXT_NPI_COUNT; i++) {
        NPI_CLIENT_CHARACTERISTICS *Chars = &ClientCharacteristics[i];

        Chars->Length = sizeof(NPI_CLIENT_CHARACTERISTICS);
        Chars->ClientAttachProvider = ClientAttachProvider;
        Chars->ClientDetachProvider = ClientDetachProvider;
        Chars->ClientCleanupBindingContext = ClientCleanupBindingContext;
        Chars->ClientRegistrationInstance.Size = sizeof(NPI_REGISTRATION_INSTANCE);
        Chars->ClientRegistrationInstance.NpiId = ExtNpis[i];
        Chars->ClientRegistrationInstance.ModuleId = &ClientModuleId;
        Status = NmrRegisterClient(Chars, (PVOID)(ULONG_PTR)i, &NmrClientHandles[i]);
        if (!NT_SUCCESS(Status)) {
            ClientDeregisterAll(i);
            return Status;
        }
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
