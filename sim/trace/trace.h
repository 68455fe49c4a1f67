/* trace.h - the event log of a run.
 *
 * Every observable thing a run does is one event: an NMR API entered or
 * returned, a callback delivered or returned, a dispatch call, a thread
 * switch, block or wake, an operation started, a finding. Events carry no
 * addresses, only small ids (thread, module, registration and binding slots,
 * handle values that the model generates), so a trace and its hash are the
 * same on every build and machine.
 *
 * The log keeps the first TRACE_EVENTS_MAX events for rendering; the hash
 * covers all of them. An observer (the oracle, installed by the run) is fed
 * each event as it is appended: the trace never calls upward by name.
 *
 * Trace hash (part of the trace format: trace files store it). Start with
 * h = 0xcbf29ce484222325 (the hash of an empty trace); for each event, build
 * four 64-bit words from its fields (bit 0 = least significant; never from
 * the struct's bytes, so no padding and no byte order):
 *   w0 = step | kind << 32 | thread << 40 | irql << 48 | what << 56
 *   w1 = module | peer << 8 | binding << 16 | handle << 32
 *   w2 = reg | (uint32_t)status << 32
 *   w3 = arg | aux << 32
 * and for w = w0, w1, w2, w3 in turn (arithmetic mod 2^64):
 *   h = (h ^ w) * 0xbf58476d1ce4e5b9;  h = h ^ (h >> 32);
 * Each step is invertible in h and injective in w, so traces of the same
 * length that differ in a single event never share a hash.
 */
#ifndef NMRSIM_TRACE_H
#define NMRSIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"

enum ev_kind {
	EV_THREAD_START = 0, /* a simulated thread starts (what = enum sim_thread_kind) */
	EV_THREAD_END,       /* it finished */
	EV_SWITCH,           /* the scheduler switched to this event's thread (arg = previous thread) */
	EV_BLOCK,            /* thread blocks (what = enum block_reason, arg = object: registration slot or 0xffff) */
	EV_WAKE,             /* thread became runnable again */
	EV_OP,               /* a scripted operation starts (what = enum scn_op_kind, arg = op index) */
	EV_API_ENTER,        /* an NMR API entered (what = enum nmr_api) */
	EV_API_EXIT,         /* it returned (status) */
	EV_CB_ENTER,         /* the registrar delivers a callback (what = enum nmr_cb) */
	EV_CB_EXIT,          /* the module's callback returned (status; VOID callbacks 0) */
	EV_CALL_ENTER,       /* a module enters its peer's dispatch table */
	EV_CALL_EXIT,        /* it returned */
	EV_IRQL,             /* the thread's IRQL changed (arg = old IRQL) */
	EV_UNLOAD_ENTER,     /* a driver's Unload starts */
	EV_UNLOAD_EXIT,      /* it returned */
	EV_MUTATE,           /* a module changed its characteristics (M03 probe) */
	EV_CHOICE,           /* the registrar took a freedom (what = enum choice_kind, arg = option) */
	EV_DEREG_COMPLETE,   /* the registrar considers registration `reg` fully deregistered (Wait may return) */
	EV_DPRINT,           /* a module's debug print (arg = index into the run's message table) */
	EV_FINDING,          /* the oracle reported a violation (what = enum rule) */
	EV_LOAD_ENTER,       /* a hosted driver's DriverEntry starts (module) */
	EV_LOAD_EXIT,        /* it returned (status); a failure unloads the image */
	EV_KERNEL,           /* a kernel-shim routine that matters for a timeline (what = enum ke_api) */
	EV_KIND_COUNT
};

enum sim_thread_kind {
	THREAD_SCRIPT = 0, THREAD_NMR_WORKER, THREAD_MOD_WORKER,
	THREAD_DPC,        /* kernel shim: runs DPCs and timer DPCs at DISPATCH_LEVEL */
	THREAD_IO_WORKER,  /* kernel shim: runs IoQueueWorkItem / ExQueueWorkItem items at PASSIVE_LEVEL */
	THREAD_SYSTEM,     /* kernel shim: a PsCreateSystemThread thread */
};

enum block_reason {
	BLOCK_NONE = 0,
	BLOCK_DEREG_WAIT,  /* NmrWaitFor*DeregisterComplete (arg = registration slot) */
	BLOCK_SLEEP,       /* a module's blocking wait that nothing signals (M10 probe) */
	BLOCK_WORK,        /* a worker with an empty queue */
	BLOCK_EVENT,       /* KeWaitFor*Object on events (arg = first object id) */
	BLOCK_SPINLOCK,    /* spinning on a spin lock another thread holds (arg = lock id) */
	BLOCK_MUTEX,       /* ExAcquireFastMutex on an owned mutex (arg = mutex id) */
	BLOCK_PUSHLOCK,    /* ExAcquirePushLock* on a held push lock (arg = lock id) */
	BLOCK_RUNDOWN,     /* ExWaitForRundownProtectionRelease (arg = rundown id) */
	BLOCK_THREAD,      /* KeWaitForSingleObject on a thread object (arg = its id) */
	BLOCK_TIMER,       /* KeWaitFor*Object on a timer (arg = timer id) */
	BLOCK_DELAY,       /* KeDelayExecutionThread (arg = 0) */
	BLOCK_DPC_FLUSH,   /* KeFlushQueuedDpcs until the DPC queue drained */
	BLOCK_DRIVER_ENTRY,/* an unload waits for the driver's DriverEntry to return (arg = module) */
	BLOCK_REMOVE_LOCK, /* IoReleaseRemoveLockAndWait until the other acquisitions are released (arg = lock id) */
	BLOCK_COUNT
};

enum nmr_api {
	API_REGISTER_CLIENT = 0, API_REGISTER_PROVIDER,
	API_DEREGISTER_CLIENT, API_DEREGISTER_PROVIDER,
	API_WAIT_CLIENT, API_WAIT_PROVIDER,
	API_CLIENT_ATTACH_PROVIDER,
	API_CLIENT_DETACH_COMPLETE, API_PROVIDER_DETACH_COMPLETE,
	API_COUNT
};

enum nmr_cb {
	CB_CLIENT_ATTACH = 0, CB_PROVIDER_ATTACH,
	CB_CLIENT_DETACH, CB_PROVIDER_DETACH,
	CB_CLIENT_CLEANUP, CB_PROVIDER_CLEANUP,
	CB_COUNT
};

/* Kernel-shim routines (EV_KERNEL what, and the site of K-rule findings).
 * Entries after KeBugCheckEx are not routines but places in the shim. */
#define KE_API_LIST(X) \
	X(KeRaiseIrql) X(KeLowerIrql) X(KeRaiseIrqlToDpcLevel) X(KeEnterCriticalRegion) X(KeLeaveCriticalRegion) \
	X(KeInitializeSpinLock) X(KeAcquireSpinLock) X(KeReleaseSpinLock) X(KeAcquireSpinLockAtDpcLevel) \
	X(KeReleaseSpinLockFromDpcLevel) X(KeTryToAcquireSpinLockAtDpcLevel) \
	X(KeAcquireInStackQueuedSpinLock) X(KeReleaseInStackQueuedSpinLock) \
	X(KeAcquireInStackQueuedSpinLockAtDpcLevel) X(KeReleaseInStackQueuedSpinLockFromDpcLevel) \
	X(ExInitializePushLock) X(ExAcquirePushLockExclusive) X(ExAcquirePushLockShared) \
	X(ExReleasePushLockExclusive) X(ExReleasePushLockShared) X(ExReleasePushLock) \
	X(ExInitializeFastMutex) X(ExAcquireFastMutex) X(ExReleaseFastMutex) X(ExTryToAcquireFastMutex) \
	X(KeInitializeEvent) X(KeSetEvent) X(KeClearEvent) X(KeResetEvent) X(KeReadStateEvent) X(KePulseEvent) \
	X(KeWaitForSingleObject) X(KeWaitForMultipleObjects) X(KeDelayExecutionThread) \
	X(ExInitializeRundownProtection) X(ExAcquireRundownProtection) X(ExReleaseRundownProtection) \
	X(ExWaitForRundownProtectionRelease) X(ExReInitializeRundownProtection) X(ExRundownCompleted) \
	X(ExAllocatePool2) X(ExAllocatePoolWithTag) X(ExAllocatePoolZero) X(ExFreePoolWithTag) X(ExFreePool) \
	X(IoCreateDevice) X(IoDeleteDevice) X(IoAllocateWorkItem) X(IoFreeWorkItem) X(IoQueueWorkItem) \
	X(ExQueueWorkItem) \
	X(KeInitializeTimer) X(KeSetTimer) X(KeCancelTimer) X(KeReadStateTimer) \
	X(KeInitializeDpc) X(KeInsertQueueDpc) X(KeRemoveQueueDpc) X(KeFlushQueuedDpcs) \
	X(PsCreateSystemThread) X(PsTerminateSystemThread) X(ObReferenceObjectByHandle) \
	X(ObReferenceObject) X(ObDereferenceObject) X(ZwClose) \
	X(DbgPrint) X(RtlAssert) X(KeBugCheckEx) \
	X(DpcRoutine) X(TimerExpiry) X(WorkItemRoutine) X(SystemThread) X(CallbackReturn) X(UnloadReturn) \
	X(DriverEntryReturn) X(UnloadIgnored) X(DriverSpin) X(DriverEntry) \
	X(ExUuidCreate) X(RtlQueryRegistryValues) \
	X(ExInitializeLookasideList) X(ExAllocateFromLookasideList) X(ExFreeToLookasideList) X(ExDeleteLookasideList) \
	X(ExInitializeResourceLite) X(ExDeleteResourceLite) X(ExAcquireResourceExclusiveLite) \
	X(ExAcquireResourceSharedLite) X(ExReleaseResourceLite) X(ExConvertExclusiveToSharedLite) \
	X(ExAcquireSpinLockExclusive) X(ExAcquireSpinLockShared) X(ExReleaseSpinLockExclusive) \
	X(ExReleaseSpinLockShared) X(ExTryConvertSharedSpinLockExclusive) X(ExInterlockedList) \
	X(KeInitializeMutex) X(KeReleaseMutex) X(KeInitializeSemaphore) X(KeReleaseSemaphore) \
	X(DispatchUnguarded) X(ZwOpenKey) X(ZwQueryValueKey) \
	X(KeInitializeGuardedMutex) X(KeAcquireGuardedMutex) X(KeReleaseGuardedMutex) X(KeTryToAcquireGuardedMutex) \
	X(KeEnterGuardedRegion) X(KeLeaveGuardedRegion) \
	X(IoInitializeRemoveLock) X(IoAcquireRemoveLock) X(IoReleaseRemoveLock) X(IoReleaseRemoveLockAndWait) \
	X(ExAllocateCacheAwareRundownProtection) X(ExFreeCacheAwareRundownProtection) \
	X(ExInitializeRundownProtectionCacheAware) X(ExAcquireRundownProtectionCacheAware) \
	X(ExReleaseRundownProtectionCacheAware) X(ExWaitForRundownProtectionReleaseCacheAware) \
	X(ExReInitializeRundownProtectionCacheAware) X(ExRundownCompletedCacheAware) \
	X(AtomicAccess)

/* What an atomic or volatile access of driver code was (EV_KERNEL
 * KE_AtomicAccess, aux; `atomics preempt`, sim/host/atomic_point.h): bits
 * 0-3 the operation, bits 4-7 log2 of its size in bytes, bit 8 the operand
 * was 1, bit 9 it was -1 (an add or subtract of one is an Increment or a
 * Decrement; the timeline names it so). */
enum atomic_op {
	ATOMIC_LOAD = 0, ATOMIC_STORE, ATOMIC_EXCHANGE, ATOMIC_ADD, ATOMIC_SUB, ATOMIC_AND, ATOMIC_OR, ATOMIC_XOR,
	ATOMIC_NAND, ATOMIC_CMPXCHG, ATOMIC_VOLATILE_READ, ATOMIC_VOLATILE_WRITE, ATOMIC_OP_COUNT
};
#define ATOMIC_AUX_ONE 0x100u
#define ATOMIC_AUX_MINUS_ONE 0x200u

/* Why an `unload` op did nothing (EV_KERNEL KE_UnloadIgnored, aux). */
enum unload_ignored {
	UNLOAD_IGNORED_NOT_LOADED = 1, /* no DriverEntry ran yet (another thread loads it later, or never) */
	UNLOAD_IGNORED_LOAD_FAILED,    /* DriverEntry failed: the image is gone, Unload is never called */
	UNLOAD_IGNORED_NO_UNLOAD,      /* DriverEntry set no DriverUnload: the driver cannot be unloaded */
	UNLOAD_IGNORED_UNLOADING,      /* another thread is in its Unload */
	UNLOAD_IGNORED_UNLOADED,       /* its Unload returned already */
	UNLOAD_IGNORED_COUNT
};

/* Why a dispatch table was handed to the peer as it is, without guarding
 * (EV_KERNEL KE_DispatchUnguarded, aux; sim/host/guard.h): calls through it
 * are not seen (no M18/M19 for them). module = the module handed the table,
 * peer = its owner, binding, handle = the binding. */
enum guard_refusal {
	GUARD_REFUSED_EXTENT = 1,   /* not inside a driver's static object: its size is unknown */
	GUARD_REFUSED_SIZE,         /* larger than a guarded copy may be */
	GUARD_REFUSED_FOREIGN_CODE, /* a function pointer into code outside the hosted drivers */
	GUARD_REFUSED_CAPACITY,     /* the run's guarded tables or trampolines are spent */
	GUARD_REFUSED_ALIGN,        /* not pointer-aligned */
	GUARD_REFUSED_COUNT
};

enum ke_api {
#define KE_API_ENUM(name) KE_##name,
	KE_API_LIST(KE_API_ENUM)
#undef KE_API_ENUM
	KE_API_COUNT
};

#define EV_NONE8 0xffu
#define EV_NONE16 0xffffu

/* Field use per kind (everything unused is 0 / EV_NONE*):
 *
 * EV_API_ENTER   what=api, module=calling module, handle=handle argument (binding
 *                handle for ClientAttachProvider / *DetachComplete), reg=the
 *                calling module's current registration handle (0 if none).
 *                Register: peer=NPI index (first-seen order of NPIIDs),
 *                arg=malformation bits (enum chars_bad) of the characteristics,
 *                aux=digest of the characteristics and what they point to.
 * EV_API_EXIT    what=api, module, handle: Register -> the handle returned
 *                (0 on failure); others -> the handle argument again. status.
 *                Wait: aux=characteristics digest at return.
 *                ClientAttachProvider: arg=1 if *ProviderBindingContext and
 *                *ProviderDispatch were written.
 * EV_CB_ENTER    what=cb, module=receiving module, peer=the other module,
 *                handle=binding handle, reg=receiving registration handle,
 *                binding=slot, aux=receiving module's characteristics digest.
 *                Attach callbacks: arg=NPI index of the other side.
 * EV_CB_EXIT     what=cb, module, peer, handle, reg, binding, status (0 for
 *                VOID callbacks). Provider attach: arg=1 if both outputs were
 *                written. Client attach: arg=1 if NmrClientAttachProvider was
 *                called (inside this callback), aux=the status it returned.
 * EV_CALL_ENTER  module=caller, peer=callee module, handle=binding handle,
 *  / EV_CALL_EXIT binding=slot, arg=the function's ordinal in the guarded
 *                table (walk order); the returned value is in the event's
 *                trace_note (never hashed: a VOID function leaves rax undefined).
 * EV_DEREG_COMPLETE  module, reg=registration handle.
 * EV_UNLOAD_ENTER / EV_UNLOAD_EXIT  module; exit: aux=outstanding
 *                allocations of the module (M21), arg=outstanding work items.
 * EV_BLOCK       what=enum block_reason, arg=registration slot or EV_NONE16.
 * EV_SWITCH      arg=previous thread.
 * EV_OP          what=enum scn_op_kind, module, arg=op index.
 * EV_IRQL        arg=old IRQL; irql is the new one.
 * EV_FINDING     what=enum rule, module, handle, binding; arg=finding index.
 * EV_KERNEL      what=enum ke_api, module=the running module, arg=object id
 *                (0 if none), status=the routine's result where it has one,
 *                aux=per routine (pool: bytes; a DPC or work item run: 1 if
 *                skipped because its module was unloaded; KE_AtomicAccess:
 *                enum atomic_op and size, above).
 */
struct event {
	uint32_t step;    /* scheduling step at which it happened */
	uint8_t kind;     /* enum ev_kind */
	uint8_t thread;   /* simulated thread id */
	uint8_t irql;     /* that thread's IRQL */
	uint8_t what;     /* api / callback / op / rule / reason, per kind */
	uint8_t module;   /* scenario module index, EV_NONE8 if none */
	uint8_t peer;     /* the other module of a binding, or NPI index; EV_NONE8 if none */
	uint16_t binding; /* binding slot, EV_NONE16 if none */
	uint32_t handle;  /* handle value passed or returned (model-generated, not an address), 0 if none */
	uint32_t reg;     /* registration handle concerned, 0 if none */
	int32_t status;   /* NTSTATUS of exits */
	uint32_t arg;     /* per kind (see above) */
	uint32_t aux;     /* per kind (see above) */
	/* Not hashed (trace_emit reads the fields above only): the other side's
	 * registration handle of a callback (EV_CB_ENTER/EXIT), 0 otherwise. The oracle needs it when a module holds
	 * two registrations of one NPI and role; the hashed fields already
	 * tell every run apart, so no trace hash moved when it was added. */
	uint32_t peer_reg;
};

/* Malformations of characteristics found at NmrRegister* (EV_API_ENTER arg). */
enum chars_bad {
	CHARS_BAD_VERSION_BIT = 1u << 0, CHARS_BAD_LENGTH_BIT = 1u << 1,
	CHARS_BAD_ATTACH_BIT = 1u << 2, CHARS_BAD_DETACH_BIT = 1u << 3,
	CHARS_BAD_NPIID_BIT = 1u << 4, CHARS_BAD_MODULEID_BIT = 1u << 5,
	/* NPI_REGISTRATION_INSTANCE.Version != 0: the advisory M22, not M02 (a
	 * bit of its own so runs without it keep their events and hashes) */
	CHARS_BAD_RI_VERSION_BIT = 1u << 6,
};

/* Fed every event as it is appended (the run installs the oracle's). */
typedef void (*trace_observer_fn)(void *ctx, const struct event *e);

/* Text of EV_DPRINT events (not hashed: a print may format anything). */
#define TRACE_MESSAGE_BYTES 120
struct trace_messages {
	char (*text)[TRACE_MESSAGE_BYTES]; /* storage, cap entries */
	uint32_t cap;                      /* entries available */
	uint32_t count;                    /* prints seen (may exceed cap: not kept) */
};

/* What a timeline can say beside an event but a trace must not hold:
 * addresses (the driver's call site, an object's address) and values that
 * may be undefined (the eax of a VOID dispatch function). Kept per kept
 * event when the run provides storage; never hashed, never in trace files;
 * rendered only through a trace_annotator (symbols, source lines). */
struct trace_note {
	uintptr_t site;        /* return address of the driver's call (API, kernel routine, dispatch), 0 if unknown */
	uint32_t value;        /* EV_CALL_EXIT: eax after the dispatch function returned */
	bool has_value;
};

struct trace {
	struct event *events;  /* first events_cap events */
	struct trace_note *notes; /* per kept event, or NULL (set after trace_init) */
	uint32_t events_cap;   /* capacity */
	uint32_t count;        /* events appended (may exceed events_cap) */
	uint64_t hash;         /* over every event (see the top of this file) */
	trace_observer_fn observe; /* fed every event; may be NULL */
	void *observe_ctx;
	struct trace_messages *messages; /* debug print texts (kernel shim), may be NULL */
};

void trace_init(struct trace *t, struct event *storage, uint32_t cap, trace_observer_fn observe, void *ctx);

/* Note on the last event appended (if it was kept and notes are on). */
static inline struct trace_note *trace_last_note(struct trace *t)
{
	return t->notes && t->count && t->count <= t->events_cap ? &t->notes[t->count - 1] : NULL;
}

/* Render-time names for what notes point at (replay/annotate.c): each
 * fills buf and returns true, or returns false when it does not know. */
struct trace_annotator {
	bool (*site)(void *ctx, uintptr_t addr, char *buf, size_t cap);      /* "client.c:123" */
	bool (*object)(void *ctx, unsigned module, uint32_t id, char *buf, size_t cap); /* "g_StopEvent" */
	void *ctx;
};
/* Append (hash, keep, feed the observer). Hot path: no allocation, no formatting. */
void trace_emit(struct trace *t, const struct event *e);
/* Whether e, a kept EV_UNLOAD_ENTER or EV_UNLOAD_EXIT, frames the image
 * going after its DriverEntry failed (no Unload is called; the host frames
 * the end-of-image checks with the same events): the module's last load or
 * unload exit before e failed. For the timelines. */
bool trace_unload_after_failed_load(const struct trace *t, const struct event *e);

/* Details the timeline shows but the hash leaves out, set on the event just
 * emitted (if the log kept it): values that may differ between two builds
 * of the same run, such as what a VOID dispatch function leaves in the
 * return register (EV_CALL_EXIT: status = the returned value, aux = 1). */

struct scenario;
struct finding;

/* Thread ids of a run: scripted threads are [0, nthreads) and carry the
 * scenario's thread names; NMR workers are [nthreads, nthreads + workers)
 * named "nmr-worker-K"; the system worker (module work items) is
 * nthreads + workers, named "sys-worker"; drain threads "unload-K" follow.
 * Kernel helper threads have fixed ids (config.h): "dpc", "io-worker",
 * "system-K". buf holds 32 bytes. */
const char *trace_thread_name(const struct scenario *s, unsigned thread, char buf[32]);

/* Readable per-thread timeline, one line per event the log kept:
 *   step  thread       irql      event
 *   12    T0           PASSIVE   -> NmrDeregisterClient(C0 reg 0x01000001)
 *   13    nmr-worker-0 DISPATCH     ClientDetachProvider(C0 binding #0) ...
 * with nesting shown by indentation per thread, statuses by name, and a note
 * when the log was truncated (events beyond events_cap). Deterministic text. */
void trace_render_text(FILE *out, const struct trace *t, const struct scenario *s);
/* The same with what an annotator knows: kernel objects by name, each
 * driver call's source line, dispatch return values (NULL: as above). */
void trace_render_text_annotated(FILE *out, const struct trace *t, const struct scenario *s,
				 const struct trace_annotator *an);

/* Chrome/Perfetto trace-event JSON ({"traceEvents":[...]}): one track (tid)
 * per simulated thread with thread_name metadata, "B"/"E" duration slices for
 * API calls, callbacks, dispatch calls and Unload, "i" instant events for
 * switches, blocks, wakes, ops and findings; ts = step (microseconds in the
 * viewer). Loads in ui.perfetto.dev and chrome://tracing. Returns 0, or -1 on
 * write error. */
int trace_render_perfetto(FILE *out, const struct trace *t, const struct scenario *s);
/* The same with an annotator: object names in instants' text, args "source"
 * (the driver call's line) and "returned" (a dispatch call's status). */
int trace_render_perfetto_annotated(FILE *out, const struct trace *t, const struct scenario *s,
				    const struct trace_annotator *an);

/* One line: "events N, trace hash 0123456789abcdef" (hash as 16 hex digits). */
void trace_render_summary(FILE *out, const struct trace *t);

/* Keep a debug print's text; returns its index (EV_DPRINT arg). */
uint32_t trace_message_add(struct trace *t, const char *text);
/* The text of print `index`, or NULL when it was not kept. */
const char *trace_message(const struct trace *t, uint32_t index);
/* The names of the enums above (ev_kind_name, nmr_api_name, ...): trace/names.h. */

#endif
