/* fuzz_target.h - what one fuzz target provides to the engine glue
 * (fuzz_engine.c), which turns it into a libFuzzer, AFL++, OSS-Fuzz or
 * standalone binary depending on the fuzzing_engine option.
 *
 * A target source (fuzz_scenario.c, fuzz_text.c, fuzz_trace.c, and the
 * lead's fuzz_drivers.c) defines the three symbols below and nothing
 * engine-specific. */
#ifndef NMRSIM_FUZZ_TARGET_H
#define NMRSIM_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Target name for messages ("fuzz_scenario"). */
extern const char fuzz_target_name[];

/* Once per process, before the first input (LLVMFuzzerInitialize, or before
 * __AFL_INIT): allocate the runner. 0 on success. */
int fuzz_target_init(void);

/* One input. Returns 0 (nothing to report) or 1: a counted finding whose
 * report block(s) and `signature:` line were already printed to stderr. The
 * glue aborts on 1 under a fuzzer (so libFuzzer and AFL++ keep the input) and
 * counts it in the standalone driver. No state may carry to the next call. */
int fuzz_target_run(const uint8_t *data, size_t len);

/* Largest input the targets look at; longer inputs are cut (the binary
 * form ignores bytes past its schedule part anyway). */
#define FUZZ_INPUT_MAX (1u << 20)

#endif
