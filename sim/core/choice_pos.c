/* choice_pos.c - the thread choice of partial order sampling (choice.h,
 * CHOICE_POS). Its other choices are the PRNG's (choice.c). */
#include "core/choice.h"

#include "core/assert.h"

/* A fresh priority: the PRNG's high half, never 0 (0 means "none drawn"). */
static uint32_t pos_draw(struct choice *c)
{
	return (uint32_t)(choice_prng_next(c->prng) >> 32) | 1u;
}

uint32_t choice_pos_thread(struct choice *c, const uint8_t *ids, uint32_t n, bool current_first)
{
	SIM_ASSERT(c->mode == CHOICE_POS, "a POS thread choice under a POS source");
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
	uint32_t best = 0, best_prio = 0;
	for (uint32_t i = 0; i < n; i++) {
		SIM_ASSERT_LT(ids[i], CHOICE_THREADS_MAX, "POS priorities are kept per thread id");
		uint32_t *p = &c->pos_prio[ids[i]];
		if (*p == 0)
			*p = pos_draw(c);
		if (*p > best_prio) {
			best = i;
			best_prio = *p;
		}
	}
	c->pos_last = ids[best];
	return best;
}
