/* test_fiber.c - the fiber layer: pool layout, ping-pong, final switches,
 * restarting abandoned fibers, deep stacks, callee-saved integer and FP
 * registers and FP control state across switches. Prints no addresses. */
#include "core/fiber.h"
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if !defined(TEST_ASAN) && defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>

/* Exercise ASan's fake stacks (each fiber gets its own) unless ASAN_OPTIONS
 * says otherwise. */
const char *__asan_default_options(void)
{
	return "detect_stack_use_after_return=1";
}

/* Virtual size of the process in KiB (0 if unknown). */
static unsigned long vm_size_kib(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kib = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof line, fp))
		if (sscanf(line, "VmSize: %lu kB", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}
#endif

#define NOINLINE __attribute__((noinline))

#define STACK_BYTES (64u * 1024u)
#define NFIBERS 4u

static struct fiber main_f;
static struct fiber_pool pool;

/* ---- pool layout -------------------------------------------------------- */

/* Permissions ("rw-p", "---p", ...) of the mapping holding addr, from
 * /proc/self/maps; 0 if not found or unreadable. */
static int map_perms(const void *addr, char perms[5])
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[512];
	uintptr_t a = (uintptr_t)addr;
	int found = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof line, fp)) {
		unsigned long lo, hi;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && a >= lo && a < hi) {
			memcpy(perms, p, 5);
			found = 1;
			break;
		}
	}
	fclose(fp);
	return found;
}

static void test_pool(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct fiber_pool p;
	uint32_t i, j;
	char perms[5];

	CHECK_EQ_U(fiber_pool_init(&p, 3, 10000), 0);
	CHECK_EQ_U(p.count, 3);
	CHECK(p.stack_bytes >= 10000);
	CHECK_EQ_U(p.stack_bytes % page, 0);
	CHECK(p.stack_bytes < 10000 + page);
	CHECK(p.fibers != NULL);
	CHECK(p.region != NULL);
	for (i = 0; i < p.count; i++) {
		struct fiber *f = &p.fibers[i];
		CHECK(f->stack != NULL);
		CHECK_EQ_U(f->stack_bytes, p.stack_bytes);
		CHECK_EQ_U((uintptr_t)f->stack % page, 0);
		/* inside the one mapping, with its guard page too */
		CHECK(f->stack - page >= p.region);
		CHECK(f->stack + f->stack_bytes <= p.region + p.region_bytes);
		for (j = 0; j < i; j++) {
			struct fiber *g = &p.fibers[j];
			CHECK(f->stack - page >= g->stack + g->stack_bytes ||
			      g->stack - page >= f->stack + f->stack_bytes);
		}
		if (map_perms(f->stack - 1, perms)) {
			CHECK(memcmp(perms, "---", 3) == 0);
			CHECK(map_perms(f->stack, perms) && memcmp(perms, "rw", 2) == 0);
			CHECK(map_perms(f->stack + f->stack_bytes - 1, perms) && memcmp(perms, "rw", 2) == 0);
		}
		/* the whole stack is writable */
		memset(f->stack, 0xa5, f->stack_bytes);
	}
	fiber_pool_fini(&p);
	CHECK(p.region == NULL);
	CHECK(p.fibers == NULL);
	CHECK_EQ_U(p.count, 0);

	/* exact page multiples stay as they are; init/fini repeatedly */
	for (i = 0; i < 5; i++) {
		CHECK_EQ_U(fiber_pool_init(&p, 2, 4 * page), 0);
		CHECK_EQ_U(p.stack_bytes, 4 * page);
		fiber_pool_fini(&p);
	}
	CHECK_EQ_U(fiber_pool_init(&p, 0, STACK_BYTES), 0);
	CHECK_EQ_U(p.count, 0);
	fiber_pool_fini(&p);
}

/* ---- ping-pong main -> A -> B -> C -> main ------------------------------ */

#define PP_ROUNDS 1000u

struct pp {
	struct fiber *self, *next;
	unsigned id;
	unsigned count;
};

static unsigned pp_log[4 * PP_ROUNDS + 8];
static unsigned pp_log_n;

static void pp_log_id(unsigned id)
{
	if (pp_log_n < sizeof pp_log / sizeof pp_log[0])
		pp_log[pp_log_n] = id;
	pp_log_n++;
}

static void pp_fn(void *arg)
{
	struct pp *p = arg;
	unsigned r;

	for (r = 0; r < PP_ROUNDS; r++) {
		p->count++;
		pp_log_id(p->id);
		fiber_switch(p->self, p->next);
	}
	pp_log_id(100 + p->id);
	fiber_switch_final(p->self, &main_f);
}

static void test_ping_pong(void)
{
	struct pp pp[3];
	unsigned i, r, bad = 0;

	for (i = 0; i < 3; i++) {
		pp[i].self = &pool.fibers[i];
		pp[i].next = i < 2 ? &pool.fibers[i + 1] : &main_f;
		pp[i].id = i + 1;
		pp[i].count = 0;
		fiber_start(&pool.fibers[i], pp_fn, &pp[i]);
	}
	pp_log_n = 0;
	for (r = 0; r < PP_ROUNDS; r++) {
		pp_log_id(0);
		fiber_switch(&main_f, &pool.fibers[0]);
	}
#ifdef TEST_ASAN
	/* learned on the first switch away from main */
	CHECK(main_f.asan_bottom != NULL);
	CHECK(main_f.asan_size > 0);
#endif
	/* A leaves its loop and ends; B and C stay suspended (abandoned) */
	fiber_switch(&main_f, &pool.fibers[0]);
	for (i = 0; i < 3; i++)
		CHECK_EQ_U(pp[i].count, PP_ROUNDS);
	CHECK_EQ_U(pp_log_n, 4 * PP_ROUNDS + 1);
	for (i = 0; i < 4 * PP_ROUNDS; i++)
		bad += pp_log[i] != i % 4;
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(pp_log[4 * PP_ROUNDS], 101);
}

/* ---- run to completion, final switches ---------------------------------- */

struct comp {
	struct fiber *self, *next;
	uint64_t n, sum;
	int done;
};

static void comp_fn(void *arg)
{
	struct comp *c = arg;
	uint64_t i;

	c->sum = 0;
	for (i = 1; i <= c->n; i++)
		c->sum += i * i;
	c->done = 1;
	fiber_switch_final(c->self, c->next);
}

static void test_completion(void)
{
	struct comp a, b;
	unsigned k, ok = 0;

	/* one fiber, run to completion, restarted many times */
	for (k = 0; k < 200; k++) {
		a.self = &pool.fibers[1];
		a.next = &main_f;
		a.n = k;
		a.done = 0;
		fiber_start(&pool.fibers[1], comp_fn, &a);
		fiber_switch(&main_f, &pool.fibers[1]);
		ok += a.done && a.sum == (uint64_t)k * (k + 1) * (2 * k + 1) / 6;
	}
	CHECK_EQ_U(ok, 200);

	/* a final switch to another fiber, which then ends in main */
	a.self = &pool.fibers[2];
	a.next = &pool.fibers[3];
	a.n = 10;
	a.done = 0;
	b.self = &pool.fibers[3];
	b.next = &main_f;
	b.n = 20;
	b.done = 0;
	fiber_start(&pool.fibers[2], comp_fn, &a);
	fiber_start(&pool.fibers[3], comp_fn, &b);
	fiber_switch(&main_f, &pool.fibers[2]);
	CHECK(a.done && b.done);
	CHECK_EQ_U(a.sum, 385);
	CHECK_EQ_U(b.sum, 2870);
}

/* ---- abandoned fibers restarted ----------------------------------------- */

struct ab {
	struct fiber *self; /* NULL: compute the expected result without switching */
	unsigned depth, variant;
	unsigned reached;
	int done;
	uint64_t result;
};

NOINLINE static void fill_bytes(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131u + i * 7u);
}

NOINLINE static uint64_t sum_bytes(const unsigned char *p, size_t n)
{
	uint64_t s = 0;
	size_t i;
	for (i = 0; i < n; i++)
		s = s * 31u + p[i];
	return s;
}

static uint64_t ab_rec_b(struct ab *a, unsigned d);

static void ab_bottom(struct ab *a)
{
	a->reached++;
	if (a->self)
		fiber_switch(a->self, &main_f);
}

/* Two frame layouts, so a restarted run's frames straddle the old run's
 * redzones differently (ASan false positives if fiber_start did not unpoison). */
NOINLINE static uint64_t ab_rec_a(struct ab *a, unsigned d)
{
	unsigned char buf[200];
	uint64_t s;

	fill_bytes(buf, sizeof buf, d);
	if (d == 0)
		ab_bottom(a);
	s = sum_bytes(buf, sizeof buf);
	if (d > 0)
		s += ((d + a->variant) & 1 ? ab_rec_b : ab_rec_a)(a, d - 1);
	return s;
}

NOINLINE static uint64_t ab_rec_b(struct ab *a, unsigned d)
{
	unsigned char small[24];
	uint32_t words[37];
	uint64_t s;

	fill_bytes(small, sizeof small, d + 1000);
	fill_bytes((unsigned char *)words, sizeof words, d + 2000);
	if (d == 0)
		ab_bottom(a);
	s = sum_bytes(small, sizeof small) ^ sum_bytes((unsigned char *)words, sizeof words);
	if (d > 0)
		s += ((d + a->variant) % 3 ? ab_rec_a : ab_rec_b)(a, d - 1);
	return s;
}

static void ab_fn(void *arg)
{
	struct ab *a = arg;

	a->result = (a->variant & 1 ? ab_rec_a : ab_rec_b)(a, a->depth);
	a->done = 1;
	fiber_switch_final(a->self, &main_f);
}

static void test_abandon(void)
{
	unsigned i, reached_ok = 0, finished = 0, finished_ok = 0, abandoned_ok = 0;
	unsigned clean_ok = 0;
#ifdef TEST_ASAN
	unsigned long vm_before = vm_size_kib(), vm_after;
#endif

	for (i = 0; i < 2000; i++) {
		struct fiber *f = &pool.fibers[i % 2];
		struct ab a, ref;

		memset(&a, 0, sizeof a);
		a.self = f;
		a.depth = i % 13;
		a.variant = i % 5;
		ref = a;
		ref.self = NULL;
		ref.result = (ref.variant & 1 ? ab_rec_a : ab_rec_b)(&ref, ref.depth);

		fiber_start(f, ab_fn, &a);
#ifdef TEST_ASAN
		/* the previous run's redzones are gone */
		clean_ok += __asan_region_is_poisoned(f->stack, f->stack_bytes) == NULL;
#else
		clean_ok++;
#endif
		fiber_switch(&main_f, f);
		reached_ok += a.reached == 1 && !a.done;
		if (i % 10 == 9) {
			/* let this one finish */
			fiber_switch(&main_f, f);
			finished++;
			finished_ok += a.done && a.result == ref.result;
		} else {
			abandoned_ok += !a.done;
		}
		/* otherwise: abandoned mid-run, restarted by the next fiber_start */
	}
	CHECK_EQ_U(reached_ok, 2000);
	CHECK_EQ_U(clean_ok, 2000);
#ifdef TEST_ASAN
	/* abandoned fibers' fake stacks (~700 KiB each) are not leaked */
	vm_after = vm_size_kib();
	CHECK(vm_after < vm_before + 64 * 1024);
#endif
	CHECK_EQ_U(finished, 200);
	CHECK_EQ_U(finished_ok, 200);
	CHECK_EQ_U(abandoned_ok, 1800);
}

/* ---- deep recursion: 32 KiB of locals on a 64 KiB stack ------------------ */

#define DEEP_LEVELS 32u
#define DEEP_BUF 1024u

struct deep {
	struct fiber *self;
	unsigned bottom_reached;
	uint64_t sum;
	int done;
};

NOINLINE static uint64_t deep_rec(struct deep *d, unsigned level)
{
	volatile unsigned char buf[DEEP_BUF];
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < DEEP_BUF; i++)
		buf[i] = (unsigned char)(level * 31u + i);
	if (level > 1)
		s = deep_rec(d, level - 1);
	else {
		d->bottom_reached++;
		fiber_switch(d->self, &main_f); /* suspend at the deepest point */
	}
	for (i = 0; i < DEEP_BUF; i++)
		s += buf[i];
	return s;
}

static void deep_fn(void *arg)
{
	struct deep *d = arg;

	d->sum = deep_rec(d, DEEP_LEVELS);
	d->done = 1;
	fiber_switch_final(d->self, &main_f);
}

static void test_deep(void)
{
	struct deep d;
	uint64_t expect = 0;
	unsigned level, i, round;

	for (level = 1; level <= DEEP_LEVELS; level++)
		for (i = 0; i < DEEP_BUF; i++)
			expect += (unsigned char)(level * 31u + i);

	for (round = 0; round < 3; round++) {
		memset(&d, 0, sizeof d);
		d.self = &pool.fibers[3];
		fiber_start(&pool.fibers[3], deep_fn, &d);
		fiber_switch(&main_f, &pool.fibers[3]);
		CHECK_EQ_U(d.bottom_reached, 1);
		CHECK(!d.done);
		fiber_switch(&main_f, &pool.fibers[3]);
		CHECK(d.done);
		CHECK_EQ_U(d.sum, expect);
	}
}

/* ---- callee-saved registers ---------------------------------------------- */

#define MIX_STEPS 64

static uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

/* Fourteen values live across every switch: more than there are callee-saved
 * registers, so the compiler keeps some in them and spills the rest. */
NOINLINE static uint64_t reg_mix(uint64_t seed, struct fiber *from, struct fiber *to)
{
	uint64_t a = seed, b = seed * 3 + 1, c = seed ^ 0x9e3779b97f4a7c15u, d = ~seed;
	uint64_t e = seed + 7, g = seed * 5, h = seed ^ 0x5555, k = seed + 0x1234567;
	uint64_t m = seed * 11, n = seed ^ 0xdeadbeef, o = seed + 99, q = seed * 13 + 5;
	uint64_t s = seed ^ 0xabcdef, t = seed + 0x777;
	int i;

	for (i = 0; i < MIX_STEPS; i++) {
		a += rotl64(b, 7) ^ c;
		b ^= d + e;
		c = rotl64(c + g, 13);
		d += h ^ k;
		e = rotl64(e ^ m, 29) + n;
		if (from)
			fiber_switch(from, to);
		g += o ^ (q * 3);
		h = rotl64(h + s, 17) ^ t;
		k += a ^ (uint64_t)i;
		m ^= b + c;
		n = rotl64(n + d, 41);
		o += e ^ g;
		q ^= h + k;
		s += rotl64(m ^ n, 5);
		t ^= o + q + s;
	}
	return a ^ b ^ c ^ d ^ e ^ g ^ h ^ k ^ m ^ n ^ o ^ q ^ s ^ t;
}

struct regf {
	struct fiber *self;
	uint64_t seed, result;
	int done;
};

static void reg_fn(void *arg)
{
	struct regf *r = arg;

	r->result = reg_mix(r->seed, r->self, &main_f);
	r->done = 1;
	fiber_switch_final(r->self, &main_f);
}

/* Overwrites every callee-saved register it can name right before each
 * switch: if the switch did not restore them, main would see these. */
NOINLINE static void clobber_and_switch(struct fiber *from, struct fiber *to, uint64_t v)
{
#if defined(__x86_64__)
	__asm__ volatile(
		"movq %0, %%rbx\n\t"
		"movq %0, %%r12\n\t"
		"movq %0, %%r13\n\t"
		"movq %0, %%r14\n\t"
		"movq %0, %%r15\n\t"
		: : "r"(v) : "rbx", "r12", "r13", "r14", "r15");
#elif defined(__aarch64__)
	__asm__ volatile(
		"mov x19, %0\n\t" "mov x20, %0\n\t" "mov x21, %0\n\t" "mov x22, %0\n\t"
		"mov x23, %0\n\t" "mov x24, %0\n\t" "mov x25, %0\n\t" "mov x26, %0\n\t"
		"mov x27, %0\n\t" "mov x28, %0\n\t"
		"fmov d8, %0\n\t" "fmov d9, %0\n\t" "fmov d10, %0\n\t" "fmov d11, %0\n\t"
		"fmov d12, %0\n\t" "fmov d13, %0\n\t" "fmov d14, %0\n\t" "fmov d15, %0\n\t"
		: : "r"(v)
		: "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
		  "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15");
#else
	(void)v;
#endif
	fiber_switch(from, to);
	/* no tail call: the registers are restored only after the switch */
	__asm__ volatile("");
}

static void clobber_fn(void *arg)
{
	struct regf *r = arg;
	int i;

	for (i = 0; i < MIX_STEPS; i++)
		clobber_and_switch(r->self, &main_f, r->seed + (uint64_t)i * 0x0101010101010101u);
	r->done = 1;
	fiber_switch_final(r->self, &main_f);
}

static void test_registers(void)
{
	const uint64_t s_main = 0x0123456789abcdefu, s_fib = 0xfedcba9876543210u;
	uint64_t want_main = reg_mix(s_main, NULL, NULL);
	uint64_t want_fib = reg_mix(s_fib, NULL, NULL);
	struct regf r;

	/* both sides computing */
	memset(&r, 0, sizeof r);
	r.self = &pool.fibers[0];
	r.seed = s_fib;
	fiber_start(r.self, reg_fn, &r);
	CHECK_EQ_U(reg_mix(s_main, &main_f, r.self), want_main);
	CHECK(!r.done);
	fiber_switch(&main_f, r.self); /* let it finish */
	CHECK(r.done);
	CHECK_EQ_U(r.result, want_fib);

	/* the other side scribbles on every callee-saved register */
	memset(&r, 0, sizeof r);
	r.self = &pool.fibers[1];
	r.seed = 0xbad0bad0bad0bad0u;
	fiber_start(r.self, clobber_fn, &r);
	CHECK_EQ_U(reg_mix(s_main, &main_f, r.self), want_main);
	CHECK(!r.done);
	fiber_switch(&main_f, r.self);
	CHECK(r.done);
}

/* ---- floating point ------------------------------------------------------ */

NOINLINE static double fp_mix(double seed, struct fiber *from, struct fiber *to)
{
	double a = seed, b = seed * 0.5 + 1.0, c = seed - 3.25, d = seed * 1.125;
	double e = seed + 0.0625, g = seed * -0.75, h = seed + 17.0, k = seed * 0.3;
	double m = seed - 0.001, n = seed * 2.5;
	int i;

	for (i = 0; i < MIX_STEPS; i++) {
		a = a * 0.999 + b;
		b = b * 0.5 + c * 0.25;
		c = c - d * 0.125;
		d = d * 0.75 + e;
		e = e * 0.9 - g * 0.01;
		if (from)
			fiber_switch(from, to);
		g = g * 0.8 + h * 0.1;
		h = h * 0.95 - k * 0.02;
		k = k * 0.7 + m * 0.3;
		m = m * 0.6 + n * 0.05;
		n = n * 0.99 + a * 0.001;
	}
	return a + b + c + d + e + g + h + k + m + n;
}

struct fpf {
	struct fiber *self;
	double seed, result;
	int done;
	unsigned mode_at_start, mode_ok;
	double third_up;
};

/* Rounding-mode control for the test, per architecture. */
#if defined(__x86_64__)
#define HAVE_FPCTL 1
static unsigned fp_mode(void)
{
	uint32_t mxcsr;
	uint16_t cw;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return (mxcsr & 0x6000u) | ((unsigned)(cw & 0x0c00u) << 16);
}
static void fp_set_upward(int up)
{
	uint32_t mxcsr;
	uint16_t cw;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	mxcsr = (mxcsr & ~0x6000u) | (up ? 0x4000u : 0);
	cw = (uint16_t)((cw & ~0x0c00u) | (up ? 0x0800u : 0));
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("fldcw %0" : : "m"(cw));
}
#define FP_MODE_UP ((0x4000u) | (0x0800u << 16))
#define FP_MODE_NEAREST 0u
#elif defined(__aarch64__)
#define HAVE_FPCTL 1
static unsigned fp_mode(void)
{
	uint64_t fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	return (unsigned)(fpcr >> 22) & 3u;
}
static void fp_set_upward(int up)
{
	uint64_t fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	fpcr = (fpcr & ~((uint64_t)3 << 22)) | ((uint64_t)(up ? 1 : 0) << 22);
	__asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
}
#define FP_MODE_UP 1u
#define FP_MODE_NEAREST 0u
#endif

static volatile double fp_one = 1.0, fp_three = 3.0;
static volatile double fp_seed_main = 1.5, fp_seed_fib = -2.75;

static void fp_fn(void *arg)
{
	struct fpf *f = arg;

#ifdef HAVE_FPCTL
	f->mode_at_start = fp_mode(); /* inherited from main at fiber_start */
#endif
	f->result = fp_mix(f->seed, f->self, &main_f);
#ifdef HAVE_FPCTL
	/* main rounded to nearest during all those switches; ours stayed */
	f->mode_ok = fp_mode() == FP_MODE_UP;
	f->third_up = fp_one / fp_three;
	fp_set_upward(0);
#endif
	f->done = 1;
	fiber_switch_final(f->self, &main_f);
}

static void test_fp(void)
{
	double third = fp_one / fp_three;
	double want_main = fp_mix(fp_seed_main, NULL, NULL);
	double want_fib;
	struct fpf f;

	memset(&f, 0, sizeof f);
	f.self = &pool.fibers[2];
	f.seed = fp_seed_fib;
#ifdef HAVE_FPCTL
	CHECK_EQ_U(fp_mode(), FP_MODE_NEAREST);
	fp_set_upward(1);
	want_fib = fp_mix(fp_seed_fib, NULL, NULL); /* what the fiber computes, rounding upward */
	fiber_start(f.self, fp_fn, &f);              /* the fiber inherits "upward" */
	fp_set_upward(0);
#else
	want_fib = fp_mix(fp_seed_fib, NULL, NULL);
	fiber_start(f.self, fp_fn, &f);
#endif
	/* FP values live across switches, each side in its own rounding mode */
	CHECK(fp_mix(fp_seed_main, &main_f, f.self) == want_main);
	CHECK(!f.done);
#ifdef HAVE_FPCTL
	CHECK_EQ_U(fp_mode(), FP_MODE_NEAREST);
	CHECK(fp_one / fp_three == third);
#endif
	fiber_switch(&main_f, f.self); /* let it finish */
	CHECK(f.done);
	CHECK(f.result == want_fib);
#ifdef HAVE_FPCTL
	CHECK_EQ_U(f.mode_at_start, FP_MODE_UP);
	CHECK(f.mode_ok);
	CHECK(f.third_up > third); /* 1/3 rounds down to nearest, up when upward */
	CHECK_EQ_U(fp_mode(), FP_MODE_NEAREST);
#endif
}

/* ---- stack alignment at entry -------------------------------------------- */

struct alf {
	struct fiber *self;
	int aligned_entry, aligned_nested;
	char text[32];
};

NOINLINE static int frame_aligned(void)
{
	return ((uintptr_t)__builtin_frame_address(0) & 15u) == 0;
}

static void align_fn(void *arg)
{
	struct alf *a = arg;

	a->aligned_entry = ((uintptr_t)__builtin_frame_address(0) & 15u) == 0;
	a->aligned_nested = frame_aligned();
	/* varargs with doubles: glibc uses aligned SSE stores here */
	snprintf(a->text, sizeof a->text, "%.3f %Lf", 1.25, (long double)0.5);
	fiber_switch_final(a->self, &main_f);
}

static void test_alignment(void)
{
	struct alf a;
	unsigned i;

	for (i = 0; i < NFIBERS; i++) {
		memset(&a, 0, sizeof a);
		a.self = &pool.fibers[i];
		fiber_start(a.self, align_fn, &a);
		fiber_switch(&main_f, a.self);
#if defined(__x86_64__) || defined(__aarch64__)
		CHECK(a.aligned_entry);
		CHECK(a.aligned_nested);
#endif
		CHECK(strcmp(a.text, "1.250 0.500000") == 0);
	}
}

int main(void)
{
	const char *impl = fiber_impl_name();

#if defined(NMRSIM_FIBER_UCONTEXT)
	CHECK(strcmp(impl, "ucontext") == 0);
#elif defined(__x86_64__)
	CHECK(strcmp(impl, "x86_64-asm") == 0);
#elif defined(__aarch64__)
	CHECK(strcmp(impl, "aarch64-asm") == 0);
#endif
	printf("fiber implementation: %s\n", impl);

	test_pool();

	fiber_init_main(&main_f);
	CHECK(main_f.stack == NULL);
	if (fiber_pool_init(&pool, NFIBERS, STACK_BYTES) != 0) {
		CHECK(!"fiber_pool_init");
		return check_exit();
	}
	CHECK_EQ_U(pool.stack_bytes, STACK_BYTES);

	test_ping_pong();
	test_completion();
	test_abandon();
	test_deep();
	test_registers();
	test_fp();
	test_alignment();

	fiber_pool_fini(&pool);
	return check_exit();
}
