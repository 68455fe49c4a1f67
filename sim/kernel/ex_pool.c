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

#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
/* Freed payloads are poisoned: a driver's later access is an ASan report at
 * the access (run/crash.c names the block, M19 for a cleaned-up binding). */
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POOL_POISON(p, n) ((void)(p), (void)(n))
#define POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define POOL_MAGIC 0x4C4F4F50u /* "POOL" */
#define POOL_MAGIC_FILL 0x4C4C4946u /* "FILL": padding before a page-aligned block */
/* kind bits beyond enum kernel_pool_kind: the payload starts a page and
 * fills whole pages (a binding context: allocated in an attach callback),
 * so its pages can be made inaccessible when a cleanup callback frees it. */
#define POOL_KIND_PAGES 0x80u
#define POOL_KIND_MASK 0x7fu
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

static uintptr_t page_size(void)
{
	static uintptr_t size;
	if (!size)
		size = (uintptr_t)sysconf(_SC_PAGESIZE);
	return size;
}

/* Bytes a block's payload occupies (to the next header). */
static size_t block_span(const struct kernel_pool_block *b)
{
	if (b->magic == POOL_MAGIC_FILL)
		return b->bytes;
	size_t payload = b->bytes ? (b->bytes + 15u) & ~(size_t)15u : 16u;
	if (b->kind & POOL_KIND_PAGES)
		payload = (payload + page_size() - 1) & ~(size_t)(page_size() - 1);
	return payload;
}

/* The innermost NMR callback thread `id` runs (oracle's view), CB_COUNT if none. */
static uint8_t current_cb(const struct kernel *k, uint32_t *handle)
{
	const struct sim_thread *t = k->sched->current;
	if (!t || !k->oracle || t->id >= SIM_THREADS_MAX)
		return CB_COUNT;
	const struct oracle_thread *ot = &k->oracle->threads[t->id];
	if (ot->depth == 0 || ot->depth > ORACLE_CB_DEPTH_MAX)
		return CB_COUNT;
	if (handle)
		*handle = ot->cb_handle[ot->depth - 1];
	return ot->cb[ot->depth - 1];
}

void kernel_pool_reset(struct kernel *k)
{
	if (k->pool_protected) {
		/* One call per block made inaccessible; without the records (a
		 * run that never reached its end) the whole pool. */
		for (uint32_t i = 0; i < k->nfreed_cleanup; i++)
			if (k->freed_cleanup[i].bytes)
				mprotect(k->freed_cleanup[i].payload, k->freed_cleanup[i].bytes, PROT_READ | PROT_WRITE);
		uintptr_t ps = page_size(), lo = ((uintptr_t)k->pool + ps - 1) & ~(ps - 1);
		uintptr_t hi = ((uintptr_t)k->pool + KERNEL_POOL_BYTES) & ~(ps - 1);
		if (!k->nfreed_cleanup && hi > lo)
			mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE);
		k->pool_protected = false;
	}
	k->nfreed_cleanup = 0;
	POOL_UNPOISON(k->pool, k->pool_dirty);
	k->pool_dirty = 0;
}

/* A block allocated inside an attach callback (a binding context, most
 * likely) gets whole pages, while the pool has room to spare: about
 * padding, never about the trace (addresses are not in it). */
static bool want_pages(const struct kernel *k, size_t payload)
{
#ifdef POOL_ASAN
	/* Poisoning finds the access already: no pages, no syscalls. */
	(void)k;
	(void)payload;
	return false;
#endif
	uint8_t cb = current_cb(k, NULL);
	if (cb != CB_CLIENT_ATTACH && cb != CB_PROVIDER_ATTACH)
		return false;
	return k->pool_used + payload + 3 * page_size() <= KERNEL_POOL_BYTES / 2;
}

void *kernel_pool_alloc(struct kernel *k, enum ke_api api, size_t bytes, uint32_t tag, bool zero, uint8_t kind)
{
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
	if (want_pages(k, payload)) {
		uintptr_t ps = page_size(), at = (uintptr_t)(k->pool + k->pool_used + sizeof(struct kernel_pool_block));
		size_t gap = (size_t)(((at + ps - 1) & ~(ps - 1)) - at);
		if (gap) {
			/* A filler block keeps the pool a walkable row of blocks. */
			struct kernel_pool_block *fill = (struct kernel_pool_block *)(void *)(k->pool + k->pool_used);
			*fill = (struct kernel_pool_block){ POOL_MAGIC_FILL, 0, (uint32_t)(gap - sizeof *fill), 0, EV_NONE8,
							    0 };
			k->pool_used += gap;
		}
		kind |= POOL_KIND_PAGES;
		payload = (payload + ps - 1) & ~(size_t)(ps - 1);
	}
	struct kernel_pool_block *b = (struct kernel_pool_block *)(void *)(k->pool + k->pool_used);
	k->pool_used += sizeof *b + payload;
	if (k->pool_used > k->pool_dirty)
		k->pool_dirty = k->pool_used;
	uint8_t module = kernel_module_now(k);
	*b = (struct kernel_pool_block){ magic_live(k), tag, (uint32_t)bytes, (uint16_t)(++k->pool_allocations), module,
					 kind };
	unsigned char *p = (unsigned char *)(b + 1);
	POOL_UNPOISON(p, payload);
	memset(p, zero ? 0 : POOL_FILL_NEW, payload);
	if (module < SCN_MODULES_MAX)
		k->modules[module].allocations++;
	kernel_emit(k, api, b->number, 0, (uint32_t)bytes);
	return p;
}

/* Timers, DPCs and work items queued inside freed memory would fire on
 * garbage: they are K09 and forgotten. */
static void forget_queued(struct kernel *k, enum ke_api api, const unsigned char *lo, const unsigned char *hi)
{
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
	if ((b->kind & POOL_KIND_MASK) != kind) {
		static const char *const kinds[] = { "a pool allocation", "an IO_WORKITEM", "a DEVICE_OBJECT" };
		uint8_t bk = b->kind & POOL_KIND_MASK;
		kernel_report(k, RULE_K05, api, b->number, "%s of pool block #%u, which is %s", ke_api_name(api), b->number,
			      bk < 3 ? kinds[bk] : "?");
		return false;
	}
	if (check_tag && b->tag != tag)
		kernel_report(k, RULE_K05, api, b->number,
			      "%s of pool block #%u with tag 0x%08x; it was allocated with tag 0x%08x", ke_api_name(api),
			      b->number, (unsigned)tag, (unsigned)b->tag);
	b->magic = ~magic_live(k);
	if (b->module < SCN_MODULES_MAX && k->modules[b->module].allocations)
		k->modules[b->module].allocations--;
	size_t payload = block_span(b);
	forget_queued(k, api, c, c + payload);
	memset(c, POOL_FILL_FREED, payload);
	POOL_POISON(c, payload);
	uint32_t handle = 0;
	uint8_t cb = current_cb(k, &handle);
	if ((cb == CB_CLIENT_CLEANUP || cb == CB_PROVIDER_CLEANUP) && k->nfreed_cleanup < KERNEL_FREED_CLEANUP_MAX) {
		/* Plain builds: whole pages become inaccessible (sanitizer builds
		 * have the poison). */
		bool pages = (b->kind & POOL_KIND_PAGES) && mprotect(c, payload, PROT_NONE) == 0;
		k->pool_protected |= pages;
		k->freed_cleanup[k->nfreed_cleanup++] = (struct kernel_freed_cleanup){
			b->number, kernel_module_now(k), cb, handle, k->sched->step, pages ? (uint32_t)payload : 0, c };
	}
	kernel_emit(k, api, b->number, 0, b->bytes);
	return true;
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
		size_t payload = block_span(b);
		const unsigned char *lo = k->pool + off + sizeof *b, *hi = lo + payload;
		if (c < hi) {
			if (number)
				*number = b->number;
			if (c < lo || c + n > hi || b->magic == POOL_MAGIC_FILL)
				return KPOOL_BAD;
			return b->magic == magic_live(k) ? KPOOL_LIVE : KPOOL_FREED;
		}
		off += sizeof *b + payload;
	}
	return KPOOL_BAD; /* never handed out */
}

bool kernel_pool_freed_at(const struct kernel *k, const void *addr, uint16_t *number,
			  const struct kernel_freed_cleanup **cleanup)
{
	uint16_t n = 0;
	*cleanup = NULL;
	if (kernel_pool_lookup(k, addr, 1, &n) != KPOOL_FREED)
		return false;
	*number = n;
	for (uint32_t i = 0; i < k->nfreed_cleanup; i++)
		if (k->freed_cleanup[i].number == n)
			*cleanup = &k->freed_cleanup[i];
	return true;
}

static bool paged(POOL_TYPE type)
{
	return (type & 1) != 0; /* PagedPool, PagedPoolCacheAligned, PagedPoolSession */
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
	kernel_check_irql_max(k, api, paged(type) ? APC_LEVEL : DISPATCH_LEVEL);
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

VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_ExFreePoolWithTag, DISPATCH_LEVEL);
	kernel_enter(k, KE_ExFreePoolWithTag);
	kernel_pool_free(k, KE_ExFreePoolWithTag, P, Tag, true, KPOOL_DRIVER);
}

VOID ExFreePool(PVOID P)
{
	struct kernel *k = kernel_get();
	kernel_check_irql_max(k, KE_ExFreePool, DISPATCH_LEVEL);
	kernel_enter(k, KE_ExFreePool);
	kernel_pool_free(k, KE_ExFreePool, P, 0, false, KPOOL_DRIVER);
}
