/*++

Module Name:

    binding.c

Abstract:

    Counter provider: the NMR attach/detach/cleanup callbacks and the
    Counter NPI functions a bound client calls.

Environment:

    Kernel mode.

--*/

#include "provider.h"

static COUNTER_BUMP_FN CounterBump;
static COUNTER_DESCRIBE_FN CounterDescribe;

static const COUNTER_PROVIDER_DISPATCH CounterDispatch = {
    CounterBump,
    CounterDescribe,
};

_Use_decl_annotations_
static
NTSTATUS
CounterBump(
    PVOID ProviderBindingContext,
    ULONG Amount,
    ULONG64 *NewValue
    )
{
    PCOUNTER_BINDING Binding = (PCOUNTER_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    OldIrql = ExAcquireSpinLockExclusive(&CounterGlobals.ValueLock);
    Binding->Value = CounterAdd(Binding->Value, Amount);
    *NewValue = Binding->Value;
    ExReleaseSpinLockExclusive(&CounterGlobals.ValueLock, OldIrql);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
static
NTSTATUS
CounterDescribe(
    PVOID ProviderBindingContext,
    PWSTR Buffer,
    SIZE_T BufferChars
    )
{
    PCOUNTER_BINDING Binding = (PCOUNTER_BINDING)ProviderBindingContext;
    KIRQL OldIrql;
    ULONG64 Value;

    PAGED_CODE();

    OldIrql = ExAcquireSpinLockShared(&CounterGlobals.ValueLock);
    Value = Binding->Value;
    ExReleaseSpinLockShared(&CounterGlobals.ValueLock, OldIrql);

    return RtlStringCchPrintfW(Buffer, BufferChars, L"counter=%I64u sticky=%d",
                               Value, CounterIsSticky(Binding));
}

_Use_decl_annotations_
NTSTATUS
CounterAttachClient(
    HANDLE NmrBindingHandle,
    PVOID ProviderContext,
    const NPI_REGISTRATION_INSTANCE *ClientRegistrationInstance,
    PVOID ClientBindingContext,
    const VOID *ClientDispatch,
    PVOID *ProviderBindingContext,
    const VOID **ProviderDispatch
    )
{
    PCOUNTER_BINDING Binding;
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(ProviderContext);
    UNREFERENCED_PARAMETER(ClientDispatch);

    if (!IsEqualGUID(ClientRegistrationInstance->NpiId, &NPI_COUNTER_ID)) {
        return STATUS_NOINTERFACE;
    }

    Binding = (PCOUNTER_BINDING)ExAllocateFromNPagedLookasideList(&CounterGlobals.BindingLookaside);
    if (Binding == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(Binding, sizeof(*Binding));
    Binding->NmrBindingHandle = NmrBindingHandle;
    Binding->ClientBindingContext = ClientBindingContext;
    Binding->Flags = CounterFlagShared;

    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&CounterGlobals.StateLock, TRUE);
    if (CounterGlobals.Closing) {
        ExReleaseResourceLite(&CounterGlobals.StateLock);
        KeLeaveCriticalRegion();
        ExFreeToNPagedLookasideList(&CounterGlobals.BindingLookaside, Binding);
        return STATUS_DEVICE_NOT_READY;
    }
    ExReleaseResourceLite(&CounterGlobals.StateLock);
    KeLeaveCriticalRegion();

    OldIrql = ExAcquireSpinLockExclusive(&CounterGlobals.ValueLock);
    InsertTailList(&CounterGlobals.Bindings, &Binding->Link);
    ExReleaseSpinLockExclusive(&CounterGlobals.ValueLock, OldIrql);
    CounterNoteBinding(+1);

    *ProviderBindingContext = Binding;
    *ProviderDispatch = &CounterDispatch;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
CounterDetachClient(
    PVOID ProviderBindingContext
    )
{
    PCOUNTER_BINDING Binding = (PCOUNTER_BINDING)ProviderBindingContext;
    KIRQL OldIrql;

    OldIrql = ExAcquireSpinLockExclusive(&CounterGlobals.ValueLock);
    RemoveEntryList(&Binding->Link);
    ExReleaseSpinLockExclusive(&CounterGlobals.ValueLock, OldIrql);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID
CounterCleanupBindingContext(
    PVOID ProviderBindingContext
    )
{
    PCOUNTER_BINDING Binding = (PCOUNTER_BINDING)ProviderBindingContext;

    CounterNoteBinding(-1);
    ExInterlockedInsertTailList(&CounterGlobals.RetiredList, &Binding->Link,
                                &CounterGlobals.RetiredLock);
}
