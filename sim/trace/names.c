/* names.c - the names of the enums events carry (names.h): one table each.
 * A value outside its enum gets a placeholder, never NULL, so a corrupt event
 * still renders. */
#include "trace/names.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

const char *ev_kind_name(enum ev_kind k)
{
	static const char *const names[EV_KIND_COUNT] = {
		[EV_THREAD_START] = "thread-start",
		[EV_THREAD_END] = "thread-end",
		[EV_SWITCH] = "switch",
		[EV_BLOCK] = "block",
		[EV_WAKE] = "wake",
		[EV_OP] = "op",
		[EV_API_ENTER] = "api-enter",
		[EV_API_EXIT] = "api-exit",
		[EV_CB_ENTER] = "cb-enter",
		[EV_CB_EXIT] = "cb-exit",
		[EV_CALL_ENTER] = "call-enter",
		[EV_CALL_EXIT] = "call-exit",
		[EV_IRQL] = "irql",
		[EV_UNLOAD_ENTER] = "unload-enter",
		[EV_UNLOAD_EXIT] = "unload-exit",
		[EV_MUTATE] = "mutate",
		[EV_CHOICE] = "choice",
		[EV_DEREG_COMPLETE] = "dereg-complete",
		[EV_DPRINT] = "dprint",
		[EV_FINDING] = "finding",
		[EV_KERNEL] = "kernel",
		[EV_LOAD_ENTER] = "load-enter",
		[EV_LOAD_EXIT] = "load-exit",
	};
	return (unsigned)k < EV_KIND_COUNT ? names[k] : "?";
}

const char *nmr_api_name(enum nmr_api a)
{
	static const char *const names[API_COUNT] = {
		[API_REGISTER_CLIENT] = "NmrRegisterClient",
		[API_REGISTER_PROVIDER] = "NmrRegisterProvider",
		[API_DEREGISTER_CLIENT] = "NmrDeregisterClient",
		[API_DEREGISTER_PROVIDER] = "NmrDeregisterProvider",
		[API_WAIT_CLIENT] = "NmrWaitForClientDeregisterComplete",
		[API_WAIT_PROVIDER] = "NmrWaitForProviderDeregisterComplete",
		[API_CLIENT_ATTACH_PROVIDER] = "NmrClientAttachProvider",
		[API_CLIENT_DETACH_COMPLETE] = "NmrClientDetachProviderComplete",
		[API_PROVIDER_DETACH_COMPLETE] = "NmrProviderDetachClientComplete",
	};
	return (unsigned)a < API_COUNT ? names[a] : "Nmr?";
}

const char *nmr_cb_name(enum nmr_cb c)
{
	static const char *const names[CB_COUNT] = {
		[CB_CLIENT_ATTACH] = "ClientAttachProvider",
		[CB_PROVIDER_ATTACH] = "ProviderAttachClient",
		[CB_CLIENT_DETACH] = "ClientDetachProvider",
		[CB_PROVIDER_DETACH] = "ProviderDetachClient",
		[CB_CLIENT_CLEANUP] = "ClientCleanupBindingContext",
		[CB_PROVIDER_CLEANUP] = "ProviderCleanupBindingContext",
	};
	return (unsigned)c < CB_COUNT ? names[c] : "Callback?";
}

const char *block_reason_name(enum block_reason b)
{
	static const char *const names[BLOCK_COUNT] = {
		[BLOCK_NONE] = "none",
		[BLOCK_DEREG_WAIT] = "dereg-wait",
		[BLOCK_SLEEP] = "sleep",
		[BLOCK_WORK] = "work",
		[BLOCK_EVENT] = "event",
		[BLOCK_SPINLOCK] = "spinlock",
		[BLOCK_MUTEX] = "fast-mutex",
		[BLOCK_PUSHLOCK] = "push-lock",
		[BLOCK_RUNDOWN] = "rundown",
		[BLOCK_THREAD] = "thread",
		[BLOCK_TIMER] = "timer",
		[BLOCK_DELAY] = "delay",
		[BLOCK_DPC_FLUSH] = "dpc-flush",
		[BLOCK_DRIVER_ENTRY] = "driver-entry",
		[BLOCK_REMOVE_LOCK] = "remove-lock",
	};
	return (unsigned)b < BLOCK_COUNT ? names[b] : "?";
}

const char *ke_api_name(enum ke_api a)
{
	static const char *const names[KE_API_COUNT] = {
#define KE_API_NAME(name) [KE_##name] = #name,
		KE_API_LIST(KE_API_NAME)
#undef KE_API_NAME
	};
	return (unsigned)a < KE_API_COUNT ? names[a] : "Ke?";
}

const char *atomic_access_text(uint32_t aux, char *buf, size_t cap)
{
	static const char *const names[ATOMIC_OP_COUNT] = {
		[ATOMIC_LOAD] = "ReadAcquire (atomic read)", [ATOMIC_STORE] = "WriteRelease (atomic write)",
		[ATOMIC_EXCHANGE] = "InterlockedExchange", [ATOMIC_ADD] = "InterlockedExchangeAdd",
		[ATOMIC_SUB] = "InterlockedExchangeAdd (subtract)", [ATOMIC_AND] = "InterlockedAnd",
		[ATOMIC_OR] = "InterlockedOr", [ATOMIC_XOR] = "InterlockedXor", [ATOMIC_NAND] = "atomic nand",
		[ATOMIC_CMPXCHG] = "InterlockedCompareExchange", [ATOMIC_VOLATILE_READ] = "volatile read",
		[ATOMIC_VOLATILE_WRITE] = "volatile write",
	};
	unsigned op = aux & 0xfu, bytes = 1u << ((aux >> 4) & 0xfu);
	bool interlocked = op >= ATOMIC_EXCHANGE && op <= ATOMIC_CMPXCHG && op != ATOMIC_NAND;
	const char *name = op < ATOMIC_OP_COUNT ? names[op] : "atomic ?";
	/* An add or subtract of one is what InterlockedIncrement/Decrement compile to. */
	if ((op == ATOMIC_ADD && (aux & ATOMIC_AUX_ONE)) || (op == ATOMIC_SUB && (aux & ATOMIC_AUX_MINUS_ONE)))
		name = "InterlockedIncrement";
	else if ((op == ATOMIC_SUB && (aux & ATOMIC_AUX_ONE)) || (op == ATOMIC_ADD && (aux & ATOMIC_AUX_MINUS_ONE)))
		name = "InterlockedDecrement";
	const char *suffix = !interlocked || bytes == 4 ? "" : bytes == 1 ? "8" : bytes == 2 ? "16" : bytes == 8 ? "64" : "128";
	size_t word = strcspn(name, " ");
	snprintf(buf, cap, "%.*s%s%s (%u bytes)", (int)word, name, suffix, name + word, bytes);
	return buf;
}

const char *ntstatus_name(int32_t status, char buf[16])
{
	switch ((uint32_t)status) {
	case 0x00000000u: return "STATUS_SUCCESS";
	case 0x00000102u: return "STATUS_TIMEOUT";
	case 0x00000103u: return "STATUS_PENDING";
	case 0x80000005u: return "STATUS_BUFFER_OVERFLOW";
	case 0x80000011u: return "STATUS_DEVICE_BUSY";
	case 0x8000001Au: return "STATUS_NO_MORE_ENTRIES";
	case 0xC0000001u: return "STATUS_UNSUCCESSFUL";
	case 0xC0000002u: return "STATUS_NOT_IMPLEMENTED";
	case 0xC0000003u: return "STATUS_INVALID_INFO_CLASS";
	case 0xC0000004u: return "STATUS_INFO_LENGTH_MISMATCH";
	case 0xC0000008u: return "STATUS_INVALID_HANDLE";
	case 0xC000000Du: return "STATUS_INVALID_PARAMETER";
	case 0xC0000010u: return "STATUS_INVALID_DEVICE_REQUEST";
	case 0xC0000017u: return "STATUS_NO_MEMORY";
	case 0xC0000022u: return "STATUS_ACCESS_DENIED";
	case 0xC0000023u: return "STATUS_BUFFER_TOO_SMALL";
	case 0xC0000024u: return "STATUS_OBJECT_TYPE_MISMATCH";
	case 0xC0000033u: return "STATUS_OBJECT_NAME_INVALID";
	case 0xC0000034u: return "STATUS_OBJECT_NAME_NOT_FOUND";
	case 0xC0000035u: return "STATUS_OBJECT_NAME_COLLISION";
	case 0xC000003Au: return "STATUS_OBJECT_PATH_NOT_FOUND";
	case 0xC0000046u: return "STATUS_MUTANT_NOT_OWNED";
	case 0xC0000047u: return "STATUS_SEMAPHORE_LIMIT_EXCEEDED";
	case 0xC0000056u: return "STATUS_DELETE_PENDING";
	case 0xC0000095u: return "STATUS_INTEGER_OVERFLOW";
	case 0xC000009Au: return "STATUS_INSUFFICIENT_RESOURCES";
	case 0xC00000A3u: return "STATUS_DEVICE_NOT_READY";
	case 0xC00000B5u: return "STATUS_IO_TIMEOUT";
	case 0xC00000BBu: return "STATUS_NOT_SUPPORTED";
	case 0xC00000EFu: return "STATUS_INVALID_PARAMETER_1";
	case 0xC00000F0u: return "STATUS_INVALID_PARAMETER_2";
	case 0xC00000F1u: return "STATUS_INVALID_PARAMETER_3";
	case 0xC0000120u: return "STATUS_CANCELLED";
	case 0xC0000128u: return "STATUS_FILE_CLOSED";
	case 0xC0000141u: return "STATUS_INVALID_ADDRESS";
	case 0xC0000148u: return "STATUS_INVALID_LEVEL";
	case 0xC0000184u: return "STATUS_INVALID_DEVICE_STATE";
	case 0xC0000189u: return "STATUS_TOO_LATE";
	case 0xC0000206u: return "STATUS_INVALID_BUFFER_SIZE";
	case 0xC000020Au: return "STATUS_ADDRESS_ALREADY_EXISTS";
	case 0xC000020Du: return "STATUS_CONNECTION_RESET";
	case 0xC0000225u: return "STATUS_NOT_FOUND";
	case 0xC000022Du: return "STATUS_RETRY";
	case 0xC0000236u: return "STATUS_CONNECTION_REFUSED";
	case 0xC000023Cu: return "STATUS_NETWORK_UNREACHABLE";
	case 0xC000023Du: return "STATUS_HOST_UNREACHABLE";
	case 0xC000023Fu: return "STATUS_PORT_UNREACHABLE";
	case 0xC0000240u: return "STATUS_REQUEST_ABORTED";
	case 0xC0000241u: return "STATUS_CONNECTION_ABORTED";
	case 0xC00002B6u: return "STATUS_DEVICE_REMOVED";
	case 0xC00002B9u: return "STATUS_NOINTERFACE";
	case 0xC00002FEu: return "STATUS_SHUTDOWN_IN_PROGRESS";
	default:
		snprintf(buf, 16, "0x%08X", (unsigned)(uint32_t)status);
		return buf;
	}
}

bool nmr_api_returns_void(enum nmr_api a)
{
	return a == API_CLIENT_DETACH_COMPLETE || a == API_PROVIDER_DETACH_COMPLETE;
}

bool ke_api_returns_void(enum ke_api a)
{
	switch (a) {
	case KE_ExWaitForRundownProtectionRelease: case KE_ExReleaseRundownProtection:
	case KE_ExInitializeRundownProtection: case KE_ExReInitializeRundownProtection: case KE_ExRundownCompleted:
	case KE_KeAcquireSpinLock: case KE_KeReleaseSpinLock: case KE_KeAcquireSpinLockAtDpcLevel:
	case KE_KeReleaseSpinLockFromDpcLevel: case KE_KeAcquireInStackQueuedSpinLock:
	case KE_KeReleaseInStackQueuedSpinLock: case KE_KeAcquireInStackQueuedSpinLockAtDpcLevel:
	case KE_KeReleaseInStackQueuedSpinLockFromDpcLevel: case KE_ExAcquirePushLockExclusive:
	case KE_ExAcquirePushLockShared: case KE_ExReleasePushLockExclusive: case KE_ExReleasePushLockShared:
	case KE_ExReleasePushLock: case KE_ExAcquireFastMutex: case KE_ExReleaseFastMutex:
	case KE_ExReleaseResourceLite: case KE_ExReleaseSpinLockExclusive: case KE_ExReleaseSpinLockShared:
	case KE_ExFreePoolWithTag: case KE_ExFreePool: case KE_IoDeleteDevice: case KE_IoFreeWorkItem:
	case KE_IoQueueWorkItem: case KE_ExQueueWorkItem: case KE_KeFlushQueuedDpcs:
	case KE_KeAcquireGuardedMutex: case KE_KeReleaseGuardedMutex: case KE_IoReleaseRemoveLock:
	case KE_IoReleaseRemoveLockAndWait: case KE_ExFreeCacheAwareRundownProtection:
	case KE_ExInitializeRundownProtectionCacheAware: case KE_ExReleaseRundownProtectionCacheAware:
	case KE_ExWaitForRundownProtectionReleaseCacheAware: case KE_ExReInitializeRundownProtectionCacheAware:
	case KE_ExRundownCompletedCacheAware:
		return true;
	default:
		return false;
	}
}

const char *nmr_role_name(unsigned role)
{
	return role ? "provider" : "client";
}

const char *block_reason_text(enum block_reason b)
{
	static const char *const text[BLOCK_COUNT] = {
		[BLOCK_NONE] = "blocks", [BLOCK_DEREG_WAIT] = "blocks: waiting for deregistration",
		[BLOCK_SLEEP] = "blocks: in a wait nothing signals", [BLOCK_WORK] = "blocks: waiting for work",
		[BLOCK_EVENT] = "blocks: waiting for event", [BLOCK_SPINLOCK] = "spins: spin lock held elsewhere",
		[BLOCK_MUTEX] = "blocks: fast mutex owned elsewhere", [BLOCK_PUSHLOCK] = "blocks: push lock held elsewhere",
		[BLOCK_RUNDOWN] = "blocks: waiting for rundown release", [BLOCK_THREAD] = "blocks: waiting for thread",
		[BLOCK_TIMER] = "blocks: waiting for timer", [BLOCK_DELAY] = "blocks: delay",
		[BLOCK_DPC_FLUSH] = "blocks: flushing queued DPCs",
		[BLOCK_DRIVER_ENTRY] = "blocks: unload waits for DriverEntry to return",
		[BLOCK_REMOVE_LOCK] = "blocks: waiting for remove lock release",
	};
	return (unsigned)b < BLOCK_COUNT ? text[b] : "blocks";
}

/* The named levels, by value (wdm.h: PASSIVE_LEVEL 0, APC_LEVEL 1,
 * DISPATCH_LEVEL 2, HIGH_LEVEL 15). */
static const char *irql_known(unsigned irql)
{
	switch (irql) {
	case 0: return "PASSIVE";
	case 1: return "APC";
	case 2: return "DISPATCH";
	case 15: return "HIGH";
	default: return NULL;
	}
}

const char *irql_name(unsigned irql, char buf[8])
{
	const char *name = irql_known(irql);
	if (name)
		return name;
	snprintf(buf, 8, "%u", irql & 0xffu);
	return buf;
}

const char *irql_level_name(unsigned irql, char buf[8])
{
	switch (irql) {
	case 0: return "PASSIVE_LEVEL";
	case 1: return "APC_LEVEL";
	case 2: return "DISPATCH_LEVEL";
	case 15: return "HIGH_LEVEL";
	default: return irql_name(irql, buf);
	}
}

const char *crash_signal_name(int sig)
{
	switch (sig) {
	case 0: return "sanitizer";
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	default: return "signal";
	}
}

/* Bit i of enum chars_bad: the timeline's key and the report's text. */
static const struct {
	const char *key;
	const char *text;
} chars_bad_names[CHARS_BAD_BITS] = {
	{ "version", "characteristics Version != 0" },
	{ "length", "characteristics Length or registration instance Size smaller than its structure" },
	{ "attach", "attach callback NULL" },
	{ "detach", "detach callback NULL" },
	{ "npiid", "registration instance NpiId NULL" },
	{ "moduleid", "registration instance ModuleId NULL" },
	{ "instance-version", "registration instance Version != 0" },
};

_Static_assert(CHARS_BAD_RI_VERSION_BIT == 1u << (CHARS_BAD_BITS - 1), "one name per enum chars_bad bit");

const char *chars_bad_key(unsigned i)
{
	return i < CHARS_BAD_BITS ? chars_bad_names[i].key : NULL;
}

void chars_bad_text(uint32_t bits, char *buf, size_t cap)
{
	size_t n = 0;
	if (!cap)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < CHARS_BAD_BITS; i++)
		if (bits & (1u << i) && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", chars_bad_names[i].text);
	if (bits >> CHARS_BAD_BITS && n < cap)
		snprintf(buf + n, cap - n, "%sbits 0x%x", n ? ", " : "", bits >> CHARS_BAD_BITS << CHARS_BAD_BITS);
}
