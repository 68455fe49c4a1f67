/* explore_race.c - EXPLORE_RACE (explore.h): greybox schedule search whose
 * feedback and mutations are about races, after RFF (Wolff et al., "Greybox
 * Fuzzing for Concurrency Testing", ASPLOS 2024), the backtracking of
 * dynamic partial-order reduction and partial order sampling (POS).
 *
 * Why not cover's mutation: a kept run changed at a uniformly random thread
 * choice mostly swaps two steps that touch nothing in common, which gives
 * the same partial order again (a wasted run). Here every run logs each
 * step's footprint (sched/por_log.h) and the run is read as a list of
 * races: steps i < j of different threads touching a common key with no
 * step between them touching it. Reversing one (at step i's pick, run j's
 * thread instead) is a new partial order by construction.
 *
 *  - feedback: the ordered race pairs (key bucket, first thread, second
 *    thread): "thread B touched X after thread A" is RFF's reads-from
 *    pair, abstracted by location and thread rather than by address. A
 *    run with a pair never seen is kept;
 *  - systematic reversals (session 9): a kept run's race points whose
 *    reversed pair was never seen go on a stack, one per pair, and every
 *    change takes the next of them while there is one: each race a kept
 *    run showed is reversed once, the newest kept run's first (most of the
 *    bugs here need one or two reversals, as CHESS's iterative context
 *    bounding found; a point whose reversed pair some other run showed in
 *    the meantime is dropped unrun). Without the stack (RACE_WITHOUT_QUEUE)
 *    0.27x random's runs instead of 0.22x (docs/FUZZING.md);
 *  - otherwise the change of a kept run picked by energy (the better of
 *    two drawn, by the new features its changes found per time it was
 *    changed): among a few of its race points drawn, one whose reversed
 *    pair was never seen first. A kept run without a race point gets
 *    cover's change (any choice to another option: faults and freedoms
 *    too). Then half the time the kept run's remaining choices follow
 *    (where they still fit);
 *  - fresh choices, of a fresh run (one in eight, and until a run was kept)
 *    or after a change's prefix, are POS's (choice_pos.c): random
 *    priorities per pending step, redrawn where footprints conflict, so a
 *    thread that took over after a reversal tends to run on, where swarm's
 *    walk switches back at once (RACE_WITHOUT_POS: swarm, 0.32x);
 *  - session 11: an empty stack is refilled with every race point of the
 *    newest kept run not swept yet, one per pair of that run, seen pairs
 *    too (RACE_WITHOUT_SWEEP): the stack's runs found bugs two to four
 *    times as often per run as the drawn ones, and the stack was empty
 *    for about half the runs; and the runs log the reduced search's finer
 *    footprints (POR_FINE_READS | POR_FINE_OBJECTS: reads apart from
 *    writes, kernel objects per object; RACE_WITHOUT_FINE), so the pairs,
 *    and the points a sweep pushes, are about the objects touched rather
 *    than whole module states. Neither alone gained on both held-out seed
 *    sets; together they did (docs/FUZZING.md, Session 11);
 *  - RACE_WITHOUT_ALL is session 7's search (swarm, no stack, a fresh run
 *    one time in four), run for run; RACE_WITHOUT_SESSION11 session 10's.
 *
 * Deterministic for a seed: its own PRNG, state reset at explore start. */
#include "run/explore.h"

#include <stdlib.h>
#include <string.h>
static uint32_t rx_exp; /* EXPERIMENT (race4): RX_EXP bits */
#define RX_SITE_BITS (1u << 22)
static uint8_t rx_spairs[RX_SITE_BITS / 8]; /* site pairs seen */
static uint16_t rx_left[CHOICE_THREADS_MAX], rx_last[CHOICE_THREADS_MAX];
static bool rx_have_last, rx_again;
static uint8_t rx_racy[8192]; /* per step of the last scan: in a race pair */

#define RX_KEPT_MAX 512        /* runs kept */
#define RX_CHOICES_MAX 1024    /* choices kept per run */
#define RX_POINTS_MAX 96       /* race points kept per run */
#define RX_THREADS 32          /* thread ids the pair features tell apart (por_log: bit per id) */
#define RX_PAIRS (POR_XBUCKETS * RX_THREADS * RX_THREADS)

static uint8_t rx_tries[RX_PAIRS]; /* per thread pair: reversals run */

struct race_point {
	uint32_t pos;      /* choice-log index of the earlier step's pick */
	uint16_t value;    /* the option there that runs the later step's thread */
	uint16_t bucket;   /* the key bucket they race on */
	uint8_t first, second; /* threads of the earlier and the later step */
	uint32_t sfirst, ssecond; /* their code sites */
};

struct race_run {
	uint16_t values[RX_CHOICES_MAX];
	uint16_t options[RX_CHOICES_MAX];
	uint32_t len;
	struct race_point points[RX_POINTS_MAX];
	uint32_t npoints;
	uint32_t picked;   /* times it was changed */
	uint32_t gains;    /* of them, the changes that were kept */
	uint32_t gen;      /* bumped when the slot takes another run (the stack's entries of the old one lapse) */
	bool swept;        /* its points were all pushed once to refill the stack */
	bool sswept;
	uint8_t thr[RX_CHOICES_MAX]; /* the thread each thread choice picked, 0xff: none */
};

#define RX_TODO_MAX 4096       /* race points waiting for their reversal */

/* A race point of a kept run, waiting to be reversed. */
struct race_todo {
	uint32_t run, gen; /* the kept run's slot and its gen when pushed */
	uint32_t point;    /* index into its points */
	bool again;        /* pushed by a sweep: run even when its reversed pair was seen since */
	bool site;         /* EXPERIMENT: novelty by site pair */
};

static struct {
	uint8_t pairs[RX_PAIRS / 8];       /* race pairs seen (bit each) */
	uint16_t last_step[POR_XBUCKETS];     /* per bucket: 1 + the last step touching it, 0: none */
	struct race_run kept[RX_KEPT_MAX];
	uint32_t nkept;
	uint32_t gens;                       /* gen of the last run kept */
	uint32_t parent;                     /* the kept run this run changed, UINT32_MAX: fresh */
	uint64_t prng[4];
	uint16_t prefix[RX_CHOICES_MAX];
	struct race_todo todo[RX_TODO_MAX];  /* a stack: the newest kept run's points first */
	uint32_t ntodo;
	bool no_race;                        /* ablation: every change is cover's */
	uint32_t without;                    /* enum race_without: parts off (measurements, tests) */
} rc;

static uint32_t race_below(uint32_t n)
{
	return explore_below(rc.prng, n);
}

static uint32_t pair_index(uint32_t bucket, uint32_t first, uint32_t second)
{
	return (bucket * RX_THREADS + first) * RX_THREADS + second;
}

static uint32_t spair_index(uint32_t bucket, uint32_t sa, uint32_t sb, uint32_t ta, uint32_t tb)
{
	uint64_t h = ((uint64_t)sa * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)sb * 0xc2b2ae3d27d4eb4full) ^ bucket;
	if (rx_exp & 4)
		h ^= ((uint64_t)ta << 40 | (uint64_t)tb << 48) * 0x165667b19e3779f9ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h & (RX_SITE_BITS - 1u);
}
static bool spair_seen(uint32_t i)
{
	return rx_spairs[i >> 3] >> (i & 7) & 1u;
}
static uint32_t rev_spair(const struct race_point *p)
{
	return spair_index(p->bucket, p->ssecond, p->sfirst, p->second, p->first);
}
static bool pair_seen(uint32_t i)
{
	return rc.pairs[i >> 3] >> (i & 7) & 1u;
}

/* The pair a reversal of p would show: the later thread first on the key. */
static uint32_t reversed_pair(const struct race_point *p)
{
	return pair_index(p->bucket, p->second, p->first);
}
static bool rev_seen(const struct race_point *p)
{
	if (rx_exp & 1)
		return spair_seen(rev_spair(p));
	return pair_seen(reversed_pair(p));
}
static bool same_pair(const struct race_point *a, const struct race_point *b)
{
	if (rx_exp & 1)
		return rev_spair(a) == rev_spair(b);
	return a->bucket == b->bucket && a->first == b->first && a->second == b->second;
}

void explore_race_start(uint64_t seed, bool no_race, uint32_t without)
{
	memset(rc.pairs, 0, sizeof rc.pairs);
	memset(rx_spairs, 0, sizeof rx_spairs);
	rx_exp = getenv("RX_EXP") ? (uint32_t)strtoul(getenv("RX_EXP"), NULL, 0) : 0;
	por_x_line = getenv("RX_LINE") ? (unsigned)strtoul(getenv("RX_LINE"), NULL, 0) : 0;
	rx_have_last = false;
	memset(rx_tries, 0, sizeof rx_tries);
	rc.nkept = 0;
	rc.ntodo = 0;
	rc.no_race = no_race;
	rc.without = without;
	uint64_t sm = seed ^ 0x72616365ull; /* "race": apart from the runs' own seeds */
	for (int i = 0; i < 4; i++)
		rc.prng[i] = choice_splitmix64(&sm);
}

/* The kept run to change: the better of two drawn, by kept changes per
 * change (plus one each, so an untried run competes). */
static uint32_t pick_parent(void)
{
	uint32_t a = race_below(rc.nkept), b = race_below(rc.nkept);
	const struct race_run *x = &rc.kept[a], *y = &rc.kept[b];
	uint64_t sx = (uint64_t)(x->gains + 1) * (y->picked + 1), sy = (uint64_t)(y->gains + 1) * (x->picked + 1);
	return sx >= sy ? a : b;
}

/* A race point of k: among up to four drawn, the first whose reversed
 * pair (the later thread first on the same key) was never seen. */
static const struct race_point *pick_point(const struct race_run *k)
{
	const struct race_point *p = NULL;
	for (int tries = 0; tries < 4; tries++) {
		p = &k->points[race_below(k->npoints)];
		if (!rev_seen(p))
			break;
	}
	return p;
}

/* The next race point on the stack still worth a run (its kept run still
 * there, its reversed pair still unseen); sets rc.parent. NULL: none. */
static const struct race_point *pop_todo(void)
{
	while (rc.ntodo) {
		struct race_todo t = rc.todo[--rc.ntodo];
		const struct race_run *k = &rc.kept[t.run];
		if (k->gen != t.gen)
			continue;
		const struct race_point *p = &k->points[t.point];
		if (t.site ? spair_seen(rev_spair(p)) : !t.again && rev_seen(p))
			continue;
		rc.parent = t.run;
		rx_again = t.again;
		return p;
	}
	return NULL;
}

/* Push the race points of kept run `run` whose reversed pair was never
 * seen (a sweep: every one), one per pair (its earliest point). Pushed
 * latest first, so the earliest is reversed first. A full stack drops its
 * oldest entries. */
static void push_pass(uint32_t run, bool again, bool site, int tries)
{
	const struct race_run *k = &rc.kept[run];
	for (uint32_t i = k->npoints; i-- > 0;) {
		const struct race_point *p = &k->points[i];
		if (tries >= 0 && rx_tries[reversed_pair(p)] != tries)
			continue;
		if (site ? spair_seen(rev_spair(p)) : !again && rev_seen(p))
			continue;
		bool earlier = false;
		for (uint32_t j = 0; j < i && !earlier; j++)
			earlier = site ? rev_spair(&k->points[j]) == rev_spair(p) : same_pair(&k->points[j], p);
		if (earlier)
			continue;
		if (rc.ntodo == RX_TODO_MAX) {
			memmove(rc.todo, rc.todo + RX_TODO_MAX / 2, sizeof rc.todo / 2);
			rc.ntodo = RX_TODO_MAX / 2;
		}
		rc.todo[rc.ntodo++] = (struct race_todo){ .run = run, .gen = k->gen, .point = i, .again = again, .site = site };
	}
}
static void push_todo(uint32_t run, bool again)
{
	const struct race_run *k = &rc.kept[run];
	bool site = again && (rx_exp & 16) && !k->sswept;
	if (site)
		again = false;
	if (again && (rx_exp & 256)) {
		uint32_t before = rc.ntodo;
		push_pass(run, again, site, 0);
		if (rc.ntodo != before)
			return;
	}
	if (rx_exp & 128) {
		int top = 0;
		for (uint32_t i = 0; i < k->npoints; i++)
			if (rx_tries[reversed_pair(&k->points[i])] > top)
				top = rx_tries[reversed_pair(&k->points[i])];
		for (int c = top; c >= 0; c--)
			push_pass(run, again, site, c);
		return;
	}
	push_pass(run, again, site, -1);
}

/* Refill an empty stack: every race point of the newest kept run not swept
 * yet (the stack's order, where the drawn changes pick a run by energy and
 * a point at random). False: every kept run was swept. */
static bool sweep_newest(void)
{
	if (rx_exp & (8 | 16)) {
		/* the newest kept runs first: their points whose reversed site pair was never seen */
		for (;;) {
			uint32_t nb = UINT32_MAX;
			for (uint32_t i = 0; i < rc.nkept; i++)
				if (!rc.kept[i].sswept && rc.kept[i].npoints && (nb == UINT32_MAX || rc.kept[i].gen > rc.kept[nb].gen))
					nb = i;
			if (nb == UINT32_MAX)
				break;
			uint32_t before = rc.ntodo;
			push_todo(nb, (rx_exp & 16) != 0);
			rc.kept[nb].sswept = true;
			if (rc.ntodo != before)
				return true;
		}
	}
	uint32_t best = UINT32_MAX;
	for (uint32_t i = 0; i < rc.nkept; i++)
		if (!rc.kept[i].swept && rc.kept[i].npoints && (best == UINT32_MAX || rc.kept[i].gen > rc.kept[best].gen))
			best = i;
	if (best == UINT32_MAX)
		return false;
	rc.kept[best].swept = true;
	push_todo(best, true);
	return true;
}

struct run_source explore_race_source(uint64_t seed)
{
	bool pos = !(rc.without & RACE_WITHOUT_POS);
	struct run_source src = { .kind = pos ? SOURCE_POS : SOURCE_SWARM, .seed = seed, .por = true };
	if (!(rc.without & RACE_WITHOUT_FINE))
		src.por_fine = POR_FINE_READS | POR_FINE_OBJECTS;
	rc.parent = UINT32_MAX;
	rx_again = false;
	if (rc.nkept == 0 || race_below(rc.without & RACE_WITHOUT_RARE_FRESH || (rx_exp & 512) ? 4 : 8) == 0) {
		if ((rx_exp & 64) && rx_have_last) {
			memcpy(rx_left, rx_last, sizeof rx_left);
			src.urw_left = rx_left;
		}
		return src;
	}
	bool stack = !(rc.without & RACE_WITHOUT_QUEUE) && !rc.no_race;
	const struct race_point *p = stack ? pop_todo() : NULL;
	if (!p && stack && !(rc.without & RACE_WITHOUT_SWEEP) && sweep_newest())
		p = pop_todo();
	if (!p)
		rc.parent = pick_parent();
	struct race_run *k = &rc.kept[rc.parent];
	k->picked++;
	if (k->len == 0)
		return src;
	uint32_t cut;
	if (!rc.no_race && k->npoints) {
		/* Reverse a race: replay up to the earlier step's pick and run
		 * the later step's thread there. */
		if (!p)
			p = pick_point(k);
		cut = p->pos;
		if (rx_tries[reversed_pair(p)] < 255)
			rx_tries[reversed_pair(p)]++;
		memcpy(rc.prefix, k->values, sizeof(uint16_t) * cut);
		rc.prefix[cut] = p->value;
	} else {
		cut = explore_change_any(rc.prng, k->values, k->options, k->len, rc.prefix);
	}
	uint32_t len = explore_change_tail(rc.prng, k->values, k->len, cut, rc.prefix);
	if ((rx_exp & 32) && len == cut + 1 && (!(rx_exp & 4096) || rx_again)) {
		memset(rx_left, 0, sizeof rx_left);
		for (uint32_t i = cut + 1; i < k->len; i++)
			if (k->thr[i] < CHOICE_THREADS_MAX && rx_left[k->thr[i]] < UINT16_MAX)
				rx_left[k->thr[i]]++;
		src.urw_left = rx_left;
	}
	src.prefix = rc.prefix;
	src.prefix_len = len;
	return src;
}

/* The option of thread t at step s's pick (the scheduler's order: the
 * running thread first when it could go on, then the others by id). */
static uint16_t option_of(const struct por_step *s, uint8_t t)
{
	uint32_t below = s->options & ((1u << t) - 1u);
	if (s->first != 0xffu) {
		if (t == s->first)
			return 0;
		return (uint16_t)(1 + __builtin_popcount(below & ~(1u << s->first)));
	}
	return (uint16_t)__builtin_popcount(below);
}

/* Keep point p in k: a sample of every race point of the run (reservoir),
 * one per pair of steps (a pair racing on several keys counts once). */
static void keep_point(struct race_run *k, uint32_t *seen, struct race_point p)
{
	for (uint32_t i = 0; i < k->npoints; i++)
		if (k->points[i].pos == p.pos && k->points[i].value == p.value)
			return;
	uint32_t m = (*seen)++;
	if (k->npoints < RX_POINTS_MAX)
		k->points[k->npoints++] = p;
	else if ((m = race_below(m + 1)) < RX_POINTS_MAX)
		k->points[m] = p;
}

/* Walk the step log: note each race pair (new ones make the run worth
 * keeping) and, into k when it is given, the race points a change could
 * reverse. Returns whether a pair was new. */
static bool scan_races(const struct sched_por *por, struct race_run *k)
{
	bool fresh = false;
	uint32_t seen_points = 0;
	memset(rx_racy, 0, por->n < 8192 ? por->n : 8192);
	memset(rc.last_step, 0, sizeof rc.last_step);
	uint64_t ignore[POR_XWORDS] = { 0 };
	/* The keys every step of a kind touches tell no two steps apart
	 * (por_log_sample): the same buckets are left out here. */
	int words = POR_WORDS;
	if (por_x_line) {
		static const uint32_t common[] = { POR_KEY(POR_DRVCODE, 0), POR_KEY(POR_NMR, 0), POR_KEY(POR_IDS, 0),
						   POR_KEY(POR_IDS, 1) };
		for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
			uint32_t b = por_xbucket(common[i]);
			ignore[b >> 6] |= 1ull << (b & 63);
		}
		words = POR_XWORDS;
	} else {
		struct sched_por probe = { 0 };
		por_log_sample(&probe);
		memcpy(ignore, probe.ignore, sizeof probe.ignore);
	}
	for (uint32_t j = 0; j < por->n; j++) {
		const struct por_step *s = &por->steps[j];
		if (s->thread >= RX_THREADS)
			continue;
		const uint64_t *sfp = por_x_line ? s->xfp : s->fp;
		for (int w = 0; w < words; w++) {
			for (uint64_t bits = sfp[w] & ~ignore[w]; bits; bits &= bits - 1) {
				uint32_t b = (uint32_t)w * 64 + (uint32_t)__builtin_ctzll(bits);
				uint32_t prev = rc.last_step[b];
				rc.last_step[b] = (uint16_t)(j + 1 < 0xffff ? j + 1 : 0xffff);
				if (prev == 0 || prev - 1 >= por->n)
					continue;
				const struct por_step *e = &por->steps[prev - 1];
				if (e->thread == s->thread || e->thread >= RX_THREADS)
					continue;
				if (j < 8192)
					rx_racy[j] = rx_racy[prev - 1] = 1;
				uint32_t pi = pair_index(b, e->thread, s->thread);
				if (!pair_seen(pi)) {
					rc.pairs[pi >> 3] |= (uint8_t)(1u << (pi & 7));
					fresh = true;
				}
				uint32_t si = spair_index(b, e->site, s->site, e->thread, s->thread);
				if (!spair_seen(si)) {
					rx_spairs[si >> 3] |= (uint8_t)(1u << (si & 7));
					if (rx_exp & 2)
						fresh = true;
				}
				/* Reversible at e's pick when s's thread could run there. */
				if (k && e->pos != POR_NO_CHOICE && e->pos < k->len && (e->options >> s->thread & 1u))
					keep_point(k, &seen_points, (struct race_point){ .pos = e->pos,
						.value = option_of(e, s->thread), .bucket = (uint16_t)b,
						.first = e->thread, .second = s->thread, .sfirst = e->site, .ssecond = s->site });
			}
		}
	}
	return fresh;
}

void explore_race_learn(const struct run_result *res)
{
	/* A run without a whole step log (a crash, an overflow) teaches nothing. */
	const struct sched_por *por = res->por && !res->por->overflow ? res->por : NULL;
	bool isnew = por && res->nchoices && scan_races(por, NULL);
	if (por && (rx_exp & 64)) {
		memset(rx_last, 0, sizeof rx_last);
		for (uint32_t j = 0; j < por->n; j++)
			if (por->steps[j].pos != POR_NO_CHOICE && por->steps[j].thread < CHOICE_THREADS_MAX &&
			    rx_last[por->steps[j].thread] < UINT16_MAX && (!(rx_exp & 2048) || (j < 8192 && rx_racy[j])))
				rx_last[por->steps[j].thread]++;
		rx_have_last = true;
	}
	if (!isnew)
		return;
	if (rc.parent != UINT32_MAX)
		rc.kept[rc.parent].gains++;
	uint32_t slot = rc.nkept < RX_KEPT_MAX ? rc.nkept++ : race_below(RX_KEPT_MAX);
	struct race_run *k = &rc.kept[slot];
	k->gen = ++rc.gens;
	k->len = res->nchoices < RX_CHOICES_MAX ? res->nchoices : RX_CHOICES_MAX;
	for (uint32_t i = 0; i < k->len; i++) {
		k->values[i] = res->choices[i].value;
		k->options[i] = res->choices[i].n;
	}
	k->npoints = 0;
	k->swept = false;
	k->sswept = false;
	memset(k->thr, 0xff, sizeof k->thr);
	for (uint32_t j = 0; j < por->n; j++)
		if (por->steps[j].pos != POR_NO_CHOICE && por->steps[j].pos < k->len &&
		    (!(rx_exp & 2048) || (j < 8192 && rx_racy[j])))
			k->thr[por->steps[j].pos] = por->steps[j].thread;
	k->picked = k->gains = 0;
	scan_races(por, k); /* the pairs are booked: this pass collects the race points */
	if (!(rc.without & RACE_WITHOUT_QUEUE) && !rc.no_race)
		push_todo(slot, false);
}
