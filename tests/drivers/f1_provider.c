/* f1_provider.c - a provider of the Example NPI that works only when NMR
 * attaches its client inside NmrRegisterProvider (freedom F1). It is loaded
 * after its client (npi_client) and expects the client to be bound by the
 * time NmrRegisterProvider returns, as it always was on the machine it was
 * tested on; when NMR attaches later on a worker thread instead, its
 * DriverEntry gives up with STATUS_NOINTERFACE. Every run is clean (no
 * rule is broken): only a differential run that flips F1 shows it, as
 * advisory M23 (corpus/kernel/F1-dependence.nmr). Its correct twin,
 * f1_provider_good.c, includes this file with F1_PROVIDER_NEEDS_CLIENT 0. */
#include <ntddk.h>
#include "../../examples/example_npi.h"

/* f1_versioned_provider.c sets the registration instance's Version to 1,
 * as shipped drivers put their NPI version there (advisory M22). */
#ifndef F1_PROVIDER_INSTANCE_VERSION
#define F1_PROVIDER_INSTANCE_VERSION 0
#endif
#ifndef F1_PROVIDER_NEEDS_CLIENT
#define F1_PROVIDER_NEEDS_CLIENT 1
#endif

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static NPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
static NPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
static NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
static EXAMPLE_SEND_FN ProviderSend;
static EXAMPLE_QUERY_FN ProviderQuery;

#define F1P_TAG 0x50314631u /* "1F1P" */

typedef struct _F1P_BINDING {
    HANDLE NmrBindingHandle;
    ULONG BytesSent;
} F1P_BINDING, *PF1P_BINDING;

static const NPI_MODULEID F1pModuleId = {
    sizeof(NPI_MODULEID), MIT_GUID,
    { { 0x3c4d5e6f, 0x7081, 0x4a92, { 0xb3, 0xc4, 0xd5, 0xe6, 0xf7, 0x08, 0x19, 0x2a } } }
};

static const EXAMPLE_PROVIDER_DISPATCH F1pDispatch = { ProviderSend, ProviderQuery };

static HANDLE NmrProviderHandle;
static KSPIN_LOCK BindingLock;
static LONG BindingCount;          // clients attached, under BindingLock

_Use_decl_annotations_
static NTSTATUS ProviderSend(PVOID ProviderBindingContext, CONST VOID *Buffer, ULONG Length)
{
    UNREFERENCED_PARAMETER(Buffer);
    InterlockedAdd((volatile LONG *)&((PF1P_BINDING)ProviderBindingContext)->BytesSent, (LONG)Length);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderQuery(PVOID ProviderBindingContext, PULONG BytesSent)
{
    *BytesSent = ((PF1P_BINDING)ProviderBindingContext)->BytesSent;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderAttachClient(HANDLE NmrBindingHandle, PVOID ProviderContext,
                                     PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance,
                                     PVOID ClientBindingContext, CONST VOID *ClientDispatch,
                                     PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
    PF1P_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientBindingContext);
    UNREFERENCED_PARAMETER(ClientDispatch);
    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_EXAMPLE_ID)) {
        return STATUS_NOINTERFACE;
    }
    Binding = (PF1P_BINDING)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(F1P_BINDING), F1P_TAG);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->BytesSent = 0;
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    BindingCount++;
    KeReleaseSpinLock(&BindingLock, OldIrql);
    *ProviderBindingContext = Binding;
    *ProviderDispatch = &F1pDispatch;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static NTSTATUS ProviderDetachClient(PVOID ProviderBindingContext)
{
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderBindingContext);
    KeAcquireSpinLock(&BindingLock, &OldIrql);
    BindingCount--;
    KeReleaseSpinLock(&BindingLock, OldIrql);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static VOID ProviderCleanupBindingContext(PVOID ProviderBindingContext)
{
    ExFreePoolWithTag(ProviderBindingContext, F1P_TAG);
}

static const NPI_PROVIDER_CHARACTERISTICS F1pCharacteristics = {
    0, sizeof(NPI_PROVIDER_CHARACTERISTICS),
    ProviderAttachClient, ProviderDetachClient, ProviderCleanupBindingContext,
    { F1_PROVIDER_INSTANCE_VERSION, sizeof(NPI_REGISTRATION_INSTANCE), (PNPIID)&NPI_EXAMPLE_ID,
      (PNPI_MODULEID)&F1pModuleId, 0, NULL }
};

static VOID F1pDeregister(VOID)
{
    if (NmrDeregisterProvider(NmrProviderHandle) == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(NmrProviderHandle);
    }
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    F1pDeregister();
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&BindingLock);
    BindingCount = 0;
    Status = NmrRegisterProvider(&F1pCharacteristics, NULL, &NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
#if F1_PROVIDER_NEEDS_CLIENT
    //
    // Our client is loaded first, so it has bound by now.
    //
    if (BindingCount == 0) {
        F1pDeregister();
        return STATUS_NOINTERFACE;
    }
#endif
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
