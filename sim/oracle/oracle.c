/* oracle.c - the contract checks of CONTRACTS.md, decided from events alone.
 *
 * Shadow state (see oracle.h): registrations keyed by the handle value the
 * registrar returned, bindings keyed by the binding handle of the client
 * attach callback, and per thread the NMR callbacks and API calls it is
 * inside. Handles are values, never dereferenced: any registrar can be
 * checked. A handle value seen again for a new registration or binding makes
 * the older entry with that value unfindable (the registrar reused it).
 *
 * Capacities: a full shadow recycles its oldest finished entry (registration:
 * wait returned; binding: attach failed or both cleanups ran). When every
 * entry is unfinished the new one is not tracked (regs_dropped,
 * bindings_dropped): events about it then match nothing and are not checked,
 * and "callback for a binding never attached" (R12) is no longer reported
 * because the binding may be one that was not tracked or was recycled.
 * Deeper callback/API nesting than the per-thread arrays hold is counted but
 * not recorded: checks that need the innermost frame skip while it is
 * unknown. Events of a thread id >= SIM_THREADS_MAX skip the per-thread
 * checks (M09, M10, M11, and M12 falls back on the event's own arg/aux).
 *
 * M03 is decided when a changed digest is next observed (a callback's or a
 * wait exit's aux), not at EV_MUTATE: a change undone before anyone looks is
 * not reported. M12 prefers the oracle's own record of NmrClientAttachProvider
 * on the callback frame over the event's arg/aux.
 *
 * Signatures and sites (stable across schedules of one bug):
 *   M01 M02 M04 M05 M06-M09 M11 M16 R11  the API called;
 *   M03 R04  the registration's NmrRegister* / NmrDeregister* (the change
 *            is seen at whichever callback or wait comes next, so the site
 *            is the registration, not the observer);
 *   M15      the Complete API, also when found at the detach callback's exit;
 *   M19      the Complete API or "dispatch"; M18 "dispatch";
 *   M10 M12 M13 M14 M17 R01-R03 R05-R07 R09 R10 R12  the callback;
 *   R07 (cleanup never ran) "end"; M20 M21 "Unload".
 * Module of a finding: the module that broke an M rule; for R rules the
 * module that received the callback or owns the registration.
 *
 * Precedence at one cleanup callback (so one registrar bug gives one
 * finding): twice -> R07; else attach callbacks not returned -> R12; else
 * attach failed -> R07; else a side not detached -> R06. Bindings whose attach
 * broke M11/M12/M13 (tainted) skip R06, R07 and R12: the registrar's answer
 * to a broken attach is not specified.
 *
 * Rule coverage (rules_touched), a bit set when the run reaches a state in
 * which the rule is evaluated on something real:
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

#include "trace/names.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define ST_SUCCESS 0
#define ST_PENDING 0x103
#define IRQL_PASSIVE 0u
#define IRQL_DISPATCH 2u
#define NO_INDEX -1

_Static_assert(RULE_COUNT <= 64, "rules_touched holds one bit per rule");

enum oracle_reg_state {
	REG_FREE = 0,      /* slot unused (or forgotten) */
	REG_REGISTERED,    /* NmrRegister* returned it */
	REG_DEREGISTERING, /* NmrDeregister* entered with it, not returned */
	REG_DEREGISTERED,  /* NmrDeregister* returned */
	REG_WAIT_RETURNED, /* NmrWaitFor*DeregisterComplete returned SUCCESS: finished */
};

enum oracle_attach_cb { ACB_NONE = 0, ACB_RUNNING, ACB_OK, ACB_FAILED };

enum oracle_attach_state { BATT_ATTACHING = 0, BATT_ATTACHED, BATT_FAILED };

enum oracle_side_state {
	SIDE_ATTACHED = 0, /* detach not delivered */
	SIDE_DETACHING,    /* detach callback running */
	SIDE_PENDING,      /* it returned PENDING, no Complete yet */
	SIDE_DETACHED,     /* detach completed (SUCCESS, or Complete) */
};

/* ---- names ---- */

static const char *mod_name(const struct oracle *o, uint8_t m, char buf[8])
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
	case SITE_CRASH:
		return crash_signal_name(site);
	case SITE_KERNEL: return ke_api_name((enum ke_api)site);
	default: return "?";
	}
}

/* ---- findings ---- */

static inline void touch(struct oracle *o, enum rule r)
{
	o->rules_touched |= 1ull << (unsigned)r;
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
		touch(o, rule);
		return NULL;
	}
	for (uint32_t i = 0; i < o->nsignatures; i++)
		if (o->signatures[i] == key)
			return NULL;
	if (o->nsignatures < ORACLE_SIGNATURES_MAX)
		o->signatures[o->nsignatures++] = key;
	touch(o, rule);
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

__attribute__((format(printf, 9, 10)))
static void report(struct oracle *o, const struct event *e, enum rule rule, uint8_t site_kind, uint8_t site,
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

/* ---- shadow registrations ---- */

static int reg_find(const struct oracle *o, uint32_t handle)
{
	if (!handle)
		return NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++)
		if (o->regs[i].state != REG_FREE && o->regs[i].handle == handle)
			return (int)i;
	return NO_INDEX;
}

/* The module's current registration of that role: the newest not finished,
 * else the newest. */
static int reg_current(const struct oracle *o, uint8_t module, unsigned role)
{
	int best = NO_INDEX, best_done = NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++) {
		const struct oracle_reg *r = &o->regs[i];
		if (r->state == REG_FREE || r->module != module || r->role != role)
			continue;
		int *slot = r->state == REG_WAIT_RETURNED ? &best_done : &best;
		if (*slot == NO_INDEX || o->regs[*slot].seq < r->seq)
			*slot = (int)i;
	}
	return best != NO_INDEX ? best : best_done;
}

static int reg_create(struct oracle *o, uint32_t handle, uint8_t module, unsigned role, uint8_t npi,
		      uint32_t digest, bool digest_known, uint32_t step)
{
	int slot = NO_INDEX;
	for (uint32_t i = 0; i < o->nregs; i++)
		if (o->regs[i].state != REG_FREE && o->regs[i].handle == handle)
			o->regs[i].state = REG_FREE; /* the registrar reused the value */
	if (o->nregs < ORACLE_REGS_MAX) {
		slot = (int)o->nregs++;
	} else {
		for (uint32_t i = 0; i < o->nregs && slot == NO_INDEX; i++)
			if (o->regs[i].state == REG_FREE)
				slot = (int)i;
		for (uint32_t i = 0; i < o->nregs && slot == NO_INDEX; i++) {
			/* oldest finished one */
			if (o->regs[i].state != REG_WAIT_RETURNED)
				continue;
			int old = (int)i;
			for (uint32_t j = i + 1; j < o->nregs; j++)
				if (o->regs[j].state == REG_WAIT_RETURNED && o->regs[j].seq < o->regs[old].seq)
					old = (int)j;
			slot = old;
		}
	}
	if (slot == NO_INDEX) {
		o->regs_dropped++;
		return NO_INDEX;
	}
	struct oracle_reg *r = &o->regs[slot];
	memset(r, 0, sizeof *r);
	r->handle = handle;
	r->module = module;
	r->role = (uint8_t)role;
	r->npi = npi;
	r->state = REG_REGISTERED;
	r->digest = digest;
	r->digest_flagged = !digest_known;
	r->seq = ++o->seq;
	r->step_registered = step;
	return slot;
}

/* A callback reached a registration handle not seen yet: NmrRegister* may
 * still be running (F1). Take its data from an in-flight register frame. */
static int reg_from_inflight(struct oracle *o, const struct event *e, unsigned role)
{
	for (unsigned t = 0; t < SIM_THREADS_MAX; t++) {
		struct oracle_thread *th = &o->threads[t];
		unsigned n = th->api_depth < ORACLE_API_DEPTH_MAX ? th->api_depth : ORACLE_API_DEPTH_MAX;
		for (unsigned j = 0; j < n; j++) {
			struct oracle_api_frame *f = &th->api[j];
			if (f->api != API_REGISTER_CLIENT + role || f->module != e->module)
				continue;
			f->handle = e->reg; /* so a failing register forgets it again */
			return reg_create(o, e->reg, e->module, role, f->npi, f->digest, true, e->step);
		}
	}
	return NO_INDEX;
}

/* ---- shadow bindings ---- */

static int binding_find(const struct oracle *o, uint32_t handle)
{
	if (!handle)
		return NO_INDEX;
	for (uint32_t i = 0; i < o->nbindings; i++)
		if (o->bindings[i].live && o->bindings[i].handle == handle)
			return (int)i;
	return NO_INDEX;
}

static bool binding_finished(const struct oracle_binding *b)
{
	return !b->live || b->attach_state == BATT_FAILED || (b->cleanup_calls[0] && b->cleanup_calls[1]);
}

static int binding_create(struct oracle *o, uint32_t handle, uint16_t slot_id)
{
	int slot = NO_INDEX;
	for (uint32_t i = 0; i < o->nbindings; i++)
		if (o->bindings[i].live && o->bindings[i].handle == handle)
			o->bindings[i].live = false;
	if (o->nbindings < ORACLE_BINDINGS_MAX) {
		slot = (int)o->nbindings++;
	} else {
		for (uint32_t i = 0; i < o->nbindings && slot == NO_INDEX; i++)
			if (!o->bindings[i].live)
				slot = (int)i;
		for (uint32_t i = 0; i < o->nbindings; i++)
			if (binding_finished(&o->bindings[i]) &&
			    (slot == NO_INDEX || (o->bindings[slot].live && o->bindings[i].seq < o->bindings[slot].seq)))
				slot = (int)i;
		if (slot != NO_INDEX && o->bindings[slot].live)
			o->bindings_recycled++;
	}
	if (slot == NO_INDEX) {
		o->bindings_dropped++;
		return NO_INDEX;
	}
	struct oracle_binding *b = &o->bindings[slot];
	memset(b, 0, sizeof *b);
	b->handle = handle;
	b->slot = slot_id;
	b->client_module = b->provider_module = EV_NONE8;
	b->live = true;
	b->seq = ++o->seq;
	return slot;
}

static void binding_update_attach(struct oracle_binding *b)
{
	uint8_t c = b->attach_cb[0], p = b->attach_cb[1];
	if (c == ACB_FAILED || p == ACB_FAILED || (c == ACB_OK && p == ACB_NONE))
		b->attach_state = BATT_FAILED;
	else if (c == ACB_OK && p == ACB_OK)
		b->attach_state = BATT_ATTACHED;
	else
		b->attach_state = BATT_ATTACHING;
}

static bool attach_unreturned(uint8_t acb)
{
	return acb == ACB_NONE || acb == ACB_RUNNING;
}

/* R12: the binding's attach callbacks that must have returned before a
 * callback of that side. */
static bool r12_violated(const struct oracle_binding *b, unsigned side)
{
	return attach_unreturned(b->attach_cb[0]) || (side == 1 && attach_unreturned(b->attach_cb[1]));
}

static uint8_t binding_side_module(const struct oracle_binding *b, unsigned side)
{
	return side ? b->provider_module : b->client_module;
}

/* ---- per-thread frames ---- */

static struct oracle_thread *thread_of(struct oracle *o, const struct event *e)
{
	return e->thread < SIM_THREADS_MAX ? &o->threads[e->thread] : NULL;
}

/* Innermost recorded callback frame index, or -1 (none, or not recorded). */
static int cb_top(const struct oracle_thread *t)
{
	if (!t || t->depth == 0 || t->depth > ORACLE_CB_DEPTH_MAX)
		return NO_INDEX;
	return t->depth - 1;
}

/* Pop the callback frame matching (cb, handle): the innermost, or a deeper
 * one (frames above it were never closed). Returns its index (data stays
 * readable until the next push), -1 if not recorded. */
static int cb_pop(struct oracle_thread *t, uint8_t cb, uint32_t handle)
{
	if (!t || t->depth == 0)
		return NO_INDEX;
	if (t->depth > ORACLE_CB_DEPTH_MAX) {
		t->depth--;
		return NO_INDEX;
	}
	for (int i = t->depth - 1; i >= 0; i--) {
		if (t->cb[i] == cb && t->cb_handle[i] == handle) {
			t->depth = (uint8_t)i;
			return i;
		}
	}
	return NO_INDEX;
}

static struct oracle_api_frame *api_pop(struct oracle_thread *t, uint8_t api)
{
	if (!t || t->api_depth == 0)
		return NULL;
	if (t->api_depth > ORACLE_API_DEPTH_MAX) {
		t->api_depth--;
		return NULL;
	}
	for (int i = t->api_depth - 1; i >= 0; i--) {
		if (t->api[i].api == api) {
			t->api_depth = (uint8_t)i;
			return &t->api[i];
		}
	}
	return NULL;
}

/* ---- API enter ---- */

static void describe_bad_handle(const struct oracle *o, uint32_t handle, unsigned role, char *buf, size_t cap)
{
	char nb[8];
	int r = reg_find(o, handle);
	int b = binding_find(o, handle);
	if (r != NO_INDEX && o->regs[r].role != role)
		snprintf(buf, cap, "handle of %s's %s registration", mod_name(o, o->regs[r].module, nb),
			 nmr_role_name(o->regs[r].role));
	else if (r != NO_INDEX && o->regs[r].state == REG_WAIT_RETURNED)
		snprintf(buf, cap, "registration of %s whose wait already returned at step %u",
			 mod_name(o, o->regs[r].module, nb), o->regs[r].step_wait);
	else if (r != NO_INDEX)
		snprintf(buf, cap, "registration of %s already deregistered at step %u",
			 mod_name(o, o->regs[r].module, nb), o->regs[r].step_deregistered);
	else if (b != NO_INDEX)
		snprintf(buf, cap, "a binding handle (binding #%u), not a registration", o->bindings[b].slot);
	else
		snprintf(buf, cap, "not a handle NmrRegister* returned");
}

static void on_complete(struct oracle *o, const struct event *e, unsigned side)
{
	uint8_t api = (uint8_t)(side ? API_PROVIDER_DETACH_COMPLETE : API_CLIENT_DETACH_COMPLETE);
	const char *an = nmr_api_name((enum nmr_api)api);
	char nb[8], pb[8];
	touch(o, RULE_M15);
	touch(o, RULE_M16);
	int bi = binding_find(o, e->handle);
	if (bi == NO_INDEX) {
		int r = reg_find(o, e->handle);
		if (r != NO_INDEX)
			report(o, e, RULE_M16, SITE_API, api, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x): a registration handle (%s), not a binding", an, e->handle,
			       mod_name(o, o->regs[r].module, nb));
		else
			report(o, e, RULE_M16, SITE_API, api, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x): not a binding handle NMR delivered", an, e->handle);
		return;
	}
	struct oracle_binding *b = &o->bindings[bi];
	uint8_t owner = binding_side_module(b, side);
	if (e->module != EV_NONE8 && owner != EV_NONE8 && e->module != owner) {
		report(o, e, RULE_M16, SITE_API, api, e->module, b->slot, e->handle,
		       "%s(0x%08x) called by %s: the %s side of binding #%u belongs to %s", an, e->handle,
		       mod_name(o, e->module, nb), nmr_role_name(side), b->slot, mod_name(o, owner, pb));
		/* The registrar acts on it all the same (the API names the side):
		 * follow it quietly, so later checks judge the registrar on what it
		 * was told rather than report this misuse again as R04/R06. */
		if (b->completes[side] < UINT8_MAX)
			b->completes[side]++;
		if (b->side_state[side] == SIDE_PENDING) {
			b->side_state[side] = SIDE_DETACHED;
			b->step_detached[side] = e->step;
		} else if (b->side_state[side] == SIDE_DETACHING) {
			b->complete_early[side] = true;
		}
		return;
	}
	if (b->cleanup_calls[side]) {
		report(o, e, RULE_M19, SITE_API, api, e->module, b->slot, e->handle,
		       "%s(0x%08x) after the %s cleanup of binding #%u ran at step %u", an, e->handle,
		       nmr_role_name(side), b->slot, b->step_cleanup[side]);
		return;
	}
	if (b->attach_state == BATT_FAILED) {
		report(o, e, RULE_M16, SITE_API, api, e->module, b->slot, e->handle,
		       "%s(0x%08x): binding #%u never attached (its attach failed)", an, e->handle, b->slot);
		return;
	}
	bool again = b->completes[side] > 0;
	if (b->completes[side] < UINT8_MAX)
		b->completes[side]++;
	switch (b->side_state[side]) {
	case SIDE_ATTACHED:
		report(o, e, RULE_M15, SITE_API, api, e->module, b->slot, e->handle,
		       "%s(0x%08x): the %s detach callback of binding #%u was not called yet", an, e->handle,
		       nmr_role_name(side), b->slot);
		break;
	case SIDE_DETACHING:
		if (again)
			report(o, e, RULE_M15, SITE_API, api, e->module, b->slot, e->handle,
			       "%s(0x%08x): second Complete for binding #%u", an, e->handle, b->slot);
		b->complete_early[side] = true; /* decided at the detach callback's exit */
		break;
	case SIDE_PENDING:
		b->side_state[side] = SIDE_DETACHED;
		b->step_detached[side] = e->step;
		break;
	default:
		if (again)
			report(o, e, RULE_M15, SITE_API, api, e->module, b->slot, e->handle,
			       "%s(0x%08x): second Complete for binding #%u (detach completed at step %u)", an,
			       e->handle, b->slot, b->step_detached[side]);
		else
			report(o, e, RULE_M15, SITE_API, api, e->module, b->slot, e->handle,
			       "%s(0x%08x): the %s detach callback of binding #%u returned STATUS_SUCCESS at step %u",
			       an, e->handle, nmr_role_name(side), b->slot, b->step_detached[side]);
		break;
	}
}

static void on_api_enter(struct oracle *o, const struct event *e, struct oracle_thread *t)
{
	struct oracle_api_frame scratch, *f = &scratch;
	if (t) {
		if (t->api_depth < ORACLE_API_DEPTH_MAX)
			f = &t->api[t->api_depth];
		if (t->api_depth < UINT8_MAX)
			t->api_depth++;
	}
	memset(f, 0, sizeof *f);
	f->api = e->what;
	f->module = e->module;
	f->irql = e->irql;
	f->handle = e->handle;
	f->cb_index = EV_NONE8;
	f->reg_index = EV_NONE16;

	const char *an = nmr_api_name((enum nmr_api)e->what);
	char buf[96], nb[8];
	switch (e->what) {
	case API_REGISTER_CLIENT:
	case API_REGISTER_PROVIDER:
		touch(o, RULE_M01);
		touch(o, RULE_M02);
		f->npi = e->peer;
		f->digest = e->aux;
		if (e->irql > IRQL_PASSIVE)
			report(o, e, RULE_M01, SITE_API, e->what, e->module, EV_NONE16, 0,
			       "%s by %s at IRQL %u (above PASSIVE_LEVEL)", an, mod_name(o, e->module, nb), e->irql);
		if (e->arg) {
			chars_bad_text(e->arg, buf, sizeof buf);
			report(o, e, RULE_M02, SITE_API, e->what, e->module, EV_NONE16, 0,
			       "%s by %s: characteristics malformed: %s", an, mod_name(o, e->module, nb), buf);
		}
		break;
	case API_DEREGISTER_CLIENT:
	case API_DEREGISTER_PROVIDER: {
		unsigned role = e->what - API_DEREGISTER_CLIENT;
		touch(o, RULE_M04);
		touch(o, RULE_M05);
		if (e->irql > IRQL_DISPATCH)
			report(o, e, RULE_M05, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) at IRQL %u (above DISPATCH_LEVEL)", an, e->handle, e->irql);
		int r = reg_find(o, e->handle);
		if (r != NO_INDEX && o->regs[r].role == role && o->regs[r].state == REG_REGISTERED) {
			f->valid = true;
			f->reg_index = (uint16_t)r;
			f->reg_seq = o->regs[r].seq;
			o->regs[r].state = REG_DEREGISTERING;
			o->regs[r].step_deregistered = e->step;
		} else {
			describe_bad_handle(o, e->handle, role, buf, sizeof buf);
			report(o, e, RULE_M04, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x): %s", an, e->handle, buf);
		}
		break;
	}
	case API_WAIT_CLIENT:
	case API_WAIT_PROVIDER: {
		unsigned role = e->what - API_WAIT_CLIENT;
		touch(o, RULE_M06);
		touch(o, RULE_M07);
		touch(o, RULE_M08);
		touch(o, RULE_M09);
		if (e->irql >= IRQL_DISPATCH)
			report(o, e, RULE_M08, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) at IRQL %u (DISPATCH_LEVEL or above)", an, e->handle, e->irql);
		if (t && t->depth > 0) {
			int top = cb_top(t);
			report(o, e, RULE_M09, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) inside %s: the wait needs that callback to return", an, e->handle,
			       top != NO_INDEX ? nmr_cb_name((enum nmr_cb)t->cb[top]) : "an NMR callback");
		}
		int r = reg_find(o, e->handle);
		if (r == NO_INDEX || o->regs[r].role != role || o->regs[r].state == REG_WAIT_RETURNED) {
			describe_bad_handle(o, e->handle, role, buf, sizeof buf);
			report(o, e, RULE_M07, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x): %s", an, e->handle, buf);
		} else if (o->regs[r].state == REG_REGISTERED) {
			report(o, e, RULE_M06, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x): registration of %s (registered at step %u) was not deregistered", an,
			       e->handle, mod_name(o, o->regs[r].module, nb), o->regs[r].step_registered);
		} else {
			f->valid = true;
			f->reg_index = (uint16_t)r;
			f->reg_seq = o->regs[r].seq;
		}
		break;
	}
	case API_CLIENT_ATTACH_PROVIDER: {
		touch(o, RULE_M11);
		if (!t)
			break;
		int top = cb_top(t);
		if (t->depth > ORACLE_CB_DEPTH_MAX)
			break; /* innermost callback unknown */
		if (top != NO_INDEX && t->cb[top] == CB_CLIENT_ATTACH) {
			t->attach_called[top] = true;
			t->attach_returned[top] = false;
			f->cb_index = (uint8_t)top;
			if (t->cb_handle[top] != e->handle) {
				int b = binding_find(o, t->cb_handle[top]);
				if (b != NO_INDEX)
					o->bindings[b].tainted = true;
				report(o, e, RULE_M11, SITE_API, e->what, e->module, EV_NONE16, e->handle,
				       "%s(0x%08x) inside ClientAttachProvider of binding handle 0x%08x", an, e->handle,
				       t->cb_handle[top]);
			}
		} else {
			report(o, e, RULE_M11, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) %s%s", an, e->handle, top == NO_INDEX ? "outside any NMR callback" : "inside ",
			       top == NO_INDEX ? "" : nmr_cb_name((enum nmr_cb)t->cb[top]));
		}
		break;
	}
	case API_CLIENT_DETACH_COMPLETE:
		on_complete(o, e, 0);
		break;
	case API_PROVIDER_DETACH_COMPLETE:
		on_complete(o, e, 1);
		break;
	default:
		break;
	}
}

/* ---- API exit ---- */

static struct oracle_reg *frame_reg(struct oracle *o, const struct oracle_api_frame *f)
{
	if (!f || !f->valid || f->reg_index >= o->nregs)
		return NULL;
	struct oracle_reg *r = &o->regs[f->reg_index];
	return r->state != REG_FREE && r->seq == f->reg_seq ? r : NULL;
}

static void check_digest(struct oracle *o, const struct event *e, struct oracle_reg *r, uint32_t digest,
			 const char *where)
{
	if (r->digest_flagged || r->state == REG_WAIT_RETURNED)
		return;
	touch(o, RULE_M03);
	if (digest == r->digest)
		return;
	char nb[8];
	r->digest_flagged = true;
	report(o, e, RULE_M03, SITE_API, (uint8_t)(API_REGISTER_CLIENT + r->role), r->module, EV_NONE16, r->handle,
	       "characteristics of %s's registration 0x%08x (registered at step %u) changed: digest 0x%08x, now 0x%08x at %s",
	       mod_name(o, r->module, nb), r->handle, r->step_registered, r->digest, digest, where);
}

static void on_api_exit(struct oracle *o, const struct event *e, struct oracle_thread *t)
{
	struct oracle_api_frame *f = api_pop(t, e->what);
	const char *an = nmr_api_name((enum nmr_api)e->what);
	char nb[8], sb[16];
	switch (e->what) {
	case API_REGISTER_CLIENT:
	case API_REGISTER_PROVIDER: {
		unsigned role = e->what - API_REGISTER_CLIENT;
		if (e->status != ST_SUCCESS || e->handle == 0) {
			int early = f && f->handle ? reg_find(o, f->handle) : NO_INDEX;
			if (early != NO_INDEX && o->regs[early].module == e->module)
				o->regs[early].state = REG_FREE;
			break;
		}
		int r = reg_find(o, e->handle);
		if (r != NO_INDEX && o->regs[r].module == e->module && o->regs[r].role == role &&
		    o->regs[r].state != REG_WAIT_RETURNED)
			break; /* created when a callback reached it before the return (F1) */
		reg_create(o, e->handle, e->module, role, f ? f->npi : EV_NONE8, f ? f->digest : 0, f != NULL, e->step);
		break;
	}
	case API_DEREGISTER_CLIENT:
	case API_DEREGISTER_PROVIDER: {
		struct oracle_reg *r = frame_reg(o, f);
		if (!r)
			break;
		touch(o, RULE_R11);
		if (e->status != ST_PENDING)
			report(o, e, RULE_R11, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) of %s's live registration returned %s, not STATUS_PENDING", an, e->handle,
			       mod_name(o, r->module, nb), ntstatus_name(e->status, sb));
		if (r->state == REG_DEREGISTERING)
			r->state = REG_DEREGISTERED;
		break;
	}
	case API_WAIT_CLIENT:
	case API_WAIT_PROVIDER: {
		struct oracle_reg *r = frame_reg(o, f);
		if (!r || r->state == REG_WAIT_RETURNED)
			break;
		check_digest(o, e, r, e->aux, an);
		if (e->status != ST_SUCCESS)
			break;
		touch(o, RULE_R08);
		touch(o, RULE_R10);
		for (uint32_t i = 0; i < o->nbindings; i++) {
			const struct oracle_binding *b = &o->bindings[i];
			if (!b->live || b->attach_state != BATT_ATTACHED || (b->client_reg != r->handle && b->provider_reg != r->handle))
				continue;
			if (b->cleanup_calls[0] && b->cleanup_calls[1])
				continue;
			report(o, e, RULE_R08, SITE_API, e->what, r->module, b->slot, e->handle,
			       "%s(0x%08x) returned while binding #%u (0x%08x) was not cleaned up (client %s, provider %s)",
			       an, e->handle, b->slot, b->handle, b->cleanup_calls[0] ? "done" : "not yet",
			       b->cleanup_calls[1] ? "done" : "not yet");
			break;
		}
		r->state = REG_WAIT_RETURNED;
		r->step_wait = e->step;
		break;
	}
	case API_CLIENT_ATTACH_PROVIDER:
		if (f && t && f->cb_index < t->depth && f->cb_index < ORACLE_CB_DEPTH_MAX &&
		    t->cb[f->cb_index] == CB_CLIENT_ATTACH) {
			t->attach_status[f->cb_index] = e->status;
			t->attach_returned[f->cb_index] = true;
		}
		break;
	default:
		break;
	}
}

/* ---- callbacks ---- */

/* A detach or cleanup for a binding no attach callback received (R12).
 * Silent once the shadow had to drop or recycle bindings: then the binding
 * may simply be one the oracle no longer remembers. */
static void report_unattached_binding(struct oracle *o, const struct event *e, uint8_t cb, const char *cn)
{
	char nb[8];
	if (o->bindings_dropped || o->bindings_recycled)
		return;
	report(o, e, RULE_R12, SITE_CB, cb, e->module, e->binding, e->handle,
	       "%s of %s for binding handle 0x%08x that no attach callback received", cn,
	       mod_name(o, e->module, nb), e->handle);
}

static void on_cb_enter(struct oracle *o, const struct event *e, struct oracle_thread *t)
{
	uint8_t cb = e->what;
	if (cb >= CB_COUNT)
		return;
	const char *cn = nmr_cb_name((enum nmr_cb)cb);
	unsigned role = cb & 1u; /* client callbacks are even, provider odd */
	char nb[8], pb[8];

	touch(o, RULE_R09);
	/* Delivered inline in an Nmr* call whose caller was already above the
	 * limit: the caller's violation (M01/M05/...) is the cause, and a
	 * registrar cannot lower its caller's IRQL. Not a registrar finding. */
	unsigned limit = cb <= CB_PROVIDER_ATTACH ? IRQL_PASSIVE : IRQL_DISPATCH;
	bool caller_above = t && t->api_depth > 0 && t->api_depth <= ORACLE_API_DEPTH_MAX &&
			    t->api[t->api_depth - 1].irql > limit;
	if (e->irql > limit && !caller_above)
		report(o, e, RULE_R09, SITE_CB, cb, e->module, e->binding, e->handle,
		       "%s of %s delivered at IRQL %u (limit %s)", cn, mod_name(o, e->module, nb), e->irql,
		       cb <= CB_PROVIDER_ATTACH ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL");

	int ri = reg_find(o, e->reg);
	if (ri == NO_INDEX && e->reg)
		ri = reg_from_inflight(o, e, role);
	struct oracle_reg *r = ri != NO_INDEX ? &o->regs[ri] : NULL;
	if (r) {
		check_digest(o, e, r, e->aux, cn);
		if (r->state == REG_WAIT_RETURNED)
			report(o, e, RULE_R10, SITE_CB, cb, e->module, e->binding, e->handle,
			       "%s delivered to %s's registration 0x%08x whose wait returned at step %u", cn,
			       mod_name(o, e->module, nb), r->handle, r->step_wait);
	}

	int bi = binding_find(o, e->handle);
	struct oracle_binding *b = bi != NO_INDEX ? &o->bindings[bi] : NULL;
	switch (cb) {
	case CB_CLIENT_ATTACH: {
		touch(o, RULE_R01);
		touch(o, RULE_R02);
		touch(o, RULE_R03);
		int pi = reg_current(o, e->peer, 1);
		const struct oracle_reg *p = pi != NO_INDEX ? &o->regs[pi] : NULL;
		uint8_t pnpi = p ? p->npi : (uint8_t)e->arg;
		if (r && r->npi != EV_NONE8 && pnpi != EV_NONE8 && r->npi != pnpi)
			report(o, e, RULE_R01, SITE_CB, cb, e->module, e->binding, e->handle,
			       "%s offered %s (NPI %u) to %s (NPI %u)", cn, mod_name(o, e->peer, pb), pnpi,
			       mod_name(o, e->module, nb), r->npi);
		if (r && p) {
			for (uint32_t i = 0; i < o->nbindings; i++) {
				const struct oracle_binding *d = &o->bindings[i];
				if (d->client_reg != r->handle || d->provider_reg != p->handle || binding_finished(d))
					continue;
				if (d == b && d->attach_cb[0] == ACB_NONE)
					continue; /* this very binding, provider side seen first */
				report(o, e, RULE_R02, SITE_CB, cb, e->module, e->binding, e->handle,
				       "%s: %s and %s already have binding #%u (0x%08x), not cleaned up", cn,
				       mod_name(o, e->module, nb), mod_name(o, e->peer, pb), d->slot, d->handle);
				break;
			}
		}
		if (r && r->state >= REG_DEREGISTERED)
			report(o, e, RULE_R03, SITE_CB, cb, e->module, e->binding, e->handle,
			       "%s offered to %s after NmrDeregisterClient(0x%08x) returned (entered at step %u)", cn,
			       mod_name(o, e->module, nb), r->handle, r->step_deregistered);
		if ((!b || b->attach_cb[0] != ACB_NONE) && e->handle) {
			bi = binding_create(o, e->handle, e->binding);
			b = bi != NO_INDEX ? &o->bindings[bi] : NULL;
			if (b) {
				b->provider_module = e->peer;
				b->provider_reg = p ? p->handle : 0;
			}
		}
		if (b) {
			b->client_module = e->module;
			b->client_reg = e->reg;
			b->attach_cb[0] = ACB_RUNNING;
			binding_update_attach(b);
		}
		break;
	}
	case CB_PROVIDER_ATTACH:
		touch(o, RULE_R03);
		if (r && r->state >= REG_DEREGISTERED)
			report(o, e, RULE_R03, SITE_CB, cb, e->module, e->binding, e->handle,
			       "%s offered to %s after NmrDeregisterProvider(0x%08x) returned (entered at step %u)", cn,
			       mod_name(o, e->module, nb), r->handle, r->step_deregistered);
		if ((!b || b->attach_cb[1] != ACB_NONE) && e->handle) {
			int ci = reg_current(o, e->peer, 0);
			bi = binding_create(o, e->handle, e->binding);
			b = bi != NO_INDEX ? &o->bindings[bi] : NULL;
			if (b) {
				b->client_module = e->peer;
				b->client_reg = ci != NO_INDEX ? o->regs[ci].handle : 0;
			}
		}
		if (b) {
			b->provider_module = e->module;
			b->provider_reg = e->reg;
			b->attach_cb[1] = ACB_RUNNING;
			binding_update_attach(b);
		}
		break;
	case CB_CLIENT_DETACH:
	case CB_PROVIDER_DETACH: {
		unsigned side = cb - CB_CLIENT_DETACH;
		touch(o, RULE_M10);
		touch(o, RULE_R05);
		touch(o, RULE_R12);
		if (!b) {
			report_unattached_binding(o, e, cb, cn);
			break;
		}
		if (b->detach_calls[side])
			report(o, e, RULE_R05, SITE_CB, cb, e->module, b->slot, e->handle,
			       "%s of %s delivered again for binding #%u", cn, mod_name(o, e->module, nb), b->slot);
		else if (!b->tainted && r12_violated(b, side))
			report(o, e, RULE_R12, SITE_CB, cb, e->module, b->slot, e->handle,
			       "%s of %s for binding #%u while %s had not returned", cn, mod_name(o, e->module, nb),
			       b->slot, attach_unreturned(b->attach_cb[0]) ? "ClientAttachProvider" : "ProviderAttachClient");
		if (b->detach_calls[side] < UINT8_MAX)
			b->detach_calls[side]++;
		if (b->side_state[side] == SIDE_ATTACHED)
			b->side_state[side] = SIDE_DETACHING;
		break;
	}
	case CB_CLIENT_CLEANUP:
	case CB_PROVIDER_CLEANUP: {
		unsigned side = cb - CB_CLIENT_CLEANUP;
		touch(o, RULE_M19);
		touch(o, RULE_R06);
		touch(o, RULE_R07);
		if (!b) {
			report_unattached_binding(o, e, cb, cn);
			break;
		}
		if (b->cleanup_calls[side])
			report(o, e, RULE_R07, SITE_CB, cb, e->module, b->slot, e->handle,
			       "%s of %s delivered again for binding #%u (first at step %u)", cn,
			       mod_name(o, e->module, nb), b->slot, b->step_cleanup[side]);
		else if (b->tainted)
			;
		else if (r12_violated(b, side))
			report(o, e, RULE_R12, SITE_CB, cb, e->module, b->slot, e->handle,
			       "%s of %s for binding #%u while %s had not returned", cn, mod_name(o, e->module, nb),
			       b->slot, attach_unreturned(b->attach_cb[0]) ? "ClientAttachProvider" : "ProviderAttachClient");
		else if (b->attach_state == BATT_FAILED)
			report(o, e, RULE_R07, SITE_CB, cb, e->module, b->slot, e->handle,
			       "%s of %s for binding #%u whose attach failed", cn, mod_name(o, e->module, nb), b->slot);
		else if (b->side_state[0] != SIDE_DETACHED || b->side_state[1] != SIDE_DETACHED)
			report(o, e, RULE_R06, SITE_CB, cb, e->module, b->slot, e->handle,
			       "%s of %s for binding #%u before the %s side completed detach", cn,
			       mod_name(o, e->module, nb), b->slot,
			       b->side_state[0] != SIDE_DETACHED ? "client" : "provider");
		if (b->cleanup_calls[side] < UINT8_MAX)
			b->cleanup_calls[side]++;
		if (b->cleanup_calls[side] == 1)
			b->step_cleanup[side] = e->step;
		break;
	}
	default:
		break;
	}

	if (t) {
		if (t->depth < ORACLE_CB_DEPTH_MAX) {
			unsigned d = t->depth;
			t->cb[d] = cb;
			t->cb_handle[d] = e->handle;
			t->cb_module[d] = e->module;
			t->attach_called[d] = false;
			t->attach_returned[d] = false;
			t->attach_status[d] = 0;
		}
		if (t->depth < UINT8_MAX)
			t->depth++;
	}
}

static void on_cb_exit(struct oracle *o, const struct event *e, struct oracle_thread *t)
{
	uint8_t cb = e->what;
	if (cb >= CB_COUNT)
		return;
	const char *cn = nmr_cb_name((enum nmr_cb)cb);
	char nb[8], sb[16], ab[16];
	int fi = cb_pop(t, cb, e->handle);
	int bi = binding_find(o, e->handle);
	struct oracle_binding *b = bi != NO_INDEX ? &o->bindings[bi] : NULL;
	uint16_t slot = b ? b->slot : e->binding;

	switch (cb) {
	case CB_CLIENT_ATTACH: {
		touch(o, RULE_M12);
		/* Our own observation of NmrClientAttachProvider; the event's
		 * arg/aux only when the frame was not recorded. */
		bool called = fi != NO_INDEX ? t->attach_called[fi] : e->arg == 1;
		bool returned = fi != NO_INDEX ? t->attach_returned[fi] : called;
		int32_t got = fi != NO_INDEX ? t->attach_status[fi] : (int32_t)e->aux;
		bool bad = false;
		if (e->status == ST_SUCCESS && !(called && returned && got == ST_SUCCESS)) {
			bad = true;
			if (called && returned)
				report(o, e, RULE_M12, SITE_CB, cb, e->module, slot, e->handle,
				       "%s of %s returned STATUS_SUCCESS although NmrClientAttachProvider returned %s", cn,
				       mod_name(o, e->module, nb), ntstatus_name(got, sb));
			else
				report(o, e, RULE_M12, SITE_CB, cb, e->module, slot, e->handle,
				       "%s of %s returned STATUS_SUCCESS without calling NmrClientAttachProvider", cn,
				       mod_name(o, e->module, nb));
		} else if (called && returned && e->status != got) {
			bad = true;
			report(o, e, RULE_M12, SITE_CB, cb, e->module, slot, e->handle,
			       "%s of %s returned %s, but NmrClientAttachProvider returned %s", cn,
			       mod_name(o, e->module, nb), ntstatus_name(e->status, sb), ntstatus_name(got, ab));
		}
		if (b) {
			b->tainted |= bad;
			b->attach_cb[0] = e->status == ST_SUCCESS ? ACB_OK : ACB_FAILED;
			binding_update_attach(b);
		}
		break;
	}
	case CB_PROVIDER_ATTACH: {
		touch(o, RULE_M13);
		bool bad = e->status == ST_SUCCESS && e->arg != 1;
		if (bad)
			report(o, e, RULE_M13, SITE_CB, cb, e->module, slot, e->handle,
			       "%s of %s returned STATUS_SUCCESS without writing *ProviderBindingContext and *ProviderDispatch",
			       cn, mod_name(o, e->module, nb));
		if (b) {
			b->tainted |= bad;
			b->attach_cb[1] = e->status == ST_SUCCESS ? ACB_OK : ACB_FAILED;
			binding_update_attach(b);
		}
		break;
	}
	case CB_CLIENT_DETACH:
	case CB_PROVIDER_DETACH: {
		unsigned side = cb - CB_CLIENT_DETACH;
		touch(o, RULE_M14);
		if (e->status != ST_SUCCESS && e->status != ST_PENDING)
			report(o, e, RULE_M14, SITE_CB, cb, e->module, slot, e->handle,
			       "%s of %s returned %s for binding #%u", cn, mod_name(o, e->module, nb),
			       ntstatus_name(e->status, sb), slot);
		if (!b || b->side_state[side] != SIDE_DETACHING)
			break;
		if (b->complete_early[side]) {
			if (e->status == ST_SUCCESS) {
				uint8_t api = (uint8_t)(side ? API_PROVIDER_DETACH_COMPLETE : API_CLIENT_DETACH_COMPLETE);
				report(o, e, RULE_M15, SITE_API, api, e->module, slot, e->handle,
				       "%s(0x%08x) was called inside %s, which then returned STATUS_SUCCESS",
				       nmr_api_name((enum nmr_api)api), e->handle, cn);
			}
			b->side_state[side] = SIDE_DETACHED;
		} else if (e->status == ST_PENDING) {
			touch(o, RULE_M17);
			b->side_state[side] = SIDE_PENDING;
		} else {
			b->side_state[side] = SIDE_DETACHED;
		}
		b->step_detached[side] = e->step;
		break;
	}
	default:
		break;
	}
}

/* ---- other events ---- */

static void on_call_enter(struct oracle *o, const struct event *e)
{
	int bi = binding_find(o, e->handle);
	if (bi == NO_INDEX)
		return;
	struct oracle_binding *b = &o->bindings[bi];
	unsigned side;
	if (e->module == b->client_module)
		side = 0;
	else if (e->module == b->provider_module)
		side = 1;
	else
		return;
	char nb[8], pb[8];
	if (b->side_state[side] != SIDE_ATTACHED)
		touch(o, RULE_M18);
	if (b->cleanup_calls[side])
		report(o, e, RULE_M19, SITE_CALL, 0, e->module, b->slot, e->handle,
		       "%s called %s's dispatch on binding #%u after its cleanup ran at step %u",
		       mod_name(o, e->module, nb), mod_name(o, e->peer, pb), b->slot, b->step_cleanup[side]);
	else if (b->side_state[side] == SIDE_DETACHED || b->complete_early[side])
		report(o, e, RULE_M18, SITE_CALL, 0, e->module, b->slot, e->handle,
		       "%s called %s's dispatch on binding #%u after its detach completed at step %u",
		       mod_name(o, e->module, nb), mod_name(o, e->peer, pb), b->slot, b->step_detached[side]);
}

bool oracle_call_is_late(const struct oracle *o, uint32_t handle, uint8_t module)
{
	int bi = binding_find(o, handle);
	if (bi == NO_INDEX)
		return false;
	const struct oracle_binding *b = &o->bindings[bi];
	unsigned side = module == b->client_module ? 0 : module == b->provider_module ? 1 : 2;
	if (side > 1)
		return false;
	return b->cleanup_calls[side] || b->side_state[side] == SIDE_DETACHED || b->complete_early[side];
}

static void on_block(struct oracle *o, const struct event *e, struct oracle_thread *t)
{
	int top = cb_top(t);
	/* Spinning on a spin lock is not blocking: it is allowed at DISPATCH. */
	if (top == NO_INDEX || t->cb[top] < CB_CLIENT_DETACH || e->what == BLOCK_DEREG_WAIT || e->what == BLOCK_SPINLOCK)
		return;
	char nb[8];
	int bi = binding_find(o, t->cb_handle[top]);
	report(o, e, RULE_M10, SITE_CB, t->cb[top], t->cb_module[top], bi != NO_INDEX ? o->bindings[bi].slot : EV_NONE16,
	       t->cb_handle[top],
	       "%s of %s blocks (%s): it may run at DISPATCH_LEVEL", nmr_cb_name((enum nmr_cb)t->cb[top]),
	       mod_name(o, t->cb_module[top], nb), block_reason_name((enum block_reason)e->what));
}

static void on_unload_exit(struct oracle *o, const struct event *e)
{
	static const char *const states[] = { "", "still registered", "deregistering", "deregistered, wait not returned" };
	char nb[8];
	touch(o, RULE_M20);
	touch(o, RULE_M21);
	for (uint32_t i = 0; i < o->nregs; i++) {
		const struct oracle_reg *r = &o->regs[i];
		if (r->module != e->module || r->state == REG_FREE || r->state == REG_WAIT_RETURNED)
			continue;
		report(o, e, RULE_M20, SITE_UNLOAD, 0, e->module, EV_NONE16, r->handle,
		       "Unload of %s returned while its %s registration 0x%08x was %s", mod_name(o, e->module, nb),
		       nmr_role_name(r->role), r->handle, states[r->state]);
		break;
	}
	if (e->aux || e->arg)
		report(o, e, RULE_M21, SITE_UNLOAD, 0, e->module, EV_NONE16, 0,
		       "Unload of %s returned with %u allocation(s) and %u work item(s) outstanding",
		       mod_name(o, e->module, nb), e->aux, e->arg);
}

static void on_dereg_complete(struct oracle *o, const struct event *e)
{
	touch(o, RULE_R04);
	int ri = reg_find(o, e->reg);
	if (ri != NO_INDEX)
		o->regs[ri].dereg_complete = true;
	uint8_t module = ri != NO_INDEX ? o->regs[ri].module : e->module;
	uint8_t api = (uint8_t)(API_DEREGISTER_CLIENT + (ri != NO_INDEX ? o->regs[ri].role : 0));
	char nb[8];
	for (uint32_t i = 0; i < o->nbindings; i++) {
		const struct oracle_binding *b = &o->bindings[i];
		if (!b->live || b->tainted || b->attach_state != BATT_ATTACHED ||
		    (b->client_reg != e->reg && b->provider_reg != e->reg))
			continue;
		if (b->side_state[0] == SIDE_DETACHED && b->side_state[1] == SIDE_DETACHED)
			continue;
		report(o, e, RULE_R04, SITE_API, api, module, b->slot, e->reg,
		       "deregistration of %s (0x%08x) completed while the %s side of binding #%u was not detached",
		       mod_name(o, module, nb), e->reg, b->side_state[0] != SIDE_DETACHED ? "client" : "provider", b->slot);
		break;
	}
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
	struct oracle_thread *t = thread_of(o, e);
	switch (e->kind) {
	case EV_THREAD_START:
		if (t)
			memset(t, 0, sizeof *t);
		break;
	case EV_API_ENTER: on_api_enter(o, e, t); break;
	case EV_API_EXIT: on_api_exit(o, e, t); break;
	case EV_CB_ENTER: on_cb_enter(o, e, t); break;
	case EV_CB_EXIT: on_cb_exit(o, e, t); break;
	case EV_CALL_ENTER: on_call_enter(o, e); break;
	case EV_BLOCK: on_block(o, e, t); break;
	case EV_UNLOAD_EXIT: on_unload_exit(o, e); break;
	case EV_DEREG_COMPLETE: on_dereg_complete(o, e); break;
	default: break;
	}
}

void oracle_finish(struct oracle *o, bool hung)
{
	char nb[8];
	for (uint32_t i = 0; i < o->nbindings; i++) {
		const struct oracle_binding *b = &o->bindings[i];
		if (!b->live)
			continue;
		for (unsigned side = 0; side < 2; side++) {
			uint8_t m = binding_side_module(b, side);
			if (b->side_state[side] == SIDE_PENDING)
				report(o, NULL, RULE_M17, SITE_CB, (uint8_t)(CB_CLIENT_DETACH + side), m, b->slot, b->handle,
				       "%s of %s returned STATUS_PENDING at step %u for binding #%u; %s never called",
				       nmr_cb_name((enum nmr_cb)(CB_CLIENT_DETACH + side)), mod_name(o, m, nb),
				       b->step_detached[side], b->slot,
				       nmr_api_name(side ? API_PROVIDER_DETACH_COMPLETE : API_CLIENT_DETACH_COMPLETE));
		}
		if (hung || b->tainted || b->attach_state != BATT_ATTACHED || b->side_state[0] != SIDE_DETACHED ||
		    b->side_state[1] != SIDE_DETACHED)
			continue;
		for (unsigned side = 0; side < 2; side++) {
			uint8_t m = binding_side_module(b, side);
			if (!b->cleanup_calls[side])
				report(o, NULL, RULE_R07, SITE_END, 0, m, b->slot, b->handle,
				       "%s of %s never ran for binding #%u (both sides detached by step %u)",
				       nmr_cb_name((enum nmr_cb)(CB_CLIENT_CLEANUP + side)), mod_name(o, m, nb), b->slot,
				       b->step_detached[0] > b->step_detached[1] ? b->step_detached[0] : b->step_detached[1]);
		}
	}
}

void oracle_signature(const struct oracle *o, const struct finding *f, char *buf, size_t cap)
{
	char nb[8];
	if (!cap)
		return;
	snprintf(buf, cap, "%s %s %s", rule_info((enum rule)f->rule)->id, mod_name(o, f->module, nb),
		 site_name(f->site_kind, f->site));
}

void oracle_print_finding(const struct oracle *o, const struct finding *f, FILE *out)
{
	const struct rule_info *ri = rule_info((enum rule)f->rule);
	char nb[8], tb[32], sig[96];
	const char *thread = f->thread == EV_NONE8 ? "-" : trace_thread_name(o->scenario, f->thread, tb);
	fprintf(out, "violation %s %s at step %u, thread %s, module %s", ri->id, ri->name, f->step, thread,
		mod_name(o, f->module, nb));
	if (f->binding != EV_NONE16)
		fprintf(out, ", binding #%u", (unsigned)f->binding);
	if (f->handle)
		fprintf(out, ", handle 0x%08x", f->handle);
	oracle_signature(o, f, sig, sizeof sig);
	fprintf(out, "\n  contract: %s\n  what: %s\nsignature: %s\n", ri->contract, f->detail, sig);
}

void oracle_observe(void *oracle, const struct event *e)
{
	oracle_on_event(oracle, e);
}
