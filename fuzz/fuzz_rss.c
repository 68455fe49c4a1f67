/* fuzz-rss - RSS over many persistent iterations of the fuzz_scenario work
 * (decode a binary scenario, run it with stop_on_first and the R filter), as
 * a persistent AFL++ or libFuzzer loop does. Prints RSS at the start, every
 * tenth of the way and at the end; the figure must stay flat.
 *
 *   fuzz-rss [--iterations N] FILE.nmr     (default 10000000)
 * Exit 0, 2 on bad input. No timing asserts: it prints figures. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input.h"
#include "run/run.h"

static struct scenario scn, decoded;
static uint8_t bin[1u << 16];

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * 4;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	uint64_t iterations = 10000000;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iterations = strtoull(argv[++i], NULL, 0);
		else if (!path)
			path = argv[i];
		else
			path = NULL;
	}
	if (!path || iterations == 0) {
		fprintf(stderr, "usage: fuzz-rss [--iterations N] FILE.nmr\n");
		return EXIT_BAD_INPUT;
	}
	if (input_load(&scn, path, false) != 0)
		return EXIT_BAD_INPUT;
	size_t len = scn_encode_binary(&scn, bin, sizeof bin);
	if (len > sizeof bin)
		return EXIT_BAD_INPUT;
	struct runner r;
	if (runner_init(&r) != 0)
		return EXIT_BAD_INPUT;
	bool ok;
	struct run_options opt = { .stop_on_first = true, .keep_events = 1, .rule_mask = rule_mask_parse("R", &ok) };
	long before = rss_kib();
	/* The first run touches the arena and the fiber stacks it uses: RSS
	 * "at start" is after it, what every later iteration starts from. */
	scn_decode_binary(&decoded, bin, len);
	(void)run_scenario(&r, &decoded, NULL, &opt);
	long start = rss_kib(), peak = start;
	printf("fuzz-rss: %s as a %zu-byte binary input, %" PRIu64 " iterations\n", path, len, iterations);
	printf("  before the first run  rss %ld KiB\n", before);
	printf("  iteration %10d  rss %ld KiB\n", 1, start);
	double t0 = now_s();
	uint64_t findings = 0, step = iterations / 10 ? iterations / 10 : 1;
	for (uint64_t i = 2; i <= iterations; i++) {
		scn_decode_binary(&decoded, bin, len);
		struct run_result res = run_scenario(&r, &decoded, NULL, &opt);
		findings += res.nfindings != 0;
		if (i % step == 0 || i == iterations) {
			long now = rss_kib();
			peak = now > peak ? now : peak;
			printf("  iteration %10" PRIu64 "  rss %ld KiB\n", i, now);
			fflush(stdout);
		}
	}
	double secs = now_s() - t0;
	long end = rss_kib();
	printf("rss start %ld KiB (after run 1), end %ld KiB, growth %ld KiB over %" PRIu64
	       " iterations (peak %ld KiB, %.0f runs/s wall, %" PRIu64 " with findings)\n",
	       start, end, end - start, iterations, peak, (double)iterations / secs, findings);
	runner_fini(&r);
	return EXIT_CLEAN;
}
