/* test_swarm.c - swarm configurations of the choice stream (choice.h) and
 * forced prefixes of PRNG / swarm sources. */
#include <string.h>

#include "check.h"
#include "core/choice.h"

static struct choice_rec log_a[4096], log_b[4096];

/* The same seed gives the same configuration and the same choices. */
static void test_deterministic(void)
{
	struct choice a, b;
	choice_init_swarm(&a, 77, log_a, 4096);
	choice_init_swarm(&b, 77, log_b, 4096);
	CHECK(memcmp(a.swarm_kind, b.swarm_kind, sizeof a.swarm_kind) == 0);
	CHECK_EQ_U(a.swarm_switch, b.swarm_switch);
	uint8_t ids[3] = { 0, 1, 2 };
	for (int i = 0; i < 1000; i++) {
		CHECK_EQ_U(choice_thread(&a, ids, 3, true), choice_thread(&b, ids, 3, true));
		CHECK_EQ_U(choice_pick(&a, (enum choice_kind)(1 + i % 5), 3), choice_pick(&b, (enum choice_kind)(1 + i % 5), 3));
		CHECK_EQ_U(choice_chance(&a, CK_POOL_FAULT, 1, 8), choice_chance(&b, CK_POOL_FAULT, 1, 8));
	}
	CHECK_EQ_U(a.log_len, b.log_len);
	CHECK(memcmp(log_a, log_b, sizeof(struct choice_rec) * a.log_len) == 0);
}

/* Every level of every setting is drawn by some seed: the configuration
 * varies from run to run (a constant one is no swarm). */
static void test_levels(void)
{
	unsigned sw[256] = { 0 }, kind[256] = { 0 }, scale[256] = { 0 };
	for (uint64_t seed = 1; seed <= 2000; seed++) {
		struct choice c;
		choice_init_swarm(&c, seed, NULL, 0);
		sw[c.swarm_switch]++;
		kind[c.swarm_kind[CK_F2_ORDER]]++;
		scale[c.swarm_scale[CK_POOL_FAULT]]++;
	}
	CHECK(sw[0] > 300 && sw[128] > 300 && sw[32] > 300 && sw[4] > 300);
	CHECK(kind[0] > 300 && kind[16] > 300 && kind[128] > 300 && kind[240] > 300);
	CHECK(scale[0] > 300 && scale[1] > 300 && scale[4] > 300 && scale[16] > 300);
}

static uint64_t seed_where(bool (*fits)(const struct choice *))
{
	for (uint64_t seed = 1; seed < 10000; seed++) {
		struct choice c;
		choice_init_swarm(&c, seed, NULL, 0);
		if (fits(&c))
			return seed;
	}
	return 0;
}

static bool f2_off(const struct choice *c) { return c->swarm_kind[CK_F2_ORDER] == 0; }
static bool f2_often(const struct choice *c) { return c->swarm_kind[CK_F2_ORDER] == 240; }
static bool rare_preempt(const struct choice *c) { return c->swarm_switch == 4; }
static bool faults_off(const struct choice *c) { return c->swarm_scale[CK_POOL_FAULT] == 0; }

/* A freedom turned off is never taken; one at 15/16 almost always; a rare
 * preemption level keeps the running thread; faults off never fail. */
static void test_settings_followed(void)
{
	struct choice c;
	uint8_t ids[4] = { 5, 6, 7, 8 };
	unsigned nonzero = 0;
	choice_init_swarm(&c, seed_where(f2_off), NULL, 0);
	for (int i = 0; i < 2000; i++)
		nonzero += choice_pick(&c, CK_F2_ORDER, 3) != 0;
	CHECK_EQ_U(nonzero, 0);

	nonzero = 0;
	choice_init_swarm(&c, seed_where(f2_often), NULL, 0);
	for (int i = 0; i < 2000; i++)
		nonzero += choice_pick(&c, CK_F2_ORDER, 3) != 0;
	CHECK(nonzero > 1700);

	nonzero = 0;
	choice_init_swarm(&c, seed_where(rare_preempt), NULL, 0);
	for (int i = 0; i < 4000; i++)
		nonzero += choice_thread(&c, ids, 4, true) != 0;
	CHECK(nonzero < 200);

	nonzero = 0;
	choice_init_swarm(&c, seed_where(faults_off), NULL, 0);
	for (int i = 0; i < 2000; i++)
		nonzero += choice_chance(&c, CK_POOL_FAULT, 1, 2);
	CHECK_EQ_U(nonzero, 0);
}

/* From bytes: the configuration is the leading bytes (low two bits each),
 * and an exhausted input means no surprise, as every byte source. */
static void test_bytes(void)
{
	/* switch, F1-F5, then the F6, pool and module scales: nine bytes */
	static const uint8_t cfg[9] = { 3, 1, 3, 0, 0, 0, 0, 0, 0 }; /* switch 1/64; F1 off; F2 15/16 */
	struct choice c;
	choice_init_swarm_bytes(&c, cfg, sizeof cfg, log_a, 4096);
	CHECK_EQ_U(c.swarm_switch, 4);
	CHECK_EQ_U(c.swarm_kind[CK_F1_ATTACH], 0);
	CHECK_EQ_U(c.swarm_kind[CK_F2_ORDER], 240);
	CHECK_EQ_U(c.bytes_pos, 9);
	uint8_t ids[3] = { 0, 1, 2 };
	CHECK_EQ_U(choice_thread(&c, ids, 3, true), 0);
	CHECK_EQ_U(choice_pick(&c, CK_F2_ORDER, 4), 0);
	CHECK(!choice_chance(&c, CK_F6_FAULT, 1, 1));

	static const uint8_t more[11] = { 0, 0, 2, 0, 0, 0, 0, 0, 0, 255, 7 }; /* switch uniform; F2 1/16 */
	choice_init_swarm_bytes(&c, more, sizeof more, log_a, 4096);
	CHECK_EQ_U(c.swarm_kind[CK_F2_ORDER], 16);
	CHECK_EQ_U(choice_pick(&c, CK_F2_ORDER, 4), 1 + 7 % 3); /* 255 >= 256 - 16: taken; option from the next byte */
	CHECK_EQ_U(c.bytes_pos, 11);
}

/* PRNG, swarm and POS: a forced prefix is taken (clamped to the options),
 * then the source goes on. */
static void test_prefix(void)
{
	static const uint16_t prefix[3] = { 2, 1, 9 };
	struct choice c, plain;
	choice_init_prng(&c, 5, log_a, 4096);
	choice_init_prng(&plain, 5, log_b, 4096);
	choice_set_prefix(&c, prefix, 3);
	uint8_t ids[2] = { 3, 4 };
	CHECK_EQ_U(choice_pick(&c, CK_F1_ATTACH, 3), 2);
	CHECK_EQ_U(choice_thread(&c, ids, 2, true), 1);
	CHECK_EQ_U(c.preemptions, 1);
	CHECK(choice_chance(&c, CK_F6_FAULT, 1, 100)); /* 9 lowered to 1: true */
	for (int i = 0; i < 50; i++)
		CHECK_EQ_U(choice_pick(&c, CK_F4_CLEANUP, 7), choice_pick(&plain, CK_F4_CLEANUP, 7));
	CHECK_EQ_U(log_a[0].value, 2);
	CHECK_EQ_U(log_a[2].value, 1);

	choice_init_swarm(&c, 5, log_a, 4096);
	choice_set_prefix(&c, prefix, 2);
	CHECK_EQ_U(choice_pick(&c, CK_F3_IRQL, 2), 1); /* 2 lowered to 1, whatever the configuration */
	CHECK_EQ_U(choice_pick(&c, CK_F3_IRQL, 2), 1);

	/* POS (the race-directed search's tails): the prefix draws nothing, so
	 * the choices after it are those of the same seed from its start. */
	choice_init_pos(&c, 5, log_a, 4096);
	choice_init_pos(&plain, 5, log_b, 4096);
	choice_set_prefix(&c, prefix, 3);
	uint8_t three[3] = { 1, 2, 5 };
	CHECK_EQ_U(choice_thread(&c, three, 3, true), 2);
	CHECK_EQ_U(choice_pick(&c, CK_F1_ATTACH, 3), 1);
	CHECK_EQ_U(choice_thread(&c, three, 3, false), 2); /* 9 lowered to 2 */
	unsigned moved = 0;
	for (int i = 0; i < 50; i++) {
		uint32_t v = choice_thread(&c, three, 3, true);
		CHECK_EQ_U(v, choice_thread(&plain, three, 3, true));
		moved += v != 0;
		CHECK_EQ_U(choice_pick(&c, CK_F4_CLEANUP, 7), choice_pick(&plain, CK_F4_CLEANUP, 7));
	}
	CHECK(moved > 0); /* POS's own choices, not option 0 throughout */
}

int main(void)
{
	test_deterministic();
	test_levels();
	test_settings_followed();
	test_bytes();
	test_prefix();
	return check_exit();
}
