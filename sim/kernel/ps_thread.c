/* ps_thread.c - system threads and their objects: PsCreateSystemThread,
 * PsTerminateSystemThread, PsGetCurrentThread, ObReferenceObjectByHandle,
 * ObReference/DereferenceObject, ZwClose.
 *
 * Every simulated thread has a KTHREAD (a dispatcher object, signalled when
 * the thread ends) in the kernel struct. A system thread is a kernel helper
 * thread with a fixed id (config.h), attributed to the module that created
 * it; handles are small values from a per-run table (never addresses). A
 * system thread of an unloaded module that runs driver code is K06. ZwClose
 * of a handle that is not open bug checks (INVALID_KERNEL_HANDLE), as on
 * Windows. */
#include "kernel/kernel.h"

#define HANDLE_BASE 0x80000000u /* kernel handles have the top bit set */

/* Object types: only their identity matters (ObReferenceObjectByHandle). */
struct _OBJECT_TYPE {
	ULONG Reserved;
};
static struct _OBJECT_TYPE object_types[4];
static POBJECT_TYPE object_type_ptrs[4] = { &object_types[0], &object_types[1], &object_types[2], &object_types[3] };
POBJECT_TYPE *PsThreadType = &object_type_ptrs[0];
POBJECT_TYPE *PsProcessType = &object_type_ptrs[1];
POBJECT_TYPE *ExEventObjectType = &object_type_ptrs[2];
POBJECT_TYPE *IoFileObjectType = &object_type_ptrs[3];

static KTHREAD *thread_object(struct kernel *k, uint8_t tid)
{
	SIM_ASSERT_LT(tid, SIM_THREADS_MAX, "a thread object belongs to a thread id");
	KTHREAD *o = &k->thread_objects[tid];
	if (o->Header.Reserved2 != k->generation) {
		memset(o, 0, sizeof *o);
		o->Header.Type = KOBJ_THREAD;
		o->Header.Reserved1 = kernel_new_id(k, o);
		o->Header.Reserved2 = k->generation;
		o->Header.Reserved3 = EV_NONE8;
	}
	return o;
}

uint32_t kernel_thread_object_id(struct kernel *k, uint8_t thread)
{
	return thread_object(k, thread)->Header.Reserved1;
}

/* The thread whose KTHREAD this is, or -1. */
static int object_thread(const struct kernel *k, const void *obj)
{
	const unsigned char *p = obj, *base = (const unsigned char *)k->thread_objects;
	if (p < base || p >= base + sizeof k->thread_objects || (size_t)(p - base) % sizeof(KTHREAD) != 0)
		return -1;
	return (int)((size_t)(p - base) / sizeof(KTHREAD));
}

uint32_t kernel_system_threads_running(const struct kernel *k, uint8_t module)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < KERNEL_SYSTEM_THREADS_MAX; i++)
		if (k->system_threads[i].used && k->system_threads[i].running && k->system_threads[i].module == module)
			n++;
	return n;
}

/* The thread ends: its object is signalled, waiters released. */
static _Noreturn void terminate(struct kernel *k, struct kernel_system_thread *st, NTSTATUS status)
{
	struct sim_thread *t = kernel_thread_now(k);
	char nb[8];
	if (k->threads[t->id].locks_held)
		kernel_report(k, RULE_K02, KE_PsTerminateSystemThread, 0, "a system thread of %s ends holding %u lock(s)",
			      kernel_module_name(k, st->module, nb), k->threads[t->id].locks_held);
	kernel_por(k, KFAM_THREADS);
	st->running = false;
	KTHREAD *o = thread_object(k, t->id);
	o->Header.SignalState = 1;
	kernel_emit(k, KE_PsTerminateSystemThread, o->Header.Reserved1, status, 0);
	kernel_dispatcher_signalled(k, &o->Header);
	sched_exit(k->sched);
}

static void system_thread(struct sched *s, void *arg)
{
	struct kernel_system_thread *st = arg;
	struct kernel *k = kernel_current;
	s->current->module = st->module;
	kernel_module_gone_read(k, st->module);
	char nb[8];
	if (st->module < SCN_MODULES_MAX && k->modules[st->module].unloaded) {
		kernel_report(k, RULE_K06, KE_SystemThread, kernel_thread_object_id(k, s->current->id),
			      "a system thread of %s would start after its Unload returned",
			      kernel_module_name(k, st->module, nb));
		terminate(k, st, STATUS_SUCCESS);
	}
	kernel_emit(k, KE_SystemThread, kernel_thread_object_id(k, s->current->id), 0, 0);
	kernel_sync_acquire(k, st);
	st->routine(st->context);
	/* Returning from the start routine ends the thread like
	 * PsTerminateSystemThread; its last instructions are still driver
	 * code, so Unload may run before them (why Unload must wait for the
	 * thread object, not an event the routine sets). */
	kernel_routine_returns(k, KE_SystemThread);
	if (s->current->irql != PASSIVE_LEVEL) {
		kernel_report(k, RULE_K01, KE_SystemThread, 0, "a system thread of %s returned at IRQL %u",
			      kernel_module_name(k, st->module, nb), s->current->irql);
		sched_set_irql(s, PASSIVE_LEVEL);
	}
	terminate(k, st, STATUS_SUCCESS);
}

int kernel_handle_free(const struct kernel *k)
{
	for (int i = 0; i < KERNEL_HANDLES_MAX; i++)
		if (!k->handles[i].open)
			return i;
	return -1;
}

HANDLE kernel_handle_value(int i)
{
	return (HANDLE)(uintptr_t)(HANDLE_BASE | ((uint32_t)(i + 1) << 2));
}

int kernel_handle_index(const struct kernel *k, HANDLE h)
{
	uintptr_t v = (uintptr_t)h;
	if ((v & HANDLE_BASE) == 0 || (v & 3u) != 0 || v > 0xffffffffu)
		return -1;
	uint32_t i = (uint32_t)((v & ~(uintptr_t)HANDLE_BASE) >> 2);
	if (i == 0 || i > KERNEL_HANDLES_MAX || !k->handles[i - 1].open)
		return -1;
	return (int)(i - 1);
}

NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
			      HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine, PVOID StartContext)
{
	(void)DesiredAccess;
	(void)ObjectAttributes;
	(void)ProcessHandle;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_PsCreateSystemThread;
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	int slot = -1, h = -1;
	for (int i = 0; i < KERNEL_SYSTEM_THREADS_MAX && slot < 0; i++)
		if (!k->system_threads[i].used)
			slot = i;
	h = kernel_handle_free(k);
	if (slot < 0 || h < 0 || !StartRoutine || !ThreadHandle) {
		kernel_emit(k, api, 0, STATUS_INSUFFICIENT_RESOURCES, 0);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	uint8_t module = kernel_module_now(k), tid = (uint8_t)(SIM_THREAD_SYSTEM_FIRST + slot);
	SIM_ASSERT_LT(tid, SIM_THREADS_MAX, "a system thread's id is one of the kernel's fixed ids");
	struct kernel_system_thread *st = &k->system_threads[slot];
	*st = (struct kernel_system_thread){ StartRoutine, StartContext, module, tid, true, true };
	KTHREAD *o = thread_object(k, tid);
	o->Header.SignalState = 0;
	o->Header.Reserved3 = module;
	struct sim_thread *t = sched_spawn_at(k->sched, tid, THREAD_SYSTEM, system_thread, st);
	if (!t) {
		st->used = false;
		kernel_emit(k, api, 0, STATUS_INSUFFICIENT_RESOURCES, 0);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	t->module = module;
	/* The creator's work is visible to the new thread. */
	kernel_sync_release(k, st);
	SIM_ASSERT_LT((unsigned)h, KERNEL_HANDLES_MAX, "a new handle takes a slot of the handle table");
	k->handles[h] = (struct kernel_handle){ true, tid, module, KERNEL_HANDLE_THREAD, 0, 0 };
	if (module < SCN_MODULES_MAX)
		k->modules[module].handles++;
	kernel_module_changed(k, module);
	*ThreadHandle = kernel_handle_value(h);
	if (ClientId) {
		ClientId->UniqueProcess = (HANDLE)(uintptr_t)4;
		ClientId->UniqueThread = (HANDLE)(uintptr_t)(4u * (tid + 1u));
	}
	kernel_emit(k, api, o->Header.Reserved1, 0, 0);
	return STATUS_SUCCESS;
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_PsTerminateSystemThread;
	struct sim_thread *t = kernel_thread_now(k);
	if (t->kind != THREAD_SYSTEM || t->id < SIM_THREAD_SYSTEM_FIRST) {
		kernel_report(k, RULE_K09, api, 0, "PsTerminateSystemThread on a thread that is not a system thread");
		return STATUS_INVALID_PARAMETER;
	}
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	SIM_ASSERT_LT(t->id - SIM_THREAD_SYSTEM_FIRST, KERNEL_SYSTEM_THREADS_MAX, "a system thread has a slot");
	terminate(k, &k->system_threads[t->id - SIM_THREAD_SYSTEM_FIRST], ExitStatus);
}

PKTHREAD KeGetCurrentThread(VOID)
{
	struct kernel *k = kernel_get();
	return thread_object(k, kernel_thread_now(k)->id);
}

PETHREAD PsGetCurrentThread(VOID)
{
	return KeGetCurrentThread();
}

HANDLE PsGetCurrentThreadId(VOID)
{
	return (HANDLE)(uintptr_t)(4u * (kernel_thread_now(kernel_get())->id + 1u));
}

HANDLE PsGetCurrentProcessId(VOID)
{
	return (HANDLE)(uintptr_t)4;
}

BOOLEAN PsIsSystemThread(PETHREAD Thread)
{
	(void)Thread;
	return TRUE; /* every simulated thread runs in the system process */
}

KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)
{
	(void)Thread;
	(void)Priority;
	return 8;
}

NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
				   KPROCESSOR_MODE AccessMode, PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)
{
	(void)DesiredAccess;
	(void)ObjectType;
	(void)AccessMode;
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ObReferenceObjectByHandle;
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	*Object = NULL;
	uint8_t tid;
	if (Handle == NtCurrentThread()) {
		tid = kernel_thread_now(k)->id;
	} else {
		int i = kernel_handle_index(k, Handle);
		if (i < 0) {
			kernel_emit(k, api, 0, STATUS_INVALID_HANDLE, 0);
			return STATUS_INVALID_HANDLE;
		}
		if (k->handles[i].kind != KERNEL_HANDLE_THREAD) {
			kernel_emit(k, api, 0, STATUS_OBJECT_TYPE_MISMATCH, 0);
			return STATUS_OBJECT_TYPE_MISMATCH; /* a registry key: only threads are objects here */
		}
		tid = k->handles[i].thread;
	}
	KTHREAD *o = thread_object(k, tid);
	o->Header.Reserved4++;
	uint8_t module = kernel_module_now(k);
	if (module < SCN_MODULES_MAX)
		k->modules[module].handles++;
	kernel_module_changed(k, module);
	if (HandleInformation) {
		HandleInformation->HandleAttributes = 0;
		HandleInformation->GrantedAccess = THREAD_ALL_ACCESS;
	}
	*Object = o;
	kernel_emit(k, api, o->Header.Reserved1, 0, o->Header.Reserved4);
	return STATUS_SUCCESS;
}

/* The KTHREAD obj is, checked; NULL after a K09 report. */
static KTHREAD *referenced(struct kernel *k, enum ke_api api, PVOID Object)
{
	int tid = object_thread(k, Object);
	if (tid < 0 || k->thread_objects[tid].Header.Reserved2 != k->generation) {
		kernel_report(k, RULE_K09, api, 0, "%s on something that is not an object the simulation handed out",
			      ke_api_name(api));
		return NULL;
	}
	return &k->thread_objects[tid];
}

LONG_PTR ObfReferenceObject(PVOID Object)
{
	struct kernel *k = kernel_get();
	kernel_por(k, KFAM_THREADS); /* not a scheduling point: part of the running step */
	KTHREAD *o = referenced(k, KE_ObReferenceObject, Object);
	if (!o)
		return 0;
	o->Header.Reserved4++;
	uint8_t module = kernel_module_now(k);
	if (module < SCN_MODULES_MAX)
		k->modules[module].handles++;
	kernel_module_changed(k, module);
	return (LONG_PTR)o->Header.Reserved4;
}

LONG_PTR ObfDereferenceObject(PVOID Object)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ObDereferenceObject;
	kernel_check_irql_max(k, api, DISPATCH_LEVEL);
	kernel_por(k, KFAM_THREADS); /* not a scheduling point: part of the running step */
	KTHREAD *o = referenced(k, api, Object);
	if (!o)
		return 0;
	if (o->Header.Reserved4 == 0) {
		kernel_report(k, RULE_K09, api, o->Header.Reserved1,
			      "ObDereferenceObject on thread object #%u, which holds no reference from the driver",
			      o->Header.Reserved1);
		return 0;
	}
	o->Header.Reserved4--;
	uint8_t module = kernel_module_now(k);
	if (module < SCN_MODULES_MAX && k->modules[module].handles)
		k->modules[module].handles--;
	kernel_module_changed(k, module);
	kernel_emit(k, api, o->Header.Reserved1, 0, o->Header.Reserved4);
	return (LONG_PTR)o->Header.Reserved4;
}

NTSTATUS ZwClose(HANDLE Handle)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ZwClose;
	kernel_check_irql_max(k, api, PASSIVE_LEVEL);
	kernel_enter(k, api);
	int i = kernel_handle_index(k, Handle);
	if (i < 0)
		KeBugCheckEx(INVALID_KERNEL_HANDLE, (ULONG_PTR)Handle, 1, 0, 0);
	SIM_ASSERT_LT((unsigned)i, KERNEL_HANDLES_MAX, "a closed handle is in the handle table");
	SIM_ASSERT(k->handles[i].open, "a closed handle was open");
	struct kernel_handle *h = &k->handles[i];
	h->open = false;
	if (h->module < SCN_MODULES_MAX && k->modules[h->module].handles)
		k->modules[h->module].handles--;
	kernel_module_acct(k, h->module, true); /* the creator's count: maybe another module's */
	kernel_emit(k, api, h->kind == KERNEL_HANDLE_KEY ? 0 : thread_object(k, h->thread)->Header.Reserved1, 0, 0);
	return STATUS_SUCCESS;
}
