/* nmr-triage - replay crash files, group them by signature, keep and
 * minimise the smallest reproducer of each distinct bug, and write the
 * morning report (report.txt and a self-contained report.html).
 *
 * Inputs: files and directories (walked recursively): binary crash files as
 * libFuzzer (crash-*) and AFL++ (crashes/id:*) write them, decoded as the
 * fuzz target does (--target), and text scenarios / traces (.nmr, .nmrt).
 * Every input runs in-process on one runner. A file counts toward each
 * signature its run reports (rule + module + site, oracle_signature).
 *
 * Incremental mode (--state FILE): files already triaged (same path, size
 * and mtime) are not replayed again; minimised reproducers are reused while
 * their source stays the best one.
 *
 * Exit 0 no finding, 1 findings, 2 bad usage, an unreadable input or an
 * unwritable report. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "minimize.h"
#include "report.h"
#include "run/crash.h"
#include "trace/names.h"

#define CHILD_CRASHED 3      /* a replay child's exit status after a recorded crash */
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

static struct tfile *files;
static uint32_t nfiles, files_cap;
static struct tsig sigs[SIGS_MAX];
static uint32_t nsigs;
static uint32_t sigs_dropped;

/* Path -> file index (open addressing), for the state file. */
static int32_t *path_index;
static uint32_t path_index_cap;

static struct {
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
} opt = { .minimize = true, .out_dir = "triage", .min_runs = 50000 };

static struct scenario scn, mscn;
static struct runner runner;
static struct tgt_buf buf;
static struct tgt_outcome outc;

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static void index_rebuild(void)
{
	uint32_t cap = 1024;
	while (cap < nfiles * 2 + 16)
		cap *= 2;
	free(path_index);
	path_index = malloc(sizeof(int32_t) * cap);
	if (!path_index) {
		fprintf(stderr, "nmr-triage: out of memory\n");
		exit(EXIT_BAD_INPUT);
	}
	path_index_cap = cap;
	for (uint32_t i = 0; i < cap; i++)
		path_index[i] = -1;
	for (uint32_t f = 0; f < nfiles; f++) {
		uint32_t h = (uint32_t)fnv(files[f].path) & (cap - 1);
		while (path_index[h] >= 0)
			h = (h + 1) & (cap - 1);
		path_index[h] = (int32_t)f;
	}
}

static int32_t index_find(const char *path)
{
	if (!path_index)
		return -1;
	uint32_t h = (uint32_t)fnv(path) & (path_index_cap - 1);
	while (path_index[h] >= 0) {
		if (!strcmp(files[path_index[h]].path, path))
			return path_index[h];
		h = (h + 1) & (path_index_cap - 1);
	}
	return -1;
}

static struct tfile *file_add(const char *path)
{
	if (nfiles == files_cap) {
		files_cap = files_cap ? files_cap * 2 : 4096;
		files = realloc(files, sizeof(*files) * files_cap);
		if (!files) {
			fprintf(stderr, "nmr-triage: out of memory\n");
			exit(EXIT_BAD_INPUT);
		}
	}
	struct tfile *f = &files[nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	return f;
}

static int sig_lookup(const char *sig, bool add)
{
	for (uint32_t i = 0; i < nsigs; i++)
		if (!strcmp(sigs[i].sig, sig))
			return (int)i;
	if (!add)
		return -1;
	if (nsigs == SIGS_MAX) {
		sigs_dropped++;
		return -1;
	}
	struct tsig *s = &sigs[nsigs];
	memset(s, 0, sizeof(*s));
	snprintf(s->sig, sizeof s->sig, "%s", sig);
	s->rule = (uint8_t)rule_parse(sig);
	s->best = s->first_file = -1;
	return (int)nsigs++;
}

/* ---- the state file ----
 * F <TAB> mtime <TAB> size <TAB> nops <TAB> nchoices <TAB> flags <TAB> path <TAB> sig|sig|...
 * M <TAB> signature <TAB> source path <TAB> minimised path <TAB> ops before <TAB> ops after <TAB> runs */

static char *next_field(char **p)
{
	char *s = *p;
	if (!s)
		return NULL;
	char *tab = strchr(s, '\t');
	if (tab) {
		*tab = '\0';
		*p = tab + 1;
	} else {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		*p = NULL;
	}
	return s;
}

static void state_load(void)
{
	FILE *f = fopen(opt.state, "r");
	if (!f)
		return;
	static char line[16384];
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		char *tag = next_field(&p);
		if (!tag || !p)
			continue;
		if (!strcmp(tag, "F")) {
			char *mt = next_field(&p), *sz = next_field(&p), *no = next_field(&p), *nc = next_field(&p),
			     *fl = next_field(&p), *path = next_field(&p), *sl = next_field(&p);
			if (!path || !sl)
				continue;
			struct tfile *t = file_add(path);
			t->mtime = strtoll(mt, NULL, 10);
			t->size = strtoll(sz, NULL, 10);
			t->nops = (uint32_t)strtoul(no, NULL, 10);
			t->nchoices = (uint32_t)strtoul(nc, NULL, 10);
			t->text = strchr(fl, 't') != NULL;
			t->error = strchr(fl, 'e') != NULL;
			t->crashed = strchr(fl, 'c') != NULL;
			t->cached = true;
			for (char *s = sl; *s && t->nsigs < FILE_SIGS_MAX;) {
				char *bar = strchr(s, '|');
				if (bar)
					*bar = '\0';
				int k = sig_lookup(s, true);
				if (k >= 0)
					t->sigs[t->nsigs++] = (uint16_t)k;
				if (!bar)
					break;
				s = bar + 1;
			}
		} else if (!strcmp(tag, "M")) {
			char *sig = next_field(&p), *from = next_field(&p), *mp = next_field(&p), *ob = next_field(&p),
			     *oa = next_field(&p), *runs = next_field(&p);
			if (!runs)
				continue;
			int k = sig_lookup(sig, true);
			if (k < 0)
				continue;
			snprintf(sigs[k].min_from, sizeof sigs[k].min_from, "%s", from);
			snprintf(sigs[k].min_path, sizeof sigs[k].min_path, "%s", mp);
			snprintf(sigs[k].min.signature, sizeof sigs[k].min.signature, "%s", sig);
			sigs[k].min.ops_before = (uint32_t)strtoul(ob, NULL, 10);
			sigs[k].min.ops_after = (uint32_t)strtoul(oa, NULL, 10);
			sigs[k].min.runs = (uint32_t)strtoul(runs, NULL, 10);
			sigs[k].min_cached = true;
		}
	}
	fclose(f);
}

static int state_save(void)
{
	char tmp[1100];
	snprintf(tmp, sizeof tmp, "%s.tmp", opt.state);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "# nmr-triage state: target %s\n", tgt_kind_name(opt.kind));
	for (uint32_t i = 0; i < nfiles; i++) {
		const struct tfile *t = &files[i];
		if (!t->seen || strchr(t->path, '\t') || strchr(t->path, '\n'))
			continue;
		fprintf(f, "F\t%" PRId64 "\t%" PRId64 "\t%u\t%u\t%s%s%s-\t%s\t", t->mtime, t->size, t->nops, t->nchoices,
			t->text ? "t" : "", t->error ? "e" : "", t->crashed ? "c" : "", t->path);
		for (uint32_t k = 0; k < t->nsigs; k++)
			fprintf(f, "%s%s", k ? "|" : "", sigs[t->sigs[k]].sig);
		fprintf(f, "\n");
	}
	for (uint32_t i = 0; i < nsigs; i++)
		if (sigs[i].min_path[0] && sigs[i].hits)
			fprintf(f, "M\t%s\t%s\t%s\t%u\t%u\t%u\n", sigs[i].sig, sigs[i].min_from, sigs[i].min_path,
				sigs[i].min.ops_before, sigs[i].min.ops_after, sigs[i].min.runs);
	/* A full disk: keep the old state, not half a new one. */
	bool bad = fflush(f) != 0 || ferror(f);
	int saved = errno;
	if (fclose(f) != 0 || bad) {
		if (!bad)
			saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return rename(tmp, opt.state);
}

/* ---- collecting inputs ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void consider(const char *path, const struct stat *st);
static void pending_add(uint32_t f);

static uint32_t replayed, reused, errors; /* errors: inputs and folders that could not be read */

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "nmr-triage: %s: %s\n", dir, strerror(errno));
		errors++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		/* Hidden entries (libFuzzer/AFL++ temporaries, .state) and
		 * AFL++'s README.txt are not inputs. */
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.txt"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = realloc(names, sizeof(char *) * cap);
			if (!names) {
				fprintf(stderr, "nmr-triage: %s: out of memory\n", dir);
				exit(EXIT_BAD_INPUT);
			}
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n) /* qsort's array must not be NULL, even for 0 elements */
		qsort(names, n, sizeof(char *), by_name);
	char path[4096];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				walk(path);
			else if (S_ISREG(st.st_mode))
				consider(path, &st);
		}
		free(names[i]);
	}
	free(names);
}


static void consider(const char *path, const struct stat *st)
{
	int32_t k = index_find(path);
	struct tfile *t;
	if (k >= 0 && files[k].cached && !files[k].seen && files[k].mtime == (int64_t)st->st_mtime &&
	    files[k].size == (int64_t)st->st_size) {
		files[k].seen = true;
		reused++;
		return;
	}
	if (k >= 0) {
		if (files[k].seen)
			return; /* named twice */
		t = &files[k];
	} else {
		t = file_add(path);
	}
	t->seen = true;
	t->cached = false;
	t->nsigs = 0;
	t->mtime = (int64_t)st->st_mtime;
	t->size = (int64_t)st->st_size;
	pending_add((uint32_t)(t - files));
}

/* ---- replaying, in a child process ----
 * A crash file may crash the driver it runs (K08). The inputs to replay run
 * in a child process that writes each result into shared memory; when it
 * dies, its crash handler has filled in the input it was running, and a new
 * child goes on with the next input. One fork per triage, not per input. */

struct replay_result {
	uint32_t nops, nchoices;
	bool text, error, crashed;
	uint8_t nsigs;
	char sig[FILE_SIGS_MAX][TGT_SIG_MAX]; /* the run's root cause first */
	char err[600];
};

static uint32_t *pending;          /* file indices to replay */
static uint32_t npending, pending_cap;
static struct replay_result *results; /* shared, one per pending file */
static volatile uint64_t *replay_at;  /* shared: the input in progress */
static uint64_t replay_mask;          /* the counted rules of the input in progress */

static void pending_add(uint32_t f)
{
	if (npending == pending_cap) {
		pending_cap = pending_cap ? pending_cap * 2 : 1024;
		pending = realloc(pending, sizeof(uint32_t) * pending_cap);
		if (!pending) {
			fprintf(stderr, "nmr-triage: out of memory\n");
			exit(EXIT_BAD_INPUT);
		}
	}
	pending[npending++] = f;
}

/* The counted signatures of outc into r, the root cause first. */
static void keep_sigs(struct replay_result *r)
{
	uint32_t root = tgt_root(outc.res.findings, outc.index, outc.ncounted);
	r->nsigs = 0;
	for (uint32_t n = 0; n < outc.ncounted && r->nsigs < FILE_SIGS_MAX; n++) {
		uint32_t i = n == 0 ? root : n <= root ? n - 1 : n;
		snprintf(r->sig[r->nsigs++], TGT_SIG_MAX, "%s", outc.sig[i]);
	}
}

static int on_crash(void)
{
	struct replay_result *r = &results[*replay_at];
	tgt_crashed(&runner, &scn, replay_mask, &outc);
	r->nchoices = outc.res.nchoices;
	r->crashed = true;
	keep_sigs(r);
	return CHILD_CRASHED;
}

static _Noreturn void replay_child(uint64_t from)
{
	crash_exit_code = on_crash;
	for (uint64_t k = from; k < npending; k++) {
		*replay_at = k;
		struct replay_result *r = &results[k];
		const char *path = files[pending[k]].path;
		if (tgt_load(&scn, path, opt.kind, &buf, &r->text, r->err, sizeof r->err) != 0) {
			r->error = true;
			continue;
		}
		r->nops = scn.nops;
		replay_mask = opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, r->text);
		tgt_run(&runner, &scn, replay_mask, &outc);
		r->nchoices = outc.res.nchoices;
		keep_sigs(r);
	}
	fflush(stdout);
	fflush(stderr);
	_exit(EXIT_CLEAN);
}

/* Replay every pending input; false when some could not be replayed. */
static bool replay_pending(void)
{
	if (!npending)
		return true;
	size_t bytes = sizeof(struct replay_result) * npending + 64;
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "nmr-triage: cannot set up shared memory for %u inputs: %s\n", npending, strerror(errno));
		return false;
	}
	replay_at = mem;
	results = (struct replay_result *)((char *)mem + 64);
	bool ok = true;
	for (uint64_t from = 0; from < npending;) {
		*replay_at = from;
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "nmr-triage: cannot start a worker process: %s\n", strerror(errno));
			ok = false;
			break;
		}
		if (pid == 0)
			replay_child(from);
		int status;
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				fprintf(stderr, "nmr-triage: lost the worker process: %s\n", strerror(errno));
				ok = false;
				goto apply;
			}
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CLEAN)
			break;
		uint64_t k = *replay_at;
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_CRASHED)) {
			/* not a crash the handler saw: the input was not checked */
			results[k].error = true;
			snprintf(results[k].err, sizeof results[k].err, "%s: replaying it ended the worker process (%s %d)",
				 files[pending[k]].path, WIFSIGNALED(status) ? "signal" : "exit status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
		from = k + 1;
	}
apply:
	for (uint32_t k = 0; k < npending; k++) {
		struct tfile *t = &files[pending[k]];
		const struct replay_result *r = &results[k];
		if (r->error) {
			t->error = true;
			errors++;
			fprintf(stderr, "nmr-triage: %s\n", r->err);
			continue;
		}
		t->error = false;
		t->text = r->text;
		t->crashed = r->crashed;
		t->nops = r->nops;
		t->nchoices = r->nchoices;
		replayed++;
		for (uint32_t i = 0; i < r->nsigs && t->nsigs < FILE_SIGS_MAX; i++) {
			int s = sig_lookup(r->sig[i], true);
			if (s >= 0)
				t->sigs[t->nsigs++] = (uint16_t)s;
		}
	}
	munmap(mem, bytes);
	return ok;
}

/* Smaller reproducer first: fewer ops, then fewer choices, then fewer bytes, then path. */
static bool better(const struct tfile *a, const struct tfile *b)
{
	if (a->nops != b->nops)
		return a->nops < b->nops;
	if (a->nchoices != b->nchoices)
		return a->nchoices < b->nchoices;
	if (a->size != b->size)
		return a->size < b->size;
	return strcmp(a->path, b->path) < 0;
}

static void group(void)
{
	for (uint32_t s = 0; s < nsigs; s++) {
		sigs[s].hits = sigs[s].roots = 0;
		sigs[s].best = sigs[s].first_file = sigs[s].follows = -1;
	}
	for (uint32_t i = 0; i < nfiles; i++) {
		struct tfile *t = &files[i];
		if (!t->seen)
			continue;
		for (uint32_t k = 0; k < t->nsigs; k++) {
			struct tsig *s = &sigs[t->sigs[k]];
			s->hits++;
			/* a file's first signature is its run's root cause */
			if (k == 0)
				s->roots++;
			else if (s->follows < 0)
				s->follows = t->sigs[0];
			if (s->best < 0 || better(t, &files[s->best]))
				s->best = (int32_t)i;
			if (s->first_file < 0 || t->mtime < s->first_seen ||
			    (t->mtime == s->first_seen && strcmp(t->path, files[s->first_file].path) < 0)) {
				s->first_file = (int32_t)i;
				s->first_seen = t->mtime;
			}
		}
	}
}

/* Whether signature s is counted as a bug of its own: the root cause of
 * some run, or a follow-on of nothing listed. */
static bool is_root(const struct tsig *s)
{
	return s->roots || s->follows < 0 || !sigs[s->follows].hits;
}

static int by_first_seen(const void *a, const void *b);

/* Root causes by first sighting, each followed by its follow-ons (labelled
 * "N.k"): every signature stays in the report, the count is of roots. */
static char labels[SIGS_MAX][16];

static uint32_t order_bugs(uint32_t *order, uint32_t *n)
{
	uint32_t roots[SIGS_MAX], nr = 0, follow[SIGS_MAX], nf = 0;
	for (uint32_t s = 0; s < nsigs; s++)
		if (sigs[s].hits)
			*(is_root(&sigs[s]) ? &roots[nr++] : &follow[nf++]) = s;
	if (nr)
		qsort(roots, nr, sizeof(roots[0]), by_first_seen);
	/* A root that is an earlier root's defect at another stage (M19 where
	 * another run had M18 at the same call) is listed under it. */
	uint32_t kept = 0;
	for (uint32_t r = 0; r < nr; r++) {
		int32_t same = -1;
		for (uint32_t q = 0; q < kept && same < 0; q++)
			if (tgt_same_defect(sigs[roots[q]].sig, sigs[roots[r]].sig))
				same = (int32_t)roots[q];
		if (same < 0) {
			roots[kept++] = roots[r];
		} else {
			sigs[roots[r]].follows = same;
			follow[nf++] = roots[r];
		}
	}
	nr = kept;
	if (nf)
		qsort(follow, nf, sizeof(follow[0]), by_first_seen);
	/* A follow-on's root may itself have been listed under another root:
	 * follow the chain (bounded) to a listed one. */
	static bool listed_root[SIGS_MAX];
	memset(listed_root, 0, sizeof listed_root);
	for (uint32_t r = 0; r < nr; r++)
		listed_root[roots[r]] = true;
	static int32_t owner[SIGS_MAX];
	for (uint32_t f = 0; f < nf; f++) {
		int32_t o = sigs[follow[f]].follows;
		for (int hops = 0; o >= 0 && !listed_root[o] && hops < SIGS_MAX; hops++)
			o = sigs[o].follows;
		owner[f] = o >= 0 && listed_root[o] ? o : -1;
		if (owner[f] < 0) /* belongs to no listed root: a bug of its own */
			roots[nr++] = follow[f];
	}
	*n = 0;
	for (uint32_t r = 0; r < nr; r++) {
		snprintf(labels[*n], sizeof labels[0], "%u", r + 1);
		order[(*n)++] = roots[r];
		uint32_t k = 0;
		for (uint32_t f = 0; f < nf; f++)
			if (owner[f] >= 0 && owner[f] == (int32_t)roots[r]) {
				snprintf(labels[*n], sizeof labels[0], "%u.%u", r + 1, ++k);
				order[(*n)++] = follow[f];
			}
	}
	return nr;
}

/* Delete files beyond opt.prune per signature, keeping each signature's best
 * and first-seen files; files without findings are kept. */
static uint32_t prune(void)
{
	uint32_t *kept = calloc(nsigs ? nsigs : 1, sizeof(uint32_t));
	uint32_t removed = 0;
	if (!kept)
		return 0;
	for (uint32_t s = 0; s < nsigs; s++) {
		if (sigs[s].best >= 0)
			kept[s]++;
		if (sigs[s].first_file >= 0 && sigs[s].first_file != sigs[s].best)
			kept[s]++;
	}
	for (uint32_t i = 0; i < nfiles; i++) {
		struct tfile *t = &files[i];
		if (!t->seen || t->nsigs == 0)
			continue;
		bool needed = false;
		for (uint32_t k = 0; k < t->nsigs; k++) {
			struct tsig *s = &sigs[t->sigs[k]];
			if (s->best == (int32_t)i || s->first_file == (int32_t)i)
				needed = true;
		}
		for (uint32_t k = 0; k < t->nsigs && !needed; k++)
			if (kept[t->sigs[k]] < opt.prune) {
				kept[t->sigs[k]]++;
				needed = true;
			}
		if (!needed && unlink(t->path) == 0) {
			t->seen = false;
			removed++;
		}
	}
	free(kept);
	return removed;
}

static int by_first_seen(const void *a, const void *b)
{
	const struct tsig *x = &sigs[*(const uint32_t *)a], *y = &sigs[*(const uint32_t *)b];
	if (x->first_seen != y->first_seen)
		return x->first_seen < y->first_seen ? -1 : 1;
	return strcmp(x->sig, y->sig);
}

static void file_safe(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 'A' && *src <= 'Z') || (*src >= 'a' && *src <= 'z') || (*src >= '0' && *src <= '9') ? *src : '_';
	dst[n] = '\0';
}

static int mkdirs(const char *path)
{
	char err[600];
	if (input_make_dir(path, err, sizeof err) == 0)
		return 0;
	fprintf(stderr, "nmr-triage: %s\n", err);
	return -1;
}

/* Minimise the best reproducer of signature s into OUT/bugs/. */
static void minimise(struct tsig *s, uint32_t number)
{
	const struct tfile *best = &files[s->best];
	if (best->crashed)
		return; /* its run crashes this process: the reproducer stays as it is */
	if (s->min_cached && !strcmp(s->min_from, best->path) && access(s->min_path, R_OK) == 0)
		return;
	s->min_cached = false;
	s->min_path[0] = '\0';
	char err[600];
	bool text;
	if (tgt_load(&scn, best->path, opt.kind, &buf, &text, err, sizeof err) != 0)
		return;
	struct min_config cfg = {
		.rule_mask = opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, text),
		.signature = s->sig,
		.runs_max = opt.min_runs,
	};
	if (min_minimize(&runner, &scn, &cfg, &mscn, &s->min, err, sizeof err) != 0) {
		fprintf(stderr, "nmr-triage: cannot minimise %s (%s): %s\n", best->path, s->sig, err);
		return;
	}
	char dir[900], name[100];
	snprintf(dir, sizeof dir, "%.890s/bugs", opt.out_dir);
	if (mkdirs(dir) != 0)
		return;
	file_safe(name, sizeof name, s->sig);
	snprintf(s->min_path, sizeof s->min_path, "%s/%03u-%s.nmr", dir, number, name);
	FILE *f = fopen(s->min_path, "w");
	bool bad = !f || min_print(f, &mscn, &s->min, best->path) != 0;
	if (f && fclose(f) != 0)
		bad = true;
	if (bad) {
		fprintf(stderr, "nmr-triage: cannot write %s: %s\n", s->min_path, strerror(errno));
		s->min_path[0] = '\0';
		return;
	}
	snprintf(s->min_from, sizeof s->min_from, "%s", best->path);
}

/* ---- rendering ---- */

/* A rendered text timeline and where each of its lines starts. */
struct mem {
	char *text;
	size_t len;
	uint32_t *line;   /* offset of line i */
	uint32_t nlines;
};

static void html_escape(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

static void html_text(FILE *f, const char *s)
{
	html_escape(f, s, strlen(s));
}

/* The timeline text's line for event i (line i + 1: a header comes first). */
static void line_of(const struct mem *tl, uint32_t i, const char **start, size_t *len)
{
	if (i + 1 >= tl->nlines) {
		*start = "";
		*len = 0;
		return;
	}
	const char *p = tl->text + tl->line[i + 1];
	const char *e = strchr(p, '\n');
	*start = p;
	*len = e ? (size_t)(e - p) : strlen(p);
}

/* An SVG swimlane per thread: nested slices for API calls, callbacks,
 * dispatch calls and Unload; grey for blocked time; red marks findings.
 * x is the event index (steps are too uneven to read). Hover shows the
 * timeline line of an event. */
static void render_svg(FILE *f, const struct trace *t, const struct scenario *s, const struct mem *tl)
{
	uint32_t n = t->count < t->events_cap ? t->count : t->events_cap;
	if (n > SVG_EVENTS_MAX)
		n = SVG_EVENTS_MAX;
	enum { LANES = 64, DEPTH = 8 };
	int lane_of[256];
	uint32_t nlanes = 0;
	uint8_t lane_thread[LANES];
	for (int i = 0; i < 256; i++)
		lane_of[i] = -1;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t th = t->events[i].thread;
		if (lane_of[th] < 0 && nlanes < LANES) {
			lane_thread[nlanes] = th;
			lane_of[th] = (int)nlanes++;
		}
	}
	const double label_w = 110, row_h = 12, lane_h = row_h * 5 + 10;
	double dx = n ? 1100.0 / n : 1;
	if (dx > 24)
		dx = 24;
	if (dx < 1.5)
		dx = 1.5;
	double width = label_w + dx * (n + 1) + 10, height = lane_h * nlanes + 20;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" class=\"swim\">\n", width,
		height);
	char tn[32];
	for (uint32_t l = 0; l < nlanes; l++) {
		double y = 10 + l * lane_h;
		fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\"/>\n", y, width, lane_h - 4,
			l % 2 ? "#f6f6f6" : "#eef3f8");
		fprintf(f, "<text x=\"4\" y=\"%.1f\" class=\"lane\">", y + 14);
		html_text(f, trace_thread_name(s, lane_thread[l], tn));
		fprintf(f, "</text>\n");
	}
	uint32_t open_at[256][DEPTH];
	uint8_t open_kind[256][DEPTH];
	uint8_t depth[256] = { 0 };
	int64_t blocked_at[256];
	for (int i = 0; i < 256; i++)
		blocked_at[i] = -1;
	for (uint32_t i = 0; i <= n; i++) {
		bool end = i == n;
		const struct event *e = end ? NULL : &t->events[i];
		for (int th = 0; th < 256 && end; th++) {
			/* close what is still open at the end of the picture */
			while (depth[th]) {
				depth[th]--;
				if (depth[th] < DEPTH && lane_of[th] >= 0) {
					double x0 = label_w + dx * open_at[th][depth[th]];
					double y = 10 + lane_of[th] * lane_h + 20 + depth[th] * row_h;
					fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"k%u open\"/>\n",
						x0, y, label_w + dx * n - x0, row_h - 1, open_kind[th][depth[th]]);
				}
			}
			if (blocked_at[th] >= 0 && lane_of[th] >= 0) {
				double x0 = label_w + dx * (double)blocked_at[th];
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" class=\"blocked\"/>\n", x0,
					10 + lane_of[th] * lane_h + 16, label_w + dx * n - x0);
			}
		}
		if (end)
			break;
		int lane = lane_of[e->thread];
		if (lane < 0)
			continue;
		double x = label_w + dx * i, y0 = 10 + lane * lane_h;
		const char *ln;
		size_t lnlen;
		switch (e->kind) {
		case EV_API_ENTER:
		case EV_CB_ENTER:
		case EV_CALL_ENTER:
		case EV_UNLOAD_ENTER:
			if (depth[e->thread] < DEPTH) {
				open_at[e->thread][depth[e->thread]] = i;
				open_kind[e->thread][depth[e->thread]] = e->kind;
			}
			depth[e->thread]++;
			break;
		case EV_API_EXIT:
		case EV_CB_EXIT:
		case EV_CALL_EXIT:
		case EV_UNLOAD_EXIT:
			if (!depth[e->thread])
				break;
			depth[e->thread]--;
			if (depth[e->thread] < DEPTH) {
				uint32_t d = depth[e->thread], at = open_at[e->thread][d];
				const struct event *en = &t->events[at];
				char label[64];
				switch (en->kind) {
				case EV_API_ENTER: snprintf(label, sizeof label, "%s", nmr_api_name((enum nmr_api)en->what)); break;
				case EV_CB_ENTER: snprintf(label, sizeof label, "%s", nmr_cb_name((enum nmr_cb)en->what)); break;
				case EV_CALL_ENTER: snprintf(label, sizeof label, "call"); break;
				default: snprintf(label, sizeof label, "Unload"); break;
				}
				double x0 = label_w + dx * at, w = dx * (i - at) + dx * 0.8;
				line_of(tl, at, &ln, &lnlen);
				fprintf(f, "<g><title>");
				html_escape(f, ln, lnlen);
				fprintf(f, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"k%u\"/>",
					x0, y0 + 20 + d * row_h, w, row_h - 1, en->kind);
				if (w > 5.6 * (double)strlen(label) + 4) {
					fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"sl\">", x0 + 2, y0 + 20 + d * row_h + 9);
					html_text(f, label);
					fprintf(f, "</text>");
				}
				fprintf(f, "</g>\n");
			}
			break;
		case EV_BLOCK:
			blocked_at[e->thread] = i;
			break;
		case EV_WAKE:
			if (blocked_at[e->thread] >= 0) {
				double x0 = label_w + dx * (double)blocked_at[e->thread];
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" class=\"blocked\"/>\n", x0,
					y0 + 16, x - x0);
				blocked_at[e->thread] = -1;
			}
			break;
		case EV_OP:
		case EV_FINDING:
			line_of(tl, i, &ln, &lnlen);
			fprintf(f, "<g><title>");
			html_escape(f, ln, lnlen);
			if (e->kind == EV_OP)
				fprintf(f, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"10\" class=\"op\"/></g>\n",
					x, y0 + 4);
			else
				fprintf(f, "</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" class=\"finding\"/>"
					   "<text x=\"%.1f\" y=\"%.1f\" class=\"ft\">%s</text></g>\n",
					x, y0 + 10, x + 8, y0 + 14, rule_info((enum rule)e->what)->id);
			break;
		default:
			break;
		}
	}
	fprintf(f, "</svg>\n");
}

static void capture_timeline(struct mem *m, const struct trace *t, const struct scenario *s)
{
	memset(m, 0, sizeof(*m));
	FILE *f = open_memstream(&m->text, &m->len);
	if (!f)
		return;
	trace_render_text(f, t, s);
	fclose(f);
	if (!m->text)
		return;
	uint32_t n = 1;
	for (size_t i = 0; i < m->len; i++)
		n += m->text[i] == '\n';
	m->line = malloc(sizeof(uint32_t) * n);
	if (!m->line)
		return;
	m->line[m->nlines++] = 0;
	for (size_t i = 0; i + 1 < m->len; i++)
		if (m->text[i] == '\n')
			m->line[m->nlines++] = (uint32_t)(i + 1);
}

/* Print at most TIMELINE_LINES_MAX lines of the timeline. */
static void put_timeline(FILE *f, const struct mem *tl, bool html)
{
	const char *p = tl->text ? tl->text : "";
	uint32_t lines = 0;
	while (*p && lines < TIMELINE_LINES_MAX) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
		if (html)
			html_escape(f, p, n);
		else
			fwrite(p, 1, n, f);
		p += n;
		lines++;
	}
	if (*p) {
		uint32_t rest = 0;
		for (; *p; p++)
			rest += *p == '\n';
		fprintf(f, "... %u more lines (replay the reproducer for all of them)\n", rest);
	}
}

static void iso_time(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static char *slurp(const char *path)
{
	char err[256];
	struct tgt_buf b = { 0 };
	if (tgt_read(&b, path, err, sizeof err) != 0)
		return NULL;
	return (char *)b.data;
}

static const char *html_head =
	"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>nmrsim triage report</title>\n<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1300px;color:#222}\n"
	"h1{font-size:1.5em}h2{font-size:1.2em;border-top:2px solid #ccc;padding-top:.8em;margin-top:2em}\n"
	"pre{background:#f7f7f7;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:12px}\n"
	"code{background:#f0f0f0;padding:0 .2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\n"
	".rule{color:#a00;font-weight:bold}.contract{font-style:italic}\n"
	".swim text.lane{font:bold 11px monospace}.swim text.sl{font:9px monospace;fill:#fff;pointer-events:none}\n"
	".swim text.ft{font:bold 11px monospace;fill:#c00}.swim .k6{fill:#3465a4}.swim .k8{fill:#4e9a06}\n"
	".swim .k10{fill:#c17d11}.swim .k13{fill:#75507b}.swim .open{opacity:.5}.swim .blocked{fill:#888}\n"
	".swim .op{fill:#222}.swim .finding{fill:#e00}.swimwrap{overflow-x:auto;border:1px solid #ddd}\n"
	"</style></head><body>\n";

static int write_report(uint32_t *order, uint32_t nbugs, uint32_t nroots, double secs)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/report.txt", opt.out_dir);
	FILE *txt = fopen(path, "w");
	snprintf(path, sizeof path, "%s/report.html", opt.out_dir);
	FILE *html = fopen(path, "w");
	if (!txt || !html) {
		fprintf(stderr, "nmr-triage: cannot write the report in %s: %s\n", opt.out_dir, strerror(errno));
		if (txt)
			fclose(txt);
		if (html)
			fclose(html);
		return -1;
	}
	uint32_t live = 0;
	for (uint32_t i = 0; i < nfiles; i++)
		live += files[i].seen;
	char now[64];
	iso_time(now, sizeof now, (int64_t)time(NULL));
	fprintf(txt, "nmrsim triage report (%s)\n%u input(s), target %s, %u distinct bug(s) (root causes), %u signature(s)%s\n",
		now, live, tgt_kind_name(opt.kind), nroots, nbugs, errors ? " (some inputs unreadable)" : "");
	fputs(html_head, html);
	fprintf(html, "<h1>nmrsim triage report</h1>\n<p>%s &middot; %u input(s), target <code>%s</code> &middot; "
		      "<b>%u distinct bug(s)</b> (root causes; %u signatures) &middot; triage took %.1f s</p>\n",
		now, live, tgt_kind_name(opt.kind), nroots, nbugs, secs);
	if (nbugs) {
		fprintf(html, "<table><tr><th>#</th><th>signature</th><th>rule</th><th>hits</th><th>first seen</th></tr>\n");
		for (uint32_t b = 0; b < nbugs; b++) {
			const struct tsig *s = &sigs[order[b]];
			char fs[64];
			iso_time(fs, sizeof fs, s->first_seen);
			fprintf(html, "<tr><td><a href=\"#bug%u\">%s</a></td><td><code>", b + 1, labels[b]);
			html_text(html, s->sig);
			fprintf(html, "</code></td><td>%s %s</td><td>%u</td><td>%s</td></tr>\n", rule_info(s->rule)->id,
				rule_info(s->rule)->name, s->hits, fs);
		}
		fprintf(html, "</table>\n");
	}
	for (uint32_t b = 0; b < nbugs; b++) {
		struct tsig *s = &sigs[order[b]];
		const struct tfile *best = &files[s->best];
		const struct rule_info *ri = rule_info(s->rule);
		char fs[64], cmd[2400], mcmd[1200];
		iso_time(fs, sizeof fs, s->first_seen);
		tgt_replay_command(cmd, sizeof cmd, opt.replay, best->path, opt.kind, best->text,
				   opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, best->text));
		/* Run what the section shows: the minimised scenario if there is one. */
		char err[600];
		bool text = false, have = false, minimised = false;
		if (s->min_path[0] && tgt_load(&scn, s->min_path, opt.kind, &buf, &text, err, sizeof err) == 0) {
			have = minimised = true;
		} else if (tgt_load(&scn, best->path, opt.kind, &buf, &text, err, sizeof err) == 0) {
			have = true;
		}
		const char *detail = "(the reproducer did not load)";
		if (best->crashed && !minimised) {
			/* its run crashes: replay it with nmr-replay for the timeline */
			have = false;
			detail = "the run crashed (a fault in driver code): replay the reproducer for the trace up to the crash";
		}
		struct mem tl = { 0 };
		const char *hang = "";
		if (have) {
			tgt_run(&runner, &scn, minimised ? tgt_mask_all() : (opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, text)),
				&outc);
			int k = tgt_find_sig(&outc, s->sig);
			detail = k >= 0 ? outc.res.findings[outc.index[k]].detail : "(not reproduced by this run)";
			hang = outc.res.hang ? outc.res.hang : "";
			capture_timeline(&tl, &runner.st->trace, &scn);
		}
		char *mtext = minimised ? slurp(s->min_path) : NULL;
		snprintf(mcmd, sizeof mcmd, "%s --expect %s", opt.replay, s->min_path);

		if (strchr(labels[b], '.'))
			fprintf(txt, "\n== [%s] %s  (follows [%.*s]: %s)\n", labels[b], s->sig, (int)strcspn(labels[b], "."),
				labels[b], s->roots ? "the same defect at another stage" : "in the same run");
		else
			fprintf(txt, "\n== [%s] %s\n", labels[b], s->sig);
		fprintf(txt, "rule:       %s %s\ncontract:   %s\nwhat:       %s\n", ri->id, ri->name, ri->contract, detail);
		fprintf(txt, "hits:       %u file(s); first seen %s (%s)\n", s->hits, fs, files[s->first_file].path);
		fprintf(txt, "reproducer: %s (%u ops, %u choices, %" PRId64 " bytes)\nreplay:     %s\n", best->path,
			best->nops, best->nchoices, best->size, cmd);
		if (minimised) {
			fprintf(txt, "minimised:  %s (%u -> %u ops, %u runs)\nreplay:     %s\n", s->min_path, s->min.ops_before,
				s->min.ops_after, s->min.runs, mcmd);
			fprintf(txt, "\n%s", mtext ? mtext : "");
		}
		if (hang[0])
			fprintf(txt, "\n%s\n", hang);
		fprintf(txt, "\ntimeline%s:\n", minimised ? " (minimised run)" : "");
		put_timeline(txt, &tl, false);

		fprintf(html, "<h2 id=\"bug%u\">[%s] <code>", b + 1, labels[b]);
		html_text(html, s->sig);
		fprintf(html, "</code></h2>\n<p><span class=\"rule\">%s %s</span> &mdash; <span class=\"contract\">", ri->id,
			ri->name);
		html_text(html, ri->contract);
		fprintf(html, "</span></p>\n<p><b>What happened:</b> ");
		html_text(html, detail);
		fprintf(html, "</p>\n<p><b>Hits:</b> %u file(s); <b>first seen</b> %s (<code>", s->hits, fs);
		html_text(html, files[s->first_file].path);
		fprintf(html, "</code>)</p>\n<p><b>Smallest reproducer:</b> <code>");
		html_text(html, best->path);
		fprintf(html, "</code> (%u ops, %u choices, %" PRId64 " bytes)<br><b>Replay:</b> <code>", best->nops,
			best->nchoices, best->size);
		html_text(html, cmd);
		fprintf(html, "</code></p>\n");
		if (minimised) {
			fprintf(html, "<p><b>Minimised</b> (%u &rarr; %u ops, %u runs): <code>", s->min.ops_before,
				s->min.ops_after, s->min.runs);
			html_text(html, mcmd);
			fprintf(html, "</code></p>\n<pre>");
			html_text(html, mtext ? mtext : "");
			fprintf(html, "</pre>\n");
		}
		if (hang[0]) {
			fprintf(html, "<pre>");
			html_text(html, hang);
			fprintf(html, "</pre>\n");
		}
		if (have) {
			fprintf(html, "<p><b>Timeline</b>%s (hover a slice for its event):</p>\n<div class=\"swimwrap\">",
				minimised ? " of the minimised run" : "");
			render_svg(html, &runner.st->trace, &scn, &tl);
			fprintf(html, "</div>\n<details><summary>timeline as text</summary><pre>");
			put_timeline(html, &tl, true);
			fprintf(html, "</pre></details>\n");
		}
		free(mtext);
		free(tl.text);
		free(tl.line);
	}
	if (!nbugs) {
		fprintf(txt, "\nno findings\n");
		fprintf(html, "<p>No findings.</p>\n");
	}
	fprintf(html, "</body></html>\n");
	int rc = 0;
	if (fflush(txt) != 0 || ferror(txt) || fflush(html) != 0 || ferror(html)) {
		fprintf(stderr, "nmr-triage: cannot write the report in %s: %s\n", opt.out_dir, strerror(errno));
		rc = -1;
	}
	rc |= fclose(txt);
	rc |= fclose(html);
	return rc ? -1 : 0;
}

static int parent_crash(void)
{
	fprintf(stderr, "nmr-triage: a driver crashed while minimising or rendering a reproducer; run again with "
			"--no-minimize\n");
	return EXIT_BAD_INPUT;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-triage [options] PATH...\n"
		"  PATH             crash files or directories (recursive): binary fuzzer inputs, .nmr, .nmrt\n"
		"  --target T       how binary inputs decode: scenario (default) or drivers\n"
		"  --rules SPEC     findings that count: all, M, K, R, L, rule IDs, comma separated\n"
		"                   (default: R for binary scenario inputs, all otherwise)\n"
		"  --out DIR        report.txt, report.html and bugs/ go there (default: triage)\n"
		"  --state FILE     incremental: replay only files new or changed since the last run\n"
		"  --no-minimize    keep the smallest reproducers as they are\n"
		"  --min-runs N     runs the minimiser may spend per bug (default 50000)\n"
		"  --prune N        delete crash files beyond N per signature (keeps the best and the first)\n"
		"  --quiet          no per-bug summary on standard output\n"
		"exit: 0 no finding, 1 findings, 2 bad usage, an unreadable input or an unwritable report\n");
}

int main(int argc, char **argv)
{
	const char *paths[PATHS_MAX];
	int npaths = 0;
	tgt_find_replay(opt.replay, sizeof opt.replay, argv[0]);
	struct opts o;
	opts_init(&o, "nmr-triage", argc, argv, usage);
	while (opts_next(&o)) {
		if (tgt_option(&o, &opt.kind, &opt.mask, &opt.rules_given)) ;
		else if (opts_str(&o, "--out", &opt.out_dir)) ;
		else if (opts_str(&o, "--state", &opt.state)) ;
		else if (opts_u32(&o, "--prune", 1, 1000000, &opt.prune)) ;
		else if (opts_u32(&o, "--min-runs", 1, 100000000, &opt.min_runs)) ;
		else if (opts_flag(&o, "--no-minimize")) opt.minimize = false;
		else if (opts_flag(&o, "--quiet")) opt.quiet = true;
		else if (npaths < PATHS_MAX) paths[npaths++] = opts_operand(&o);
		else opts_fail(&o, "more than %d paths (name their folder instead)", PATHS_MAX);
	}
	if (!npaths) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!tgt_kind_usable("nmr-triage", opt.kind))
		return EXIT_BAD_INPUT;
	if (runner_init(&runner) != 0) {
		fprintf(stderr, "nmr-triage: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	/* Replays run in a child (replay_pending); a crash in this process
	 * (minimising, rendering a timeline) is no verdict on the inputs. */
	crash_install(CRASH_EXIT);
	crash_brief = true;
	crash_exit_code = parent_crash;
	/* Where the report goes is checked before any work. */
	if (mkdirs(opt.out_dir) != 0)
		return EXIT_BAD_INPUT;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (opt.state) {
		state_load();
		index_rebuild();
	}
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			fprintf(stderr, "nmr-triage: %s: %s\n", paths[i], strerror(errno));
			errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			walk(paths[i]);
		else
			consider(paths[i], &st);
	}
	bool replay_ok = replay_pending();
	group();
	uint32_t pruned = 0;
	if (opt.prune) {
		pruned = prune();
		group();
	}
	uint32_t order[SIGS_MAX], nbugs = 0;
	uint32_t nroots = order_bugs(order, &nbugs);
	struct timespec tm0, tm1;
	clock_gettime(CLOCK_MONOTONIC, &tm0);
	if (opt.minimize)
		for (uint32_t b = 0; b < nbugs; b++)
			minimise(&sigs[order[b]], b + 1);
	clock_gettime(CLOCK_MONOTONIC, &tm1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double msecs = (double)(tm1.tv_sec - tm0.tv_sec) + (double)(tm1.tv_nsec - tm0.tv_nsec) / 1e9;
	int rc = write_report(order, nbugs, nroots, secs);
	if (opt.state && state_save() != 0) {
		fprintf(stderr, "nmr-triage: cannot write state %s: %s\n", opt.state, strerror(errno));
		rc = -1;
	}
	uint32_t live = 0, unreadable = errors;
	for (uint32_t i = 0; i < nfiles; i++) {
		live += files[i].seen;
		/* unreadable inputs found unchanged in the state count as well */
		unreadable += files[i].seen && files[i].error && files[i].cached;
	}
	printf("nmr-triage: %u input(s) (%u replayed, %u from state, %u unreadable%s), %u distinct bug(s) (root causes), %u signature(s) in %.2f s "
	       "(minimising %.2f s)\n",
	       live, replayed, reused, unreadable, pruned ? ", pruned some" : "", nroots, nbugs, secs, msecs);
	if (pruned)
		printf("pruned %u duplicate crash file(s)\n", pruned);
	if (sigs_dropped)
		printf("warning: more than %u signatures; the rest were not grouped\n", SIGS_MAX);
	if (!opt.quiet)
		for (uint32_t b = 0; b < nbugs; b++) {
			const struct tsig *s = &sigs[order[b]];
			char cmd[2400];
			if (s->min_path[0])
				snprintf(cmd, sizeof cmd, "%s %s", opt.replay, s->min_path);
			else
				tgt_replay_command(cmd, sizeof cmd, opt.replay, files[s->best].path, opt.kind,
						   files[s->best].text,
						   opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, files[s->best].text));
			if (strchr(labels[b], '.')) {
				printf("    then: %s  (%u hit%s)\n", s->sig, s->hits, s->hits == 1 ? "" : "s");
				continue;
			}
			printf("[%s] %s  (%s, %u hit%s)\n    replay: %s\n", labels[b], s->sig, rule_info(s->rule)->name, s->hits,
			       s->hits == 1 ? "" : "s", cmd);
		}
	printf("report: %s/report.txt, %s/report.html\n", opt.out_dir, opt.out_dir);
	runner_fini(&runner);
	tgt_buf_free(&buf);
	if (rc != 0 || !replay_ok)
		return EXIT_BAD_INPUT;
	if (unreadable) {
		/* The report covers the rest; the exit code says it is not all. */
		fprintf(stderr, "nmr-triage: %u input(s) could not be read (see above); the report covers the others\n",
			unreadable);
		return EXIT_BAD_INPUT;
	}
	return opts_exit(&o, nbugs ? EXIT_VIOLATION : EXIT_CLEAN);
}
