/* dpor_sleep.c - sleep sets of the reduced search under the preemption
 * bound (dpor.h): the records a node keeps of the threads it explored, the
 * walk over a run's steps that puts them to sleep and wakes them. */
#include "run/dpor.h"

#include <stddef.h>
#include <string.h>

#include "core/assert.h"

/* ---- Sleep sets under the preemption bound ----
 *
 * After thread q's subtree at node a is explored, a later branch u at a
 * need not run q's step t from a as long as t stays independent of the
 * steps run since a: the schedule s.u.w1.t.w2 is equivalent to s.t.u.w1.w2,
 * in q's subtree. That one was explored only if it is within the bound:
 * its preemptions exceed the pruned schedule's by at most
 *   P(q at a) + R(q) - P(u at a),
 * P(x at a) = 1 when picking x at a preempts the running thread, R(q) = 1
 * when q could still run after t (switching from q to u then preempts it);
 * taking t out of w1.t.w2 adds no preemption (a switch x -> y there only
 * preempts x when x -> q did). So q sleeps below a only when that sum is
 * <= 0: the running thread, continued first at a, sleeps in every other
 * branch; another thread only when its step blocked or ended it, and only
 * in a branch that preempts as much as it did. (Plain sleep sets lose the
 * run of docs/DPOR.md's example; test unit/dpor checks it.) */

static bool sleep_valid(const struct dpor_node *a, const struct dpor_rec *r)
{
	if (r->flags & (DPOR_REC_WILD | DPOR_REC_UNKNOWN))
		return false;
	uint32_t pq = a->first != 0xffu && r->thread != a->first;
	uint32_t pu = a->first != 0xffu && a->taken != a->first;
	return pq + ((r->flags & DPOR_REC_RUNS) ? 1u : 0u) <= pu;
}

static struct dpor_rec *rec_find(struct dpor_node *a, uint8_t t);

static struct dpor_rec *rec_of(struct dpor_node *a, uint8_t t, bool exact)
{
	struct dpor_rec *found = rec_find(a, t);
	if (found)
		return found;
	if (a->nrec == DPOR_RECS)
		return NULL; /* not remembered: t never sleeps below a */
	struct dpor_rec *r = &a->rec[a->nrec++];
	memset(r, 0, offsetof(struct dpor_rec, keys));
	r->thread = t;
	r->flags = exact ? DPOR_REC_EXACT : 0;
	return r;
}


/* The threads explored at node a before its branch: asleep in it (added
 * to w), when valid under the bound. */
static inline void sleepers_at(const struct dpor_node *a, struct dpor_walk *w)
{
	for (uint32_t k = 0; k < a->nrec; k++) {
		const struct dpor_rec *q = &a->rec[k];
		if (q->thread != a->taken && (a->done >> q->thread & 1u) && !(w->mask >> q->thread & 1u) &&
		    sleep_valid(a, q)) {
			w->asleep[q->thread] = q;
			w->mask |= 1u << q->thread;
		}
	}
}

/* The slot of key k (write bit clear) in r's table, or the free slot
 * where it would go. */
static inline uint32_t rec_probe(const struct dpor_rec *r, uint32_t k)
{
	uint32_t s = dpor_rec_slot(k);
	while ((r->used >> s & 1u) && (r->keys[s] & ~POR_KEY_WRITE) != k)
		s = (s + 1u) & (DPOR_REC_SLOTS - 1u);
	return s;
}

/* A record's exact keys meet step st's (keys: the run's): one of the two
 * wrote a key both touched. */
static bool rec_meets(const struct dpor_rec *r, const struct por_step *st, const uint32_t *keys)
{
	for (uint32_t i = 0; i < st->nkeys; i++) {
		uint32_t e = keys[st->key0 + i], s = rec_probe(r, e & ~POR_KEY_WRITE);
		if ((r->used >> s & 1u) && ((r->keys[s] | e) & POR_KEY_WRITE))
			return true;
	}
	return false;
}

/* After step st: its thread is awake, and so is a sleeping thread whose
 * step depends on it. The bitmaps first (a superset of the exact keys:
 * a line holds its granules), then a record's exact keys if it has them. */
static inline void wake_after(const struct por_step *st, const uint32_t *keys, struct dpor_walk *w)
{
	bool wild = st->flags & POR_WILD;
	w->mask &= ~(1u << st->thread);
	for (uint32_t m = w->mask; m; m &= m - 1) {
		uint32_t q = (uint32_t)__builtin_ctz(m);
		const struct dpor_rec *r = w->asleep[q];
		if (wild || (por_fp_dependent(r->fp, r->wr, st->fp, st->wr) &&
			     (!keys || !(r->flags & DPOR_REC_EXACT) || rec_meets(r, st, keys))))
			w->mask &= ~(1u << q);
	}
}

/* Record r (exact) takes step st's keys too; more than it holds: its
 * bitmaps decide from now on. */
static void rec_add_keys(struct dpor_rec *r, const struct por_step *st, const uint32_t *keys)
{
	for (uint32_t i = 0; i < st->nkeys && (r->flags & DPOR_REC_EXACT); i++) {
		uint32_t e = keys[st->key0 + i], s = rec_probe(r, e & ~POR_KEY_WRITE);
		if (r->used >> s & 1u) {
			r->keys[s] |= e & POR_KEY_WRITE;
		} else if (r->nkeys < DPOR_REC_KEYS) {
			r->keys[s] = e;
			r->used |= 1ull << s;
			r->nkeys++;
		} else {
			r->flags &= (uint8_t)~DPOR_REC_EXACT;
		}
	}
}

/* The record of thread t at node a, NULL if it has none. */
static struct dpor_rec *rec_find(struct dpor_node *a, uint8_t t)
{
	for (uint32_t k = 0; k < a->nrec; k++)
		if (a->rec[k].thread == t)
			return &a->rec[k];
	return NULL;
}

/* Resume the walk at step `same` (> 0): the steps before it, their nodes
 * and the records their sleepers read are what the last walk saw (the
 * steps are the last analysed run's; a node changes only at the steps
 * that begin at it, and dpor_next's branch begins a step at or after
 * `same`), so the state there is the one it saved: the threads asleep,
 * each with the record of the node that last put it to sleep. Only the
 * "could still run" of step same - 1 looks at step `same`. */
static void walk_resume(struct dpor *d, const struct por_step *steps, uint32_t n, uint32_t nlog, uint32_t same,
			struct dpor_walk *w)
{
	const struct dpor_journal *jr = &d->jr;
	w->mask = jr->walk_mask[same];
	uint32_t need = w->mask;
	for (uint32_t j = same; need && j-- > 0;) {
		for (uint32_t hit = jr->walk_added[j] & need; hit; hit &= hit - 1) {
			uint8_t q = (uint8_t)__builtin_ctz(hit);
			w->asleep[q] = rec_find(&d->nodes[steps[j].pos], q);
			SIM_ASSERT(w->asleep[q] != NULL, "a thread put to sleep at a node has its record there");
		}
		need &= ~jr->walk_added[j];
	}
	SIM_ASSERT(need == 0, "every sleeping thread was put to sleep by a step before the resumed one");
	const struct por_step *st = &steps[same - 1];
	if (st->pos != POR_NO_CHOICE && st->pos < nlog && d->nodes[st->pos].options) {
		struct dpor_rec *r = rec_find(&d->nodes[st->pos], st->thread);
		if (r && (same == n || (steps[same].options >> st->thread & 1u)))
			r->flags |= DPOR_REC_RUNS;
	}
}

/* Walk the run's steps with the sleeping threads: remember each step at
 * its node, set each node's sleep set, and return the index of the first
 * step that picked a sleeping thread at a new choice (n if none): from
 * there on the run repeats a schedule covered elsewhere. */
uint32_t dpor_sleep_walk(struct dpor *d, const struct por_step *steps, const uint32_t *keys, uint32_t n,
			   uint32_t nlog, uint32_t prefix_len, uint32_t same)
{
	struct dpor_journal *jr = &d->jr;
	struct dpor_walk w = { 0 };
	SIM_ASSERT_LE(n, DPOR_STEPS_MAX, "a walked run's steps fit the saved walk");
	if (same > 0)
		walk_resume(d, steps, n, nlog, same, &w);
	for (uint32_t j = same; j < n; j++) {
		const struct por_step *st = &steps[j];
		jr->walk_mask[j] = w.mask;
		jr->walk_added[j] = 0;
		if (st->pos != POR_NO_CHOICE && st->pos < nlog && d->nodes[st->pos].options) {
			struct dpor_node *a = &d->nodes[st->pos];
			a->sleep = w.mask;
			if ((w.mask >> st->thread & 1u) && st->pos >= prefix_len)
				return j;
			struct dpor_rec *r = rec_of(a, st->thread, keys != NULL);
			if (r) {
				for (uint32_t k = 0; k < POR_WORDS; k++) {
					r->fp[k] |= st->fp[k];
					r->wr[k] |= st->wr[k];
				}
				if (keys)
					rec_add_keys(r, st, keys);
				if (st->flags & POR_WILD)
					r->flags |= DPOR_REC_WILD;
				if (j + 1 == n || (steps[j + 1].options >> st->thread & 1u))
					r->flags |= DPOR_REC_RUNS;
			}
			uint32_t before = w.mask;
			sleepers_at(a, &w);
			jr->walk_added[j] = w.mask & ~before;
		}
		wake_after(st, keys, &w);
	}
	jr->walk_mask[n] = w.mask;
	return n;
}

/* The same walk during the run, reading the tree only: the prefix's nodes
 * are the ones sleep_walk will see (the run follows them), and a node past
 * the prefix is new (no records: it puts no thread to sleep). */
uint32_t dpor_asleep(const struct dpor *d, struct dpor_walk *w, const struct sched_por *por, uint32_t prefix_len)
{
	for (; w->j < por->n; w->j++) {
		const struct por_step *st = &por->steps[w->j];
		if (st->pos != POR_NO_CHOICE && st->pos < prefix_len && d->nodes[st->pos].options)
			sleepers_at(&d->nodes[st->pos], w);
		wake_after(st, dpor_keys(d, por), w);
	}
	return w->mask;
}
