/* test_persist - persistent mode carries nothing from one input to the next.
 *
 *   test_persist SEED_DIR      (fuzz_drivers' seeds, linked with the hosted drivers)
 *
 * libFuzzer and AFL++ run every input in one process on one runner, as
 * fuzz_drivers does (fuzz_target_run). Each input here is a seed, or a seed
 * with its choice stream replaced by a fixed pseudo-random one (other
 * interleavings, faults, freedoms). All inputs run once in order with the
 * interleaving features on, then again in reverse order: each input must
 * give the same trace hash, outcome, findings and the same feature map
 * (interleave.h) both times, whatever ran before it (driver globals, the
 * runner, the features' own per-run tables). A feature map that depended on
 * the previous input would make the fuzzers' feedback nondeterministic:
 * an input kept for a "new interleaving" that does not reproduce. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/crash.h"
#include "run/run.h"
#include "scenario/scenario.h"

#define INPUTS_MAX 512
#define INPUT_BYTES 4096
#define VARIANTS 4 /* per seed, besides the seed itself */
#define SLOTS 4096
#define STEPS_MAX 20000u /* fuzz_drivers' cap */

struct input {
	uint8_t data[INPUT_BYTES];
	size_t len;
	uint64_t hash, findings;
	uint32_t outcome, features;
	uint8_t map[SLOTS];
};

static struct input inputs[INPUTS_MAX];
static unsigned ninputs;
static struct runner runner;
static struct scenario scn;
static uint8_t map[SLOTS];

/* The same fields fuzz_drivers sets (fuzz_target_init), the map on. */
static struct run_result run_one(const struct input *in)
{
	struct run_options opt = { .stop_on_first = true, .keep_events = 1, .no_choice_log = true,
				   .interleave_map = map, .interleave_slots = SLOTS };
	memset(map, 0, sizeof map);
	scn_decode_binary_to_run(&scn, in->data, in->len, true);
	if (scn.steps_max > STEPS_MAX)
		scn.steps_max = STEPS_MAX;
	return run_scenario(&runner, &scn, NULL, &opt);
}

static uint64_t findings_of(const struct run_result *r)
{
	uint64_t h = r->nfindings;
	for (uint32_t i = 0; i < r->nfindings; i++)
		h = h * 1099511628211ull ^ ((uint64_t)r->findings[i].rule << 32 | r->findings[i].step);
	return h;
}

static void add(const uint8_t *data, size_t len)
{
	if (ninputs == INPUTS_MAX || len > INPUT_BYTES)
		return;
	memcpy(inputs[ninputs].data, data, len);
	inputs[ninputs++].len = len;
}

/* The seed, and VARIANTS copies whose choice stream (everything after the
 * encoded scenario) is a fixed LCG sequence of 64, 128, ... bytes. */
static void add_seed(const uint8_t *data, size_t len)
{
	static uint8_t buf[INPUT_BYTES];
	add(data, len);
	scn_decode_binary_drivers(&scn, data, len);
	scn.sched_len = 0; /* the scenario alone; the stream follows */
	size_t head = scn_encode_binary(&scn, buf, sizeof buf);
	uint32_t x = (uint32_t)len * 2654435761u;
	for (unsigned v = 0; head > 0 && v < VARIANTS; v++) {
		size_t n = head;
		for (unsigned i = 0; i < 64 + v * 64 && n < sizeof buf; i++) {
			x = x * 1664525u + 1013904223u;
			buf[n++] = (uint8_t)(x >> 24);
		}
		add(buf, n);
	}
}

static int load(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		perror(dir);
		return -1;
	}
	static uint8_t data[INPUT_BYTES];
	for (int i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		FILE *f = names[i]->d_name[0] != '.' ? fopen(path, "rb") : NULL;
		if (f) {
			size_t len = fread(data, 1, sizeof data, f);
			fclose(f);
			add_seed(data, len);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_persist SEED_DIR\n");
		return 2;
	}
	crash_install(CRASH_EXIT);
	if (load(argv[1]) != 0 || ninputs == 0 || runner_init(&runner) != 0) {
		fprintf(stderr, "test_persist: no inputs in %s\n", argv[1]);
		return 2;
	}
	for (unsigned i = 0; i < ninputs; i++) {
		struct run_result r = run_one(&inputs[i]);
		inputs[i].hash = r.hash;
		inputs[i].outcome = r.outcome;
		inputs[i].findings = findings_of(&r);
		inputs[i].features = r.interleave_features;
		memcpy(inputs[i].map, map, SLOTS);
	}
	unsigned bad = 0, featured = 0;
	for (unsigned i = ninputs; i-- > 0;) {
		struct run_result r = run_one(&inputs[i]);
		featured += r.interleave_features > 0;
		if (r.hash != inputs[i].hash || r.outcome != inputs[i].outcome || findings_of(&r) != inputs[i].findings ||
		    r.interleave_features != inputs[i].features || memcmp(map, inputs[i].map, SLOTS) != 0) {
			fprintf(stderr, "input %u: the second run differs (hash %016llx/%016llx, features %u/%u, map %s)\n",
				i, (unsigned long long)inputs[i].hash, (unsigned long long)r.hash, inputs[i].features,
				r.interleave_features, memcmp(map, inputs[i].map, SLOTS) ? "differs" : "same");
			bad++;
		}
	}
	runner_fini(&runner);
	printf("test_persist: %u inputs, %u with features, %u differ on their second run\n", ninputs, featured, bad);
	/* Features must have been counted, or the comparison says nothing. */
	return bad == 0 && featured > 0 ? 0 : 1;
}
