#include "report.h"

#include <inttypes.h>
#include <string.h>

const char *report_verdict(const struct run_result *res)
{
	if (res->nfailing == 0)
		return "clean";
	for (uint32_t i = 0; i < res->nfindings; i++) {
		uint8_t r = res->findings[i].rule;
		if (r == RULE_L01 || r == RULE_L02 || r == RULE_L03 || r == RULE_L04)
			return "hang";
	}
	return "violation";
}

void report_print(FILE *out, const struct runner *r, const struct run_result *res)
{
	const struct oracle *o = &r->st->oracle;
	uint32_t advisories = res->nfindings - res->nfailing;
	fprintf(out, "verdict: %s (%u finding%s, ", report_verdict(res), res->nfailing, res->nfailing == 1 ? "" : "s");
	if (advisories)
		fprintf(out, "%u advisor%s, ", advisories, advisories == 1 ? "y" : "ies");
	if (res->nsuppressed)
		fprintf(out, "%u suppressed, ", res->nsuppressed);
	fprintf(out, "%u steps, %u switches, %u events, trace hash %016" PRIx64 ")\n", res->steps, res->switches,
		res->events, res->hash);
	for (uint32_t i = 0; i < res->nfindings; i++)
		if (oracle_finding_fails(o, &res->findings[i]))
			oracle_print_finding(o, &res->findings[i], out);
	/* Advisories apart: reported, not counted (docs/FINDINGS.md). */
	if (advisories)
		fprintf(out, "advisories (not counted; --advisories-fail counts them):\n");
	for (uint32_t i = 0; i < res->nfindings; i++)
		if (!oracle_finding_fails(o, &res->findings[i]))
			oracle_print_finding(o, &res->findings[i], out);
	if (res->hang && res->hang[0])
		fprintf(out, "%s\n", res->hang);
	if (res->diverged)
		fprintf(out, "warning: the recorded choices did not fit this run (the scenario changed?)\n");
}

void report_make_trace(struct scenario *out, const struct scenario *in, const struct run_result *res)
{
	memcpy(out, in, sizeof(*out));
	out->sched = SCHED_REPLAY;
	out->sched_len = 0;
	out->nchoices = res->nchoices < SCN_CHOICES_MAX ? res->nchoices : SCN_CHOICES_MAX;
	memcpy(out->choices, res->choices, sizeof(struct choice_rec) * out->nchoices);
	for (uint32_t i = 0; i < out->nchoices; i++)
		out->choices[i].pad = 0; /* flags are the search's business, not the trace's */
	/* A run longer than choices[] that a long log held (runner_set_long_log):
	 * the file gets every choice, from that log (it must outlive out). DFS's
	 * flags are not in such a log (DFS never uses one). */
	out->choices_long = NULL;
	out->nchoices_long = 0;
	if (res->nchoices > SCN_CHOICES_MAX) {
		out->choices_long = res->choices;
		out->nchoices_long = res->nchoices;
	}
	/* A run that took more choices than its log held (a long livelock, L02,
	 * without a long log) replays its first ones and then option 0: not the
	 * same run, so no hash to check it against (a hash would only say "trace
	 * diverged", as if the file were bad). report_truncated says so. */
	out->has_hash = !report_truncated(res);
	out->hash = res->hash;
}
