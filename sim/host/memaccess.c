/* memaccess.c - the runtime of the memory-access instrumentation of driver
 * objects: use after free and after cleanup at the access, data races
 * (memaccess.h). */
#include "host/memaccess.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "host/drvsyms.h"
#include "host/host.h"
#include "kernel/kernel.h"
#include "oracle/oracle.h"
#include "trace/names.h"

extern unsigned char __start_nmrsim_drvdata[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvdata[] __attribute__((weak));
extern unsigned char __start_nmrsim_drvbss[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvbss[] __attribute__((weak));

/* One run at a time per process (driver code takes no context argument). */
static struct {
	uintptr_t pool;          /* the run's pool buffer (0: no run) */
	uintptr_t pool_bytes;    /* its size */
	uintptr_t data, data_bytes; /* driver .data (nmrsim_drvdata) */
	uintptr_t bss, bss_bytes;   /* driver .bss (nmrsim_drvbss) */
	/* The simulated threads' stacks (the scheduler's fiber pool): stack i
	 * is thread id i's, at stack0 + i * stride, stack_bytes long. */
	uintptr_t stack0, stack_stride, stack_bytes, stacks_end;
	uint32_t nstacks;
	bool races;              /* race detection on this run */
	struct sched_por *por;   /* the reduced search's step log (NULL: off) */
	uintptr_t stacks, stacks_bytes; /* the simulated threads' stacks (fiber pool) */
	struct kernel *k;
	uint64_t accesses;       /* accesses delivered (process) */
	/* K11 signatures (module, site) reported this run: a racy loop formats
	 * its report once, not at every iteration (the oracle keeps one anyway). */
	uint32_t raced[ORACLE_FINDINGS_MAX];
	uint32_t nraced;
} mem;

/* Fibers are one per thread id, at a fixed stride in one mapping
 * (core/fiber.c); the stride is taken from the pool itself, and stack
 * checks stay off if the layout is not that. */
static void stacks_init(const struct kernel *k)
{
	const struct fiber_pool *p = k->sched ? k->sched->pool : NULL;
	mem.nstacks = 0;
	mem.stack0 = mem.stacks_end = 0;
	if (!p || p->count < 2 || !p->fibers[0].stack)
		return;
	uintptr_t s0 = (uintptr_t)p->fibers[0].stack, stride = (uintptr_t)p->fibers[1].stack - s0;
	if (stride < p->stack_bytes)
		return;
	for (uint32_t i = 0; i < p->count; i++)
		if ((uintptr_t)p->fibers[i].stack != s0 + i * stride || p->fibers[i].stack_bytes != p->stack_bytes)
			return;
	mem.stack0 = s0;
	mem.stack_stride = stride;
	mem.stack_bytes = p->stack_bytes;
	mem.nstacks = p->count < SIM_THREADS_MAX ? p->count : SIM_THREADS_MAX;
	mem.stacks_end = s0 + (mem.nstacks - 1u) * stride + p->stack_bytes;
}

static int por_region_at(uintptr_t a, uintptr_t *off);

void memaccess_run_init(struct kernel *k, bool races)
{
	mem.k = k;
	mem.pool = (uintptr_t)k->pool;
	mem.pool_bytes = KERNEL_POOL_BYTES;
	mem.data = (uintptr_t)__start_nmrsim_drvdata;
	mem.data_bytes = __start_nmrsim_drvdata ? (uintptr_t)(__stop_nmrsim_drvdata - __start_nmrsim_drvdata) : 0;
	mem.bss = (uintptr_t)__start_nmrsim_drvbss;
	mem.bss_bytes = __start_nmrsim_drvbss ? (uintptr_t)(__stop_nmrsim_drvbss - __start_nmrsim_drvbss) : 0;
	mem.races = races;
	mem.nraced = 0;
	mem.por = k->sched->por;
	mem.stacks = (uintptr_t)k->sched->pool->region;
	mem.stacks_bytes = k->sched->pool->region_bytes;
	if (mem.por)
		mem.por->mem_region = por_region_at; /* spin locks keyed by their memory (kernel/ke_spinlock.c) */
	stacks_init(k);
	race_init(&k->race, races);
}

bool memaccess_races_env(void)
{
	static int cached = -1;
	if (cached < 0) {
		const char *v = getenv("NMRSIM_RACES");
		cached = v && v[0] == '1';
	}
	return cached == 1;
}

uint64_t memaccess_count(void)
{
	return mem.accesses;
}

/* A code address as text: binary+offset (addr2line -e BINARY -f OFFSET);
 * never hashed. */
static void code_at(const void *pc, char *buf, size_t cap)
{
	Dl_info info;
	if (pc && dladdr(pc, &info) && info.dli_fname) {
		const char *base = strrchr(info.dli_fname, '/');
		snprintf(buf, cap, "%s+0x%lx", base ? base + 1 : info.dli_fname,
			 (unsigned long)((const char *)pc - (const char *)info.dli_fbase));
	} else {
		snprintf(buf, cap, "?");
	}
}

/* The running thread, if driver code may be checked now (a run, a
 * simulated thread, not inside a call whose findings are muted). */
static struct sim_thread *checked_thread(struct kernel *k)
{
	struct sim_thread *t = k->sched ? k->sched->current : NULL;
	if (!t || !k->oracle)
		return NULL;
	if (k->hooks.mute_reports && k->hooks.mute_reports(k->hooks.ctx, t->id))
		return NULL;
	return t;
}

/* A read or write of freed pool: M19 after a cleanup callback freed it,
 * else K05. The block is quiet afterwards (one finding per block). */
static void freed_access(struct kernel *k, const void *p, uint8_t state, bool write, const void *pc)
{
	struct sim_thread *t = checked_thread(k);
	if (!t)
		return;
	uint16_t number = 0;
	kernel_pool_lookup(k, p, 1, &number);
	kernel_pool_mark(k, p, KPG_QUIET);
	uint8_t kind, site;
	const char *routine;
	kernel_code_site(k, t, &kind, &site, &routine);
	char where[64], nb[8], nb2[8], detail[400];
	code_at(pc, where, sizeof where);
	k->oracle->last_step = k->sched->step;
	if (state >= KPG_CLEANUP) {
		const struct kernel_freed_cleanup *c = &k->freed_cleanup[state - KPG_CLEANUP];
		snprintf(detail, sizeof detail,
			 "%s of %s %s pool block #%u at %s, after %s of %s freed it at step %u (binding 0x%08x)", routine,
			 kernel_module_name(k, t->module, nb), write ? "writes" : "reads", number, where,
			 nmr_cb_name((enum nmr_cb)c->cb), kernel_module_name(k, c->module, nb2), c->step, c->handle);
		oracle_report(k->oracle, RULE_M19, (enum finding_site)kind, site, t->module, t->id, EV_NONE16, c->handle,
			      detail);
		return;
	}
	snprintf(detail, sizeof detail, "%s of %s %s pool block #%u at %s after it was freed", routine,
		 kernel_module_name(k, t->module, nb), write ? "writes" : "reads", number, where);
	oracle_report(k->oracle, RULE_K05, (enum finding_site)kind, site, t->module, t->id, EV_NONE16, number, detail);
}

/* K11: the access at pc races with the earlier one. */
static void race_found(struct kernel *k, struct sim_thread *t, const struct race_slot *e, bool write,
		       const void *pc, const char *what, uint8_t kind, uint8_t site, const char *routine)
{
	uint32_t key = (uint32_t)t->module | (uint32_t)kind << 8 | (uint32_t)site << 16;
	for (uint32_t i = 0; i < mem.nraced; i++)
		if (mem.raced[i] == key)
			return;
	if (mem.nraced < ORACLE_FINDINGS_MAX)
		mem.raced[mem.nraced++] = key;
	char a[64], b[64], tn[32], en[32], nb[8], detail[600];
	code_at(pc, a, sizeof a);
	code_at(e->pc, b, sizeof b);
	/* The earlier access's routine: by its recorded site. */
	const char *eroutine = kernel_site_routine(e->site_kind, e->site);
	snprintf(detail, sizeof detail, "%s %s by %s in %s at %s (step %u) and %s by %s in %s at %s (step %u), unordered",
		 what, write ? "write" : "read", trace_thread_name(k->oracle->scenario, t->id, tn), routine, a,
		 k->sched->step, e->write ? "write" : "read", trace_thread_name(k->oracle->scenario, e->thread, en),
		 eroutine, b, e->step);
	(void)nb;
	k->oracle->last_step = k->sched->step;
	oracle_report(k->oracle, RULE_K11, (enum finding_site)kind, site, t->module, t->id, EV_NONE16, 0, detail);
}

/* A plain access of [a, a + size) of region `region` at offset `off`. */
static void race_check(struct kernel *k, enum race_region region, uintptr_t off, unsigned size, bool write,
		       const void *pc)
{
	struct sim_thread *t = checked_thread(k);
	if (!t)
		return;
	kernel_touch(k, RULE_K11);
	uint8_t kind, site;
	const char *routine;
	kernel_code_site(k, t, &kind, &site, &routine);
	while (size) {
		unsigned in = (unsigned)(off & 7u), n = 8u - in < size ? 8u - in : size;
		struct race_conflict c = race_access(&k->race, race_key(region, off - in), in, n, write, t->id,
						     k->sched->step, pc, kind, site);
		if (c.found) {
			char what[128];
			uint16_t number = 0;
			if (region == RACE_POOL) {
				kernel_pool_lookup(k, k->pool + off, 1, &number);
				snprintf(what, sizeof what, "pool block #%u:", number);
			} else if (region == RACE_STACK) {
				/* The frame offset depends on the compiler: not printed. */
				char tn[32];
				snprintf(what, sizeof what, "a stack object of %s:",
					 trace_thread_name(k->oracle->scenario, (uint8_t)(off >> 40), tn));
			} else {
				/* By its symbol (symbol table, read once), else its offset: the binary's
				 * names, never an address; the timeline names it the same way. */
				char sym[112];
				uintptr_t a = (region == RACE_BSS ? mem.bss : mem.data) + off;
				bool data = drvsyms_describe((const void *)a, sym, sizeof sym);
				SIM_ASSERT(data, "a race region is driver data");
				snprintf(what, sizeof what, "%s:", sym);
			}
			race_found(k, t, &c.earlier, write, pc, what, kind, site, routine);
		}
		off += n;
		size -= n;
	}
}

/* The reduced search's key of the driver memory line at a (sched/por_log.h):
 * by region and offset, never by address. */
static enum por_mem_region por_region_of(uintptr_t a, uintptr_t *off)
{
	*off = 0;
	if (a - mem.pool < mem.pool_bytes)
		return *off = a - mem.pool, POR_MEM_POOL;
	if (a - mem.stacks < mem.stacks_bytes)
		return *off = a - mem.stacks, POR_MEM_STACKS;
	if (a - mem.bss < mem.bss_bytes)
		return *off = a - mem.bss, POR_MEM_BSS;
	if (a - mem.data < mem.data_bytes)
		return *off = a - mem.data, POR_MEM_DATA;
	return POR_MEM_OTHER;
}
static int por_region_at(uintptr_t a, uintptr_t *off)
{
	return (int)por_region_of(a, off);
}

/* The reduced search: the running step reads or writes the lines of
 * [a, a + size) (and with POR_FINE_EXACT its granules: sched/por_log.h).
 * With race detection on, reads count as writes: the detector keeps a few
 * recent accesses per granule, so which of two reads came last may decide
 * whether a later write is reported. Outside the known regions: one key. */
static void por_access(uintptr_t a, unsigned size, bool write)
{
	por_log_watch(mem.por, a, size);
	write = write || mem.races || !por_split(mem.por);
	uintptr_t off;
	enum por_mem_region region = por_region_of(a, &off);
	por_log_span(mem.por, region, off, region == POR_MEM_OTHER || size == 0 ? 1 : size, write);
}

/* An access to a simulated thread's stack: a local the driver handed to
 * another thread (a context on the stack given to a work item or a system
 * thread) is checked like pool. The key is (owner thread id, offset in its
 * stack), never an address. A thread id has one thread per run and one
 * fiber, and the granules are per run, so a stack reused by a later run
 * shares nothing with the earlier one. Later frames of the same thread take
 * the places of returned ones, and nothing forgets the old accesses (no
 * function exit hooks; a compiler shares slots inside one frame too): the
 * owner's own accesses never race with each other, and another thread's
 * access to an old frame is ordered before the new frame's accesses when
 * the owner waited for it before returning (whoever gets the new object
 * gets it from the owner after that wait). An access it never waited for
 * may come after the frame is gone: a real bug (docs/KERNEL.md). */
static void stack_access(uintptr_t a, unsigned size, bool write, const void *pc)
{
	uintptr_t rel = a - mem.stack0, id = rel / mem.stack_stride, off = rel % mem.stack_stride;
	if (off >= mem.stack_bytes || off + size > mem.stack_bytes)
		return; /* a guard page or the fiber's context, never a driver's object */
	race_check(mem.k, RACE_STACK, (uint64_t)id << 40 | off, size, write, pc);
}

static inline __attribute__((always_inline)) void access(const void *p, unsigned size, bool write, const void *pc)
{
	uintptr_t a = (uintptr_t)p;
	uintptr_t off = a - mem.pool;
	mem.accesses++;
	if (mem.por)
		por_access(a, size, write);
	if (off < mem.pool_bytes) {
		struct kernel *k = mem.k;
		uint8_t state = k->pool_granule[off >> 4];
		if (__builtin_expect(state >= KPG_FREED, 0))
			freed_access(k, p, state, write, pc);
		else if (mem.races && state == KPG_LIVE)
			race_check(k, RACE_POOL, off, size, write, pc);
		return;
	}
	if (!mem.races)
		return;
	if (a - mem.bss < mem.bss_bytes)
		race_check(mem.k, RACE_BSS, a - mem.bss, size, write, pc);
	else if (a - mem.data < mem.data_bytes)
		race_check(mem.k, RACE_GLOBALS, a - mem.data, size, write, pc);
	else if (a - mem.stack0 < mem.stacks_end - mem.stack0)
		stack_access(a, size, write, pc);
}

/* An atomic or volatile access: a sync operation on its address. It is an
 * access all the same: on freed pool it is a use after free (M19/K05) like
 * a plain one (an InterlockedIncrement on a binding context its cleanup
 * freed was missed before). */
static void sync_op(const volatile void *p, bool acquire, bool release, const void *pc)
{
	if (mem.por)
		por_access((uintptr_t)p, 1, true); /* an atomic or volatile access orders like a write */
	uintptr_t off = (uintptr_t)p - mem.pool;
	if (off < mem.pool_bytes && __builtin_expect(mem.k->pool_granule[off >> 4] >= KPG_FREED, 0))
		freed_access(mem.k, (const void *)p, mem.k->pool_granule[off >> 4], release, pc);
	if (!mem.races)
		return;
	struct kernel *k = mem.k;
	struct sim_thread *t = k->sched ? k->sched->current : NULL;
	if (!t)
		return;
	if (acquire)
		race_acquire(&k->race, t->id, (const void *)p);
	if (release)
		race_release(&k->race, t->id, (const void *)p);
}

/* ---- the instrumentation's entry points (renamed __tsan_*) ---- */

#define PC __builtin_return_address(0)

/* `atomics preempt`: the access is a scheduling point first, then the
 * access (its footprint, checks and happens-before) in the step that
 * begins there (atomic_point.h). One load and a branch when off. */
#define ATOMIC_POINT(op, bytes, operand)                                                                 \
	do {                                                                                               \
		struct host_run *h_ = host_current;                                                        \
		if (__builtin_expect(h_ && h_->atomics.sched, 0))                                         \
			atomic_point(&h_->atomics, (op), (bytes), (int64_t)(operand), PC);                  \
	} while (0)
#define VOLATILE_OP(p, n, acquire, release, op)                                                          \
	do {                                                                                               \
		ATOMIC_POINT(op, n, 0);                                                                    \
		mem.accesses++;                                                                            \
		sync_op(p, acquire, release, PC);                                                          \
	} while (0)
#define PLAIN(n)                                                                                         \
	void nmrsim_tsan_read##n(const void *p) { access(p, n, false, PC); }                              \
	void nmrsim_tsan_write##n(void *p) { access(p, n, true, PC); }                                      \
	void nmrsim_tsan_unaligned_read##n(const void *p) { access(p, n, false, PC); }                    \
	void nmrsim_tsan_unaligned_write##n(void *p) { access(p, n, true, PC); }                            \
	void nmrsim_tsan_volatile_read##n(const void *p) { VOLATILE_OP(p, n, true, false, ATOMIC_VOLATILE_READ); }  \
	void nmrsim_tsan_volatile_write##n(void *p) { VOLATILE_OP(p, n, false, true, ATOMIC_VOLATILE_WRITE); }      \
	void nmrsim_tsan_unaligned_volatile_read##n(const void *p) { VOLATILE_OP(p, n, true, false, ATOMIC_VOLATILE_READ); } \
	void nmrsim_tsan_unaligned_volatile_write##n(void *p) { VOLATILE_OP(p, n, false, true, ATOMIC_VOLATILE_WRITE); }

/* Declarations first: these names exist only for the renamed calls. */
#define DECL(n)                                                                                          \
	void nmrsim_tsan_read##n(const void *p); void nmrsim_tsan_write##n(void *p);                     \
	void nmrsim_tsan_unaligned_read##n(const void *p); void nmrsim_tsan_unaligned_write##n(void *p); \
	void nmrsim_tsan_volatile_read##n(const void *p); void nmrsim_tsan_volatile_write##n(void *p);   \
	void nmrsim_tsan_unaligned_volatile_read##n(const void *p);                                      \
	void nmrsim_tsan_unaligned_volatile_write##n(void *p);
DECL(1) DECL(2) DECL(4) DECL(8) DECL(16)
PLAIN(1) PLAIN(2) PLAIN(4) PLAIN(8) PLAIN(16)

void nmrsim_tsan_init(void);
void nmrsim_tsan_func_entry(void *pc);
void nmrsim_tsan_func_exit(void);
void nmrsim_tsan_read_range(const void *p, unsigned long size);
void nmrsim_tsan_write_range(void *p, unsigned long size);
void *nmrsim_tsan_memcpy(void *d, const void *s, unsigned long n);
void *nmrsim_tsan_memmove(void *d, const void *s, unsigned long n);
void *nmrsim_tsan_memset(void *d, int c, unsigned long n);
void nmrsim_tsan_atomic_thread_fence(int mo);
void nmrsim_tsan_atomic_signal_fence(int mo);

/* The module constructor's call: there is no runtime to start. */
void nmrsim_tsan_init(void) {}
/* Function entry/exit are not instrumented (driver_access_flags); kept so an
 * object built with them still links. */
void nmrsim_tsan_func_entry(void *pc) { (void)pc; }
void nmrsim_tsan_func_exit(void) {}

static void range(const void *p, unsigned long size, bool write, const void *pc)
{
	const unsigned char *c = p;
	/* Granule by granule (8 bytes), so a large copy is checked everywhere. */
	while (size) {
		unsigned n = size < 8 ? (unsigned)size : 8u;
		access(c, n, write, pc);
		c += n;
		size -= n;
	}
}

void nmrsim_tsan_read_range(const void *p, unsigned long size) { range(p, size, false, PC); }
void nmrsim_tsan_write_range(void *p, unsigned long size) { range(p, size, true, PC); }

void *nmrsim_tsan_memcpy(void *d, const void *s, unsigned long n)
{
	range(s, n, false, PC);
	range(d, n, true, PC);
	return memcpy(d, s, n);
}

void *nmrsim_tsan_memmove(void *d, const void *s, unsigned long n)
{
	range(s, n, false, PC);
	range(d, n, true, PC);
	return memmove(d, s, n);
}

void *nmrsim_tsan_memset(void *d, int c, unsigned long n)
{
	range(d, n, true, PC);
	return memset(d, c, n);
}

/* Fences order nothing between simulated threads that a lock or an
 * interlocked operation does not already. */
void nmrsim_tsan_atomic_thread_fence(int mo) { (void)mo; }
void nmrsim_tsan_atomic_signal_fence(int mo) { (void)mo; }

/* Atomics: the operation itself (the simulation runs on one OS thread) and
 * an acquire+release on the address, whatever the memory order asked:
 * more ordering than the hardware promises only hides races. */
#define ATOMICS(bits, T)                                                                                   \
	T nmrsim_tsan_atomic##bits##_load(const volatile T *a, int mo);                                   \
	void nmrsim_tsan_atomic##bits##_store(volatile T *a, T v, int mo);                                \
	T nmrsim_tsan_atomic##bits##_exchange(volatile T *a, T v, int mo);                                \
	T nmrsim_tsan_atomic##bits##_fetch_add(volatile T *a, T v, int mo);                               \
	T nmrsim_tsan_atomic##bits##_fetch_sub(volatile T *a, T v, int mo);                               \
	T nmrsim_tsan_atomic##bits##_fetch_and(volatile T *a, T v, int mo);                               \
	T nmrsim_tsan_atomic##bits##_fetch_or(volatile T *a, T v, int mo);                                \
	T nmrsim_tsan_atomic##bits##_fetch_xor(volatile T *a, T v, int mo);                               \
	T nmrsim_tsan_atomic##bits##_fetch_nand(volatile T *a, T v, int mo);                              \
	int nmrsim_tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo); \
	int nmrsim_tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo);   \
	T nmrsim_tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo);       \
	T nmrsim_tsan_atomic##bits##_load(const volatile T *a, int mo)                                    \
	{                                                                                                  \
		(void)mo;                                                                                  \
		ATOMIC_POINT(ATOMIC_LOAD, sizeof(T), 0);                                                   \
		sync_op(a, true, false, PC);                                                                   \
		return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                               \
	}                                                                                                  \
	void nmrsim_tsan_atomic##bits##_store(volatile T *a, T v, int mo)                                 \
	{                                                                                                  \
		(void)mo;                                                                                  \
		ATOMIC_POINT(ATOMIC_STORE, sizeof(T), 0);                                                  \
		sync_op(a, false, true, PC);                                                                   \
		__atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                  \
	}                                                                                                  \
	T nmrsim_tsan_atomic##bits##_exchange(volatile T *a, T v, int mo)                                 \
	{                                                                                                  \
		(void)mo;                                                                                  \
		ATOMIC_POINT(ATOMIC_EXCHANGE, sizeof(T), 0);                                               \
		sync_op(a, true, true, PC);                                                                    \
		return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                        \
	}                                                                                                  \
	RMW(bits, T, add, ATOMIC_ADD) RMW(bits, T, sub, ATOMIC_SUB) RMW(bits, T, and, ATOMIC_AND)          \
	RMW(bits, T, or, ATOMIC_OR) RMW(bits, T, xor, ATOMIC_XOR) RMW(bits, T, nand, ATOMIC_NAND)          \
	/* The three compare-exchange forms each take their own point, so the                          \
	 * call site noted is the driver's. */                                                         \
	static inline __attribute__((always_inline)) int cas##bits(volatile T *a, T *c, T v, const void *pc) \
	{                                                                                                  \
		sync_op(a, true, true, pc);                                                                \
		return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);    \
	}                                                                                                  \
	int nmrsim_tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo)  \
	{                                                                                                  \
		(void)mo;                                                                                  \
		(void)fmo;                                                                                 \
		ATOMIC_POINT(ATOMIC_CMPXCHG, sizeof(T), 0);                                                \
		return cas##bits(a, c, v, PC);                                                             \
	}                                                                                                  \
	int nmrsim_tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo)    \
	{                                                                                                  \
		(void)mo;                                                                                  \
		(void)fmo;                                                                                 \
		ATOMIC_POINT(ATOMIC_CMPXCHG, sizeof(T), 0);                                                \
		return cas##bits(a, c, v, PC);                                                             \
	}                                                                                                  \
	T nmrsim_tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo)        \
	{                                                                                                  \
		(void)mo;                                                                                  \
		(void)fmo;                                                                                 \
		ATOMIC_POINT(ATOMIC_CMPXCHG, sizeof(T), 0);                                                \
		cas##bits(a, &c, v, PC);                                                                   \
		return c;                                                                                  \
	}
#define RMW(bits, T, op, kind)                                                                             \
	T nmrsim_tsan_atomic##bits##_fetch_##op(volatile T *a, T v, int mo)                               \
	{                                                                                                  \
		(void)mo;                                                                                  \
		ATOMIC_POINT(kind, sizeof(T), kind == ATOMIC_ADD || kind == ATOMIC_SUB ? v : 0);                                                        \
		sync_op(a, true, true, PC);                                                                    \
		return __atomic_fetch_##op(a, v, __ATOMIC_SEQ_CST);                                        \
	}

ATOMICS(8, int8_t)
ATOMICS(16, int16_t)
ATOMICS(32, int32_t)
ATOMICS(64, int64_t)
