/* test_interleave.c - interleaving coverage features (run/interleave.h),
 * the run with and without them, the coverage-guided explorer, and the
 * scenario's swarm setting. */
#include <string.h>

#include "check.h"
#include "run/explore.h"
#include "run/interleave.h"
#include "run/run.h"

#define SLOTS 1024

static unsigned nonzero(const uint8_t *map)
{
	unsigned n = 0;
	for (unsigned i = 0; i < SLOTS; i++)
		n += map[i] != 0;
	return n;
}

static struct event ev(uint8_t kind, uint8_t what, uint8_t thread, uint16_t binding)
{
	return (struct event){ .kind = kind, .what = what, .thread = thread, .module = 1, .peer = 0, .binding = binding };
}

/* A client's dispatch call in flight on thread 0 while its detach callback
 * enters on thread 1: one overlap feature, one order feature (the binding's
 * previous event was the call, on another thread). The other order of the
 * same events gives other features. */
static void test_features(void)
{
	static uint8_t a[SLOTS], b[SLOTS], c[SLOTS];
	struct interleave il;
	interleave_init(&il, a, SLOTS);
	struct event call = ev(EV_CALL_ENTER, 0, 0, 3), detach = ev(EV_CB_ENTER, CB_CLIENT_DETACH, 1, 3);
	interleave_event(&il, &call);
	interleave_event(&il, &detach);
	CHECK_EQ_U(il.features, 2); /* the call: a new object, nothing to compare; the detach: overlap + order */
	CHECK_EQ_U(nonzero(a), 2);

	interleave_init(&il, b, SLOTS);
	interleave_event(&il, &call);
	interleave_event(&il, &detach);
	CHECK(memcmp(a, b, SLOTS) == 0); /* the same events, the same map */

	/* The detach first, returned, then the call: no overlap, another order. */
	interleave_init(&il, c, SLOTS);
	struct event detach_exit = ev(EV_CB_EXIT, CB_CLIENT_DETACH, 1, 3), call2 = ev(EV_CALL_ENTER, 0, 0, 3);
	interleave_event(&il, &detach);
	interleave_event(&il, &detach_exit);
	interleave_event(&il, &call2);
	unsigned shared = 0;
	for (unsigned i = 0; i < SLOTS; i++)
		shared += a[i] && c[i];
	CHECK(nonzero(c) >= 2);
	CHECK(shared < nonzero(a));

	/* A thread that ends leaves no activity open. */
	struct event end = ev(EV_THREAD_END, 0, 0, EV_NONE16);
	interleave_init(&il, c, SLOTS);
	interleave_event(&il, &call);
	interleave_event(&il, &end);
	CHECK_EQ_U(il.busy, 0);
}

static const char two_threads[] =
	"provider P detach=async\n"
	"client C detach=inflight\n"
	"thread T0\n  register P\n  register C\n  call C\n  unload P\n"
	"thread T1\n  call C\n  call C\n  unload C\n";

static struct scenario scn;
static struct runner runner;

/* Features on or off, the trace is the same; the same run, the same map. */
static void test_run(void)
{
	static uint8_t m1[SLOTS], m2[SLOTS];
	struct scn_error err;
	CHECK(scn_parse_text(&scn, two_threads, strlen(two_threads), "two", &err) == 0);
	CHECK(runner_init(&runner) == 0);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct run_source src = { .kind = SOURCE_PRNG, .seed = seed };
		struct run_options off = { .keep_events = 1 }, on = off;
		struct run_result r0 = run_scenario(&runner, &scn, &src, &off);
		CHECK_EQ_U(r0.interleave_features, 0);
		memset(m1, 0, SLOTS);
		on.interleave_map = m1;
		on.interleave_slots = SLOTS;
		struct run_result r1 = run_scenario(&runner, &scn, &src, &on);
		memset(m2, 0, SLOTS);
		on.interleave_map = m2;
		struct run_result r2 = run_scenario(&runner, &scn, &src, &on);
		CHECK_EQ_U(r0.hash, r1.hash);
		CHECK_EQ_U(r1.hash, r2.hash);
		CHECK(r1.interleave_features > 0);
		CHECK(memcmp(m1, m2, SLOTS) == 0);
	}
}

struct seen {
	uint64_t runs, hashes;
};

static bool note(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t i)
{
	(void)src;
	struct seen *s = ctx;
	s->runs += i + 1;
	s->hashes ^= res->hash * (i + 1);
	return true;
}

/* The coverage-guided explorer, swarm and partial order sampling: the same
 * seed, the same runs. */
static void test_explore_deterministic(void)
{
	static const char buggy[] = "provider P detach=async\nclient C detach=never\n"
				    "thread T0\n  register P\n  register C\n  unload C\nthread T1\n  unload P\n";
	struct scn_error err;
	CHECK(scn_parse_text(&scn, buggy, strlen(buggy), "buggy", &err) == 0);
	static const enum explore_strategy strategies[] = { EXPLORE_SWARM, EXPLORE_COVER, EXPLORE_POS };
	for (int k = 0; k < 3; k++) {
		struct seen a = { 0 }, b = { 0 };
		struct explore_config cfg = { .strategy = strategies[k], .seed = 9, .runs_max = 300,
					      .on_finding = note, .ctx = &a };
		struct explore_stats s1 = explore_run(&runner, &scn, &cfg);
		cfg.ctx = &b;
		struct explore_stats s2 = explore_run(&runner, &scn, &cfg);
		CHECK_EQ_U(s1.runs, 300);
		CHECK_EQ_U(s1.steps, s2.steps);
		CHECK(a.runs > 0);
		CHECK_EQ_U(a.runs, b.runs);
		CHECK_EQ_U(a.hashes, b.hashes);
	}
}

/* `swarm on`: printed, parsed back, kept by the binary form, and it changes
 * the run of a scenario's own seed. */
static void test_scenario_swarm(void)
{
	static const char text[] = "swarm on\nschedule seed 3\nprovider P\nclient C\nthread T0\n  register P\n"
				   "  register C\n  unload C\n  unload P\n";
	static char out[4096];
	static uint8_t bin[8192];
	static struct scenario back, plain;
	struct scn_error err;
	CHECK(scn_parse_text(&scn, text, strlen(text), "swarm", &err) == 0);
	CHECK_EQ_U(scn.swarm, 1);
	size_t n = scn_print_text(&scn, out, sizeof out);
	CHECK(strstr(out, "swarm on\n") != NULL);
	CHECK(scn_parse_text(&back, out, n, "printed", &err) == 0);
	CHECK_EQ_U(back.swarm, 1);
	CHECK(scn_parse_text(&back, "swarm maybe\n", 12, "bad", &err) != 0);

	scn.sched = SCHED_BYTES; /* the binary form keeps bytes schedules */
	size_t len = scn_encode_binary(&scn, bin, sizeof bin);
	scn_decode_binary(&back, bin, len);
	CHECK_EQ_U(back.swarm, 1);
	CHECK_EQ_U(bin[3] & 2u, 2u);

	/* Over seeds, swarm and plain runs of the same seed differ somewhere. */
	CHECK(scn_parse_text(&scn, text, strlen(text), "swarm", &err) == 0);
	plain = scn;
	plain.swarm = 0;
	unsigned differ = 0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		scn.seed = plain.seed = seed;
		differ += run_scenario(&runner, &scn, NULL, NULL).hash != run_scenario(&runner, &plain, NULL, NULL).hash;
	}
	CHECK(differ > 0);
}

int main(void)
{
	test_features();
	test_run();
	test_explore_deterministic();
	test_scenario_swarm();
	runner_fini(&runner);
	return check_exit();
}
