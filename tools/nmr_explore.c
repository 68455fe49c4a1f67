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

#include "advisories.h"
#include "findings.h"
#include "report.h"
#include "target.h"
#include "run/crash.h"
#include "run/explore.h"

#define DISTINCT_MAX 256
#define FILES_MAX 256
#define RUNS_MAX 1000000000000ull   /* 10^12: beyond a year at 30k runs/s */
#define TIME_MAX_S (30.0 * 86400)   /* --time: at most 30 days */
#define CHILD_CRASHED 3             /* a child's exit status after a recorded crash */

struct distinct {
	char signature[128];   /* rule + where */
	char trace[512];       /* the trace file written for it */
	char scenario[256];    /* the file it came from */
	uint64_t hits;         /* runs that reported it */
	uint64_t first_run;    /* run index (over the campaign) of its first sighting */
	int32_t follows;       /* -1: a root cause (first finding of some run); else the root it followed */
	bool crash;            /* K08: a run that killed the process */
	bool advisory;         /* an advisory not counted (listed apart, never a root) */
};

/* Shared between the parent and the exploring child (MAP_SHARED): the child
 * writes, the parent reads what a dead child left. */
struct campaign {
	struct distinct found[DISTINCT_MAX];
	uint32_t nfound;
	uint32_t dropped;           /* findings beyond DISTINCT_MAX */
	uint32_t write_errors;      /* trace files that could not be written */
	uint64_t runs_before;       /* runs of previous files and batches */
	uint64_t batch_runs;        /* runs of the child's batch (last progress) */
	uint64_t steps;             /* steps of finished batches */
	uint64_t batch_steps;
	uint64_t crashes;           /* runs that crashed */
	uint64_t suppressed;        /* findings set aside by suppressions, over all runs */
	volatile uint64_t at;       /* index of the run in progress (within the file) */
	volatile int stop;          /* --time reached or Ctrl-C: no further run */
	int file_index;             /* the file in progress */
	uint64_t from;              /* its first run in this child */
	bool dfs_resume;            /* DFS: start at dfs_next, not the root */
	uint64_t file_runs;         /* runs of the file in progress, over children */
	int files_done;
	bool crashed;               /* the child recorded a crash and exits CHILD_CRASHED */
	bool dfs_more;              /* DFS: a schedule follows the crashed one */
	bool exhausted, truncated;  /* DFS figures of the last batch */
	struct advisories adv;      /* --freedoms: M23 (advisories.h) */
	uint16_t dfs_next[SCN_CHOICES_MAX]; /* DFS: where the next child starts */
	uint32_t dfs_next_len;
	struct dpor dpor;           /* DFS --por: the tree, kept across children */
};

/* The parent's view. */
static struct {
	const char *out_dir;
	const char *adv_dir;        /* M23 reproducers and their text (--advisories; default out_dir) */
	const char *file;           /* scenario being explored */
	const struct scenario *scn;
	struct runner *runner;
	struct campaign *c;         /* shared */
	uint64_t runs_planned;
	int nfiles;
	double time_limit;          /* 0: none */
	struct timespec start;
	double last_line;           /* when the last progress line was printed */
	bool tty;
	bool quiet;
	enum explore_strategy strategy;
	const struct explore_config *cfg;
	uint64_t seed;
} ex;

static struct scenario trace_scn, scn;
static char replay_cmd[1024] = "nmr-replay";

static double elapsed(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - ex.start.tv_sec) + (double)(now.tv_nsec - ex.start.tv_nsec) / 1e9;
}

static void file_safe(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 'A' && *src <= 'Z') || (*src >= 'a' && *src <= 'z') || (*src >= '0' && *src <= '9') ? *src : '_';
	dst[n] = '\0';
}

static struct distinct *lookup(const char *sig)
{
	struct campaign *c = ex.c;
	for (uint32_t k = 0; k < c->nfound; k++)
		if (!strcmp(c->found[k].signature, sig))
			return &c->found[k];
	return NULL;
}

/* Count the findings of one run (res: a finished run, or the state a crash
 * left); a new signature gets a trace file that replays this run. */
static void record(const struct run_result *res, uint64_t run_index, bool crashed)
{
	struct campaign *c = ex.c;
	const struct oracle *o = &ex.runner->st->oracle;
	c->suppressed += res->nsuppressed;
	/* The findings that count first (the root among them), then the
	 * advisories: an advisory is never a run's root cause. */
	uint8_t idx[ORACLE_FINDINGS_MAX];
	uint32_t nf = 0, nall = 0;
	for (uint32_t i = 0; i < res->nfindings && i < ORACLE_FINDINGS_MAX; i++)
		if (oracle_finding_fails(o, &res->findings[i]))
			idx[nf++] = (uint8_t)i;
	nall = nf;
	for (uint32_t i = 0; i < res->nfindings && i < ORACLE_FINDINGS_MAX; i++)
		if (!oracle_finding_fails(o, &res->findings[i]))
			idx[nall++] = (uint8_t)i;
	uint32_t first = nf ? tgt_root(res->findings, idx, nf) : 0;
	int32_t root = -1;
	/* the root first, so its follow-ons can point at it */
	for (uint32_t n = 0; n < nall; n++) {
		bool advisory = n >= nf;
		uint32_t i = advisory ? idx[n] : idx[n == 0 ? first : n <= first ? n - 1 : n];
		char sig[128];
		oracle_signature(&ex.runner->st->oracle, &res->findings[i], sig, sizeof sig);
		struct distinct *d = lookup(sig);
		if (d) {
			d->hits++;
			if (n == 0 || advisory)
				d->follows = -1; /* the root of this run: a bug of its own */
		} else if (c->nfound == DISTINCT_MAX) {
			c->dropped++;
			continue;
		} else {
			d = &c->found[c->nfound++];
			memset(d, 0, sizeof(*d));
			snprintf(d->signature, sizeof d->signature, "%s", sig);
			snprintf(d->scenario, sizeof d->scenario, "%s", ex.file);
			d->hits = 1;
			d->first_run = c->runs_before - c->file_runs + run_index; /* run_index counts within the file */
			d->follows = n == 0 || advisory ? -1 : root;
			d->advisory = advisory;
			d->crash = crashed && res->findings[i].rule == RULE_K08;
			char name[128];
			file_safe(name, sizeof name, sig);
			snprintf(d->trace, sizeof d->trace, "%s/%03u-%s.nmrt", ex.out_dir, c->nfound, name);
			report_make_trace(&trace_scn, ex.scn, res);
			trace_scn.expect = EXPECT_NONE;
			if (input_write_trace(&trace_scn, d->trace) != 0) {
				fprintf(stderr, "%snmr-explore: cannot write %s: %s\n", ex.tty ? "\r\033[K" : "", d->trace,
					strerror(errno));
				c->write_errors++;
				d->trace[0] = '\0';
			}
			if (!ex.quiet)
				fprintf(stderr, "%snew %s %u: %s  (%s, run %" PRIu64 "%s)\n", ex.tty ? "\r\033[K" : "",
					advisory ? "advisory" : "finding", c->nfound, sig, ex.file, run_index,
					d->crash ? ", crashed" : "");
		}
		if (n == 0)
			root = (int32_t)(d - c->found);
	}
}

static bool on_finding(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t run_index)
{
	(void)ctx;
	(void)src;
	record(res, run_index, false);
	return true;
}

/* A freedom dependence (M23, advisory): counted apart from the bugs. */
static bool on_dependence(void *ctx, const struct freedom_dependence *fd, uint64_t run_index)
{
	(void)ctx;
	struct campaign *c = ex.c;
	struct advisory_where w = { .dir = ex.adv_dir, .file = ex.file, .scn = ex.scn, .oracle = &ex.runner->st->oracle,
				    .replay_cmd = replay_cmd, .tty = ex.tty, .quiet = ex.quiet };
	advisories_add(&c->adv, &w, fd, c->runs_before - c->file_runs + run_index);
	return true;
}

/* In the child, from the crash handler (run/crash.h), after the K08
 * finding is reported: record the run as it stands, note where the next
 * child starts, and leave. */
static int on_crash(void)
{
	struct campaign *c = ex.c;
	struct run_state *st = run_current;
	if (!st)
		return EXIT_BAD_INPUT;
	struct run_result res = {
		.hash = st->trace.hash,
		.nfindings = st->oracle.nfindings,
		.findings = st->oracle.findings,
		.nfailing = oracle_failing(&st->oracle),
		.nsuppressed = st->oracle.suppressed,
		.choices = st->choice_log,
		.nchoices = st->choice.log_len,
	};
	record(&res, c->at, true);
	c->crashes++;
	if (ex.strategy == EXPLORE_DFS) /* a crashed run's steps are not analysed (por NULL) */
		c->dfs_more = explore_dfs_next(ex.cfg, st->choice_log, st->choice.log_len, st->choice.prefix_len, NULL,
					       c->dfs_next, &c->dfs_next_len);
	c->crashed = true;
	fflush(stderr);
	return CHILD_CRASHED;
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

/* The root that signature i is listed under: itself when it is a root
 * cause of its own, else the run's root it followed, or an earlier root
 * that is the same defect at another stage (tgt_same_defect). */
static int32_t owner(uint32_t i)
{
	const struct distinct *f = ex.c->found;
	if (f[i].follows >= 0)
		return owner((uint32_t)f[i].follows);
	for (uint32_t j = 0; j < i; j++)
		if (f[j].follows < 0 && owner(j) == (int32_t)j && tgt_same_defect(f[j].signature, f[i].signature))
			return (int32_t)j;
	return (int32_t)i;
}

static uint32_t roots(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < ex.c->nfound; i++)
		n += !ex.c->found[i].advisory && owner(i) == (int32_t)i;
	return n;
}

static uint32_t advisories(void)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < ex.c->nfound; i++)
		n += ex.c->found[i].advisory;
	return n;
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
		ex.tty ? "\r\033[K" : "", el, lim, done, plan[0] ? "/" : "", plan, rate, roots(), c->crashes, ex.file,
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
	/* In the parent SIGALRM is also the watchdog's 1 s tick (crash_watchdog,
	 * armed before the handlers): only the end of --time stops. */
	if (sig == SIGALRM && !(ex.time_limit > 0 && elapsed() >= ex.time_limit))
		return;
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
		"                  swarm configuration drawn per run) or cover (swarm guided by interleaving coverage)\n"
		"  --runs N        runs per file (default 2000; dfs: 0 = until exhausted; at most 10^12)\n"
		"  --time T        stop after T of wall-clock time (90s, 10m, 8h; the runs made are exact, the\n"
		"                  count then depends on the machine)\n"
		"  --seed N        first seed (default 1)\n"
		"  --depth D       PCT depth, 1..%d (default 3)\n"
		"  --bound B       DFS preemption bound, 0..64 (default 2)\n"
		"  --por           DFS with partial-order reduction: one schedule per order of dependent steps\n"
		"                  (within the bound), far fewer schedules for the same findings\n"
		"  --out DIR       where trace files of findings go (default out/explore)\n"
		"  --quiet         no progress line\n"
		"  --freedoms N    after every N-th clean run, flip each of its freedom decisions (F1-F5) in a\n"
		"                  differential run and report a module whose outcome changes (advisory M23,\n"
		"                  two reproducers); advisories do not change the exit status\n"
		"  --advisories DIR where M23 reproducers go (default: --out)\n"
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
	const char *strategy, *rules;
	opts_init(&o, "nmr-explore", argc, argv, usage);
	while (opts_next(&o)) {
		if (opts_str(&o, "--strategy", &strategy)) {
			if (!strcmp(strategy, "random")) cfg.strategy = EXPLORE_RANDOM;
			else if (!strcmp(strategy, "pct")) cfg.strategy = EXPLORE_PCT;
			else if (!strcmp(strategy, "dfs")) cfg.strategy = EXPLORE_DFS;
			else if (!strcmp(strategy, "swarm")) cfg.strategy = EXPLORE_SWARM;
			else if (!strcmp(strategy, "cover")) cfg.strategy = EXPLORE_COVER;
			else opts_fail(&o, "--strategy: unknown strategy '%s' (random, pct, dfs, swarm, cover)", strategy);
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
		else if (opts_str(&o, "--rules", &rules)) {
			if (!tgt_rules_parse(rules, &cfg.rule_mask))
				opts_fail(&o, "--rules: bad rule list '%s' (rule IDs, letters M K R L, or all)", rules);
			if (cfg.rule_mask == tgt_mask_all())
				cfg.rule_mask = 0;
		}
		else if (findings_option(&o)) ;
		else if (opts_flag(&o, "--por")) cfg.por = true;
		else if (nfiles < FILES_MAX) files[nfiles++] = opts_operand(&o);
		else opts_fail(&o, "more than %d files", FILES_MAX);
	}
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
		/* Only with --time: without it SIGALRM is the watchdog's 1-second
		 * tick (crash_watchdog above), which must not end the exploration. */
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
	uint32_t nadv = advisories();
	printf("%u distinct bug(s) (root causes), %u signature(s)", roots(), c->nfound - nadv);
	if (nadv)
		printf(", %u advisor%s (not counted; --advisories-fail counts them)", nadv, nadv == 1 ? "y" : "ies");
	if (c->suppressed)
		printf(", %" PRIu64 " finding(s) suppressed", c->suppressed);
	printf("\n");
	uint32_t number = 0;
	for (uint32_t i = 0; i < c->nfound; i++) {
		const struct distinct *d = &c->found[i];
		if (d->advisory || owner(i) != (int32_t)i)
			continue;
		printf("\n[%u] %s%s\n    hits %" PRIu64 ", first at run %" PRIu64 ", scenario %s\n", ++number, d->signature,
		       d->crash ? "  (crash)" : "", d->hits, d->first_run, d->scenario);
		if (d->trace[0])
			printf("    replay: %s %s\n", replay_cmd, d->trace);
		for (uint32_t k = 0; k < c->nfound; k++)
			if (k != i && owner(k) == (int32_t)i)
				printf("    then: %s  (%" PRIu64 " hits)%s%s\n", c->found[k].signature, c->found[k].hits,
				       c->found[k].trace[0] ? "  replay: " : "", c->found[k].trace);
	}
	if (nadv)
		printf("\nadvisories (not counted):\n");
	for (uint32_t i = 0; i < c->nfound; i++) {
		const struct distinct *d = &c->found[i];
		if (d->advisory)
			printf("  %s  (%" PRIu64 " hits)%s%s\n", d->signature, d->hits, d->trace[0] ? "  replay: " : "", d->trace);
	}
	if (c->adv.n)
		printf("\n%u advisory(ies) (M23 freedom dependence: correct under one freedom of NMR, not another)\n",
		       c->adv.n);
	for (uint32_t i = 0; i < c->adv.n; i++) {
		printf("\n");
		advisory_print(stdout, &c->adv.list[i], i + 1, replay_cmd);
	}
	if (c->adv.dropped)
		printf("warning: more than %u advisories; %u were not listed\n", ADVISORIES_MAX, c->adv.dropped);
	if (c->dropped)
		printf("warning: more than %u signatures; %u finding(s) were not grouped\n", DISTINCT_MAX, c->dropped);
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
