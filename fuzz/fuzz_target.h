/* fuzz_target.h - what one fuzz target provides to the engine glue
 * (fuzz_engine.c), which turns it into a libFuzzer, AFL++, OSS-Fuzz or
 * standalone binary depending on the fuzzing_engine option.
 *
 * A target source (fuzz_scenario.c, fuzz_text.c, fuzz_trace.c, and the
 * lead's fuzz_drivers.c) defines the three symbols below and nothing
 * engine-specific. */
#ifndef NMRSIM_FUZZ_TARGET_H
#define NMRSIM_FUZZ_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Target name for messages ("fuzz_scenario"). */
extern const char fuzz_target_name[];

/* Once per process, before the first input (LLVMFuzzerInitialize, or before
 * __AFL_INIT): allocate the runner. 0 on success, FUZZ_INIT_BAD_OPTION after
 * printing why an option (fuzz_options, environment) is wrong (the glue
 * exits 2), another value when out of memory. */
int fuzz_target_init(void);
#define FUZZ_INIT_BAD_OPTION 2

/* One input. Returns 0 (nothing to report) or 1: a counted finding whose
 * report block(s) and `signature:` line were already printed to stderr. The
 * glue aborts on 1 under a fuzzer (so libFuzzer and AFL++ keep the input) and
 * counts it in the standalone driver. No state may carry to the next call. */
int fuzz_target_run(const uint8_t *data, size_t len);

/* The target options, the same under every engine, parsed by the glue
 * before fuzz_target_init (libFuzzer leaves flags starting with "--" to the
 * target; the AFL++ and standalone binaries take them before their files):
 *   --rules=SPEC       the rules that count (as the tools' --rules), else $NMRSIM_FUZZ_RULES
 *   --suppress=FILE    a suppression file (docs/FINDINGS.md), else $NMRSIM_SUPPRESS
 *   --advisories-fail  advisories count and abort, else $NMRSIM_ADVISORIES_FAIL=1
 * The targets that run rules (fuzz_scenario, fuzz_drivers) apply them;
 * fuzz_text and fuzz_trace check the codecs and have no rule findings. */
struct fuzz_options {
	const char *rules;
	const char *suppress;
	bool advisories_fail;
};
extern struct fuzz_options fuzz_options;

/* Findings set aside by suppressions, and advisories not counted, over the
 * process: the glue prints them in its summary (never silently lost). */
extern unsigned long fuzz_suppressed, fuzz_advisories;

/* Largest input the targets look at; longer inputs are cut (the binary
 * form ignores bytes past its schedule part anyway). */
#define FUZZ_INPUT_MAX (1u << 20)

#endif
