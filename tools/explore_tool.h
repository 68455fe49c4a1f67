/* explore_tool.h - what nmr_explore.c (options, the fork server, progress)
 * and explore_found.c (the table of distinct findings) share. */
#ifndef NMRSIM_EXPLORE_TOOL_H
#define NMRSIM_EXPLORE_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "advisories.h"
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
	bool truncated;        /* its run took more choices than the trace holds (report_truncated) */
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

/* The parent's view (nmr_explore.c). */
struct explore_tool {
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
	uint8_t atomics;            /* --atomics: 0 each file's own, 1 plain, 2 preempt (every file) */
	enum explore_strategy strategy;
	const struct explore_config *cfg;
	uint64_t seed;
};

extern struct explore_tool ex;
extern char replay_cmd[1024];

double elapsed(void);
/* explore_found.c */
bool on_finding(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t run_index);
bool on_dependence(void *ctx, const struct freedom_dependence *fd, uint64_t run_index);
int on_crash(void);
uint32_t found_roots(void);
uint32_t found_print(void);

#endif
