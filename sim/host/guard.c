/* guard.c - wrapped dispatch tables (see guard.h): shape lookup, per-binding
 * copies of declared shapes (guard_walk.c copies the others), and the
 * x86-64 trampolines that report a call and then jump to
 * the real function with every argument register (and the stack) as the
 * caller left them. */
#include "host/guard.h"

#include <string.h>

#include "core/assert.h"
#include "host/host.h"
#include "kernel/kernel.h"
#include "trace/trace.h"

extern const struct guard_shape_rec __start_nmrsim_shapes[] __attribute__((weak));
extern const struct guard_shape_rec __stop_nmrsim_shapes[] __attribute__((weak));

struct guard *guard_current;
bool guard_disabled;
/* The trampolines find their table through this, which stays valid between
 * runs (the tables live in the runner's arena). */
static struct guard *guard_last;

#if defined(__x86_64__) && !defined(NMRSIM_NO_GUARD)
#define GUARD_TRAMPOLINES 1
_Static_assert(GUARD_FNS_MAX == 1024, "the assembly below makes 1024 trampolines");

/* Trampoline k (16 bytes each): r11d = k, then the common part, which
 * calls the real function (so the return is seen too):
 *   1. save the argument registers (rdi rsi rdx rcx r8 r9, xmm0-7, and rax,
 *      the vector-register count of a variadic call) in its frame;
 *   2. nmrsim_guard_enter(k): the call event (a scheduling point) and the
 *      thread's module attribution switched to the callee; returns the
 *      real function;
 *   3. copy the caller's first 8 stack-argument slots below, restore the
 *      registers and call the function: it sees its arguments exactly as
 *      the caller passed them (dispatch functions of up to 6 integer and 8
 *      vector register arguments plus 8 stack slots);
 *   4. save the return registers (rax rdx xmm0 xmm1), nmrsim_guard_exit(k,
 *      rax) (the return event, attribution back), restore them and return.
 * r10 and r11 are scratch in the SysV ABI and carry no argument. Frame
 * (256 bytes above rsp after the push of rbp, rsp = 0 mod 16 at the calls):
 *   0..63 stack args, 64..191 xmm0-7, 192 rdi 200 rsi 208 rdx 216 rcx
 *   224 r8 232 r9 240 rax 248 k. */
__asm__(
	".text\n"
	".balign 16\n"
	".globl nmrsim_guard_tramps\n"
	".hidden nmrsim_guard_tramps\n"
	"nmrsim_guard_tramps:\n"
	".set nmrsim_guard_k, 0\n"
	".rept 1024\n"
	"  .balign 16\n"
	"  movl $nmrsim_guard_k, %r11d\n"
	"  jmp nmrsim_guard_common\n"
	"  .set nmrsim_guard_k, nmrsim_guard_k + 1\n"
	".endr\n"
	"nmrsim_guard_common:\n"
	"  push %rbp\n"
	"  mov %rsp, %rbp\n"
	"  sub $256, %rsp\n"
	"  mov %rdi, 192(%rsp)\n  mov %rsi, 200(%rsp)\n  mov %rdx, 208(%rsp)\n  mov %rcx, 216(%rsp)\n"
	"  mov %r8, 224(%rsp)\n  mov %r9, 232(%rsp)\n  mov %rax, 240(%rsp)\n  mov %r11, 248(%rsp)\n"
	"  movdqu %xmm0, 64(%rsp)\n  movdqu %xmm1, 80(%rsp)\n  movdqu %xmm2, 96(%rsp)\n  movdqu %xmm3, 112(%rsp)\n"
	"  movdqu %xmm4, 128(%rsp)\n  movdqu %xmm5, 144(%rsp)\n  movdqu %xmm6, 160(%rsp)\n  movdqu %xmm7, 176(%rsp)\n"
	"  mov %r11d, %edi\n"
	"  mov 8(%rbp), %rsi\n" /* the caller's return address: its call site (timeline notes) */
	"  call nmrsim_guard_enter\n"
	"  mov %rax, %r11\n"
	"  mov 16(%rbp), %r10\n  mov %r10, 0(%rsp)\n  mov 24(%rbp), %r10\n  mov %r10, 8(%rsp)\n"
	"  mov 32(%rbp), %r10\n  mov %r10, 16(%rsp)\n  mov 40(%rbp), %r10\n  mov %r10, 24(%rsp)\n"
	"  mov 48(%rbp), %r10\n  mov %r10, 32(%rsp)\n  mov 56(%rbp), %r10\n  mov %r10, 40(%rsp)\n"
	"  mov 64(%rbp), %r10\n  mov %r10, 48(%rsp)\n  mov 72(%rbp), %r10\n  mov %r10, 56(%rsp)\n"
	"  movdqu 64(%rsp), %xmm0\n  movdqu 80(%rsp), %xmm1\n  movdqu 96(%rsp), %xmm2\n  movdqu 112(%rsp), %xmm3\n"
	"  movdqu 128(%rsp), %xmm4\n  movdqu 144(%rsp), %xmm5\n  movdqu 160(%rsp), %xmm6\n  movdqu 176(%rsp), %xmm7\n"
	"  mov 192(%rsp), %rdi\n  mov 200(%rsp), %rsi\n  mov 208(%rsp), %rdx\n  mov 216(%rsp), %rcx\n"
	"  mov 224(%rsp), %r8\n  mov 232(%rsp), %r9\n  mov 240(%rsp), %rax\n"
	"  call *%r11\n"
	"  mov %rax, 192(%rsp)\n  mov %rdx, 200(%rsp)\n"
	"  movdqu %xmm0, 64(%rsp)\n  movdqu %xmm1, 80(%rsp)\n"
	"  mov 248(%rsp), %rdi\n"
	"  mov 192(%rsp), %rsi\n" /* the function's rax (timeline notes) */
	"  call nmrsim_guard_exit\n"
	"  mov 192(%rsp), %rax\n  mov 200(%rsp), %rdx\n"
	"  movdqu 64(%rsp), %xmm0\n  movdqu 80(%rsp), %xmm1\n"
	"  leave\n"
	"  ret\n");

extern char nmrsim_guard_tramps[];

/* Stands in for a function of an unloaded driver: returns 0 (STATUS_SUCCESS,
 * NULL, FALSE) whatever the signature, touching no argument. */
static long guard_gone_stub(void)
{
	return 0;
}

/* The function trampoline k stands for, as the original table holds it now
 * (driver memory: read unchecked, see guard_walk.c). */
__attribute__((no_sanitize("address"), no_sanitize("undefined")))
static const void *fn_of(const struct guard_fn *f)
{
	return f->orig ? *(const void *const volatile *)f->orig : f->fn;
}

/* Called by trampoline k on the calling simulated thread (its caller's call
 * site in `site`): report the call (a scheduling point), attribute the thread
 * to the callee while the call runs, and return the function to call. */
__attribute__((visibility("hidden"), used)) const void *nmrsim_guard_enter(uint32_t k, uintptr_t site);
const void *nmrsim_guard_enter(uint32_t k, uintptr_t site)
{
	struct guard *g = guard_last;
	SIM_ASSERT(g != NULL, "a trampoline runs only after guard_init");
	SIM_ASSERT_LT(k, GUARD_FNS_MAX, "a trampoline index names a wrapped function");
	const struct guard_fn *f = &g->fns[k];
	SIM_ASSERT_LT(f->table, GUARD_TABLES_MAX, "a wrapped function belongs to a guarded table");
	const struct guard_table *t = &g->tables[f->table];
	const void *fn = fn_of(f);
	struct sched *s = g->sched;
	if (guard_current != g || !s || !s->current)
		return fn;
	sched_point(s);
	struct sim_thread *th = s->current;
	SIM_ASSERT_LT(th->id, SIM_THREADS_MAX, "guarded call depths are kept per thread id");
	struct event e = { .kind = EV_CALL_ENTER, .module = t->caller, .peer = t->peer, .binding = t->slot,
			   .handle = t->binding, .arg = f->ordinal };
	sched_emit(s, &e);
	struct trace_note *note = trace_last_note(s->trace);
	if (note)
		note->site = site;
	uint8_t *depth = &g->depth[th->id];
	if (*depth < GUARD_DEPTH_MAX)
		g->saved_module[th->id][*depth] = th->module;
	if (*depth < GUARD_DEPTH_MAX)
		g->call_table[th->id][*depth] = (uint8_t)f->table;
	if (*depth < GUARD_DEPTH_MAX && kernel_current)
		g->call_frames[th->id][*depth] = kernel_current->threads[th->id].depth;
	(*depth)++;
	/* A call into a driver whose image is gone would jump into unmapped
	 * code: the call is the caller's bug (M18/M19 just reported), so it is
	 * not run, and the callee is not charged with what it cannot do. */
	if (host_gone(host_current, t->peer))
		return (const void *)guard_gone_stub;
	fn = fn_of(f); /* the table's owner may have changed it while the call switched */
	if (fn)        /* a cleared slot faults in the caller's call, as it would unguarded */
		th->module = t->peer; /* the callee's code runs now */
	return fn;
}

/* Called by trampoline k when the real function returned. */
__attribute__((visibility("hidden"), used)) void nmrsim_guard_exit(uint32_t k, uint64_t ret);
void nmrsim_guard_exit(uint32_t k, uint64_t ret)
{
	struct guard *g = guard_last;
	SIM_ASSERT(g != NULL, "a trampoline runs only after guard_init");
	SIM_ASSERT_LT(k, GUARD_FNS_MAX, "a trampoline index names a wrapped function");
	const struct guard_fn *f = &g->fns[k];
	const struct guard_table *t = &g->tables[f->table];
	struct sched *s = g->sched;
	if (guard_current != g || !s || !s->current)
		return;
	struct sim_thread *th = s->current;
	uint8_t *depth = &g->depth[th->id];
	if (*depth > 0) {
		(*depth)--;
		th->module = *depth < GUARD_DEPTH_MAX ? g->saved_module[th->id][*depth] : t->caller;
	}
	struct event e = { .kind = EV_CALL_EXIT, .module = t->caller, .peer = t->peer, .binding = t->slot,
			   .handle = t->binding, .arg = f->ordinal };
	sched_emit(s, &e);
	/* Not in the event: a VOID function leaves eax undefined (no hash may see it). */
	struct trace_note *note = trace_last_note(s->trace);
	if (note) {
		note->value = (uint32_t)ret;
		note->has_value = true;
	}
}
#endif

bool guard_in_late_call(const struct guard *g, uint8_t thread)
{
	if (!g || thread >= SIM_THREADS_MAX || !g->depth[thread] || !kernel_current || !kernel_current->oracle)
		return false;
	unsigned n = g->depth[thread] < GUARD_DEPTH_MAX ? g->depth[thread] : GUARD_DEPTH_MAX;
	for (unsigned i = 0; i < n; i++) {
		const struct guard_table *t = &g->tables[g->call_table[thread][i]];
		if (oracle_call_is_late(kernel_current->oracle, t->binding, t->caller))
			return true;
	}
	return false;
}

void guard_init(struct guard *g, struct sched *s)
{
	g->sched = s;
	g->ntables = 0;
	g->nfns = 0;
	g->copy_used = 0;
	g->unwrapped = 0;
	memset(g->depth, 0, sizeof g->depth);

	guard_last = g;
}

static const struct guard_shape_rec *shape_of(const void *npi_id)
{
	for (const struct guard_shape_rec *r = __start_nmrsim_shapes; r && r < __stop_nmrsim_shapes; r++)
		if (memcmp(r->npi_id, npi_id, sizeof r->npi_id) == 0)
			return r;
	return NULL;
}

#ifdef GUARD_TRAMPOLINES
/* n function pointers from byte off of `copy` (a copy) take trampolines;
 * ordinals from `ordinal`. */
static void shape_fns(struct guard *g, uint16_t index, unsigned char *copy, size_t off, size_t n, uint16_t ordinal)
{
	for (size_t i = 0; i < n; i++) {
		void *fn;
		memcpy(&fn, copy + off + i * sizeof(void *), sizeof fn);
		if (!fn)
			continue; /* a missing function stays missing */
		uint32_t k = g->nfns++;
		SIM_ASSERT_LT(k, GUARD_FNS_MAX, "a wrapped function has a trampoline");
		g->fns[k] = (struct guard_fn){ NULL, fn, index, (uint16_t)(ordinal + i) };
		void *tramp = nmrsim_guard_tramps + 16 * k;
		memcpy(copy + off + i * sizeof(void *), &tramp, sizeof tramp);
	}
}

static unsigned char *copy_take(struct guard *g, size_t bytes)
{
	bytes = (bytes + 15u) & ~(size_t)15u;
	if (bytes > GUARD_COPY_BYTES - g->copy_used)
		return NULL;
	unsigned char *c = g->copies + g->copy_used;
	g->copy_used += (uint32_t)bytes;
	return c;
}

/* A declared shape's copy (wherever the table lies: the shape is the
 * user's word): its functions, and those of its nested table if declared,
 * the bytes before them copied. */
static const void *wrap_shape(struct guard *g, uint16_t index, const void *table, const struct guard_shape_rec *r,
			      int side)
{
	size_t off = r->off[side], n = r->n[side], via = r->via[side], noff = r->noff[side], nn = r->nn[side];
	bool nested = via != 0xffffu;
	size_t len = off + n * sizeof(void *);
	if (nested && via + sizeof(void *) > len)
		len = via + sizeof(void *);
	if (n + nn > GUARD_FNS_MAX - g->nfns)
		return NULL;
	uint32_t used0 = g->copy_used;
	unsigned char *copy = copy_take(g, len);
	if (!copy)
		return NULL;
	memcpy(copy, table, len);
	shape_fns(g, index, copy, off, n, 0);
	const void *inner;
	memcpy(&inner, copy + (nested ? via : 0), sizeof inner);
	if (nested && inner) {
		unsigned char *sub = copy_take(g, noff + nn * sizeof(void *));
		if (!sub) {
			g->copy_used = used0;
			return NULL;
		}
		memcpy(sub, inner, noff + nn * sizeof(void *));
		shape_fns(g, index, sub, noff, nn, (uint16_t)n);
		memcpy(copy + via, &sub, sizeof sub);
	}
	return copy;
}
#endif

/* Whether a record declares side `side` (dispatch-shapes.sh checks the
 * rest; these bounds keep a hand-made record from overrunning a copy). */
static bool shape_valid(const struct guard_shape_rec *r, int side)
{
	bool nested = r->via[side] != 0xffffu;
	if (r->n[side] == 0 && !nested)
		return false;
	if (r->n[side] > 16 || r->off[side] % sizeof(void *) || r->off[side] + r->n[side] * sizeof(void *) > GUARD_OBJECT_BYTES)
		return false;
	return !nested || (r->via[side] % sizeof(void *) == 0 && r->via[side] < GUARD_OBJECT_BYTES && r->nn[side] <= 16 &&
			   r->noff[side] % sizeof(void *) == 0 &&
			   r->noff[side] + r->nn[side] * sizeof(void *) <= GUARD_OBJECT_BYTES);
}

/* One line in the trace: this table goes to the peer as it is. */
static void unguarded(struct guard *g, enum guard_refusal why, uint32_t binding, uint16_t slot, uint8_t caller,
		      uint8_t owner)
{
	g->unwrapped++;
	if (!g->sched || !g->sched->current)
		return;
	struct event e = { .kind = EV_KERNEL, .what = KE_DispatchUnguarded, .module = caller, .peer = owner,
			   .binding = slot, .handle = binding, .aux = why };
	sched_emit(g->sched, &e);
}

const void *guard_wrap(struct guard *g, const void *npi_id, int which, const void *table, uint32_t binding,
		       uint16_t slot, uint8_t caller, uint8_t peer)
{
#ifdef GUARD_TRAMPOLINES
	if (!table || guard_disabled)
		return table;
	const struct guard_shape_rec *shape = npi_id ? shape_of(npi_id) : NULL;
	int side = which & 1;
	if (shape && !shape_valid(shape, side))
		shape = NULL; /* this side undeclared: walked */
	/* Without a shape only a hosted driver's table is walked (a scripted
	 * module's is the engine's own, and it makes no late calls of its own). */
	if (!shape && !host_is_driver(host_current, peer))
		return table;
	if (g->ntables >= GUARD_TABLES_MAX) {
		unguarded(g, GUARD_REFUSED_CAPACITY, binding, slot, caller, peer);
		return table;
	}
	uint16_t index = (uint16_t)g->ntables;
	enum guard_refusal why = GUARD_REFUSED_CAPACITY;
	const void *copy = shape ? wrap_shape(g, index, table, shape, side)
				 : guard_walk(g, index, table, (const unsigned char *)nmrsim_guard_tramps, &why);
	if (!copy) {
		unguarded(g, why, binding, slot, caller, peer);
		return table;
	}
	if (copy == table)
		return table; /* no function of a hosted driver in it: nothing to guard */
	g->ntables++;
	g->tables[index] = (struct guard_table){ binding, slot, caller, peer };
	return copy;
#else
	(void)g; (void)npi_id; (void)which; (void)binding; (void)slot; (void)caller; (void)peer;
	return table;
#endif
}

bool guard_mutes_reports(void *guard, uint8_t thread)
{
	return guard_in_late_call(guard_current == guard ? guard : NULL, thread);
}

int guard_dispatch_frames(void *guard, uint8_t thread)
{
	const struct guard *g = guard_current == guard ? guard : NULL;
	if (!g || thread >= SIM_THREADS_MAX || !g->depth[thread])
		return -1;
	unsigned d = g->depth[thread] < GUARD_DEPTH_MAX ? g->depth[thread] : GUARD_DEPTH_MAX;
	return g->call_frames[thread][d - 1];
}
