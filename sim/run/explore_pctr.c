/* explore_pctr.c - EXPLORE_PCTR (explore.h): partial order sampling with
 * holds at racing steps, a probabilistic search focused on the steps that
 * conflict (session 11; docs/FUZZING.md has its figures: it did not beat
 * `race`, and its holds gain little).
 *
 * Why: PCT draws its priority change points among all of a run's steps, so
 * a bug of depth d is hit with a chance of about 1/k^(d-1) for k steps;
 * most steps touch nothing another thread touches, and a change there is
 * wasted (docs/FUZZING.md: PCT on the racy benchmark, 14x random's runs).
 * PCT over partial orders and PCTWM (Gao et al., "Probabilistic Concurrency
 * Testing for Weak Memory Programs", ASPLOS 2023) count only the steps
 * that race; Fray (OOPSLA 2025) and Coyote's strategies delay threads at
 * such points. Here:
 *
 *  - every run logs its steps' footprints (sched/por_log.h, POS's keys);
 *    a step e whose next touch of one of its keys is another thread's
 *    step s, where s's thread could have run at e's pick, is a racing
 *    step. It is learnt as (thread, index among that thread's steps), not
 *    by its index in the run: a thread's own steps keep their order when
 *    the others' move;
 *  - a hold (core/choice.h, choice_hold) of a racing step: when its thread
 *    is pending at that step, it is passed over while s's thread runs its
 *    next 1, 2 or 4 steps (taking every choice it can), so the order of
 *    the race is reversed and stays reversed until s's racing step ran;
 *  - one run in four is plain POS; of the others, half replay a kept run
 *    (one that showed an order of two threads on a key first) up to one of
 *    its racing steps (of up to four drawn, the first whose reversed order
 *    was never seen) and hold it there (PCTR_WITHOUT_REPLAY: none do), the
 *    rest are POS with one or two holds drawn among every racing step learnt
 *    (a racing step is held with a chance of about 1/k for k racing steps,
 *    not k steps in all), each for 1 to 32 choices at most;
 *  - fresh choices are POS's (choice_pos.c), faults and freedoms the PRNG's.
 *
 * Deterministic for a seed: its own PRNG, state reset at explore start;
 * fixed capacities, nothing allocated. */
#include "run/explore.h"

#include <string.h>

#define PR_THREADS 32          /* thread ids told apart (por_log: bit per id) */
#define PR_STEPS 512           /* steps per thread whose raciness is kept */
#define PR_RACY_MAX 4096       /* racing steps kept for drawing */
#define PCTR_PLAIN 4           /* one run in PCTR_PLAIN holds nothing (16, with 1..3 holds: worse) */
#define PCTR_HOLDS 2           /* holds a fresh run: 1..PCTR_HOLDS */

struct racy_step {
	uint16_t steps;   /* the thread's steps before it */
	uint16_t bucket;  /* the key bucket of the race it was learnt from */
	uint8_t thread;
	uint8_t other;    /* the thread whose step followed it on the key */
};

#define PR_ORDERS (POR_BUCKETS * PR_THREADS * PR_THREADS)
#define PR_KEPT_MAX 128        /* runs kept to replay up to a race */
#define PR_CHOICES_MAX 1024    /* choices kept per run */
#define PR_POINTS_MAX 64       /* racing steps kept per run */

/* A racing step of a kept run: where its pick is in the choice log. */
struct race_cut {
	uint32_t pos;
	struct racy_step step;
};

struct kept_run {
	uint16_t values[PR_CHOICES_MAX];
	uint32_t len;
	struct race_cut cuts[PR_POINTS_MAX];
	uint32_t ncuts;
};

static struct {
	uint8_t known[PR_THREADS][PR_STEPS / 8];  /* racing steps seen (bit each) */
	struct racy_step racy[PR_RACY_MAX];       /* the same, in the order learnt: drawn from */
	uint32_t nracy;
	uint64_t prng[4];
	struct choice_hold holds[CHOICE_HOLDS_MAX];
	uint16_t last[POR_BUCKETS];               /* per bucket: 1 + the last step touching it, 0: none */
	uint16_t local[RUN_POR_STEPS];            /* per step of the run: its thread's steps before it */
	uint8_t orders[PR_ORDERS / 8];            /* (bucket, thread, then other thread) seen (bit each) */
	struct kept_run kept[PR_KEPT_MAX];        /* runs that showed an order first */
	uint32_t nkept;
	struct kept_run scratch;                  /* this run's cuts while it is scanned */
	uint32_t cuts_seen;                       /* racing steps of this run (reservoir count) */
	uint16_t prefix[PR_CHOICES_MAX];
	uint32_t without;                         /* ablations (enum pctr_without) */
} pr;

static uint32_t order_bit(uint32_t bucket, uint32_t first, uint32_t then)
{
	return (bucket * PR_THREADS + first) * PR_THREADS + then;
}

static bool order_seen(uint32_t bucket, uint32_t first, uint32_t then)
{
	uint32_t i = order_bit(bucket, first, then);
	return pr.orders[i >> 3] >> (i & 7) & 1u;
}

static uint32_t pctr_below(uint32_t n)
{
	return explore_below(pr.prng, n);
}

void explore_pctr_start(uint64_t seed, uint32_t without)
{
	memset(pr.known, 0, sizeof pr.known);
	memset(pr.orders, 0, sizeof pr.orders);
	pr.nracy = 0;
	pr.nkept = 0;
	pr.without = without;
	uint64_t sm = seed ^ 0x70637472ull; /* "pctr": apart from the runs' own seeds */
	for (int i = 0; i < 4; i++)
		pr.prng[i] = choice_splitmix64(&sm);
}

/* A hold's length: 1, 2, 4, 8, 16 or 32 choices. Bounded: a thread held
 * until it is the only one left starves a thread that spins on it. */
static uint16_t hold_len(void)
{
	return (uint16_t)(1u << pctr_below(6));
}

/* A racing step to hold: of up to four drawn, the first whose hold could
 * show an order not seen yet (the other thread first on the key). */
static struct racy_step draw_racy(void)
{
	struct racy_step r = pr.racy[pctr_below(pr.nracy)];
	for (int tries = 1; tries < 4 && order_seen(r.bucket, r.other, r.thread); tries++)
		r = pr.racy[pctr_below(pr.nracy)];
	return r;
}

/* The hold of racing step r. */
static struct choice_hold hold_of(struct racy_step r, uint16_t len)
{
	return (struct choice_hold){ .thread = r.thread, .steps = r.steps, .len = len,
				     .other = pr.without & PCTR_WITHOUT_OTHER ? 0xff : r.other,
				     .other_steps = (uint8_t)(1u << pctr_below(3)) };
}

/* Replay a kept run up to one of its racing steps (of up to four drawn, the
 * first whose reversed order was never seen) and hold that step there. */
static struct run_source replay_cut(struct run_source src)
{
	const struct kept_run *k = &pr.kept[pctr_below(pr.nkept)];
	if (k->ncuts == 0)
		return src;
	const struct race_cut *c = &k->cuts[pctr_below(k->ncuts)];
	for (int tries = 1; tries < 4 && order_seen(c->step.bucket, c->step.other, c->step.thread); tries++)
		c = &k->cuts[pctr_below(k->ncuts)];
	memcpy(pr.prefix, k->values, sizeof(uint16_t) * c->pos);
	pr.holds[0] = hold_of(c->step, 64);
	src.prefix = pr.prefix;
	src.prefix_len = c->pos;
	src.holds = pr.holds;
	src.nholds = pr.without & PCTR_WITHOUT_HOLDS ? 0 : 1;
	return src;
}

struct run_source explore_pctr_source(uint64_t seed)
{
	struct run_source src = { .kind = SOURCE_POS, .seed = seed, .por = true };
	if (pr.nracy == 0 || pctr_below(PCTR_PLAIN) == 0)
		return src;
	if (pr.nkept && !(pr.without & PCTR_WITHOUT_REPLAY) && pctr_below(2) == 0)
		return replay_cut(src);
	uint32_t n = 1 + pctr_below(PCTR_HOLDS);
	for (uint32_t h = 0; h < n; h++) {
		struct racy_step r = draw_racy();
		pr.holds[h] = hold_of(r, hold_len());
	}
	src.holds = pr.holds;
	src.nholds = pr.without & PCTR_WITHOUT_HOLDS ? 0 : n; /* ablation: the draws made, no hold */
	return src;
}

/* Note racing step r of this run, its pick at choice pos (a sample of
 * them, reservoir), for the run's cuts if it is kept. */
static void note_cut(uint32_t pos, struct racy_step r)
{
	if (pos >= PR_CHOICES_MAX)
		return;
	struct kept_run *k = &pr.scratch;
	for (uint32_t i = 0; i < k->ncuts; i++)
		if (k->cuts[i].pos == pos && k->cuts[i].step.other == r.other)
			return;
	uint32_t m = pr.cuts_seen++;
	if (k->ncuts < PR_POINTS_MAX)
		k->cuts[k->ncuts++] = (struct race_cut){ .pos = pos, .step = r };
	else if ((m = pctr_below(m + 1)) < PR_POINTS_MAX)
		k->cuts[m] = (struct race_cut){ .pos = pos, .step = r };
}

static void learn_racy(uint8_t thread, uint16_t steps, uint32_t bucket, uint8_t other)
{
	if (thread >= PR_THREADS || steps >= PR_STEPS)
		return;
	uint8_t *k = &pr.known[thread][steps >> 3];
	if (*k >> (steps & 7) & 1u)
		return;
	*k |= (uint8_t)(1u << (steps & 7));
	struct racy_step r = { .thread = thread, .steps = steps, .bucket = (uint16_t)bucket, .other = other };
	if (pr.nracy < PR_RACY_MAX)
		pr.racy[pr.nracy++] = r;
	else
		pr.racy[pctr_below(PR_RACY_MAX)] = r;
}

/* Each step's index among its thread's steps (as the scheduler counts
 * them for the holds). */
static void number_steps(const struct sched_por *por)
{
	uint16_t count[PR_THREADS] = { 0 };
	for (uint32_t j = 0; j < por->n; j++) {
		uint8_t t = por->steps[j].thread;
		pr.local[j] = UINT16_MAX;
		if (t >= PR_THREADS || count[t] == UINT16_MAX)
			continue;
		pr.local[j] = count[t]++;
	}
}

void explore_pctr_learn(const struct run_result *res)
{
	const struct sched_por *por = res->por;
	if (!por || por->overflow || por->n > RUN_POR_STEPS)
		return;
	number_steps(por);
	bool fresh = false;
	pr.scratch.ncuts = 0;
	pr.cuts_seen = 0;
	/* The keys every step of a kind touches make no race (as POS's conflicts). */
	struct sched_por probe = { 0 };
	por_log_sample(&probe);
	memset(pr.last, 0, sizeof pr.last);
	for (uint32_t j = 0; j < por->n; j++) {
		const struct por_step *s = &por->steps[j];
		for (int w = 0; w < POR_WORDS; w++) {
			uint64_t bits = s->fp[w] & ~probe.ignore[w];
			for (; bits; bits &= bits - 1) {
				uint32_t b = (uint32_t)w * 64 + (uint32_t)__builtin_ctzll(bits);
				uint32_t prev = pr.last[b];
				pr.last[b] = (uint16_t)(j + 1);
				if (prev == 0)
					continue;
				const struct por_step *e = &por->steps[prev - 1];
				/* e raced with s when s's thread could have gone first at e's pick. */
				if (e->thread == s->thread || e->thread >= PR_THREADS || s->thread >= PR_THREADS)
					continue;
				uint32_t o = order_bit(b, e->thread, s->thread);
				fresh |= !(pr.orders[o >> 3] >> (o & 7) & 1u);
				pr.orders[o >> 3] |= (uint8_t)(1u << (o & 7));
				if (e->pos == POR_NO_CHOICE || !(e->options >> s->thread & 1u))
					continue;
				learn_racy(e->thread, pr.local[prev - 1], b, s->thread);
				note_cut(e->pos, (struct racy_step){ .thread = e->thread, .steps = pr.local[prev - 1],
								     .bucket = (uint16_t)b, .other = s->thread });
			}
		}
	}
	/* Kept when it showed an order first: its racing steps are cuts to replay to. */
	if (!fresh || res->nchoices == 0 || pr.scratch.ncuts == 0)
		return;
	struct kept_run *k = &pr.kept[pr.nkept < PR_KEPT_MAX ? pr.nkept++ : pctr_below(PR_KEPT_MAX)];
	k->len = res->nchoices < PR_CHOICES_MAX ? res->nchoices : PR_CHOICES_MAX;
	for (uint32_t i = 0; i < k->len; i++)
		k->values[i] = res->choices[i].value;
	k->ncuts = 0;
	for (uint32_t i = 0; i < pr.scratch.ncuts; i++)
		if (pr.scratch.cuts[i].pos < k->len)
			k->cuts[k->ncuts++] = pr.scratch.cuts[i];
}
