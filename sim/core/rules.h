/* rules.h - the rule catalogue of ../shared/CONTRACTS.md as data.
 * IDs never change meaning; new rules get new enumerators at the end of their
 * group and new IDs in CONTRACTS.md. */
#ifndef NMRSIM_RULES_H
#define NMRSIM_RULES_H

#include <stdbool.h>
#include <stdint.h>

enum rule {
	RULE_NONE = 0,
	RULE_M01, RULE_M02, RULE_M03, RULE_M04, RULE_M05, RULE_M06, RULE_M07,
	RULE_M08, RULE_M09, RULE_M10, RULE_M11, RULE_M12, RULE_M13, RULE_M14,
	RULE_M15, RULE_M16, RULE_M17, RULE_M18, RULE_M19, RULE_M20, RULE_M21,
	RULE_K01, RULE_K02, RULE_K03, RULE_K04, RULE_K05, RULE_K06,
	RULE_R01, RULE_R02, RULE_R03, RULE_R04, RULE_R05, RULE_R06, RULE_R07,
	RULE_R08, RULE_R09, RULE_R10, RULE_R11, RULE_R12,
	RULE_L01, RULE_L02, RULE_L03,
	RULE_K07, RULE_K08, RULE_K09, /* appended: numbering of the rules above stays */
	RULE_K10,
	RULE_L04,
	RULE_M22,     /* advisory: registration-instance Version != 0 */
	RULE_M23,     /* advisory: freedom dependence, found by differential runs */
	RULE_R13,
	RULE_K11,
	RULE_COUNT
};
_Static_assert(RULE_COUNT <= 64, "rule masks hold one bit per rule in 64 bits");

/* A rule's class (docs/FINDINGS.md). Zero is a violation, so a table row
 * that names no class is one. */
enum rule_severity {
	RULE_VIOLATION = 0, /* breaks the contract: exit 1, fuzzers keep the input */
	RULE_ADVISORY,      /* against the letter of the documentation, accepted by
			     * Windows and seen in shipped drivers: reported and
			     * listed apart, counted only when asked (--advisories-fail) */
};

struct rule_info {
	const char *id;       /* "M04" */
	const char *name;     /* "deregister-handle" */
	const char *contract; /* one line quoting/summarising the contract */
	uint8_t severity;     /* enum rule_severity */
};

const struct rule_info *rule_info(enum rule r);
/* "M04" or "M04 deregister-handle" -> RULE_M04; RULE_NONE if unknown. */
enum rule rule_parse(const char *text);

/* Whether rule r is an advisory (enum rule_severity). */
static inline bool rule_is_advisory(enum rule r)
{
	return rule_info(r)->severity == RULE_ADVISORY;
}

#endif
