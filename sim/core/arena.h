/* arena.h - a run's memory. One block from the system heap at setup, carved
 * by bump allocation, rewound wholesale between runs: a run allocates nothing
 * from the system heap after the first. */
#ifndef NMRSIM_ARENA_H
#define NMRSIM_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct arena {
	unsigned char *base;  /* the block */
	size_t size_bytes;    /* its size */
	size_t used_bytes;    /* bump pointer offset */
	size_t peak_bytes;    /* high-water mark over all runs (for benchmarks) */
};

int arena_init(struct arena *a, size_t size_bytes);
void arena_fini(struct arena *a);
/* 16-byte aligned, zeroed; NULL when the arena is full (callers treat that as a capacity limit). */
void *arena_alloc(struct arena *a, size_t bytes);
static inline size_t arena_mark(const struct arena *a) { return a->used_bytes; }
void arena_rewind(struct arena *a, size_t mark);

/* Zeroed pages straight from the system (mmap), for the large blocks a run
 * mostly leaves untouched (the arena, the race search's footprints, the
 * tools' long choice logs): no page is touched until used. Through malloc or
 * calloc, MALLOC_PERTURB_ (which Meson sets for every test) has glibc fill
 * the whole block at allocation, about 30 MB per process for nothing: calloc
 * must return zeros anyway. The block ends 16-byte aligned against an
 * inaccessible page, so a write past its end faults in every build, as
 * ASan's redzone did. NULL when the system has no room. */
void *arena_pages(size_t bytes);
/* Give back a block of arena_pages (NULL: nothing), with its size. */
void arena_pages_free(void *block, size_t bytes);

#endif
