/* check.h - what a rule check of the oracle is (internal to sim/oracle).
 *
 * A check is a function of the event resolved against the shadow (struct
 * oracle_view, shadow.h), called before the shadow moves on, that reports
 * its rule through oracle_reportf. Checks are dispatched from the tables
 * of oracle.c: a list of rows per event (an NMR API entered or returned, a
 * callback delivered or returned, a dispatch call, ...), a row naming the
 * rule, whether the rule counts as evaluated whenever the row runs (rule
 * coverage), and the check (NULL: coverage only). Adding a rule is one check
 * function in its family's file (rules_m.c module obligations, rules_r.c
 * registrar guarantees), under a comment quoting its row of CONTRACTS.md,
 * and one row in the list of each event it is decided at (an event without
 * a list yet: a new list, and RUN(o, list, &v) in that event's intake case
 * in oracle.c, where the view is resolved and before the shadow moves).
 *
 * A check may record what its rule decided where other checks read it: M03
 * digest_flagged (report a changed digest once), M11/M12/M13 tainted (the
 * registrar's answer to a broken attach is not specified: R04, R06, R07 and
 * R12 skip the binding).
 */
#ifndef NMRSIM_ORACLE_CHECK_H
#define NMRSIM_ORACLE_CHECK_H

#include <stdint.h>

#include "oracle/shadow.h"

typedef void (*oracle_check_fn)(struct oracle *o, const struct oracle_view *v);

struct oracle_rule_row {
	uint64_t touch;        /* rules_touched bit of the rule if it counts as evaluated whenever the row applies, else 0 */
	uint8_t rule;          /* enum rule */
	oracle_check_fn check; /* NULL: coverage only */
};

/* A row: ROW(RULE_M04, TOUCH, check_m04). */
#define ROW(rule, touch, check) { (touch) ? 1ull << (rule) : 0, (rule), (check) }
#define TOUCH true
#define NO_TOUCH false
#define BIT(x) (1u << (x))

/* The rows of a list run in order, which is the order of the findings one
 * event makes. oracle.c's at_end: the list run per live binding at
 * oracle_finish (v->b, v->hung). */

static inline void oracle_touch(struct oracle *o, enum rule r)
{
	o->rules_touched |= 1ull << (unsigned)r;
}

/* A finding at event e (NULL: at the end of the run); detail as printf.
 * Cold: a check's report path (its message buffer and arguments) is moved
 * out of the intake it is inlined into, which every event runs. */
__attribute__((format(printf, 9, 10), cold))
void oracle_reportf(struct oracle *o, const struct event *e, enum rule rule, uint8_t site_kind, uint8_t site,
		    uint8_t module, uint16_t binding, uint32_t handle, const char *fmt, ...);

/* The scenario's name of module m, "#m" if unnamed, "-" for EV_NONE8. */
const char *oracle_mod_name(const struct oracle *o, uint8_t m, char buf[8]);

/* The checks are internal to the oracle's one unit (oracle_unit.c defines
 * ORACLE_CHECK static and includes oracle.c, rules_m.c and rules_r.c): the
 * compiler sees each RUN list's checks and inlines them into the intake, as
 * when they were one file (out of line they cost a fuzzing run about 5% more
 * instructions). Their definitions in rules_*.c take this linkage. */
#ifndef ORACLE_CHECK
#define ORACLE_CHECK
#endif

/* Module obligations (rules_m.c). */
ORACLE_CHECK void check_m01(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m02(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m22(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m03(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m04(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m05(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m06(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m07(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m08(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m09(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m10(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m11(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m12(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m13(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m14(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m15_complete(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m15_detach_exit(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m16(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m17_pending(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m17_end(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m18(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m19_complete(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m19_call(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m20(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_m21(struct oracle *o, const struct oracle_view *v);

/* Registrar guarantees (rules_r.c). */
ORACLE_CHECK void check_r01(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r02(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r03(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r04(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r05(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r06(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r07(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r07_end(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r08(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r09(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r10(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r10_wait(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r11(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r12(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r13_enter(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r13_exit(struct oracle *o, const struct oracle_view *v);
ORACLE_CHECK void check_r13_inside(struct oracle *o, const struct oracle_view *v);

#endif
