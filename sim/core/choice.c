/* choice.c - the choice stream: bytes, PRNG, PCT, DFS, replay.
 *
 * Every source answers "which of n options" for the choice with index
 * c->count (the number of choices taken so far); record() then logs the
 * answer and advances count. A DFS or replay run therefore addresses its
 * prefix / recording by that index, and a recorded log replays exactly.
 *
 * No allocation, no state outside struct choice, no clock.
 */
#include "core/choice.h"

#include <stdio.h>
#include <string.h>

#include "core/assert.h"

/* ---- PRNG: splitmix64 (seeding) and xoshiro256** (Vigna & Blackman) ---- */

uint64_t choice_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t choice_prng_next(uint64_t s[4])
{
	uint64_t result = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return result;
}

/* Unbiased value in [0, n), n >= 1: Lemire's multiply-shift with rejection on
 * the high 32 bits of each output. Pure 32x32->64 integer arithmetic, so the
 * sequence is the same on every platform and compiler. */
static uint32_t prng_bounded(uint64_t s[4], uint32_t n)
{
	uint64_t m = (uint64_t)(uint32_t)(choice_prng_next(s) >> 32) * n;
	uint32_t low = (uint32_t)m;
	if (low < n) {
		uint32_t threshold = (uint32_t)(-n) % n; /* 2^32 mod n */
		while (low < threshold) {
			m = (uint64_t)(uint32_t)(choice_prng_next(s) >> 32) * n;
			low = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* ---- init ---- */

static void init_common(struct choice *c, enum choice_mode mode, struct choice_rec *log, uint32_t log_cap)
{
	memset(c, 0, sizeof *c);
	c->mode = mode;
	c->log = log;
	c->log_cap = log ? log_cap : 0;
	SIM_ASSERT((unsigned)mode <= CHOICE_POS, "a choice source is one of the seven modes");
	c->preempt_bound = UINT32_MAX; /* unbounded unless DFS says otherwise */
}

static void seed_prng(uint64_t s[4], uint64_t seed)
{
	uint64_t sm = seed;
	for (int i = 0; i < 4; i++)
		s[i] = choice_splitmix64(&sm);
	/* splitmix64 never yields four zero words in a row, so the state is
	 * never the all-zero fixed point of xoshiro. */
}

void choice_init_bytes(struct choice *c, const uint8_t *bytes, size_t len, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_BYTES, log, log_cap);
	c->bytes = bytes;
	c->bytes_len = bytes ? len : 0;
}

void choice_init_prng(struct choice *c, uint64_t seed, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_PRNG, log, log_cap);
	seed_prng(c->prng, seed);
}

void choice_init_pos(struct choice *c, uint64_t seed, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_POS, log, log_cap);
	seed_prng(c->prng, seed);
	c->pos_last = 0xff;
}

void choice_init_pct(struct choice *c, uint64_t seed, uint32_t depth, uint32_t steps, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_PCT, log, log_cap);
	seed_prng(c->prng, seed);
	if (depth < 1)
		depth = 1;
	if (depth > CHOICE_PCT_DEPTH_MAX)
		depth = CHOICE_PCT_DEPTH_MAX;
	if (steps < 1)
		steps = 1;
	c->pct_depth = depth;
	c->pct_steps = steps;
	c->pct_next_prio = depth; /* initial priorities are depth, depth+1, ... */
	/* d-1 change points uniformly in [1, steps]; distinct when there is
	 * room for them (a repeated point would waste one). Unused slots stay
	 * 0, which no step (counted from 1) ever equals. */
	bool distinct = steps >= depth - 1;
	for (uint32_t j = 0; j + 1 < depth; j++) {
		uint32_t k;
		bool dup;
		do {
			k = 1 + prng_bounded(c->prng, steps);
			dup = false;
			for (uint32_t i = 0; distinct && i < j; i++)
				dup |= c->pct_change[i] == k;
		} while (dup);
		SIM_ASSERT(k >= 1 && k <= steps, "a PCT change point is one of the thread choices");
		c->pct_change[j] = k;
	}
}

void choice_init_dfs(struct choice *c, const uint16_t *prefix, uint32_t prefix_len, uint32_t preempt_bound, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_DFS, log, log_cap);
	c->prefix = prefix;
	c->prefix_len = prefix ? prefix_len : 0;
	c->preempt_bound = preempt_bound;
}

void choice_init_replay(struct choice *c, const struct choice_rec *recs, uint32_t len, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_REPLAY, log, log_cap);
	c->replay = recs;
	c->replay_len = recs ? len : 0;
}

void choice_set_prefix(struct choice *c, const uint16_t *prefix, uint32_t len)
{
	SIM_ASSERT(c->mode == CHOICE_PRNG || c->mode == CHOICE_SWARM || c->mode == CHOICE_POS,
		   "a forced prefix leads a PRNG, swarm or POS source");
	c->prefix = prefix;
	c->prefix_len = prefix ? len : 0;
}

/* PRNG / SWARM under choice_set_prefix: the prefix's value for this choice.
 * prefix_len is 0 otherwise (and DFS reads its prefix in from_dfs). */
static inline bool from_prefix(const struct choice *c, uint32_t n, uint32_t *v)
{
	if (c->count >= c->prefix_len || c->mode == CHOICE_DFS)
		return false;
	*v = c->prefix[c->count] < n ? c->prefix[c->count] : n - 1;
	return true;
}

/* ---- swarm configurations ---- */

/* One byte of the swarm source: the PRNG's top byte, or the next input byte
 * (0 past the end: no surprise). */
static uint32_t swarm_u8(struct choice *c)
{
	if (!c->swarm_bytes)
		return (uint32_t)(choice_prng_next(c->prng) >> 56);
	return c->bytes_pos < c->bytes_len ? c->bytes[c->bytes_pos++] : 0;
}

/* True with chance/256; never for chance 0 and a zero byte. */
static bool swarm_hit(struct choice *c, uint32_t chance)
{
	return chance != 0 && swarm_u8(c) >= 256 - chance;
}

/* A value in [1, n), n >= 2: the option a surprising decision takes. */
static uint32_t swarm_other(struct choice *c, uint32_t n)
{
	if (!c->swarm_bytes)
		return 1 + prng_bounded(c->prng, n - 1);
	return 1 + swarm_u8(c) % (n - 1);
}

/* The configuration: one byte per setting, its low two bits picking one of
 * four levels, so every level is equally likely from a seed and a fuzzer
 * reaches each by flipping a bit. The levels span "never" to "almost
 * always" rather than being fitted to any one bug. */
static void swarm_config(struct choice *c)
{
	static const uint8_t switch_levels[4] = { 0, 128, 32, 4 };    /* preempt: uniform, 1/2, 1/8, 1/64 */
	static const uint8_t kind_levels[4] = { 128, 0, 16, 240 };    /* F1-F5: half, off, 1/16, 15/16 */
	static const uint8_t scale_levels[4] = { 4, 0, 1, 16 };       /* F6, pool, time: x1, off, x1/4, x4 */
	c->swarm_switch = switch_levels[swarm_u8(c) & 3];
	for (int k = CK_F1_ATTACH; k <= CK_F5_THREAD; k++)
		c->swarm_kind[k] = kind_levels[swarm_u8(c) & 3];
	c->swarm_scale[CK_F6_FAULT] = scale_levels[swarm_u8(c) & 3];
	c->swarm_scale[CK_POOL_FAULT] = scale_levels[swarm_u8(c) & 3];
	c->swarm_scale[CK_MODULE] = scale_levels[swarm_u8(c) & 3];
}

void choice_init_swarm(struct choice *c, uint64_t seed, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_SWARM, log, log_cap);
	seed_prng(c->prng, seed);
	swarm_config(c);
}

void choice_init_swarm_bytes(struct choice *c, const uint8_t *bytes, size_t len, struct choice_rec *log, uint32_t log_cap)
{
	init_common(c, CHOICE_SWARM, log, log_cap);
	c->swarm_bytes = true;
	c->bytes = bytes;
	c->bytes_len = bytes ? len : 0;
	swarm_config(c);
}

/* choice_pick under a swarm configuration. Kinds without a setting
 * (CK_MODULE picks, and any kind added later) are uniform. */
static uint32_t swarm_pick(struct choice *c, enum choice_kind kind, uint32_t n)
{
	if (kind >= CK_F1_ATTACH && kind <= CK_F5_THREAD)
		return swarm_hit(c, c->swarm_kind[kind]) ? swarm_other(c, n) : 0;
	if (!c->swarm_bytes)
		return prng_bounded(c->prng, n);
	return swarm_u8(c) % n;
}

/* choice_chance: the caller's num/den scaled by the run's setting (at most
 * one half), decided on a 256 scale. */
static bool swarm_chance(struct choice *c, enum choice_kind kind, uint32_t num, uint32_t den)
{
	uint32_t scale = kind < CK_KIND_COUNT && c->swarm_scale[kind] ? c->swarm_scale[kind] : 0;
	if (kind == CK_THREAD || kind > CK_MODULE)
		scale = 4;
	uint64_t chance = ((uint64_t)num * scale * 256) / ((uint64_t)den * 4);
	if (chance > 128)
		chance = 128;
	if (chance == 0 && scale != 0)
		chance = 1;
	return swarm_hit(c, (uint32_t)chance);
}

/* choice_thread: keep the running thread unless the run's preemption chance
 * hits; a choice without the running thread among the options is uniform. */
__attribute__((noinline)) static uint32_t swarm_thread(struct choice *c, uint32_t n, bool current_first)
{
	if (!current_first || c->swarm_switch == 0) /* level 0: uniform, as plain random */
		return c->swarm_bytes ? swarm_u8(c) % n : prng_bounded(c->prng, n);
	return swarm_hit(c, c->swarm_switch) ? swarm_other(c, n) : 0;
}

/* ---- the hot path ---- */

static inline void record(struct choice *c, enum choice_kind kind, uint32_t n, uint32_t v, uint8_t flags)
{
	SIM_ASSERT_LT(v, n, "a choice takes one of its options");
	if (c->log_len < c->log_cap) {
		struct choice_rec *r = &c->log[c->log_len++];
		r->kind = (uint8_t)kind;
		r->pad = flags;
		r->n = (uint16_t)n;
		r->value = (uint16_t)v;
		r->pad2 = 0;
	}
	c->count++;
}

static inline uint32_t from_bytes(struct choice *c, uint32_t n)
{
	/* bytes past the end read as 0 */
	uint32_t raw = 0;
	if (c->bytes_pos < c->bytes_len)
		raw = c->bytes[c->bytes_pos++];
	if (n > 256 && c->bytes_pos < c->bytes_len)
		raw |= (uint32_t)c->bytes[c->bytes_pos++] << 8;
	SIM_ASSERT_LE(c->bytes_pos, c->bytes_len, "the byte stream is read inside its input");
	return raw % n;
}

static uint32_t from_dfs(struct choice *c, uint32_t n)
{
	if (c->count >= c->prefix_len)
		return 0;
	SIM_ASSERT(c->prefix != NULL, "a DFS prefix has storage");
	uint32_t v = c->prefix[c->count];
	if (v >= n) {
		c->diverged = true;
		v = n - 1;
	}
	return v;
}

/* Also returns the recorded flags when the record matches what is asked. */
static uint32_t from_replay(struct choice *c, enum choice_kind kind, uint32_t n, uint8_t *flags)
{
	if (c->count >= c->replay_len)
		return 0;
	SIM_ASSERT(c->replay != NULL, "a replayed log has storage");
	const struct choice_rec *r = &c->replay[c->count];
	if (r->kind != (uint8_t)kind || r->n != n || r->value >= n) {
		c->diverged = true;
		return r->value % n;
	}
	*flags = r->pad & CHOICE_REC_FORCED;
	return r->value;
}

static uint32_t source_other(struct choice *c, enum choice_kind kind, uint32_t n, uint8_t *flags);

/* The value for choice index c->count under every source but PCT threads. */
static inline uint32_t source(struct choice *c, enum choice_kind kind, uint32_t n, uint8_t *flags)
{
	/* The fuzzers' source first and inline: the switch below inlines the
	 * others (swarm's is large), and as one out-of-line function it cost
	 * the byte source three times its own work in spills. */
	if (c->mode == CHOICE_BYTES)
		return from_bytes(c, n);
	return source_other(c, kind, n, flags);
}

__attribute__((noinline)) static uint32_t source_other(struct choice *c, enum choice_kind kind, uint32_t n, uint8_t *flags)
{
	switch (c->mode) {
	case CHOICE_BYTES:
		return from_bytes(c, n);
	case CHOICE_PRNG:
	case CHOICE_PCT:
	case CHOICE_POS:
		return prng_bounded(c->prng, n);
	case CHOICE_DFS:
		return from_dfs(c, n);
	case CHOICE_REPLAY:
		return from_replay(c, kind, n, flags);
	case CHOICE_SWARM:
		return swarm_pick(c, kind, n);
	}
	return 0;
}

uint32_t choice_pick(struct choice *c, enum choice_kind kind, uint32_t n)
{
	if (n <= 1)
		return 0;
	uint8_t flags = 0;
	uint32_t v;
	if (!from_prefix(c, n, &v))
		v = source(c, kind, n, &flags);
	record(c, kind, n, v, flags);
	return v;
}

bool choice_chance(struct choice *c, enum choice_kind kind, uint32_t num, uint32_t den)
{
	if (num == 0 || den == 0)
		return false;
	uint8_t flags = 0;
	uint32_t v;
	if (from_prefix(c, 2, &v)) {
		record(c, kind, 2, v, flags);
		return v != 0;
	}
	switch (c->mode) {
	case CHOICE_BYTES: /* exhausted: false */
		v = c->bytes_pos < c->bytes_len && c->bytes[c->bytes_pos++] % den >= (num >= den ? 0 : den - num);
		/* A zero byte is "no surprise" (false), like every other default. */
		break;
	case CHOICE_PRNG:
	case CHOICE_PCT:
	case CHOICE_POS:
		v = prng_bounded(c->prng, den) < num;
		break;
	case CHOICE_SWARM:
		v = swarm_chance(c, kind, num, den);
		break;
	default:
		v = source(c, kind, 2, &flags);
		break;
	}
	record(c, kind, 2, v, flags);
	return v != 0;
}

/* ---- PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte; ASPLOS 2010) ----
 *
 * Each thread gets a distinct initial priority >= d the first time it is
 * seen: it is inserted at a uniformly random rank among the threads seen so
 * far (shifting those above it up by one), which gives the same uniformly
 * random order as assigning d..d+n-1 at random up front. At the k-th thread
 * choice, if k is change point j (1-based), the running thread drops to
 * priority d - j (in 1..d-1, below every initial one). The highest-priority
 * runnable thread runs. */

static inline uint32_t pct_prio_of(const struct choice *c, uint8_t id)
{
	return id < CHOICE_THREADS_MAX ? c->pct_prio[id] : 0;
}

static void pct_see(struct choice *c, uint8_t id)
{
	uint32_t depth = c->pct_depth;
	SIM_ASSERT_LT(id, CHOICE_THREADS_MAX, "PCT priorities are kept per thread id");
	SIM_ASSERT_LE(depth, c->pct_next_prio, "PCT initial priorities start at the depth");
	uint32_t seen = c->pct_next_prio - depth;
	uint32_t p = depth + prng_bounded(c->prng, seen + 1);
	for (uint32_t t = 0; t < CHOICE_THREADS_MAX; t++)
		if (c->pct_prio[t] >= p)
			c->pct_prio[t]++;
	c->pct_prio[id] = p;
	c->pct_next_prio++;
}

static uint32_t pct_best(const struct choice *c, const uint8_t *ids, uint32_t n)
{
	uint32_t best = 0, best_prio = pct_prio_of(c, ids[0]);
	for (uint32_t i = 1; i < n; i++) {
		uint32_t p = pct_prio_of(c, ids[i]);
		if (p > best_prio) {
			best = i;
			best_prio = p;
		}
	}
	return best;
}

__attribute__((noinline)) static uint32_t pct_thread(struct choice *c, const uint8_t *ids, uint32_t n, bool current_first)
{
	for (uint32_t i = 0; i < n; i++)
		if (ids[i] < CHOICE_THREADS_MAX && c->pct_prio[ids[i]] == 0)
			pct_see(c, ids[i]);
	uint32_t step = ++c->thread_choices;
	for (uint32_t j = 0; j + 1 < c->pct_depth; j++) {
		if (c->pct_change[j] != step)
			continue;
		/* The thread that ran step k. When the running thread is not
		 * among the runnable ones, lower the one that would run now. */
		uint8_t target = current_first ? ids[0] : ids[pct_best(c, ids, n)];
		if (target < CHOICE_THREADS_MAX)
			c->pct_prio[target] = c->pct_depth - (j + 1);
	}
	return pct_best(c, ids, n);
}

/* PCT's and swarm's pickers stay out of line (noinline): inlined, their
 * registers made every pick under the other sources save and restore more. */
uint32_t choice_thread(struct choice *c, const uint8_t *ids, uint32_t n, bool current_first)
{
	if (n <= 1)
		return 0;
	uint8_t flags = 0;
	uint32_t v;
	if (from_prefix(c, n, &v)) {
		if (current_first && v != 0)
			c->preemptions++;
		record(c, CK_THREAD, n, v, flags);
		return v;
	}
	if (c->mode == CHOICE_PCT) {
		v = pct_thread(c, ids, n, current_first);
	} else if (c->mode == CHOICE_SWARM) {
		v = swarm_thread(c, n, current_first);
	} else if (c->mode == CHOICE_POS) {
		v = choice_pos_thread(c, ids, n, current_first);
	} else if (c->mode == CHOICE_DFS && current_first && c->preemptions >= c->preempt_bound) {
		/* Bound reached: keep running the current thread. Logged (so the
		 * run replays exactly) but flagged as no branch for DFS. */
		if (c->count < c->prefix_len && c->prefix[c->count] != 0)
			c->diverged = true;
		record(c, CK_THREAD, n, 0, CHOICE_REC_FORCED);
		return 0;
	} else if (c->mode == CHOICE_DFS && c->dfs_avoid && c->count >= c->prefix_len) {
		/* The first option not avoided (option 0 when every one is). */
		v = 0;
		for (uint32_t k = 0; k < n; k++)
			if (ids[k] >= 32 || !(c->dfs_avoid >> ids[k] & 1u)) {
				v = k;
				break;
			}
	} else {
		v = source(c, CK_THREAD, n, &flags);
	}
	if (current_first && v != 0)
		c->preemptions++;
	record(c, CK_THREAD, n, v, flags);
	return v;
}

/* ---- DFS driver ---- */

bool choice_dfs_next(const struct choice_rec *log, uint32_t log_len, uint16_t *prefix, uint32_t *prefix_len)
{
	for (uint32_t i = log_len; i-- > 0;) {
		const struct choice_rec *r = &log[i];
		if ((r->pad & CHOICE_REC_FORCED) || (uint32_t)r->value + 1 >= r->n)
			continue;
		for (uint32_t k = 0; k < i; k++)
			prefix[k] = log[k].value;
		prefix[i] = (uint16_t)(r->value + 1);
		*prefix_len = i + 1;
		return true;
	}
	*prefix_len = 0;
	return false;
}

/* ---- names ---- */

static const char *const kind_names[CK_KIND_COUNT] = {
	[CK_THREAD] = "thread",
	[CK_F1_ATTACH] = "f1",
	[CK_F2_ORDER] = "f2",
	[CK_F3_IRQL] = "f3",
	[CK_F4_CLEANUP] = "f4",
	[CK_F5_THREAD] = "f5",
	[CK_F6_FAULT] = "f6",
	[CK_POOL_FAULT] = "pool",
	[CK_MODULE] = "module",
};

const char *choice_freedom_name(enum choice_kind kind)
{
	static const char *const names[] = {
		[CK_F1_ATTACH] = "F1 attach-during-register", [CK_F2_ORDER] = "F2 detach-order",
		[CK_F3_IRQL] = "F3 callback-irql", [CK_F4_CLEANUP] = "F4 cleanup-timing",
		[CK_F5_THREAD] = "F5 callback-thread", [CK_F6_FAULT] = "F6 insufficient-resources",
	};
	return kind >= CK_F1_ATTACH && kind <= CK_F6_FAULT ? names[kind] : "?";
}

const char *choice_option_text(enum choice_kind kind, uint32_t v, char buf[24])
{
	static const char *const f1[] = { "attach inside NmrRegister* (handle written first)",
					  "attach inside NmrRegister* before the handle is written",
					  "attach later on an NMR worker" };
	switch (kind) {
	case CK_F1_ATTACH:
		if (v < 3)
			return f1[v];
		break;
	case CK_F2_ORDER:
		snprintf(buf, 24, "detach order %u", v);
		return buf;
	case CK_F3_IRQL:
		return v ? "callback at DISPATCH_LEVEL" : "callback at PASSIVE_LEVEL";
	case CK_F4_CLEANUP:
		return v ? "cleanup later on an NMR worker" : "cleanup inside the call that ended detach";
	case CK_F5_THREAD:
		return v ? "detach on an NMR worker" : "detach on the caller's thread";
	case CK_F6_FAULT:
		return v ? "STATUS_INSUFFICIENT_RESOURCES" : "no fault";
	default:
		break;
	}
	snprintf(buf, 24, "option %u", v);
	return buf;
}

const char *choice_kind_name(enum choice_kind kind)
{
	if ((unsigned)kind < CK_KIND_COUNT)
		return kind_names[kind];
	return "?";
}

int choice_kind_parse(const char *name)
{
	if (!name)
		return -1;
	for (int k = 0; k < CK_KIND_COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}
