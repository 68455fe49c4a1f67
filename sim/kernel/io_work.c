/* io_work.c - device objects and work items: IoCreateDevice, IoDeleteDevice,
 * IoAllocateWorkItem, IoQueueWorkItem(Ex), IoFreeWorkItem, ExQueueWorkItem,
 * and the I/O worker thread that runs the items.
 *
 * Items run in FIFO order at PASSIVE_LEVEL on one kernel helper thread
 * (spawned on the first queued item), attributed to the module that queued
 * them; with `io-workers N` on N (Windows has several system worker
 * threads), so a second item may start while the first still runs; and
 * another one starts when every worker is blocked inside an item with
 * others queued and nothing else can run (kernel_work_grow, as Windows' pool
 * grows), up to KERNEL_IO_WORKERS_MAX. An IoQueueWorkItem item keeps its driver loaded until its
 * routine returns, so it may run after Unload; an ExQueueWorkItem item of an
 * unloaded module is K06 and is not run, and so is queueing a new
 * IoQueueWorkItem item after Unload. IO_WORKITEMs and DEVICE_OBJECTs are
 * pool blocks of their own kind (leak accounting, faults, K05 on the wrong
 * free). */
#include "kernel/kernel.h"

struct _IO_WORKITEM {
	uint32_t id;            /* per-run object id */
	uint32_t generation;    /* run generation */
	PDEVICE_OBJECT device;  /* IoAllocateWorkItem's argument */
	uint8_t module;         /* allocating module */
	bool queued;            /* in the work queue, routine not started */
};

/* A live work item of this run: inside the pool (never read elsewhere), id and generation. */
static bool item_valid(const struct kernel *k, const struct _IO_WORKITEM *w)
{
	const unsigned char *p = (const unsigned char *)w;
	return p >= k->pool && p + sizeof *w <= k->pool + k->pool_used && kernel_obj_live(k, w->id, w->generation);
}

static bool in_queue(const struct kernel *k, const void *item)
{
	for (uint32_t n = 0; n < k->work_len; n++)
		if (k->work[(k->work_head + n) % KERNEL_WORK_MAX].item == item)
			return true;
	return false;
}

static bool io_running_on(const struct kernel *k, unsigned id, uint8_t module)
{
	return k->sched->nthreads > id && k->sched->threads[id].module == module && k->threads[id].unload_exempt;
}

bool kernel_io_item_running(const struct kernel *k, uint8_t module)
{
	for (unsigned n = 0; n < KERNEL_IO_WORKERS_MAX; n++)
		if (io_running_on(k, SIM_THREAD_IO_WORKER_N(n), module))
			return true;
	return false;
}

/* I/O worker n (0-based), NULL if not spawned. */
static struct sim_thread *io_worker_at(const struct kernel *k, unsigned n)
{
	return n == 0 ? k->io_worker : k->io_more[n - 1];
}

static bool is_io_worker(unsigned id)
{
	for (unsigned n = 0; n < KERNEL_IO_WORKERS_MAX; n++)
		if (id == SIM_THREAD_IO_WORKER_N(n))
			return true;
	return false;
}

static void worker_thread(struct sched *s, void *arg);

/* Spawn I/O worker n (its fixed id). */
static void io_spawn(struct kernel *k, unsigned n)
{
	SIM_ASSERT_LT(n, KERNEL_IO_WORKERS_MAX, "I/O workers fit their table");
	struct sim_thread *t = sched_spawn_at(k->sched, SIM_THREAD_IO_WORKER_N(n), THREAD_IO_WORKER, worker_thread, k);
	SIM_ASSERT(t != NULL, "an I/O worker has a fixed thread slot");
	if (n == 0)
		k->io_worker = t;
	else
		k->io_more[n - 1] = t;
}

/* The last IoQueueWorkItem routine of an unloaded module returned: the
 * image really goes now, and what it still holds is leaked (M21). */
static void io_item_ended(struct kernel *k, uint8_t module, uint32_t item)
{
	if (module >= SCN_MODULES_MAX)
		return;
	struct kernel_module *m = &k->modules[module];
	if (!m->leak_deferred || kernel_work_pending(k, module, true) > 0)
		return;
	m->leak_deferred = false;
	kernel_module_changed(k, module);
	uint32_t leaked = m->allocations + m->handles;
	char nb[8];
	if (leaked)
		kernel_report(k, RULE_M21, KE_WorkItemRoutine, item,
			      "Unload of %s returned, and its last IoQueueWorkItem routine ended with %u allocation(s) "
			      "outstanding", kernel_module_name(k, module, nb), leaked);
}

uint32_t kernel_work_pending(const struct kernel *k, uint8_t module, bool io_too)
{
	uint32_t count = 0;
	for (uint32_t n = 0; n < k->work_len; n++) {
		const struct kernel_work *w = &k->work[(k->work_head + n) % KERNEL_WORK_MAX];
		if (w->item && w->module == module && (io_too || w->kind == KWORK_EX))
			count++;
	}
	return count;
}

static void worker_thread(struct sched *s, void *arg)
{
	struct kernel *k = arg;
	struct sim_thread *t = s->current;
	SIM_ASSERT(is_io_worker(t->id), "work items run on an I/O worker");
	struct kernel_thread *kt = &k->threads[t->id];
	char nb[8];
	for (;;) {
		kernel_por(k, KFAM_WORK); /* the queue is read in the step that resumed here */
		if (k->work_len == 0) {
			t->idle_worker = true;
			sched_block(s, BLOCK_WORK, EV_NONE16);
			continue;
		}
		SIM_ASSERT_LE(k->work_len, KERNEL_WORK_MAX, "the work queue holds at most its capacity");
		SIM_ASSERT_LT(k->work_head, KERNEL_WORK_MAX, "the work queue's head is inside the queue");
		struct kernel_work w = k->work[k->work_head];
		k->work_head = (k->work_head + 1) % KERNEL_WORK_MAX;
		k->work_len--;
		if (!w.item)
			continue; /* its memory was freed while queued (reported then) */
		/* The device is taken at the dequeue, as for a DPC: the item may
		 * be freed (the driver's bug, reported K09) before the routine
		 * runs, and the engine must not read it then. */
		PDEVICE_OBJECT device = w.kind != KWORK_EX ? ((struct _IO_WORKITEM *)w.item)->device : NULL;
		sched_point(s);
		t->module = w.module;
		kernel_module_gone_read(k, w.module);
		if (w.kind == KWORK_EX && w.module < SCN_MODULES_MAX && k->modules[w.module].unloaded) {
			kernel_report(k, RULE_K06, KE_WorkItemRoutine, 0,
				      "an ExQueueWorkItem item of %s would run after its Unload returned",
				      kernel_module_name(k, w.module, nb));
			kernel_emit(k, KE_WorkItemRoutine, w.id, 0, 1);
			t->module = EV_NONE8;
			continue;
		}
		kernel_emit(k, KE_WorkItemRoutine, w.id, 0, 0);
		kernel_sync_acquire(k, w.item);
		uint8_t locks = kt->locks_held;
		kt->unload_exempt = w.kind != KWORK_EX;
		if (w.kind == KWORK_EX) {
			((PWORKER_THREAD_ROUTINE)w.routine)(w.context);
		} else {
			struct _IO_WORKITEM *item = w.item;
			if (item_valid(k, item))
				item->queued = false;
			if (w.kind == KWORK_IO)
				((PIO_WORKITEM_ROUTINE)w.routine)(device, w.context);
			else
				((PIO_WORKITEM_ROUTINE_EX)w.routine)(device, w.context, item);
		}
		/* An ExQueueWorkItem routine's return is still the module's code
		 * and nothing keeps the image loaded for it (IoQueueWorkItem
		 * holds the device): Unload may not have returned by then
		 * (CONTRACTS K06; a routine whose last act sets the event
		 * Unload waits for). */
		if (w.kind == KWORK_EX)
			kernel_routine_returns(k, KE_WorkItemRoutine);
		kt->unload_exempt = false;
		if (w.kind != KWORK_EX)
			io_item_ended(k, w.module, w.id);
		if (t->irql != PASSIVE_LEVEL) {
			kernel_report(k, RULE_K01, KE_WorkItemRoutine, w.id,
				      "a work item routine of %s returned at IRQL %u; it runs at PASSIVE_LEVEL",
				      kernel_module_name(k, w.module, nb), t->irql);
			sched_set_irql(s, PASSIVE_LEVEL);
		}
		if (kt->locks_held > locks) {
			kernel_report(k, RULE_K02, KE_WorkItemRoutine, w.id, "a work item routine of %s returned holding %u lock(s)",
				      kernel_module_name(k, w.module, nb), kt->locks_held - locks);
			kt->locks_held = locks;
		}
		t->module = EV_NONE8;
	}
}

bool kernel_work_queue(struct kernel *k, const struct kernel_work *w)
{
	kernel_por(k, KFAM_WORK);
	if (k->work_len == KERNEL_WORK_MAX)
		return false;
	for (unsigned n = 0; n < KERNEL_IO_WORKERS_MAX && (n == 0 || n < k->io_workers); n++)
		if (!io_worker_at(k, n))
			io_spawn(k, n);
	SIM_ASSERT_LT(k->work_len, KERNEL_WORK_MAX, "a queued work item takes a slot of the work queue");
	struct kernel_work *slot = &k->work[(k->work_head + k->work_len) % KERNEL_WORK_MAX];
	*slot = *w;
	slot->step = k->sched->step;
	k->work_len++;
	/* What the queueing thread did is visible to the routine. */
	kernel_sync_release(k, w->item);
	/* One idle worker takes it (the first in order); the others may be
	 * running earlier items meanwhile (which one runs first is the schedule's). */
	for (unsigned n = 0; n < KERNEL_IO_WORKERS_MAX; n++) {
		struct sim_thread *t = io_worker_at(k, n);
		if (t && t->state == TS_BLOCKED && t->idle_worker) {
			sched_wake(k->sched, t);
			break;
		}
	}
	return true;
}

/* Windows' system worker pool is not one thread: when its workers are
 * blocked and items wait in the queue, the balance manager starts another.
 * So an item that waits for NMR (a client deregistering and registering
 * again from a work item) while the provider's detach item it needs waits
 * behind it is not a deadlock there (a false L01/M17 here before). The
 * kernel's stall calls this when nothing can run: only then does a second
 * worker appear, so no run that never stalls that way changes. */
bool kernel_work_grow(struct kernel *k)
{
	if (k->work_len == 0 || !k->io_worker)
		return false;
	for (unsigned n = 0; n < KERNEL_IO_WORKERS_MAX; n++) {
		struct sim_thread *t = io_worker_at(k, n);
		if (!t) {
			io_spawn(k, n); /* every worker before it is blocked inside an item */
			return true;
		}
		if (t->state != TS_BLOCKED || t->idle_worker)
			return false;
	}
	return false; /* at the capacity: the items stay queued (the hang's report names them) */
}

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_IoAllocateWorkItem;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	if (!DeviceObject)
		kernel_report(k, RULE_K09, api, 0, "IoAllocateWorkItem(NULL): a work item needs the driver's device object");
	struct _IO_WORKITEM *w = kernel_pool_alloc(k, api, sizeof *w, 0x6B726F57u /* "Work" */, true, KPOOL_WORKITEM);
	if (!w)
		return NULL;
	w->id = kernel_new_id(k, w);
	w->generation = k->generation;
	w->device = DeviceObject;
	w->module = kernel_module_now(k);
	return w;
}

VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
{
	struct kernel *k = kernel_get();
	uint32_t mark = sched_irql_mark(k->sched);
	enum ke_api api = KE_IoFreeWorkItem;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	if (item_valid(k, IoWorkItem) && IoWorkItem->queued)
		kernel_report(k, RULE_K09, api, IoWorkItem->id, "IoFreeWorkItem on work item #%u while it is queued",
			      IoWorkItem->id);
	kernel_pool_free(k, api, IoWorkItem, 0, false, KPOOL_WORKITEM);
	sched_irql_blind(k->sched, mark); /* the same at PASSIVE and DISPATCH (ExFreePool's) */
}

static void io_queue(enum ke_api api, PIO_WORKITEM IoWorkItem, void *routine, uint8_t kind, PVOID Context)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	if (!item_valid(k, IoWorkItem)) {
		kernel_report(k, RULE_K09, api, 0, "IoQueueWorkItem on a work item not allocated in this run (or freed)");
		return;
	}
	uint8_t module = kernel_module_now(k);
	char nb[8];
	kernel_module_gone_read(k, module);
	if (module < SCN_MODULES_MAX && k->modules[module].unloaded) {
		kernel_report(k, RULE_K06, api, IoWorkItem->id, "%s queues work item #%u after its Unload returned",
			      kernel_module_name(k, module, nb), IoWorkItem->id);
		return;
	}
	if (IoWorkItem->queued) {
		kernel_report(k, RULE_K09, api, IoWorkItem->id, "IoQueueWorkItem on work item #%u, which is already queued",
			      IoWorkItem->id);
		return;
	}
	struct kernel_work w = { .kind = kind, .module = module, .id = IoWorkItem->id, .item = IoWorkItem,
				 .routine = routine, .context = Context };
	if (!kernel_work_queue(k, &w)) {
		kernel_report(k, RULE_K09, api, IoWorkItem->id, "more than %u work items queued (a limit of the simulation)",
			      KERNEL_WORK_MAX);
		return;
	}
	IoWorkItem->queued = true;
	kernel_emit(k, api, IoWorkItem->id, 0, 0);
}

VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
		     PVOID Context)
{
	(void)QueueType;
	io_queue(KE_IoQueueWorkItem, IoWorkItem, (void *)WorkerRoutine, KWORK_IO, Context);
}

VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine, WORK_QUEUE_TYPE QueueType,
		       PVOID Context)
{
	(void)QueueType;
	io_queue(KE_IoQueueWorkItem, IoWorkItem, (void *)WorkerRoutine, KWORK_IO_EX, Context);
}

VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)
{
	(void)QueueType;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExQueueWorkItem;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_enter(k, api);
	if (!WorkItem || !WorkItem->WorkerRoutine) {
		kernel_report(k, RULE_K09, api, 0, "ExQueueWorkItem on an item without a routine (ExInitializeWorkItem missing)");
		return;
	}
	if (in_queue(k, WorkItem)) {
		kernel_report(k, RULE_K09, api, 0, "ExQueueWorkItem on an item that is already queued");
		return;
	}
	struct kernel_work w = { .kind = KWORK_EX, .module = kernel_module_now(k), .item = WorkItem,
				 .routine = (void *)WorkItem->WorkerRoutine, .context = WorkItem->Parameter };
	if (!kernel_work_queue(k, &w)) {
		kernel_report(k, RULE_K09, api, 0, "more than %u work items queued (a limit of the simulation)",
			      KERNEL_WORK_MAX);
		return;
	}
	kernel_emit(k, api, 0, 0, 0);
}

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
			DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
			PDEVICE_OBJECT *DeviceObject)
{
	(void)DeviceName;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_IoCreateDevice;
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	*DeviceObject = NULL;
	size_t ext = (DeviceExtensionSize + 15u) & ~(size_t)15u;
	DEVICE_OBJECT *d = kernel_pool_alloc(k, api, sizeof(DEVICE_OBJECT) + ext, 0x69766544u /* "Devi" */, true,
					     KPOOL_DEVICE);
	if (!d)
		return STATUS_INSUFFICIENT_RESOURCES;
	d->Type = 3; /* IO_TYPE_DEVICE */
	d->Size = (USHORT)(sizeof(DEVICE_OBJECT) + DeviceExtensionSize);
	d->ReferenceCount = 0;
	d->DriverObject = DriverObject;
	d->Flags = DO_DEVICE_INITIALIZING | (Exclusive ? DO_EXCLUSIVE : 0);
	d->Characteristics = DeviceCharacteristics;
	d->DeviceType = DeviceType;
	d->StackSize = 1;
	d->DeviceExtension = DeviceExtensionSize ? (void *)(d + 1) : NULL;
	d->Reserved1 = kernel_new_id(k, d);
	d->Reserved2 = k->generation;
	if (DriverObject) {
		d->NextDevice = DriverObject->DeviceObject;
		DriverObject->DeviceObject = d;
	}
	*DeviceObject = d;
	return STATUS_SUCCESS;
}

VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_IoDeleteDevice;
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	const unsigned char *p = (const unsigned char *)DeviceObject;
	if (!p || p < k->pool || p + sizeof *DeviceObject > k->pool + k->pool_used ||
	    !kernel_obj_live(k, DeviceObject->Reserved1, DeviceObject->Reserved2)) {
		kernel_report(k, RULE_K09, api, 0, "IoDeleteDevice on a device object not created in this run (or deleted)");
		return;
	}
	PDRIVER_OBJECT drv = DeviceObject->DriverObject;
	if (drv) {
		for (PDEVICE_OBJECT *link = &drv->DeviceObject; *link; link = &(*link)->NextDevice)
			if (*link == DeviceObject) {
				*link = DeviceObject->NextDevice;
				break;
			}
	}
	kernel_pool_free(k, api, DeviceObject, 0, false, KPOOL_DEVICE);
}

VOID IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
	(void)Irp;
	(void)PriorityBoost;
}
