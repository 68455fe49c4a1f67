/* ex_rundown.c - rundown protection.
 *
 * EX_RUNDOWN_REF keeps the reference count in Count and the rundown state in
 * Reserved3 (active, waiting, run down). A zeroed ref is a valid active ref
 * (ExInitializeRundownProtection stores 0 on Windows too). K04: a release
 * without an acquire, a second wait, a (re)initialisation while references
 * are held or a wait is in progress. */
#include "kernel/kernel.h"

enum rundown_state { RD_ACTIVE = 0, RD_WAITING, RD_DONE };

static uint32_t rundown_id(struct kernel *k, enum ke_api api, PEX_RUNDOWN_REF r)
{
	kernel_touch(k, RULE_K04);
	if (kernel_obj_live(k, r->Reserved1, r->Reserved2))
		return r->Reserved1;
	if (r->Count || r->Reserved1 || r->Reserved2 || r->Reserved3)
		kernel_object_not_live(k, api, r, "a rundown ref");
	r->Count = 0;
	r->Reserved1 = kernel_new_id(k, r);
	r->Reserved2 = k->generation;
	r->Reserved3 = RD_ACTIVE;
	r->Reserved4 = 0;
	return r->Reserved1;
}

static bool in_use(const struct kernel *k, PEX_RUNDOWN_REF r)
{
	return kernel_obj_live(k, r->Reserved1, r->Reserved2) && (r->Count > 0 || r->Reserved3 == RD_WAITING);
}

void kernel_rundown_init(enum ke_api api, PEX_RUNDOWN_REF RunRef)
{
	struct kernel *k = kernel_get();
	if (in_use(k, RunRef))
		kernel_report(k, RULE_K04, api, RunRef->Reserved1,
			      "%s on rundown ref #%u while it is in use (%u reference(s)%s)", ke_api_name(api),
			      RunRef->Reserved1, (unsigned)RunRef->Count,
			      RunRef->Reserved3 == RD_WAITING ? ", a wait in progress" : "");
	RunRef->Count = 0;
	RunRef->Reserved1 = kernel_new_id(k, RunRef);
	RunRef->Reserved2 = k->generation;
	RunRef->Reserved3 = RD_ACTIVE;
	RunRef->Reserved4 = 0;
}

VOID ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)
{
	kernel_rundown_init(KE_ExInitializeRundownProtection, RunRef);
}

bool kernel_rundown_acquire(enum ke_api api, PEX_RUNDOWN_REF RunRef, ULONG Count)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	uint32_t id = rundown_id(k, api, RunRef);
	/* An interlocked operation on the ref (Windows: a compare-exchange),
	 * so acquire and release on it: an acquire that succeeds after
	 * ExReInitializeRundownProtection sees what was written before the
	 * re-initialisation (a driver publishing state, then opening the
	 * rundown: a false K11 before). */
	kernel_sync_acquire(k, RunRef);
	kernel_sync_release(k, RunRef);
	bool ok = RunRef->Reserved3 == RD_ACTIVE;
	if (ok)
		RunRef->Count += Count;
	kernel_emit(k, api, id, ok ? STATUS_SUCCESS : STATUS_DELETE_PENDING, (uint32_t)RunRef->Count);
	return ok;
}

BOOLEAN ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)
{
	return (BOOLEAN)kernel_rundown_acquire(KE_ExAcquireRundownProtection, RunRef, Count);
}

BOOLEAN ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef)
{
	return ExAcquireRundownProtectionEx(RunRef, 1);
}

void kernel_rundown_release(enum ke_api api, PEX_RUNDOWN_REF RunRef, ULONG Count)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	uint32_t id = rundown_id(k, api, RunRef);
	if (RunRef->Count < Count) {
		kernel_report(k, RULE_K04, api, id, "%s on rundown ref #%u with %u reference(s) held: "
			      "released more often than acquired", ke_api_name(api), id, (unsigned)RunRef->Count);
		RunRef->Count = 0;
	} else {
		RunRef->Count -= Count;
	}
	/* The protected work is visible to the thread waiting for the release. */
	kernel_sync_release(k, RunRef);
	kernel_emit(k, api, id, 0, (uint32_t)RunRef->Count);
	if (RunRef->Count == 0 && RunRef->Reserved3 == RD_WAITING) {
		struct sched *s = k->sched;
		for (uint32_t i = 0; i < s->nthreads; i++) {
			struct sim_thread *w = &s->threads[i];
			if (w->state == TS_BLOCKED && w->block_reason == BLOCK_RUNDOWN && w->block_obj == (uint16_t)id)
				sched_wake(s, w);
		}
	}
	kernel_enter(k, api);
}

VOID ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)
{
	kernel_rundown_release(KE_ExReleaseRundownProtection, RunRef, Count);
}

VOID ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef)
{
	ExReleaseRundownProtectionEx(RunRef, 1);
}

void kernel_rundown_wait(enum ke_api api, PEX_RUNDOWN_REF RunRef)
{
	struct kernel *k = kernel_get();
	if (kernel_irql(k) >= DISPATCH_LEVEL)
		kernel_report(k, RULE_K03, api, 0, "%s at IRQL %u (DISPATCH_LEVEL or above)", ke_api_name(api),
			      kernel_irql(k));
	kernel_enter(k, api);
	uint32_t id = rundown_id(k, api, RunRef);
	if (RunRef->Reserved3 != RD_ACTIVE) {
		kernel_report(k, RULE_K04, api, id, "%s on rundown ref #%u a second time", ke_api_name(api), id);
		if (RunRef->Reserved3 == RD_DONE)
			return;
	}
	RunRef->Reserved3 = RD_WAITING;
	kernel_emit(k, api, id, STATUS_PENDING, (uint32_t)RunRef->Count);
	k->threads[kernel_thread_now(k)->id].blocked_on = RunRef;
	while (RunRef->Count > 0 && kernel_obj_live(k, RunRef->Reserved1, RunRef->Reserved2) && RunRef->Reserved1 == id)
		sched_block(k->sched, BLOCK_RUNDOWN, (uint16_t)id);
	kernel_check_alive(k, api);
	kernel_sync_acquire(k, RunRef);
	RunRef->Reserved3 = RD_DONE;
	kernel_emit(k, api, id, STATUS_SUCCESS, 0);
}

VOID ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef)
{
	kernel_rundown_wait(KE_ExWaitForRundownProtectionRelease, RunRef);
}

void kernel_rundown_reinit(enum ke_api api, PEX_RUNDOWN_REF RunRef)
{
	struct kernel *k = kernel_get();
	uint32_t id = rundown_id(k, api, RunRef);
	if (RunRef->Count > 0 || RunRef->Reserved3 == RD_WAITING)
		kernel_report(k, RULE_K04, api, id,
			      "%s on rundown ref #%u while it is in use (%u reference(s)%s)", ke_api_name(api), id,
			      (unsigned)RunRef->Count, RunRef->Reserved3 == RD_WAITING ? ", a wait in progress" : "");
	RunRef->Count = 0;
	RunRef->Reserved3 = RD_ACTIVE;
	kernel_sync_release(k, RunRef); /* an interlocked exchange on Windows: the acquires after it see the writes before */
	kernel_enter(k, api);
}

VOID ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)
{
	kernel_rundown_reinit(KE_ExReInitializeRundownProtection, RunRef);
}

void kernel_rundown_completed(enum ke_api api, PEX_RUNDOWN_REF RunRef)
{
	struct kernel *k = kernel_get();
	uint32_t id = rundown_id(k, api, RunRef);
	if (RunRef->Count > 0)
		kernel_report(k, RULE_K04, api, id, "%s on rundown ref #%u with %u reference(s) held", ke_api_name(api), id,
			      (unsigned)RunRef->Count);
	RunRef->Reserved3 = RD_DONE;
}

VOID ExRundownCompleted(PEX_RUNDOWN_REF RunRef)
{
	kernel_rundown_completed(KE_ExRundownCompleted, RunRef);
}
