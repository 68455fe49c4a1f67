/* explore_found.c - nmr-explore's table of distinct findings: a signature
 * per defect with its hits, first run and reproducer (written when it is
 * first seen, also from the crash handler of a dying child), grouped by root
 * cause, and the summary's list of them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "explore_tool.h"
#include "input.h"
#include "report.h"
#include "target.h"
#include "run/crash.h"

static struct scenario trace_scn; /* a finding's reproducer, built here */

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
			d->truncated = report_truncated(res);
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

bool on_finding(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t run_index)
{
	(void)ctx;
	(void)src;
	record(res, run_index, false);
	return true;
}

/* A freedom dependence (M23, advisory): counted apart from the bugs. */
bool on_dependence(void *ctx, const struct freedom_dependence *fd, uint64_t run_index)
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
int on_crash(void)
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
		.choices = st->choice.log,
		.nchoices = st->choice.log_len,
		.choices_made = st->choice.count,
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

uint32_t found_roots(void)
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

/* The summary's list: the bugs by root cause with their follow-ons, then
 * the advisories; returns the number of advisory signatures. */
uint32_t found_print(void)
{
	struct campaign *c = ex.c;
	uint32_t nadv = advisories();
	printf("%u distinct bug(s) (root causes), %u signature(s)", found_roots(), c->nfound - nadv);
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
		if (d->trace[0] && d->truncated)
			printf("    (its run took more choices than a trace holds: the replay runs the recorded ones,\n"
			       "     then option 0 at each choice, and may not show this finding)\n");
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
	return nadv;
}
