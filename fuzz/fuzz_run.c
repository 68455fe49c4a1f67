/* fuzz_run.c - see fuzz_run.h. */
#include "fuzz_run.h"

#include <stdio.h>
#include <stdlib.h>

#include "covlog.h"
#include "feedback.h"
#include "fuzz_target.h"

int fuzz_run_report(struct runner *r, const struct scenario *s, const struct run_options *opt, const char *replay)
{
	struct run_result res = run_scenario(r, s, NULL, opt);
	fuzz_feedback_after_run(opt);
	fuzz_last_cov.touched = res.rules_touched;
	fuzz_last_cov.violated = res.rules_violated;
	if (res.nfindings == 0)
		return 0;
	for (uint32_t i = 0; i < res.nfindings; i++)
		oracle_print_finding(&r->st->oracle, &res.findings[i], stderr);
	fprintf(stderr, "replay: %s\n", replay);
	return 1;
}

bool fuzz_rules_from_env(const char *dflt, uint64_t *mask)
{
	const char *rules = getenv("NMRSIM_FUZZ_RULES");
	bool ok;
	if (!(rules && rules[0]) && !dflt) {
		*mask = 0; /* every rule */
		return true;
	}
	*mask = rule_mask_parse(rules && rules[0] ? rules : dflt, &ok);
	if (!ok || *mask == 0) {
		fprintf(stderr, "%s: bad NMRSIM_FUZZ_RULES '%s' (rule IDs or families, e.g. \"R\", \"M04,K\", \"all\")\n",
			fuzz_target_name, rules ? rules : "");
		return false;
	}
	return true;
}
