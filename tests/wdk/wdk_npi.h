/*++

Module Name:

    wdk_npi.h

Abstract:

    The "Counter" NPI of the WDK-surface test drivers: a provider keeps
    named counters, a bound client bumps and reads them. Shared by
    counter_provider (several files) and counter_client.

Environment:

    Kernel mode.

--*/

#pragma once

#include <ntddk.h>
#include <netioddk.h>

EXTERN_C_START

//
// {8d1b7c52-3e4f-4a6b-9c0d-1e2f3a4b5c6d}
//
DEFINE_GUID(NPI_COUNTER_ID,
    0x8d1b7c52, 0x3e4f, 0x4a6b, 0x9c, 0x0d, 0x1e, 0x2f, 0x3a, 0x4b, 0x5c, 0x6d);

typedef enum _COUNTER_FLAGS {
    CounterFlagNone = 0,
    CounterFlagSticky = 1,
    CounterFlagShared = 2,
} COUNTER_FLAGS;
DEFINE_ENUM_FLAG_OPERATORS(COUNTER_FLAGS);

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
COUNTER_BUMP_FN(
    _In_ PVOID ProviderBindingContext,
    _In_ ULONG Amount,
    _Out_ ULONG64 *NewValue
    );

typedef
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS
COUNTER_DESCRIBE_FN(
    _In_ PVOID ProviderBindingContext,
    _Out_writes_(BufferChars) PWSTR Buffer,
    _In_ SIZE_T BufferChars
    );

typedef struct _COUNTER_PROVIDER_DISPATCH {
    _Notnull_ COUNTER_BUMP_FN *Bump;
    _Notnull_ COUNTER_DESCRIBE_FN *Describe;
} COUNTER_PROVIDER_DISPATCH;

typedef struct _COUNTER_CLIENT_DISPATCH {
    _Maybenull_ PVOID Reserved;
} COUNTER_CLIENT_DISPATCH;

C_ASSERT(sizeof(COUNTER_PROVIDER_DISPATCH) == 2 * sizeof(PVOID));
static_assert(sizeof(COUNTER_CLIENT_DISPATCH) == sizeof(PVOID), "one reserved pointer");

EXTERN_C_END
