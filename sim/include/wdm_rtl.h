/* wdm_rtl.h - more of wdm.h/ntddk.h: processor numbers, fail-fast, the
 * debugger flags, UUIDs, the registry query table, the Read/Write*{Acquire,
 * Release,NoFence} accessors. Included by wdm.h (not a WDK header name).
 *
 * Routines here are nmrsim's simulated kernel unless written inline. */
#ifndef NMRSIM_WDM_RTL_H
#define NMRSIM_WDM_RTL_H

#define SYSTEM_CACHE_ALIGNMENT_SIZE 64
#define MAXIMUM_PROC_PER_GROUP 64
#define MAXIMUM_PROCESSORS MAXIMUM_PROC_PER_GROUP
#define ALL_PROCESSOR_GROUPS 0xffff

/* ---- fail fast (RtlFailFast and __fastfail bug check: K07) ---- */
#define FAST_FAIL_LEGACY_GS_VIOLATION 0
#define FAST_FAIL_VTGUARD_CHECK_FAILURE 1
#define FAST_FAIL_STACK_COOKIE_CHECK_FAILURE 2
#define FAST_FAIL_CORRUPT_LIST_ENTRY 3
#define FAST_FAIL_INCORRECT_STACK 4
#define FAST_FAIL_INVALID_ARG 5
#define FAST_FAIL_GS_COOKIE_INIT 6
#define FAST_FAIL_FATAL_APP_EXIT 7
#define FAST_FAIL_RANGE_CHECK_FAILURE 8
#define FAST_FAIL_UNSAFE_REGISTRY_ACCESS 9
#define FAST_FAIL_GUARD_ICALL_CHECK_FAILURE 10
#define FAST_FAIL_GUARD_WRITE_CHECK_FAILURE 11
#define FAST_FAIL_INVALID_FIBER_SWITCH 12
#define FAST_FAIL_INVALID_SET_OF_CONTEXT 13
#define FAST_FAIL_INVALID_REFERENCE_COUNT 14
#define FAST_FAIL_INVALID_JUMP_BUFFER 18
#define FAST_FAIL_MRDATA_MODIFIED 19
#define FAST_FAIL_CERTIFICATION_FAILURE 20
#define FAST_FAIL_INVALID_EXCEPTION_CHAIN 21
#define FAST_FAIL_CRYPTO_LIBRARY 22
#define FAST_FAIL_INVALID_CALL_IN_DLL_CALLOUT 23
#define FAST_FAIL_INVALID_IMAGE_BASE 24
#define FAST_FAIL_DLOAD_PROTECTION_FAILURE 25
#define FAST_FAIL_UNSAFE_EXTENSION_CALL 26
#define FAST_FAIL_DEPRECATED_SERVICE_INVOKED 27
#define FAST_FAIL_INVALID_BUFFER_ACCESS 28
#define FAST_FAIL_INVALID_BALANCED_TREE 29
#define FAST_FAIL_INVALID_NEXT_THREAD 30
#define FAST_FAIL_GUARD_ICALL_CHECK_SUPPRESSED 31
#define FAST_FAIL_APCS_DISABLED 32
#define FAST_FAIL_INVALID_IDLE_STATE 33
#define FAST_FAIL_MRDATA_PROTECTION_FAILURE 34
#define FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION 35
#define FAST_FAIL_INVALID_LOCK_STATE 36
#define FAST_FAIL_GUARD_JUMPTABLE 37
#define FAST_FAIL_INVALID_LONGJUMP_TARGET 38
#define FAST_FAIL_INVALID_DISPATCH_CONTEXT 39
#define FAST_FAIL_INVALID_THREAD 40
#define FAST_FAIL_INVALID_SYSCALL_NUMBER 41
#define FAST_FAIL_INVALID_FILE_OPERATION 42
#define FAST_FAIL_LPAC_ACCESS_DENIED 43
#define FAST_FAIL_GUARD_SS_FAILURE 44
#define FAST_FAIL_LOADER_CONTINUITY_FAILURE 45
#define FAST_FAIL_GUARD_EXPORT_SUPPRESSION_FAILURE 46
#define FAST_FAIL_INVALID_CONTROL_STACK 47
#define FAST_FAIL_SET_CONTEXT_DENIED 48
#define FAST_FAIL_INVALID_IAT 49
#define FAST_FAIL_HEAP_METADATA_CORRUPTION 50
#define FAST_FAIL_PAYLOAD_RESTRICTION_VIOLATION 51
#define FAST_FAIL_LOW_LABEL_ACCESS_DENIED 52
#define FAST_FAIL_ENCLAVE_CALL_FAILURE 53
#define FAST_FAIL_UNHANDLED_LSS_EXCEPTON 54
#define FAST_FAIL_ADMINLESS_ACCESS_DENIED 55
#define FAST_FAIL_UNEXPECTED_CALL 56
#define FAST_FAIL_CONTROL_INVALID_RETURN_ADDRESS 57
#define FAST_FAIL_UNEXPECTED_HOST_BEHAVIOR 58
#define FAST_FAIL_FLAGS_CORRUPTION 59
#define FAST_FAIL_VEH_CORRUPTION 60
#define FAST_FAIL_ETW_CORRUPTION 61
#define FAST_FAIL_RIO_ABORT 62
#define FAST_FAIL_INVALID_PFN 63
#define FAST_FAIL_GUARD_ICALL_CHECK_FAILURE_XFG 64
#define FAST_FAIL_CAST_GUARD 65
#define FAST_FAIL_HOST_VISIBILITY_CHANGE 66
#define FAST_FAIL_KERNEL_CET_SHADOW_STACK_ASSIST 67
#define FAST_FAIL_PATCH_CALLBACK_FAILED 68
#define FAST_FAIL_NTDLL_PATCH_FAILED 69
#define FAST_FAIL_INVALID_FLS_DATA 70
#define FAST_FAIL_INVALID_FAST_FAIL_CODE 0xFFFFFFFF
DECLSPEC_NORETURN VOID NTAPI RtlFailFast(ULONG Code);
#ifndef __fastfail
#define __fastfail(code) RtlFailFast(code)
#endif

/* ---- bit scans and assertion traps as wdm.h spells them ---- */
#include "intrin.h"
#define BitScanForward _BitScanForward
#define BitScanReverse _BitScanReverse
#define BitScanForward64 _BitScanForward64
#define BitScanReverse64 _BitScanReverse64
#define BitTest _bittest
#define BitTestAndSet _bittestandset
#define BitTestAndReset _bittestandreset
#define BitTest64 _bittest64
#define PopulationCount64 __popcnt64
#define DbgRaiseAssertionFailure() \
	RtlAssert((PVOID) "DbgRaiseAssertionFailure", (PVOID)__FILE__, __LINE__, NULL)

/* ---- the kernel debugger is never attached ---- */
extern PBOOLEAN KdDebuggerEnabled;
extern PBOOLEAN KdDebuggerNotPresent;
#define KD_DEBUGGER_ENABLED (*KdDebuggerEnabled)
#define KD_DEBUGGER_NOT_PRESENT (*KdDebuggerNotPresent)
NTKERNELAPI BOOLEAN NTAPI KdRefreshDebuggerNotPresent(VOID);

/* ---- processors: every simulated thread is its own processor, group 0 ---- */
typedef struct _PROCESSOR_NUMBER {
	USHORT Group;
	UCHAR Number;
	UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;
typedef struct _GROUP_AFFINITY {
	KAFFINITY Mask;
	USHORT Group;
	USHORT Reserved[3];
} GROUP_AFFINITY, *PGROUP_AFFINITY;
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber);
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCountEx(USHORT GroupNumber);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCount(VOID);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCountEx(USHORT GroupNumber);
NTKERNELAPI USHORT NTAPI KeQueryActiveGroupCount(VOID);
NTKERNELAPI USHORT NTAPI KeQueryMaximumGroupCount(VOID);
NTKERNELAPI ULONG NTAPI KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber);
NTKERNELAPI NTSTATUS NTAPI KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber);
NTKERNELAPI KAFFINITY NTAPI KeQueryActiveProcessors(VOID);
#define KeGetCurrentNodeNumber() ((USHORT)0)

/* ---- UUIDs: deterministic per run (derived from the run's object ids) ---- */
NTKERNELAPI NTSTATUS NTAPI ExUuidCreate(UUID *Uuid);

/* ---- registry: the values of the build's registry file ----
 * (nmrsim-build --registry, sim/kernel/registry.h; empty without one).
 * RtlQueryRegistryValues as documented: a RTL_QUERY_REGISTRY_REQUIRED value
 * that is not there fails the call with STATUS_OBJECT_NAME_NOT_FOUND, others
 * fall back to their default (REG_NONE: left untouched). */
#define REG_NONE 0
#define REG_SZ 1
#define REG_EXPAND_SZ 2
#define REG_BINARY 3
#define REG_DWORD 4
#define REG_DWORD_LITTLE_ENDIAN 4
#define REG_DWORD_BIG_ENDIAN 5
#define REG_LINK 6
#define REG_MULTI_SZ 7
#define REG_QWORD 11
#define RTL_REGISTRY_ABSOLUTE 0
#define RTL_REGISTRY_SERVICES 1
#define RTL_REGISTRY_CONTROL 2
#define RTL_REGISTRY_WINDOWS_NT 3
#define RTL_REGISTRY_DEVICEMAP 4
#define RTL_REGISTRY_USER 5
#define RTL_REGISTRY_MAXIMUM 6
#define RTL_REGISTRY_HANDLE 0x40000000
#define RTL_REGISTRY_OPTIONAL 0x80000000
#define RTL_QUERY_REGISTRY_SUBKEY 0x00000001
#define RTL_QUERY_REGISTRY_TOPKEY 0x00000002
#define RTL_QUERY_REGISTRY_REQUIRED 0x00000004
#define RTL_QUERY_REGISTRY_NOVALUE 0x00000008
#define RTL_QUERY_REGISTRY_NOEXPAND 0x00000010
#define RTL_QUERY_REGISTRY_DIRECT 0x00000020
#define RTL_QUERY_REGISTRY_DELETE 0x00000040
#define RTL_QUERY_REGISTRY_NOSTRING 0x00000080
#define RTL_QUERY_REGISTRY_TYPECHECK 0x00000100
#define RTL_QUERY_REGISTRY_TYPECHECK_SHIFT 24
typedef NTSTATUS RTL_QUERY_REGISTRY_ROUTINE(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength,
					     PVOID Context, PVOID EntryContext);
typedef RTL_QUERY_REGISTRY_ROUTINE *PRTL_QUERY_REGISTRY_ROUTINE;
typedef struct _RTL_QUERY_REGISTRY_TABLE {
	PRTL_QUERY_REGISTRY_ROUTINE QueryRoutine;
	ULONG Flags;
	PWSTR Name;
	PVOID EntryContext;
	ULONG DefaultType;
	PVOID DefaultData;
	ULONG DefaultLength;
} RTL_QUERY_REGISTRY_TABLE, *PRTL_QUERY_REGISTRY_TABLE;
NTSYSAPI NTSTATUS NTAPI RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
					       PVOID Context, PVOID Environment);

/* ---- registry keys: ZwOpenKey, ZwQueryValueKey (ZwClose closes them) ----
 * Over the same registry as RtlQueryRegistryValues (read-only: no
 * ZwCreateKey or ZwSetValueKey). */
#ifndef STANDARD_RIGHTS_READ
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#endif
#define KEY_QUERY_VALUE 0x0001
#define KEY_SET_VALUE 0x0002
#define KEY_CREATE_SUB_KEY 0x0004
#define KEY_ENUMERATE_SUB_KEYS 0x0008
#define KEY_NOTIFY 0x0010
#define KEY_CREATE_LINK 0x0020
#define KEY_WOW64_32KEY 0x0200
#define KEY_WOW64_64KEY 0x0100
#define KEY_READ ((STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY) & (~SYNCHRONIZE))
#define KEY_WRITE ((STANDARD_RIGHTS_WRITE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY) & (~SYNCHRONIZE))
#define KEY_EXECUTE ((KEY_READ) & (~SYNCHRONIZE))
#define KEY_ALL_ACCESS \
	((STANDARD_RIGHTS_ALL | KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_ENUMERATE_SUB_KEYS | \
	  KEY_NOTIFY | KEY_CREATE_LINK) & (~SYNCHRONIZE))

typedef enum _KEY_VALUE_INFORMATION_CLASS {
	KeyValueBasicInformation,
	KeyValueFullInformation,
	KeyValuePartialInformation,
	KeyValueFullInformationAlign64,
	KeyValuePartialInformationAlign64,
	KeyValueLayerInformation,
	MaxKeyValueInfoClass
} KEY_VALUE_INFORMATION_CLASS;

typedef struct _KEY_VALUE_BASIC_INFORMATION {
	ULONG TitleIndex;
	ULONG Type;
	ULONG NameLength;
	WCHAR Name[1];
} KEY_VALUE_BASIC_INFORMATION, *PKEY_VALUE_BASIC_INFORMATION;

typedef struct _KEY_VALUE_FULL_INFORMATION {
	ULONG TitleIndex;
	ULONG Type;
	ULONG DataOffset;
	ULONG DataLength;
	ULONG NameLength;
	WCHAR Name[1];
} KEY_VALUE_FULL_INFORMATION, *PKEY_VALUE_FULL_INFORMATION;

typedef struct _KEY_VALUE_PARTIAL_INFORMATION {
	ULONG TitleIndex;
	ULONG Type;
	ULONG DataLength;
	UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION, *PKEY_VALUE_PARTIAL_INFORMATION;

typedef struct _KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 {
	ULONG Type;
	ULONG DataLength;
	UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, *PKEY_VALUE_PARTIAL_INFORMATION_ALIGN64;

NTSYSAPI NTSTATUS NTAPI ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes);
NTSYSAPI NTSTATUS NTAPI ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
					KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
					ULONG Length, PULONG ResultLength);
#define NtOpenKey ZwOpenKey
#define NtQueryValueKey ZwQueryValueKey

/* ---- versions: nmrsim answers as the newest Windows ---- */
FORCEINLINE BOOLEAN RtlIsNtDdiVersionAvailable(ULONG Version) { (void)Version; return TRUE; }
FORCEINLINE BOOLEAN RtlIsServicePackVersionInstalled(ULONG Version) { (void)Version; return TRUE; }

/* ---- Read/Write accessors (WDK: ReadULongAcquire, WritePointerRelease, ...) ---- */
FORCEINLINE UCHAR ReadUCharAcquire(UCHAR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE UCHAR ReadUCharNoFence(UCHAR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE UCHAR ReadUCharRaw(UCHAR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteUCharRelease(UCHAR volatile *Destination, UCHAR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteUCharNoFence(UCHAR volatile *Destination, UCHAR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteUCharRaw(UCHAR volatile *Destination, UCHAR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE USHORT ReadUShortAcquire(USHORT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE USHORT ReadUShortNoFence(USHORT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE USHORT ReadUShortRaw(USHORT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteUShortRelease(USHORT volatile *Destination, USHORT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteUShortNoFence(USHORT volatile *Destination, USHORT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteUShortRaw(USHORT volatile *Destination, USHORT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE ULONG ReadULongAcquire(ULONG const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE ULONG ReadULongNoFence(ULONG const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE ULONG ReadULongRaw(ULONG const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteULongRelease(ULONG volatile *Destination, ULONG Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteULongNoFence(ULONG volatile *Destination, ULONG Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteULongRaw(ULONG volatile *Destination, ULONG Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE ULONG64 ReadULong64Acquire(ULONG64 const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE ULONG64 ReadULong64NoFence(ULONG64 const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE ULONG64 ReadULong64Raw(ULONG64 const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteULong64Release(ULONG64 volatile *Destination, ULONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteULong64NoFence(ULONG64 volatile *Destination, ULONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteULong64Raw(ULONG64 volatile *Destination, ULONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE BOOLEAN ReadBooleanAcquire(BOOLEAN const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE BOOLEAN ReadBooleanNoFence(BOOLEAN const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE BOOLEAN ReadBooleanRaw(BOOLEAN const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteBooleanRelease(BOOLEAN volatile *Destination, BOOLEAN Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteBooleanNoFence(BOOLEAN volatile *Destination, BOOLEAN Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteBooleanRaw(BOOLEAN volatile *Destination, BOOLEAN Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE LONG64 ReadLong64Acquire(LONG64 const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE LONG64 ReadLong64NoFence(LONG64 const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE LONG64 ReadLong64Raw(LONG64 const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteLong64Release(LONG64 volatile *Destination, LONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteLong64NoFence(LONG64 volatile *Destination, LONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteLong64Raw(LONG64 volatile *Destination, LONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE LONG_PTR ReadLongPtrAcquire(LONG_PTR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE LONG_PTR ReadLongPtrNoFence(LONG_PTR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE LONG_PTR ReadLongPtrRaw(LONG_PTR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteLongPtrRelease(LONG_PTR volatile *Destination, LONG_PTR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteLongPtrNoFence(LONG_PTR volatile *Destination, LONG_PTR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteLongPtrRaw(LONG_PTR volatile *Destination, LONG_PTR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE ULONG_PTR ReadULongPtrAcquire(ULONG_PTR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE ULONG_PTR ReadULongPtrNoFence(ULONG_PTR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE ULONG_PTR ReadULongPtrRaw(ULONG_PTR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteULongPtrRelease(ULONG_PTR volatile *Destination, ULONG_PTR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteULongPtrNoFence(ULONG_PTR volatile *Destination, ULONG_PTR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteULongPtrRaw(ULONG_PTR volatile *Destination, ULONG_PTR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE SIZE_T ReadSizeTAcquire(SIZE_T const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE SIZE_T ReadSizeTNoFence(SIZE_T const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE SIZE_T ReadSizeTRaw(SIZE_T const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteSizeTRelease(SIZE_T volatile *Destination, SIZE_T Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteSizeTNoFence(SIZE_T volatile *Destination, SIZE_T Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteSizeTRaw(SIZE_T volatile *Destination, SIZE_T Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE PVOID ReadPointerRaw(PVOID const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WritePointerRaw(PVOID volatile *Destination, PVOID Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE INT ReadIntAcquire(INT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE INT ReadIntNoFence(INT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE INT ReadIntRaw(INT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteIntRelease(INT volatile *Destination, INT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE VOID WriteIntNoFence(INT volatile *Destination, INT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteIntRaw(INT volatile *Destination, INT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE CHAR ReadNoFence8(CHAR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE CHAR ReadAcquire8(CHAR const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE VOID WriteNoFence8(CHAR volatile *Destination, CHAR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteRelease8(CHAR volatile *Destination, CHAR Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE SHORT ReadNoFence16(SHORT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE SHORT ReadAcquire16(SHORT const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE VOID WriteNoFence16(SHORT volatile *Destination, SHORT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteRelease16(SHORT volatile *Destination, SHORT Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE LONG64 ReadAcquire64(LONG64 const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE VOID WriteNoFence64(LONG64 volatile *Destination, LONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteRelease64(LONG64 volatile *Destination, LONG64 Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE LONG ReadRaw(LONG const volatile *Source) { return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteRaw(LONG volatile *Destination, LONG Value) { __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }

#endif
