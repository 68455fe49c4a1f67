/* lifo_client.c - a correct client of the Example NPI that defers its
 * detaches to its Unload routine: ClientDetachProvider puts the binding on a
 * list (InsertHeadList) and returns STATUS_PENDING; Unload deregisters, then
 * completes what is on the list head first, so with two providers the
 * detaches are completed newest first: out of the order they pended. A
 * detach delivered after Unload emptied the list completes at once
 * (STATUS_SUCCESS). With npi_provider and good_provider: clean
 * (corpus/kernel/pending-lifo.nmr); a registrar that completes the binding
 * that pended first instead of the one named fails it (tests/mutants.sh). */
#include <ntddk.h>
#include "../../examples/example_npi.h"

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
static NPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
static NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
static EXAMPLE_INDICATE_FN ClientIndicate;

#define CLIENT_TAG 0x6F66694Cu /* "Lifo" */

typedef struct _CLIENT_BINDING {
    LIST_ENTRY PendingLink;                 // on PendingDetaches while its detach pends
    HANDLE NmrBindingHandle;                // for NmrClientDetachProviderComplete
    PVOID ProviderBindingContext;
    CONST EXAMPLE_PROVIDER_DISPATCH *ProviderDispatch;
} CLIENT_BINDING, *PCLIENT_BINDING;

static const NPI_MODULEID ClientModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x3c5e7a91, 0x2b4d, 0x4f60, { 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0x08 } } }
};

static const EXAMPLE_CLIENT_DISPATCH ClientDispatch = { ClientIndicate };

static const NPI_CLIENT_CHARACTERISTICS ClientCharacteristics = {
    0, sizeof(NPI_CLIENT_CHARACTERISTICS),
    ClientAttachProvider, ClientDetachProvider, ClientCleanupBindingContext,
    { 0, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID, (PNPI_MODULEID)&ClientModuleId, 0, NULL }
};

static HANDLE NmrClientHandle;
static KSPIN_LOCK PendingLock;              // guards PendingDetaches and CompleteAtOnce
static LIST_ENTRY PendingDetaches;
static BOOLEAN CompleteAtOnce;              // Unload emptied the list: later detaches do not pend

_Use_decl_annotations_
static VOID ClientIndicate(PVOID ClientBindingContext, ULONG Indication)
{
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(Indication);
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
    InitializeListHead(&Binding->PendingLink);
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
    PCLIENT_BINDING Binding = (PCLIENT_BINDING)ClientBindingContext;
    NTSTATUS Status = STATUS_PENDING;
    KIRQL OldIrql;

    KeAcquireSpinLock(&PendingLock, &OldIrql);
    if (CompleteAtOnce) {
        Status = STATUS_SUCCESS;
    } else {
        InsertHeadList(&PendingDetaches, &Binding->PendingLink);
    }
    KeReleaseSpinLock(&PendingLock, OldIrql);
    return Status;
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
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(DriverObject);
    Status = NmrDeregisterClient(NmrClientHandle);

    //
    // Complete the detaches that pended, newest first. The binding leaves the
    // list before its Complete: NMR may clean it up inside the call.
    //
    for (;;) {
        PCLIENT_BINDING Binding = NULL;

        KeAcquireSpinLock(&PendingLock, &OldIrql);
        if (IsListEmpty(&PendingDetaches)) {
            CompleteAtOnce = TRUE;
        } else {
            Binding = CONTAINING_RECORD(RemoveHeadList(&PendingDetaches), CLIENT_BINDING, PendingLink);
        }
        KeReleaseSpinLock(&PendingLock, OldIrql);
        if (Binding == NULL) {
            break;
        }
        NmrClientDetachProviderComplete(Binding->NmrBindingHandle);
    }
    if (Status == STATUS_PENDING) {
        NmrWaitForClientDeregisterComplete(NmrClientHandle);
    }
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&PendingLock);
    InitializeListHead(&PendingDetaches);
    CompleteAtOnce = FALSE;
    DriverObject->DriverUnload = DriverUnload;
    return NmrRegisterClient(&ClientCharacteristics, NULL, &NmrClientHandle);
}
