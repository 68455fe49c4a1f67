/* ex_pool.c - the pool: ExAllocatePool*, ExFreePool*.
 *
 * Blocks are carved from a fixed buffer inside struct kernel (bump
 * allocation, never reused within a run, so a use after free reads the
 * 0xDD fill instead of another block). Each block has a header the driver
 * does not see: a magic that tells live from freed (and this run from
 * another), the tag, the size and the owning module (leak accounting). An
 * allocation fails when the choice stream says so (CK_POOL_FAULT at the
 * run's ratio; option 0 = succeed) or when the buffer is used up. Memory
 * that is not zeroed by contract is filled with 0xCD, so reading it
 * uninitialised is deterministic. */
#include "kernel/kernel.h"

#define POOL_MAGIC 0x4C4F4F50u /* "POOL" */
#define POOL_FILL_NEW 0xCD
#define POOL_FILL_FREED 0xDD

struct kernel_pool_block {
	uint32_t magic;   /* POOL_MAGIC ^ generation live, its complement freed */
	uint32_t tag;     /* as allocated */
	uint32_t bytes;   /* size asked for */
	uint16_t number;  /* allocation number in this run (reports) */
	uint8_t module;   /* owner (leak accounting), EV_NONE8 if none */
	uint8_t kind;     /* enum kernel_pool_kind */
};
_Static_assert(sizeof(struct kernel_pool_block) == 16, "pool payloads stay 16-byte aligned");

static uint32_t magic_live(const struct kernel *k) { return POOL_MAGIC ^ k->generation; }

static size_t payload_of(const struct kernel_pool_block *b)
{
	return b->bytes ? (b->bytes + 15u) & ~(size_t)15u : 16u;
}

/* Granule states of [p, p + payload) (payload a multiple of 16). */
static void mark(struct kernel *k, const unsigned char *p, size_t payload, uint8_t state)
{
	size_t off = (size_t)(p - k->pool);
	/* The reduced search: every later access of the block depends on this. */
	if (k->sched->por) {
		por_log_span(k->sched->por, POR_MEM_POOL, off, payload, true);
		/* race's exact footprint also has the lines as a kernel object's
		 * (the span gave them as driver memory's). */
		if (k->sched->por->exact)
			for (size_t l = off / POR_MEM_LINE; l * POR_MEM_LINE < off + payload; l++)
				por_log_mark_exact(k->sched->por, por_mem_key(POR_MEM_POOL, l * POR_MEM_LINE), true);
	}
	SIM_ASSERT_LE(off + payload, KERNEL_POOL_BYTES, "marked granules lie inside the pool");
	memset(&k->pool_granule[off / 16u], state, payload / 16u);
	if (off + payload > k->pool_marked)
		k->pool_marked = off + payload;
}

void kernel_pool_mark(struct kernel *k, const void *p, uint8_t state)
{
	const unsigned char *c = p;
	if (c < k->pool + sizeof(struct kernel_pool_block) || c >= k->pool + k->pool_used)
		return;
	size_t off = (size_t)(c - k->pool) & ~(size_t)15u;
	/* Back to the block's first granule: headers are KPG_NONE. */
	while (off >= 16u && k->pool_granule[off / 16u - 1u] != KPG_NONE)
		off -= 16u;
	const struct kernel_pool_block *b = (const void *)(k->pool + off - sizeof *b);
	mark(k, k->pool + off, payload_of(b), state);
}

/* The cleanup callback thread t runs now (the oracle's view): its enum
 * nmr_cb and binding handle; CB_COUNT if t runs none. */
static uint8_t cleanup_now(const struct kernel *k, uint32_t *handle)
{
	const struct sim_thread *t = k->sched->current;
	if (!t || !k->oracle || t->id >= SIM_THREADS_MAX)
		return CB_COUNT;
	const struct oracle_thread *ot = &k->oracle->threads[t->id];
	if (ot->depth == 0 || ot->depth > ORACLE_CB_DEPTH_MAX)
		return CB_COUNT;
	uint8_t cb = ot->cb[ot->depth - 1];
	if (cb != CB_CLIENT_CLEANUP && cb != CB_PROVIDER_CLEANUP)
		return CB_COUNT;
	*handle = ot->cb_handle[ot->depth - 1];
	return cb;
}

void *kernel_pool_alloc(struct kernel *k, enum ke_api api, size_t bytes, uint32_t tag, bool zero, uint8_t kind)
{
	kernel_por(k, KFAM_POOL);
	if (k->pool_fault_den && choice_chance(k->choice, CK_POOL_FAULT, k->pool_fault_num, k->pool_fault_den)) {
		struct event e = { .kind = EV_CHOICE, .what = CK_POOL_FAULT, .module = kernel_module_now(k),
				   .peer = EV_NONE8, .binding = EV_NONE16, .arg = 1 };
		sched_emit(k->sched, &e);
		kernel_emit(k, api, 0, STATUS_INSUFFICIENT_RESOURCES, (uint32_t)bytes);
		return NULL;
	}
	size_t payload = bytes ? (bytes + 15u) & ~(size_t)15u : 16u;
	if (bytes > KERNEL_POOL_BYTES || k->pool_used + sizeof(struct kernel_pool_block) + payload > KERNEL_POOL_BYTES) {
		kernel_emit(k, api, 0, STATUS_INSUFFICIENT_RESOURCES, (uint32_t)bytes);
		return NULL;
	}
	struct kernel_pool_block *b = (struct kernel_pool_block *)(void *)(k->pool + k->pool_used);
	k->pool_used += sizeof *b + payload;
	SIM_ASSERT_LE(k->pool_used, KERNEL_POOL_BYTES, "pool blocks lie inside the pool buffer");
	SIM_ASSERT_EQ(k->pool_used % 16u, 0, "pool blocks stay 16-byte aligned");
	uint8_t module = kernel_module_now(k);
	*b = (struct kernel_pool_block){ magic_live(k), tag, (uint32_t)bytes, (uint16_t)(++k->pool_allocations), module,
					 kind };
	unsigned char *p = (unsigned char *)(b + 1);
	memset(p, zero ? 0 : POOL_FILL_NEW, payload);
	/* Work items and devices are the kernel's objects: driver code that
	 * touches them after the free is not checked at the access. */
	mark(k, p, payload, kind == KPOOL_DRIVER ? KPG_LIVE : KPG_QUIET);
	if (module < SCN_MODULES_MAX)
		k->modules[module].allocations++;
	kernel_module_changed(k, module);
	kernel_emit(k, api, b->number, 0, (uint32_t)bytes);
	return p;
}

bool kernel_pool_block_of(const struct kernel *k, const void *addr, uint32_t *number, uint32_t *tag, uint32_t *offset)
{
	const unsigned char *p = addr;
	if (p < k->pool || p >= k->pool + k->pool_used)
		return false;
	for (size_t at = 0; at < k->pool_used;) {
		const struct kernel_pool_block *b = (const void *)(k->pool + at);
		size_t payload = b->bytes ? (b->bytes + 15u) & ~(size_t)15u : 16u;
		const unsigned char *lo = (const unsigned char *)(b + 1);
		if (p >= lo && p < lo + payload) {
			if (b->kind != KPOOL_DRIVER)
				return false; /* the kernel's own (a work item, a device): not the driver's allocation */
			*number = b->number;
			*tag = b->tag;
			*offset = (uint32_t)(p - lo);
			return true;
		}
		at += sizeof *b + payload;
	}
	return false;
}

/* Timers, DPCs and work items queued inside freed memory would fire on
 * garbage: they are K09 and forgotten. */
static void forget_queued(struct kernel *k, enum ke_api api, const unsigned char *lo, const unsigned char *hi)
{
	SIM_ASSERT_LE(k->ntimers, KERNEL_TIMERS_MAX, "set timers fit the timer table");
	SIM_ASSERT_LE(k->dpc_len, KERNEL_DPCS_MAX, "the DPC queue holds at most its capacity");
	SIM_ASSERT_LE(k->work_len, KERNEL_WORK_MAX, "the work queue holds at most its capacity");
	for (uint32_t i = 0; i < k->ntimers;) {
		const unsigned char *t = (const unsigned char *)k->timers[i];
		if (t >= lo && t < hi) {
			kernel_report(k, RULE_K09, api, k->timers[i]->Header.Reserved1,
				      "%s frees memory holding timer #%u, which is still set", ke_api_name(api),
				      k->timers[i]->Header.Reserved1);
			k->timers[i] = k->timers[--k->ntimers];
			continue;
		}
		i++;
	}
	for (uint32_t n = 0; n < k->dpc_len; n++) {
		PKDPC *slot = &k->dpcs[(k->dpc_head + n) % KERNEL_DPCS_MAX];
		const unsigned char *d = (const unsigned char *)*slot;
		if (d && d >= lo && d < hi) {
			kernel_report(k, RULE_K09, api, (*slot)->Reserved1, "%s frees memory holding DPC #%u, which is queued",
				      ke_api_name(api), (*slot)->Reserved1);
			*slot = NULL; /* the DPC thread skips it */
		}
	}
	for (uint32_t n = 0; n < k->work_len; n++) {
		struct kernel_work *w = &k->work[(k->work_head + n) % KERNEL_WORK_MAX];
		const unsigned char *d = (const unsigned char *)w->item;
		if (d && d >= lo && d < hi) {
			kernel_report(k, RULE_K09, api, w->id, "%s frees memory holding a work item that is queued",
				      ke_api_name(api));
			w->item = NULL; /* the worker skips it */
		}
	}
}

bool kernel_pool_free(struct kernel *k, enum ke_api api, void *p, uint32_t tag, bool check_tag, uint8_t kind)
{
	kernel_por(k, KFAM_POOL);
	unsigned char *c = p;
	kernel_touch(k, RULE_K05);
	if (!c) {
		kernel_report(k, RULE_K05, api, 0, "%s(NULL)", ke_api_name(api));
		return false;
	}
	if (c < k->pool + sizeof(struct kernel_pool_block) || c >= k->pool + k->pool_used ||
	    (size_t)(c - k->pool) % 16u != 0) {
		kernel_report(k, RULE_K05, api, 0, "%s of memory that is not a pool block", ke_api_name(api));
		return false;
	}
	struct kernel_pool_block *b = (struct kernel_pool_block *)(void *)(c - sizeof *b);
	if (b->magic == ~magic_live(k)) {
		kernel_report(k, RULE_K05, api, b->number, "%s of pool block #%u, which was already freed (double free)",
			      ke_api_name(api), b->number);
		return false;
	}
	if (b->magic != magic_live(k)) {
		kernel_report(k, RULE_K05, api, 0, "%s of memory that is not the start of a pool block", ke_api_name(api));
		return false;
	}
	if (b->kind != kind) {
		static const char *const kinds[] = { "a pool allocation", "an IO_WORKITEM", "a DEVICE_OBJECT",
						     "an EX_RUNDOWN_REF_CACHE_AWARE" };
		kernel_report(k, RULE_K05, api, b->number, "%s of pool block #%u, which is %s", ke_api_name(api), b->number,
			      b->kind < 4 ? kinds[b->kind] : "?");
		return false;
	}
	if (check_tag && b->tag != tag)
		kernel_report(k, RULE_K05, api, b->number,
			      "%s of pool block #%u with tag 0x%08x; it was allocated with tag 0x%08x", ke_api_name(api),
			      b->number, (unsigned)tag, (unsigned)b->tag);
	b->magic = ~magic_live(k);
	if (b->module < SCN_MODULES_MAX && k->modules[b->module].allocations)
		k->modules[b->module].allocations--;
	/* The owner's count, which its unload reads: maybe another module's. */
	kernel_module_acct(k, b->module, true);
	size_t payload = payload_of(b);
	forget_queued(k, api, c, c + payload);
	bool waited = kernel_waits_freed(k, c, c + payload);
	memset(c, POOL_FILL_FREED, payload);
	/* The block is never handed out again this run (bump allocation): it
	 * stays as quarantined as it can be, and driver code's later accesses
	 * are found at the access. One freed by a cleanup callback is recorded
	 * for M19. */
	uint32_t handle = 0;
	uint8_t cb = cleanup_now(k, &handle), state = kind == KPOOL_DRIVER ? KPG_FREED : KPG_QUIET;
	if (cb != CB_COUNT && state == KPG_FREED && k->nfreed_cleanup < KERNEL_FREED_CLEANUP_MAX) {
		k->freed_cleanup[k->nfreed_cleanup] = (struct kernel_freed_cleanup){ b->number, kernel_module_now(k), cb,
										       handle, k->sched->step };
		state = (uint8_t)(KPG_CLEANUP + k->nfreed_cleanup++);
	}
	mark(k, c, payload, state);
	kernel_emit(k, api, b->number, 0, b->bytes);
	if (waited)
		kernel_waits_freed_end(k);
	return true;
}

/* A routine given a driver object (a lock) that lies in freed pool: what an
 * instrumented driver access there reports (sim/host/memaccess.c), K05, or
 * M19 when a cleanup callback freed it; the block goes quiet (one finding).
 * The routine's own accesses are not instrumented, and a freed lock's
 * filler would read as a lock held for good. O(1) unless freed. */
static bool object_freed(struct kernel *k, enum ke_api api, const void *p, const char *when);

bool kernel_pool_object_freed(struct kernel *k, enum ke_api api, const void *p)
{
	return object_freed(k, api, p, "");
}

bool kernel_pool_object_freed_waited(struct kernel *k, enum ke_api api, const void *p)
{
	return object_freed(k, api, p, " while this thread waited on it");
}

static bool object_freed(struct kernel *k, enum ke_api api, const void *p, const char *when)
{
	const unsigned char *c = p;
	if (c < k->pool || c >= k->pool + k->pool_used)
		return false;
	uint8_t state = k->pool_granule[(size_t)(c - k->pool) / 16u];
	if (state < KPG_FREED) {
		/* Freed and already reported (driver code's access went first): no
		 * second finding, but the filler must not be read as an object
		 * either. Quiet is also a live work item's or device's block, so
		 * only a word of filler is looked up (the walk is O(blocks)). */
		uint32_t w = 0;
		if (state != KPG_QUIET || c + sizeof w > k->pool + KERNEL_POOL_BYTES)
			return false;
		memcpy(&w, c, sizeof w);
		return w == POOL_FILL_FREED * 0x01010101u && kernel_pool_lookup(k, p, 1, NULL) == KPOOL_FREED;
	}
	uint16_t number = 0;
	kernel_pool_lookup(k, p, 1, &number);
	kernel_pool_mark(k, p, KPG_QUIET);
	if (state >= KPG_CLEANUP) {
		const struct kernel_freed_cleanup *f = &k->freed_cleanup[state - KPG_CLEANUP];
		char nb[8];
		kernel_report(k, RULE_M19, api, number, "%s on an object in pool block #%u, after %s of %s freed it at step %u%s",
			      ke_api_name(api), number, nmr_cb_name((enum nmr_cb)f->cb), kernel_module_name(k, f->module, nb),
			      f->step, when);
	} else {
		kernel_report(k, RULE_K05, api, number, "%s on an object in pool block #%u, which was freed%s",
			      ke_api_name(api), number, when);
	}
	return true;
}

bool kernel_object_not_live(struct kernel *k, enum ke_api api, const void *p, const char *what)
{
	if (kernel_pool_object_freed(k, api, p))
		return true;
	kernel_report(k, RULE_K09, api, 0, "%s on %s that was not initialised in this run", ke_api_name(api), what);
	return false;
}

int kernel_pool_lookup(const struct kernel *k, const void *p, size_t n, uint16_t *number)
{
	const unsigned char *c = p;
	if (c < k->pool || c >= k->pool + KERNEL_POOL_BYTES)
		return KPOOL_NOT_POOL;
	/* Blocks lie one after another from the start (bump allocation). */
	size_t off = 0;
	while (off + sizeof(struct kernel_pool_block) <= k->pool_used) {
		const struct kernel_pool_block *b = (const void *)(k->pool + off);
		size_t payload = payload_of(b);
		const unsigned char *lo = k->pool + off + sizeof *b, *hi = lo + payload;
		if (c < hi) {
			if (number)
				*number = b->number;
			if (c < lo || c + n > hi)
				return KPOOL_BAD;
			return b->magic == magic_live(k) ? KPOOL_LIVE : KPOOL_FREED;
		}
		off += sizeof *b + payload;
	}
	return KPOOL_BAD; /* never handed out */
}

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExAllocatePool2;
	kernel_check_irql_max(k, api, (Flags & POOL_FLAG_PAGED) ? APC_LEVEL : DISPATCH_LEVEL);
	kernel_enter(k, api);
	return kernel_pool_alloc(k, api, NumberOfBytes, Tag, !(Flags & POOL_FLAG_UNINITIALIZED), KPOOL_DRIVER);
}

static PVOID alloc_typed(enum ke_api api, POOL_TYPE type, SIZE_T bytes, ULONG tag, bool zero)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, api, kernel_pool_type_paged(type) ? APC_LEVEL : DISPATCH_LEVEL);
	kernel_enter(k, api);
	return kernel_pool_alloc(k, api, bytes, tag, zero, KPOOL_DRIVER);
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return alloc_typed(KE_ExAllocatePoolWithTag, PoolType, NumberOfBytes, Tag, false);
}

PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority)
{
	(void)Priority;
	return alloc_typed(KE_ExAllocatePoolWithTag, PoolType, NumberOfBytes, Tag, false);
}

PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return alloc_typed(KE_ExAllocatePoolWithTag, PoolType, NumberOfBytes, Tag, false);
}

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
	return alloc_typed(KE_ExAllocatePoolWithTag, PoolType, NumberOfBytes, 0x656E6F4Eu /* "None" */, false);
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return alloc_typed(KE_ExAllocatePoolZero, PoolType, NumberOfBytes, Tag, true);
}

/* Frees behave the same at PASSIVE and DISPATCH (their limit; a free
 * never blocks or hands out an IRQL): sched_irql_blind. */
VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
	struct kernel *k = kernel_get();
	uint32_t mark = sched_irql_mark(k->sched);
	kernel_check_irql_max(k, KE_ExFreePoolWithTag, DISPATCH_LEVEL);
	kernel_enter(k, KE_ExFreePoolWithTag);
	kernel_pool_free(k, KE_ExFreePoolWithTag, P, Tag, true, KPOOL_DRIVER);
	sched_irql_blind(k->sched, mark);
}

VOID ExFreePool(PVOID P)
{
	struct kernel *k = kernel_get();
	uint32_t mark = sched_irql_mark(k->sched);
	kernel_check_irql_max(k, KE_ExFreePool, DISPATCH_LEVEL);
	kernel_enter(k, KE_ExFreePool);
	kernel_pool_free(k, KE_ExFreePool, P, 0, false, KPOOL_DRIVER);
	sched_irql_blind(k->sched, mark);
}
