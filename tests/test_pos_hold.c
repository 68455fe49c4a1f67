/* test_pos_hold.c - holds of partial order sampling (choice_pos_hold,
 * explore_pctr.c): a thread held at its step k is passed over while the
 * other thread of the hold runs its steps, every choice it can, and runs
 * again after; a hold without another thread lasts its length; threads that
 * are all held run anyway; a POS source without holds is plain POS. The
 * scheduler counts each thread's steps (sched.c, por_begin); here the test
 * does, after every pick. Session 14's parts of the race-directed search
 * (explore_race.c) next to them: the uniform random walk (choice.h:
 * pos_urw) and the exact footprints (sched/por_log.h: struct por_exact). */
#include <string.h>

#include "check.h"
#include "core/choice.h"
#include "sched/por_log.h"

#define CHOICES 64

static struct choice_rec log_a[4096], log_b[4096];

/* n thread choices among threads 0..nthreads-1 (all runnable, none
 * running), each pick counted as a step of its thread; picks[i] the
 * thread of choice i. */
static void pick_all(struct choice *c, uint32_t nthreads, uint32_t n, uint8_t *picks)
{
	uint8_t ids[8];
	for (uint32_t t = 0; t < nthreads; t++)
		ids[t] = (uint8_t)t;
	for (uint32_t i = 0; i < n; i++) {
		picks[i] = ids[choice_thread(c, ids, nthreads, false)];
		c->pos_steps[picks[i]]++;
	}
}

/* The choice at which thread t had made `steps` steps and was pending. */
static uint32_t pending_at(const uint8_t *picks, uint32_t n, uint8_t t, uint32_t steps)
{
	uint32_t made = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (made == steps)
			return i;
		made += picks[i] == t;
	}
	return n;
}

static void test_hold_runs_other_first(void)
{
	/* Thread 1 at its first step: held while thread 2 runs its next two
	 * steps, which go first; thread 1 is passed over until then. */
	const struct choice_hold hold = { .thread = 1, .steps = 0, .len = 20, .other = 2, .other_steps = 2 };
	uint32_t held_first = 0;
	for (uint64_t seed = 1; seed <= 16; seed++) {
		struct choice c;
		uint8_t picks[CHOICES];
		choice_init_pos(&c, seed, log_a, 4096);
		choice_pos_hold(&c, &hold, 1);
		pick_all(&c, 3, CHOICES, picks);
		CHECK_EQ_U(picks[0], 2);
		CHECK_EQ_U(picks[1], 2);
		CHECK_EQ_U(c.pos_holds_begun, 1);
		CHECK_EQ_U(c.pos_holds_done, 1);
		held_first += pending_at(picks, CHOICES, 1, 1) > 2;
	}
	/* POS alone would have run thread 1 or 0 first about two times in three. */
	CHECK_EQ_U(held_first, 16);
}

static void test_hold_length(void)
{
	/* No other thread: passed over for exactly len choices, where POS
	 * alone runs it within them from some seeds. */
	const struct choice_hold hold = { .thread = 1, .steps = 0, .len = 5, .other = 0xff };
	uint32_t plain_runs_it = 0;
	for (uint64_t seed = 1; seed <= 16; seed++) {
		struct choice c, plain;
		uint8_t picks[CHOICES], plain_picks[CHOICES];
		choice_init_pos(&c, seed, log_a, 4096);
		choice_pos_hold(&c, &hold, 1);
		choice_init_pos(&plain, seed, log_b, 4096);
		pick_all(&c, 2, CHOICES, picks);
		pick_all(&plain, 2, CHOICES, plain_picks);
		for (uint32_t i = 0; i < 5; i++)
			CHECK_EQ_U(picks[i], 0);
		CHECK_EQ_U(c.pos_holds_done, 1);
		plain_runs_it += pending_at(plain_picks, CHOICES, 1, 1) <= 5;
	}
	CHECK(plain_runs_it >= 4);
}

static void test_all_held_run(void)
{
	/* Both threads held at their first step: neither can go first, so both
	 * holds end at once and the choice is POS's. */
	const struct choice_hold holds[2] = { { .thread = 0, .steps = 0, .len = 9, .other = 0xff },
					      { .thread = 1, .steps = 0, .len = 9, .other = 0xff } };
	struct choice c, plain;
	uint8_t picks[CHOICES], plain_picks[CHOICES];
	choice_init_pos(&c, 3, log_a, 4096);
	choice_pos_hold(&c, holds, 2);
	choice_init_pos(&plain, 3, log_b, 4096);
	pick_all(&c, 2, CHOICES, picks);
	pick_all(&plain, 2, CHOICES, plain_picks);
	CHECK_EQ_U(c.pos_holds_done, 3);
	CHECK(memcmp(picks, plain_picks, sizeof picks) == 0);
}

static void test_no_holds_is_pos(void)
{
	/* Holds that never begin (a step the thread never reaches) leave POS's
	 * picks as they are: the draws are the same with and without them. */
	const struct choice_hold hold = { .thread = 1, .steps = 500, .len = 9, .other = 0 };
	struct choice c, plain;
	uint8_t picks[CHOICES], plain_picks[CHOICES];
	choice_init_pos(&c, 11, log_a, 4096);
	choice_pos_hold(&c, &hold, 1);
	choice_init_pos(&plain, 11, log_b, 4096);
	pick_all(&c, 3, CHOICES, picks);
	pick_all(&plain, 3, CHOICES, plain_picks);
	CHECK(memcmp(picks, plain_picks, sizeof picks) == 0);
	CHECK_EQ_U(c.pos_holds_begun, 0);
}

static void test_urw_walk(void)
{
	/* Thread 2 has 8 picks left, the others none (weight 1 each): it takes
	 * most of the 8 picks, each of them taken from its count; POS's
	 * priorities (pos_urw NULL) leave the count alone. */
	uint16_t left[CHOICE_THREADS_MAX] = { [2] = 8 };
	struct choice c;
	uint8_t picks[8];
	choice_init_pos(&c, 5, log_a, 4096);
	c.pos_urw = left;
	pick_all(&c, 3, 8, picks);
	uint32_t twos = 0;
	for (int i = 0; i < 8; i++)
		twos += picks[i] == 2;
	CHECK(twos >= 5);
	CHECK_EQ_U(left[2], 8 - twos);
	CHECK_EQ_U(left[0], 0);
	/* The same seed and counts, the same walk. */
	uint16_t again[CHOICE_THREADS_MAX] = { [2] = 8 };
	uint8_t picks2[8];
	choice_init_pos(&c, 5, log_b, 4096);
	c.pos_urw = again;
	pick_all(&c, 3, 8, picks2);
	CHECK(memcmp(picks, picks2, sizeof picks) == 0);
}

static uint32_t bits_of(const uint64_t *w, int n)
{
	uint32_t b = 0;
	for (int i = 0; i < n; i++)
		b += (uint32_t)__builtin_popcountll(w[i]);
	return b;
}

static void test_exact_footprint(void)
{
	/* Two keys that share a POR_BUCKETS bucket: one bit of the step's
	 * footprint, two of its exact footprint (logged only when asked). */
	uint32_t a = POR_KEY(POR_MEM, 1), b = 0;
	for (uint32_t i = 2; i < 100000 && !b; i++)
		if (por_bucket(POR_KEY(POR_MEM, i)) == por_bucket(a) &&
		    por_exact_bucket(POR_KEY(POR_MEM, i)) != por_exact_bucket(a))
			b = POR_KEY(POR_MEM, i);
	CHECK(b != 0);
	static struct por_step steps[2];
	static struct por_exact exact[2];
	struct sched_por p;
	const uint8_t ids[2] = { 0, 1 };
	for (int on = 0; on < 2; on++) {
		por_log_init(&p, steps, 2, 0);
		memset(exact, 0xff, sizeof exact); /* the step's begin clears its entry */
		p.exact = on ? exact : NULL;
		por_log_begin(&p, ids, 2, false, 1, 0xffu, 0, 0);
		por_log_touch(&p, a);
		por_log_read(&p, b);
		CHECK_EQ_U(bits_of(steps[0].fp, POR_WORDS), 1);
		if (on) {
			CHECK_EQ_U(bits_of(exact[0].fp, POR_EXACT_WORDS), 2);
			CHECK_EQ_U(bits_of(exact[0].wr, POR_EXACT_WORDS), 2); /* reads are writes unless split */
		}
	}
}

int main(void)
{
	test_hold_runs_other_first();
	test_hold_length();
	test_all_held_run();
	test_no_holds_is_pos();
	test_urw_walk();
	test_exact_footprint();
	return check_exit();
}
