/* fiber.h - simulated kernel threads' execution contexts on pooled stacks.
 *
 * One OS thread runs every simulated thread. A fiber is a stack plus a saved
 * stack pointer; fiber_switch() saves the callee-saved registers of the running
 * fiber and restores those of the target (a few instructions of assembly on
 * x86-64 and aarch64; ucontext only where no assembly exists, because
 * swapcontext costs a system call per switch).
 *
 * Stacks come from a pool allocated once (mmap with a guard page below each
 * stack) and are reused across runs: a run never allocates a stack. A fiber
 * abandoned mid-run (the run stopped on a finding) is simply restarted by the
 * next fiber_start(); nothing on its stack is ever resumed.
 *
 * ASan: every switch is announced with __sanitizer_start_switch_fiber /
 * __sanitizer_finish_switch_fiber so ASan's notion of the current stack stays
 * right, and fiber_start() unpoisons a reused stack.
 */
#ifndef NMRSIM_FIBER_H
#define NMRSIM_FIBER_H

#include <stddef.h>
#include <stdint.h>

typedef void (*fiber_fn)(void *arg);

struct fiber {
	void *sp;               /* saved stack pointer while not running */
	unsigned char *stack;   /* lowest usable byte of the stack (above the guard page); NULL for the main fiber */
	size_t stack_bytes;     /* usable bytes of the stack */
	fiber_fn fn;            /* entry function, called once per fiber_start() */
	void *arg;              /* its argument */
	void *asan_fake_stack;  /* ASan fake-stack handle saved across a switch */
	const void *asan_bottom;/* ASan: bottom of this fiber's stack (learned on first switch for main) */
	size_t asan_size;       /* ASan: size of this fiber's stack */
#if defined(NMRSIM_FIBER_UCONTEXT)
	void *uctx;             /* ucontext_t storage, fallback only */
#endif
};

struct fiber_pool {
	struct fiber *fibers;   /* count fibers, each with its own stack */
	unsigned char *region;  /* one mapping holding every stack and guard page */
	size_t region_bytes;    /* size of that mapping */
	uint32_t count;         /* number of fibers */
	size_t stack_bytes;     /* usable bytes per stack */
};

/* Map count stacks of stack_bytes (rounded up to pages) with guard pages.
 * Returns 0, or -1 if the mapping failed. */
int fiber_pool_init(struct fiber_pool *p, uint32_t count, size_t stack_bytes);
void fiber_pool_fini(struct fiber_pool *p);

/* Make the calling OS-thread context usable as a switch source/target. */
void fiber_init_main(struct fiber *main_fiber);

/* Prepare f so that the next switch to it calls fn(arg) on its own stack
 * from the top. fn must never return: it ends by switching away for good
 * with fiber_switch_final(). Safe on a fiber abandoned in a previous run. */
void fiber_start(struct fiber *f, fiber_fn fn, void *arg);

/* Suspend from (the running fiber) and resume to. Returns when some fiber
 * switches back to from. */
void fiber_switch(struct fiber *from, struct fiber *to);

/* Like fiber_switch, but from will never be resumed until a new fiber_start
 * (lets ASan drop its fake stack). */
void fiber_switch_final(struct fiber *from, struct fiber *to);

/* Which implementation was compiled in: "x86_64-asm", "aarch64-asm" or "ucontext". */
const char *fiber_impl_name(void);

#endif
