/* nmr-explore - the built-in campaign: explore scenarios under many
 * schedules (random, PCT or bounded exhaustive), deduplicate findings by
 * signature, write a replayable trace for each distinct one, and end with a
 * summary and the replay command of each finding.
 *
 * Runs are counted, not timed: the same command finds the same findings in
 * the same order (--time only cuts the list of runs short). The clock feeds
 * the progress line and --time.
 *
 * A driver that crashes (K08) kills a process: the runs go on in a child
 * process (a fork server). When the child dies, the parent has the crash's
 * finding and reproducer (written by the child's crash handler into the
 * shared table) and starts a new child at the next run; a run is a pure
 * function of scenario and run index, so the result does not depend on
 * where the crashes fell.
 *
 * Bugs are counted by root cause: the first finding of a run is its root,
 * the findings after it in the same run are follow-ons listed under it (an
 * M18 is often followed by M15, M19, M21 in the same run). A signature that
 * is the first finding of some run is a bug of its own.
 *
 * Exit 0 no finding, 1 findings, 2 bad input or usage, an unwritable output
 * folder, or runs that could not be made. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "explore_tool.h"
#include "findings.h"
#include "report.h"
#include "target.h"
#include "run/crash.h"
#include "run/explore.h"

#define EXPLORE_LONG_CHOICES (1u << 20) /* choices a run's trace file may hold (8 MiB of log) */

struct explore_tool ex;

static struct scenario scn;
char replay_cmd[1024] = "nmr-replay";

double elapsed(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - ex.start.tv_sec) + (double)(now.tv_nsec - ex.start.tv_nsec) / 1e9;
}

static void fmt_time(char *buf, size_t cap, double secs)
{
	unsigned s = secs > 0 ? (unsigned)secs : 0;
	if (s >= 3600)
		snprintf(buf, cap, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, cap, "%02u:%02u", s / 60, s % 60);
}

static void fmt_count(char *buf, size_t cap, double n)
{
	if (n >= 1e9) snprintf(buf, cap, "%.1fG", n / 1e9);
	else if (n >= 1e6) snprintf(buf, cap, "%.1fM", n / 1e6);
	else if (n >= 1e3) snprintf(buf, cap, "%.1fk", n / 1e3);
	else snprintf(buf, cap, "%.0f", n);
}

/* The campaign's line: [elapsed / limit] runs done/planned (rate) bugs. */
static void progress_line(bool force)
{
	if (ex.quiet)
		return;
	double t = elapsed();
	/* a live line on a terminal; in a log a line every 5 s */
	if (!force && t - ex.last_line < (ex.tty ? 0.25 : 5.0))
		return;
	ex.last_line = t;
	struct campaign *c = ex.c;
	uint64_t runs = c->runs_before + c->batch_runs;
	char el[32], lim[48] = "", done[32], plan[32] = "", rate[32], left[48] = "";
	fmt_time(el, sizeof el, t);
	if (ex.time_limit > 0) {
		char l[32];
		fmt_time(l, sizeof l, ex.time_limit);
		snprintf(lim, sizeof lim, " / %s", l);
		fmt_time(l, sizeof l, ex.time_limit - t);
		snprintf(left, sizeof left, "  left %s", l);
	}
	fmt_count(done, sizeof done, (double)runs);
	if (ex.runs_planned)
		fmt_count(plan, sizeof plan, (double)ex.runs_planned);
	fmt_count(rate, sizeof rate, t > 0 ? (double)runs / t : 0);
	fprintf(stderr, "%s[%s%s] runs %s%s%s (%s/s)  distinct bugs %u  crashes %" PRIu64 "  now: %s%s%s",
		ex.tty ? "\r\033[K" : "", el, lim, done, plan[0] ? "/" : "", plan, rate, found_roots(), c->crashes, ex.file,
		left, ex.tty ? "" : "\n");
	fflush(stderr);
}

static void on_progress(void *ctx, const struct explore_stats *st)
{
	(void)ctx;
	ex.c->batch_runs = st->runs;
	ex.c->batch_steps = st->steps;
	ex.c->exhausted = st->exhausted;
	ex.c->truncated = st->truncated;
	progress_line(false);
}

static volatile sig_atomic_t stop_signal; /* SIGALRM (--time) or SIGINT (Ctrl-C) */

static void on_stop_signal(int sig)
{
	/* SIGALRM reaches this handler only in the parent and only from --time's
	 * timer: the watchdog's 1 s tick is the child's (crash_watchdog in
	 * child(), which installs its own handler). */
	stop_signal = sig;
	if (ex.c)
		ex.c->stop = 1;
}

/* The child: explore the files from file c->file_index, run c->from (DFS:
 * from the prefix c->dfs_next when c->dfs_resume), to the end or a crash. */
static _Noreturn void child(struct explore_config cfg, const char *const *files, int nfiles)
{
	struct campaign *c = ex.c;
	crash_exit_code = on_crash;
	/* A run that never returns: exit 1. In the child only: interval timers
	 * are not inherited across fork, and the parent's SIGALRM is --time's. */
	crash_watchdog(CRASH_WATCHDOG_SECONDS);
	for (int f = c->file_index; f < nfiles && !c->stop; f++) {
		if (f != c->file_index) { /* a fresh file */
			c->file_index = f;
			c->from = 0;
			c->dfs_resume = false;
			c->file_runs = 0;
			c->exhausted = c->truncated = false;
		}
		if (input_load(&scn, files[f], false) != 0)
			_exit(EXIT_BAD_INPUT); /* it parsed a moment ago: changed under us */
		if (ex.atomics)
			scn.atomics_preempt = ex.atomics == 2; /* reproducers say so: their text carries the line */
		ex.file = files[f];
		ex.scn = &scn;
		cfg.first_run = c->from;
		cfg.dfs_start = c->dfs_resume ? c->dfs_next : NULL;
		cfg.dfs_start_len = c->dfs_resume ? c->dfs_next_len : 0;
		c->batch_runs = c->batch_steps = 0;
		struct explore_stats st = explore_run(ex.runner, ex.scn, &cfg);
		/* journal the batch: the parent reads these after the child ends */
		c->runs_before += st.runs;
		c->steps += st.steps;
		c->adv.runs += st.freedoms.runs;
		c->adv.points += st.freedoms.points;
		c->file_runs += st.runs;
		c->batch_runs = c->batch_steps = 0;
		c->exhausted = st.exhausted;
		c->truncated |= st.truncated;
		c->files_done++;
		if (cfg.strategy == EXPLORE_DFS && !ex.quiet)
			fprintf(stderr, "%s%s: %" PRIu64 " schedules%s%s\n", ex.tty ? "\r\033[K" : "", files[f], c->file_runs,
				c->exhausted ? " (every schedule within the bound)" : " (stopped before the end)",
				c->truncated ? ", some runs exceeded the choice log" : "");
	}
	c->file_index = nfiles;
	fflush(stdout);
	fflush(stderr);
	_exit(EXIT_CLEAN);
}

/* Explore every file in one child process, and in a new one after each
 * crash (a fork costs tens of ms under ASan: once per crash, not per
 * file). false when a child died without a report or could not start. */
static bool explore_files(const struct explore_config *cfg, const char *const *files, int nfiles)
{
	struct campaign *c = ex.c;
	bool ok = true;
	c->file_index = 0;
	c->from = 0;
	c->dfs_resume = false;
	while (c->file_index < nfiles) {
		c->crashed = false;
		c->dfs_more = false;
		c->at = c->from;
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "nmr-explore: cannot start a worker process: %s\n", strerror(errno));
			return false;
		}
		if (pid == 0)
			child(*cfg, files, nfiles);
		int status;
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				fprintf(stderr, "nmr-explore: lost the worker process: %s\n", strerror(errno));
				return false;
			}
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CLEAN)
			return ok;
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_BAD_INPUT)
			return false; /* it said why */
		/* The run at c->at ended the child: the runs before it and itself. */
		uint64_t made = c->at - c->from + 1;
		c->runs_before += made;
		c->file_runs += made;
		c->steps += c->batch_steps;
		c->batch_runs = c->batch_steps = 0;
		const char *file = files[c->file_index];
		bool next_file = false;
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_CRASHED && c->crashed)) {
			/* Not a driver crash the handler saw (an engine abort, the
			 * OOM killer): the run was not checked. Say so, go on. */
			char how[64];
			if (WIFSIGNALED(status))
				snprintf(how, sizeof how, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
			fprintf(stderr, "%snmr-explore: %s: run %" PRIu64 " ended its worker process with %s and no report\n",
				ex.tty ? "\r\033[K" : "", file, c->at, how);
			ok = false;
			next_file = cfg->strategy == EXPLORE_DFS; /* no choice log to continue the tree from */
		} else if (cfg->strategy == EXPLORE_DFS) {
			next_file = !c->dfs_more;
			c->exhausted = !c->dfs_more;
			c->dfs_resume = c->dfs_more;
		}
		c->from = c->at + 1;
		if (cfg->runs_max && c->from >= cfg->runs_max)
			next_file = true;
		if (c->stop)
			return ok;
		if (next_file) {
			if (cfg->strategy == EXPLORE_DFS && !ex.quiet)
				fprintf(stderr, "%s%s: %" PRIu64 " schedules%s\n", ex.tty ? "\r\033[K" : "", file, c->file_runs,
					c->exhausted ? " (every schedule within the bound)" : " (stopped before the end)");
			c->files_done++;
			c->file_index++;
			c->from = 0;
			c->dfs_resume = false;
			c->file_runs = 0;
			c->exhausted = c->truncated = false;
		}
	}
	return ok;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-explore [options] FILE...\n"
		"  --strategy S    random (default), pct, dfs (bounded exhaustive), swarm (random under a\n"
		"                  swarm configuration drawn per run), cover (swarm guided by interleaving coverage)\n"
		"                  pos (partial order sampling: a random priority per pending step, redrawn where\n"
		"                  steps conflict) or race (cover with race-pair feedback, changes that reverse a race)\n"
		"                  or pctr (pos holding a thread back at steps earlier runs saw race)\n"
		"  --runs N        runs per file (default 2000; dfs: 0 = until exhausted; at most 10^12)\n"
		"  --time T        stop after T of wall-clock time (90s, 10m, 8h; the runs made are exact, the\n"
		"                  count then depends on the machine)\n"
		"  --seed N        first seed (default 1)\n"
		"  --depth D       PCT depth, 1..%d (default 3)\n"
		"  --bound B       DFS preemption bound, 0..64 (default 2)\n"
		"  --por           DFS with partial-order reduction: one schedule per order of dependent steps\n"
		"                  (within the bound), far fewer schedules for the same findings\n"
		"  --por-without P the reduction without part P (sleep: no sleep sets; same: try freedom options\n"
		"                  proved to give the same run; objects: spin locks, events, mutexes share\n"
		"                  their family's key; nmr: the registrar's state one key; eset: a race whose\n"
		"                  thread could not run adds every candidate; incremental: analyse each run\n"
		"                  from its first step; steer: a pick past the prefix may take a sleeping\n"
		"                  thread; reads: a read of a key counts as a write; exact: the analysis over\n"
		"                  hashed buckets and 64-byte lines of driver memory, not exact keys and\n"
		"                  8-byte granules), to measure what\n"
		"                  it saves (repeatable)\n"
		"  --por-with P    accepted for older command lines (reads: now the default)\n"
		"  --out DIR       where trace files of findings go (default out/explore)\n"
		"  --quiet         no progress line\n"
		"  --freedoms N    after every N-th clean run, flip each of its freedom decisions (F1-F5) in a\n"
		"                  differential run and report a module whose outcome changes (advisory M23,\n"
		"                  two reproducers); advisories do not change the exit status\n"
		"  --advisories DIR where M23 reproducers go (default: --out)\n"
		"  --atomics MODE  preempt or plain: every file's `atomics` line (docs/SCENARIO.md), so\n"
		"                  interlocked and volatile accesses of hosted drivers are scheduling points\n"
		"                  (preempt) or not; default: each file's own\n"
		"  --rules SPEC    findings that count: all (default), M, K, R, L, rule IDs, comma separated\n"
		"  --suppress FILE set aside the findings FILE matches (docs/FINDINGS.md; else $NMRSIM_SUPPRESS)\n"
		"  --advisories-fail  advisories (e.g. M22) count as findings (else $NMRSIM_ADVISORIES_FAIL=1)\n"
		"A crashing driver (K08) does not stop the exploration: its run's reproducer is written\n"
		"and the next run goes on in a new worker process.\n"
		"exit: 0 no finding, 1 findings, 2 bad input or usage, or a failure to do the job\n",
		CHOICE_PCT_DEPTH_MAX);
}

int main(int argc, char **argv)
{
	struct explore_config cfg = { .strategy = EXPLORE_RANDOM, .seed = 1, .pct_depth = 3, .preempt_bound = 2,
				      .runs_max = 2000, .progress_every = 64 };
	const char *files[FILES_MAX];
	int nfiles = 0;
	tgt_find_replay(replay_cmd, sizeof replay_cmd, argv[0]);
	ex.out_dir = "out/explore";
	struct opts o;
	const char *strategy, *rules, *part;
	bool por_no_reads = false, por_no_exact = false;
	opts_init(&o, "nmr-explore", argc, argv, usage);
	while (opts_next(&o)) {
		if (opts_str(&o, "--strategy", &strategy)) {
			if (!strcmp(strategy, "random")) cfg.strategy = EXPLORE_RANDOM;
			else if (!strcmp(strategy, "pct")) cfg.strategy = EXPLORE_PCT;
			else if (!strcmp(strategy, "dfs")) cfg.strategy = EXPLORE_DFS;
			else if (!strcmp(strategy, "swarm")) cfg.strategy = EXPLORE_SWARM;
			else if (!strcmp(strategy, "cover")) cfg.strategy = EXPLORE_COVER;
			else if (!strcmp(strategy, "pos")) cfg.strategy = EXPLORE_POS;
			else if (!strcmp(strategy, "race")) cfg.strategy = EXPLORE_RACE;
			else if (!strcmp(strategy, "pctr")) cfg.strategy = EXPLORE_PCTR;
			else opts_fail(&o, "--strategy: unknown strategy '%s' (random, pct, dfs, swarm, cover, pos, race, pctr)", strategy);
		}
		else if (opts_u64(&o, "--runs", 0, RUNS_MAX, &cfg.runs_max)) ;
		else if (opts_duration(&o, "--time", TIME_MAX_S, &ex.time_limit)) ;
		else if (opts_u64(&o, "--seed", 0, UINT64_MAX - RUNS_MAX, &cfg.seed)) ;
		else if (opts_u32(&o, "--depth", 1, CHOICE_PCT_DEPTH_MAX, &cfg.pct_depth)) ;
		else if (opts_u32(&o, "--bound", 0, 64, &cfg.preempt_bound)) ;
		else if (opts_str(&o, "--out", &ex.out_dir)) ;
		else if (opts_str(&o, "--advisories", &ex.adv_dir)) ;
		else if (opts_flag(&o, "--quiet")) ex.quiet = true;
		else if (opts_u64(&o, "--freedoms", 1, RUNS_MAX, &cfg.freedoms_every)) ;
		else if (opts_str(&o, "--atomics", &part)) {
			if (!strcmp(part, "preempt") || !strcmp(part, "plain"))
				ex.atomics = !strcmp(part, "preempt") ? 2 : 1;
			else opts_fail(&o, "--atomics: unknown mode '%s' (preempt, plain)", part);
		}
		else if (opts_str(&o, "--rules", &rules)) {
			if (!tgt_rules_parse(rules, &cfg.rule_mask))
				opts_fail(&o, "--rules: bad rule list '%s' (rule IDs, letters M K R L, or all)", rules);
			if (cfg.rule_mask == tgt_mask_all())
				cfg.rule_mask = 0;
		}
		else if (findings_option(&o)) ;
		else if (opts_flag(&o, "--por")) cfg.por = true;
		else if (opts_str(&o, "--por-without", &part)) {
			if (!strcmp(part, "sleep")) cfg.por_without |= DPOR_NO_SLEEP;
			else if (!strcmp(part, "same")) cfg.por_without |= DPOR_NO_SAME;
			else if (!strcmp(part, "objects")) cfg.por_without |= DPOR_NO_OBJECTS;
			else if (!strcmp(part, "nmr")) cfg.por_without |= DPOR_NO_NMR;
			else if (!strcmp(part, "eset")) cfg.por_without |= DPOR_NO_ESET;
			else if (!strcmp(part, "incremental")) cfg.por_without |= DPOR_NO_INCR;
			else if (!strcmp(part, "steer")) cfg.por_without |= DPOR_NO_STEER;
			else if (!strcmp(part, "reads")) por_no_reads = true;
			else if (!strcmp(part, "exact")) por_no_exact = true;
			else opts_fail(&o, "--por-without: unknown part '%s' (sleep, same, objects, nmr, eset, incremental, steer, reads, exact)", part);
		}
		else if (opts_str(&o, "--por-with", &part)) {
			if (!strcmp(part, "reads")) ; /* the default since session 13 (docs/DPOR.md) */
			else opts_fail(&o, "--por-with: unknown part '%s' (reads)", part);
		}
		else if (nfiles < FILES_MAX) files[nfiles++] = opts_operand(&o);
		else opts_fail(&o, "more than %d files", FILES_MAX);
	}
	/* Reads split from writes: the reduced search's default here (it saves
	 * schedules since E sets and steering: docs/DPOR.md, session 13). */
	if (por_no_reads)
		cfg.por_without &= ~(uint32_t)DPOR_READS;
	else if (cfg.por)
		cfg.por_without |= DPOR_READS;
	/* Exact keys (driver memory per 8-byte granule): the default here too
	 * (docs/DPOR.md, session 14). */
	if (cfg.por && !por_no_exact)
		cfg.por_without |= DPOR_EXACT;
	if (nfiles == 0) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	findings_setup("nmr-explore");
	cfg.suppress = findings_opts.loaded ? &findings_opts.sup : NULL;
	cfg.advisories_fail = findings_opts.advisories_fail;
	if (cfg.runs_max == 0 && cfg.strategy != EXPLORE_DFS && ex.time_limit == 0)
		opts_fail(&o, "--runs 0 means 'until exhausted', which only --strategy dfs has; give --time to run until a "
			      "deadline");
	/* Every input parses and the output folder takes files, or nothing runs. */
	static struct scenario check;
	for (int f = 0; f < nfiles; f++)
		if (input_load(&check, files[f], false) != 0)
			return EXIT_BAD_INPUT;
	char err[600];
	if (input_make_dir(ex.out_dir, err, sizeof err) != 0) {
		fprintf(stderr, "nmr-explore: --out %s\n", err);
		return EXIT_BAD_INPUT;
	}
	if (!ex.adv_dir)
		ex.adv_dir = ex.out_dir;
	else if (cfg.freedoms_every && input_make_dir(ex.adv_dir, err, sizeof err) != 0) {
		fprintf(stderr, "nmr-explore: --advisories %s\n", err);
		return EXIT_BAD_INPUT;
	}
	ex.c = mmap(NULL, sizeof(struct campaign), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ex.c == MAP_FAILED) {
		fprintf(stderr, "nmr-explore: cannot set up shared memory: %s\n", strerror(errno));
		return EXIT_BAD_INPUT;
	}
	struct runner r;
	crash_install(CRASH_EXIT); /* in the child: a crashing driver is finding K08 (on_crash) */
	crash_brief = true;        /* the reproducer replays the timeline */
	if (runner_init(&r) != 0) {
		fprintf(stderr, "nmr-explore: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	/* A run past SCN_CHOICES_MAX choices (a long livelock, L02) still gets a
	 * trace file that replays it whole: its choices go to a longer log
	 * (pages untouched unless a run needs them). */
	static struct choice_rec *long_log;
	long_log = arena_pages(sizeof(*long_log) * EXPLORE_LONG_CHOICES);
	if (long_log)
		runner_set_long_log(&r, long_log, EXPLORE_LONG_CHOICES);
	ex.runner = &r;
	ex.tty = isatty(2) && !ex.quiet;
	ex.strategy = cfg.strategy;
	if (cfg.por && cfg.strategy != EXPLORE_DFS)
		opts_fail(&o, "--por reduces the bounded exhaustive search: give --strategy dfs");
	cfg.por_state = &ex.c->dpor;
	ex.cfg = &cfg;
	ex.seed = cfg.seed;
	ex.nfiles = nfiles;
	ex.runs_planned = cfg.runs_max * (uint64_t)nfiles;
	cfg.at = &ex.c->at;
	cfg.stop = &ex.c->stop;
	cfg.on_finding = on_finding;
	cfg.on_dependence = on_dependence;
	cfg.on_progress = on_progress;
	/* --time and Ctrl-C end the exploration after the run in progress,
	 * with the summary (the child inherits the handlers; Ctrl-C reaches
	 * both, the timer only the parent, which tells the child through the
	 * shared flag). */
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* SIGTERM stays fatal: nmr-campaign ends a chunk with it */
	if (ex.time_limit > 0) {
		/* Only with --time (the parent arms no watchdog; the child's
		 * crash_watchdog replaces this handler with its own). */
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = { .it_value = { .tv_sec = (time_t)ex.time_limit,
						      .tv_usec = (suseconds_t)((ex.time_limit - (double)(time_t)ex.time_limit) * 1e6) } };
		setitimer(ITIMER_REAL, &it, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &ex.start);
	ex.file = files[0];
	bool ok = explore_files(&cfg, files, nfiles);
	ex.file = files[ex.c->file_index < nfiles ? ex.c->file_index : nfiles - 1];
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	struct campaign *c = ex.c;
	double t = elapsed();
	progress_line(true);
	if (ex.tty)
		fprintf(stderr, "\r\033[K");
	printf("\nnmr-explore: %" PRIu64 " runs over %d file(s), %" PRIu64 " steps, %.1f s (%.0f runs/s)%s\n",
	       c->runs_before, c->files_done, c->steps, t, t > 0 ? (double)c->runs_before / t : 0.0,
	       !c->stop ? "" : stop_signal == SIGALRM ? ", stopped at --time" : ", interrupted");
	if (c->crashes)
		printf("%" PRIu64 " run(s) crashed (K08); each was recorded and the exploration went on\n", c->crashes);
	if (cfg.freedoms_every)
		printf("freedoms: %" PRIu64 " decision points of every %" PRIu64 ". clean run flipped in %" PRIu64
		       " differential runs (%.2f per explored run)\n", c->adv.points, cfg.freedoms_every, c->adv.runs,
		       c->runs_before ? (double)c->adv.runs / (double)c->runs_before : 0.0);
	uint32_t nadv = found_print();
	runner_fini(&r);
	/* Advisories (M22, M23) do not make a run fail unless --advisories-fail. */
	int rc = c->nfound > nadv ? EXIT_VIOLATION : EXIT_CLEAN;
	c->write_errors += c->adv.write_errors;
	if (c->write_errors) {
		fprintf(stderr, "nmr-explore: %u trace file(s) could not be written to %s: findings without a reproducer\n",
			c->write_errors, ex.out_dir);
		rc = EXIT_BAD_INPUT;
	}
	if (!ok) {
		fprintf(stderr, "nmr-explore: some runs could not be made (see above)\n");
		rc = EXIT_BAD_INPUT;
	}
	munmap(c, sizeof(*c));
	return opts_exit(&o, rc);
}
