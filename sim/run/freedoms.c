/* freedoms.c - differential runs over the freedoms F1-F5 (freedoms.h). */
#include "run/freedoms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"

/* A check's working logs, the runner's (struct runner.freedoms, made at its
 * first check, freed by runner_fini): the run's log, the replayed prefix,
 * A's log kept while B runs, and the two runs' outcomes. Too large for a
 * stack and needed by few runners, so not in every runner's arena. */
struct freedom_scratch {
	struct choice_rec orig[SCN_CHOICES_MAX];
	struct choice_rec prefix[SCN_CHOICES_MAX];
	struct choice_rec log_a[SCN_CHOICES_MAX];
	struct run_outcome out_a, out_b;
};

void freedoms_fini(struct runner *r)
{
	free(r->freedoms);
	r->freedoms = NULL;
}

bool freedoms_is_point(const struct choice_rec *c)
{
	return c->kind >= CK_F1_ATTACH && c->kind <= CK_F5_THREAD && c->n > 1;
}

static struct run_result run_prefix(struct runner *r, const struct scenario *s, uint32_t len,
				    const struct freedom_config *cfg, struct run_outcome *out, struct freedom_stats *st)
{
	struct run_source src = { .kind = SOURCE_REPLAY, .choices = r->freedoms->prefix, .nchoices = len };
	struct run_options opt = cfg->opt;
	opt.outcome = out;
	opt.no_choice_log = false; /* the reproducer is this log */
	struct run_result res = run_scenario(r, s, &src, &opt);
	st->runs++;
	st->steps += res.steps;
	if (res.nfindings && cfg->on_finding)
		cfg->on_finding(cfg->ctx, &res);
	return res;
}

static void make_finding(struct freedom_dependence *d)
{
	struct finding *f = &d->finding;
	char ba[24], bb[24];
	memset(f, 0, sizeof *f);
	f->rule = RULE_M23;
	f->site_kind = SITE_FREEDOM;
	f->site = d->kind;
	f->module = d->module;
	f->thread = EV_NONE8;
	f->binding = EV_NONE16;
	/* May be cut at the finding's 160 bytes: the tools print what_a/what_b in full. */
	char text[512];
	snprintf(text, sizeof text, "%s: %s with %s (choice %u = %u), %s with %s (= %u)",
		 choice_freedom_name((enum choice_kind)d->kind), d->what_a,
		 choice_option_text((enum choice_kind)d->kind, d->value_a, ba), d->index, d->value_a, d->what_b,
		 choice_option_text((enum choice_kind)d->kind, d->value_b, bb), d->value_b);
	size_t len = strlen(text);
	if (len >= sizeof f->detail)
		len = sizeof f->detail - 1;
	memcpy(f->detail, text, len);
	f->detail[len] = '\0';
}

void freedoms_check(struct runner *r, const struct scenario *s, const struct choice_rec *log, uint32_t nlog,
		    const struct freedom_config *cfg, struct freedom_stats *stats)
{
	uint32_t n = nlog < SCN_CHOICES_MAX ? nlog : SCN_CHOICES_MAX;
	uint32_t points_max = cfg->points_max ? cfg->points_max : FREEDOM_POINTS_MAX;
	if (!r->freedoms)
		r->freedoms = calloc(1, sizeof *r->freedoms);
	SIM_ASSERT(r->freedoms != NULL, "a freedom check has its working logs (out of memory)");
	struct freedom_scratch *w = r->freedoms;
	struct choice_rec *orig = w->orig, *prefix = w->prefix;
	memcpy(orig, log, sizeof(struct choice_rec) * n);
	for (uint32_t i = 0; i < n; i++)
		orig[i].pad = 0; /* search flags are not choices */
	memcpy(prefix, orig, sizeof(struct choice_rec) * n);
	uint32_t points = 0;
	for (uint32_t i = 0; i < n && points < points_max; i++) {
		if (!freedoms_is_point(&orig[i]))
			continue;
		points++;
		stats->points++;
		prefix[i].value = orig[i].value;
		struct run_result a = run_prefix(r, s, i + 1, cfg, &w->out_a, stats);
		if (a.nfailing || a.diverged)
			continue;
		/* A's log and hash, kept while B runs on the same runner. */
		uint32_t na = a.nchoices < SCN_CHOICES_MAX ? a.nchoices : SCN_CHOICES_MAX;
		memcpy(w->log_a, a.choices, sizeof(struct choice_rec) * na);
		a.choices = w->log_a;
		a.nchoices = na;
		a.findings = NULL;
		bool go_on = true;
		for (uint32_t v = 0, tried = 0; v < orig[i].n && tried < FREEDOM_ALTS_MAX && go_on; v++) {
			if (v == orig[i].value)
				continue;
			tried++;
			prefix[i].value = (uint16_t)v;
			struct run_result b = run_prefix(r, s, i + 1, cfg, &w->out_b, stats);
			if (b.nfailing || b.diverged)
				continue;
			struct freedom_dependence d = { .kind = orig[i].kind, .index = i, .value_a = orig[i].value,
							.value_b = (uint16_t)v, .a = a, .b = b };
			if (!outcome_differs(&w->out_a, &w->out_b, r->st->module_names, &d.module, d.what_a, d.what_b,
					     sizeof d.what_a))
				continue;
			make_finding(&d);
			stats->dependences++;
			if (cfg->on_dependence)
				go_on = cfg->on_dependence(cfg->ctx, &d);
			break; /* one dependence per point */
		}
		prefix[i].value = orig[i].value;
		if (!go_on)
			break;
	}
}
