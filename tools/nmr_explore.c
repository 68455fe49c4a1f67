/* nmr-explore - the built-in campaign: explore scenarios under many
 * schedules (random, PCT or bounded exhaustive), deduplicate findings by
 * signature, write a replayable trace for each distinct one, and end with a
 * summary and the replay command of each finding.
 *
 * Runs are counted, not timed: the same command finds the same findings in
 * the same order. The clock only feeds the progress display.
 * Exit 0 no finding, 1 findings, 2 bad input or usage. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run/crash.h"
#include "run/explore.h"
#include "input.h"
#include "report.h"

#define DISTINCT_MAX 256

struct distinct {
	char signature[128];   /* rule + where */
	char trace[512];       /* the trace file written for it */
	char scenario[256];    /* the file it came from */
	uint64_t hits;         /* runs that reported it */
	uint64_t first_run;    /* run index (over the campaign) of its first sighting */
};

struct campaign {
	const char *out_dir;
	const char *file;           /* scenario being explored */
	const struct scenario *scn;
	struct runner *runner;
	struct distinct found[DISTINCT_MAX];
	uint32_t nfound;
	uint64_t runs_before;       /* runs of previous files */
	uint64_t runs_total;
	uint64_t runs_planned;
	struct timespec start;
	bool tty;
	bool quiet;
};

static struct scenario trace_scn;

static double elapsed(const struct campaign *c)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - c->start.tv_sec) + (double)(now.tv_nsec - c->start.tv_nsec) / 1e9;
}

static void file_safe(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 'A' && *src <= 'Z') || (*src >= 'a' && *src <= 'z') || (*src >= '0' && *src <= '9') ? *src : '_';
	dst[n] = '\0';
}

static bool on_finding(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t run_index)
{
	struct campaign *c = ctx;
	(void)src;
	for (uint32_t i = 0; i < res->nfindings; i++) {
		char sig[128];
		oracle_signature(&c->runner->st->oracle, &res->findings[i], sig, sizeof sig);
		struct distinct *d = NULL;
		for (uint32_t k = 0; k < c->nfound && !d; k++)
			if (!strcmp(c->found[k].signature, sig))
				d = &c->found[k];
		if (d) {
			d->hits++;
			continue;
		}
		if (c->nfound == DISTINCT_MAX)
			continue;
		d = &c->found[c->nfound++];
		memset(d, 0, sizeof(*d));
		snprintf(d->signature, sizeof d->signature, "%s", sig);
		snprintf(d->scenario, sizeof d->scenario, "%s", c->file);
		d->hits = 1;
		d->first_run = c->runs_before + run_index;
		char name[128];
		file_safe(name, sizeof name, sig);
		snprintf(d->trace, sizeof d->trace, "%s/%03u-%s.nmrt", c->out_dir, c->nfound, name);
		report_make_trace(&trace_scn, c->scn, res);
		trace_scn.expect = EXPECT_NONE;
		if (input_write_trace(&trace_scn, d->trace) != 0)
			fprintf(stderr, "nmr-explore: cannot write %s: %s\n", d->trace, strerror(errno));
		if (c->tty)
			fprintf(stderr, "\r\033[K");
		fprintf(stderr, "new finding %u: %s  (%s)\n", c->nfound, sig, c->file);
	}
	return true;
}

static void on_progress(void *ctx, const struct explore_stats *st)
{
	struct campaign *c = ctx;
	c->runs_total = c->runs_before + st->runs;
	if (c->quiet)
		return;
	double t = elapsed(c);
	double rate = t > 0 ? (double)c->runs_total / t : 0;
	if (c->tty)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "[%6.1fs] runs %" PRIu64 "/%" PRIu64 "  %.0f runs/s  distinct findings %u  now: %s%s",
		t, c->runs_total, c->runs_planned, rate, c->nfound, c->file, c->tty ? "" : "\n");
	fflush(stderr);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-explore [options] FILE...\n"
		"  --strategy S    random (default), pct, or dfs (bounded exhaustive)\n"
		"  --runs N        runs per file (default 2000; dfs: 0 = until exhausted)\n"
		"  --seed N        first seed (default 1)\n"
		"  --depth D       PCT depth (default 3)\n"
		"  --bound B       DFS preemption bound (default 2)\n"
		"  --out DIR       where trace files of findings go (default out/explore)\n"
		"  --quiet         no progress line\n"
		"exit: 0 no finding, 1 findings, 2 bad input or usage\n");
}

static struct scenario scn;
static struct campaign camp;
static char replay_cmd[512] = "nmr-replay";

/* The replay command as the user can type it: in a build tree nmr-replay
 * sits in ../replay/ beside tools/. */
static void find_replay(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	if (!slash)
		return;
	char cand[512];
	snprintf(cand, sizeof cand, "%.*s/../replay/nmr-replay", (int)(slash - argv0), argv0);
	if (access(cand, X_OK) != 0)
		return;
	const char *tools = strstr(argv0, "tools/");
	if (tools && tools + strlen("tools/") == slash + 1)
		snprintf(replay_cmd, sizeof replay_cmd, "%.*sreplay/nmr-replay", (int)(tools - argv0), argv0);
	else
		snprintf(replay_cmd, sizeof replay_cmd, "%s", cand);
}

int main(int argc, char **argv)
{
	struct explore_config cfg = { .strategy = EXPLORE_RANDOM, .seed = 1, .pct_depth = 3, .preempt_bound = 2,
				      .runs_max = 2000, .progress_every = 250 };
	const char *files[256];
	int nfiles = 0;
	find_replay(argv[0]);
	camp.out_dir = "out/explore";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--strategy") && v) {
			i++;
			if (!strcmp(v, "random")) cfg.strategy = EXPLORE_RANDOM;
			else if (!strcmp(v, "pct")) cfg.strategy = EXPLORE_PCT;
			else if (!strcmp(v, "dfs")) cfg.strategy = EXPLORE_DFS;
			else {
				fprintf(stderr, "nmr-explore: unknown strategy '%s'\n", v);
				return EXIT_BAD_INPUT;
			}
		} else if (!strcmp(a, "--runs") && v) { cfg.runs_max = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--seed") && v) { cfg.seed = strtoull(v, NULL, 0); i++; }
		else if (!strcmp(a, "--depth") && v) { cfg.pct_depth = (uint32_t)strtoul(v, NULL, 0); i++; }
		else if (!strcmp(a, "--bound") && v) { cfg.preempt_bound = (uint32_t)strtoul(v, NULL, 0); i++; }
		else if (!strcmp(a, "--out") && v) { camp.out_dir = v; i++; }
		else if (!strcmp(a, "--quiet")) camp.quiet = true;
		else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return EXIT_CLEAN; }
		else if (a[0] == '-') {
			fprintf(stderr, "nmr-explore: unknown option '%s'\n", a);
			usage(stderr);
			return EXIT_BAD_INPUT;
		} else if (nfiles < 256) files[nfiles++] = a;
	}
	if (nfiles == 0) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	char mk[600];
	snprintf(mk, sizeof mk, "%s", camp.out_dir);
	for (char *p = mk + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(mk, 0777);
			*p = '/';
		}
	if (mkdir(mk, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "nmr-explore: cannot create %s: %s\n", camp.out_dir, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	struct runner r;
	crash_install(CRASH_EXIT); /* a crashing driver is finding K08, exit 1 */
	crash_watchdog(CRASH_WATCHDOG_SECONDS); /* a run that never returns: exit 1 */
	if (runner_init(&r) != 0) {
		fprintf(stderr, "nmr-explore: cannot set up the engine\n");
		return EXIT_BAD_INPUT;
	}
	camp.runner = &r;
	camp.tty = isatty(2) && !camp.quiet;
	/* A live line on a terminal; ten lines per file in a log. */
	if (!camp.tty)
		cfg.progress_every = cfg.runs_max ? (cfg.runs_max / 10 ? cfg.runs_max / 10 : 1) : 100000;
	else
		cfg.progress_every = 1000;
	camp.runs_planned = cfg.runs_max * (uint64_t)nfiles;
	clock_gettime(CLOCK_MONOTONIC, &camp.start);
	cfg.on_finding = on_finding;
	cfg.on_progress = on_progress;
	cfg.ctx = &camp;
	int bad = 0;
	uint64_t steps = 0;
	for (int f = 0; f < nfiles; f++) {
		if (input_load(&scn, files[f], false) != 0) {
			bad++;
			continue;
		}
		camp.file = files[f];
		camp.scn = &scn;
		struct explore_stats st = explore_run(&r, &scn, &cfg);
		camp.runs_before += st.runs;
		steps += st.steps;
		if (cfg.strategy == EXPLORE_DFS && !camp.quiet)
			fprintf(stderr, "%s%s: %" PRIu64 " schedules%s%s\n", camp.tty ? "\r\033[K" : "", files[f], st.runs,
				st.exhausted ? " (every schedule within the bound)" : " (stopped at --runs)",
				st.truncated ? ", some runs exceeded the choice log" : "");
	}
	double t = elapsed(&camp);
	if (camp.tty)
		fprintf(stderr, "\r\033[K");
	printf("\nnmr-explore: %" PRIu64 " runs over %d file(s), %" PRIu64 " steps, %.1f s (%.0f runs/s)\n",
	       camp.runs_before, nfiles - bad, steps, t, t > 0 ? (double)camp.runs_before / t : 0.0);
	printf("%u distinct finding(s)\n", camp.nfound);
	for (uint32_t i = 0; i < camp.nfound; i++) {
		const struct distinct *d = &camp.found[i];
		printf("\n[%u] %s\n    hits %" PRIu64 ", first at run %" PRIu64 ", scenario %s\n    replay: %s %s\n",
		       i + 1, d->signature, d->hits, d->first_run, d->scenario, replay_cmd, d->trace);
	}
	runner_fini(&r);
	if (bad)
		return EXIT_BAD_INPUT;
	return camp.nfound ? EXIT_VIOLATION : EXIT_CLEAN;
}
