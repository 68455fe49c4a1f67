/* advisories.c - nmr-explore's advisories (advisories.h). */
#include "advisories.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "input.h"
#include "report.h"

static struct scenario trace_scn; /* large: off the stack */

void advisory_print(FILE *out, const struct advisory *a, uint32_t number, const char *replay_cmd)
{
	fprintf(out, "[A%u] %s  (M23 %s, advisory: depends on %s)\n    hits %" PRIu64 ", first at run %" PRIu64
		", scenario %s\n", number, a->signature, rule_info(RULE_M23)->name, a->freedom, a->hits, a->first_run,
		a->scenario);
	for (int k = 0; k < 2; k++) {
		fprintf(out, "    %c: %s -> %s\n", 'a' + k, a->option[k], a->what[k]);
		if (a->trace[k][0])
			fprintf(out, "       replay: %s %s\n", replay_cmd, a->trace[k]);
	}
}

static void cannot_write(struct advisories *t, const struct advisory_where *w, const char *path)
{
	fprintf(stderr, "%snmr-explore: cannot write %s: %s\n", w->tty ? "\r\033[K" : "", path, strerror(errno));
	t->write_errors++;
}

/* One run of the pair as a trace file that replays it exactly. */
static void write_run(struct advisories *t, const struct advisory_where *w, const struct run_result *res, char *path)
{
	report_make_trace(&trace_scn, w->scn, res);
	trace_scn.expect = EXPECT_NONE;
	if (input_write_trace(&trace_scn, path) != 0) {
		cannot_write(t, w, path);
		path[0] = '\0';
	}
}

void advisories_add(struct advisories *t, const struct advisory_where *w, const struct freedom_dependence *fd,
		    uint64_t run)
{
	char sig[128];
	oracle_signature(w->oracle, &fd->finding, sig, sizeof sig);
	for (uint32_t i = 0; i < t->n; i++)
		if (!strcmp(t->list[i].signature, sig)) {
			t->list[i].hits++;
			return;
		}
	if (t->n == ADVISORIES_MAX) {
		t->dropped++;
		return;
	}
	struct advisory *a = &t->list[t->n++];
	memset(a, 0, sizeof *a);
	snprintf(a->signature, sizeof a->signature, "%s", sig);
	snprintf(a->scenario, sizeof a->scenario, "%s", w->file);
	snprintf(a->freedom, sizeof a->freedom, "%s", choice_freedom_name((enum choice_kind)fd->kind));
	const uint16_t value[2] = { fd->value_a, fd->value_b };
	const char *what[2] = { fd->what_a, fd->what_b };
	char name[128], ob[24];
	size_t n = 0;
	for (const char *p = sig; *p && n + 1 < sizeof name; p++) /* the signature as a file name */
		name[n++] = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
	name[n] = '\0';
	for (int k = 0; k < 2; k++) {
		snprintf(a->option[k], sizeof a->option[k], "%s", choice_option_text((enum choice_kind)fd->kind, value[k], ob));
		snprintf(a->what[k], sizeof a->what[k], "%s", what[k]);
		snprintf(a->trace[k], sizeof a->trace[k], "%s/%03u-%s-%c.nmrt", w->dir, t->n, name, 'a' + k);
		write_run(t, w, k ? &fd->b : &fd->a, a->trace[k]);
	}
	a->hits = 1;
	a->first_run = run;
	/* The block as the summary prints it, for nmr-campaign's report. */
	char text[600];
	snprintf(text, sizeof text, "%s/%03u-%s.txt", w->dir, t->n, name);
	FILE *f = fopen(text, "w");
	if (!f)
		cannot_write(t, w, text);
	else {
		advisory_print(f, a, 1, w->replay_cmd);
		if (fclose(f) != 0)
			cannot_write(t, w, text);
	}
	if (!w->quiet)
		fprintf(stderr, "%snew advisory %u: %s  (%s, run %" PRIu64 ")\n", w->tty ? "\r\033[K" : "", t->n, sig,
			w->file, run);
}
