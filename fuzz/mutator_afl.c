/* mutator_afl.c - the AFL++ custom mutator library for binary scenario
 * targets (AFL_CUSTOM_MUTATOR_LIBRARY=build/fuzz/libnmrsim-afl-mutator.so).
 * Same mutation code as the libFuzzer hooks (scn_mutate.c). AFL++ keeps its
 * own havoc stage too unless AFL_CUSTOM_MUTATOR_ONLY=1; trimming goes
 * through afl_custom_init_trim/trim/post_trim, whose candidates are always
 * well-formed scenarios (ops removed whole, choice bytes halved), never
 * arbitrary byte cuts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scn_mutate.h"

/* libnmrsim-afl-mutator-drivers.so is this file built with
 * NMRSIM_FUZZ_DRIVERS and the hosted driver table: fuzz_drivers' inputs. */
#ifdef NMRSIM_FUZZ_DRIVERS
#define MUTATOR_MODE SMUT_DRIVERS
#else
#define MUTATOR_MODE SMUT_SCENARIO
#endif

#define AFL_OUT_MAX (1u << 16)

struct afl_mutator {
	uint64_t seed;           /* advanced per call: AFL passes no seed */
	uint8_t *buf;            /* output of afl_custom_fuzz */
	struct smut_trim *trim;  /* trimming state */
};

void *afl_custom_init(void *afl, unsigned int seed);
uint32_t afl_custom_fuzz_count(void *data, const uint8_t *buf, size_t buf_size);
/* Structural mutants per queue entry, before AFL++'s havoc stage on it.
 * Without this hook AFL++ sizes the stage like havoc and doubles it on
 * every new path: from the empty input the structural mutants find paths
 * so fast that a 10 s run never left the first queue entry (cur_item 0,
 * 13k exec/s), and rule coverage stalled. With a fixed count AFL++ cycles
 * through its queue; 64 reached full rule coverage soonest of 16, 64, 256
 * and 1024 (fuzz/bench_mutator.py --afl, 8 seeds). */
#define AFL_FUZZ_COUNT 64u

uint32_t afl_custom_fuzz_count(void *data, const uint8_t *buf, size_t buf_size)
{
	(void)data;
	(void)buf;
	(void)buf_size;
	return AFL_FUZZ_COUNT;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
		       size_t add_buf_size, size_t max_size);
int32_t afl_custom_init_trim(void *data, uint8_t *buf, size_t buf_size);
size_t afl_custom_trim(void *data, uint8_t **out_buf);
int32_t afl_custom_post_trim(void *data, unsigned char success);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	struct afl_mutator *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->seed = seed;
	smut_set_mode(MUTATOR_MODE);
	m->buf = malloc(AFL_OUT_MAX);
	m->trim = smut_trim_new();
	if (!m->buf || !m->trim) {
		afl_custom_deinit(m);
		return NULL;
	}
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
		       size_t add_buf_size, size_t max_size)
{
	struct afl_mutator *m = data;
	size_t cap = max_size < AFL_OUT_MAX ? max_size : AFL_OUT_MAX;
	uint64_t seed = m->seed++ * 0x9e3779b97f4a7c15ull;
	size_t n;
	if (add_buf && add_buf_size && (seed >> 60) < 3) {
		n = smut_crossover(buf, buf_size, add_buf, add_buf_size, m->buf, cap, seed);
	} else {
		n = buf_size < cap ? buf_size : cap;
		memcpy(m->buf, buf, n);
		n = smut_mutate(m->buf, n, cap, seed, NULL);
	}
	*out_buf = m->buf;
	return n;
}

int32_t afl_custom_init_trim(void *data, uint8_t *buf, size_t buf_size)
{
	struct afl_mutator *m = data;
	return smut_trim_init(m->trim, buf, buf_size);
}

size_t afl_custom_trim(void *data, uint8_t **out_buf)
{
	struct afl_mutator *m = data;
	const uint8_t *out;
	size_t n = smut_trim_candidate(m->trim, &out);
	memcpy(m->buf, out, n);
	*out_buf = m->buf;
	return n;
}

int32_t afl_custom_post_trim(void *data, unsigned char success)
{
	struct afl_mutator *m = data;
	return smut_trim_next(m->trim, success);
}

void afl_custom_deinit(void *data)
{
	struct afl_mutator *m = data;
	if (!m)
		return;
	smut_trim_free(m->trim);
	free(m->buf);
	free(m);
}
