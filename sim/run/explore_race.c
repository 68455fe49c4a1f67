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
 *  - session 14 (three parts, each gaining little alone, together 17, 16,
 *    17 on three held-out seed sets against 20, 19, 20, and 15 against 18
 *    on the judged seeds; docs/FUZZING.md): the pairs are read from the
 *    exact footprints (por_log.h: struct por_exact, 8192 buckets; driver
 *    memory lines apart from the kernel objects on them), not POS's 256
 *    buckets, where unrelated keys share a bucket (RACE_WITHOUT_EXACT);
 *    novelty (RACE_WITHOUT_NOVELTY): a kept run's points are pushed least
 *    reversed pair first (reversals run per pair, over the search), and a
 *    sweep pushes only the pairs never reversed when there are any; and a
 *    uniform random walk for fresh runs and fresh tails (choice.h:
 *    pos_urw; RACE_WITHOUT_URW): a thread with probability proportional
 *    to its picks left, counted from the last run (fresh runs) or the kept
 *    run's picks after the cut (tails);
 *  - RACE_WITHOUT_ALL is session 7's search (swarm, no stack, a fresh run
 *    one time in four), run for run; RACE_WITHOUT_SESSION11 session 10's.
 *
 * Deterministic for a seed: its own PRNG, state reset at explore start. */
#include "run/explore.h"

#include <string.h>

#define RX_KEPT_MAX 512        /* runs kept */
#define RX_CHOICES_MAX 1024    /* choices kept per run */
#define RX_POINTS_MAX 96       /* race points kept per run */
#define RX_THREADS 32          /* thread ids the pair features tell apart (por_log: bit per id) */
#define RX_BUCKETS POR_EXACT_BUCKETS /* the exact footprints' (POR_BUCKETS without them) */
#define RX_PAIRS (RX_BUCKETS * RX_THREADS * RX_THREADS)

struct race_point {
	uint32_t pos;      /* choice-log index of the earlier step's pick */
	uint16_t value;    /* the option there that runs the later step's thread */
	uint16_t bucket;   /* the key bucket they race on */
	uint8_t first, second; /* threads of the earlier and the later step */
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
	uint8_t thread[RX_CHOICES_MAX]; /* the thread each thread choice picked, 0xff: none (URW tails) */
};

#define RX_DIRTY_MAX 65536     /* pair entries a search may write before the next clears all */
#define RX_TODO_MAX 4096       /* race points waiting for their reversal */

/* A race point of a kept run, waiting to be reversed. */
struct race_todo {
	uint32_t run, gen; /* the kept run's slot and its gen when pushed */
	uint32_t point;    /* index into its points */
	bool again;        /* pushed by a sweep: run even when its reversed pair was seen since */
};

static struct {
	uint8_t pairs[RX_PAIRS / 8];       /* race pairs seen (bit each) */
	uint8_t tries[RX_PAIRS];             /* per pair: reversals run that would show it (saturates) */
	uint16_t last_step[RX_BUCKETS];      /* per bucket: 1 + the last step touching it, 0: none */
	uint16_t urw_left[CHOICE_THREADS_MAX]; /* the walk's picks left per thread (run_source.urw_left) */
	uint16_t last_picks[CHOICE_THREADS_MAX]; /* thread choices each thread took in the last run */
	bool have_last;                      /* last_picks holds a run's */
	struct race_run kept[RX_KEPT_MAX];
	uint32_t nkept;
	uint32_t gens;                       /* gen of the last run kept */
	uint32_t parent;                     /* the kept run this run changed, UINT32_MAX: fresh */
	uint64_t prng[4];
	uint16_t prefix[RX_CHOICES_MAX];
	struct race_todo todo[RX_TODO_MAX];  /* a stack: the newest kept run's points first */
	uint32_t ntodo;
	/* The pair indices a search wrote (pairs' and tries' entries), so the
	 * next search clears those, not 9 MB: a measurement makes a search per
	 * case and seed (racy-race's cost was the clearing). */
	uint32_t dirty[RX_DIRTY_MAX];
	uint32_t ndirty;                     /* RX_DIRTY_MAX + 1: overflowed, clear all */
	bool no_race;                        /* ablation: every change is cover's */
	uint32_t without;                    /* enum race_without: parts off (measurements, tests) */
} rc;

static void pair_dirty(uint32_t i)
{
	if (rc.ndirty < RX_DIRTY_MAX)
		rc.dirty[rc.ndirty] = i;
	if (rc.ndirty <= RX_DIRTY_MAX)
		rc.ndirty++;
}

static uint32_t race_below(uint32_t n)
{
	return explore_below(rc.prng, n);
}

static uint32_t pair_index(uint32_t bucket, uint32_t first, uint32_t second)
{
	return (bucket * RX_THREADS + first) * RX_THREADS + second;
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

void explore_race_start(uint64_t seed, bool no_race, uint32_t without)
{
	/* 9 MB: only the entries the last search wrote are cleared (a
	 * measurement's child process starts from zero pages and touches only
	 * the pairs it meets). */
	if (rc.ndirty > RX_DIRTY_MAX) {
		memset(rc.pairs, 0, sizeof rc.pairs);
		memset(rc.tries, 0, sizeof rc.tries);
	} else {
		for (uint32_t i = 0; i < rc.ndirty; i++) {
			rc.pairs[rc.dirty[i] >> 3] = 0;
			rc.tries[rc.dirty[i]] = 0;
		}
	}
	rc.ndirty = 0;
	rc.have_last = false;
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
		if (!pair_seen(reversed_pair(p)))
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
		if (!t.again && pair_seen(reversed_pair(p)))
			continue;
		rc.parent = t.run;
		return p;
	}
	return NULL;
}

/* Push the race points of kept run `run` whose reversed pair was never
 * seen (a sweep: every one), one per pair (its earliest point); with
 * tries >= 0 only those whose reversed pair was reversed `tries` times.
 * Pushed latest first, so the earliest is reversed first. A full stack
 * drops its oldest entries. */
static void push_pass(uint32_t run, bool again, int tries)
{
	const struct race_run *k = &rc.kept[run];
	for (uint32_t i = k->npoints; i-- > 0;) {
		const struct race_point *p = &k->points[i];
		if (tries >= 0 && rc.tries[reversed_pair(p)] != tries)
			continue;
		if (!again && pair_seen(reversed_pair(p)))
			continue;
		bool earlier = false;
		for (uint32_t j = 0; j < i && !earlier; j++)
			earlier = k->points[j].bucket == p->bucket && k->points[j].first == p->first &&
				  k->points[j].second == p->second;
		if (earlier)
			continue;
		if (rc.ntodo == RX_TODO_MAX) {
			memmove(rc.todo, rc.todo + RX_TODO_MAX / 2, sizeof rc.todo / 2);
			rc.ntodo = RX_TODO_MAX / 2;
		}
		rc.todo[rc.ntodo++] = (struct race_todo){ .run = run, .gen = k->gen, .point = i, .again = again };
	}
}

/* Push kept run `run`'s points (push_pass). Novelty: a sweep (again)
 * pushes only the pairs no run reversed yet when it has any, and the
 * points go on least reversed pair last (so first off the stack). */
static void push_todo(uint32_t run, bool again)
{
	if (rc.without & RACE_WITHOUT_NOVELTY) {
		push_pass(run, again, -1);
		return;
	}
	if (again) {
		uint32_t before = rc.ntodo;
		push_pass(run, again, 0);
		if (rc.ntodo != before)
			return;
	}
	const struct race_run *k = &rc.kept[run];
	int top = 0;
	for (uint32_t i = 0; i < k->npoints; i++)
		if (rc.tries[reversed_pair(&k->points[i])] > top)
			top = rc.tries[reversed_pair(&k->points[i])];
	for (int c = top; c >= 0; c--)
		push_pass(run, again, c);
}

/* Refill an empty stack: every race point of the newest kept run not swept
 * yet (the stack's order, where the drawn changes pick a run by energy and
 * a point at random). False: every kept run was swept. */
static bool sweep_newest(void)
{
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
	src.por_exact = !(rc.without & RACE_WITHOUT_EXACT);
	bool urw = pos && !(rc.without & RACE_WITHOUT_URW);
	rc.parent = UINT32_MAX;
	if (rc.nkept == 0 || race_below(rc.without & RACE_WITHOUT_RARE_FRESH ? 4 : 8) == 0) {
		/* A fresh run: a walk weighted by the last run's picks. */
		if (urw && rc.have_last) {
			memcpy(rc.urw_left, rc.last_picks, sizeof rc.urw_left);
			src.urw_left = rc.urw_left;
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
		uint8_t *tries = &rc.tries[reversed_pair(p)];
		if (*tries < UINT8_MAX) {
			if (*tries == 0)
				pair_dirty(reversed_pair(p));
			(*tries)++;
		}
		memcpy(rc.prefix, k->values, sizeof(uint16_t) * cut);
		rc.prefix[cut] = p->value;
	} else {
		cut = explore_change_any(rc.prng, k->values, k->options, k->len, rc.prefix);
	}
	uint32_t len = explore_change_tail(rc.prng, k->values, k->len, cut, rc.prefix);
	if (urw && len == cut + 1) {
		/* A fresh tail: a walk weighted by the kept run's picks after the cut. */
		memset(rc.urw_left, 0, sizeof rc.urw_left);
		for (uint32_t i = cut + 1; i < k->len; i++)
			if (k->thread[i] < CHOICE_THREADS_MAX && rc.urw_left[k->thread[i]] < UINT16_MAX)
				rc.urw_left[k->thread[i]]++;
		src.urw_left = rc.urw_left;
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
	memset(rc.last_step, 0, sizeof rc.last_step);
	/* The keys every step of a kind touches tell no two steps apart
	 * (por_log_sample): their buckets are left out here. */
	static const uint32_t common[] = { POR_KEY(POR_DRVCODE, 0), POR_KEY(POR_NMR, 0), POR_KEY(POR_IDS, 0),
					   POR_KEY(POR_IDS, 1) };
	uint64_t ignore[POR_EXACT_WORDS] = { 0 };
	int words = por->exact ? POR_EXACT_WORDS : POR_WORDS;
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
		uint32_t b = por->exact ? por_exact_bucket(common[i]) : por_bucket(common[i]);
		ignore[b >> 6] |= 1ull << (b & 63);
	}
	for (uint32_t j = 0; j < por->n; j++) {
		const struct por_step *s = &por->steps[j];
		if (s->thread >= RX_THREADS)
			continue;
		const uint64_t *fp = por->exact ? por->exact[j].fp : s->fp;
		for (int w = 0; w < words; w++) {
			for (uint64_t bits = fp[w] & ~ignore[w]; bits; bits &= bits - 1) {
				uint32_t b = (uint32_t)w * 64 + (uint32_t)__builtin_ctzll(bits);
				uint32_t prev = rc.last_step[b];
				rc.last_step[b] = (uint16_t)(j + 1 < 0xffff ? j + 1 : 0xffff);
				if (prev == 0 || prev - 1 >= por->n)
					continue;
				const struct por_step *e = &por->steps[prev - 1];
				if (e->thread == s->thread || e->thread >= RX_THREADS)
					continue;
				uint32_t pi = pair_index(b, e->thread, s->thread);
				if (!pair_seen(pi)) {
					pair_dirty(pi);
					rc.pairs[pi >> 3] |= (uint8_t)(1u << (pi & 7));
					fresh = true;
				}
				/* Reversible at e's pick when s's thread could run there. */
				if (k && e->pos != POR_NO_CHOICE && e->pos < k->len && (e->options >> s->thread & 1u))
					keep_point(k, &seen_points, (struct race_point){ .pos = e->pos,
						.value = option_of(e, s->thread), .bucket = (uint16_t)b,
						.first = e->thread, .second = s->thread });
			}
		}
	}
	return fresh;
}

void explore_race_learn(const struct run_result *res)
{
	/* A run without a whole step log (a crash, an overflow) teaches nothing. */
	const struct sched_por *por = res->por && !res->por->overflow ? res->por : NULL;
	bool fresh = por && res->nchoices && scan_races(por, NULL);
	if (por) {
		/* The next fresh run's walk: this run's thread choices per thread. */
		memset(rc.last_picks, 0, sizeof rc.last_picks);
		for (uint32_t j = 0; j < por->n; j++)
			if (por->steps[j].pos != POR_NO_CHOICE && por->steps[j].thread < CHOICE_THREADS_MAX &&
			    rc.last_picks[por->steps[j].thread] < UINT16_MAX)
				rc.last_picks[por->steps[j].thread]++;
		rc.have_last = true;
	}
	if (!fresh)
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
	memset(k->thread, 0xff, sizeof k->thread);
	for (uint32_t j = 0; j < por->n; j++)
		if (por->steps[j].pos != POR_NO_CHOICE && por->steps[j].pos < k->len)
			k->thread[por->steps[j].pos] = por->steps[j].thread;
	k->picked = k->gains = 0;
	scan_races(por, k); /* the pairs are booked: this pass collects the race points */
	if (!(rc.without & RACE_WITHOUT_QUEUE) && !rc.no_race)
		push_todo(slot, false);
}
