/* fuzz_scenario.c - the registrar under scripted modules.
 *
 * Input: a binary scenario (scn_decode_binary: every byte string is one);
 * its trailing bytes are the schedule's choice bytes, so the fuzzer mutates
 * operation sequences and interleavings at once. The registrar model is the
 * system under test: only R rules count (rule_mask "R"). Scripted modules
 * are buggy by construction (detach=never, handle=garbage, ...), so their M
 * findings, and the hangs they cause, are filtered out.
 *
 * Replay a crash file: nmr-replay --binary FILE --rules R */
#include <stdio.h>
#include <stdlib.h>

#include "feedback.h"
#include "fuzz_run.h"
#include "fuzz_target.h"
#include "run/run.h"

const char fuzz_target_name[] = "fuzz_scenario";

/* Step budget cap for fuzzing. A finding within the cap happens at the same
 * step in a replay with the input's own budget (the run is a pure function
 * of its input and stops at the first finding), so crash files still replay
 * to the same signature; inputs that spin (poll, a starved thread) stop
 * sooner: the standard scenario takes about 300 steps, a spinning mutant
 * would take the whole default budget of 20000. Not below 4096: PCT sizes
 * its change points from min(steps, 4096), which must not change. */
#define FUZZ_SCENARIO_STEPS_MAX 4096u

static struct runner runner;
static struct scenario scn;
static struct run_options options;

int fuzz_target_init(void)
{
	/* The hosted-driver table is built lazily on first use: build it now,
	 * before AFL++'s fork server, so no input sees the one-time path
	 * (AFL++ stability). */
	(void)image_count();
	options.stop_on_first = true;
	options.keep_events = 1; /* reports need no timeline */
	options.no_choice_log = true; /* nor a choice log */
	options.no_hang_text = true; /* nor the text of the hangs it does not count */
	/* NMRSIM_FUZZ_RULES narrows the counted rules (fuzz/canary.sh counts
	 * only the canary's R08,R10, so an unrelated registrar bug cannot
	 * hide it); default: every R rule. */
	if (!fuzz_feedback_setup(&options) || !fuzz_rules_from_env("R", &options.rule_mask) || !fuzz_findings_setup(&options))
		return FUZZ_INIT_BAD_OPTION;
	return runner_init(&runner);
}

int fuzz_target_run(const uint8_t *data, size_t len)
{
	/* Binary inputs always run the model: it is what is under test. */
	scn_decode_binary_to_run(&scn, data, len, false);
	if (scn.steps_max > FUZZ_SCENARIO_STEPS_MAX)
		scn.steps_max = FUZZ_SCENARIO_STEPS_MAX;
	return fuzz_run_report(&runner, &scn, &options, "nmr-replay --binary FILE --rules R");
}
