/* triage_inputs.c - nmr-triage's tables of input files and signatures, the
 * state file of incremental mode (--state), and collecting inputs from the
 * paths given (folders walked in name order). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "triage.h"
#include "walk.h"

struct tfile *files;
static uint32_t files_cap;
uint32_t nfiles;
struct tsig sigs[SIGS_MAX];
uint32_t nsigs;
uint32_t sigs_dropped;
uint32_t replayed, reused, errors;
uint32_t suppressed_total, advisories_total;

/* Path -> file index (open addressing), for the state file. */
static int32_t *path_index;
static uint32_t path_index_cap;

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

void index_rebuild(void)
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

int sig_lookup(const char *sig, bool add)
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
 * F <TAB> mtime <TAB> size <TAB> nops <TAB> nchoices <TAB> flags <TAB> path <TAB> sig|sig|... [<TAB> suppressed <TAB> advisories]
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

void state_load(void)
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
			char *ns = next_field(&p), *na = next_field(&p); /* absent in older state files */
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
			t->nsuppressed = ns ? (uint32_t)strtoul(ns, NULL, 10) : 0;
			t->nadvisories = na ? (uint32_t)strtoul(na, NULL, 10) : 0;
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

int state_save(void)
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
		fprintf(f, "\t%u\t%u\n", t->nsuppressed, t->nadvisories);
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

static void consider_visit(const char *path, const struct stat *st, void *ctx)
{
	(void)ctx;
	consider(path, st);
}

void walk(const char *dir)
{
	errors += walk_tree("nmr-triage", dir, consider_visit, NULL);
}

void consider(const char *path, const struct stat *st)
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
	t->nsuppressed = t->nadvisories = 0;
	t->mtime = (int64_t)st->st_mtime;
	t->size = (int64_t)st->st_size;
	pending_add((uint32_t)(t - files));
}
