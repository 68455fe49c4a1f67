/* bench_triage - triage throughput: 10,000 crash files with a handful of
 * distinct bugs, as a campaign leaves them, must triage in under a minute.
 *
 * Generates the files (binary scenario inputs, as fuzz_scenario's crash
 * files are): a few R-bad scenarios of corpus/rules/ (registrar mutants) and
 * some clean ones, each variant with random trailing schedule bytes, so
 * schedules differ while the bugs stay a handful. Then runs nmr-triage on
 * the folder (full, then incremental with a state file) and prints files/s.
 *
 * usage: bench_triage NMR_TRIAGE CORPUS_RULES_DIR [FILES] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/choice.h"
#include "scenario/scenario.h"

/* Each base: a scenario of corpus/rules/ (or ../examples/), optionally with
 * a planted registrar bug. The standard scenario (64 ops, 3 threads) makes
 * the heavy inputs a long campaign's crash folder also holds. */
static const struct base {
	const char *name;
	int registrar; /* enum scn_registrar, -1: the file's */
} bases[] = {
	{ "R02-bad", -1 }, { "R05-bad", -1 }, { "R06-bad", -1 }, { "R07-bad", -1 }, { "R11-bad", -1 }, /* the bugs */
	{ "../examples/standard", MUTANT_DOUBLE_DETACH }, { "../examples/standard", MUTANT_EARLY_WAIT },
	{ "M04-good", -1 }, { "R05-good", -1 }, { "L01-good", -1 }, { "../examples/standard", -1 },  /* clean under R */
};
#define NBASES (sizeof bases / sizeof bases[0])

static struct scenario scn;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int load(const char *dir, const struct base *b, uint8_t *out, size_t cap, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.nmr", dir, b->name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text, f);
	fclose(f);
	struct scn_error e;
	if (scn_parse_text(&scn, text, n, path, &e) != 0)
		return -1;
	if (b->registrar >= 0)
		scn.registrar = (uint8_t)b->registrar;
	scn.sched = SCHED_BYTES; /* the binary form carries bytes, seed or pct */
	scn.sched_len = 0;
	*len = scn_encode_binary(&scn, out, cap);
	return *len <= cap ? 0 : -1;
}

static double run(const char *cmd)
{
	double t0 = now();
	int rc = system(cmd);
	double t = now() - t0;
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) > 1) {
		fprintf(stderr, "bench_triage: '%s' failed (%d)\n", cmd, rc);
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_triage NMR_TRIAGE CORPUS_RULES_DIR [FILES]\n");
		return 2;
	}
	unsigned nfiles = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 10000;
	char dir[] = "/tmp/nmrsim-bench-triage-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char crashes[128], out[128], state[160];
	snprintf(crashes, sizeof crashes, "%s/crashes", dir);
	snprintf(out, sizeof out, "%s/triage", dir);
	snprintf(state, sizeof state, "%s/state", dir);
	mkdir(crashes, 0777);
	static uint8_t enc[NBASES][4096];
	size_t enc_len[NBASES];
	for (unsigned b = 0; b < NBASES; b++)
		if (load(argv[2], &bases[b], enc[b], sizeof enc[b], &enc_len[b]) != 0) {
			fprintf(stderr, "bench_triage: cannot load %s/%s.nmr\n", argv[2], bases[b].name);
			return 1;
		}
	uint64_t rng[4], seed = 42;
	for (int i = 0; i < 4; i++)
		rng[i] = choice_splitmix64(&seed);
	double t0 = now();
	for (unsigned i = 0; i < nfiles; i++) {
		unsigned b = (unsigned)(choice_prng_next(rng) % NBASES);
		unsigned extra = (unsigned)(choice_prng_next(rng) % 24);
		char path[256];
		/* libFuzzer's artifact names: crash-<hex> */
		snprintf(path, sizeof path, "%s/crash-%08x%04x", crashes, i, b);
		FILE *f = fopen(path, "wb");
		if (!f) {
			perror(path);
			return 1;
		}
		fwrite(enc[b], 1, enc_len[b], f);
		for (unsigned k = 0; k < extra; k++) {
			/* mostly zero: the default schedule, now and then another thread */
			uint8_t v = choice_prng_next(rng) % 4 == 0 ? (uint8_t)choice_prng_next(rng) : 0;
			fputc(v, f);
		}
		fclose(f);
	}
	double gen = now() - t0;
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s --quiet --out %s --state %s %s > %s/out.txt", argv[1], out, state, crashes, dir);
	double full = run(cmd);
	snprintf(cmd, sizeof cmd, "%s --quiet --out %s --state %s %s > /dev/null", argv[1], out, state, crashes);
	double incr = run(cmd);
	snprintf(cmd, sizeof cmd, "%s --quiet --no-minimize --out %s %s > /dev/null", argv[1], out, crashes);
	double nomin = run(cmd);
	char line[512] = "";
	snprintf(cmd, sizeof cmd, "%s/out.txt", dir);
	FILE *f = fopen(cmd, "r");
	if (f) {
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
	}
	printf("bench_triage: %u crash files generated in %.2f s\n", nfiles, gen);
	printf("  %s", line);
	printf("  triage (replay, group, minimise, report): %.2f s, %.0f files/s (limit: 60 s)\n", full, nfiles / full);
	printf("  triage without minimising:                %.2f s, %.0f files/s\n", nomin, nfiles / nomin);
	printf("  incremental re-run (state file, no new):  %.2f s, %.0f files/s\n", incr, nfiles / incr);
	if (getenv("BENCH_TRIAGE_KEEP")) {
		printf("  kept: %s\n", dir);
		return 0;
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_triage: could not remove %s\n", dir);
	return 0;
}
