/* test_mutate - the structure-aware mutator keeps inputs well-formed.
 *
 *   test_mutate SEED_DIR             (suite unit, every build)
 *   test_mutate --drivers SEED_DIR   (the same in drivers mode, linked with
 *                                    the hosted drivers: fuzz_drivers' inputs)
 *
 * From every seed, many rounds of smut_mutate, smut_crossover and the trim
 * steps. Each output must fit the size it was given, and be canonical: it
 * decodes to a scenario that encodes back to exactly the same bytes (so
 * the mutator produced that scenario, not bytes the decoder reinterprets).
 * (A mutant too large for the limit leaves the input unchanged.) The byte
 * fallback is off here (NULL): only the structural mutations run. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
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

static bool drivers;

static void decode(struct scenario *s, const uint8_t *data, size_t len)
{
	if (drivers)
		scn_decode_binary_drivers(s, data, len);
	else
		scn_decode_binary(s, data, len);
}

/* Drivers mode: a driver appears at most once, and only drivers. */
static void check_drivers(const char *what, unsigned round)
{
	for (unsigned i = 0; i < scn.nmodules; i++) {
		bool bad = scn.modules[i].kind != MODULE_DRIVER;
		for (unsigned j = 0; j < i; j++)
			bad |= scn.modules[j].driver == scn.modules[i].driver;
		if (bad && failures++ < 3)
			fprintf(stderr, "test_mutate: %s round %u: module %u is not a distinct driver\n", what, round, i);
	}
}

static void check(const uint8_t *data, size_t len, size_t max, const char *what, unsigned round)
{
	if (len > max) {
		fprintf(stderr, "test_mutate: %s round %u: %zu bytes > max %zu\n", what, round, len, max);
		failures++;
		return;
	}
	decode(&scn, data, len);
	size_t n = scn_encode_binary(&scn, again, sizeof again);
	if (n != len || memcmp(again, data, len) != 0) {
		if (failures++ < 3) {
			decode(&back, again, n);
			scn_print_text(&scn, text_a, sizeof text_a);
			scn_print_text(&back, text_b, sizeof text_b);
			fprintf(stderr, "test_mutate: %s round %u: output not canonical (%zu -> %zu bytes)\n--- decoded\n%s--- re-decoded\n%s",
				what, round, len, n, text_a, text_b);
		}
	}
	if (drivers)
		check_drivers(what, round);
}

int main(int argc, char **argv)
{
	drivers = argc == 3 && !strcmp(argv[1], "--drivers");
	if (argc != 2 + drivers) {
		fprintf(stderr, "usage: test_mutate [--drivers] SEED_DIR\n");
		return 2;
	}
	const char *dir = argv[1 + drivers];
	if (drivers && image_count() == 0) {
		fprintf(stderr, "test_mutate: --drivers, but no driver is linked into this binary\n");
		return 2;
	}
	smut_set_mode(drivers ? SMUT_DRIVERS : SMUT_SCENARIO);
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return 2;
	}
	unsigned nseeds = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL && nseeds < SEEDS_MAX;) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		seed_len[nseeds] = fread(seeds[nseeds], 1, BUF_MAX, f);
		fclose(f);
		nseeds++;
	}
	closedir(d);
	if (nseeds == 0) {
		fprintf(stderr, "test_mutate: no seeds in %s\n", dir);
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
	printf("test_mutate: %s%u seeds, %u rounds, %d failure(s)\n", drivers ? "drivers mode, " : "", nseeds, rounds,
	       failures);
	return failures ? 1 : 0;
}
