#include "report.h"

#include <inttypes.h>
#include <string.h>

const char *report_verdict(const struct run_result *res)
{
	if (res->nfindings == 0)
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
	fprintf(out, "verdict: %s (%u finding%s, %u steps, %u switches, %u events, trace hash %016" PRIx64 ")\n",
		report_verdict(res), res->nfindings, res->nfindings == 1 ? "" : "s", res->steps, res->switches,
		res->events, res->hash);
	for (uint32_t i = 0; i < res->nfindings; i++)
		oracle_print_finding(&r->st->oracle, &res->findings[i], out);
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
	out->has_hash = true;
	out->hash = res->hash;
}
