#include "core/arena.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/assert.h"

/* LeakSanitizer scans the heap and the globals for pointers, not mmap'd
 * pages: the arena is registered as a root region so a heap block that only
 * the arena points to is not reported as leaked (as when it came from
 * calloc). The other blocks of arena_pages hold no pointers. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_LSAN 1
#endif
#endif
#if !defined(ARENA_LSAN) && defined(__SANITIZE_ADDRESS__)
#define ARENA_LSAN 1
#endif
#ifdef ARENA_LSAN
#include <sanitizer/lsan_interface.h>
#endif

int arena_init(struct arena *a, size_t size_bytes)
{
	SIM_ASSERT(size_bytes > 0, "an arena has room");
	/* Zeroed by the system (fresh pages): arena_alloc clears only bytes an
	 * earlier allocation may have written. */
	a->base = arena_pages(size_bytes);
	a->size_bytes = a->base ? size_bytes : 0;
#ifdef ARENA_LSAN
	if (a->base)
		__lsan_register_root_region(a->base, size_bytes);
#endif
	a->used_bytes = 0;
	a->peak_bytes = 0;
	return a->base ? 0 : -1;
}

void arena_fini(struct arena *a)
{
#ifdef ARENA_LSAN
	if (a->base)
		__lsan_unregister_root_region(a->base, a->size_bytes);
#endif
	arena_pages_free(a->base, a->size_bytes);
	a->base = NULL;
	a->size_bytes = a->used_bytes = 0;
}

void *arena_alloc(struct arena *a, size_t bytes)
{
	SIM_ASSERT(a->base != NULL, "an arena is allocated before use");
	SIM_ASSERT_LE(a->used_bytes, a->size_bytes, "the bump offset stays inside the arena");
	size_t start = (a->used_bytes + 15u) & ~(size_t)15u;
	if (start > a->size_bytes || bytes > a->size_bytes - start)
		return NULL;
	/* Zeroed on allocation rather than on rewind: only touched bytes cost,
	 * and past the high-water mark none was ever handed out (still zero
	 * from arena_init; the first run's setup cleared the whole block). */
	size_t dirty = a->peak_bytes > start ? a->peak_bytes - start : 0;
	memset(a->base + start, 0, bytes < dirty ? bytes : dirty);
	a->used_bytes = start + bytes;
	if (a->used_bytes > a->peak_bytes)
		a->peak_bytes = a->used_bytes;
	SIM_ASSERT_LE(a->used_bytes, a->size_bytes, "an allocation ends inside the arena");
	return a->base + start;
}

void arena_rewind(struct arena *a, size_t mark)
{
	SIM_ASSERT_LE(mark, a->size_bytes, "a rewind mark lies inside the arena");
	if (mark <= a->used_bytes)
		a->used_bytes = mark;
}

/* The mapping: the block's pages, rounded up, then one guard page; the
 * block starts where its 16-byte-rounded end meets the guard. */
static size_t arena_page_bytes(void)
{
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? (size_t)page : 4096u;
}

void *arena_pages(size_t bytes)
{
	size_t page = arena_page_bytes();
	size_t span = (bytes + page - 1) / page * page;
	size_t tight = (bytes + 15u) & ~(size_t)15u;
	if (bytes == 0 || span < bytes || span > SIZE_MAX - page)
		return NULL;
	unsigned char *m = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + span, page, PROT_NONE) != 0) {
		munmap(m, span + page);
		return NULL;
	}
	return m + (span - tight);
}

void arena_pages_free(void *block, size_t bytes)
{
	if (!block)
		return;
	size_t page = arena_page_bytes();
	size_t span = (bytes + page - 1) / page * page;
	unsigned char *m = (unsigned char *)((uintptr_t)block & ~(uintptr_t)(page - 1));
	SIM_ASSERT((unsigned char *)block + ((bytes + 15u) & ~(size_t)15u) == m + span,
		   "a block is given back with the size it was mapped with");
	munmap(m, span + page);
}
