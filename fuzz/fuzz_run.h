/* fuzz_run.h - the run step shared by the targets that run a scenario
 * (fuzz_scenario, fuzz_drivers). */
#ifndef NMRSIM_FUZZ_RUN_H
#define NMRSIM_FUZZ_RUN_H

#include "run/run.h"

/* Run s, leave its rule coverage in fuzz_last_cov (covlog.h), and print
 * every counted finding with its signature line, then `replay: <replay>`.
 * Returns fuzz_target_run's code: 0 nothing counted, 1 a counted finding. */
int fuzz_run_report(struct runner *r, const struct scenario *s, const struct run_options *opt, const char *replay);

#endif
