/* minimize.h - shrink a finding's scenario while it keeps the SAME signature.
 *
 * A candidate is kept only if a run of it still reports the target signature
 * among its counted findings (not just any finding). Passes, repeated until
 * nothing changes: the schedule (none at all, else the run's choices as
 * schedule bytes, else as recorded choices), delta debugging over the ops,
 * threads and modules removed, module behaviours and op arguments set to
 * their defaults, the environment (registrar, faults, workers, step budget)
 * lowered, and the choice stream cut, zeroed and thinned.
 *
 * Everything runs in-process on the caller's runner; a run allocates nothing.
 */
#ifndef NMRSIM_TOOLS_MINIMIZE_H
#define NMRSIM_TOOLS_MINIMIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "target.h"

struct min_config {
	uint64_t rule_mask;       /* findings that count (0 = all) */
	const char *signature;    /* keep this one; NULL: the first counted finding's */
	uint32_t runs_max;        /* give up shrinking after this many runs (0: 200000) */
	FILE *log;                /* progress lines, or NULL */
};

struct min_stats {
	char signature[TGT_SIG_MAX]; /* the signature kept */
	uint32_t runs;            /* runs spent */
	uint32_t ops_before, ops_after;
	uint32_t modules_before, modules_after;
	uint32_t threads_before, threads_after;
	uint32_t choices_before;  /* choices the original run took */
	uint32_t choices_after;   /* schedule bytes or recorded choices left */
	bool budget_hit;          /* stopped at runs_max */
};

/* Shrink in into out. Returns 0; -1 if in does not report the signature
 * (reason in err). out carries an `expect` line with the rules its run
 * reports (under every rule), so `nmr-replay --expect` checks it. */
int min_minimize(struct runner *r, const struct scenario *in, const struct min_config *cfg, struct scenario *out,
		 struct min_stats *st, char *err, size_t errcap);

/* Print out as a readable text scenario: comment lines (signature, origin),
 * then the canonical form. Returns 0 or -1 on write error. */
int min_print(FILE *f, const struct scenario *out, const struct min_stats *st, const char *origin);

#endif
