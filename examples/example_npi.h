/*++

Module Name:

    example_npi.h

Abstract:

    The "Example" Network Programming Interface (NPI) shared by the sample
    NMR drivers in this folder: its NPI identifier and the two dispatch
    tables that a bound client and provider exchange through
    NmrClientAttachProvider / ProviderAttachClient.

    A client sends data to the provider (Send) and asks it for a counter
    (Query). The provider tells the client when a send has been
    transmitted (Indicate).

    Every NPI function takes the callee's binding context as its first
    parameter, as the NPIs of the Windows networking stack do: a client
    calls

        BindingContext->ProviderDispatch->Send(BindingContext->ProviderBindingContext, ...)

    and a provider calls

        BindingContext->ClientDispatch->Indicate(BindingContext->ClientBindingContext, ...)

    The dispatch tables hold function pointers only, so the tables of a
    binding can be checked (or wrapped) knowing just how many functions they
    hold: EXAMPLE_PROVIDER_DISPATCH_COUNT and EXAMPLE_CLIENT_DISPATCH_COUNT.

Environment:

    Kernel mode.

--*/

#ifndef _EXAMPLE_NPI_H_
#define _EXAMPLE_NPI_H_

#include <netioddk.h>

//
// The NPI identifier of the Example NPI.
// {5e4c1a60-8f2d-4b7e-9a31-0c6d2e7f4b15}
//
static const NPIID NPI_EXAMPLE_ID = {
    0x5e4c1a60, 0x8f2d, 0x4b7e, { 0x9a, 0x31, 0x0c, 0x6d, 0x2e, 0x7f, 0x4b, 0x15 }
};

//
// Indication codes passed to EXAMPLE_CLIENT_DISPATCH::Indicate.
//
#define EXAMPLE_INDICATE_SEND_COMPLETE  1

//
// Provider functions, called by a client at IRQL <= DISPATCH_LEVEL.
//

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
EXAMPLE_SEND_FN(
    _In_ PVOID ProviderBindingContext,
    _In_ CONST VOID *Buffer,
    _In_ ULONG Length
    );
typedef EXAMPLE_SEND_FN *PEXAMPLE_SEND_FN;

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
EXAMPLE_QUERY_FN(
    _In_ PVOID ProviderBindingContext,
    _Out_ PULONG BytesSent
    );
typedef EXAMPLE_QUERY_FN *PEXAMPLE_QUERY_FN;

typedef struct _EXAMPLE_PROVIDER_DISPATCH {
    PEXAMPLE_SEND_FN Send;
    PEXAMPLE_QUERY_FN Query;
} EXAMPLE_PROVIDER_DISPATCH, *PEXAMPLE_PROVIDER_DISPATCH;

#define EXAMPLE_PROVIDER_DISPATCH_COUNT 2

//
// Client functions, called by a provider at IRQL <= DISPATCH_LEVEL.
//

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID
EXAMPLE_INDICATE_FN(
    _In_ PVOID ClientBindingContext,
    _In_ ULONG Indication
    );
typedef EXAMPLE_INDICATE_FN *PEXAMPLE_INDICATE_FN;

typedef struct _EXAMPLE_CLIENT_DISPATCH {
    PEXAMPLE_INDICATE_FN Indicate;
} EXAMPLE_CLIENT_DISPATCH, *PEXAMPLE_CLIENT_DISPATCH;

#define EXAMPLE_CLIENT_DISPATCH_COUNT 1

#endif // _EXAMPLE_NPI_H_
