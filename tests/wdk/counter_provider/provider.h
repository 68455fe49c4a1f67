/*++

Module Name:

    provider.h

Abstract:

    Internal header of the counter provider, included by every file of the
    driver. Its helpers are plain (non-static) inline functions, the way
    MSVC code writes them: each file that includes this header emits them,
    and the linker keeps one copy.

--*/

#pragma once

#include <ntifs.h>
#include <ntstrsafe.h>
#include <ntintsafe.h>
#include <TraceLoggingProvider.h>
#include "../wdk_npi.h"

#define COUNTER_POOL_TAG 'tnCP'

//
// Drivers commonly route ASSERT through NT_ASSERT_ASSUME.
//
#undef ASSERT
#define ASSERT(e) NT_ASSERT_ASSUME(e)

TRACELOGGING_DECLARE_PROVIDER(CounterTraceProvider);

typedef struct _COUNTER_BINDING {
    LIST_ENTRY Link;
    HANDLE NmrBindingHandle;
    PVOID ClientBindingContext;
    ULONG64 Value;
    COUNTER_FLAGS Flags;
} COUNTER_BINDING, *PCOUNTER_BINDING;

typedef struct _COUNTER_GLOBALS {
    HANDLE NmrProviderHandle;
    NPI_MODULEID ModuleId;
    NPI_PROVIDER_CHARACTERISTICS Characteristics;
    ERESOURCE StateLock;            // guards Closing (PASSIVE only)
    BOOLEAN Closing;
    LIST_ENTRY Bindings;            // guarded by ValueLock
    NPAGED_LOOKASIDE_LIST BindingLookaside;
    EX_SPIN_LOCK ValueLock;
    LIST_ENTRY RetiredList;
    KSPIN_LOCK RetiredLock;
    volatile LONG BindingCount;
} COUNTER_GLOBALS;

extern COUNTER_GLOBALS CounterGlobals;

inline
ULONG64
CounterAdd(
    _In_ ULONG64 Value,
    _In_ ULONG Amount
    )
{
    ULONG64 Result;

    if (!NT_SUCCESS(RtlULongLongAdd(Value, Amount, &Result))) {
        Result = MAXULONG64;
    }
    return Result;
}

__inline
BOOLEAN
CounterIsSticky(
    _In_ const COUNTER_BINDING *Binding
    )
{
    return (Binding->Flags & CounterFlagSticky) != 0;
}

__forceinline
VOID
CounterNoteBinding(
    _In_ LONG Delta
    )
{
    LONG Count = InterlockedAdd(&CounterGlobals.BindingCount, Delta);
    ASSERT(Count >= 0);
    UNREFERENCED_PARAMETER(Count);
}

//
// binding.c
//
NPI_PROVIDER_ATTACH_CLIENT_FN CounterAttachClient;
NPI_PROVIDER_DETACH_CLIENT_FN CounterDetachClient;
NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN CounterCleanupBindingContext;
