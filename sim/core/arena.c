#include "core/arena.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"

int arena_init(struct arena *a, size_t size_bytes)
{
	SIM_ASSERT(size_bytes > 0, "an arena has room");
	/* Zeroed by the system (fresh pages for a large block): arena_alloc
	 * clears only bytes an earlier allocation may have written. */
	a->base = calloc(1, size_bytes);
	a->size_bytes = a->base ? size_bytes : 0;
	a->used_bytes = 0;
	a->peak_bytes = 0;
	return a->base ? 0 : -1;
}

void arena_fini(struct arena *a)
{
	free(a->base);
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
