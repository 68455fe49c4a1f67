/* covlog.c - rule coverage over time, for the mutator benchmark
 * (fuzz/bench_mutator.py). Off unless NMRSIM_FUZZ_COVLOG names a file.
 *
 * After each input, the target leaves the rules its run touched and violated
 * in fuzz_last_cov; when they add a bit to what this process has seen, one
 * line is appended:
 *
 *   <microseconds since the epoch> <executions in this process> <touched hex> <violated hex>
 *
 * The clock is the wall clock because the benchmark lines several processes
 * up against its own start (AFL++ forks a fresh child every few hundred
 * thousand executions; each child starts with an empty union and may repeat
 * bits, which the reader takes the first time only). It is read only when a
 * line is written, never feeds the engine, and so cannot change a trace. */
#include "covlog.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct fuzz_cov fuzz_last_cov;

static int log_fd = -1;
static uint64_t seen_touched, seen_violated, execs;

void covlog_init(void)
{
	const char *path = getenv("NMRSIM_FUZZ_COVLOG");
	if (!path || !path[0])
		return;
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		perror(path);
}

void covlog_after_run(void)
{
	if (log_fd < 0)
		return;
	execs++;
	uint64_t t = fuzz_last_cov.touched, v = fuzz_last_cov.violated;
	fuzz_last_cov.touched = fuzz_last_cov.violated = 0;
	if ((t & ~seen_touched) == 0 && (v & ~seen_violated) == 0)
		return;
	seen_touched |= t;
	seen_violated |= v;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char line[96];
	int n = snprintf(line, sizeof line, "%" PRIu64 " %" PRIu64 " %" PRIx64 " %" PRIx64 "\n",
			 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u, execs, seen_touched,
			 seen_violated);
	/* One write per line with O_APPEND: lines of concurrent processes do
	 * not interleave. A short write only loses a benchmark figure. */
	if (n > 0 && write(log_fd, line, (size_t)n) < 0)
		log_fd = -1;
}
