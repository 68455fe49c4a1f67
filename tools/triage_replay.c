/* triage_replay.c - nmr-triage replays the inputs (in a child process, a
 * crash is a verdict on its input), groups the files by signature, orders
 * the bugs (root causes and their follow-ons), prunes duplicate crash files
 * and minimises each bug's best reproducer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/crash.h"
#include "triage.h"

#define CHILD_CRASHED 3      /* a replay child's exit status after a recorded crash */

/* ---- replaying, in a child process ----
 * A crash file may crash the driver it runs (K08). The inputs to replay run
 * in a child process that writes each result into shared memory; when it
 * dies, its crash handler has filled in the input it was running, and a new
 * child goes on with the next input. One fork per triage, not per input. */

struct replay_result {
	uint32_t nops, nchoices;
	bool text, error, crashed;
	uint8_t nsigs;
	uint32_t nsuppressed, nadvisories; /* set aside: counted in the summary, not grouped */
	char sig[FILE_SIGS_MAX][TGT_SIG_MAX]; /* the run's root cause first */
	char err[600];
};

static uint32_t *pending;          /* file indices to replay */
static uint32_t npending, pending_cap;
static struct replay_result *results; /* shared, one per pending file */
static volatile uint64_t *replay_at;  /* shared: the input in progress */
static uint64_t replay_mask;          /* the counted rules of the input in progress */

void pending_add(uint32_t f)
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
	r->nsuppressed = outc.res.nsuppressed;
	r->nadvisories = outc.nadvisories;
	for (uint32_t n = 0; n < outc.ncounted && r->nsigs < FILE_SIGS_MAX; n++) {
		uint32_t i = n == 0 ? root : n <= root ? n - 1 : n;
		snprintf(r->sig[r->nsigs++], TGT_SIG_MAX, "%s", outc.sig[i]);
	}
	/* then the advisories not counted: listed apart, never a root */
	for (uint32_t n = 0; n < outc.nadvisories && r->nsigs < FILE_SIGS_MAX; n++)
		snprintf(r->sig[r->nsigs++], TGT_SIG_MAX, "%s", outc.sig[outc.ncounted + n]);
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
bool replay_pending(void)
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
		t->nsuppressed = r->nsuppressed;
		t->nadvisories = r->nadvisories;
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

void group(void)
{
	for (uint32_t s = 0; s < nsigs; s++) {
		sigs[s].hits = sigs[s].roots = 0;
		sigs[s].best = sigs[s].first_file = sigs[s].follows = -1;
	}
	suppressed_total = advisories_total = 0;
	for (uint32_t i = 0; i < nfiles; i++) {
		struct tfile *t = &files[i];
		if (!t->seen)
			continue;
		suppressed_total += t->nsuppressed;
		advisories_total += t->nadvisories;
		for (uint32_t k = 0; k < t->nsigs; k++) {
			struct tsig *s = &sigs[t->sigs[k]];
			s->hits++;
			/* a file's first signature is its run's root cause; an
			 * advisory not counted is neither root nor follow-on */
			if (triage_advisory(s))
				;
			else if (k == 0)
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

bool triage_advisory(const struct tsig *s)
{
	return rule_is_advisory((enum rule)s->rule) && !findings_opts.advisories_fail;
}

/* Whether signature s is counted as a bug of its own: the root cause of
 * some run, or a follow-on of nothing listed. */
static bool is_root(const struct tsig *s)
{
	return s->roots || s->follows < 0 || !sigs[s->follows].hits;
}

/* Earliest first sighting first, then by signature. */
static int by_first_seen(const void *a, const void *b)
{
	const struct tsig *x = &sigs[*(const uint32_t *)a], *y = &sigs[*(const uint32_t *)b];
	if (x->first_seen != y->first_seen)
		return x->first_seen < y->first_seen ? -1 : 1;
	return strcmp(x->sig, y->sig);
}

/* Root causes by first sighting, each followed by its follow-ons (labelled
 * "N.k"): every signature stays in the report, the count is of roots. */
char labels[SIGS_MAX][16];

uint32_t order_bugs(uint32_t *order, uint32_t *n)
{
	uint32_t roots[SIGS_MAX], nr = 0, follow[SIGS_MAX], nf = 0;
	for (uint32_t s = 0; s < nsigs; s++)
		if (sigs[s].hits && !triage_advisory(&sigs[s]))
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
uint32_t prune(void)
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


static void file_safe(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 'A' && *src <= 'Z') || (*src >= 'a' && *src <= 'z') || (*src >= '0' && *src <= '9') ? *src : '_';
	dst[n] = '\0';
}

int mkdirs(const char *path)
{
	char err[600];
	if (input_make_dir(path, err, sizeof err) == 0)
		return 0;
	fprintf(stderr, "nmr-triage: %s\n", err);
	return -1;
}

/* Minimise the best reproducer of signature s into OUT/bugs/. */
void minimise(struct tsig *s, uint32_t number)
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

