/* freedoms.h - differential runs over the documented freedoms (advisory M23).
 *
 * A correct module is correct under every freedom F1-F5 that NMR may take
 * (CONTRACTS.md): attach inside NmrRegister* or later, the detach order, the
 * callbacks' IRQL, when cleanup runs, which thread delivers. A module whose
 * visible outcome (outcome.h: DriverEntry status, bindings formed, Unload)
 * changes with one of them works only on registrars that happen to take the
 * option it was tested with.
 *
 * The check, for one run R with choice log c[0..n): every choice c[i] that is
 * a freedom F1-F5 with more than one option is a decision point (at most
 * `points_max` per run, the first ones). For each point, run
 *   A = c[0..i-1], c[i],  then option 0 for every later choice
 *   B = c[0..i-1], v,     then option 0 for every later choice
 * for each other option v of that freedom (at most FREEDOM_ALTS_MAX). A and B
 * are the same operations under the same choices up to the decision; after
 * it both take the plain behaviour (keep running the current thread, no
 * fault, the registrar's simplest option), so they differ only in that one
 * freedom and in what it caused. When A and B are both free of findings and
 * their outcomes differ, that is a freedom dependence: M23, naming the
 * freedom, the module, both outcomes, with both choice logs as reproducers
 * (each replays exactly: a trace file). F6 (INSUFFICIENT_RESOURCES) is not
 * flipped: a driver passing the registrar's error on is the contract. A run
 * of the pair that has findings is handed over as an ordinary finding.
 *
 * Cost: (1 + alternatives) runs per decision point; callers sample
 * (nmr-explore --freedoms N checks every N-th run).
 */
#ifndef NMRSIM_FREEDOMS_H
#define NMRSIM_FREEDOMS_H

#include <stdbool.h>
#include <stdint.h>

#include "run/run.h"

#define FREEDOM_POINTS_MAX 16  /* decision points checked per run (default) */
#define FREEDOM_ALTS_MAX 3     /* other options tried per point */

struct freedom_dependence {
	uint8_t kind;             /* enum choice_kind: the freedom */
	uint8_t module;           /* the module whose outcome differs */
	uint32_t index;           /* the decision's choice index */
	uint16_t value_a, value_b;/* option taken in A and in B */
	char what_a[96], what_b[96]; /* the outcome in A and in B */
	struct run_result a, b;   /* the two runs: choices, hash (valid during the callback) */
	struct finding finding;   /* M23 as a finding (SITE_FREEDOM), for reports and signatures */
};

struct freedom_config {
	struct run_options opt;   /* as the caller's runs (rule_mask, stop_on_first); outcome is set here */
	uint32_t points_max;      /* 0: FREEDOM_POINTS_MAX */
	/* A dependence found; return false to stop checking this run. */
	bool (*on_dependence)(void *ctx, const struct freedom_dependence *d);
	/* A differential run with findings (a real bug this run reached); may be NULL. */
	void (*on_finding)(void *ctx, const struct run_result *res);
	void *ctx;
};

struct freedom_stats {
	uint64_t points;          /* decision points checked */
	uint64_t runs;            /* differential runs made */
	uint64_t steps;           /* their steps */
	uint64_t dependences;     /* reported */
};

/* The differential check around a finished run's choice log (copied first:
 * the runs below reuse the runner). Adds to *stats. */
void freedoms_check(struct runner *r, const struct scenario *s, const struct choice_rec *log, uint32_t nlog,
		    const struct freedom_config *cfg, struct freedom_stats *stats);

/* Whether a choice is a decision point: a freedom F1-F5 with options. */
bool freedoms_is_point(const struct choice_rec *c);
/* Free the runner's working logs of the checks (runner_fini). */
void freedoms_fini(struct runner *r);

#endif
