/* fiber.c - context switch on pooled stacks (see fiber.h).
 *
 * Three pieces:
 *  - the pool: one mmap holding the struct fiber array, then for each fiber a
 *    PROT_NONE guard page followed by its stack (stacks grow down, so the guard
 *    sits below the stack it protects);
 *  - the switch: hand-written assembly on x86-64 (System V) and aarch64, or
 *    makecontext/swapcontext when NMRSIM_FIBER_UCONTEXT is defined (meson
 *    -Dfiber_impl=ucontext) or no assembly exists for the target;
 *  - ASan annotations around every switch, so ASan always knows which stack
 *    is current, and unpoisoning of a stack before it is reused.
 *
 * Nothing here depends on addresses in any observable way: addresses are only
 * stored and followed, never printed, hashed or compared for ordering.
 */
#include "core/fiber.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/assert.h"

/* ---- which implementation ---------------------------------------------- */

#if !defined(NMRSIM_FIBER_UCONTEXT) && defined(__ELF__) && !defined(__ILP32__) && \
	defined(__x86_64__) && !defined(_WIN32)
#define FIBER_X86_64 1
#elif !defined(NMRSIM_FIBER_UCONTEXT) && defined(__ELF__) && !defined(__ILP32__) && \
	defined(__aarch64__)
#define FIBER_AARCH64 1
#else
/* Either asked for, or no assembly for this target. struct fiber has its uctx
 * field only when NMRSIM_FIBER_UCONTEXT is defined (meson defines it for every
 * target without assembly), so the storage is found without the field: a
 * pooled fiber's ucontext_t sits right above its stack, the main fiber's is
 * per OS thread. */
#define FIBER_UCONTEXT 1
#include <ucontext.h>
#endif

/* ---- AddressSanitizer -------------------------------------------------- */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif
#if !defined(FIBER_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#endif

#ifdef FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/asan_interface.h>

/* The fiber that announced the switch in progress. Whoever finishes the
 * switch learns from ASan the bounds of the stack it left; that is how the
 * main fiber (no pooled stack) gets its asan_bottom/asan_size. One OS thread
 * runs every fiber, so a single variable per thread suffices. */
static _Thread_local struct fiber *asan_switch_from;

static void asan_before_switch(struct fiber *from, struct fiber *to, int final)
{
	asan_switch_from = from;
	if (final) {
		/* NULL fake-stack slot: ASan destroys from's fake stack (the one
		 * current now); forget the handle so nothing uses it again. */
		from->asan_fake_stack = NULL;
		__sanitizer_start_switch_fiber(NULL, to->asan_bottom, to->asan_size);
	} else {
		__sanitizer_start_switch_fiber(&from->asan_fake_stack, to->asan_bottom, to->asan_size);
	}
}

/* A fiber abandoned while suspended still owns a fake stack (only with
 * detect_stack_use_after_return): ASan frees one only when its fiber makes a
 * final switch. Do that on its behalf without leaving the current stack: tell
 * ASan we entered f (its fake stack becomes current), then that f leaves for
 * good back to where we are. No instrumented code runs in between. Without
 * this every abandoned run would leak ~700 KiB of address space. */
static void asan_drop_fake_stack(struct fiber *f)
{
	void *self_fake = NULL;
	const void *cur_bottom = NULL;
	size_t cur_size = 0;

	if (!f->asan_fake_stack)
		return;
	__sanitizer_start_switch_fiber(&self_fake, f->asan_bottom, f->asan_size);
	__sanitizer_finish_switch_fiber(f->asan_fake_stack, &cur_bottom, &cur_size);
	__sanitizer_start_switch_fiber(NULL, cur_bottom, cur_size);
	__sanitizer_finish_switch_fiber(self_fake, NULL, NULL);
	f->asan_fake_stack = NULL;
}

static void asan_after_switch(void *fake_stack)
{
	const void *bottom_old = NULL;
	size_t size_old = 0;
	struct fiber *prev;

	__sanitizer_finish_switch_fiber(fake_stack, &bottom_old, &size_old);
	prev = asan_switch_from;
	asan_switch_from = NULL;
	if (prev && !prev->stack) {
		prev->asan_bottom = bottom_old;
		prev->asan_size = size_old;
	}
}
#endif

/* ---- common entry ------------------------------------------------------ */

/* First code a started fiber runs, on its own stack. Reached from the
 * assembly trampoline (hence external, hidden) or from makecontext. Used:
 * only the assembly names it, which link-time optimisation (-Db_lto=true)
 * does not see, so it would drop the function. */
__attribute__((visibility("hidden"))) _Noreturn void nmrsim_fiber_entry(struct fiber *f);

__attribute__((visibility("hidden"), used)) _Noreturn void nmrsim_fiber_entry(struct fiber *f)
{
#ifdef FIBER_ASAN
	asan_after_switch(NULL);
#endif
	f->fn(f->arg);
	fputs("nmrsim: fiber entry function returned; it must end with fiber_switch_final()\n", stderr);
	abort();
}

/* ---- x86-64 System V --------------------------------------------------- */

#if defined(FIBER_X86_64)

/* nmrsim_fiber_swap(save_sp = rdi, load_sp = rsi): push the callee-saved
 * registers and the FP control state on the running stack, store rsp in
 * *save_sp, load rsp from *load_sp (read after the store, so save == load is a
 * no-op), pop the same frame from the target stack and return into it.
 * MXCSR and the x87 control word are reloaded only when the target's differ
 * from the current ones (ldmxcsr/fldcw cost ~20% of a switch); the result is
 * the same as reloading them always.
 *
 * Frame, from the saved rsp up (64 bytes, rsp 16-byte aligned):
 *   +0  MXCSR (4 bytes), x87 control word (2), pad (2)
 *   +8  r15  +16 r14  +24 r13  +32 r12  +40 rbx  +48 rbp  +56 return address
 *
 * nmrsim_fiber_trampoline: where a fresh frame "returns" to. fiber_start puts
 * the fiber in r12 and 0 in rbp; rsp is 16-byte aligned on arrival, so the
 * call into C sees the ABI's entry alignment (rsp + 8 multiple of 16). The
 * CFI marks the return address undefined: unwinders stop here. */
__asm__(
	".pushsection .text,\"ax\",@progbits\n"
	".globl nmrsim_fiber_swap\n"
	".hidden nmrsim_fiber_swap\n"
	".type nmrsim_fiber_swap,@function\n"
	".p2align 4\n"
	"nmrsim_fiber_swap:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %rbp, 0\n"
	"	pushq %rbx\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %rbx, 0\n"
	"	pushq %r12\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r12, 0\n"
	"	pushq %r13\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r13, 0\n"
	"	pushq %r14\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r14, 0\n"
	"	pushq %r15\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r15, 0\n"
	"	subq $8, %rsp\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movl (%rsp), %eax\n"
	"	movzwl 4(%rsp), %ecx\n"
	"	movq %rsp, (%rdi)\n"
	"	movq (%rsi), %rsp\n"
	"	cmpl (%rsp), %eax\n"
	"	jne 1f\n"
	"2:	cmpw 4(%rsp), %cx\n"
	"	jne 3f\n"
	"4:	addq $8, %rsp\n"
	"	.cfi_remember_state\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %r15\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %r15\n"
	"	popq %r14\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %r14\n"
	"	popq %r13\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %r13\n"
	"	popq %r12\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %r12\n"
	"	popq %rbx\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %rbx\n"
	"	popq %rbp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %rbp\n"
	"	ret\n"
	"	.cfi_restore_state\n"
	"1:	ldmxcsr (%rsp)\n"
	"	jmp 2b\n"
	"3:	fldcw 4(%rsp)\n"
	"	jmp 4b\n"
	"	.cfi_endproc\n"
	".size nmrsim_fiber_swap, .-nmrsim_fiber_swap\n"
	"\n"
	".globl nmrsim_fiber_trampoline\n"
	".hidden nmrsim_fiber_trampoline\n"
	".type nmrsim_fiber_trampoline,@function\n"
	".p2align 4\n"
	"nmrsim_fiber_trampoline:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined %rip\n"
	"	xorl %ebp, %ebp\n"
	"	movq %r12, %rdi\n"
	"	andq $-16, %rsp\n"
	"	call nmrsim_fiber_entry\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size nmrsim_fiber_trampoline, .-nmrsim_fiber_trampoline\n"
	".popsection\n");

#define FIBER_FRAME_WORDS 8u

#elif defined(FIBER_AARCH64)

/* nmrsim_fiber_swap(save_sp = x0, load_sp = x1), AAPCS64: x19-x28, the frame
 * record x29/x30, d8-d15 and FPCR (rounding mode etc.; a fiber is a thread,
 * so it keeps its own FP environment as under swapcontext). FPCR is written
 * only when it differs, since msr fpcr can be slow.
 *
 * Frame, from the saved sp up (176 bytes, sp 16-byte aligned):
 *   +0 x19 x20  +16 x21 x22  +32 x23 x24  +48 x25 x26  +64 x27 x28
 *   +80 x29 x30  +96 d8 d9  +112 d10 d11  +128 d12 d13  +144 d14 d15
 *   +160 FPCR, pad
 *
 * nmrsim_fiber_trampoline: a fresh frame "returns" here with the fiber in x19
 * and sp 16-byte aligned; x29/x30 are zeroed so frame-pointer unwinding ends. */
__asm__(
	".pushsection .text,\"ax\",%progbits\n"
	".globl nmrsim_fiber_swap\n"
	".hidden nmrsim_fiber_swap\n"
	".type nmrsim_fiber_swap,%function\n"
	".p2align 4\n"
	"nmrsim_fiber_swap:\n"
	"	.cfi_startproc\n"
	"	sub sp, sp, #176\n"
	"	.cfi_def_cfa_offset 176\n"
	"	stp x19, x20, [sp, #0]\n"
	"	stp x21, x22, [sp, #16]\n"
	"	stp x23, x24, [sp, #32]\n"
	"	stp x25, x26, [sp, #48]\n"
	"	stp x27, x28, [sp, #64]\n"
	"	stp x29, x30, [sp, #80]\n"
	"	.cfi_offset x29, -96\n"
	"	.cfi_offset x30, -88\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	"	mrs x10, fpcr\n"
	"	str x10, [sp, #160]\n"
	"	mov x9, sp\n"
	"	str x9, [x0]\n"
	"	ldr x9, [x1]\n"
	"	mov sp, x9\n"
	"	ldr x9, [sp, #160]\n"
	"	cmp x9, x10\n"
	"	b.eq 1f\n"
	"	msr fpcr, x9\n"
	"1:\n"
	"	ldp x19, x20, [sp, #0]\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	ldp x29, x30, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	add sp, sp, #176\n"
	"	.cfi_def_cfa_offset 0\n"
	"	.cfi_restore x29\n"
	"	.cfi_restore x30\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size nmrsim_fiber_swap, .-nmrsim_fiber_swap\n"
	"\n"
	".globl nmrsim_fiber_trampoline\n"
	".hidden nmrsim_fiber_trampoline\n"
	".type nmrsim_fiber_trampoline,%function\n"
	".p2align 4\n"
	"nmrsim_fiber_trampoline:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined x30\n"
	"	mov x0, x19\n"
	"	mov x29, xzr\n"
	"	mov x30, xzr\n"
	"	bl nmrsim_fiber_entry\n"
	"	brk #0\n"
	"	.cfi_endproc\n"
	".size nmrsim_fiber_trampoline, .-nmrsim_fiber_trampoline\n"
	".popsection\n");

#define FIBER_FRAME_WORDS 22u

#endif

#if defined(FIBER_X86_64) || defined(FIBER_AARCH64)
__attribute__((visibility("hidden"))) void nmrsim_fiber_swap(void **save_sp, void **load_sp);
__attribute__((visibility("hidden"))) void nmrsim_fiber_trampoline(void);

/* Bytes left untouched at the very top of every stack. */
#define FIBER_TOP_PAD 16u

static _Noreturn void resumed_after_final(void)
{
	fputs("nmrsim: fiber resumed after fiber_switch_final() without a new fiber_start()\n", stderr);
	abort();
}
#endif

#if defined(FIBER_UCONTEXT)
/* The main fiber's context. One OS thread, one main fiber at a time. */
static _Thread_local ucontext_t main_uctx;

static ucontext_t *uctx_of(struct fiber *f)
{
	return f->stack ? (ucontext_t *)(void *)(f->stack + f->stack_bytes) : &main_uctx;
}

/* makecontext passes int-sized arguments: the fiber pointer comes in halves. */
static void uc_entry(unsigned int lo, unsigned int hi)
{
	uint64_t v = ((uint64_t)hi << 32) | lo;
	nmrsim_fiber_entry((struct fiber *)(uintptr_t)v);
}
#endif

/* ---- pool --------------------------------------------------------------- */

static size_t page_bytes(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096u;
}

/* *out = n rounded up to a multiple of to (a power of two); 0 on overflow. */
static int round_up(size_t n, size_t to, size_t *out)
{
	if (n > SIZE_MAX - (to - 1))
		return 0;
	*out = (n + (to - 1)) & ~(to - 1);
	return 1;
}

int fiber_pool_init(struct fiber_pool *p, uint32_t count, size_t stack_bytes)
{
	size_t page = page_bytes();
	size_t stack, ctx = 0, slot, head, total;
	unsigned char *region;
	void *m;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	uint32_t i;

	memset(p, 0, sizeof *p);
	if (count == 0)
		return 0;
	if (stack_bytes == 0)
		stack_bytes = 1;
	if (!round_up(stack_bytes, page, &stack))
		return -1;
#if defined(FIBER_UCONTEXT)
	ctx = (sizeof(ucontext_t) + page - 1) / page * page;
#endif
	/* slot = guard + stack + ctx, all page multiples */
	if (stack > SIZE_MAX - page - ctx)
		return -1;
	slot = page + stack + ctx;
	if (sizeof(struct fiber) > SIZE_MAX / count ||
	    !round_up((size_t)count * sizeof(struct fiber), page, &head))
		return -1;
	if (slot > (SIZE_MAX - head) / count)
		return -1;
	total = head + slot * count;

#ifdef MAP_STACK
	flags |= MAP_STACK;
#endif
	m = mmap(NULL, total, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	region = m;
	for (i = 0; i < count; i++) {
		if (mprotect(region + head + (size_t)i * slot, page, PROT_NONE) != 0) {
			munmap(m, total);
			return -1;
		}
	}

	p->fibers = m; /* the array heads the mapping (anonymous: zero-filled) */
	p->region = region;
	p->region_bytes = total;
	p->count = count;
	p->stack_bytes = stack;
	for (i = 0; i < count; i++) {
		struct fiber *f = &p->fibers[i];
		f->stack = region + head + (size_t)i * slot + page;
		f->stack_bytes = stack;
		f->asan_bottom = f->stack;
		f->asan_size = stack;
#if defined(NMRSIM_FIBER_UCONTEXT)
		f->uctx = f->stack + stack;
#endif
	}
	return 0;
}

void fiber_pool_fini(struct fiber_pool *p)
{
	if (p->region) {
#ifdef FIBER_ASAN
		/* Stale stack poisoning must not outlive the mapping: the addresses
		 * may be handed out again by a later mmap. */
		__asan_unpoison_memory_region(p->region, p->region_bytes);
#endif
		munmap(p->region, p->region_bytes);
	}
	memset(p, 0, sizeof *p);
}

/* ---- fibers ------------------------------------------------------------- */

void fiber_init_main(struct fiber *main_fiber)
{
	memset(main_fiber, 0, sizeof *main_fiber);
	/* stack NULL marks the OS thread's own stack; ASan learns its bounds the
	 * first time it is switched away from. */
#if defined(NMRSIM_FIBER_UCONTEXT)
	main_fiber->uctx = &main_uctx;
#endif
}

void fiber_start(struct fiber *f, fiber_fn fn, void *arg)
{
	SIM_ASSERT(f->stack != NULL, "only a pooled fiber is started (main runs on the OS thread's stack)");
	SIM_ASSERT(fn != NULL, "a started fiber has an entry function");
	f->fn = fn;
	f->arg = arg;
#ifdef FIBER_ASAN
	asan_drop_fake_stack(f);
	/* Frames of an abandoned or finished run left redzones poisoned. */
	__asan_unpoison_memory_region(f->stack, f->stack_bytes);
#endif
	f->asan_fake_stack = NULL;

#if defined(FIBER_X86_64) || defined(FIBER_AARCH64)
	{
		unsigned char *top = f->stack + f->stack_bytes;
		uint64_t *frame = (uint64_t *)(void *)(top - FIBER_TOP_PAD - FIBER_FRAME_WORDS * sizeof(uint64_t));

		memset(frame, 0, FIBER_TOP_PAD + FIBER_FRAME_WORDS * sizeof(uint64_t));
#if defined(FIBER_X86_64)
		{
			/* A new fiber inherits the FP control state of its starter,
			 * like makecontext after getcontext. */
			uint32_t mxcsr;
			uint16_t fpucw;
			__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
			__asm__ volatile("fnstcw %0" : "=m"(fpucw));
			frame[0] = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
			frame[4] = (uint64_t)(uintptr_t)f;                  /* r12 */
			frame[6] = 0;                                       /* rbp */
			frame[7] = (uint64_t)(uintptr_t)&nmrsim_fiber_trampoline; /* return address */
		}
#else
		{
			uint64_t fpcr;
			__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
			frame[0] = (uint64_t)(uintptr_t)f;                  /* x19 */
			frame[10] = 0;                                      /* x29 */
			frame[11] = (uint64_t)(uintptr_t)&nmrsim_fiber_trampoline; /* x30 */
			frame[20] = fpcr;                                   /* FPCR */
		}
#endif
		f->sp = frame;
	}
#else
	{
		ucontext_t *uc = uctx_of(f);
		uintptr_t v = (uintptr_t)f;
		if (getcontext(uc) != 0) {
			perror("nmrsim: getcontext");
			abort();
		}
		uc->uc_stack.ss_sp = f->stack;
		uc->uc_stack.ss_size = f->stack_bytes;
		uc->uc_link = NULL;
		makecontext(uc, (void (*)(void))uc_entry, 2,
		            (unsigned int)((uint64_t)v & 0xffffffffu), (unsigned int)((uint64_t)v >> 32));
		f->sp = uc;
	}
#endif
}

/* A fiber switched to is main or has a saved stack pointer inside its own
 * stack (a pooled stack that the fiber overran or lost would resume garbage).
 * Checked when a thread ends (fiber_switch_final), not on every switch: a
 * plain switch is the one the scheduler makes most. */
static inline void check_target(const struct fiber *from, const struct fiber *to)
{
	SIM_ASSERT(from != to, "a fiber never switches to itself");
#if defined(FIBER_X86_64) || defined(FIBER_AARCH64)
	SIM_ASSERT(to->stack == NULL || ((const unsigned char *)to->sp >= to->stack &&
					 (const unsigned char *)to->sp < to->stack + to->stack_bytes),
		   "a fiber resumes on its own stack");
#endif
}

void fiber_switch(struct fiber *from, struct fiber *to)
{
#ifdef FIBER_ASAN
	asan_before_switch(from, to, 0);
#endif
#if defined(FIBER_UCONTEXT)
	if (swapcontext(uctx_of(from), uctx_of(to)) != 0) {
		perror("nmrsim: swapcontext");
		abort();
	}
#else
	nmrsim_fiber_swap(&from->sp, &to->sp);
#endif
#ifdef FIBER_ASAN
	asan_after_switch(from->asan_fake_stack);
#endif
}

void fiber_switch_final(struct fiber *from, struct fiber *to)
{
	check_target(from, to);
#ifdef FIBER_ASAN
	asan_before_switch(from, to, 1);
#endif
#if defined(FIBER_UCONTEXT)
	(void)from;
	setcontext(uctx_of(to));
	perror("nmrsim: setcontext");
	abort();
#else
	nmrsim_fiber_swap(&from->sp, &to->sp);
	resumed_after_final();
#endif
}

const char *fiber_impl_name(void)
{
#if defined(FIBER_X86_64)
	return "x86_64-asm";
#elif defined(FIBER_AARCH64)
	return "aarch64-asm";
#else
	return "ucontext";
#endif
}
