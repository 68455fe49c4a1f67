/* ke_dpc.c - DPCs (KeInitializeDpc, KeInitializeThreadedDpc,
 * KeInsertQueueDpc, KeRemoveQueueDpc, KeFlushQueuedDpcs) and the DPC thread.
 *
 * Queued DPCs (and timer DPCs) run in FIFO order on one kernel helper thread
 * at DISPATCH_LEVEL, attributed to the module that initialised the DPC. It is
 * spawned on the first queued DPC. A DPC of a module that has unloaded is K06
 * and is not run (its code is gone). Threaded DPCs run like normal ones, at
 * DISPATCH_LEVEL (the level they must tolerate). */
#include "kernel/kernel.h"

static bool dpc_valid(const struct kernel *k, const KDPC *d)
{
	return kernel_obj_live(k, d->Reserved1, d->Reserved2) && d->Type == KOBJ_DPC;
}

static int queue_slot(const struct kernel *k, const KDPC *d)
{
	for (uint32_t n = 0; n < k->dpc_len; n++)
		if (k->dpcs[(k->dpc_head + n) % KERNEL_DPCS_MAX] == d)
			return (int)((k->dpc_head + n) % KERNEL_DPCS_MAX);
	return -1;
}

static void init_dpc(PRKDPC Dpc, PKDEFERRED_ROUTINE routine, PVOID context, bool threaded)
{
	struct kernel *k = kernel_get();
	if (dpc_valid(k, Dpc) && Dpc->Inserted) {
		int slot = queue_slot(k, Dpc);
		if (slot >= 0)
			k->dpcs[slot] = NULL;
		kernel_report(k, RULE_K09, KE_KeInitializeDpc, Dpc->Reserved1, "KeInitializeDpc on DPC #%u while it is queued",
			      Dpc->Reserved1);
	}
	memset(Dpc, 0, sizeof *Dpc);
	Dpc->Type = KOBJ_DPC;
	Dpc->Importance = MediumImportance;
	Dpc->Reserved1 = kernel_new_id(k, Dpc);
	Dpc->Reserved2 = k->generation;
	Dpc->Reserved3 = kernel_module_now(k);
	Dpc->Threaded = threaded;
	Dpc->DeferredRoutine = routine;
	Dpc->DeferredContext = context;
}

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
	init_dpc(Dpc, DeferredRoutine, DeferredContext, false);
}

VOID KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
	init_dpc(Dpc, DeferredRoutine, DeferredContext, true);
}

VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)
{
	Dpc->Importance = (UCHAR)Importance;
}

VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number)
{
	Dpc->Number = (USHORT)Number;
}

static void wake_flushers(struct kernel *k)
{
	struct sched *s = k->sched;
	for (uint32_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].state == TS_BLOCKED && s->threads[i].block_reason == BLOCK_DPC_FLUSH)
			sched_wake(s, &s->threads[i]);
}

static void dpc_thread(struct sched *s, void *arg)
{
	struct kernel *k = arg;
	struct sim_thread *t = s->current;
	SIM_ASSERT_EQ(t->id, SIM_THREAD_DPC, "DPCs run on the DPC thread");
	struct kernel_thread *kt = &k->threads[t->id];
	sched_set_irql(s, DISPATCH_LEVEL);
	for (;;) {
		kernel_por(k, KFAM_DPC); /* the queue is read in the step that resumed here */
		if (k->dpc_len == 0) {
			wake_flushers(k);
			t->idle_worker = true;
			sched_block(s, BLOCK_WORK, EV_NONE16);
			continue;
		}
		SIM_ASSERT_LE(k->dpc_len, KERNEL_DPCS_MAX, "the DPC queue holds at most its capacity");
		SIM_ASSERT_LT(k->dpc_head, KERNEL_DPCS_MAX, "the DPC queue's head is inside the queue");
		PKDPC d = k->dpcs[k->dpc_head];
		k->dpc_head = (k->dpc_head + 1) % KERNEL_DPCS_MAX;
		k->dpc_len--;
		if (!d || !dpc_valid(k, d))
			continue; /* removed, or its memory was freed (reported then) */
		d->Inserted = 0;
		/* Windows takes the routine and its arguments when it dequeues
		 * the DPC: the KDPC's memory may be freed before the routine
		 * runs (the routine's own accesses then meet freed memory, the
		 * driver's bug; the engine must not read the freed KDPC). */
		const KDPC dq = *d;
		k->dpc_running = true;
		sched_point(s);
		t->module = dq.Reserved3;
		kernel_module_gone_read(k, t->module);
		char nb[8];
		if (t->module < SCN_MODULES_MAX && k->modules[t->module].unloaded) {
			kernel_report(k, RULE_K06, KE_DpcRoutine, dq.Reserved1,
				      "DPC #%u of %s would run after its Unload returned", dq.Reserved1,
				      kernel_module_name(k, t->module, nb));
			kernel_emit(k, KE_DpcRoutine, dq.Reserved1, 0, 1);
		} else {
			kernel_emit(k, KE_DpcRoutine, dq.Reserved1, 0, 0);
			kernel_sync_acquire(k, d);
			uint8_t locks = kt->locks_held;
			uint32_t id = dq.Reserved1;
			dq.DeferredRoutine(d, dq.DeferredContext, dq.SystemArgument1, dq.SystemArgument2);
			/* Why KeFlushQueuedDpcs exists: a DPC whose last call
			 * completes what Unload waits for. */
			kernel_routine_returns(k, KE_DpcRoutine);
			if (t->irql != DISPATCH_LEVEL) {
				kernel_report(k, RULE_K01, KE_DpcRoutine, id,
					      "DPC routine #%u of %s returned at IRQL %u; it runs at DISPATCH_LEVEL", id,
					      kernel_module_name(k, t->module, nb), t->irql);
				sched_set_irql(s, DISPATCH_LEVEL);
			}
			if (kt->locks_held > locks) {
				kernel_report(k, RULE_K02, KE_DpcRoutine, id, "DPC routine #%u of %s returned holding %u lock(s)",
					      id, kernel_module_name(k, t->module, nb), kt->locks_held - locks);
				kt->locks_held = locks;
			}
		}
		/* What the routine wrote is ordered before a KeFlushQueuedDpcs
		 * that waited for it (its flusher acquires the same object). */
		kernel_sync_release(k, &k->dpc_len);
		k->dpc_running = false;
		t->module = EV_NONE8;
	}
}

bool kernel_dpc_queue(struct kernel *k, PKDPC dpc, uint8_t module)
{
	kernel_por(k, KFAM_DPC);
	if (dpc->Inserted || k->dpc_len == KERNEL_DPCS_MAX)
		return false;
	/* The DPC runs for the module that initialised it, else the one queueing it. */
	if (dpc->Reserved3 == EV_NONE8)
		dpc->Reserved3 = module;
	if (!k->dpc_thread)
		k->dpc_thread = sched_spawn_at(k->sched, SIM_THREAD_DPC, THREAD_DPC, dpc_thread, k);
	kernel_sync_release(k, dpc);
	SIM_ASSERT_LT(k->dpc_len, KERNEL_DPCS_MAX, "a queued DPC takes a slot of the DPC queue");
	dpc->Inserted = 1;
	k->dpcs[(k->dpc_head + k->dpc_len) % KERNEL_DPCS_MAX] = dpc;
	k->dpc_len++;
	struct sim_thread *t = k->dpc_thread;
	if (t && t->state == TS_BLOCKED && t->idle_worker)
		sched_wake(k->sched, t);
	return true;
}

uint32_t kernel_dpc_pending(const struct kernel *k, uint8_t module)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < k->dpc_len; i++) {
		const KDPC *d = k->dpcs[(k->dpc_head + i) % KERNEL_DPCS_MAX];
		if (d && d->Reserved3 == module)
			n++;
	}
	return n;
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeInsertQueueDpc;
	kernel_enter(k, api);
	if (!Dpc || !dpc_valid(k, Dpc)) {
		if (Dpc)
			kernel_object_not_live(k, api, Dpc, "a DPC");
		else
			kernel_report(k, RULE_K09, api, 0, "KeInsertQueueDpc(NULL)");
		return FALSE;
	}
	if (Dpc->Inserted)
		return FALSE;
	Dpc->SystemArgument1 = SystemArgument1;
	Dpc->SystemArgument2 = SystemArgument2;
	bool queued = kernel_dpc_queue(k, Dpc, kernel_module_now(k));
	kernel_emit(k, api, Dpc->Reserved1, queued ? 0 : STATUS_INSUFFICIENT_RESOURCES, 0);
	return (BOOLEAN)queued;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeRemoveQueueDpc;
	kernel_enter(k, api);
	if (!Dpc || !dpc_valid(k, Dpc)) {
		if (Dpc)
			kernel_object_not_live(k, api, Dpc, "a DPC");
		else
			kernel_report(k, RULE_K09, api, 0, "KeRemoveQueueDpc(NULL)");
		return FALSE;
	}
	int slot = Dpc->Inserted ? queue_slot(k, Dpc) : -1;
	if (slot < 0)
		return FALSE;
	k->dpcs[slot] = NULL;
	Dpc->Inserted = 0;
	kernel_emit(k, api, Dpc->Reserved1, 0, 0);
	return TRUE;
}

VOID KeFlushQueuedDpcs(VOID)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_KeFlushQueuedDpcs;
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	kernel_emit(k, api, 0, 0, k->dpc_len);
	while (k->dpc_len > 0 || k->dpc_running)
		sched_block(k->sched, BLOCK_DPC_FLUSH, EV_NONE16);
	kernel_sync_acquire(k, &k->dpc_len); /* every DPC routine that ran happened before */
	kernel_check_alive(k, api);
}
