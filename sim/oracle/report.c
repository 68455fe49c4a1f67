/* report.c - the oracle's findings: one per signature per run, at most
 * ORACLE_FINDINGS_MAX kept, each naming its rule, module, binding or handle,
 * trace step and site, and the report block and signature they print as. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oracle/check.h"
#include "oracle/suppress.h"
#include "trace/names.h"

const char *oracle_mod_name(const struct oracle *o, uint8_t m, char buf[8])
{
	if (m == EV_NONE8)
		return "-";
	if (o->module_names && m < o->nmodules && o->module_names[m])
		return o->module_names[m];
	snprintf(buf, 8, "#%u", (unsigned)m);
	return buf;
}

/* "F1".."F6": the signature's site of a freedom dependence (M23). */
static const char *choice_freedom_short(uint8_t kind)
{
	static const char *const f[] = { "?", "F1", "F2", "F3", "F4", "F5", "F6" };
	return kind < sizeof f / sizeof f[0] ? f[kind] : "?";
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
	case SITE_FREEDOM: return choice_freedom_short(site);
	default: return "?";
	}
}

/* Whether the suppressions set aside this finding. */
static bool suppressed(const struct oracle *o, enum rule rule, uint8_t site_kind, uint8_t site, uint8_t module)
{
	if (!o->suppress)
		return false;
	char nb[8], sig[160];
	const char *id = rule_info(rule)->id, *mod = oracle_mod_name(o, module, nb), *where = site_name(site_kind, site);
	snprintf(sig, sizeof sig, "%s %s %s", id, mod, where);
	return suppress_match(o->suppress, id, mod, where, sig);
}

/* Dedup and count; returns the slot to fill, or NULL (duplicate, suppressed
 * or full). */
static struct finding *finding_add(struct oracle *o, enum rule rule, uint8_t site_kind, uint8_t site, uint8_t module)
{
	uint32_t key = (uint32_t)rule | (uint32_t)module << 8 | (uint32_t)site_kind << 16 | (uint32_t)site << 24;
	o->rules_violated |= 1ull << (unsigned)rule;
	/* A filtered-out rule still counts as explored, but is no finding: a
	 * fuzz target whose modules are buggy by construction counts only the
	 * rules of the system under test. */
	if (!oracle_counts(o, rule)) {
		oracle_touch(o, rule);
		return NULL;
	}
	for (uint32_t i = 0; i < o->nsignatures; i++)
		if (o->signatures[i] == key)
			return NULL;
	if (o->nsignatures < ORACLE_SIGNATURES_MAX)
		o->signatures[o->nsignatures++] = key;
	oracle_touch(o, rule);
	if (suppressed(o, rule, site_kind, site, module)) {
		o->suppressed++;
		return NULL;
	}
	o->findings_total++;
	/* An advisory does not end a fuzzing run unless asked: the input goes on
	 * to what else it does. */
	if (o->stop_on_first && (!rule_is_advisory(rule) || o->advisories_fail))
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

void oracle_signature(const struct oracle *o, const struct finding *f, char *buf, size_t cap)
{
	char nb[8];
	if (!cap)
		return;
	snprintf(buf, cap, "%s %s %s", rule_info((enum rule)f->rule)->id, oracle_mod_name(o, f->module, nb),
		 site_name(f->site_kind, f->site));
}

bool oracle_finding_fails(const struct oracle *o, const struct finding *f)
{
	return !rule_is_advisory((enum rule)f->rule) || o->advisories_fail;
}

uint32_t oracle_failing(const struct oracle *o)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < o->nfindings; i++)
		n += oracle_finding_fails(o, &o->findings[i]);
	return n;
}

void oracle_print_finding(const struct oracle *o, const struct finding *f, FILE *out)
{
	const struct rule_info *ri = rule_info((enum rule)f->rule);
	char nb[8], tb[32], sig[96];
	const char *thread = f->thread == EV_NONE8 ? "-" : trace_thread_name(o->scenario, f->thread, tb);
	fprintf(out, "%s %s %s at step %u, thread %s, module %s", ri->severity == RULE_ADVISORY ? "advisory" : "violation",
		ri->id, ri->name, f->step, thread, oracle_mod_name(o, f->module, nb));
	if (f->binding != EV_NONE16)
		fprintf(out, ", binding #%u", (unsigned)f->binding);
	if (f->handle)
		fprintf(out, ", handle 0x%08x", f->handle);
	oracle_signature(o, f, sig, sizeof sig);
	fprintf(out, "\n  contract: %s\n  what: %s\nsignature: %s\n", ri->contract, f->detail, sig);
}
