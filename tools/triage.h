/* triage.h - what the files of nmr-triage share: the inputs and signatures
 * seen (triage_inputs.c), replaying and grouping them (triage_replay.c),
 * and rendering the report (triage_report.c, triage_svg.c). One triage per
 * process, so the tables are the tool's globals. */
#ifndef NMRSIM_TRIAGE_H
#define NMRSIM_TRIAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "minimize.h"
#include "report.h"

#define PATHS_MAX 1024       /* paths on the command line */
#define SIGS_MAX 1024        /* distinct signatures in one report */
#define FILE_SIGS_MAX 8      /* signatures remembered per file */
#define TIMELINE_LINES_MAX 400  /* timeline lines printed per bug */
#define SVG_EVENTS_MAX 800   /* events drawn in the swimlane picture */

struct tfile {
	char *path;
	int64_t mtime;           /* seconds */
	int64_t size;
	uint32_t nops, nchoices;
	uint32_t nsuppressed;    /* findings of its run the suppressions set aside */
	uint32_t nadvisories;    /* advisories of its run, not counted */
	uint8_t nsigs;
	uint16_t sigs[FILE_SIGS_MAX]; /* indices into sigs[] */
	bool text;
	bool error;              /* could not be read or parsed */
	bool crashed;            /* its run crashed (K08): not replayed in-process again */
	bool cached;             /* taken from the state file */
	bool seen;               /* still on disk this time (state entries) */
};

struct tsig {
	char sig[TGT_SIG_MAX];
	uint8_t rule;
	uint32_t hits;           /* files that report it */
	int64_t first_seen;      /* earliest mtime */
	int32_t first_file;      /* the file seen first */
	int32_t best;            /* smallest reproducer */
	char min_path[1024];     /* minimised reproducer written, "" if none */
	char min_from[1024];     /* the file it was minimised from (state) */
	struct min_stats min;    /* minimiser figures */
	uint32_t roots;          /* files whose run it is the root cause of (its first violation) */
	int32_t follows;         /* a root it followed in some run, -1 if none */
	bool min_cached;
};

extern struct tfile *files;
extern uint32_t nfiles;
extern struct tsig sigs[SIGS_MAX];
extern uint32_t nsigs;
extern uint32_t sigs_dropped;
extern uint32_t replayed, reused, errors; /* errors: inputs and folders that could not be read */
/* Findings of the inputs that the suppressions set aside, and advisories not
 * counted (--advisories-fail counts them), over the inputs on disk
 * (group()): in the summary, never silently lost. */
extern uint32_t suppressed_total, advisories_total;
/* Root causes by first sighting, each followed by its follow-ons (labelled "N.k"). */
extern char labels[SIGS_MAX][16];

struct triage_opt {
	enum tgt_kind kind;
	uint64_t mask;
	bool rules_given;
	bool minimize;
	bool quiet;
	const char *out_dir;
	const char *state;
	uint32_t prune;          /* keep at most this many files per signature (0: keep all) */
	uint32_t min_runs;
	char replay[1024];
};
extern struct triage_opt opt;

/* One engine for the whole triage: replays (in a child), minimising and rendering. */
extern struct scenario scn, mscn;
extern struct runner runner;
extern struct tgt_buf buf;
extern struct tgt_outcome outc;

/* triage_inputs.c: the file and signature tables, the state file, collecting inputs */
void index_rebuild(void);
int sig_lookup(const char *sig, bool add);
void state_load(void);
int state_save(void);
void walk(const char *dir);
void consider(const char *path, const struct stat *st);

/* triage_replay.c: replaying (in a child process), grouping, pruning, minimising */
/* Whether s is an advisory not counted (--advisories-fail counts them):
 * listed apart, never a bug, a root or a follow-on. */
bool triage_advisory(const struct tsig *s);
void pending_add(uint32_t f);
bool replay_pending(void);
void group(void);
uint32_t order_bugs(uint32_t *order, uint32_t *n);
uint32_t prune(void);
int mkdirs(const char *path);
void minimise(struct tsig *s, uint32_t number);

/* triage_svg.c: a run's timeline as text and as an SVG swimlane picture */
struct mem {
	char *text;
	size_t len;
	uint32_t *line;   /* offset of line i */
	uint32_t nlines;
};
void html_escape(FILE *f, const char *s, size_t n);
void html_text(FILE *f, const char *s);
void render_svg(FILE *f, const struct trace *t, const struct scenario *s, const struct mem *tl);
void capture_timeline(struct mem *m, const struct trace *t, const struct scenario *s);
void put_timeline(FILE *f, const struct mem *tl, bool html);

/* triage_report.c: report.txt and report.html */
int write_report(uint32_t *order, uint32_t nbugs, uint32_t nroots, double secs);

#endif
