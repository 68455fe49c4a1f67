/* rules_r.c - registrar guarantees R01-R13 (CONTRACTS.md "Registrar
 * guarantees"): checked against the engine's registrar model, or any
 * registrar behind the function table. One check per rule (two where a rule
 * is decided at two kinds of event), each under the contract row it checks;
 * oracle.c's tables say at which events each runs.
 *
 * Sites: the callback delivered, except R04 (the registration's
 * NmrDeregister*), R07 when cleanup never ran ("end"), R08 and R11 (the API).
 * The module of a finding is the module that received the callback or owns
 * the registration.
 *
 * Precedence at one cleanup callback (so one registrar bug gives one
 * finding): twice -> R07; else attach callbacks not returned -> R12; else
 * attach failed -> R07; else a side not detached -> R06. Bindings whose
 * attach broke M11/M12/M13 (tainted) skip R04, R06, R07 and R12: the
 * registrar's answer to a broken attach is not specified.
 */
#include <stdio.h>

#include "oracle/check.h"
#include "trace/names.h"

#define ST_INVALID_PARAMETER ((int32_t)0xC000000Du)

/* R12's condition: the attach callbacks that must have returned before a
 * callback of that side (the provider side also waits for its own). */
static bool r12_violated(const struct oracle_binding *b, unsigned side)
{
	return attach_unreturned(b->attach_cb[0]) || (side == 1 && attach_unreturned(b->attach_cb[1]));
}

/* R01 attach-npi: A client was offered a provider of another NPI. */
void check_r01(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r, *p = v->peer;
	char nb[8], pb[8];
	uint8_t pnpi = p ? p->npi : (uint8_t)e->arg;
	if (r && r->npi != EV_NONE8 && pnpi != EV_NONE8 && r->npi != pnpi)
		oracle_reportf(o, e, RULE_R01, SITE_CB, e->what, e->module, e->binding, e->handle,
			       "%s offered %s (NPI %u) to %s (NPI %u)", nmr_cb_name((enum nmr_cb)e->what),
			       oracle_mod_name(o, e->peer, pb), pnpi, oracle_mod_name(o, e->module, nb), r->npi);
}

/* R02 attach-duplicate: A client/provider pair was offered a second attach
 * while a binding between them existed. */
void check_r02(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r, *p = v->peer;
	char nb[8], pb[8];
	if (!r || !p)
		return;
	for (uint32_t i = 0; i < o->nbindings; i++) {
		const struct oracle_binding *d = &o->bindings[i];
		if (d->client_reg != r->handle || d->provider_reg != p->handle || shadow_binding_finished(d))
			continue;
		if (d == v->b && d->attach_cb[0] == ACB_NONE)
			continue; /* this very binding, provider side seen first */
		oracle_reportf(o, e, RULE_R02, SITE_CB, e->what, e->module, e->binding, e->handle,
			       "%s: %s and %s already have binding #%u (0x%08x), not cleaned up",
			       nmr_cb_name((enum nmr_cb)e->what), oracle_mod_name(o, e->module, nb),
			       oracle_mod_name(o, e->peer, pb), d->slot, d->handle);
		break;
	}
}

/* R03 attach-after-deregister: A module was offered a new attach after its
 * `NmrDeregister*` returned. */
void check_r03(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r;
	char nb[8];
	if (r && r->state >= REG_DEREGISTERED)
		oracle_reportf(o, e, RULE_R03, SITE_CB, e->what, e->module, e->binding, e->handle,
			       "%s offered to %s after %s(0x%08x) returned (entered at step %u)",
			       nmr_cb_name((enum nmr_cb)e->what), oracle_mod_name(o, e->module, nb),
			       nmr_api_name((enum nmr_api)(API_DEREGISTER_CLIENT + v->side)), r->handle,
			       r->step_deregistered);
}

/* R04 detach-missing: A deregistration completed although a binding of it
 * was never detached on both sides. */
void check_r04(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	uint8_t module = v->r ? v->r->module : e->module;
	uint8_t api = (uint8_t)(API_DEREGISTER_CLIENT + (v->r ? v->r->role : 0));
	char nb[8];
	for (uint32_t i = 0; i < o->nbindings; i++) {
		const struct oracle_binding *b = &o->bindings[i];
		if (!b->live || b->tainted || b->attach_state != BATT_ATTACHED ||
		    (b->client_reg != e->reg && b->provider_reg != e->reg))
			continue;
		if (b->side_state[0] == SIDE_DETACHED && b->side_state[1] == SIDE_DETACHED)
			continue;
		oracle_reportf(o, e, RULE_R04, SITE_API, api, module, b->slot, e->reg,
			       "deregistration of %s (0x%08x) completed while the %s side of binding #%u was not detached",
			       oracle_mod_name(o, module, nb), e->reg, b->side_state[0] != SIDE_DETACHED ? "client" : "provider",
			       b->slot);
		break;
	}
}

/* R05 detach-duplicate: A side's detach callback was called twice for one
 * binding. */
void check_r05(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	char nb[8];
	if (b && b->detach_calls[v->side])
		oracle_reportf(o, e, RULE_R05, SITE_CB, e->what, e->module, b->slot, e->handle,
			       "%s of %s delivered again for binding #%u", nmr_cb_name((enum nmr_cb)e->what),
			       oracle_mod_name(o, e->module, nb), b->slot);
}

/* R06 cleanup-early: A cleanup callback ran before both sides had completed
 * detach. (Last in the cleanup precedence.) */
void check_r06(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	char nb[8];
	if (!b || b->cleanup_calls[side] || b->tainted || r12_violated(b, side) || b->attach_state == BATT_FAILED)
		return;
	if (b->side_state[0] != SIDE_DETACHED || b->side_state[1] != SIDE_DETACHED)
		oracle_reportf(o, e, RULE_R06, SITE_CB, e->what, e->module, b->slot, e->handle,
			       "%s of %s for binding #%u before the %s side completed detach",
			       nmr_cb_name((enum nmr_cb)e->what), oracle_mod_name(o, e->module, nb), b->slot,
			       b->side_state[0] != SIDE_DETACHED ? "client" : "provider");
}

/* R07 cleanup-count: A side's cleanup ran twice, or never, for a binding
 * that attached; or ran for an attach that failed. Twice comes first in the
 * cleanup precedence; an attach that failed after R12. */
void check_r07(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	const char *cn = nmr_cb_name((enum nmr_cb)e->what);
	char nb[8];
	if (!b)
		return;
	if (b->cleanup_calls[side])
		oracle_reportf(o, e, RULE_R07, SITE_CB, e->what, e->module, b->slot, e->handle,
			       "%s of %s delivered again for binding #%u (first at step %u)", cn,
			       oracle_mod_name(o, e->module, nb), b->slot, b->step_cleanup[side]);
	else if (!b->tainted && !r12_violated(b, side) && b->attach_state == BATT_FAILED)
		oracle_reportf(o, e, RULE_R07, SITE_CB, e->what, e->module, b->slot, e->handle,
			       "%s of %s for binding #%u whose attach failed", cn, oracle_mod_name(o, e->module, nb),
			       b->slot);
}

/* R07, never: at the end of a run that did not hang, both sides of an
 * attached binding detached, and a side's cleanup did not run. */
void check_r07_end(struct oracle *o, const struct oracle_view *v)
{
	const struct oracle_binding *b = v->b;
	char nb[8];
	if (v->hung || b->tainted || b->attach_state != BATT_ATTACHED || b->side_state[0] != SIDE_DETACHED ||
	    b->side_state[1] != SIDE_DETACHED)
		return;
	for (unsigned side = 0; side < 2; side++) {
		uint8_t m = binding_side_module(b, side);
		if (!b->cleanup_calls[side])
			oracle_reportf(o, NULL, RULE_R07, SITE_END, 0, m, b->slot, b->handle,
				       "%s of %s never ran for binding #%u (both sides detached by step %u)",
				       nmr_cb_name((enum nmr_cb)(CB_CLIENT_CLEANUP + side)), oracle_mod_name(o, m, nb), b->slot,
				       b->step_detached[0] > b->step_detached[1] ? b->step_detached[0] : b->step_detached[1]);
	}
}

/* R08 wait-early: Wait returned while a binding of that registration was not
 * yet cleaned up. */
void check_r08(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r;
	if (!r || r->state == REG_WAIT_RETURNED || e->status != ST_SUCCESS)
		return;
	oracle_touch(o, RULE_R08);
	for (uint32_t i = 0; i < o->nbindings; i++) {
		const struct oracle_binding *b = &o->bindings[i];
		if (!b->live || b->attach_state != BATT_ATTACHED || (b->client_reg != r->handle && b->provider_reg != r->handle))
			continue;
		if (b->cleanup_calls[0] && b->cleanup_calls[1])
			continue;
		oracle_reportf(o, e, RULE_R08, SITE_API, e->what, r->module, b->slot, e->handle,
			       "%s(0x%08x) returned while binding #%u (0x%08x) was not cleaned up (client %s, provider %s)",
			       nmr_api_name((enum nmr_api)e->what), e->handle, b->slot, b->handle,
			       b->cleanup_calls[0] ? "done" : "not yet", b->cleanup_calls[1] ? "done" : "not yet");
		break;
	}
}

/* R09 callback-irql: A callback delivered above its documented IRQL
 * (attach: PASSIVE; detach, cleanup: DISPATCH). Not when delivered inline in
 * an Nmr* call whose caller was already above the limit: the caller's
 * violation (M01/M05/...) is the cause, and a registrar cannot lower its
 * caller's IRQL. */
void check_r09(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_thread *t = v->t;
	bool attach = e->what <= CB_PROVIDER_ATTACH;
	unsigned limit = attach ? IRQL_PASSIVE : IRQL_DISPATCH;
	bool caller_above = t && t->api_depth > 0 && t->api_depth <= ORACLE_API_DEPTH_MAX &&
			    t->api[t->api_depth - 1].irql > limit;
	char nb[8], lb[8];
	if (e->irql > limit && !caller_above)
		oracle_reportf(o, e, RULE_R09, SITE_CB, e->what, e->module, e->binding, e->handle,
			       "%s of %s delivered at IRQL %u (limit %s)", nmr_cb_name((enum nmr_cb)e->what),
			       oracle_mod_name(o, e->module, nb), e->irql, irql_level_name(limit, lb));
}

/* R10 callback-after-complete: Any callback delivered to a registration
 * after its Wait returned. */
void check_r10(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r;
	char nb[8];
	if (r && r->state == REG_WAIT_RETURNED)
		oracle_reportf(o, e, RULE_R10, SITE_CB, e->what, e->module, e->binding, e->handle,
			       "%s delivered to %s's registration 0x%08x whose wait returned at step %u",
			       nmr_cb_name((enum nmr_cb)e->what), oracle_mod_name(o, e->module, nb), r->handle, r->step_wait);
}

/* R10 is evaluated from a wait that returned SUCCESS on. */
void check_r10_wait(struct oracle *o, const struct oracle_view *v)
{
	if (v->r && v->r->state != REG_WAIT_RETURNED && v->e->status == ST_SUCCESS)
		oracle_touch(o, RULE_R10);
}

/* R11 deregister-status: `NmrDeregister*` returned something other than
 * PENDING for a valid handle. */
void check_r11(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r;
	char nb[8], sb[16];
	if (!r)
		return;
	oracle_touch(o, RULE_R11);
	if (e->status != ST_PENDING)
		oracle_reportf(o, e, RULE_R11, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) of %s's live registration returned %s, not STATUS_PENDING",
			       nmr_api_name((enum nmr_api)e->what), e->handle, oracle_mod_name(o, r->module, nb),
			       ntstatus_name(e->status, sb));
}

/* R12 detach-before-attached: A detach or cleanup callback of a binding was
 * delivered before that binding's attach callback (`ClientAttachProvider`,
 * and `ProviderAttachClient` for the provider side) had returned. For a
 * binding no attach callback received at all: silent once the shadow had to
 * drop or recycle bindings (it may be one the oracle no longer remembers). */
void check_r12(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	const char *cn = nmr_cb_name((enum nmr_cb)e->what);
	bool cleanup = e->what >= CB_CLIENT_CLEANUP;
	char nb[8];
	if (!b) {
		if (!o->bindings_dropped && !o->bindings_recycled)
			oracle_reportf(o, e, RULE_R12, SITE_CB, e->what, e->module, e->binding, e->handle,
				       "%s of %s for binding handle 0x%08x that no attach callback received", cn,
				       oracle_mod_name(o, e->module, nb), e->handle);
		return;
	}
	if ((cleanup ? b->cleanup_calls[side] : b->detach_calls[side]) || b->tainted || !r12_violated(b, side))
		return; /* a second delivery is R05/R07 */
	oracle_reportf(o, e, RULE_R12, SITE_CB, e->what, e->module, b->slot, e->handle,
		       "%s of %s for binding #%u while %s had not returned", cn, oracle_mod_name(o, e->module, nb), b->slot,
		       attach_unreturned(b->attach_cb[0]) ? "ClientAttachProvider" : "ProviderAttachClient");
}

/* R13 registrar-error-answer: NMR refuses an invalid, stale, wrong-role or
 * repeated `NmrDeregister*`, `NmrWaitFor*DeregisterComplete` or
 * `Nmr*DetachComplete` with the documented error status and changes no
 * state. The module's side of such a call is M04 / M06 / M07 / M15 / M16;
 * R13 is the registrar's answer to it, so both may come from one call.
 *
 * Decided at the call's entry (check_r13_enter records why in the API frame)
 * and judged by what follows inside the call:
 *   NmrDeregister*  returns an error status (not SUCCESS, not PENDING: the
 *                   page says "Other status codes: An error occurred");
 *   NmrWaitFor*     returns STATUS_INVALID_PARAMETER (the page's answer
 *                   before Deregister or for an invalid handle);
 *   all three       deliver no callback and complete no deregistration on the
 *                   calling thread while the call runs (Complete is VOID:
 *                   this is the only way its refusal shows; an effect the
 *                   registrar defers shows later as R04, R05 or R06).
 * Only what the shadow knows is judged: an unknown handle is not judged while
 * an NmrRegister* is in flight (F1 may have written a handle the oracle has
 * not seen) or once the shadow dropped or recycled entries. */

enum r13_reason {
	R13_NONE = 0, R13_NULL, R13_OTHER_ROLE, R13_WAITED, R13_DEREGISTERED, R13_NOT_DEREGISTERED,
	R13_BINDING_HANDLE, R13_UNKNOWN_REG, R13_REG_HANDLE, R13_UNKNOWN_BINDING, R13_ATTACH_FAILED,
	R13_CLEANED, R13_NOT_DETACHING, R13_SECOND_EARLY, R13_DETACHED, R13_REASONS
};

static const char *const r13_reasons[R13_REASONS] = {
	[R13_NONE] = "-",
	[R13_NULL] = "a NULL handle",
	[R13_OTHER_ROLE] = "the other role's registration handle",
	[R13_WAITED] = "a registration whose wait already returned",
	[R13_DEREGISTERED] = "a registration already deregistered",
	[R13_NOT_DEREGISTERED] = "a registration not deregistered yet",
	[R13_BINDING_HANDLE] = "a binding handle",
	[R13_UNKNOWN_REG] = "a handle NmrRegister* never returned (or one long finished)",
	[R13_REG_HANDLE] = "a registration handle",
	[R13_UNKNOWN_BINDING] = "a handle no attach callback received",
	[R13_ATTACH_FAILED] = "a binding whose attach failed",
	[R13_CLEANED] = "a binding whose side was cleaned up",
	[R13_NOT_DETACHING] = "a binding whose side's detach callback was not delivered",
	[R13_SECOND_EARLY] = "a second Complete while the detach callback runs",
	[R13_DETACHED] = "a binding whose side's detach already completed",
};

/* An NmrRegister* on some thread has not returned (or frames were not
 * recorded): its handle may be in the caller's hands already (F1). */
static bool r13_register_in_flight(const struct oracle *o)
{
	for (unsigned t = 0; t < SIM_THREADS_MAX; t++) {
		const struct oracle_thread *th = &o->threads[t];
		if (th->api_depth > ORACLE_API_DEPTH_MAX)
			return true;
		for (unsigned j = 0; j < th->api_depth; j++)
			if (th->api[j].api <= API_REGISTER_PROVIDER)
				return true;
	}
	return false;
}

static enum r13_reason r13_reg_refusal(const struct oracle *o, const struct oracle_view *v, bool dereg)
{
	const struct oracle_reg *r = v->r;
	uint32_t h = v->e->handle;
	if (!h)
		return R13_NULL;
	if (r) {
		if (r->role != v->side)
			return R13_OTHER_ROLE;
		if (r->state == REG_WAIT_RETURNED)
			return R13_WAITED;
		if (dereg && r->state != REG_REGISTERED)
			return R13_DEREGISTERED;
		if (!dereg && r->state == REG_REGISTERED)
			return R13_NOT_DEREGISTERED;
		return R13_NONE;
	}
	if (shadow_binding_find(o, h) != NO_INDEX)
		return R13_BINDING_HANDLE;
	return o->regs_dropped || r13_register_in_flight(o) ? R13_NONE : R13_UNKNOWN_REG;
}

static enum r13_reason r13_complete_refusal(const struct oracle *o, const struct oracle_view *v)
{
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	uint32_t h = v->e->handle;
	if (!h)
		return R13_NULL;
	if (!b) {
		if (shadow_reg_find(o, h) != NO_INDEX)
			return R13_REG_HANDLE;
		return o->bindings_dropped || o->bindings_recycled ? R13_NONE : R13_UNKNOWN_BINDING;
	}
	if (b->attach_state == BATT_FAILED)
		return R13_ATTACH_FAILED;
	if (b->cleanup_calls[side])
		return R13_CLEANED;
	switch (b->side_state[side]) {
	case SIDE_ATTACHED: return R13_NOT_DETACHING;
	case SIDE_DETACHING: return b->complete_early[side] ? R13_SECOND_EARLY : R13_NONE;
	case SIDE_PENDING: return R13_NONE;
	default: return R13_DETACHED;
	}
}

/* At the entry of a deregister, wait or Complete: whether NMR must refuse it. */
void check_r13_enter(struct oracle *o, const struct oracle_view *v)
{
	unsigned api = v->e->what;
	enum r13_reason why = api >= API_CLIENT_DETACH_COMPLETE ? r13_complete_refusal(o, v)
								 : r13_reg_refusal(o, v, api <= API_DEREGISTER_PROVIDER);
	if (why == R13_NONE)
		return;
	oracle_touch(o, RULE_R13);
	if (v->f)
		v->f->refused = (uint8_t)why;
}

/* At the return of a refused deregister or wait: the status. */
void check_r13_exit(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_api_frame *f = v->f;
	char sb[16];
	if (!f || !f->refused || f->refused >= R13_REASONS)
		return;
	bool dereg = e->what <= API_DEREGISTER_PROVIDER;
	if (dereg ? e->status < 0 : e->status == ST_INVALID_PARAMETER)
		return;
	oracle_reportf(o, e, RULE_R13, SITE_API, e->what, e->module, EV_NONE16, e->handle,
		       "%s(0x%08x) with %s returned %s, not %s", nmr_api_name((enum nmr_api)e->what), e->handle,
		       r13_reasons[f->refused], ntstatus_name(e->status, sb),
		       dereg ? "an error status" : "STATUS_INVALID_PARAMETER");
}

/* A callback delivered, or a deregistration completed, on a thread whose
 * innermost NMR call is one NMR must refuse: the refused call changed state. */
void check_r13_inside(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_thread *t = v->t;
	if (!t || t->api_depth == 0 || t->api_depth > ORACLE_API_DEPTH_MAX)
		return;
	const struct oracle_api_frame *f = &t->api[t->api_depth - 1];
	if (!f->refused || f->refused >= R13_REASONS)
		return;
	char nb[8];
	const char *what = e->kind == EV_CB_ENTER ? nmr_cb_name((enum nmr_cb)e->what) : "the completion of a deregistration";
	oracle_reportf(o, e, RULE_R13, SITE_API, f->api, f->module, e->kind == EV_CB_ENTER ? e->binding : EV_NONE16,
		       f->handle, "%s(0x%08x) with %s delivered %s to %s inside the call", nmr_api_name((enum nmr_api)f->api),
		       f->handle, r13_reasons[f->refused], what, oracle_mod_name(o, e->module, nb));
}
