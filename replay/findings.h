/* findings.h - the options every tool takes on which findings count
 * (docs/FINDINGS.md), parsed one way:
 *   --suppress FILE      a suppression file (else $NMRSIM_SUPPRESS names one)
 *   --advisories-fail    advisories fail the run like violations
 *                        (else $NMRSIM_ADVISORIES_FAIL=1)
 * A suppression file that cannot be read or parsed exits 2 with
 * "file:line: reason". */
#ifndef NMRSIM_FINDINGS_H
#define NMRSIM_FINDINGS_H

#include <stdbool.h>

#include "oracle/suppress.h"
#include "opts.h"
#include "run/run.h"

struct findings_opts {
	const char *suppress_path;  /* --suppress, NULL if not given */
	bool advisories_fail;
	bool loaded;                /* suppressions in `sup` (findings_setup) */
	struct suppress sup;
};

/* The process's options (one tool per process). */
extern struct findings_opts findings_opts;

/* true when the current argument is --suppress or --advisories-fail (consumed). */
bool findings_option(struct opts *o);
/* After the options: load the suppressions, read the environment. Exits 2
 * on a bad suppression file. */
void findings_setup(const char *tool);
/* Into the options of a run. */
void findings_apply(struct run_options *opt);
#endif
