/*++

Module Name:

    layout_client.h

Abstract:

    The client of the Layout NPIs (layout_npi.h), shared by the layout
    test drivers: each includes it after defining

      LAYOUT_CLIENT_NPI      0 flat, 1 array, 2 table of tables, 3 mixed
      LAYOUT_CLIENT_LATE     0: the client says goodbye to the provider
                             (Query, flushing its statistics) in its detach
                             callback, before its detach completes: correct.
                             1: its Unload does so after NmrDeregisterClient
                             returned: its detach callback had returned
                             STATUS_SUCCESS, so the binding it still holds
                             is one it finished with (M18; the provider's
                             deferred detach keeps the binding from being
                             cleaned up yet).

    At attach the client checks what it was handed: the header, the data
    fields and the statistics it shares with the provider must be the
    provider's own, and Send then Query through the table must agree; a
    mismatch is a bug check.

--*/

#include <ntddk.h>
#include "layout_npi.h"

#define LAYOUT_CLIENT_TAG 0x696c434cu /* "LCli" */
#define LAYOUT_CLIENT_BUGCHECK 0x4c41594fu

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;

static struct _CLIENT_BINDING *ClientBinding;     // the binding, for the goodbye in Unload

typedef struct _CLIENT_BINDING {
    PVOID ProviderBindingContext;
    CONST VOID *ProviderDispatch;
    ULONG Sent;
} CLIENT_BINDING, *PCLIENT_BINDING;

#if LAYOUT_CLIENT_NPI == 0
#define LAYOUT_CLIENT_NPI_ID NPI_LAYOUT_FLAT_ID
#elif LAYOUT_CLIENT_NPI == 1
#define LAYOUT_CLIENT_NPI_ID NPI_LAYOUT_ARRAY_ID
#elif LAYOUT_CLIENT_NPI == 2
#define LAYOUT_CLIENT_NPI_ID NPI_LAYOUT_TABLES_ID
#else
#define LAYOUT_CLIENT_NPI_ID NPI_LAYOUT_MIXED_ID
#endif

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x4a5b6c7d, 0x8e9f, 0x4a0b, { 0x91, 0xc2, 0xd3, 0xe4, 0xf5, 0x06, 0x17, LAYOUT_CLIENT_NPI } } }
};

static HANDLE NmrClientHandle;

static VOID LayoutCheck(BOOLEAN Condition, ULONG What)
{
    if (!Condition) {
        KeBugCheckEx(LAYOUT_CLIENT_BUGCHECK, LAYOUT_CLIENT_NPI, What, 0, 0);
    }
}

//
// The provider's functions as this NPI's layout reaches them.
//
static NTSTATUS LayoutSend(PCLIENT_BINDING Binding, ULONG Value)
{
#if LAYOUT_CLIENT_NPI == 0
    CONST LAYOUT_FLAT_DISPATCH *Dispatch = Binding->ProviderDispatch;
    return Dispatch->Send(Binding->ProviderBindingContext, Value);
#elif LAYOUT_CLIENT_NPI == 1
    CONST LAYOUT_ARRAY_DISPATCH *Dispatch = Binding->ProviderDispatch;
    PLAYOUT_SEND_FN Send = (PLAYOUT_SEND_FN)Dispatch->Functions[LAYOUT_FN_SEND];
    return Send(Binding->ProviderBindingContext, Value);
#elif LAYOUT_CLIENT_NPI == 2
    CONST LAYOUT_TABLES_DISPATCH *Dispatch = Binding->ProviderDispatch;
    return Dispatch->SendTable->Send(Binding->ProviderBindingContext, Value);
#else
    CONST LAYOUT_MIXED_DISPATCH *Dispatch = Binding->ProviderDispatch;
    return Dispatch->Send(Binding->ProviderBindingContext, Value);
#endif
}

static ULONG LayoutQuery(PCLIENT_BINDING Binding)
{
#if LAYOUT_CLIENT_NPI == 0
    CONST LAYOUT_FLAT_DISPATCH *Dispatch = Binding->ProviderDispatch;
    return Dispatch->Query(Binding->ProviderBindingContext);
#elif LAYOUT_CLIENT_NPI == 1
    CONST LAYOUT_ARRAY_DISPATCH *Dispatch = Binding->ProviderDispatch;
    PLAYOUT_QUERY_FN Query = (PLAYOUT_QUERY_FN)Dispatch->Functions[LAYOUT_FN_QUERY];
    return Query(Binding->ProviderBindingContext);
#elif LAYOUT_CLIENT_NPI == 2
    CONST LAYOUT_TABLES_DISPATCH *Dispatch = Binding->ProviderDispatch;
    return Dispatch->QueryTable->Query(Binding->ProviderBindingContext);
#else
    CONST LAYOUT_MIXED_DISPATCH *Dispatch = Binding->ProviderDispatch;
    return Dispatch->Query(Binding->ProviderBindingContext);
#endif
}

//
// What the table carries besides functions must be the provider's own.
//
static VOID LayoutCheckTable(PCLIENT_BINDING Binding)
{
#if LAYOUT_CLIENT_NPI == 0
    CONST LAYOUT_FLAT_DISPATCH *Dispatch = Binding->ProviderDispatch;
    LayoutCheck(Dispatch->Version == LAYOUT_DISPATCH_VERSION && Dispatch->Size == sizeof(*Dispatch) &&
                Dispatch->Flags == 0, 1);
#elif LAYOUT_CLIENT_NPI == 1
    CONST LAYOUT_ARRAY_DISPATCH *Dispatch = Binding->ProviderDispatch;
    LayoutCheck(Dispatch->Version == LAYOUT_DISPATCH_VERSION && Dispatch->Size == sizeof(*Dispatch) &&
                Dispatch->FunctionCount == LAYOUT_FN_COUNT, 1);
#elif LAYOUT_CLIENT_NPI == 2
    CONST LAYOUT_TABLES_DISPATCH *Dispatch = Binding->ProviderDispatch;
    LayoutCheck(Dispatch->SendTable->Version == LAYOUT_DISPATCH_VERSION &&
                Dispatch->SendTable->Size == sizeof(LAYOUT_SEND_TABLE) &&
                Dispatch->QueryTable->Size == sizeof(LAYOUT_QUERY_TABLE), 1);
#else
    CONST LAYOUT_MIXED_DISPATCH *Dispatch = Binding->ProviderDispatch;
    static const GUID Expected =
        { 0x6e0d4c2b, 0x1a39, 0x4857, { 0x96, 0xf4, 0x0e, 0x1d, 0x2c, 0x3b, 0x4a, 0x59 } };
    LONG Before = Dispatch->Statistics->Sends;

    LayoutCheck(Dispatch->Version == LAYOUT_DISPATCH_VERSION && Dispatch->MaxValue == LAYOUT_MAX_VALUE &&
                Dispatch->Capabilities == LAYOUT_CAPABILITIES && IsEqualGUID(Dispatch->InterfaceId, &Expected), 1);
    LayoutCheck(LayoutSend(Binding, LAYOUT_MAX_VALUE + 1) == STATUS_INVALID_PARAMETER, 2);
    LayoutCheck(LayoutSend(Binding, 1) == STATUS_SUCCESS, 3);
    Binding->Sent += 1;
    // The statistics are the provider's, not a copy of them.
    LayoutCheck(Dispatch->Statistics->Sends == Before + 1, 4);
#endif
}

_Use_decl_annotations_
static NTSTATUS ClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientContext,
                                     PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance)
{
    PCLIENT_BINDING Binding;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(ClientContext);
    if (!IsEqualGUID(ProviderRegistrationInstance->NpiId, &LAYOUT_CLIENT_NPI_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PCLIENT_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CLIENT_BINDING), LAYOUT_CLIENT_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(Binding, sizeof(*Binding));
    Status = NmrClientAttachProvider(NmrBindingHandle, Binding, NULL,
                                     &Binding->ProviderBindingContext, &Binding->ProviderDispatch);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Binding, LAYOUT_CLIENT_TAG);
        return Status;
    }
    LayoutCheckTable(Binding);
    LayoutCheck(LayoutSend(Binding, 7) == STATUS_SUCCESS, 5);
    Binding->Sent += 7;
    LayoutCheck(LayoutQuery(Binding) == Binding->Sent, 6);
    ClientBinding = Binding;
    return STATUS_SUCCESS;
}

static VOID ClientGoodbye(PCLIENT_BINDING Binding)
{
    ULONG Total = LayoutQuery(Binding);

    DbgPrint("layout client %u: provider counted %u of %u\n", LAYOUT_CLIENT_NPI, Total, Binding->Sent);
}

_Use_decl_annotations_
static NTSTATUS ClientDetachProvider(PVOID ClientBindingContext)
{
#if !LAYOUT_CLIENT_LATE
    ClientGoodbye((PCLIENT_BINDING)ClientBindingContext);
#else
    UNREFERENCED_PARAMETER(ClientBindingContext);
#endif
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ClientCleanupBindingContext(PVOID ClientBindingContext)
{
    ClientBinding = NULL;
    ExFreePoolWithTag(ClientBindingContext, LAYOUT_CLIENT_TAG);
}

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&LAYOUT_CLIENT_NPI_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
    Status = NmrDeregisterClient(NmrClientHandle);
#if LAYOUT_CLIENT_LATE
    if (ClientBinding != NULL) {
        ClientGoodbye(ClientBinding);
    }
#endif
    if (Status == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);
    }
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = DriverUnload;
    return NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
}
