/* feedback.h - interleaving coverage (sim/run/interleave.h) as fuzzer
 * feedback: the runs of fuzz_scenario and fuzz_drivers count their
 * interleaving features into a map that libFuzzer reads as extra counters
 * and that is folded into AFL++'s coverage map, so both keep inputs that
 * reach a new interleaving, not only new code.
 *
 * Off unless NMRSIM_FUZZ_INTERLEAVE=1 (the campaign sets it): off, the runs
 * count nothing and cost nothing more. */
#ifndef NMRSIM_FUZZ_FEEDBACK_H
#define NMRSIM_FUZZ_FEEDBACK_H

#include "run/run.h"

#define FUZZ_FEEDBACK_SLOTS 4096

/* Once, at target init: read the variable and point opt at the map if on.
 * Returns false with a message naming the variable for a bad value. */
bool fuzz_feedback_setup(struct run_options *opt);

/* After each run: AFL++ builds fold the map into __afl_area_ptr and clear
 * it (libFuzzer clears its extra counters itself). */
void fuzz_feedback_after_run(const struct run_options *opt);

#endif
