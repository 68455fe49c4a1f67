/* fuzz_run.c - see fuzz_run.h. */
#include "fuzz_run.h"

#include <stdio.h>

#include "covlog.h"

int fuzz_run_report(struct runner *r, const struct scenario *s, const struct run_options *opt, const char *replay)
{
	struct run_result res = run_scenario(r, s, NULL, opt);
	fuzz_last_cov.touched = res.rules_touched;
	fuzz_last_cov.violated = res.rules_violated;
	if (res.nfindings == 0)
		return 0;
	for (uint32_t i = 0; i < res.nfindings; i++)
		oracle_print_finding(&r->st->oracle, &res.findings[i], stderr);
	fprintf(stderr, "replay: %s\n", replay);
	return 1;
}
