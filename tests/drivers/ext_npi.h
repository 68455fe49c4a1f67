/*++

Module Name:

    ext_npi.h

Abstract:

    Three extension NPIs whose provider dispatch tables nmrsim cannot copy
    faithfully, for the dispatch-guarding refusal tests (each is handed out
    as it is, with one DispatchUnguarded timeline line saying why):

      EXT_BUFFER        a header, GetBuffer (the provider's) and FreeBuffer,
                        which is the kernel's ExFreePool itself: the client
                        frees what the provider allocated without a call
                        into the provider. A function outside the drivers.
      EXT_OPCODE        a header and a handler per request opcode, inline
                        (EXT_OPCODE_COUNT of them: larger than a guarded
                        copy may be)
      EXT_OPCODE_ARRAY  a header and a pointer to the provider's constant
                        array of handlers per opcode (the same array: a
                        nested table larger than a guarded copy may be)

    A handler takes the provider's binding context, the opcode and a
    result; opcodes the provider does not implement answer
    STATUS_NOT_SUPPORTED.

--*/

#ifndef _EXT_NPI_H_
#define _EXT_NPI_H_

#include <netioddk.h>

// {8b2e6f14-3c5d-4a7e-9f01-2d3c4b5a6e01} .. {...03}
static const NPIID NPI_EXT_BUFFER_ID =
    { 0x8b2e6f14, 0x3c5d, 0x4a7e, { 0x9f, 0x01, 0x2d, 0x3c, 0x4b, 0x5a, 0x6e, 0x01 } };
static const NPIID NPI_EXT_OPCODE_ID =
    { 0x8b2e6f14, 0x3c5d, 0x4a7e, { 0x9f, 0x01, 0x2d, 0x3c, 0x4b, 0x5a, 0x6e, 0x02 } };
static const NPIID NPI_EXT_OPCODE_ARRAY_ID =
    { 0x8b2e6f14, 0x3c5d, 0x4a7e, { 0x9f, 0x01, 0x2d, 0x3c, 0x4b, 0x5a, 0x6e, 0x03 } };

#define EXT_DISPATCH_VERSION 1
#define EXT_BUFFER_BYTES 64

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
EXT_GET_BUFFER_FN(
    _In_ PVOID ProviderBindingContext,
    _Outptr_ PVOID *Buffer
    );
typedef EXT_GET_BUFFER_FN *PEXT_GET_BUFFER_FN;

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID
NTAPI
EXT_FREE_BUFFER_FN(
    _In_ PVOID Buffer
    );
typedef EXT_FREE_BUFFER_FN *PEXT_FREE_BUFFER_FN;

typedef struct _EXT_BUFFER_DISPATCH {
    USHORT Version;
    USHORT Size;
    ULONG BufferBytes;
    PEXT_GET_BUFFER_FN GetBuffer;
    PEXT_FREE_BUFFER_FN FreeBuffer;     // ExFreePool: no call into the provider
} EXT_BUFFER_DISPATCH, *PEXT_BUFFER_DISPATCH;

#define EXT_OP_ECHO     0
#define EXT_OP_COUNT    1
#define EXT_OP_VERSION  2
#define EXT_OPCODE_COUNT 72             // opcodes reserved by the interface

typedef
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
EXT_HANDLER_FN(
    _In_ PVOID ProviderBindingContext,
    _In_ ULONG Opcode,
    _Inout_ PULONG Result
    );
typedef EXT_HANDLER_FN *PEXT_HANDLER_FN;

typedef struct _EXT_OPCODE_DISPATCH {
    USHORT Version;
    USHORT Size;
    ULONG OpcodeCount;
    PEXT_HANDLER_FN Handlers[EXT_OPCODE_COUNT];
} EXT_OPCODE_DISPATCH, *PEXT_OPCODE_DISPATCH;

typedef struct _EXT_OPCODE_ARRAY_DISPATCH {
    USHORT Version;
    USHORT Size;
    ULONG OpcodeCount;
    CONST PEXT_HANDLER_FN *Handlers;    // EXT_OPCODE_COUNT entries
} EXT_OPCODE_ARRAY_DISPATCH, *PEXT_OPCODE_ARRAY_DISPATCH;

#endif // _EXT_NPI_H_
