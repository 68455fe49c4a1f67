#include "run/explore.h"

#include <string.h>

/* The DFS prefix of the next run and the reduced search's tree; one per
 * process (explorations do not nest). */
static uint16_t dfs_prefix[SCN_CHOICES_MAX];
static struct dpor own_dpor;

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

struct explore_stats explore_run(struct runner *r, const struct scenario *s, const struct explore_config *cfg)
{
	struct explore_stats st = { 0 };
	struct run_options opt = { .stop_on_first = cfg->stop_on_first, .keep_events = 1, .rule_mask = cfg->rule_mask,
				   .suppress = cfg->suppress, .advisories_fail = cfg->advisories_fail };
	struct run_source src = { 0 };
	uint32_t prefix_len = 0;
	if (cfg->dfs_start) {
		prefix_len = cfg->dfs_start_len < SCN_CHOICES_MAX ? cfg->dfs_start_len : SCN_CHOICES_MAX;
		memcpy(dfs_prefix, cfg->dfs_start, sizeof(uint16_t) * prefix_len);
	} else if (cfg->strategy == EXPLORE_DFS && cfg->por) {
		dpor_init(dpor_of(cfg), cfg->preempt_bound); /* a fresh tree; a restart keeps it */
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
						   .preempt_bound = cfg->preempt_bound, .por = cfg->por };
			break;
		default:
			src = (struct run_source){ .kind = SOURCE_PRNG, .seed = cfg->seed + i };
			break;
		}
		struct run_result res = run_scenario(r, s, &src, &opt);
		st.runs++;
		st.steps += res.steps;
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
		if (cfg->freedoms_every && !res.nfindings && i % cfg->freedoms_every == 0 &&
		    !check_freedoms(r, s, cfg, &opt, &res, i, &st))
			break;
		if (!more)
			break;
	}
	if (cfg->on_progress)
		cfg->on_progress(cfg->ctx, &st);
	return st;
}
