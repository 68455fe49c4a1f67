/* ntdef.h - the WDK base types, status codes and helper macros, with the
 * names and values Microsoft uses. SAL and calling-convention annotations are
 * defined away so that driver source written for the WDK compiles with gcc
 * and clang on Linux unchanged. */
#ifndef _NTDEF_
#define _NTDEF_


#include "sal.h"
#include "msvc.h"
#include "sdkddkver.h"

/* What MSVC's excpt.h -> vcruntime.h gives every WDK driver with its first
 * kernel header: size_t and ptrdiff_t, 64-bit as on Windows, and the
 * intrinsics' declarations (nmrsim_prelude.h, force-included into hosted
 * drivers before their first line; included here for files built without
 * it, where a C library <stddef.h> before keeps its size_t). */
#include "nmrsim_prelude.h"

#ifndef IN
#define IN
#define OUT
#define OPTIONAL
#endif

/* ---- calling conventions and declaration specifiers ---- */
#ifndef NTAPI
#define NTAPI
#endif
#ifndef NTKERNELAPI
#define NTKERNELAPI
#endif
#ifndef NTSYSAPI
#define NTSYSAPI
#endif
#ifndef NTSYSCALLAPI
#define NTSYSCALLAPI
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __fastcall
#define __fastcall
#endif
#ifndef _stdcall
#define _stdcall
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef FASTCALL
#define FASTCALL
#endif
#ifndef NTAPI_INLINE
#define NTAPI_INLINE
#endif
#ifndef DECLSPEC_IMPORT
#define DECLSPEC_IMPORT
#endif
#ifndef DECLSPEC_EXPORT
#define DECLSPEC_EXPORT
#endif
#ifndef DECLSPEC_NORETURN
#define DECLSPEC_NORETURN __attribute__((noreturn))
#endif
#ifndef DECLSPEC_NOINLINE
#define DECLSPEC_NOINLINE __attribute__((noinline))
#endif
#ifndef DECLSPEC_ALIGN
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#endif
#ifndef DECLSPEC_CACHEALIGN
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
#endif
#ifndef DECLSPEC_SELECTANY
#define DECLSPEC_SELECTANY __attribute__((weak))
#endif
#ifndef DECLSPEC_NOTHROW
#define DECLSPEC_NOTHROW
#endif
#ifndef DECLSPEC_DEPRECATED
#define DECLSPEC_DEPRECATED
#endif
#ifndef DECLSPEC_DEPRECATED_DDK
#define DECLSPEC_DEPRECATED_DDK
#endif
#ifndef DECLSPEC_RESTRICT
#define DECLSPEC_RESTRICT
#endif
#ifndef DECLSPEC_GUARDNOCF
#define DECLSPEC_GUARDNOCF
#endif
#ifndef FORCEINLINE
#define FORCEINLINE static inline __attribute__((always_inline))
#endif
#ifndef NTSTRSAFEAPI
#define NTSTRSAFEAPI static inline NTSTATUS
#endif
#ifndef EXTERN_C
#ifdef __cplusplus
#define EXTERN_C extern "C"
#define EXTERN_C_START extern "C" {
#define EXTERN_C_END }
#else
#define EXTERN_C extern
#define EXTERN_C_START
#define EXTERN_C_END
#endif
#endif
#ifndef DECLARE_HANDLE
#define DECLARE_HANDLE(name) struct name##__ { int unused; }; typedef struct name##__ *name
#endif
/* C has no operator overloading: enum flags combine as integers already. */
#ifndef DEFINE_ENUM_FLAG_OPERATORS
#define DEFINE_ENUM_FLAG_OPERATORS(ENUMTYPE)
#endif
#ifndef UNALIGNED
#define UNALIGNED
#endif
#ifndef RESTRICTED_POINTER
#define RESTRICTED_POINTER
#endif
#ifndef POINTER_64
#define POINTER_64
#define POINTER_32
#endif
#ifndef ANYSIZE_ARRAY
#define ANYSIZE_ARRAY 1
#endif
#ifndef C_ASSERT
#define C_ASSERT(e) _Static_assert(e, #e)
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef VOID
#define VOID void
#endif

/* ---- basic types ---- */
typedef void *PVOID, **PPVOID;
typedef const void *PCVOID;
typedef void *HANDLE, **PHANDLE;
typedef char CHAR, CCHAR, *PCHAR, *PCH, *PSTR, *LPSTR;
typedef const char *PCSTR, *LPCSTR, *PCSZ, *PCCH;
typedef __INT16_TYPE__ SHORT, CSHORT, *PSHORT;
typedef __INT32_TYPE__ LONG, *PLONG, INT, *PINT;
typedef __UINT32_TYPE__ ULONG, *PULONG, UINT, *PUINT, DWORD, *PDWORD;
typedef __UINT16_TYPE__ USHORT, *PUSHORT, WORD, *PWORD;
typedef __UINT8_TYPE__ UCHAR, *PUCHAR, BYTE, *PBYTE;
typedef __INT8_TYPE__ INT8, *PINT8;
typedef __INT16_TYPE__ INT16, *PINT16;
typedef __INT32_TYPE__ INT32, *PINT32, LONG32, *PLONG32;
typedef __INT64_TYPE__ INT64, *PINT64, LONG64, *PLONG64;
typedef __UINT8_TYPE__ UINT8, *PUINT8;
typedef __UINT16_TYPE__ UINT16, *PUINT16;
typedef __UINT32_TYPE__ UINT32, *PUINT32, ULONG32, *PULONG32, DWORD32;
typedef __UINT64_TYPE__ UINT64, *PUINT64, DWORD64, *PDWORD64;
typedef __INT64_TYPE__ LONGLONG, *PLONGLONG;
typedef __UINT64_TYPE__ ULONGLONG, *PULONGLONG, ULONG64, *PULONG64;
typedef __INTPTR_TYPE__ LONG_PTR, *PLONG_PTR, INT_PTR, *PINT_PTR, SSIZE_T, *PSSIZE_T;
typedef __UINTPTR_TYPE__ ULONG_PTR, *PULONG_PTR, UINT_PTR, *PUINT_PTR, DWORD_PTR, *PDWORD_PTR, SIZE_T, *PSIZE_T;
typedef unsigned char BOOLEAN, *PBOOLEAN;
typedef int BOOL;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;
typedef LONG KPRIORITY;
typedef CCHAR KPROCESSOR_MODE;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
typedef ULONG ACCESS_MASK, *PACCESS_MASK;
typedef ULONG LOGICAL;
typedef ULONG DEVICE_TYPE;
typedef USHORT RTL_ATOM;
typedef ULONG NODE_TYPE_CODE;
/* WCHAR is a UTF-16 unit, as on Windows. Drivers are compiled with
 * -fshort-wchar so that L"..." literals are arrays of it (wchar_t is then
 * unsigned short, the same type as __UINT16_TYPE__). */
typedef __UINT16_TYPE__ WCHAR, *PWCHAR, *PWSTR, *LPWSTR, *PWCH;
typedef const __UINT16_TYPE__ *PCWSTR, *LPCWSTR, *PCWCH;
typedef double DOUBLE;
typedef const UCHAR *PCUCHAR;
typedef const USHORT *PCUSHORT;
typedef const ULONG *PCULONG;
typedef const ULONG64 *PCULONG64;
typedef const CHAR *PCCHAR;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef PWSTR *PZPWSTR;
typedef PCWSTR *PZPCWSTR;
typedef PSTR *PZPSTR;
typedef LONG HRESULT;
typedef ULONG *LPDWORD;
typedef UCHAR *LPBYTE;
typedef int *LPINT;
typedef LONG *LPLONG;
typedef BOOL *PBOOL, *LPBOOL;
typedef float FLOAT;
typedef ULONG64 DWORDLONG, *PDWORDLONG;
typedef ULONG_PTR HANDLE_PTR;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

#define MAXCHAR 0x7f
#define MINCHAR 0x80
#define MAXSHORT 0x7fff
#define MINSHORT 0x8000
#define MAXUCHAR 0xff
#define MAXBYTE 0xff
#define MAXWORD 0xffff
#define MAXDWORD 0xffffffff
#define MAXINT8 ((INT8)0x7f)
#define MININT8 ((INT8)~MAXINT8)
#define MAXUINT8 ((UINT8)~((UINT8)0))
#define MAXINT16 ((INT16)0x7fff)
#define MININT16 ((INT16)~MAXINT16)
#define MAXUINT16 ((UINT16)~((UINT16)0))
#define MAXINT32 ((INT32)0x7fffffff)
#define MININT32 ((INT32)~MAXINT32)
#define MAXUINT32 ((UINT32)~((UINT32)0))
#define MAXINT64 ((INT64)0x7fffffffffffffffLL)
#define MININT64 ((INT64)~MAXINT64)
#define MAXUINT64 ((UINT64)~((UINT64)0))
#define MAXLONG32 ((LONG32)0x7fffffff)
#define MINLONG32 ((LONG32)~MAXLONG32)
#define MAXULONG32 ((ULONG32)~((ULONG32)0))
#define MAXLONG64 ((LONG64)0x7fffffffffffffffLL)
#define MINLONG64 ((LONG64)~MAXLONG64)
#define MAXULONGLONG ((ULONGLONG)~((ULONGLONG)0))
#define MINLONGLONG ((LONGLONG)~MAXLONGLONG)
#define MAXUINT ((UINT)~((UINT)0))
#define MAXINT ((INT)(MAXUINT >> 1))
#define MININT ((INT)~MAXINT)
#define MAXULONG_PTR (~((ULONG_PTR)0))
#define MAXLONG_PTR ((LONG_PTR)(MAXULONG_PTR >> 1))
#define MINLONG_PTR (~MAXLONG_PTR)
#define MAXUINT_PTR (~((UINT_PTR)0))
#define MAXINT_PTR ((INT_PTR)(MAXUINT_PTR >> 1))
#define MININT_PTR (~MAXINT_PTR)
#define MAXDWORD32 ((DWORD32)~((DWORD32)0))
#define MAXDWORD64 ((DWORD64)~((DWORD64)0))
#define MAXSSIZE_T ((SSIZE_T)(MAXSIZE_T >> 1))
#define MINSSIZE_T ((SSIZE_T)~MAXSSIZE_T)
#define Int32x32To64(a, b) ((LONGLONG)((LONG)(a)) * (LONGLONG)((LONG)(b)))
#define UInt32x32To64(a, b) ((ULONGLONG)((ULONG)(a)) * (ULONGLONG)((ULONG)(b)))
#define Int64ShllMod32(a, b) ((ULONGLONG)(a) << ((b) & 31))
#define Int64ShraMod32(a, b) ((LONGLONG)(a) >> ((b) & 31))
#define Int64ShrlMod32(a, b) ((ULONGLONG)(a) >> ((b) & 31))
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffu
#define MAXLONG 0x7fffffff
#define MINLONG (-MAXLONG - 1)
#define MAXLONGLONG 0x7fffffffffffffffLL
#define MAXULONG64 0xffffffffffffffffULL
#define MAXSIZE_T ((SIZE_T)~(SIZE_T)0)

#ifndef NOMINMAX
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif

typedef union _LARGE_INTEGER {
	struct {
		ULONG LowPart;
		LONG HighPart;
	};
	struct {
		ULONG LowPart;
		LONG HighPart;
	} u;
	LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
	struct {
		ULONG LowPart;
		ULONG HighPart;
	};
	struct {
		ULONG LowPart;
		ULONG HighPart;
	} u;
	ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

#include "guiddef.h"

typedef struct _LUID {
	ULONG LowPart;
	LONG HighPart;
} LUID, *PLUID;

/* ---- lists ---- */
typedef struct _LIST_ENTRY {
	struct _LIST_ENTRY *Flink;
	struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *RESTRICTED_POINTER PRLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
	struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

/* ---- strings ---- */
typedef struct _UNICODE_STRING {
	USHORT Length;        /* bytes, without the terminator */
	USHORT MaximumLength; /* bytes of Buffer */
	PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
	USHORT Length;
	USHORT MaximumLength;
	PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING, OEM_STRING, *POEM_STRING;
typedef const STRING *PCANSI_STRING, *PCSTRING;

#define RTL_CONSTANT_STRING(s) { sizeof(s) - sizeof((s)[0]), sizeof(s), (void *)(s) }
#define DECLARE_CONST_UNICODE_STRING(_var, _string) \
	const WCHAR _var##_buffer[] = _string; \
	const UNICODE_STRING _var = { sizeof(_string) - sizeof(WCHAR), sizeof(_string), (PWCH)_var##_buffer }
#define DECLARE_UNICODE_STRING_SIZE(_var, _size) \
	WCHAR _var##_buffer[_size]; \
	UNICODE_STRING _var = { 0, (_size) * sizeof(WCHAR), _var##_buffer }

/* ---- object attributes ---- */
typedef struct _OBJECT_ATTRIBUTES {
	ULONG Length;
	HANDLE RootDirectory;
	PUNICODE_STRING ObjectName;
	ULONG Attributes;
	PVOID SecurityDescriptor;
	PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES *PCOBJECT_ATTRIBUTES;

#define OBJ_INHERIT 0x00000002L
#define OBJ_PERMANENT 0x00000010L
#define OBJ_EXCLUSIVE 0x00000020L
#define OBJ_CASE_INSENSITIVE 0x00000040L
#define OBJ_OPENIF 0x00000080L
#define OBJ_OPENLINK 0x00000100L
#define OBJ_KERNEL_HANDLE 0x00000200L
#define OBJ_FORCE_ACCESS_CHECK 0x00000400L

#define InitializeObjectAttributes(p, n, a, r, s) \
	do { \
		(p)->Length = sizeof(OBJECT_ATTRIBUTES); \
		(p)->RootDirectory = (r); \
		(p)->Attributes = (a); \
		(p)->ObjectName = (n); \
		(p)->SecurityDescriptor = (s); \
		(p)->SecurityQualityOfService = NULL; \
	} while (0)

/* ---- helper macros ---- */
#define FIELD_OFFSET(type, field) ((LONG)__builtin_offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define _ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define CONTAINING_RECORD(address, type, field) ((type *)((PCHAR)(address) - (ULONG_PTR)__builtin_offsetof(type, field)))
#define ARGUMENT_PRESENT(p) ((CHAR)((ULONG_PTR)(p) != (ULONG_PTR)NULL))
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#endif
#ifndef DBG_UNREFERENCED_PARAMETER
#define DBG_UNREFERENCED_PARAMETER(p) ((void)(p))
#endif
#ifndef DBG_UNREFERENCED_LOCAL_VARIABLE
#define DBG_UNREFERENCED_LOCAL_VARIABLE(v) ((void)(v))
#endif
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_UP_BY(length, alignment) (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment) - 1), alignment))
#define ALIGN_DOWN_POINTER_BY(address, alignment) ((PVOID)((ULONG_PTR)(address) & ~((ULONG_PTR)(alignment) - 1)))
#define ALIGN_UP_POINTER_BY(address, alignment) (ALIGN_DOWN_POINTER_BY(((ULONG_PTR)(address) + (alignment) - 1), alignment))
#define ALIGN_DOWN(length, type) ALIGN_DOWN_BY(length, sizeof(type))
#define ALIGN_UP(length, type) ALIGN_UP_BY(length, sizeof(type))
#define FlagOn(_F, _SF) ((_F) & (_SF))
#define BooleanFlagOn(F, SF) ((BOOLEAN)(((F) & (SF)) != 0))
#define SetFlag(_F, _SF) ((_F) |= (_SF))
#define ClearFlag(_F, _SF) ((_F) &= ~(_SF))
#define Add2Ptr(P, I) ((PVOID)((PUCHAR)(P) + (I)))
#define PtrOffset(B, O) ((ULONG)((ULONG_PTR)(O) - (ULONG_PTR)(B)))

#define RtlEqualMemory(d, s, n) (!__builtin_memcmp((d), (s), (n)))
/* The C library's routines, as the WDK defines them (not __builtin_*): a
 * driver object built with access checks under gcc (-fno-builtin-memset,
 * examples/meson.build) keeps them as calls, which tools/driver-obj.sh
 * sends to the engine's checked copies; gcc would otherwise expand a small
 * one into plain stores its ThreadSanitizer pass never sees. */
#define RtlMoveMemory(d, s, n) memmove((d), (s), (n))
#define RtlCopyMemory(d, s, n) memcpy((d), (s), (n))
#define RtlFillMemory(d, n, f) memset((d), (f), (n))
#define RtlZeroMemory(d, n) memset((d), 0, (n))
#define RtlSecureZeroMemory(d, n) memset((d), 0, (n))

/* The WDK's ntdef.h brings <string.h>: drivers call its routines without
 * including it (mem* and strlen: nmrsim_prelude.h). These are the C
 * library's, declared with this file's size_t, so a <string.h> included
 * before agrees (the compilers' built-in types use their own size_t: that
 * mismatch is silenced). The wide ones are left out: the C library's
 * wchar_t is not the drivers' 16-bit WCHAR. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wbuiltin-declaration-mismatch"
#pragma GCC diagnostic ignored "-Wincompatible-library-redeclaration"
char *strstr(const char *, const char *);
char *strchr(const char *, int);
char *strrchr(const char *, int);
int strcmp(const char *, const char *);
int strncmp(const char *, const char *, size_t);
char *strcpy(char *, const char *);
char *strncpy(char *, const char *, size_t);
char *strcat(char *, const char *);
char *strncat(char *, const char *, size_t);
size_t strnlen(const char *, size_t);
void *memchr(const void *, int, size_t);
#pragma GCC diagnostic pop

/* ---- status codes ---- */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

#include "ntstatus.h"

/* ---- IRQLs ---- */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15


#endif
