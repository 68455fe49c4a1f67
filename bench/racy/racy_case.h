/* racy_case.h - what racy-bench and the strategy tests of the racy-bug
 * benchmark share: loading a case or its correct twin, medians. */
#ifndef NMRSIM_RACY_CASE_H
#define NMRSIM_RACY_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "run/explore.h"
#include "scenario/scenario.h"

/* Parse the case file at path into s; with twin, every "_bug" driver
 * becomes its "_fix" build first. 0, or -1 with file:line:reason on
 * stderr (prefixed by who when the file cannot be read). */
int racy_case_load(struct scenario *s, const char *path, bool twin, const char *who);

/* Lower median of n values (sorts them). */
uint64_t racy_median(uint64_t *v, unsigned n);

/* What an exploration found: the first run with a finding (UINT64_MAX:
 * none), the runs with findings, their trace hashes folded in order. */
struct racy_seen {
	uint64_t first;
	uint64_t found;
	uint64_t hashes;
};
/* Explore s under cfg (its on_finding and ctx are replaced), every run. */
struct racy_seen racy_explore(struct runner *r, const struct scenario *s, struct explore_config cfg);

/* The strategy tests' comparison: from seeds 1..n (the explorer's seed
 * k << 32, as racy-bench), the index of the first run with a finding
 * under strategy st and under seeded random, each within budget runs
 * (UINT64_MAX: none), printed per seed as "CASE seed K: ..." */
void racy_first_findings(struct runner *r, const struct scenario *s, const char *case_label, enum explore_strategy st,
			 const char *st_name, unsigned n, uint64_t budget, uint64_t *st_first, uint64_t *rnd_first);

/* The first finding of an exploration run in a child process, so a driver
 * that crashes (a use after free the oracle did not see first) is finding
 * K08 at the run in progress, as under nmr-explore: run UINT64_MAX when no
 * run of cfg.runs_max had a finding (cfg's on_finding, ctx and at are
 * replaced). Exits 2 if the child cannot be made or dies otherwise. */
struct racy_first {
	uint64_t run;
	enum rule rule;
};
struct racy_first racy_first_isolated(struct runner *r, const struct scenario *s, struct explore_config cfg);

#endif
