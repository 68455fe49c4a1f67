/* dpor.c - partial-order reduction for the bounded exhaustive search
 * (dpor.h): the choice tree's nodes, the race analysis of a run, the next
 * prefix. */
#include "run/dpor.h"

#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"

_Static_assert(SIM_THREADS_MAX <= 32, "thread sets are 32-bit masks");

void dpor_init(struct dpor *d, uint32_t preempt_bound, uint32_t without)
{
	uint64_t serial = d->serial;
	/* The tree and counters; the analysis (vc, jr) is reset by the first
	 * analysis of the search, which sees jr.serial differ. */
	memset(d, 0, offsetof(struct dpor, vc));
	d->serial = serial + 1; /* a new search: the analysis state of the last one is not this one's */
	d->bound = preempt_bound;
	d->without = without;
}

/* ---- Incremental analysis ----
 *
 * The depth-first search's next run replays most of the last one: its
 * first steps are the same steps (same choices, same footprints), so the
 * analysis after them is the same, and so are the backtrack points they
 * add (to nodes the two runs share, which keep them). The analysis keeps
 * an undo journal of every clock it changes (struct dpor_journal), with
 * the journal's length at each step, and the steps it analysed; the next
 * run's analysis undoes back to its first step that differs (or that began
 * at a choice past its prefix, a node made afresh) and goes on from there. */

/* Room for `words` more journal words (once per step, for its worst case);
 * without it the journal is dropped (the next analysis starts afresh). */
static void journal_reserve(struct dpor_journal *jr, size_t words)
{
	if (!jr->lost && jr->len + words > DPOR_JOURNAL_WORDS)
		jr->lost = true;
}

/* Old values of count words at `at` (room reserved): a plain loop, the
 * rows are a few words. */
static inline void journal(struct dpor *d, const uint32_t *at, uint32_t count)
{
	struct dpor_journal *jr = &d->jr;
	if (jr->lost)
		return;
	uint32_t *o = jr->buf + jr->len;
	for (uint32_t i = 0; i < count; i++)
		o[i] = at[i];
	o[count] = (uint32_t)(at - (const uint32_t *)&d->vc);
	o[count + 1] = count;
	jr->len += count + 2;
}

/* The journal's length in a local: kept in jr->len, every word restored
 * (a store that might alias it) made the next iteration reload it, a
 * store-to-load chain perf put a quarter of the analysis's samples on. */
static void undo_to(struct dpor *d, uint32_t len)
{
	struct dpor_journal *jr = &d->jr;
	const uint32_t *buf = jr->buf;
	uint32_t at = jr->len;
	while (at > len) {
		uint32_t count = buf[at - 1], off = buf[at - 2];
		at -= count + 2;
		uint32_t *to = (uint32_t *)&d->vc + off;
		for (uint32_t i = 0; i < count; i++)
			to[i] = buf[at + i];
	}
	jr->len = at;
}

static inline void join(uint32_t nt, uint32_t *dst, const uint32_t *src)
{
	for (uint32_t t = 0; t < nt; t++)
		if (src[t] > dst[t])
			dst[t] = src[t];
}

/* Try thread p at the choice that began step i; V: the clock of p's step
 * before its own dependences (what p's previous step knows). When p was
 * not a candidate there, something must run before p's step can:
 * Flanagan and Godefroid's set E (POPL 2005), the candidates of that
 * choice with a step after i that happens before p's previous step (their
 * chain leads to p); one of them suffices, and when one is already tried
 * or to be tried there, nothing is added. Every candidate only when there
 * is none (with DPOR_NO_ESET: always, the rule before it). cons: 1 at
 * bounded POR's switch (statistics). */
static void add_backtrack(struct dpor *d, const struct por_step *steps, uint32_t i, uint8_t p, const uint32_t *V,
			  uint32_t cons)
{
	const struct por_step *st = &steps[i];
	if (st->pos == POR_NO_CHOICE || st->pos >= SCN_CHOICES_MAX)
		return; /* no choice there: nothing else could run */
	struct dpor_node *n = &d->nodes[st->pos];
	if (!n->options)
		return; /* a plain node tries every option anyway */
	uint32_t before = n->backtrack;
	if (n->options >> p & 1u) {
		n->backtrack |= 1u << p;
		d->addstat[cons * 3] += (uint64_t)__builtin_popcount(n->backtrack & ~before & ~n->done);
		return;
	}
	uint32_t e = 0;
	if (!(d->without & DPOR_NO_ESET))
		for (uint32_t m = n->options; m; m &= m - 1) {
			uint32_t q = (uint32_t)__builtin_ctz(m);
			if (d->jr.dense_of[q] < d->jr.nt && V[d->jr.dense_of[q]] > i + 1)
				e |= 1u << q;
		}
	if (e) {
		if (!(e & (n->backtrack | n->done)))
			n->backtrack |= e & -e;
		d->addstat[cons * 3 + 1] += (uint64_t)__builtin_popcount(n->backtrack & ~before & ~n->done);
		return;
	}
	n->backtrack |= n->options;
	d->addstat[cons * 3 + 2] += (uint64_t)__builtin_popcount(n->backtrack & ~before & ~n->done);
}

/* Step i races with a later step of thread p; V: what p's previous step knows. */
static void race(struct dpor *d, const struct por_step *steps, uint32_t i, uint8_t p, const uint32_t *V)
{
	d->races++;
	add_backtrack(d, steps, i, p, V, 0);
	if (steps[i].flags & POR_SWITCH)
		return; /* a switch already: trying p there costs what the switch cost */
	/* Trying p at i preempts the thread running there, which the bound may
	 * forbid; at the last context switch before i it costs no more than
	 * the switch made there (bounded POR's conservative backtracking). */
	for (uint32_t k = i; k-- > 0;)
		if ((steps[k].flags & POR_SWITCH) && steps[k].pos != POR_NO_CHOICE) {
			add_backtrack(d, steps, k, p, V, 1);
			return;
		}
}

/* The first step of this run the last analysis did not cover as it is:
 * steps before it are the same (and so are their exact keys), began at
 * choices the two runs share (their nodes kept the backtrack points they
 * added). */
static uint32_t same_prefix(const struct dpor *d, const struct por_step *steps, const uint32_t *keys, uint32_t n,
			    uint32_t prefix_len)
{
	const struct dpor_journal *jr = &d->jr;
	if (jr->serial != d->serial || jr->busy || jr->lost || jr->calls != d->runs + d->plain_runs ||
	    (d->without & DPOR_NO_INCR))
		return 0;
	uint32_t k = 0;
	while (k < n && k < jr->n && (steps[k].pos == POR_NO_CHOICE || steps[k].pos < prefix_len) &&
	       !memcmp(&steps[k], &jr->steps[k], sizeof(steps[k])) &&
	       (!keys || !memcmp(keys + steps[k].key0, jr->keys + steps[k].key0, sizeof(keys[0]) * steps[k].nkeys)))
		k++;
	return k;
}

/* The dense id of exact key `key` in this run (numbered now if new;
 * journaled), UINT32_MAX when the table is full. */
static uint32_t key_id(struct dpor *d, uint32_t key)
{
	struct dpor_clocks *v = &d->vc;
	uint32_t s = por_hash(key) & (DPOR_SLOTS - 1u);
	for (; v->slot[s]; s = (s + 1u) & (DPOR_SLOTS - 1u))
		if (v->key_of[v->slot[s] - 1u] == key)
			return v->slot[s] - 1u;
	if (v->nid == DPOR_KEYS)
		return UINT32_MAX;
	uint32_t id = v->nid;
	journal(d, &v->slot[s], 1);
	journal(d, &v->nid, 1);
	v->nid++;
	v->slot[s] = id + 1u;
	v->key_of[id] = key;
	v->bucket[id].last = 0; /* its state: as a bucket never touched */
	v->bucket[id].reads_since = 0;
	return id;
}

/* The locations step st touches, each once, into jr->loc (POR_KEY_WRITE:
 * written): its bitmaps' buckets, or with exact keys their dense ids.
 * Returns how many, UINT32_MAX when the key table is full (the step is then
 * taken as wild). */
static uint32_t locations(struct dpor *d, const struct por_step *st, const uint32_t *keys)
{
	struct dpor_journal *jr = &d->jr;
	uint32_t n = 0;
	if (!keys) {
		for (uint32_t w = 0; w < POR_WORDS; w++)
			for (uint64_t bits = st->fp[w]; bits; bits &= bits - 1) {
				uint32_t bit = (uint32_t)__builtin_ctzll(bits);
				jr->loc[n++] = (w * 64 + bit) | ((st->wr[w] >> bit & 1u) ? POR_KEY_WRITE : 0u);
			}
		return n;
	}
	if (++jr->tick == 0) {
		memset(jr->seen, 0, sizeof(jr->seen));
		jr->tick = 1;
	}
	for (uint32_t k = 0; k < st->nkeys; k++) {
		uint32_t e = keys[st->key0 + k], id = key_id(d, e & ~POR_KEY_WRITE);
		if (id == UINT32_MAX)
			return UINT32_MAX;
		if (jr->seen[id] == jr->tick) {
			jr->loc[jr->at[id]] |= e & POR_KEY_WRITE; /* listed twice in the run's log */
			continue;
		}
		jr->seen[id] = jr->tick;
		jr->at[id] = n;
		jr->loc[n++] = id | (e & POR_KEY_WRITE);
	}
	return n;
}

/* keys: the run's exact keys (DPOR_EXACT), NULL: the bitmaps' buckets. */
/* from: same_prefix of the run (its first step the last analysis did not cover). */
static void analyse(struct dpor *d, const struct por_step *steps, const uint32_t *keys, uint32_t n, uint32_t from,
		    uint32_t prefix_len)
{
	struct dpor_clocks *v = &d->vc;
	struct dpor_journal *jr = &d->jr;
	SIM_ASSERT_LE(n, DPOR_STEPS_MAX, "an analysed run's steps fit the journal's copy");
	(void)prefix_len;
	if (jr->serial != d->serial || jr->busy || jr->lost) {
		/* A new search, an analysis a process died inside, or a journal
		 * that overflowed: every clock zero, new thread numbers, no key
		 * numbered (the state of an exact key is zeroed as it is). */
		memset(v, 0, offsetof(struct dpor_clocks, bucket) + sizeof(v->bucket[0]) * POR_BUCKETS);
		memset(jr->dense_of, 0xff, sizeof(jr->dense_of));
		jr->nt = 0;
		jr->len = 0;
		jr->n = 0;
		jr->lost = false;
		jr->serial = d->serial;
		from = 0;
	} else {
		/* A thread first seen in the steps after `from` may have been woken
		 * or spawned before it, by a step whose analysis is reused: that
		 * analysis had no lane for it, so it kept no wake to order its
		 * first step after (dpor.h: pending). From the first step then. */
		for (uint32_t j = from; j < n && from; j++)
			if (jr->dense_of[steps[j].thread] == 0xffu)
				from = 0;
		undo_to(d, from ? jr->mark[from] : 0);
	}
	jr->busy = true;
	for (uint32_t j = from; j < n; j++) {
		uint8_t t = steps[j].thread;
		SIM_ASSERT_LT(t, SIM_THREADS_MAX, "a step's thread is a thread id");
		if (jr->dense_of[t] == 0xffu) {
			jr->dense_of[t] = (uint8_t)jr->nt;
			jr->id_of[jr->nt++] = t;
		}
	}
	const uint32_t nt = jr->nt;
	memcpy(jr->steps + from, steps + from, (n - from) * sizeof(*steps));
	if (keys && from < n) {
		uint32_t k0 = steps[from].key0, k1 = steps[n - 1].key0 + steps[n - 1].nkeys;
		SIM_ASSERT_LE(k1, DPOR_LISTED_MAX, "an analysed run's keys fit the journal's copy");
		memcpy(jr->keys + k0, keys + k0, (k1 - k0) * sizeof(*keys));
	}
	jr->n = n;
	d->steps_analysed += n - from;
	for (uint32_t j = from; j < n; j++) {
		const struct por_step *st = &steps[j];
		uint8_t p = st->thread, dp = jr->dense_of[p];
		uint32_t *V = v->thread_vc[dp];
		jr->mark[j] = jr->len;
		/* The worst case: V, has_pending, last_of, wild (2), 1 per woken
		 * thread; per location a write (nt + 2 words) or a read (2 nt + 1)
		 * and numbering its key (2), each entry 2 words more. */
		uint32_t most = keys ? st->nkeys : POR_BUCKETS;
		journal_reserve(jr, (size_t)(nt + 2) * (SIM_THREADS_MAX + 2) + 9 + (size_t)most * (2 * nt + 11));
		journal(d, V, nt);
		journal(d, &v->has_pending, 1);
		journal(d, &v->last_of[dp], 1);
		if (v->has_pending >> dp & 1u) {
			join(nt, V, v->pending[dp]);
			v->has_pending &= ~(1u << dp);
		}
		bool wild = st->flags & POR_WILD;
		uint32_t nloc = locations(d, st, keys);
		if (nloc == UINT32_MAX) {
			wild = true; /* more keys than the table holds: dependent on every step */
			nloc = 0;
		}
		const uint32_t *loc = jr->loc;
		/* The latest dependent step of another thread not known to happen before. */
		uint32_t best = 0;
#define CANDIDATE(stamp)                                                                                 \
	do {                                                                                             \
		uint32_t s_ = (stamp);                                                                   \
		if (s_ > best && steps[s_ - 1].thread != p && V[jr->dense_of[steps[s_ - 1].thread]] < s_) \
			best = s_;                                                                       \
	} while (0)
		if (wild) {
			for (uint32_t t = 0; t < nt; t++)
				CANDIDATE(v->last_of[t]);
		} else {
			CANDIDATE(v->wild_last);
			for (uint32_t k = 0; k < nloc; k++) {
				const struct dpor_bucket *bk = &v->bucket[loc[k] & ~POR_KEY_WRITE];
				CANDIDATE(bk->last);
				/* A write also meets every read since the last write. */
				if ((loc[k] & POR_KEY_WRITE) && bk->reads_since)
					for (uint32_t t = 0; t < nt; t++)
						CANDIDATE(bk->rd[t][1]);
			}
		}
#undef CANDIDATE
		if (best) {
			race(d, steps, best - 1, p, V);
			const struct por_step *o = &steps[best - 1];
			uint32_t why = (st->flags | o->flags) & POR_WILD ? (uint32_t)(st->why | o->why) & 0xfe00u :
									     (uint32_t)(st->why & o->why) & 0x1feu;
			for (; why; why &= why - 1)
				d->why[__builtin_ctz(why)]++;
		}
		/* Step j happens after what it depends on. */
		if (wild) {
			join(nt, V, v->last_of);
		} else {
			if (v->wild_last)
				join(nt, V, v->wild_vc);
			for (uint32_t k = 0; k < nloc; k++) {
				const struct dpor_bucket *bk = &v->bucket[loc[k] & ~POR_KEY_WRITE];
				if (bk->last)
					join(nt, V, bk->vc);
				if ((loc[k] & POR_KEY_WRITE) && bk->reads_since)
					for (uint32_t t = 0; t < nt; t++)
						if (bk->rd[t][0] > V[t])
							V[t] = bk->rd[t][0];
			}
		}
		uint32_t stamp = j + 1;
		V[dp] = stamp;
		v->last_of[dp] = stamp;
		if (wild) {
			journal(d, &v->wild_last, 1);
			journal(d, v->wild_vc, nt);
			v->wild_last = stamp;
			memcpy(v->wild_vc, V, sizeof(V[0]) * nt);
		}
		/* Journaled: the words a reader may see after an undo. A location's
		 * vc is read only while `last` is set, its rd only while
		 * `reads_since` is. Neither was ever set in the journal's span when
		 * both are 0 now (`last` is cleared by nothing but an undo or the
		 * key's numbering): those words are dead at every point an undo
		 * may go back to, and stay unsaved. (A write clears reads_since
		 * with rd still live before it: rd is saved by the next read.) */
		for (uint32_t k = 0; k < nloc; k++) {
			struct dpor_bucket *bk = &v->bucket[loc[k] & ~POR_KEY_WRITE];
			if (loc[k] & POR_KEY_WRITE) {
				/* reads_since, last, and vc[0..nt) when last was set */
				journal(d, &bk->reads_since, bk->last ? 2 + nt : 2);
				bk->last = stamp;
				memcpy(bk->vc, V, sizeof(V[0]) * nt);
				bk->reads_since = 0;
			} else {
				journal(d, &bk->reads_since, 1);
				if (bk->last || bk->reads_since)
					journal(d, &bk->rd[0][0], 2 * nt);
				if (!bk->reads_since) {
					memset(bk->rd, 0, sizeof(bk->rd[0]) * nt);
					bk->reads_since = 1;
				}
				bk->rd[dp][1] = stamp;
				for (uint32_t t = 0; t < nt; t++)
					if (V[t] > bk->rd[t][0])
						bk->rd[t][0] = V[t];
			}
		}
		/* Whom it woke runs after it: not a race, an order. */
		for (uint32_t m = st->woke; m; m &= m - 1) {
			uint32_t q = (uint32_t)__builtin_ctz(m);
			if (q >= SIM_THREADS_MAX || jr->dense_of[q] == 0xffu)
				continue; /* never ran after: nothing to order */
			uint32_t dq = jr->dense_of[q];
			journal(d, v->pending[dq], nt);
			if (!(v->has_pending >> dq & 1u))
				memset(v->pending[dq], 0, sizeof(v->pending[dq][0]) * nt);
			join(nt, v->pending[dq], V);
			v->has_pending |= 1u << dq;
		}
	}
	jr->mark[n] = jr->len;
	jr->busy = false;
}


void dpor_after_run(struct dpor *d, const struct choice_rec *log, uint32_t nlog, uint32_t prefix_len,
		    const struct sched_por *por)
{
	SIM_ASSERT_LE(nlog, SCN_CHOICES_MAX, "the choice log fits the tree");
	for (uint32_t i = prefix_len; i < nlog; i++) {
		/* Field by field: the records (most of a node) are read below nrec only. */
		struct dpor_node *a = &d->nodes[i];
		a->options = a->backtrack = a->done = a->sleep = 0;
		a->first = a->taken = 0xffu;
		a->preemptions = 0;
		a->nrec = 0;
	}
	/* Skipping the next value of a freedom: every run through the node's
	 * value (its subtree, DFS) must have said it is the same run. */
	bool same_ok = por && !por->overflow && !(d->without & DPOR_NO_SAME);
	for (uint32_t i = prefix_len ? prefix_len - 1 : 0; i < nlog; i++)
		d->same_next[i] = same_ok && (log[i].pad & CHOICE_REC_SAME_NEXT);
	for (uint32_t i = 0; i + 1 < prefix_len && i < nlog; i++)
		d->same_next[i] = d->same_next[i] && same_ok && (log[i].pad & CHOICE_REC_SAME_NEXT);
	d->limit = nlog;
	if (!por || por->overflow) {
		/* Not analysed: every choice of the run tries every option. Its
		 * new choices are plain nodes; the ones it shares with earlier
		 * runs get every candidate, and the step they took is not known
		 * for sleep sets. */
		d->plain_runs++;
		for (uint32_t i = 0; i < prefix_len && i < nlog; i++) {
			struct dpor_node *a = &d->nodes[i];
			a->backtrack |= a->options;
			for (uint32_t k = 0; k < a->nrec; k++)
				if (a->rec[k].thread == a->taken)
					a->rec[k].flags |= DPOR_REC_UNKNOWN;
		}
		return;
	}
	for (uint32_t j = 0; j < por->n; j++) {
		const struct por_step *st = &por->steps[j];
		if (st->pos == POR_NO_CHOICE || st->pos < prefix_len || st->pos >= nlog)
			continue;
		SIM_ASSERT(log[st->pos].kind == CK_THREAD, "a step's choice is a thread choice");
		struct dpor_node *n = &d->nodes[st->pos];
		n->options = st->options;
		n->backtrack = n->done = 1u << st->thread;
		n->first = st->first;
		n->preemptions = st->preemptions;
		n->taken = st->thread;
	}
	if (d->runs == 0 && getenv("NMRSIM_POR_DUMP"))
		for (uint32_t j = 0; j < por->n; j++)
			fprintf(stderr, "step %u: T%u pos %d opts %x why %04x%s%s\n", j, por->steps[j].thread,
				(int)por->steps[j].pos, por->steps[j].options, por->steps[j].why,
				por->steps[j].flags & POR_WILD ? " WILD" : "", por->steps[j].flags & POR_SWITCH ? " sw" : "");
	uint32_t end = por->n;
	const uint32_t *keys = dpor_keys(d, por);
	uint32_t same = same_prefix(d, por->steps, keys, por->n, prefix_len);
	if (!(d->without & DPOR_NO_SLEEP)) {
		end = dpor_sleep_walk(d, por->steps, keys, por->n, nlog, prefix_len, same);
		if (end < por->n) {
			/* The pick of step `end` took a sleeping thread: nothing below
			 * it branches, its node tries a thread awake instead. */
			struct dpor_node *a = &d->nodes[por->steps[end].pos];
			uint32_t awake = a->options & ~a->sleep & ~a->done;
			if (awake)
				a->backtrack |= awake & -awake;
			d->limit = por->steps[end].pos + 1;
			d->blocked++;
		}
	}
	analyse(d, por->steps, keys, end, same < end ? same : end, prefix_len);
	d->jr.calls = d->runs + d->plain_runs + 1;
	if (++d->runs % 20000 == 0 && getenv("NMRSIM_POR_STATS")) {
		static const char *const names[16] = { "?", "thread", "nmr", "module", "kfam", "queue", "drvcode", "mem",
						       "ids", "time", "deadline", "stall", "idle", "spin", "routine", "?" };
		fprintf(stderr, "dpor: %" PRIu64 " runs (%" PRIu64 " sleep-blocked), %" PRIu64 " races:", d->runs,
			d->blocked, d->races);
		for (int b = 0; b < 16; b++)
			if (d->why[b])
				fprintf(stderr, " %s %" PRIu64, names[b], d->why[b]);
		fprintf(stderr, " | new bt: direct %" PRIu64 " eset %" PRIu64 " all %" PRIu64 " cons-direct %" PRIu64
			" cons-eset %" PRIu64 " cons-all %" PRIu64 "\n", d->addstat[0], d->addstat[1], d->addstat[2],
			d->addstat[3], d->addstat[4], d->addstat[5]);
	}
}

/* The option index of thread t at node n (the scheduler's order: the
 * running thread first when it could go on, then by id). */
static uint16_t option_of(const struct dpor_node *n, uint8_t t)
{
	if (n->first != 0xffu) {
		if (t == n->first)
			return 0;
		uint32_t others = n->options & ~(1u << n->first);
		return (uint16_t)(1 + __builtin_popcount(others & ((1u << t) - 1u)));
	}
	return (uint16_t)__builtin_popcount(n->options & ((1u << t) - 1u));
}

bool dpor_next(struct dpor *d, const struct choice_rec *log, uint32_t nlog, uint16_t *prefix, uint32_t *prefix_len)
{
	for (uint32_t i = nlog < d->limit ? nlog : d->limit; i-- > 0;) {
		const struct choice_rec *r = &log[i];
		struct dpor_node *n = &d->nodes[i];
		uint16_t value;
		if (r->kind == CK_THREAD && n->options) {
			uint32_t todo = n->backtrack & ~n->done & n->options & ~n->sleep;
			/* Within the bound: another thread than the running one is a preemption. */
			if (n->first != 0xffu && n->preemptions >= d->bound)
				todo &= 1u << n->first;
			if (!todo)
				continue;
			uint8_t t = (uint8_t)__builtin_ctz(todo);
			n->done |= 1u << t;
			n->taken = t;
			value = option_of(n, t);
			SIM_ASSERT_LT(value, r->n, "a backtrack thread is one of the choice's options");
		} else {
			uint32_t v = (uint32_t)r->value + 1u + (d->same_next[i] ? 1u : 0u);
			if ((r->pad & CHOICE_REC_FORCED) || v >= r->n)
				continue;
			value = (uint16_t)v;
		}
		for (uint32_t k = 0; k < i; k++)
			prefix[k] = log[k].value;
		prefix[i] = value;
		*prefix_len = i + 1;
		return true;
	}
	*prefix_len = 0;
	return false;
}
