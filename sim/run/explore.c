#include "run/explore.h"

#include <string.h>

/* The DFS prefix of the next run and the reduced search's tree; one per
 * process (explorations do not nest). */
static uint16_t dfs_prefix[SCN_CHOICES_MAX];
static struct dpor own_dpor;
_Static_assert(RUN_POR_STEPS <= DPOR_STEPS_MAX, "a run's logged steps fit the analysis's copy of them");
_Static_assert(RUN_POR_KEYS <= DPOR_LISTED_MAX, "a run's exact keys fit the analysis's copy of them");

static struct dpor *dpor_of(const struct explore_config *cfg)
{
	return cfg->por_state ? cfg->por_state : &own_dpor;
}

bool explore_dfs_next(const struct explore_config *cfg, const struct choice_rec *log, uint32_t nlog,
		      uint32_t prefix_len, const struct sched_por *por, uint16_t *prefix, uint32_t *next_len)
{
	if (!cfg->por)
		return choice_dfs_next(log, nlog, prefix, next_len);
	struct dpor *d = dpor_of(cfg);
	dpor_after_run(d, log, nlog, prefix_len, por);
	return dpor_next(d, log, nlog, prefix, next_len);
}

/* The differential runs of one explored run, relayed with its index. */
struct freedom_relay {
	const struct explore_config *cfg;
	uint64_t run_index;
	bool go_on;
};

static bool relay_dependence(void *ctx, const struct freedom_dependence *d)
{
	struct freedom_relay *x = ctx;
	if (x->cfg->on_dependence && !x->cfg->on_dependence(x->cfg->ctx, d, x->run_index))
		x->go_on = false;
	return x->go_on;
}

static void relay_finding(void *ctx, const struct run_result *res)
{
	struct freedom_relay *x = ctx;
	if (x->cfg->on_finding && !x->cfg->on_finding(x->cfg->ctx, res, NULL, x->run_index))
		x->go_on = false;
}

static bool check_freedoms(struct runner *r, const struct scenario *s, const struct explore_config *cfg,
			   const struct run_options *opt, const struct run_result *res, uint64_t i,
			   struct explore_stats *st)
{
	struct freedom_relay x = { .cfg = cfg, .run_index = i, .go_on = true };
	struct freedom_config fc = { .opt = *opt, .points_max = cfg->freedom_points, .on_dependence = relay_dependence,
				     .on_finding = relay_finding, .ctx = &x };
	freedoms_check(r, s, res->choices, res->nchoices, &fc, &st->freedoms);
	return x.go_on;
}

/* ---- EXPLORE_COVER: the kept runs and the coverage seen (one per process) ---- */

#define COVER_SLOTS 4096        /* interleaving feature map */
#define COVER_KEPT_MAX 512      /* runs kept */
#define COVER_CHOICES_MAX 1024  /* choices kept per run (a change point lies within them) */

struct cover_run {
	uint16_t values[COVER_CHOICES_MAX]; /* its choices */
	uint16_t options[COVER_CHOICES_MAX];/* how many options each had */
	uint32_t len;
};

static struct {
	uint8_t seen[COVER_SLOTS];  /* per slot: the count buckets seen (bit per bucket) */
	uint8_t map[COVER_SLOTS];   /* this run's counters */
	struct cover_run kept[COVER_KEPT_MAX];
	uint32_t nkept;
	uint64_t prng[4];           /* which run to change and where */
	uint16_t prefix[COVER_CHOICES_MAX];
} cover;

/* AFL's count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
static uint8_t bucket(uint8_t n)
{
	return n == 0 ? 0 : n < 4 ? (uint8_t)(1u << (n - 1)) : n < 8 ? 8 : n < 16 ? 16 : n < 32 ? 32 : n < 128 ? 64 : 128;
}

static void cover_start(uint64_t seed)
{
	memset(cover.seen, 0, sizeof cover.seen);
	cover.nkept = 0;
	uint64_t sm = seed ^ 0x636f766572ull; /* "cover": apart from the runs' own seeds */
	for (int i = 0; i < 4; i++)
		cover.prng[i] = choice_splitmix64(&sm);
}

uint32_t explore_below(uint64_t prng[4], uint32_t n)
{
	return (uint32_t)((choice_prng_next(prng) >> 32) % n);
}

static uint32_t cover_below(uint32_t n)
{
	return explore_below(cover.prng, n);
}

uint32_t explore_change_any(uint64_t prng[4], const uint16_t *values, const uint16_t *options, uint32_t len,
			    uint16_t *prefix)
{
	uint32_t cut = explore_below(prng, len);
	memcpy(prefix, values, sizeof(uint16_t) * cut);
	uint32_t n = options[cut];
	prefix[cut] = (uint16_t)((values[cut] + 1 + explore_below(prng, n > 1 ? n - 1 : 1)) % (n ? n : 1));
	return cut;
}

uint32_t explore_change_tail(uint64_t prng[4], const uint16_t *values, uint32_t len, uint32_t cut, uint16_t *prefix)
{
	/* Half the time the rest of the kept run follows the changed choice
	 * (where its values still fit), so the change is tried in the context
	 * that made the run interesting; else fresh choices follow it. */
	if (explore_below(prng, 2) != 0)
		return cut + 1;
	memcpy(prefix + cut + 1, values + cut + 1, sizeof(uint16_t) * (len - cut - 1));
	return len;
}

/* The source of run i: a fresh swarm run one time in four (and until a run
 * was kept), else a kept run changed at one choice. */
static struct run_source cover_source(uint64_t seed)
{
	struct run_source src = { .kind = SOURCE_SWARM, .seed = seed };
	if (cover.nkept == 0 || cover_below(4) == 0)
		return src;
	const struct cover_run *k = &cover.kept[cover_below(cover.nkept)];
	if (k->len == 0)
		return src;
	uint32_t cut = explore_change_any(cover.prng, k->values, k->options, k->len, cover.prefix);
	src.prefix = cover.prefix;
	src.prefix_len = explore_change_tail(cover.prng, k->values, k->len, cut, cover.prefix);
	return src;
}

/* Keep the run if it showed a feature count bucket not seen before. */
static void cover_learn(const struct run_result *res)
{
	bool fresh = false;
	for (uint32_t i = 0; i < COVER_SLOTS; i++) {
		uint8_t b = bucket(cover.map[i]);
		if (b & ~cover.seen[i]) {
			cover.seen[i] |= b;
			fresh = true;
		}
	}
	if (!fresh || res->nchoices == 0)
		return;
	struct cover_run *k = &cover.kept[cover.nkept < COVER_KEPT_MAX ? cover.nkept++ : cover_below(COVER_KEPT_MAX)];
	k->len = res->nchoices < COVER_CHOICES_MAX ? res->nchoices : COVER_CHOICES_MAX;
	for (uint32_t i = 0; i < k->len; i++) {
		k->values[i] = res->choices[i].value;
		k->options[i] = res->choices[i].n;
	}
}

struct explore_stats explore_run(struct runner *r, const struct scenario *s, const struct explore_config *cfg)
{
	struct explore_stats st = { 0 };
	struct run_options opt = { .stop_on_first = cfg->stop_on_first, .keep_events = 1, .rule_mask = cfg->rule_mask,
				   .suppress = cfg->suppress, .advisories_fail = cfg->advisories_fail };
	struct run_source src = { 0 };
	uint32_t prefix_len = 0;
	if (cfg->strategy == EXPLORE_COVER) {
		cover_start(cfg->seed);
		opt.interleave_map = cover.map;
		opt.interleave_slots = COVER_SLOTS;
	} else if (cfg->strategy == EXPLORE_RACE) {
		explore_race_start(cfg->seed, cfg->race_off, cfg->race_without);
	} else if (cfg->strategy == EXPLORE_PCTR) {
		explore_pctr_start(cfg->seed, cfg->pctr_without);
	}
	if (cfg->dfs_start) {
		prefix_len = cfg->dfs_start_len < SCN_CHOICES_MAX ? cfg->dfs_start_len : SCN_CHOICES_MAX;
		memcpy(dfs_prefix, cfg->dfs_start, sizeof(uint16_t) * prefix_len);
	} else if (cfg->strategy == EXPLORE_DFS && cfg->por) {
		dpor_init(dpor_of(cfg), cfg->preempt_bound, cfg->por_without); /* a fresh tree; a restart keeps it */
	}
	for (uint64_t i = cfg->first_run; cfg->runs_max == 0 || i < cfg->runs_max; i++) {
		if (cfg->stop && *cfg->stop)
			break;
		if (cfg->at)
			*cfg->at = i;
		switch (cfg->strategy) {
		case EXPLORE_PCT:
			src = (struct run_source){ .kind = SOURCE_PCT, .seed = cfg->seed + i, .pct_depth = cfg->pct_depth };
			break;
		case EXPLORE_DFS:
			src = (struct run_source){ .kind = SOURCE_DFS, .prefix = dfs_prefix, .prefix_len = prefix_len,
						   .preempt_bound = cfg->preempt_bound, .por = cfg->por,
						   .por_fine = cfg->por ? dpor_fine(cfg->por_without) : 0,
						   .steer = cfg->por && !(cfg->por_without & DPOR_NO_STEER) ? dpor_of(cfg) : NULL };
			break;
		case EXPLORE_SWARM:
			src = (struct run_source){ .kind = SOURCE_SWARM, .seed = cfg->seed + i };
			break;
		case EXPLORE_POS:
			src = (struct run_source){ .kind = SOURCE_POS, .seed = cfg->seed + i, .por = true };
			break;
		case EXPLORE_COVER:
			src = cover_source(cfg->seed + i);
			memset(cover.map, 0, sizeof cover.map);
			break;
		case EXPLORE_RACE:
			src = explore_race_source(cfg->seed + i);
			break;
		case EXPLORE_PCTR:
			src = explore_pctr_source(cfg->seed + i);
			break;
		default:
			src = (struct run_source){ .kind = SOURCE_PRNG, .seed = cfg->seed + i };
			break;
		}
		struct run_result res = run_scenario(r, s, &src, &opt);
		st.runs++;
		st.steps += res.steps;
		if (cfg->strategy == EXPLORE_COVER)
			cover_learn(&res);
		else if (cfg->strategy == EXPLORE_RACE)
			explore_race_learn(&res);
		else if (cfg->strategy == EXPLORE_PCTR)
			explore_pctr_learn(&res);
		bool go_on = true;
		if (res.nfindings || res.nsuppressed) {
			st.runs_with_findings += res.nfindings != 0;
			if (cfg->on_finding)
				go_on = cfg->on_finding(cfg->ctx, &res, &src, i);
		}
		if (cfg->on_progress && cfg->progress_every && st.runs % cfg->progress_every == 0)
			cfg->on_progress(cfg->ctx, &st);
		if (!go_on)
			break;
		bool more = true;
		if (cfg->strategy == EXPLORE_DFS) {
			if (res.nchoices >= SCN_CHOICES_MAX)
				st.truncated = true;
			more = explore_dfs_next(cfg, res.choices, res.nchoices, prefix_len, res.por, dfs_prefix, &prefix_len);
			st.exhausted = !more;
		}
		/* After the DFS step: the differential runs reuse the choice log. */
		/* Clean as counted: advisories alone (M22, which shipped drivers
		 * raise in every run) do not keep a run from the freedom check. */
		if (cfg->freedoms_every && !res.nfailing && i % cfg->freedoms_every == 0 &&
		    !check_freedoms(r, s, cfg, &opt, &res, i, &st))
			break;
		if (!more)
			break;
	}
	if (cfg->on_progress)
		cfg->on_progress(cfg->ctx, &st);
	return st;
}
