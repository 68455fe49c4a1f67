/* nmr-detcheck - determinism check of a corpus: replay a sample of inputs
 * twice, the second time on a freshly set-up runner and in reverse order
 * (so state leaking from one run into the next shows up), and report every
 * input whose trace hash, findings or step count differ. Recorded traces
 * (.nmrt with a hash line) are also checked against their recorded hash.
 * Exit 0 all identical, 1 some input differs, 2 bad usage or nothing readable. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "target.h"
#include "walk.h"

struct rec {
	char *path;
	bool ok;          /* loaded */
	uint64_t hash;    /* first pass */
	uint32_t steps, nfindings;
	uint64_t sigs;    /* digest of the counted signatures */
};

static struct {
	enum tgt_kind kind;
	uint64_t mask;
	bool rules_given;
	uint64_t sample;  /* 0: all */
	bool verbose;
} opt;

static char **paths;
static size_t npaths, paths_cap;
static size_t unreadable; /* folders that could not be listed, inputs that did not load */
static struct scenario scn;
static struct tgt_buf buf;
static struct tgt_outcome outc;
static const char *running; /* the input being run (crash reports) */

static void add(const char *p)
{
	if (npaths == paths_cap) {
		paths_cap = paths_cap ? paths_cap * 2 : 1024;
		paths = realloc(paths, sizeof(char *) * paths_cap);
		if (!paths) {
			fprintf(stderr, "nmr-detcheck: out of memory\n");
			exit(EXIT_BAD_INPUT);
		}
	}
	paths[npaths++] = strdup(p);
}

static void add_visit(const char *path, const struct stat *st, void *ctx)
{
	(void)st;
	(void)ctx;
	add(path);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool run_one(struct runner *r, struct rec *x, bool first, uint64_t *hash, uint32_t *steps, uint32_t *nf,
		    uint64_t *sigs)
{
	char err[600];
	bool text;
	running = x->path;
	if (tgt_load(&scn, x->path, opt.kind, &buf, &text, err, sizeof err) != 0) {
		if (first)
			fprintf(stderr, "nmr-detcheck: %s\n", err);
		return false;
	}
	tgt_run(r, &scn, opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, text), &outc);
	*hash = outc.res.hash;
	*steps = outc.res.steps;
	*nf = outc.res.nfindings;
	uint64_t h = 1469598103934665603ull;
	for (uint32_t i = 0; i < outc.ncounted; i++)
		for (const char *p = outc.sig[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
	*sigs = h;
	if (first && scn.has_hash && scn.sched == SCHED_REPLAY && scn.hash != outc.res.hash)
		printf("recorded hash differs: %s: file says %016" PRIx64 ", replay gives %016" PRIx64 "\n", x->path,
		       scn.hash, outc.res.hash);
	return true;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-detcheck [options] PATH...\n"
		"  PATH         corpus files or directories (recursive): binary inputs, .nmr, .nmrt\n"
		"  --sample N   check N inputs, evenly spaced over the sorted list (default: all)\n"
		"  --target T   how binary inputs decode: scenario (default) or drivers\n"
		"  --rules S    which findings count (default as the target)\n"
		"  --suppress FILE, --advisories-fail  as nmr-replay (docs/FINDINGS.md)\n"
		"  --verbose    print every input's hash\n"
		"exit: 0 every trace hash identical, 1 some input differs, 2 bad usage or an unreadable input\n");
}

int main(int argc, char **argv)
{
	struct opts o;
	int operands = 0;
	opts_init(&o, "nmr-detcheck", argc, argv, usage);
	while (opts_next(&o)) {
		if (tgt_option(&o, &opt.kind, &opt.mask, &opt.rules_given)) ;
		else if (opts_u64(&o, "--sample", 1, UINT32_MAX, &opt.sample)) ;
		else if (opts_flag(&o, "--verbose")) opt.verbose = true;
		else {
			const char *a = opts_operand(&o);
			struct stat st;
			operands++;
			if (stat(a, &st) != 0) {
				fprintf(stderr, "nmr-detcheck: %s: %s\n", a, strerror(errno));
				return EXIT_BAD_INPUT;
			}
			if (S_ISDIR(st.st_mode))
				unreadable += walk_tree("nmr-detcheck", a, add_visit, NULL);
			else
				add(a);
		}
	}
	if (unreadable)
		return EXIT_BAD_INPUT;
	if (!npaths && operands) {
		fprintf(stderr, "nmr-detcheck: no input file in the given folder(s)\n");
		return EXIT_BAD_INPUT;
	}
	if (!npaths) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!tgt_kind_usable("nmr-detcheck", opt.kind))
		return EXIT_BAD_INPUT;
	qsort(paths, npaths, sizeof(char *), by_name); /* npaths > 0 here: paths is not NULL */
	size_t n = opt.sample && opt.sample < npaths ? (size_t)opt.sample : npaths;
	struct rec *recs = calloc(n, sizeof(*recs));
	if (!recs) {
		fprintf(stderr, "nmr-detcheck: out of memory\n");
		return EXIT_BAD_INPUT;
	}
	for (size_t i = 0; i < n; i++)
		recs[i].path = paths[i * npaths / n]; /* evenly spaced: the same sample every time */

	tgt_crash_guard("nmr-detcheck", &running);
	struct runner r;
	if (runner_init(&r) != 0) {
		fprintf(stderr, "nmr-detcheck: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	size_t loaded = 0;
	for (size_t i = 0; i < n; i++) {
		recs[i].ok = run_one(&r, &recs[i], true, &recs[i].hash, &recs[i].steps, &recs[i].nfindings, &recs[i].sigs);
		loaded += recs[i].ok;
	}
	runner_fini(&r);
	/* Fresh runner, reverse order. */
	if (runner_init(&r) != 0) {
		fprintf(stderr, "nmr-detcheck: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	size_t differ = 0;
	for (size_t k = n; k-- > 0;) {
		struct rec *x = &recs[k];
		if (!x->ok)
			continue;
		uint64_t hash, sigs;
		uint32_t steps, nf;
		if (!run_one(&r, x, false, &hash, &steps, &nf, &sigs)) {
			printf("DIFFERS %s: loaded the first time, not the second\n", x->path);
			differ++;
			continue;
		}
		if (opt.verbose)
			printf("%016" PRIx64 " %s\n", hash, x->path);
		if (hash != x->hash || steps != x->steps || nf != x->nfindings || sigs != x->sigs) {
			printf("DIFFERS %s: trace hash %016" PRIx64 " then %016" PRIx64 ", steps %u then %u, findings %u then %u\n",
			       x->path, x->hash, hash, x->steps, steps, x->nfindings, nf);
			differ++;
		}
	}
	runner_fini(&r);
	tgt_buf_free(&buf);
	free(recs);
	printf("nmr-detcheck: %zu of %zu input(s) checked (%zu loaded), %zu differ\n", n, npaths, loaded, differ);
	if (differ)
		return opts_exit(&o, EXIT_VIOLATION);
	/* A check that could not read some inputs did not check them. */
	return opts_exit(&o, loaded < n ? EXIT_BAD_INPUT : EXIT_CLEAN);
}
