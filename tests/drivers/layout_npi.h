/*++

Module Name:

    layout_npi.h

Abstract:

    Four NPIs whose provider dispatch tables have the layouts of the
    networking stack's extension NPIs, for the dispatch-guarding tests
    (nmrsim guards them without being told their shape):

      LAYOUT_FLAT     a header (version, size, flags), then the functions
      LAYOUT_ARRAY    a header and a pointer to an array of functions
                      indexed by LAYOUT_FN_* (CONST VOID * entries)
      LAYOUT_TABLES   a table of tables: pointers to one table per
                      function group, each with its own header
      LAYOUT_MIXED    functions among data: a version, a limit, a pointer
                      to the provider's statistics (writable, shared with
                      the client), an interface GUID, capabilities

    Every function takes the provider's binding context first. Send adds
    Value to the binding's total and the provider's statistics; Query
    returns the binding's total.

--*/

#ifndef _LAYOUT_NPI_H_
#define _LAYOUT_NPI_H_

#include <netioddk.h>

// {3d1f0a52-7c41-4e2b-8a90-5b6c7d8e9f01} .. {...04}
static const NPIID NPI_LAYOUT_FLAT_ID =
    { 0x3d1f0a52, 0x7c41, 0x4e2b, { 0x8a, 0x90, 0x5b, 0x6c, 0x7d, 0x8e, 0x9f, 0x01 } };
static const NPIID NPI_LAYOUT_ARRAY_ID =
    { 0x3d1f0a52, 0x7c41, 0x4e2b, { 0x8a, 0x90, 0x5b, 0x6c, 0x7d, 0x8e, 0x9f, 0x02 } };
static const NPIID NPI_LAYOUT_TABLES_ID =
    { 0x3d1f0a52, 0x7c41, 0x4e2b, { 0x8a, 0x90, 0x5b, 0x6c, 0x7d, 0x8e, 0x9f, 0x03 } };
static const NPIID NPI_LAYOUT_MIXED_ID =
    { 0x3d1f0a52, 0x7c41, 0x4e2b, { 0x8a, 0x90, 0x5b, 0x6c, 0x7d, 0x8e, 0x9f, 0x04 } };

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
LAYOUT_SEND_FN(
    _In_ PVOID ProviderBindingContext,
    _In_ ULONG Value
    );
typedef LAYOUT_SEND_FN *PLAYOUT_SEND_FN;

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
ULONG
LAYOUT_QUERY_FN(
    _In_ PVOID ProviderBindingContext
    );
typedef LAYOUT_QUERY_FN *PLAYOUT_QUERY_FN;

#define LAYOUT_DISPATCH_VERSION 1

typedef struct _LAYOUT_FLAT_DISPATCH {
    USHORT Version;
    USHORT Size;
    ULONG Flags;
    PLAYOUT_SEND_FN Send;
    PLAYOUT_QUERY_FN Query;
} LAYOUT_FLAT_DISPATCH, *PLAYOUT_FLAT_DISPATCH;

#define LAYOUT_FN_SEND  0
#define LAYOUT_FN_QUERY 1
#define LAYOUT_FN_COUNT 2

typedef struct _LAYOUT_ARRAY_DISPATCH {
    USHORT Version;
    USHORT Size;
    ULONG FunctionCount;
    CONST VOID *CONST *Functions;       // LAYOUT_FN_COUNT entries
} LAYOUT_ARRAY_DISPATCH, *PLAYOUT_ARRAY_DISPATCH;

typedef struct _LAYOUT_SEND_TABLE {
    USHORT Version;
    USHORT Size;
    PLAYOUT_SEND_FN Send;
} LAYOUT_SEND_TABLE;

typedef struct _LAYOUT_QUERY_TABLE {
    USHORT Version;
    USHORT Size;
    PLAYOUT_QUERY_FN Query;
} LAYOUT_QUERY_TABLE;

typedef struct _LAYOUT_TABLES_DISPATCH {
    CONST LAYOUT_SEND_TABLE *SendTable;
    CONST LAYOUT_QUERY_TABLE *QueryTable;
} LAYOUT_TABLES_DISPATCH, *PLAYOUT_TABLES_DISPATCH;

typedef struct _LAYOUT_STATISTICS {
    volatile LONG Sends;                // every Send of every binding
} LAYOUT_STATISTICS, *PLAYOUT_STATISTICS;

typedef struct _LAYOUT_MIXED_DISPATCH {
    ULONG Version;
    ULONG MaxValue;                     // Send refuses larger values
    PLAYOUT_SEND_FN Send;
    PLAYOUT_STATISTICS Statistics;      // the provider's, read by clients
    CONST GUID *InterfaceId;
    PLAYOUT_QUERY_FN Query;
    ULONG64 Capabilities;
} LAYOUT_MIXED_DISPATCH, *PLAYOUT_MIXED_DISPATCH;

#define LAYOUT_MAX_VALUE 1000
#define LAYOUT_CAPABILITIES 0x5aULL

#endif // _LAYOUT_NPI_H_
