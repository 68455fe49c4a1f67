/* ke_timer.c - timers (KeInitializeTimer(Ex), KeSetTimer(Ex), KeCancelTimer,
 * KeReadStateTimer) on simulated time.
 *
 * A set timer is in the kernel's timer table (a pointer to the driver's
 * KTIMER, revalidated before use). When its due time comes (kernel.c: the
 * deadline step while threads run, or a jump of simulated time when nothing
 * can run) it is signalled, its waiters are released and its DPC is queued
 * for the DPC thread; a periodic timer is set again. */
#include "kernel/kernel.h"

static bool timer_valid(const struct kernel *k, const KTIMER *t)
{
	return kernel_obj_live(k, t->Header.Reserved1, t->Header.Reserved2) &&
	       (t->Header.Type == KOBJ_TIMER_NOTIFICATION || t->Header.Type == KOBJ_TIMER_SYNCHRONIZATION);
}

static int timer_slot(const struct kernel *k, const KTIMER *t)
{
	for (uint32_t i = 0; i < k->ntimers; i++)
		if (k->timers[i] == t)
			return (int)i;
	return -1;
}

static bool timer_remove(struct kernel *k, KTIMER *t)
{
	int i = timer_slot(k, t);
	if (i < 0)
		return false;
	SIM_ASSERT_LT((uint32_t)i, k->ntimers, "a removed timer is one of the set timers");
	k->timers[i] = k->timers[--k->ntimers];
	t->Header.Inserted = 0;
	return true;
}

VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
{
	struct kernel *k = kernel_get();
	if (timer_valid(k, Timer) && timer_remove(k, Timer))
		kernel_report(k, RULE_K09, KE_KeInitializeTimer, Timer->Header.Reserved1,
			      "KeInitializeTimer on timer #%u while it is set", Timer->Header.Reserved1);
	memset(Timer, 0, sizeof *Timer);
	Timer->Header.Type = Type == SynchronizationTimer ? KOBJ_TIMER_SYNCHRONIZATION : KOBJ_TIMER_NOTIFICATION;
	Timer->Header.Reserved1 = kernel_new_id(k, Timer);
	Timer->Header.Reserved2 = k->generation;
	Timer->Header.Reserved3 = kernel_module_now(k);
}

VOID KeInitializeTimer(PKTIMER Timer)
{
	KeInitializeTimerEx(Timer, NotificationTimer);
}

/* A timer routine's checks; false: the call does nothing. */
static bool timer_check(struct kernel *k, enum ke_api api, PKTIMER t)
{
	if (!t) {
		kernel_report(k, RULE_K09, api, 0, "%s(NULL)", ke_api_name(api));
		return false;
	}
	if (timer_valid(k, t))
		return true;
	kernel_object_not_live(k, api, t, "a timer");
	return false;
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeSetTimer;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	if (!timer_check(k, api, Timer))
		return FALSE;
	bool was = timer_remove(k, Timer);
	if (Dpc && !kernel_obj_live(k, Dpc->Reserved1, Dpc->Reserved2)) {
		kernel_report(k, RULE_K09, api, Timer->Header.Reserved1,
			      "KeSetTimer on timer #%u with a DPC that was not initialised in this run", Timer->Header.Reserved1);
		Dpc = NULL;
	}
	if (k->ntimers == KERNEL_TIMERS_MAX) {
		kernel_report(k, RULE_K09, api, Timer->Header.Reserved1,
			      "KeSetTimer: more than %u timers set at once (a limit of the simulation)", KERNEL_TIMERS_MAX);
		return (BOOLEAN)was;
	}
	Timer->Header.SignalState = 0;
	Timer->Header.Inserted = 1;
	Timer->Header.Reserved3 = kernel_module_now(k);
	Timer->DueTime.QuadPart = DueTime.QuadPart == 0 ? kernel_time(k) : kernel_due_time(k, DueTime.QuadPart);
	Timer->Period = Period > 0 ? Period : 0;
	Timer->Dpc = Dpc;
	/* The setter's work is visible to the timer's DPC and its waiters. */
	kernel_sync_release(k, Timer);
	if (Dpc)
		kernel_sync_release(k, Dpc);
	SIM_ASSERT_LT(k->ntimers, KERNEL_TIMERS_MAX, "a set timer takes a slot of the timer table");
	k->timers[k->ntimers++] = Timer;
	kernel_deadline_update(k);
	kernel_emit(k, api, Timer->Header.Reserved1, 0, (uint32_t)Timer->Period);
	return (BOOLEAN)was;
}

/* The tolerance lets Windows delay an expiry to coalesce it with others;
 * nmrsim fires on time (a delay within it is one more schedule, not another
 * contract), so the timer is KeSetTimerEx's. */
BOOLEAN KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period, ULONG TolerableDelay, PKDPC Dpc)
{
	(void)TolerableDelay;
	return KeSetTimerEx(Timer, DueTime, (LONG)Period, Dpc);
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
	return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}

BOOLEAN KeCancelTimer(PKTIMER Timer)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeCancelTimer;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	if (!timer_check(k, api, Timer))
		return FALSE;
	bool was = timer_remove(k, Timer);
	kernel_deadline_update(k);
	kernel_emit(k, api, Timer->Header.Reserved1, 0, was);
	return (BOOLEAN)was;
}

BOOLEAN KeReadStateTimer(PKTIMER Timer)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeReadStateTimer;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	if (!timer_check(k, api, Timer))
		return FALSE;
	return (BOOLEAN)(Timer->Header.SignalState > 0);
}

uint64_t kernel_timers_next(const struct kernel *k, bool *periodic_only)
{
	uint64_t next = UINT64_MAX;
	bool all_periodic = k->ntimers > 0;
	for (uint32_t i = 0; i < k->ntimers; i++) {
		const KTIMER *t = k->timers[i];
		if (t->DueTime.QuadPart < next)
			next = t->DueTime.QuadPart;
		all_periodic &= t->Period > 0;
	}
	*periodic_only = all_periodic;
	return next;
}

/* Earliest due timer (ties: lowest id), -1 if none is due at now. */
static int next_due(const struct kernel *k, uint64_t now)
{
	int best = -1;
	for (uint32_t i = 0; i < k->ntimers; i++) {
		const KTIMER *t = k->timers[i];
		if (t->DueTime.QuadPart > now)
			continue;
		if (best < 0 || t->DueTime.QuadPart < k->timers[best]->DueTime.QuadPart ||
		    (t->DueTime.QuadPart == k->timers[best]->DueTime.QuadPart &&
		     t->Header.Reserved1 < k->timers[best]->Header.Reserved1))
			best = (int)i;
	}
	return best;
}

bool kernel_timers_fire(struct kernel *k, uint64_t now, bool final)
{
	bool fired = false;
	/* Bounded: each firing removes a timer or moves a periodic one past now. */
	for (uint32_t guard = 0; guard < 4u * KERNEL_TIMERS_MAX; guard++) {
		int i = next_due(k, now);
		if (i < 0)
			break;
		SIM_ASSERT_LT((uint32_t)i, k->ntimers, "a due timer is one of the set timers");
		KTIMER *t = k->timers[i];
		if (!timer_valid(k, t)) {
			k->timers[i] = k->timers[--k->ntimers];
			continue;
		}
		uint64_t period = (uint64_t)t->Period * 10000u;
		if (period && !final) {
			uint64_t due = t->DueTime.QuadPart + period;
			t->DueTime.QuadPart = due > now ? due : now + period;
		} else {
			k->timers[i] = k->timers[--k->ntimers];
			t->Header.Inserted = 0;
		}
		fired = true;
		t->Header.SignalState = 1;
		kernel_emit(k, KE_TimerExpiry, t->Header.Reserved1, 0, 0);
		kernel_dispatcher_signalled(k, &t->Header);
		PKDPC dpc = t->Dpc;
		if (dpc && kernel_obj_live(k, dpc->Reserved1, dpc->Reserved2) && !dpc->Inserted) {
			dpc->SystemArgument1 = (PVOID)(uintptr_t)(uint32_t)(now + KERNEL_EPOCH);
			dpc->SystemArgument2 = (PVOID)(uintptr_t)(uint32_t)((now + KERNEL_EPOCH) >> 32);
			kernel_dpc_queue(k, dpc, dpc->Reserved3);
		}
	}
	return fired;
}
