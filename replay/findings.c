/* findings.c - see findings.h. */
#include "findings.h"

#include <stdio.h>
#include <stdlib.h>

#include "kernel/registry.h"

struct findings_opts findings_opts;

bool findings_option(struct opts *o)
{
	if (opts_str(o, "--suppress", &findings_opts.suppress_path))
		return true;
	if (opts_flag(o, "--advisories-fail")) {
		findings_opts.advisories_fail = true;
		return true;
	}
	return false;
}

void findings_setup(const char *tool)
{
	struct findings_opts *f = &findings_opts;
	char err[600];
	int rc = suppress_setup(&f->sup, f->suppress_path, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", tool, err);
		exit(EXIT_BAD_INPUT);
	}
	f->loaded = rc > 0;
	if (!registry_setup(tool)) /* the build's registry file (nmrsim-build --registry) */
		exit(EXIT_BAD_INPUT);
	const char *env = getenv("NMRSIM_ADVISORIES_FAIL");
	if (env && env[0] == '1')
		f->advisories_fail = true;
}

void findings_apply(struct run_options *opt)
{
	opt->suppress = findings_opts.loaded ? &findings_opts.sup : NULL;
	opt->advisories_fail = findings_opts.advisories_fail;
}
