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

#endif
