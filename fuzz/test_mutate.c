/* test_mutate - the structure-aware mutator keeps inputs well-formed.
 *
 *   test_mutate SEED_DIR     (suite unit, every build)
 *
 * From every seed, many rounds of smut_mutate, smut_crossover and the trim
 * steps. Each output must fit the size it was given, and be canonical: it
 * decodes to a scenario that encodes back to exactly the same bytes (so
 * the mutator produced that scenario, not bytes the decoder reinterprets).
 * (A mutant too large for the limit leaves the input unchanged.) The byte
 * fallback is off here (NULL): only the structural mutations run. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "scn_mutate.h"

#define BUF_MAX 8192
#define SEEDS_MAX 256

static struct scenario scn;
static uint8_t seeds[SEEDS_MAX][BUF_MAX];
static size_t seed_len[SEEDS_MAX];
static uint8_t buf[BUF_MAX], again[BUF_MAX];

static int failures;
static char text_a[1 << 16], text_b[1 << 16];
static struct scenario back;

static void check(const uint8_t *data, size_t len, size_t max, const char *what, unsigned round)
{
	if (len > max) {
		fprintf(stderr, "test_mutate: %s round %u: %zu bytes > max %zu\n", what, round, len, max);
		failures++;
		return;
	}
	scn_decode_binary(&scn, data, len);
	size_t n = scn_encode_binary(&scn, again, sizeof again);
	if (n != len || memcmp(again, data, len) != 0) {
		if (failures++ < 3) {
			scn_decode_binary(&back, again, n);
			scn_print_text(&scn, text_a, sizeof text_a);
			scn_print_text(&back, text_b, sizeof text_b);
			fprintf(stderr, "test_mutate: %s round %u: output not canonical (%zu -> %zu bytes)\n--- decoded\n%s--- re-decoded\n%s",
				what, round, len, n, text_a, text_b);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_mutate SEED_DIR\n");
		return 2;
	}
	DIR *d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 2;
	}
	unsigned nseeds = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL && nseeds < SEEDS_MAX;) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		seed_len[nseeds] = fread(seeds[nseeds], 1, BUF_MAX, f);
		fclose(f);
		nseeds++;
	}
	closedir(d);
	if (nseeds == 0) {
		fprintf(stderr, "test_mutate: no seeds in %s\n", argv[1]);
		return 2;
	}
	struct smut_trim *trim = smut_trim_new();
	if (!trim)
		return 2;
	unsigned rounds = 0;
	for (unsigned s = 0; s < nseeds; s++) {
		size_t len = seed_len[s];
		memcpy(buf, seeds[s], len);
		for (unsigned k = 0; k < 400; k++, rounds++) {
			size_t max = k % 7 == 0 ? 64 + k % 200 : BUF_MAX; /* small limits: choice bytes get cut */
			if (len > max)
				len = max;
			static uint8_t before[BUF_MAX];
			size_t before_len = len;
			memcpy(before, buf, len);
			len = smut_mutate(buf, len, max, (uint64_t)s * 100003u + k, NULL);
			/* A mutant that does not fit leaves the input as it was (which
			 * here may be a cut, non-canonical one). */
			if (len != before_len || memcmp(before, buf, len) != 0)
				check(buf, len, max, "mutate", rounds);
			if (k % 5 == 0) {
				const uint8_t *other = seeds[(s + k) % nseeds];
				size_t n = smut_crossover(buf, len, other, seed_len[(s + k) % nseeds], again, BUF_MAX, k);
				memcpy(buf, again, n);
				len = n;
				check(buf, len, BUF_MAX, "crossover", rounds);
			}
		}
		/* Trim: every candidate is canonical; keep every other one. */
		int steps = smut_trim_init(trim, buf, len);
		for (int i = 0; i < steps && i < 200;) {
			const uint8_t *cand;
			size_t n = smut_trim_candidate(trim, &cand);
			memcpy(again, cand, n);
			check(again, n, BUF_MAX, "trim", (unsigned)i);
			i = smut_trim_next(trim, i % 2);
		}
	}
	smut_trim_free(trim);
	printf("test_mutate: %u seeds, %u rounds, %d failure(s)\n", nseeds, rounds, failures);
	return failures ? 1 : 0;
}
