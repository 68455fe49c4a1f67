/* mutator_libfuzzer.c - libFuzzer's custom mutator hooks for binary
 * scenario targets: structure-aware mutation (scn_mutate.c), with about one
 * call in five left to libFuzzer's own byte mutations (LLVMFuzzerMutate),
 * which keep finding what structure alone would not (odd bit patterns in
 * ignored fields are harmless: decoding is total). */
#include <stddef.h>
#include <stdint.h>

#include "scn_mutate.h"

/* fuzz_drivers is built with NMRSIM_FUZZ_DRIVERS (fuzz/meson.build): its
 * inputs decode as drivers (scn_decode_binary_drivers). */
#ifdef NMRSIM_FUZZ_DRIVERS
#define MUTATOR_MODE SMUT_DRIVERS
#else
#define MUTATOR_MODE SMUT_SCENARIO
#endif

/* Weak: under an engine without it (an OSS-Fuzz AFL++ or honggfuzz build
 * links this file too) the byte fallback is simply off. */
__attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
const char *const *fuzz_default_flags(void);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
				 uint8_t *out, size_t max_out_size, unsigned int seed);

/* -reduce_inputs=0: libFuzzer's input reduction replaces a corpus input
 * whenever a smaller mutant has the same features. Structural mutants are
 * often exactly that (an op deleted after the run already stopped, choice
 * bytes past the last choice), so reductions outnumbered new inputs 5 to 1,
 * each a file written and the corpus weights recomputed: a third of the
 * run's time. Without it fuzz_scenario runs 49k -> 68k exec/s and reaches
 * full rule coverage in 0.73 s instead of 1.44 s (8 seeds; the bytes-only
 * twin is unaffected, 0.98 s either way). Crash inputs are still minimised
 * by -minimize_crash=1 or tools/nmr-minimize, corpora by -merge=1. */
const char *const *fuzz_default_flags(void)
{
	static const char *const flags[] = { "-reduce_inputs=0", NULL };
	return LLVMFuzzerMutate ? flags : NULL; /* libFuzzer's flags, not another engine's */
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	smut_set_mode(MUTATOR_MODE);
	return smut_mutate(data, size, max_size, seed, LLVMFuzzerMutate ? LLVMFuzzerMutate : NULL);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
				 uint8_t *out, size_t max_out_size, unsigned int seed)
{
	smut_set_mode(MUTATOR_MODE);
	return smut_crossover(data1, size1, data2, size2, out, max_out_size, seed);
}
