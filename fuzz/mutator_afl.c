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

#define AFL_OUT_MAX (1u << 16)

struct afl_mutator {
	uint64_t seed;           /* advanced per call: AFL passes no seed */
	uint8_t *buf;            /* output of afl_custom_fuzz */
	struct smut_trim *trim;  /* trimming state */
};

void *afl_custom_init(void *afl, unsigned int seed);
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
