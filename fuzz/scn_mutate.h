/* scn_mutate.h - structure-aware mutation of binary scenarios, shared by
 * the libFuzzer custom mutator (mutator_libfuzzer.c) and the AFL++ custom
 * mutator library (mutator_afl.c).
 *
 * An input is decoded (scn_decode_binary), the struct scenario is mutated
 * (insert, delete, duplicate, swap and retarget operations; change module
 * behaviours and the environment; splice and flip choice-stream bytes) and
 * encoded again (scn_encode_binary), so every output is a well-formed
 * scenario the fuzzer could not easily reach byte by byte. Not thread-safe
 * (static scratch scenarios): one fuzzer process, one thread. */
#ifndef NMRSIM_SCN_MUTATE_H
#define NMRSIM_SCN_MUTATE_H

#include <stddef.h>
#include <stdint.h>

/* How the target decodes its inputs: scn_decode_binary (scripted modules,
 * fuzz_scenario) or scn_decode_binary_drivers (every module one of the
 * drivers linked into the binary, fuzz_drivers). In drivers mode a module
 * mutation adds, drops or swaps a driver, and ops are load, unload, yield
 * and irql. Set once, before the first mutation; the default is scenario. */
enum smut_mode { SMUT_SCENARIO = 0, SMUT_DRIVERS };
void smut_set_mode(enum smut_mode m);

/* Byte-level fallback (LLVMFuzzerMutate): mutates data[0..size) in place
 * within max_size, returns the new size. NULL: never fall back. */
typedef size_t (*smut_bytes_fn)(uint8_t *data, size_t size, size_t max_size);

/* Mutate data (size bytes, buffer of max_size) in place; returns the new
 * size (<= max_size). seed picks the mutations (same seed, same result).
 * About one call in five goes to the byte fallback when there is one. */
size_t smut_mutate(uint8_t *data, size_t size, size_t max_size, uint64_t seed, smut_bytes_fn bytes);

/* Cross two inputs into out (max_size bytes): modules, one thread's
 * operations or a choice-stream tail from b spliced into a. Returns the size. */
size_t smut_crossover(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out,
		      size_t max_size, uint64_t seed);

/* Trimming that keeps inputs well-formed (AFL++ trim): the candidates are
 * the canonical encoding, then the current scenario without one op (last to
 * first), then with its choice bytes halved. */
struct smut_trim;
struct smut_trim *smut_trim_new(void);
void smut_trim_free(struct smut_trim *t);
/* Start on an input; returns the number of candidate steps. */
int smut_trim_init(struct smut_trim *t, const uint8_t *data, size_t size);
/* The current candidate; *out stays valid until the next call. */
size_t smut_trim_candidate(struct smut_trim *t, const uint8_t **out);
/* The candidate kept the input's coverage (success) or not; returns the
 * next step index (== the count from init when done). */
int smut_trim_next(struct smut_trim *t, int success);

#endif
