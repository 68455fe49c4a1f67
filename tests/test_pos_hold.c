/* test_pos_hold.c - holds of partial order sampling (choice_pos_hold,
 * explore_pctr.c): a thread held at its step k is passed over while the
 * other thread of the hold runs its steps, every choice it can, and runs
 * again after; a hold without another thread lasts its length; threads that
 * are all held run anyway; a POS source without holds is plain POS. The
 * scheduler counts each thread's steps (sched.c, por_begin); here the test
 * does, after every pick. */
#include <string.h>

#include "check.h"
#include "core/choice.h"

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

int main(void)
{
	test_hold_runs_other_first();
	test_hold_length();
	test_all_held_run();
	test_no_holds_is_pos();
	return check_exit();
}
