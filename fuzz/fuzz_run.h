/* fuzz_run.h - the run step shared by the targets that run a scenario
 * (fuzz_scenario, fuzz_drivers). */
#ifndef NMRSIM_FUZZ_RUN_H
#define NMRSIM_FUZZ_RUN_H

#include "run/run.h"

/* Run s, leave its rule coverage in fuzz_last_cov (covlog.h), and print
 * every counted finding with its signature line, then `replay: <replay>`.
 * Returns fuzz_target_run's code: 0 nothing counted, 1 a counted finding. */
int fuzz_run_report(struct runner *r, const struct scenario *s, const struct run_options *opt, const char *replay);

/* The rules a target counts: --rules=SPEC, else NMRSIM_FUZZ_RULES if set
 * ("R", "M04,K", "all"; the same spelling as the tools' --rules), else dflt
 * (NULL: every rule). Returns false, with a message naming the option or
 * variable, when the value names no rule. */
bool fuzz_rules_from_env(const char *dflt, uint64_t *mask);

/* Suppressions (--suppress=FILE, else $NMRSIM_SUPPRESS) and whether
 * advisories fail (fuzz_options) into opt. false, with "file:line: reason",
 * on a bad suppression file. */
bool fuzz_findings_setup(struct run_options *opt);

#endif
