/* test_choice.c - the choice stream: every source, the log, replay, the DFS
 * driver and PCT. */
#include "core/choice.h"
#include "check.h"

#include <stdint.h>
#include <string.h>

#define LOG_CAP 256

static struct choice_rec log_a[LOG_CAP], log_b[LOG_CAP];

/* ---- bytes ---- */

static void test_bytes(void)
{
	static const uint8_t in[] = { 5, 200, 0x34, 0x12, 7, 9 };
	struct choice c;
	choice_init_bytes(&c, in, sizeof in, log_a, LOG_CAP);

	CHECK_EQ_U(choice_pick(&c, CK_F1_ATTACH, 3), 2);      /* 5 % 3 */
	CHECK_EQ_U(choice_pick(&c, CK_F2_ORDER, 1), 0);       /* not a choice */
	CHECK_EQ_U(c.bytes_pos, 1);
	CHECK_EQ_U(c.log_len, 1);
	CHECK_EQ_U(c.count, 1);
	CHECK_EQ_U(choice_pick(&c, CK_F3_IRQL, 256), 200);    /* one byte up to 256 */
	CHECK_EQ_U(choice_pick(&c, CK_MODULE, 1000), 0x1234 % 1000); /* two bytes, little endian */
	CHECK_EQ_U(c.bytes_pos, 4);
	CHECK(choice_chance(&c, CK_F6_FAULT, 1, 2));           /* 7 % 2 = 1 >= 2 - 1 */
	CHECK(!choice_chance(&c, CK_F6_FAULT, 2, 4));          /* 9 % 4 = 1 < 4 - 2 */
	CHECK_EQ_U(c.bytes_pos, 6);
	/* exhausted: option 0, chance false, still taken and logged */
	CHECK_EQ_U(choice_pick(&c, CK_F4_CLEANUP, 5), 0);
	CHECK(!choice_chance(&c, CK_POOL_FAULT, 1, 1));
	CHECK_EQ_U(choice_pick(&c, CK_MODULE, 60000), 0);
	CHECK_EQ_U(c.count, 8);
	CHECK_EQ_U(c.log_len, 8);
	CHECK_EQ_U(c.bytes_pos, 6);

	/* the log */
	CHECK_EQ_U(log_a[0].kind, CK_F1_ATTACH);
	CHECK_EQ_U(log_a[0].n, 3);
	CHECK_EQ_U(log_a[0].value, 2);
	CHECK_EQ_U(log_a[2].n, 1000);
	CHECK_EQ_U(log_a[2].value, 660);
	CHECK_EQ_U(log_a[3].kind, CK_F6_FAULT);
	CHECK_EQ_U(log_a[3].n, 2);
	CHECK_EQ_U(log_a[3].value, 1);
	CHECK_EQ_U(log_a[4].value, 0);
	CHECK_EQ_U(log_a[6].kind, CK_POOL_FAULT);
	CHECK_EQ_U(log_a[6].value, 0);

	/* a 2-byte choice with one byte left takes that byte as the low half */
	static const uint8_t one[] = { 0xff };
	choice_init_bytes(&c, one, sizeof one, NULL, 0);
	CHECK_EQ_U(choice_pick(&c, CK_MODULE, 300), 255);
	CHECK_EQ_U(c.bytes_pos, 1);
	CHECK_EQ_U(c.count, 1);
	CHECK_EQ_U(c.log_len, 0); /* no log storage: still taken */

	/* thread choices consume like picks */
	static const uint8_t th[] = { 4, 1 };
	const uint8_t ids[3] = { 7, 3, 9 };
	choice_init_bytes(&c, th, sizeof th, log_a, LOG_CAP);
	CHECK_EQ_U(choice_thread(&c, ids, 3, true), 1);
	CHECK_EQ_U(choice_thread(&c, ids, 1, true), 0);
	CHECK_EQ_U(choice_thread(&c, ids, 2, false), 1);
	CHECK_EQ_U(choice_thread(&c, ids, 3, false), 0);
	CHECK_EQ_U(c.log_len, 3);
	CHECK_EQ_U(log_a[0].kind, CK_THREAD);
	CHECK_EQ_U(log_a[0].n, 3);
	CHECK_EQ_U(log_a[0].value, 1);
	CHECK_EQ_U(c.preemptions, 1);

	/* log capacity: choices beyond it are taken, not logged */
	static const uint8_t many[] = { 1, 1, 1, 1, 1 };
	choice_init_bytes(&c, many, sizeof many, log_a, 2);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_U(choice_pick(&c, CK_F2_ORDER, 4), 1);
	CHECK_EQ_U(c.log_len, 2);
	CHECK_EQ_U(c.count, 5);
}

/* ---- chance ---- */

static void test_chance(void)
{
	static const uint8_t in[] = { 0, 1, 2, 3 };
	struct choice c;
	choice_init_bytes(&c, in, sizeof in, log_a, LOG_CAP);
	CHECK(!choice_chance(&c, CK_F6_FAULT, 0, 4)); /* num 0: no choice */
	CHECK(!choice_chance(&c, CK_F6_FAULT, 1, 0)); /* den 0: no choice */
	CHECK_EQ_U(c.bytes_pos, 0);
	CHECK_EQ_U(c.count, 0);
	CHECK_EQ_U(c.log_len, 0);
	CHECK(!choice_chance(&c, CK_F6_FAULT, 1, 3)); /* a zero byte: no surprise */
	CHECK(!choice_chance(&c, CK_F6_FAULT, 1, 3)); /* 1 % 3 < 3 - 1 */
	CHECK(choice_chance(&c, CK_F6_FAULT, 5, 3));  /* num >= den: always */
	CHECK(!choice_chance(&c, CK_F6_FAULT, 2, 3)); /* 3 % 3 = 0 < 3 - 2 */
	CHECK_EQ_U(c.count, 4);
	CHECK_EQ_U(c.bytes_pos, 4);
	CHECK_EQ_U(log_a[0].n, 2);
	CHECK_EQ_U(log_a[0].value, 0);
	CHECK_EQ_U(log_a[2].value, 1);

	/* num 0 / den 0 consume nothing in every mode */
	uint16_t pre[1] = { 1 };
	choice_init_dfs(&c, pre, 1, UINT32_MAX, log_a, LOG_CAP);
	CHECK(!choice_chance(&c, CK_F6_FAULT, 0, 0));
	CHECK_EQ_U(c.count, 0);
	CHECK(choice_chance(&c, CK_F6_FAULT, 1, 100)); /* DFS: option 1 = true */
	CHECK(!choice_chance(&c, CK_F6_FAULT, 99, 100)); /* past the prefix: 0 = false */

	/* PRNG: rate roughly num/den */
	choice_init_prng(&c, 7, NULL, 0);
	unsigned hits = 0;
	for (int i = 0; i < 40000; i++)
		hits += choice_chance(&c, CK_F6_FAULT, 1, 4);
	CHECK(hits > 9400 && hits < 10600);
}

/* ---- PRNG ---- */

static void test_prng(void)
{
	uint64_t st = 0;
	CHECK_EQ_U(choice_splitmix64(&st), UINT64_C(0xe220a8397b1dcdaf));
	CHECK_EQ_U(choice_splitmix64(&st), UINT64_C(0x6e789e6aa1b965f4));
	CHECK_EQ_U(choice_splitmix64(&st), UINT64_C(0x06c45d188009454f));

	/* xoshiro256** reference outputs for state {1, 2, 3, 4} */
	uint64_t s[4] = { 1, 2, 3, 4 };
	CHECK_EQ_U(choice_prng_next(s), UINT64_C(11520));
	CHECK_EQ_U(choice_prng_next(s), UINT64_C(0));
	CHECK_EQ_U(choice_prng_next(s), UINT64_C(1509978240));
	CHECK_EQ_U(choice_prng_next(s), UINT64_C(1215971899390074240));

	/* seeding: state = four splitmix64 outputs of the seed */
	struct choice c;
	choice_init_prng(&c, 0, NULL, 0);
	CHECK_EQ_U(c.prng[0], UINT64_C(0xe220a8397b1dcdaf));
	CHECK_EQ_U(choice_prng_next(c.prng), UINT64_C(0x99ec5f36cb75f2b4));
	CHECK_EQ_U(choice_prng_next(c.prng), UINT64_C(0xbf6e1f784956452a));

	/* bounded values pinned (computed by an independent reference
	 * implementation): guards against platform/compiler differences */
	choice_init_prng(&c, 42, log_a, LOG_CAP);
	static const uint32_t ns[] = { 2, 3, 10, 100, 65535, 7, 7, 7 };
	static const uint32_t want[] = { 0, 1, 6, 92, 64997, 5, 5, 5 };
	for (unsigned i = 0; i < sizeof ns / sizeof ns[0]; i++)
		CHECK_EQ_U(choice_pick(&c, CK_MODULE, ns[i]), want[i]);

	/* same seed, same sequence; another seed, another one */
	struct choice a, b, d;
	choice_init_prng(&a, 12345, NULL, 0);
	choice_init_prng(&b, 12345, NULL, 0);
	choice_init_prng(&d, 12346, NULL, 0);
	int same = 1, differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint32_t n = 2 + (uint32_t)i % 300;
		uint32_t va = choice_pick(&a, CK_F1_ATTACH, n);
		uint32_t vb = choice_pick(&b, CK_F1_ATTACH, n);
		uint32_t vd = choice_pick(&d, CK_F1_ATTACH, n);
		same &= va == vb && va < n;
		differ |= va != vd;
	}
	CHECK(same);
	CHECK(differ);

	/* roughly unbiased: n = 3 and a large n whose modulo bias would show */
	unsigned hist[3] = { 0, 0, 0 };
	choice_init_prng(&c, 99, NULL, 0);
	for (int i = 0; i < 30000; i++)
		hist[choice_pick(&c, CK_MODULE, 3)]++;
	for (int i = 0; i < 3; i++)
		CHECK(hist[i] > 9500 && hist[i] < 10500);
	/* n = 40000: the lower and upper halves get equal mass */
	unsigned low = 0;
	for (int i = 0; i < 40000; i++) {
		uint32_t v = choice_pick(&c, CK_MODULE, 40000);
		CHECK(v < 40000);
		low += v < 20000;
	}
	CHECK(low > 19400 && low < 20600);
	CHECK(!c.diverged);
}

/* ---- replay ---- */

/* A small "program" whose questions depend on the answers. Returns a
 * fingerprint of the answers; n_bump changes one n (to provoke divergence). */
static uint64_t program(struct choice *c, uint32_t n_bump)
{
	uint64_t h = 1469598103934665603u;
	static const uint8_t ids[4] = { 2, 0, 3, 1 };
	for (uint32_t i = 0; i < 40; i++) {
		uint32_t v;
		switch (i % 4) {
		case 0:
			v = choice_thread(c, ids, 2 + i % 3, i % 8 == 0);
			break;
		case 1:
			v = choice_pick(c, CK_F2_ORDER, (i == 21 ? n_bump : 0) + 3 + i % 5);
			break;
		case 2:
			v = choice_chance(c, CK_F6_FAULT, 1, 3);
			break;
		default:
			v = choice_pick(c, (enum choice_kind)(1 + i % 8), (i & 1) ? 1000 : 1);
			break;
		}
		h = (h ^ v) * 1099511628211u;
	}
	return h;
}

static void test_replay(void)
{
	struct choice c;
	choice_init_prng(&c, 2024, log_a, LOG_CAP);
	uint64_t h = program(&c, 0);
	uint32_t n = c.log_len;
	CHECK(n > 20);
	CHECK_EQ_U(n, c.count);

	choice_init_replay(&c, log_a, n, log_b, LOG_CAP);
	CHECK_EQ_U(program(&c, 0), h);
	CHECK(!c.diverged);
	CHECK_EQ_U(c.log_len, n);
	CHECK(memcmp(log_a, log_b, n * sizeof log_a[0]) == 0);

	/* one n differs: flagged, and that choice takes value % n */
	choice_init_replay(&c, log_a, n, log_b, LOG_CAP);
	(void)program(&c, 2);
	CHECK(c.diverged);

	/* kind differs */
	struct choice_rec r = { .kind = CK_F1_ATTACH, .n = 4, .value = 3 };
	choice_init_replay(&c, &r, 1, log_b, LOG_CAP);
	CHECK_EQ_U(choice_pick(&c, CK_F2_ORDER, 4), 3);
	CHECK(c.diverged);
	choice_init_replay(&c, &r, 1, log_b, LOG_CAP);
	CHECK_EQ_U(choice_pick(&c, CK_F1_ATTACH, 3), 0); /* 3 % 3 */
	CHECK(c.diverged);
	choice_init_replay(&c, &r, 1, log_b, LOG_CAP);
	CHECK_EQ_U(choice_pick(&c, CK_F1_ATTACH, 4), 3);
	CHECK(!c.diverged);
	/* past the end: 0, still logged, not a divergence */
	CHECK_EQ_U(choice_pick(&c, CK_F1_ATTACH, 4), 0);
	CHECK(!choice_chance(&c, CK_F6_FAULT, 1, 1));
	CHECK(!c.diverged);
	CHECK_EQ_U(c.log_len, 3);

	/* an empty replay is the default run */
	choice_init_replay(&c, NULL, 0, NULL, 0);
	CHECK_EQ_U(choice_pick(&c, CK_MODULE, 9), 0);
	CHECK(!c.diverged);
}

/* ---- DFS ---- */

/* Three scheduling points of two runnable threads; option 0 = keep running. */
static uint32_t prog_threads(struct choice *c)
{
	static const uint8_t ids[2] = { 0, 1 };
	uint32_t leaf = 0;
	for (int i = 0; i < 3; i++)
		leaf = leaf * 2 + choice_thread(c, ids, 2, true);
	return leaf;
}

/* An irregular tree: the shape depends on the answers. */
static uint32_t prog_irregular(struct choice *c)
{
	static const uint8_t ids[3] = { 0, 1, 2 };
	uint32_t a = choice_thread(c, ids, 3, false); /* 3 options, no preemption */
	uint32_t leaf = a;
	if (a == 1) {
		leaf = leaf * 4 + choice_pick(c, CK_F2_ORDER, 4);
	} else if (a == 2) {
		leaf = leaf * 2 + choice_chance(c, CK_F6_FAULT, 1, 2);
		leaf = leaf * 2 + choice_chance(c, CK_F6_FAULT, 1, 2);
	}
	return leaf; /* 1 + 4 + 4 = 9 leaves */
}

static uint32_t dfs_count(uint32_t (*prog)(struct choice *), uint32_t bound, int *repeat)
{
	uint16_t prefix[LOG_CAP];
	uint32_t prefix_len = 0, leaves = 0;
	uint8_t seen[64];
	memset(seen, 0, sizeof seen);
	*repeat = 0;
	for (;;) {
		struct choice c;
		choice_init_dfs(&c, prefix, prefix_len, bound, log_a, LOG_CAP);
		uint32_t leaf = prog(&c);
		CHECK(!c.diverged);
		CHECK(leaf < 64);
		if (leaf < 64) {
			*repeat |= seen[leaf];
			seen[leaf] = 1;
		}
		/* the prefix is followed exactly */
		for (uint32_t i = 0; i < prefix_len && i < c.log_len; i++)
			CHECK_EQ_U(log_a[i].value, prefix[i]);
		leaves++;
		if (leaves > 1000 || !choice_dfs_next(log_a, c.log_len, prefix, &prefix_len))
			break;
	}
	return leaves;
}

static void test_dfs(void)
{
	int repeat;
	CHECK_EQ_U(dfs_count(prog_threads, 0, &repeat), 1);
	CHECK(!repeat);
	CHECK_EQ_U(dfs_count(prog_threads, 1, &repeat), 4); /* 000 100 010 001 */
	CHECK(!repeat);
	CHECK_EQ_U(dfs_count(prog_threads, 2, &repeat), 7); /* all but 111 */
	CHECK(!repeat);
	CHECK_EQ_U(dfs_count(prog_threads, 3, &repeat), 8);
	CHECK(!repeat);
	CHECK_EQ_U(dfs_count(prog_threads, UINT32_MAX, &repeat), 8);
	CHECK(!repeat);
	CHECK_EQ_U(dfs_count(prog_irregular, 0, &repeat), 9); /* no current_first: bound irrelevant */
	CHECK(!repeat);

	/* the order is depth-first: 000, 001, 010, 100 under bound 1 */
	{
		uint16_t prefix[8];
		uint32_t prefix_len = 0, order[4], k = 0;
		do {
			struct choice c;
			choice_init_dfs(&c, prefix, prefix_len, 1, log_a, LOG_CAP);
			uint32_t leaf = prog_threads(&c);
			if (k < 4)
				order[k] = leaf;
			k++;
			if (!choice_dfs_next(log_a, c.log_len, prefix, &prefix_len))
				break;
		} while (k < 10);
		CHECK_EQ_U(k, 4);
		CHECK_EQ_U(order[0], 0);
		CHECK_EQ_U(order[1], 1);
		CHECK_EQ_U(order[2], 2);
		CHECK_EQ_U(order[3], 4);
	}

	/* a forced choice is logged (flagged) so the run replays without the bound */
	{
		static const uint16_t pre[1] = { 1 };
		struct choice c;
		choice_init_dfs(&c, pre, 1, 1, log_a, LOG_CAP);
		CHECK_EQ_U(prog_threads(&c), 4); /* 100 */
		CHECK_EQ_U(c.preemptions, 1);
		CHECK_EQ_U(c.log_len, 3);
		CHECK_EQ_U(log_a[0].pad, 0);
		CHECK_EQ_U(log_a[1].pad, CHOICE_REC_FORCED);
		CHECK_EQ_U(log_a[2].pad, CHOICE_REC_FORCED);
		/* a trace file that drops the flag still replays */
		struct choice_rec rec[3];
		memcpy(rec, log_a, sizeof rec);
		rec[1].pad = rec[2].pad = 0;
		choice_init_replay(&c, rec, 3, log_b, LOG_CAP);
		CHECK_EQ_U(prog_threads(&c), 4);
		CHECK(!c.diverged);
		/* and replaying the live log gives the same log, flags included */
		choice_init_replay(&c, log_a, 3, log_b, LOG_CAP);
		CHECK_EQ_U(prog_threads(&c), 4);
		CHECK(!c.diverged);
		CHECK(memcmp(log_a, log_b, 3 * sizeof log_a[0]) == 0);
		uint16_t next[3];
		uint32_t next_len;
		CHECK(!choice_dfs_next(log_a, 3, next, &next_len)); /* 100 is the last leaf */
		CHECK_EQ_U(next_len, 0);
	}

	/* a prefix value out of range is clamped and flagged */
	{
		static const uint16_t pre[2] = { 5, 1 };
		struct choice c;
		choice_init_dfs(&c, pre, 2, UINT32_MAX, log_a, LOG_CAP);
		CHECK_EQ_U(choice_pick(&c, CK_F4_CLEANUP, 3), 2);
		CHECK(c.diverged);
		CHECK_EQ_U(choice_pick(&c, CK_F4_CLEANUP, 3), 1);
		CHECK_EQ_U(choice_pick(&c, CK_F4_CLEANUP, 3), 0);
	}

	/* empty log: nothing to explore */
	{
		uint16_t p[1];
		uint32_t pl = 7;
		CHECK(!choice_dfs_next(log_a, 0, p, &pl));
	}
}

/* ---- PCT ---- */

static uint32_t top_id(const struct choice *c, const uint8_t *ids, uint32_t n)
{
	uint32_t best = 0;
	for (uint32_t i = 1; i < n; i++)
		if (c->pct_prio[ids[i]] > c->pct_prio[ids[best]])
			best = i;
	return ids[best];
}

static void test_pct(void)
{
	/* depth 1: no change points; the highest-priority runnable always runs */
	for (uint64_t seed = 0; seed < 20; seed++) {
		struct choice c;
		choice_init_pct(&c, seed, 1, 100, log_a, LOG_CAP);
		uint8_t ids[4] = { 5, 1, 9, 3 };
		uint32_t first = ids[choice_thread(&c, ids, 4, true)];
		/* distinct initial priorities >= depth */
		for (int i = 0; i < 4; i++) {
			CHECK(c.pct_prio[ids[i]] >= 1);
			for (int j = 0; j < i; j++)
				CHECK(c.pct_prio[ids[i]] != c.pct_prio[ids[j]]);
		}
		CHECK_EQ_U(first, top_id(&c, ids, 4));
		int ok = 1;
		for (int step = 0; step < 50; step++) {
			/* rotate the order: the pick follows the id, not the index */
			uint8_t rot[4];
			for (int i = 0; i < 4; i++)
				rot[i] = ids[(i + step) % 4];
			ok &= rot[choice_thread(&c, rot, 4, step & 1)] == first;
		}
		CHECK(ok);
		/* once it is not runnable, the next-highest runs */
		uint8_t rest[3];
		uint32_t k = 0;
		for (int i = 0; i < 4; i++)
			if (ids[i] != first)
				rest[k++] = ids[i];
		uint32_t second = rest[choice_thread(&c, rest, 3, false)];
		CHECK(second != first);
		CHECK_EQ_U(second, top_id(&c, rest, 3));
		CHECK(!c.diverged);
	}

	/* the initial order is uniformly random: each of 3 threads is on top
	 * about a third of the time */
	{
		unsigned tops[3] = { 0, 0, 0 };
		static const uint8_t ids[3] = { 0, 1, 2 };
		for (uint64_t seed = 0; seed < 3000; seed++) {
			struct choice c;
			choice_init_pct(&c, seed, 1, 10, NULL, 0);
			tops[choice_thread(&c, ids, 3, false)]++;
		}
		for (int i = 0; i < 3; i++)
			CHECK(tops[i] > 850 && tops[i] < 1150);
	}

	/* depth 2: the running thread drops below the other at the change point */
	for (uint64_t seed = 0; seed < 20; seed++) {
		struct choice c;
		choice_init_pct(&c, seed, 2, 10, log_a, LOG_CAP);
		uint32_t k = c.pct_change[0];
		CHECK(k >= 1 && k <= 10);
		uint8_t cur = 0;
		uint8_t ids[2];
		uint8_t ran[12];
		for (uint32_t step = 1; step <= 12; step++) {
			/* nothing runs before the first scheduling point */
			ids[0] = cur;
			ids[1] = (uint8_t)(1 - cur);
			cur = ids[choice_thread(&c, ids, 2, step > 1)];
			ran[step - 1] = cur;
		}
		int ok = 1;
		for (uint32_t step = 1; step <= 12; step++)
			ok &= ran[step - 1] == (step < k ? ran[0] : ran[11]);
		CHECK(ok);
		if (k > 1)
			CHECK(ran[0] != ran[11]);
		CHECK_EQ_U(c.pct_prio[1 - ran[11]], 1); /* d - 1 */
		CHECK(c.pct_prio[ran[11]] >= 2);
		CHECK_EQ_U(c.thread_choices, 12);
	}

	/* change points: depth-1 of them, distinct, within [1, steps] */
	{
		struct choice c;
		choice_init_pct(&c, 77, CHOICE_PCT_DEPTH_MAX, CHOICE_PCT_DEPTH_MAX - 1, NULL, 0);
		for (uint32_t j = 0; j + 1 < CHOICE_PCT_DEPTH_MAX; j++) {
			CHECK(c.pct_change[j] >= 1 && c.pct_change[j] <= CHOICE_PCT_DEPTH_MAX - 1);
			for (uint32_t i = 0; i < j; i++)
				CHECK(c.pct_change[i] != c.pct_change[j]);
		}
		/* out-of-range depth is clamped */
		choice_init_pct(&c, 1, 100, 0, NULL, 0);
		CHECK_EQ_U(c.pct_depth, CHOICE_PCT_DEPTH_MAX);
		choice_init_pct(&c, 1, 0, 5, NULL, 0);
		CHECK_EQ_U(c.pct_depth, 1);
	}

	/* reproducible with a fixed seed, non-thread choices from the PRNG */
	{
		struct choice a, b;
		choice_init_pct(&a, 31337, 3, 40, log_a, LOG_CAP);
		choice_init_pct(&b, 31337, 3, 40, log_b, LOG_CAP);
		uint64_t ha = program(&a, 0), hb = program(&b, 0);
		CHECK_EQ_U(ha, hb);
		CHECK_EQ_U(a.log_len, b.log_len);
		CHECK(memcmp(log_a, log_b, a.log_len * sizeof log_a[0]) == 0);
		/* and a PCT run replays exactly */
		struct choice_rec rec[LOG_CAP];
		uint32_t n = a.log_len;
		memcpy(rec, log_a, n * sizeof rec[0]);
		choice_init_replay(&b, rec, n, log_b, LOG_CAP);
		CHECK_EQ_U(program(&b, 0), ha);
		CHECK(!b.diverged);
	}
}

static void test_names(void)
{
	static const char *const want[CK_KIND_COUNT] = {
		"thread", "f1", "f2", "f3", "f4", "f5", "f6", "pool", "module",
	};
	for (int k = 0; k < CK_KIND_COUNT; k++) {
		const char *name = choice_kind_name((enum choice_kind)k);
		CHECK(strcmp(name, want[k]) == 0);
		CHECK_EQ_U(choice_kind_parse(name), k);
	}
	CHECK(choice_kind_parse("") == -1);
	CHECK(choice_kind_parse("F1") == -1);
	CHECK(choice_kind_parse("threads") == -1);
	CHECK(choice_kind_parse(NULL) == -1);
	CHECK(choice_kind_name(CK_KIND_COUNT) != NULL);
}

int main(void)
{
	test_bytes();
	test_chance();
	test_prng();
	test_replay();
	test_dfs();
	test_pct();
	test_names();
	return check_exit();
}
