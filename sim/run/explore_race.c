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
 *  - RACE_WITHOUT_ALL is session 7's search (swarm, no stack, a fresh run
 *    one time in four), run for run.
 *
 * Deterministic for a seed: its own PRNG, state reset at explore start. */
#include "run/explore.h"

#include <string.h>
#include <stdio.h>
#include <stdlib.h>
static struct race_point rx_pt; static uint32_t rx_exp; static int rx_dbg = -1; static uint32_t rx_tried; static int rx_kind;

#define RX_KEPT_MAX 512        /* runs kept */
#define RX_CHOICES_MAX 1024    /* choices kept per run */
#define RX_POINTS_MAX 96       /* race points kept per run */
#define RX_THREADS 32          /* thread ids the pair features tell apart (por_log: bit per id) */
#define RX_PAIRS (POR_BUCKETS * RX_THREADS * RX_THREADS)

struct race_point {
	uint32_t pos;      /* choice-log index of the earlier step's pick */
	uint16_t value;    /* the option there that runs the later step's thread */
	uint16_t bucket;   /* the key bucket they race on */
	uint8_t first, second; /* threads of the earlier and the later step */
	uint8_t ordered;   /* another path orders e before s (happens-before): likely not reversible */
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
};

#define RX_TODO_MAX 4096       /* race points waiting for their reversal */

/* A race point of a kept run, waiting to be reversed. */
struct race_todo {
	uint32_t run, gen; /* the kept run's slot and its gen when pushed */
	uint32_t point;    /* index into its points */
};

static struct {
	uint8_t pairs[RX_PAIRS / 8];       /* race pairs seen (bit each) */
	uint16_t last_step[POR_BUCKETS];     /* per bucket: 1 + the last step touching it, 0: none */
	uint16_t last_write[POR_BUCKETS];
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
	memset(rc.pairs, 0, sizeof rc.pairs);
	rc.nkept = 0;
	rc.ntodo = 0;
	rc.no_race = no_race;
	rc.without = without;
	rx_exp = getenv("RX_EXP") ? (uint32_t)strtoul(getenv("RX_EXP"), NULL, 0) : 0;
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
		if (pair_seen(reversed_pair(p)))
			continue;
		rc.parent = t.run;
		return p;
	}
	return NULL;
}

/* Push the race points of kept run `run` whose reversed pair was never
 * seen, one per pair (its earliest point). Pushed latest first, so the
 * earliest is reversed first. A full stack drops its oldest entries. */
static void push_todo(uint32_t run)
{
	const struct race_run *k = &rc.kept[run];
	for (int pass = 0; pass < 2; pass++)
	for (uint32_t i = k->npoints; i-- > 0;) {
		const struct race_point *p = &k->points[i];
		if ((rx_exp & 64) && p->ordered != (pass == 0))
			continue;
		if (!(rx_exp & 64) && pass)
			continue;
		if (pair_seen(reversed_pair(p)))
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
		rc.todo[rc.ntodo++] = (struct race_todo){ .run = run, .gen = k->gen, .point = i };
	}
}

struct run_source explore_race_source(uint64_t seed)
{
	bool pos = !(rc.without & RACE_WITHOUT_POS);
	struct run_source src = { .kind = pos ? SOURCE_POS : SOURCE_SWARM, .seed = seed, .por = true };
	if (rx_exp & 1)
		src.por_fine = POR_FINE_READS | POR_FINE_OBJECTS;
	rc.parent = UINT32_MAX;
	rx_tried = UINT32_MAX; rx_kind = 0;
	if (rc.nkept == 0 || race_below(rc.without & RACE_WITHOUT_RARE_FRESH ? 4 : 8) == 0)
		return src;
	const struct race_point *p = rc.without & RACE_WITHOUT_QUEUE ? NULL : pop_todo();
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
		rx_kind = p ? 1 : 2;
		if (!p)
			p = pick_point(k);
		if (!pair_seen(reversed_pair(p)))
			rx_tried = reversed_pair(p);
		rx_pt = *p;
		cut = p->pos;
		memcpy(rc.prefix, k->values, sizeof(uint16_t) * cut);
		rc.prefix[cut] = p->value;
	} else {
		cut = explore_change_any(rc.prng, k->values, k->options, k->len, rc.prefix);
	}
	uint32_t len = explore_change_tail(rc.prng, k->values, k->len, cut, rc.prefix);
	src.prefix = rc.prefix;
	src.prefix_len = len;
	if ((rx_exp & 4) && p) {
		src.hold_thread = p->second;
		src.hold_cut = cut;
		src.hold_bucket = p->bucket;
		src.hold_picks = 64;
	}
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

/* Happens-before over the step log, as the reduced search defines it:
 * program order and every dependence on a key bucket (a wake, a lock, a
 * queued item, shared memory: whatever both steps touch). hb_vc[j][t] is
 * 1 + the last step of thread t ordered before or at step j (0: none). A
 * race (e, s) is reversible only when e is ordered before s by their own
 * conflict alone: when another path orders them (e, then a step of e's
 * thread or a third one that s depends on), running s's thread at e's pick
 * cannot bring s before e; the run reaches e's pick again with s out of
 * reach (explore_race.c's session 11 measurement). */
#define RX_HB_STEPS RUN_POR_STEPS
static uint16_t hb_vc[RX_HB_STEPS][RX_THREADS];
static uint16_t hb_last[RX_THREADS]; /* 1 + each thread's latest step */

static void hb_join(uint16_t *into, const uint16_t *from)
{
	for (int t = 0; t < RX_THREADS; t++)
		if (from[t] > into[t])
			into[t] = from[t];
}

/* Step j's clock from its thread's previous step and the last steps of
 * the buckets it touches (rc.last_step before j updates it); `late` gets,
 * for each of those last steps of other threads, whether only their own
 * conflict with j orders it before j (bit per entry of `lasts`). */
static uint32_t hb_step(const struct sched_por *por, uint32_t j, const uint64_t *ignore, uint32_t *lasts, uint32_t *nlasts)
{
	const struct por_step *s = &por->steps[j];
	uint16_t base[RX_THREADS];
	if (hb_last[s->thread])
		memcpy(base, hb_vc[hb_last[s->thread] - 1], sizeof base);
	else
		memset(base, 0, sizeof base);
	*nlasts = 0;
	for (int w = 0; w < POR_WORDS; w++)
		for (uint64_t bits = s->fp[w] & ~ignore[w]; bits; bits &= bits - 1) {
			uint32_t b = (uint32_t)w * 64 + (uint32_t)__builtin_ctzll(bits);
			uint32_t e = rc.last_step[b];
			if (e == 0 || e - 1 >= j || por->steps[e - 1].thread == s->thread)
				continue;
			bool dup = false;
			for (uint32_t i = 0; i < *nlasts && !dup; i++)
				dup = lasts[i] == e - 1;
			if (!dup && *nlasts < 64)
				lasts[(*nlasts)++] = e - 1;
		}
	uint32_t direct = 0;
	for (uint32_t i = 0; i < *nlasts; i++) {
		uint16_t other[RX_THREADS];
		memcpy(other, base, sizeof other);
		for (uint32_t m = 0; m < *nlasts; m++)
			if (m != i)
				hb_join(other, hb_vc[lasts[m]]);
		uint32_t e = lasts[i];
		if (other[por->steps[e].thread] < e + 1 && i < 32)
			direct |= 1u << i;
	}
	uint16_t *v = hb_vc[j];
	memcpy(v, base, sizeof base);
	for (uint32_t i = 0; i < *nlasts; i++)
		hb_join(v, hb_vc[lasts[i]]);
	v[s->thread] = (uint16_t)(j + 1);
	hb_last[s->thread] = (uint16_t)(j + 1);
	return direct;
}

/* Walk the step log: note each race pair (new ones make the run worth
 * keeping) and, into k when it is given, the race points a change could
 * reverse. Returns whether a pair was new. */
static bool scan_races(const struct sched_por *por, struct race_run *k)
{
	bool fresh = false;
	uint32_t seen_points = 0;
	memset(rc.last_step, 0, sizeof rc.last_step);
	memset(rc.last_write, 0, sizeof rc.last_write);
	bool rw = rx_exp & 2;
	uint64_t ignore[POR_WORDS];
	/* The keys every step of a kind touches tell no two steps apart
	 * (por_log_sample): the same buckets are left out here. */
	struct sched_por probe = { 0 };
	por_log_sample(&probe);
	memcpy(ignore, probe.ignore, sizeof ignore);
	if (rx_exp & 32) {
		uint32_t nb = por_bucket(POR_KEY(POR_NMR, 0));
		ignore[nb >> 6] &= ~(1ull << (nb & 63));
	}
	bool hb = k && (rx_exp & 16) && por->n <= RX_HB_STEPS;
	if (hb)
		memset(hb_last, 0, sizeof hb_last);
	for (uint32_t j = 0; j < por->n; j++) {
		const struct por_step *s = &por->steps[j];
		if (s->thread >= RX_THREADS)
			continue;
		uint32_t lasts[64], nlasts = 0, direct = 0;
		if (hb)
			direct = hb_step(por, j, ignore, lasts, &nlasts);
		for (int w = 0; w < POR_WORDS; w++) {
			for (uint64_t bits = s->fp[w] & ~ignore[w]; bits; bits &= bits - 1) {
				uint32_t b = (uint32_t)w * 64 + (uint32_t)__builtin_ctzll(bits);
				bool wr = s->wr[w] >> (b & 63) & 1u;
				uint32_t prev = rw && !wr ? rc.last_write[b] : rc.last_step[b];
				rc.last_step[b] = (uint16_t)(j + 1 < 0xffff ? j + 1 : 0xffff);
				if (wr)
					rc.last_write[b] = rc.last_step[b];
				if (prev == 0 || prev - 1 >= por->n)
					continue;
				const struct por_step *e = &por->steps[prev - 1];
				if (e->thread == s->thread || e->thread >= RX_THREADS)
					continue;
				uint32_t pi = pair_index(b, e->thread, s->thread);
				if (!pair_seen(pi)) {
					rc.pairs[pi >> 3] |= (uint8_t)(1u << (pi & 7));
					fresh = true;
				}
				/* Reversible at e's pick when s's thread could run there. */
				bool cont = true;
				if (k && (rx_exp & 8))
					for (uint32_t q = prev; q <= j && cont; q++)
						cont = por->steps[q].options >> s->thread & 1u;
				bool ordered = false;
				if (hb) {
					ordered = true;
					for (uint32_t i = 0; i < nlasts && i < 32; i++)
						if (lasts[i] == prev - 1)
							ordered = !(direct >> i & 1u);
					if (!(rx_exp & 64))
						cont = !ordered;
				}
				if (k && cont && e->pos != POR_NO_CHOICE && e->pos < k->len && (e->options >> s->thread & 1u))
					keep_point(k, &seen_points, (struct race_point){ .pos = e->pos,
						.value = option_of(e, s->thread), .bucket = (uint16_t)b,
						.first = e->thread, .second = s->thread, .ordered = ordered });
			}
		}
	}
	return fresh;
}

void explore_race_learn(const struct run_result *res)
{
	/* A run without a whole step log (a crash, an overflow) teaches nothing. */
	const struct sched_por *por = res->por && !res->por->overflow ? res->por : NULL;
	if (rx_dbg < 0) rx_dbg = getenv("RX_DEBUG") != NULL;
	bool fr = por && res->nchoices != 0 && scan_races(por, NULL);
	if (rx_dbg && por) {
		uint32_t npts = 0; (void)npts;
		int at = -1, bt = -1, fb = -1, fbt = -1, bsteps = 0, bblock = 0;
		if (rx_tried != UINT32_MAX) {
			for (uint32_t q = 0; q < por->n; q++)
				if (por->steps[q].pos == rx_pt.pos) { at = (int)q; break; }
			if (at >= 0) {
				bt = por->steps[at].thread;
				for (uint32_t q = (uint32_t)at; q < por->n; q++) {
					if (por->steps[q].thread == rx_pt.second) bsteps++;
					if (por->steps[q].fp[rx_pt.bucket >> 6] >> (rx_pt.bucket & 63) & 1u) { fb = (int)(q - (uint32_t)at); fbt = por->steps[q].thread; break; }
				}
				if (getenv("RX_SEQ") && fbt == rx_pt.first) {
					fprintf(stderr, "SEQ A=%u B=%u:", rx_pt.first, rx_pt.second);
					for (uint32_t q = (uint32_t)at; q <= (uint32_t)(at + fb) && q < por->n; q++)
						fprintf(stderr, " %u[pos=%d opt=%x why=%x]", por->steps[q].thread, (int)por->steps[q].pos, por->steps[q].options, por->steps[q].why);
					fprintf(stderr, "\n");
				}
				/* was B runnable at the next pick after the cut? */
				if (at + 1 < (int)por->n) bblock = !(por->steps[at + 1].options >> rx_pt.second & 1u);
			}
		}
		fprintf(stderr, "RXRUN kind=%d tried=%d shown=%d steps=%u find=%u kept=%d cutB=%d fbby=%s fbat=%d bsteps=%d bblocked=%d cls=%u\n", rx_kind, rx_tried != UINT32_MAX,
			rx_tried != UINT32_MAX && pair_seen(rx_tried), por->n, res->nfindings, fr, bt == rx_pt.second,
			fbt < 0 ? "none" : fbt == rx_pt.second ? "B" : fbt == rx_pt.first ? "A" : "other", fb, bsteps, bblock, rx_pt.bucket);
	}
	if (!fr)
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
	k->picked = k->gains = 0;
	scan_races(por, k); /* the pairs are booked: this pass collects the race points */
	if (rx_dbg) fprintf(stderr, "RXKEPT points=%u\n", k->npoints);
	if (!(rc.without & RACE_WITHOUT_QUEUE) && !rc.no_race)
		push_todo(slot);
}
