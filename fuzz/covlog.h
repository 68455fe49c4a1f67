/* covlog.h - rule coverage over time for the mutator benchmark (covlog.c).
 * Off unless NMRSIM_FUZZ_COVLOG=FILE is set. */
#ifndef NMRSIM_FUZZ_COVLOG_H
#define NMRSIM_FUZZ_COVLOG_H

#include <stdint.h>

/* What the last fuzz_target_run reached: bit per enum rule (rules.h). A
 * target that runs a scenario fills it; covlog_after_run clears it. */
struct fuzz_cov {
	uint64_t touched;  /* rules checked in a state where they apply */
	uint64_t violated; /* rules violated, counted by the target or not */
};
extern struct fuzz_cov fuzz_last_cov;

/* Once per process, before the first input: opens $NMRSIM_FUZZ_COVLOG. */
void covlog_init(void);

/* After each input: appends a line when the process's union grew. */
void covlog_after_run(void);

#endif
