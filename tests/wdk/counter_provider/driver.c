/*++

Module Name:

    driver.c

Abstract:

    Counter provider: DriverEntry and Unload. Registers an NMR provider of
    the Counter NPI; bindings come from a lookaside list and sit on a list
    guarded by an executive spin lock (binding.c); an executive resource
    guards the closing state.

Environment:

    Kernel mode.

--*/

#include <initguid.h>
#include "provider.h"

#pragma warning(push)
#pragma warning(disable: 4201)

TRACELOGGING_DEFINE_PROVIDER(
    CounterTraceProvider,
    "Nmrsim.Test.CounterProvider",
    (0x1c2d3e4f, 0x5a6b, 0x4c7d, 0x8e, 0x9f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f));

COUNTER_GLOBALS CounterGlobals;

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CounterUnload;

#pragma warning(pop)

_Use_decl_annotations_
VOID
CounterUnload(
    PDRIVER_OBJECT DriverObject
    )
{
    NTSTATUS Status;
    PLIST_ENTRY Entry;

    UNREFERENCED_PARAMETER(DriverObject);

    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&CounterGlobals.StateLock, TRUE);
    CounterGlobals.Closing = TRUE;
    ExReleaseResourceLite(&CounterGlobals.StateLock);
    KeLeaveCriticalRegion();

    Status = NmrDeregisterProvider(CounterGlobals.NmrProviderHandle);
    if (Status == STATUS_PENDING) {
        NmrWaitForProviderDeregisterComplete(CounterGlobals.NmrProviderHandle);
    }

    //
    // Bindings retired by cleanup go back to the lookaside list here.
    //
    while ((Entry = ExInterlockedRemoveHeadList(&CounterGlobals.RetiredList,
                                                &CounterGlobals.RetiredLock)) != NULL) {
        ExFreeToNPagedLookasideList(&CounterGlobals.BindingLookaside,
                                    CONTAINING_RECORD(Entry, COUNTER_BINDING, Link));
    }

    ASSERT(CounterGlobals.BindingCount == 0);
    ExDeleteNPagedLookasideList(&CounterGlobals.BindingLookaside);
    ExDeleteResourceLite(&CounterGlobals.StateLock);
    TraceLoggingWrite(CounterTraceProvider, "Unloaded");
    TraceLoggingUnregister(CounterTraceProvider);
}

_Use_decl_annotations_
NTSTATUS
DriverEntry(
    PDRIVER_OBJECT DriverObject,
    PUNICODE_STRING RegistryPath
    )
{
    NTSTATUS Status;
    NPI_PROVIDER_CHARACTERISTICS *Chars = &CounterGlobals.Characteristics;
    NPI_REGISTRATION_INSTANCE *Instance = &Chars->ProviderRegistrationInstance;
    WCHAR Banner[64];

    UNREFERENCED_PARAMETER(RegistryPath);

    Status = TraceLoggingRegister(CounterTraceProvider);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    Status = RtlStringCbPrintfW(Banner, sizeof(Banner), L"%s v%u.%u", L"counter", 1u, 2u);
    NT_ASSERT(NT_SUCCESS(Status));
    // ntstrsafe.h's lengths are size_t, as in the WDK (a SIZE_T * parameter
    // made this an incompatible-pointer error under -Werror).
    size_t BannerBytes = 0;
    Status = RtlStringCbLengthW(Banner, sizeof(Banner), &BannerBytes);
    NT_ASSERT(NT_SUCCESS(Status) && BannerBytes != 0);
    TraceLoggingWrite(CounterTraceProvider, "Loading", TraceLoggingWideString(Banner, "Banner"));

    ExInitializeResourceLite(&CounterGlobals.StateLock);
    InitializeListHead(&CounterGlobals.Bindings);
    InitializeListHead(&CounterGlobals.RetiredList);
    KeInitializeSpinLock(&CounterGlobals.RetiredLock);
    ExInitializeNPagedLookasideList(&CounterGlobals.BindingLookaside, NULL, NULL,
                                    POOL_NX_ALLOCATION, sizeof(COUNTER_BINDING),
                                    COUNTER_POOL_TAG, 0);

    Status = ExUuidCreate(&CounterGlobals.ModuleId.Guid);
    if (!NT_SUCCESS(Status)) {
        goto Fail;
    }
    CounterGlobals.ModuleId.Length = sizeof(NPI_MODULEID);
    CounterGlobals.ModuleId.Type = MIT_GUID;

    Chars->Version = 0;
    Chars->Length = sizeof(*Chars);
    Chars->ProviderAttachClient = CounterAttachClient;
    Chars->ProviderDetachClient = CounterDetachClient;
    Chars->ProviderCleanupBindingContext = CounterCleanupBindingContext;
    Instance->Version = 0;
    Instance->Size = sizeof(*Instance);
    Instance->NpiId = &NPI_COUNTER_ID;
    Instance->ModuleId = &CounterGlobals.ModuleId;
    Instance->Number = 0;
    Instance->NpiSpecificCharacteristics = NULL;

    Status = NmrRegisterProvider(Chars, &CounterGlobals, &CounterGlobals.NmrProviderHandle);
    if (!NT_SUCCESS(Status)) {
        goto Fail;
    }

    DriverObject->DriverUnload = CounterUnload;
    return STATUS_SUCCESS;

Fail:
    ExDeleteNPagedLookasideList(&CounterGlobals.BindingLookaside);
    ExDeleteResourceLite(&CounterGlobals.StateLock);
    TraceLoggingUnregister(CounterTraceProvider);
    return Status;
}
