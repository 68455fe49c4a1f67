/* oracle.c - the oracle's core: event intake, the rule tables, findings.
 *
 * Each event goes through the shadow (shadow.c) in two halves around the
 * rule checks: shadow_resolve finds the registration, binding and thread
 * frames it concerns; the rows of the event kind's table below run in order
 * (a row: rule, the `what` values it applies to, coverage, check); then
 * shadow_apply moves the shadow on. The checks live by family: rules_m.c
 * (module obligations M01-M21) and rules_r.c (registrar guarantees R01-R12).
 * The kernel-primitive rules K01-K09 are decided by the kernel shim, which
 * owns that state, and the liveness rules L01-L03 by the run, which sees every
 * thread blocked or the budget spent; both report through oracle_report().
 * oracle_finish runs the ORACLE_AT_END rows once per live binding.
 *
 * Rule coverage (rules_touched), a bit set when the run reaches a state in
 * which the rule is evaluated on something real (rows with touch, and the
 * conditional touches of M03 M17 M18 R08 R10 R11 in their checks):
 *   M01 M02  any NmrRegister*            M04 M05  any NmrDeregister*
 *   M06-M09  any wait                    M03  a digest compared (callback or wait exit)
 *   M10 R05 R12  any detach callback     M11  any NmrClientAttachProvider
 *   M12  client attach returned          M13  provider attach returned
 *   M14  a detach callback returned      M15 M16  any Complete
 *   M17  a detach returned PENDING       M18  a dispatch call on a side whose detach began
 *   M19 R06 R07  any cleanup callback    M20 M21  any Unload returned
 *   R01 R02  any client attach           R03  any attach callback
 *   R04  any EV_DEREG_COMPLETE           R08 R10  a wait returned SUCCESS
 *   R09  any callback                    R11  a deregister of a live handle returned
 * and every rule a finding (also from oracle_report) is made for.
 */
#include "oracle/oracle.h"

#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "oracle/check.h"
#include "trace/names.h"

_Static_assert(RULE_COUNT <= 64, "rules_touched holds one bit per rule");

#define API_REGISTER (BIT(API_REGISTER_CLIENT) | BIT(API_REGISTER_PROVIDER))
#define API_DEREGISTER (BIT(API_DEREGISTER_CLIENT) | BIT(API_DEREGISTER_PROVIDER))
#define API_WAIT (BIT(API_WAIT_CLIENT) | BIT(API_WAIT_PROVIDER))
#define API_COMPLETE (BIT(API_CLIENT_DETACH_COMPLETE) | BIT(API_PROVIDER_DETACH_COMPLETE))
#define CB_ATTACH (BIT(CB_CLIENT_ATTACH) | BIT(CB_PROVIDER_ATTACH))
#define CB_DETACH (BIT(CB_CLIENT_DETACH) | BIT(CB_PROVIDER_DETACH))
#define CB_CLEANUP (BIT(CB_CLIENT_CLEANUP) | BIT(CB_PROVIDER_CLEANUP))
#define CB_ANY (CB_ATTACH | CB_DETACH | CB_CLEANUP)

/* ---- the tables: per event kind, the checks in the order they run ---- */

static const struct oracle_rule_row api_enter_rows[] = {
	{ RULE_M01, true, API_REGISTER, check_m01 },
	{ RULE_M02, true, API_REGISTER, check_m02 },
	{ RULE_M05, true, API_DEREGISTER, check_m05 },
	{ RULE_M04, true, API_DEREGISTER, check_m04 },
	{ RULE_M08, true, API_WAIT, check_m08 },
	{ RULE_M09, true, API_WAIT, check_m09 },
	{ RULE_M07, true, API_WAIT, check_m07 },
	{ RULE_M06, true, API_WAIT, check_m06 },
	{ RULE_M11, true, BIT(API_CLIENT_ATTACH_PROVIDER), check_m11 },
	{ RULE_M16, true, API_COMPLETE, check_m16 },
	{ RULE_M19, false, API_COMPLETE, check_m19_complete },
	{ RULE_M15, true, API_COMPLETE, check_m15_complete },
};

static const struct oracle_rule_row api_exit_rows[] = {
	{ RULE_R11, false, API_DEREGISTER, check_r11 },
	{ RULE_M03, false, API_WAIT, check_m03 },
	{ RULE_R08, false, API_WAIT, check_r08 },
	{ RULE_R10, false, API_WAIT, check_r10_wait },
};

static const struct oracle_rule_row cb_enter_rows[] = {
	{ RULE_R09, true, CB_ANY, check_r09 },
	{ RULE_M03, false, CB_ANY, check_m03 },
	{ RULE_R10, false, CB_ANY, check_r10 },
	{ RULE_R01, true, BIT(CB_CLIENT_ATTACH), check_r01 },
	{ RULE_R02, true, BIT(CB_CLIENT_ATTACH), check_r02 },
	{ RULE_R03, true, CB_ATTACH, check_r03 },
	{ RULE_M10, true, CB_DETACH, NULL },
	{ RULE_R05, true, CB_DETACH, check_r05 },
	{ RULE_M19, true, CB_CLEANUP, NULL },
	{ RULE_R07, true, CB_CLEANUP, check_r07 },
	{ RULE_R12, true, CB_DETACH, check_r12 },
	{ RULE_R12, false, CB_CLEANUP, check_r12 },
	{ RULE_R06, true, CB_CLEANUP, check_r06 },
};

static const struct oracle_rule_row cb_exit_rows[] = {
	{ RULE_M12, true, BIT(CB_CLIENT_ATTACH), check_m12 },
	{ RULE_M13, true, BIT(CB_PROVIDER_ATTACH), check_m13 },
	{ RULE_M14, true, CB_DETACH, check_m14 },
	{ RULE_M15, false, CB_DETACH, check_m15_detach_exit },
	{ RULE_M17, false, CB_DETACH, check_m17_pending },
};

static const struct oracle_rule_row call_enter_rows[] = {
	{ RULE_M19, false, ROW_ANY, check_m19_call },
	{ RULE_M18, false, ROW_ANY, check_m18 },
};

static const struct oracle_rule_row block_rows[] = {
	{ RULE_M10, false, ROW_ANY, check_m10 },
};

static const struct oracle_rule_row unload_exit_rows[] = {
	{ RULE_M20, true, ROW_ANY, check_m20 },
	{ RULE_M21, true, ROW_ANY, check_m21 },
};

static const struct oracle_rule_row dereg_complete_rows[] = {
	{ RULE_R04, true, ROW_ANY, check_r04 },
};

static const struct oracle_rule_row end_rows[] = {
	{ RULE_M17, false, ROW_ANY, check_m17_end },
	{ RULE_R07, false, ROW_ANY, check_r07_end },
};

#define ROWS(a) { a, sizeof a / sizeof a[0] }

static const struct {
	const struct oracle_rule_row *row;
	uint32_t n;
} rows_of[EV_KIND_COUNT + 1] = {
	[EV_API_ENTER] = ROWS(api_enter_rows),
	[EV_API_EXIT] = ROWS(api_exit_rows),
	[EV_CB_ENTER] = ROWS(cb_enter_rows),
	[EV_CB_EXIT] = ROWS(cb_exit_rows),
	[EV_CALL_ENTER] = ROWS(call_enter_rows),
	[EV_BLOCK] = ROWS(block_rows),
	[EV_UNLOAD_EXIT] = ROWS(unload_exit_rows),
	[EV_DEREG_COMPLETE] = ROWS(dereg_complete_rows),
	[ORACLE_AT_END] = ROWS(end_rows),
};

static void run_rows(struct oracle *o, unsigned kind, const struct oracle_view *v)
{
	assert(kind <= ORACLE_AT_END);
	unsigned what = v->e ? v->e->what : 0;
	for (uint32_t i = 0; i < rows_of[kind].n; i++) {
		const struct oracle_rule_row *row = &rows_of[kind].row[i];
		if (row->what != ROW_ANY && (what >= 32 || !((row->what >> what) & 1u)))
			continue;
		assert(row->rule > RULE_NONE && row->rule < RULE_COUNT);
		if (row->touch)
			oracle_touch(o, (enum rule)row->rule);
		if (row->check)
			row->check(o, v);
	}
}

/* ---- findings ---- */

const char *oracle_mod_name(const struct oracle *o, uint8_t m, char buf[8])
{
	if (m == EV_NONE8)
		return "-";
	if (o->module_names && m < o->nmodules && o->module_names[m])
		return o->module_names[m];
	snprintf(buf, 8, "#%u", (unsigned)m);
	return buf;
}

static const char *site_name(uint8_t kind, uint8_t site)
{
	switch (kind) {
	case SITE_API: return nmr_api_name((enum nmr_api)site);
	case SITE_CB: return nmr_cb_name((enum nmr_cb)site);
	case SITE_CALL: return "dispatch";
	case SITE_UNLOAD: return "Unload";
	case SITE_END: return "end";
	case SITE_HANG: return block_reason_name((enum block_reason)site);
	case SITE_CRASH: return crash_signal_name(site);
	case SITE_KERNEL: return ke_api_name((enum ke_api)site);
	default: return "?";
	}
}

/* Dedup and count; returns the slot to fill, or NULL (duplicate or full). */
static struct finding *finding_add(struct oracle *o, enum rule rule, uint8_t site_kind, uint8_t site, uint8_t module)
{
	uint32_t key = (uint32_t)rule | (uint32_t)module << 8 | (uint32_t)site_kind << 16 | (uint32_t)site << 24;
	o->rules_violated |= 1ull << (unsigned)rule;
	/* A filtered-out rule still counts as explored, but is no finding: a
	 * fuzz target whose modules are buggy by construction counts only the
	 * rules of the system under test. */
	if (o->rule_mask && !((o->rule_mask >> (unsigned)rule) & 1u)) {
		oracle_touch(o, rule);
		return NULL;
	}
	for (uint32_t i = 0; i < o->nsignatures; i++)
		if (o->signatures[i] == key)
			return NULL;
	if (o->nsignatures < ORACLE_SIGNATURES_MAX)
		o->signatures[o->nsignatures++] = key;
	oracle_touch(o, rule);
	o->findings_total++;
	if (o->stop_on_first)
		o->stop_requested = true;
	if (o->nfindings >= ORACLE_FINDINGS_MAX)
		return NULL;
	struct finding *f = &o->findings[o->nfindings++];
	memset(f, 0, sizeof *f);
	f->rule = (uint8_t)rule;
	f->site_kind = site_kind;
	f->site = site;
	f->module = module;
	return f;
}

static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

void oracle_reportf(struct oracle *o, const struct event *e, enum rule rule, uint8_t site_kind, uint8_t site,
		    uint8_t module, uint16_t binding, uint32_t handle, const char *fmt, ...)
{
	struct finding *f = finding_add(o, rule, site_kind, site, module);
	if (!f)
		return;
	f->thread = e ? e->thread : EV_NONE8;
	f->binding = binding;
	f->handle = handle;
	f->step = e ? e->step : o->last_step;
	f->event = o->event_index ? o->event_index - 1 : 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof f->detail, fmt, ap);
	va_end(ap);
	one_line(f->detail);
}

void oracle_report(struct oracle *o, enum rule rule, enum finding_site site_kind, uint8_t site,
		   uint8_t module, uint8_t thread, uint16_t binding, uint32_t handle, const char *detail)
{
	struct finding *f = finding_add(o, rule, (uint8_t)site_kind, site, module);
	if (!f)
		return;
	f->thread = thread;
	f->binding = binding;
	f->handle = handle;
	f->step = o->last_step;
	f->event = o->event_index ? o->event_index - 1 : 0;
	snprintf(f->detail, sizeof f->detail, "%s", detail ? detail : "");
	one_line(f->detail);
}

/* ---- entry points ---- */

void oracle_init(struct oracle *o, const char *const *module_names, uint32_t nmodules, bool stop_on_first)
{
	/* Per run, so not the shadow tables: regs, bindings and findings are
	 * only read below their counts and zeroed when an entry is created. */
	memset(o, 0, offsetof(struct oracle, regs));
	o->nregs = 0;
	o->nbindings = 0;
	memset(o->threads, 0, sizeof o->threads);
	memset(&o->nfindings, 0, sizeof *o - offsetof(struct oracle, nfindings));
	o->module_names = module_names;
	o->nmodules = module_names ? nmodules : 0;
	o->stop_on_first = stop_on_first;
}

void oracle_on_event(struct oracle *o, const struct event *e)
{
	o->event_index++;
	o->last_step = e->step;
	struct oracle_view v;
	if (!shadow_resolve(o, e, &v))
		return;
	run_rows(o, e->kind, &v);
	shadow_apply(o, &v);
}

void oracle_observe(void *oracle, const struct event *e)
{
	oracle_on_event(oracle, e);
}

void oracle_finish(struct oracle *o, bool hung)
{
	assert(o->nbindings <= ORACLE_BINDINGS_MAX);
	for (uint32_t i = 0; i < o->nbindings; i++) {
		if (!o->bindings[i].live)
			continue;
		struct oracle_view v = { .e = NULL, .b = &o->bindings[i], .ri = NO_INDEX, .cb_index = NO_INDEX,
					 .hung = hung };
		run_rows(o, ORACLE_AT_END, &v);
	}
}

void oracle_signature(const struct oracle *o, const struct finding *f, char *buf, size_t cap)
{
	char nb[8];
	if (!cap)
		return;
	snprintf(buf, cap, "%s %s %s", rule_info((enum rule)f->rule)->id, oracle_mod_name(o, f->module, nb),
		 site_name(f->site_kind, f->site));
}

void oracle_print_finding(const struct oracle *o, const struct finding *f, FILE *out)
{
	const struct rule_info *ri = rule_info((enum rule)f->rule);
	char nb[8], tb[32], sig[96];
	const char *thread = f->thread == EV_NONE8 ? "-" : trace_thread_name(o->scenario, f->thread, tb);
	fprintf(out, "violation %s %s at step %u, thread %s, module %s", ri->id, ri->name, f->step, thread,
		oracle_mod_name(o, f->module, nb));
	if (f->binding != EV_NONE16)
		fprintf(out, ", binding #%u", (unsigned)f->binding);
	if (f->handle)
		fprintf(out, ", handle 0x%08x", f->handle);
	oracle_signature(o, f, sig, sizeof sig);
	fprintf(out, "\n  contract: %s\n  what: %s\nsignature: %s\n", ri->contract, f->detail, sig);
}
