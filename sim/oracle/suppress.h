/* suppress.h - suppression files: findings a user has set aside, as
 * sanitizer suppression files do (docs/FINDINGS.md).
 *
 * One entry per line; `#` starts a comment. An entry is one or more
 * `key:pattern` items, all of which must match a finding:
 *   rule:M22                       the rule ID
 *   module:acme_client             the module's name in the report
 *   site:NmrRegisterClient         the API, callback or routine (the signature's last word)
 *   signature:M18 acme_* dispatch  the whole signature line; takes the rest of the line
 * Patterns are shell globs (fnmatch: `*`, `?`, `[...]`). A suppressed
 * finding is counted (struct oracle.suppressed), never kept or reported,
 * and neither fails a run nor stops a fuzzing one. */
#ifndef NMRSIM_SUPPRESS_H
#define NMRSIM_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUPPRESS_MAX 128         /* entries in one file */
#define SUPPRESS_PATTERN_MAX 96  /* a pattern incl. NUL */
#define SUPPRESS_ENV "NMRSIM_SUPPRESS"

struct suppress_entry {
	char rule[16];               /* "" matches any */
	char module[SUPPRESS_PATTERN_MAX];
	char site[SUPPRESS_PATTERN_MAX];
	char signature[SUPPRESS_PATTERN_MAX];
};

struct suppress {
	struct suppress_entry entries[SUPPRESS_MAX];
	uint32_t n;
};

/* Read a suppression file into s (replacing what it held). 0, or -1 with
 * "file:line: reason" (or "file: reason") in err. */
int suppress_load(struct suppress *s, const char *path, char *err, size_t errcap);

/* The suppressions a tool or fuzz target runs with: the file `path` (an
 * option) if given, else the file $NMRSIM_SUPPRESS names, else none.
 * Returns 1 loaded, 0 none, -1 with the reason in err. */
int suppress_setup(struct suppress *s, const char *path, char *err, size_t errcap);

/* Whether some entry matches the finding (rule ID, module name, site name,
 * signature "rule module site"). */
bool suppress_match(const struct suppress *s, const char *rule, const char *module, const char *site,
		    const char *signature);

#endif
