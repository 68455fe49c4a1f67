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
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
				 uint8_t *out, size_t max_out_size, unsigned int seed);

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
