/* choice_pos.c - the thread choice of partial order sampling (choice.h,
 * CHOICE_POS). Its other choices are the PRNG's (choice.c). */
#include "core/choice.h"

#include "core/assert.h"

/* A fresh priority: the PRNG's high half, never 0 (0 means "none drawn"). */
static uint32_t pos_draw(struct choice *c)
{
	return (uint32_t)(choice_prng_next(c->prng) >> 32) | 1u;
}

void choice_pos_hold(struct choice *c, const struct choice_hold *holds, uint32_t n)
{
	SIM_ASSERT(c->mode == CHOICE_POS, "holds are partial order sampling's");
	SIM_ASSERT_LE(n, CHOICE_HOLDS_MAX, "at most CHOICE_HOLDS_MAX holds a run");
	c->pos_holds = holds;
	c->pos_nholds = holds ? n : 0;
}

/* End hold h: its thread draws a new priority. */
static void pos_hold_end(struct choice *c, uint32_t h)
{
	c->pos_holds_done |= 1u << h;
	c->pos_prio[c->pos_holds[h].thread] = 0;
}

/* The options passed over at this choice (bit per option): threads under a
 * hold. A hold begins at the first choice its thread is pending at with
 * its count of steps (the scheduler counts them: sched.c, por_begin) and
 * ends when the other thread made its steps or the length ran out (one per
 * choice its thread is passed over at), or when only held threads can run.
 * *boost: the option of a held thread's other thread (it goes first), or n. */
static uint64_t pos_held(struct choice *c, const uint8_t *ids, uint32_t n, uint32_t *boost)
{
	uint64_t cand = 0; /* candidate thread ids (bit each) */
	for (uint32_t i = 0; i < n; i++)
		cand |= 1ull << ids[i];
	uint64_t held_ids = 0, boost_ids = 0;
	uint32_t held_by[CHOICE_HOLDS_MAX];
	uint32_t nby = 0;
	for (uint32_t h = 0; h < c->pos_nholds; h++) {
		const struct choice_hold *x = &c->pos_holds[h];
		if (x->thread >= CHOICE_THREADS_MAX || (c->pos_holds_done >> h & 1u))
			continue;
		bool other = x->other < CHOICE_THREADS_MAX;
		if (!(c->pos_holds_begun >> h & 1u)) {
			if (!(cand >> x->thread & 1u) || c->pos_steps[x->thread] != x->steps)
				continue;
			c->pos_holds_begun |= 1u << h;
			c->pos_hold_left[h] = x->len;
			c->pos_hold_until[h] = other ? (uint16_t)(c->pos_steps[x->other] + x->other_steps) : 0;
		}
		if (c->pos_hold_left[h] == 0 || (other && c->pos_steps[x->other] >= c->pos_hold_until[h])) {
			pos_hold_end(c, h);
			continue;
		}
		if (!(cand >> x->thread & 1u))
			continue;
		held_ids |= 1ull << x->thread;
		held_by[nby++] = h;
		if (other && (cand >> x->other & 1u))
			boost_ids |= 1ull << x->other;
	}
	*boost = n;
	if ((cand & ~held_ids) == 0) {
		for (uint32_t k = 0; k < nby; k++)
			pos_hold_end(c, held_by[k]);
		return 0;
	}
	for (uint32_t k = 0; k < nby; k++)
		c->pos_hold_left[held_by[k]]--;
	uint64_t held = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (held_ids >> ids[i] & 1u)
			held |= 1ull << i;
		else if (*boost == n && (boost_ids >> ids[i] & 1u))
			*boost = i;
	}
	return held;
}

/* The uniform random walk's pick (choice.h: pos_urw): a thread with
 * probability proportional to its picks left, so a run's interleavings of
 * the threads' remaining picks come out about uniformly, where POS's
 * priorities let one thread run on. */
static uint32_t urw_thread(struct choice *c, const uint8_t *ids, uint32_t n)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += c->pos_urw[ids[i]] ? c->pos_urw[ids[i]] : 1u;
	uint32_t r = (uint32_t)((choice_prng_next(c->prng) >> 32) % sum), i = 0;
	for (;; i++) {
		uint32_t w = c->pos_urw[ids[i]] ? c->pos_urw[ids[i]] : 1u;
		if (r < w)
			break;
		r -= w;
	}
	if (c->pos_urw[ids[i]])
		c->pos_urw[ids[i]]--;
	c->pos_last = ids[i];
	return i;
}

uint32_t choice_pos_thread(struct choice *c, const uint8_t *ids, uint32_t n, bool current_first)
{
	SIM_ASSERT(c->mode == CHOICE_POS, "a POS thread choice under a POS source");
	if (c->pos_urw)
		return urw_thread(c, ids, n);
	/* New pending steps: the running thread's (it just ran one), the last
	 * pick's (it ran, then maybe blocked: its next step is a new one when it
	 * is back), and those the scheduler named. */
	uint64_t redraw = c->pos_redraw;
	c->pos_redraw = 0;
	if (current_first)
		redraw |= 1ull << ids[0];
	if (c->pos_last < CHOICE_THREADS_MAX)
		redraw |= 1ull << c->pos_last;
	for (; redraw; redraw &= redraw - 1)
		c->pos_prio[__builtin_ctzll(redraw)] = 0;
	/* Drawn in option order, so the same run draws the same values. Ties
	 * (one in 2^31) go to the lower option: the running thread first. */
	uint32_t boost = n;
	uint64_t held = c->pos_nholds ? pos_held(c, ids, n, &boost) : 0;
	uint32_t best = 0, best_prio = 0;
	for (uint32_t i = 0; i < n; i++) {
		SIM_ASSERT_LT(ids[i], CHOICE_THREADS_MAX, "POS priorities are kept per thread id");
		uint32_t *p = &c->pos_prio[ids[i]];
		if (*p == 0)
			*p = pos_draw(c);
		if (*p > best_prio && !(held >> i & 1u)) {
			best = i;
			best_prio = *p;
		}
	}
	if (boost < n)
		best = boost; /* after the draws: the same run draws the same values */
	c->pos_last = ids[best];
	return best;
}
