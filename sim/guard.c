/* guard.c - wrapped dispatch tables (see guard.h): shape lookup, per-binding
 * copies, and the x86-64 trampolines that report a call and then jump to
 * the real function with every argument register (and the stack) as the
 * caller left them. */
#include "guard.h"

#include <string.h>

#include "trace.h"

extern const struct guard_shape_rec __start_nmrsim_shapes[] __attribute__((weak));
extern const struct guard_shape_rec __stop_nmrsim_shapes[] __attribute__((weak));

struct guard *guard_current;
/* The trampolines find their table through this, which stays valid between
 * runs (the tables live in the runner's arena). */
static struct guard *guard_last;

#if defined(__x86_64__) && !defined(NMRSIM_NO_GUARD)
#define GUARD_TRAMPOLINES 1
_Static_assert(GUARD_TABLES_MAX * GUARD_FNS_MAX == 1024, "the assembly below makes 1024 trampolines");

/* Trampoline k (16 bytes each): r11d = k, then the common part. r11 is
 * scratch in the SysV ABI and carries no argument; rax carries the vector
 * register count of a variadic call, so it is saved too. Entry: rsp = 8 mod
 * 16; seven pushes make it 0 mod 16 again for the call. */
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
	"  push %rdi\n  push %rsi\n  push %rdx\n  push %rcx\n  push %r8\n  push %r9\n  push %rax\n"
	"  sub $128, %rsp\n"
	"  movdqu %xmm0, 0(%rsp)\n  movdqu %xmm1, 16(%rsp)\n  movdqu %xmm2, 32(%rsp)\n  movdqu %xmm3, 48(%rsp)\n"
	"  movdqu %xmm4, 64(%rsp)\n  movdqu %xmm5, 80(%rsp)\n  movdqu %xmm6, 96(%rsp)\n  movdqu %xmm7, 112(%rsp)\n"
	"  mov %r11d, %edi\n"
	"  call nmrsim_guard_enter\n"
	"  mov %rax, %r11\n"
	"  movdqu 0(%rsp), %xmm0\n  movdqu 16(%rsp), %xmm1\n  movdqu 32(%rsp), %xmm2\n  movdqu 48(%rsp), %xmm3\n"
	"  movdqu 64(%rsp), %xmm4\n  movdqu 80(%rsp), %xmm5\n  movdqu 96(%rsp), %xmm6\n  movdqu 112(%rsp), %xmm7\n"
	"  add $128, %rsp\n"
	"  pop %rax\n  pop %r9\n  pop %r8\n  pop %rcx\n  pop %rdx\n  pop %rsi\n  pop %rdi\n"
	"  jmp *%r11\n");

extern char nmrsim_guard_tramps[];

/* Called by trampoline k on the calling simulated thread: report the call
 * (a scheduling point) and return the function to jump to. */
__attribute__((visibility("hidden"), used)) const void *nmrsim_guard_enter(uint32_t k);
const void *nmrsim_guard_enter(uint32_t k)
{
	struct guard *g = guard_last;
	struct guard_table *t = &g->tables[k / GUARD_FNS_MAX];
	const void *fn = t->fns[k % GUARD_FNS_MAX];
	if (guard_current == g && g->sched && g->sched->current) {
		struct sched *s = g->sched;
		sched_point(s);
		struct event e = { .kind = EV_CALL_ENTER, .module = t->caller, .peer = t->peer, .binding = t->slot,
				   .handle = t->binding, .arg = k % GUARD_FNS_MAX };
		sched_emit(s, &e);
	}
	return fn;
}
#endif

bool guard_supported(void)
{
#ifdef GUARD_TRAMPOLINES
	return true;
#else
	return false;
#endif
}

void guard_init(struct guard *g, struct sched *s)
{
	g->sched = s;
	g->ntables = 0;
	g->unwrapped = 0;
	guard_last = g;
}

static const struct guard_shape_rec *shape_of(const void *npi_id)
{
	for (const struct guard_shape_rec *r = __start_nmrsim_shapes; r && r < __stop_nmrsim_shapes; r++)
		if (memcmp(r->npi_id, npi_id, sizeof r->npi_id) == 0)
			return r;
	return NULL;
}

const void *guard_wrap(struct guard *g, const void *npi_id, int which, const void *table, uint32_t binding,
		       uint16_t slot, uint8_t caller, uint8_t peer)
{
#ifdef GUARD_TRAMPOLINES
	const struct guard_shape_rec *shape = table && npi_id ? shape_of(npi_id) : NULL;
	if (!shape)
		return table;
	size_t off = shape->off[which & 1], n = shape->n[which & 1];
	if (n == 0 || n > GUARD_FNS_MAX || off % sizeof(void *) || off + n * sizeof(void *) > GUARD_TABLE_BYTES)
		return table;
	if (g->ntables >= GUARD_TABLES_MAX) {
		g->unwrapped++;
		return table;
	}
	uint32_t index = g->ntables++;
	struct guard_table *t = &g->tables[index];
	t->binding = binding;
	t->slot = slot;
	t->caller = caller;
	t->peer = peer;
	memset(t->copy, 0, sizeof t->copy);
	memcpy(t->copy, table, off + n * sizeof(void *));
	for (size_t i = 0; i < n; i++) {
		void *fn;
		memcpy(&fn, t->copy + off + i * sizeof(void *), sizeof fn);
		t->fns[i] = fn;
		if (!fn)
			continue; /* a missing function stays missing */
		void *tramp = nmrsim_guard_tramps + 16 * (index * GUARD_FNS_MAX + i);
		memcpy(t->copy + off + i * sizeof(void *), &tramp, sizeof tramp);
	}
	return t->copy;
#else
	(void)g; (void)npi_id; (void)which; (void)binding; (void)slot; (void)caller; (void)peer;
	return table;
#endif
}
