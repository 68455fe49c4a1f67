/* fuzz_drivers.c - hosted drivers under the registrar model.
 *
 * Input: a binary scenario read by scn_decode_binary_drivers: every module
 * is one of the drivers linked into this binary (the bundled examples, or
 * yours with -Ddrivers=... / tools/nmrsim-build), the ops load and unload
 * them on scripted threads, and the trailing bytes are the choice stream
 * (interleavings, NMR freedoms F1-F6, pool and NMR allocation failures).
 * The drivers are the system under test: every rule counts, unless
 * NMRSIM_FUZZ_RULES narrows them (e.g. "M,K" to set the L rules aside).
 *
 * Replay a crash file: nmr-replay --drivers FILE */
#include <stdio.h>

#include "feedback.h"
#include "fuzz_run.h"
#include "fuzz_target.h"
#include "core/images.h" /* image_count */
#include "run/run.h"

const char fuzz_target_name[] = "fuzz_drivers";

/* As fuzz_scenario: findings within the cap replay at the same step with
 * the input's own budget. */
#define FUZZ_DRIVERS_STEPS_MAX 20000u

static struct runner runner;
static struct scenario scn;
static struct run_options options;

int fuzz_target_init(void)
{
	options.stop_on_first = true;
	options.keep_events = 1; /* reports need no timeline */
	options.no_choice_log = true; /* nor a choice log */
	if (!fuzz_feedback_setup(&options) || !fuzz_rules_from_env(NULL, &options.rule_mask) || !fuzz_findings_setup(&options))
		return FUZZ_INIT_BAD_OPTION;
	if (image_count() == 0)
		fprintf(stderr, "fuzz_drivers: no driver linked into this binary; every input is empty\n");
	return runner_init(&runner);
}

int fuzz_target_run(const uint8_t *data, size_t len)
{
	scn_decode_binary_to_run(&scn, data, len, true);
	if (scn.steps_max > FUZZ_DRIVERS_STEPS_MAX)
		scn.steps_max = FUZZ_DRIVERS_STEPS_MAX;
	return fuzz_run_report(&runner, &scn, &options, "nmr-replay --drivers FILE");
}
