/* report.h - the verdict and findings of a run, as every tool prints them. */
#ifndef NMRSIM_REPORT_H
#define NMRSIM_REPORT_H

#include <stdio.h>

#include "run/run.h"

/* "clean", "violation" or "hang" (a liveness finding). */
const char *report_verdict(const struct run_result *res);
/* Verdict line, each finding's report block, the wait-for graph of a hang. */
void report_print(FILE *out, const struct runner *r, const struct run_result *res);
/* The scenario with the choices the run took and its hash: a trace that
 * replays this run exactly. */
void report_make_trace(struct scenario *out, const struct scenario *in, const struct run_result *res);
/* Whether res took more choices than its log (a trace file) holds. */
static inline bool report_truncated(const struct run_result *res)
{
	return res->choices_made > res->nchoices;
}

#endif
