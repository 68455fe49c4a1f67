/* bench_switch.c - cost of one fiber_switch against glibc swapcontext.
 *
 * Both sides do the same thing: two contexts on their own stacks ping-pong
 * SWITCHES times in total (every A->B and every B->A counts as one switch),
 * timed with CLOCK_MONOTONIC around the whole round, best of ROUNDS rounds.
 * An optional argument overrides the number of switches per round. */
#include "core/fiber.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#define SWITCHES 10000000ull
#define ROUNDS 5
#define UC_STACK_BYTES (64u * 1024u)

static uint64_t half_switches; /* switches made by A; B makes as many */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- fiber_switch ------------------------------------------------------- */

static struct fiber fmain;
static struct fiber_pool fpool;

static void fiber_a(void *arg)
{
	struct fiber *a = &fpool.fibers[0], *b = &fpool.fibers[1];
	uint64_t i, n = half_switches;

	(void)arg;
	for (i = 0; i < n; i++)
		fiber_switch(a, b);
	fiber_switch_final(a, &fmain);
}

static void fiber_b(void *arg)
{
	struct fiber *a = &fpool.fibers[0], *b = &fpool.fibers[1];

	(void)arg;
	for (;;)
		fiber_switch(b, a);
}

static double round_fiber(void)
{
	double t0, t1;

	/* B is left suspended at the end of a round: restarted here */
	fiber_start(&fpool.fibers[0], fiber_a, NULL);
	fiber_start(&fpool.fibers[1], fiber_b, NULL);
	t0 = now_ns();
	fiber_switch(&fmain, &fpool.fibers[0]);
	t1 = now_ns();
	return t1 - t0;
}

/* ---- glibc swapcontext -------------------------------------------------- */

static ucontext_t uc_main, uc_a, uc_b;
static _Alignas(16) unsigned char uc_stack_a[UC_STACK_BYTES];
static _Alignas(16) unsigned char uc_stack_b[UC_STACK_BYTES];

static void uc_fn_a(void)
{
	uint64_t i, n = half_switches;

	for (i = 0; i < n; i++)
		swapcontext(&uc_a, &uc_b);
	setcontext(&uc_main);
}

static void uc_fn_b(void)
{
	for (;;)
		swapcontext(&uc_b, &uc_a);
}

static void uc_make(ucontext_t *uc, unsigned char *stack, void (*fn)(void))
{
	if (getcontext(uc) != 0) {
		perror("getcontext");
		exit(1);
	}
	uc->uc_stack.ss_sp = stack;
	uc->uc_stack.ss_size = UC_STACK_BYTES;
	uc->uc_link = &uc_main;
	makecontext(uc, fn, 0);
}

static double round_ucontext(void)
{
	double t0, t1;

	uc_make(&uc_a, uc_stack_a, uc_fn_a);
	uc_make(&uc_b, uc_stack_b, uc_fn_b);
	t0 = now_ns();
	if (swapcontext(&uc_main, &uc_a) != 0) {
		perror("swapcontext");
		exit(1);
	}
	t1 = now_ns();
	return t1 - t0;
}

int main(int argc, char **argv)
{
	uint64_t switches = SWITCHES;
	double best_fiber = 0, best_uc = 0, fib_ns, uc_ns;
	int r;

	if (argc > 1) {
		char *end;
		unsigned long long v = strtoull(argv[1], &end, 10);
		if (*end != '\0' || v < 2) {
			fprintf(stderr, "usage: %s [switches per round, >= 2]\n", argv[0]);
			return 2;
		}
		switches = v;
	}
	half_switches = switches / 2;
	switches = half_switches * 2;

	fiber_init_main(&fmain);
	if (fiber_pool_init(&fpool, 2, UC_STACK_BYTES) != 0) {
		perror("fiber_pool_init");
		return 1;
	}
	for (r = 0; r < ROUNDS; r++) {
		double t = round_fiber();
		if (r == 0 || t < best_fiber)
			best_fiber = t;
	}
	for (r = 0; r < ROUNDS; r++) {
		double t = round_ucontext();
		if (r == 0 || t < best_uc)
			best_uc = t;
	}
	fiber_pool_fini(&fpool);

	fib_ns = best_fiber / (double)switches;
	uc_ns = best_uc / (double)switches;
	printf("fiber_switch (%s): %.1f ns/switch\n", fiber_impl_name(), fib_ns);
	printf("swapcontext (glibc):      %.1f ns/switch\n", uc_ns);
	printf("speedup: %.1fx\n", uc_ns / fib_ns);
	return 0;
}
