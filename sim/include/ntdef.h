/* ntdef.h - the WDK base types and status codes nmrsim's engine and module
 * code use. Names and values as Microsoft spells them; SAL annotations are
 * defined away. (Grown into the full WDK surface by the kernel-shim work.) */
#ifndef _NTDEF_
#define _NTDEF_

#include <stddef.h>
#include <stdint.h>

#ifndef _In_
#define _In_
#define _In_opt_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _IRQL_requires_max_(x)
#define _IRQL_requires_(x)
#define _Must_inspect_result_
#define _Function_class_(x)
#endif
#ifndef IN
#define IN
#define OUT
#define OPTIONAL
#endif
#define NTAPI
#define NTKERNELAPI
#ifndef CONST
#define CONST const
#endif
#ifndef VOID
#define VOID void
#endif

typedef void *PVOID;
typedef void *HANDLE, **PHANDLE;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef uint16_t USHORT, *PUSHORT;
typedef uint8_t UCHAR, *PUCHAR;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG, ULONG64;
typedef uintptr_t ULONG_PTR;
typedef unsigned char BOOLEAN;
typedef LONG NTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

typedef struct _GUID {
	uint32_t Data1;
	uint16_t Data2;
	uint16_t Data3;
	uint8_t Data4[8];
} GUID;

typedef struct _LUID {
	ULONG LowPart;
	LONG HighPart;
} LUID, *PLUID;

#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)

#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)
#define STATUS_NOINTERFACE ((NTSTATUS)0xC00002B9L)

#define PASSIVE_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 15

#endif
