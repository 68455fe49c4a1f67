#include "run/explore.h"

#include <string.h>

/* The DFS prefix of the next run; one per process (explorations do not nest). */
static uint16_t dfs_prefix[SCN_CHOICES_MAX];

struct explore_stats explore_run(struct runner *r, const struct scenario *s, const struct explore_config *cfg)
{
	struct explore_stats st = { 0 };
	struct run_options opt = { .stop_on_first = cfg->stop_on_first, .keep_events = 1 };
	struct run_source src = { 0 };
	uint32_t prefix_len = 0;
	if (cfg->dfs_start) {
		prefix_len = cfg->dfs_start_len < SCN_CHOICES_MAX ? cfg->dfs_start_len : SCN_CHOICES_MAX;
		memcpy(dfs_prefix, cfg->dfs_start, sizeof(uint16_t) * prefix_len);
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
						   .preempt_bound = cfg->preempt_bound };
			break;
		case EXPLORE_SWARM:
			src = (struct run_source){ .kind = SOURCE_SWARM, .seed = cfg->seed + i };
			break;
		default:
			src = (struct run_source){ .kind = SOURCE_PRNG, .seed = cfg->seed + i };
			break;
		}
		struct run_result res = run_scenario(r, s, &src, &opt);
		st.runs++;
		st.steps += res.steps;
		bool go_on = true;
		if (res.nfindings) {
			st.runs_with_findings++;
			if (cfg->on_finding)
				go_on = cfg->on_finding(cfg->ctx, &res, &src, i);
		}
		if (cfg->on_progress && cfg->progress_every && st.runs % cfg->progress_every == 0)
			cfg->on_progress(cfg->ctx, &st);
		if (!go_on)
			break;
		if (cfg->strategy == EXPLORE_DFS) {
			if (res.nchoices >= SCN_CHOICES_MAX)
				st.truncated = true;
			if (!choice_dfs_next(res.choices, res.nchoices, dfs_prefix, &prefix_len)) {
				st.exhausted = true;
				break;
			}
		}
	}
	if (cfg->on_progress)
		cfg->on_progress(cfg->ctx, &st);
	return st;
}
