/* fuzz_run.c - see fuzz_run.h. */
#include "fuzz_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "covlog.h"
#include "feedback.h"
#include "fuzz_target.h"
#include "kernel/registry.h"
#include "oracle/suppress.h"

/* Advisory signatures already shown: each is printed once per process (a
 * fuzzer would otherwise print it for every input that registers). */
#define SHOWN_MAX 64
static char shown[SHOWN_MAX][96];
static unsigned nshown;

static bool first_sight(const char *sig)
{
	for (unsigned i = 0; i < nshown; i++)
		if (!strcmp(shown[i], sig))
			return false;
	if (nshown < SHOWN_MAX)
		snprintf(shown[nshown++], sizeof shown[0], "%s", sig);
	return true;
}

int fuzz_run_report(struct runner *r, const struct scenario *s, const struct run_options *opt, const char *replay)
{
	struct run_result res = run_scenario(r, s, NULL, opt);
	fuzz_feedback_after_run(opt);
	fuzz_last_cov.touched = res.rules_touched;
	fuzz_last_cov.violated = res.rules_violated;
	fuzz_suppressed += res.nsuppressed;
	const struct oracle *o = &r->st->oracle;
	for (uint32_t i = 0; i < res.nfindings; i++) {
		char sig[96];
		if (oracle_finding_fails(o, &res.findings[i]))
			continue;
		fuzz_advisories++;
		oracle_signature(o, &res.findings[i], sig, sizeof sig);
		if (first_sight(sig)) {
			fprintf(stderr, "%s: an advisory (not counted; shown once; --advisories-fail counts it):\n",
				fuzz_target_name);
			oracle_print_finding(o, &res.findings[i], stderr);
		}
	}
	if (res.nfailing == 0)
		return 0;
	for (uint32_t i = 0; i < res.nfindings; i++)
		if (oracle_finding_fails(o, &res.findings[i]))
			oracle_print_finding(o, &res.findings[i], stderr);
	fprintf(stderr, "replay: %s\n", replay);
	return 1;
}

bool fuzz_rules_from_env(const char *dflt, uint64_t *mask)
{
	const char *rules = fuzz_options.rules, *from = "--rules";
	if (!(rules && rules[0])) {
		rules = getenv("NMRSIM_FUZZ_RULES");
		from = "NMRSIM_FUZZ_RULES";
	}
	bool ok;
	if (!(rules && rules[0]) && !dflt) {
		*mask = 0; /* every rule */
		return true;
	}
	*mask = rule_mask_parse(rules && rules[0] ? rules : dflt, &ok);
	if (!ok || *mask == 0) {
		fprintf(stderr, "%s: bad %s '%s' (rule IDs or families, e.g. \"R\", \"M04,K\", \"all\")\n",
			fuzz_target_name, from, rules ? rules : "");
		return false;
	}
	return true;
}

bool fuzz_findings_setup(struct run_options *opt)
{
	static struct suppress sup;
	char err[600];
	int rc = suppress_setup(&sup, fuzz_options.suppress, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", fuzz_target_name, err);
		return false;
	}
	opt->suppress = rc > 0 ? &sup : NULL;
	if (!registry_setup(fuzz_target_name)) /* the build's registry file (nmrsim-build --registry) */
		return false;
	const char *env = getenv("NMRSIM_ADVISORIES_FAIL");
	opt->advisories_fail = fuzz_options.advisories_fail || (env && env[0] == '1');
	return true;
}
