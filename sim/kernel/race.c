/* race.c - vector clocks of simulated threads and the access history of
 * driver memory: a FastTrack-style check with a few slots per granule, as
 * ThreadSanitizer keeps them (race.h). */
#include "kernel/race.h"

#include <string.h>

#include "core/assert.h"

const char race_nmr_object;

void race_init(struct race *r, bool on)
{
	r->on = on;
	r->gave_up = false;
	r->reported = false;
	r->nsync = 0;
	r->untracked = 0;
	if (!on)
		return;
	/* A new generation per run of this kernel (its table's): a granule of
	 * another run is free, so the table is never cleared. A counter of its
	 * own, not the kernel's run generation: that one is a multiple of a
	 * constant with its low bit set, so two runs 244,002,641 apart share it
	 * (a persistent fuzzer gets there in an hour) and a granule left from the
	 * earlier would read as this run's. Generation 0 never names a run, so a
	 * zeroed table is all free. */
	if (++r->generation == 0)
		r->generation = 1;
	memset(r->threads, 0, sizeof r->threads);
	for (uint32_t t = 0; t < SIM_THREADS_MAX; t++)
		r->threads[t].c[t] = 1;
}

static void vc_join(struct race_vc *into, const struct race_vc *from)
{
	for (uint32_t i = 0; i < SIM_THREADS_MAX; i++)
		if (from->c[i] > into->c[i])
			into->c[i] = from->c[i];
}

/* The clock of obj, made on first use; NULL when the table is full (then
 * an edge is lost and reporting stops: no false positive from it). */
static struct race_vc *sync_of(struct race *r, const void *obj)
{
	for (uint32_t i = 0; i < r->nsync; i++)
		if (r->sync_obj[i] == obj)
			return &r->sync[i];
	if (r->nsync == RACE_SYNC_MAX) {
		r->gave_up = true;
		return NULL;
	}
	r->sync_obj[r->nsync] = obj;
	memset(&r->sync[r->nsync], 0, sizeof r->sync[0]);
	return &r->sync[r->nsync++];
}

void race_release(struct race *r, uint8_t thread, const void *obj)
{
	if (!r->on || thread >= SIM_THREADS_MAX)
		return;
	if (r->on_sync)
		r->on_sync(r->hook_ctx, thread, obj, true);
	struct race_vc *s = sync_of(r, obj);
	if (s)
		vc_join(s, &r->threads[thread]);
	/* What the thread does next is not published yet. */
	r->threads[thread].c[thread]++;
}

void race_acquire(struct race *r, uint8_t thread, const void *obj)
{
	if (!r->on || thread >= SIM_THREADS_MAX)
		return;
	if (r->on_sync)
		r->on_sync(r->hook_ctx, thread, obj, false);
	struct race_vc *s = sync_of(r, obj);
	if (s)
		vc_join(&r->threads[thread], s);
}

void race_acq_rel(struct race *r, uint8_t thread, const void *obj)
{
	race_acquire(r, thread, obj);
	race_release(r, thread, obj);
}

/* The granule of key (this run's), made on first use; NULL if the probes
 * find no room. The probe sequence depends on the key only. */
static struct race_granule *granule_of(struct race *r, uint64_t key)
{
	uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40);
	for (uint32_t i = 0; i < RACE_PROBE; i++) {
		struct race_granule *g = &r->granules[(h + i) & (RACE_GRANULES_MAX - 1)];
		if (g->generation == r->generation && g->key == key)
			return g;
		if (g->generation != r->generation) {
			memset(g, 0, sizeof *g);
			g->generation = r->generation;
			g->key = key;
			return g;
		}
	}
	r->untracked++;
	return NULL;
}

struct race_conflict race_access(struct race *r, uint64_t key, unsigned offset, unsigned size, bool write,
				 uint8_t thread, uint32_t step, const void *pc, uint8_t site_kind, uint8_t site)
{
	struct race_conflict out = { .found = false };
	if (!r->on || thread >= SIM_THREADS_MAX)
		return out;
	SIM_ASSERT(offset + size <= 8 && size > 0, "an access is split into granules by its caller");
	if (r->on_access) {
		struct race_access_rec a = { key + offset, step, thread, (uint8_t)size, write };
		r->on_access(r->hook_ctx, &a);
	}
	struct race_granule *g = granule_of(r, key);
	if (!g)
		return out;
	const struct race_vc *now = &r->threads[thread];
	uint8_t mask = (uint8_t)(((1u << size) - 1u) << offset);
	struct race_slot *same = NULL, *free_slot = NULL, *stale = NULL;
	for (uint32_t i = 0; i < RACE_SLOTS; i++) {
		struct race_slot *s = &g->slot[i];
		if (!s->mask) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		bool ordered = s->thread == thread || s->clock <= now->c[s->thread];
		if (s->thread == thread && s->mask == mask && (write || !s->write))
			same = s;
		else if (ordered && !stale)
			stale = s;
		if (!ordered && (s->mask & mask) && (write || s->write) && !out.found && !r->gave_up) {
			out.earlier = *s;
			out.found = true;
		}
	}
	struct race_slot *dst = same ? same : free_slot ? free_slot : stale;
	if (!dst)
		dst = &g->slot[g->next_slot++ % RACE_SLOTS];
	*dst = (struct race_slot){ pc, now->c[thread], step, thread, mask, write, site_kind, site };
	return out;
}
