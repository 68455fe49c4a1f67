/* drvmem.c - is this driver memory readable now? (see drvmem.h) */
#include "host/drvmem.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/host.h"
#include "kernel/kernel.h"

/* Pages seen mapped (round robin). Mappings of static data and the engine's
 * own buffers never go away during a process, so a hit needs no syscall. */
#define DRVMEM_PAGES_CACHED 16
static struct {
	uintptr_t pages[DRVMEM_PAGES_CACHED];
	unsigned next;
	uintptr_t page_size;
} cache;

static bool page_mapped(uintptr_t page)
{
	for (unsigned i = 0; i < DRVMEM_PAGES_CACHED; i++)
		if (cache.pages[i] == page)
			return true;
	unsigned char vec;
	if (mincore((void *)page, cache.page_size, &vec) != 0)
		return false;
	cache.pages[cache.next++ % DRVMEM_PAGES_CACHED] = page;
	return true;
}

static bool mapped(uintptr_t lo, uintptr_t hi)
{
	if (!cache.page_size)
		cache.page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (uintptr_t page = lo & ~(cache.page_size - 1); page < hi; page += cache.page_size)
		if (!page_mapped(page))
			return false;
	return true;
}

/* Inside a simulated thread's stack (or its guard page): whether it is live. */
static bool in_stacks(const struct sched *s, uintptr_t lo, uintptr_t hi, enum drvmem_state *st)
{
	const struct fiber_pool *pool = s->pool;
	uintptr_t rlo = (uintptr_t)pool->region, rhi = rlo + pool->region_bytes;
	if (hi <= rlo || lo >= rhi)
		return false;
	*st = DRVMEM_UNMAPPED; /* a guard page unless a stack holds it */
	for (uint32_t i = 0; i < pool->count; i++) {
		const struct fiber *f = &pool->fibers[i];
		uintptr_t slo = (uintptr_t)f->stack, shi = slo + f->stack_bytes;
		if (lo < slo || lo >= shi)
			continue;
		if (hi > shi || i >= SIM_THREADS_MAX || i >= s->nthreads) {
			*st = DRVMEM_DEAD_STACK;
			return true;
		}
		const struct sim_thread *t = &s->threads[i];
		uintptr_t sp = t == s->current ? (uintptr_t)__builtin_frame_address(0) : (uintptr_t)f->sp;
		bool live = (t->state == TS_RUNNABLE || t->state == TS_BLOCKED) && lo >= sp;
		*st = live ? DRVMEM_OK : DRVMEM_DEAD_STACK;
		return true;
	}
	return true;
}

bool drvmem_static(const void *p, size_t n)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + (n ? n : 1);
	const struct sched *s = host_current ? host_current->sched : NULL;
	if (s && hi > (uintptr_t)s->pool->region && lo < (uintptr_t)s->pool->region + s->pool->region_bytes)
		return false;
	if (kernel_current && hi > (uintptr_t)kernel_current->pool &&
	    lo < (uintptr_t)kernel_current->pool + KERNEL_POOL_BYTES)
		return false;
	return drvmem_check(p, n) == DRVMEM_OK;
}

int drvmem_stack_thread(const void *p, size_t n)
{
	const struct sched *s = host_current ? host_current->sched : NULL;
	uintptr_t lo = (uintptr_t)p, hi = lo + (n ? n : 1);
	if (!s || !p || hi <= (uintptr_t)s->pool->region || lo >= (uintptr_t)s->pool->region + s->pool->region_bytes)
		return -1;
	for (uint32_t i = 0; i < s->pool->count && i < SIM_THREADS_MAX; i++) {
		const struct fiber *f = &s->pool->fibers[i];
		if (lo >= (uintptr_t)f->stack && hi <= (uintptr_t)f->stack + f->stack_bytes)
			return (int)i;
	}
	return -1;
}

enum drvmem_state drvmem_check(const void *p, size_t n)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + (n ? n : 1);
	if (lo < 4096)
		return DRVMEM_NULL;
	if (hi < lo)
		return DRVMEM_UNMAPPED;
	enum drvmem_state st;
	if (host_current && host_current->sched && in_stacks(host_current->sched, lo, hi, &st))
		return st;
	if (kernel_current) {
		switch (kernel_pool_lookup(kernel_current, p, n, NULL)) {
		case KPOOL_LIVE: return DRVMEM_OK;
		case KPOOL_FREED: case KPOOL_BAD: return DRVMEM_FREED_POOL;
		default: break;
		}
	}
	return mapped(lo, hi) ? DRVMEM_OK : DRVMEM_UNMAPPED;
}

const char *drvmem_describe(enum drvmem_state st)
{
	switch (st) {
	case DRVMEM_OK: return "valid memory";
	case DRVMEM_NULL: return "a null pointer";
	case DRVMEM_DEAD_STACK: return "a stack frame that returned";
	case DRVMEM_FREED_POOL: return "pool memory that was freed";
	case DRVMEM_UNMAPPED: return "unmapped memory";
	}
	return "?";
}
