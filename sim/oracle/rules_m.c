/* rules_m.c - module obligations M01-M22 (CONTRACTS.md "Module obligations"; M22 an advisory):
 * a client or provider module broke the contract. One check per rule (two
 * where a rule is decided at two kinds of event), each under the contract
 * row it checks; oracle.c's tables say at which events each runs.
 *
 * Sites (stable across schedules of one bug): the API called, except M03
 * (the registration's NmrRegister*: the change is seen at whichever callback
 * or wait comes next), M15 (the Complete API, also when found at the detach
 * callback's exit), M18/M19 at a dispatch call ("dispatch"), M10 M12 M13 M14
 * M17 (the callback) and M20 M21 ("Unload"). The module of a finding is the
 * module that broke the rule.
 */
#include <stdio.h>

#include "oracle/check.h"
#include "trace/names.h"

/* Why a deregister/wait handle is not a live registration of that role. */
/* Cold, out of line: report text, built only for a finding (the checks
 * are inlined into the intakes every event runs). */
__attribute__((cold, noinline)) static void describe_bad_handle(const struct oracle *o, uint32_t handle, unsigned role, char *buf, size_t cap)
{
	char nb[8];
	int r = shadow_reg_find(o, handle);
	int b = shadow_binding_find(o, handle);
	if (r != NO_INDEX && o->regs[r].role != role)
		snprintf(buf, cap, "handle of %s's %s registration", oracle_mod_name(o, o->regs[r].module, nb),
			 nmr_role_name(o->regs[r].role));
	else if (r != NO_INDEX && o->regs[r].state == REG_WAIT_RETURNED)
		snprintf(buf, cap, "registration of %s whose wait already returned at step %u",
			 oracle_mod_name(o, o->regs[r].module, nb), o->regs[r].step_wait);
	else if (r != NO_INDEX)
		snprintf(buf, cap, "registration of %s already deregistered at step %u",
			 oracle_mod_name(o, o->regs[r].module, nb), o->regs[r].step_deregistered);
	else if (b != NO_INDEX)
		snprintf(buf, cap, "a binding handle (binding #%u), not a registration", o->bindings[b].slot);
	else
		snprintf(buf, cap, "not a handle NmrRegister* returned");
}

/* M01 register-irql: `NmrRegister*` called above PASSIVE_LEVEL. */
void check_m01(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	char nb[8];
	if (e->irql > IRQL_PASSIVE)
		oracle_reportf(o, e, RULE_M01, SITE_API, e->what, e->module, EV_NONE16, 0,
			       "%s by %s at IRQL %u (above PASSIVE_LEVEL)", nmr_api_name((enum nmr_api)e->what),
			       oracle_mod_name(o, e->module, nb), e->irql);
}

/* M02 register-characteristics: Characteristics malformed: Version != 0,
 * Length/Size smaller than the structure, a NULL attach or detach callback,
 * NULL `NpiId` or `ModuleId`. (The registrar front reports them as bits, and
 * notes the values, struct oracle_chars_note.) Each reason names the field,
 * and its value when the note has it. The registration instance's Version
 * is M22's, an advisory. */
__attribute__((cold, noinline)) static void m02_reasons(const struct oracle *o, uint32_t bad, bool client, char *buf, size_t cap)
{
	const struct oracle_chars_note *n = o->chars_note.valid ? &o->chars_note : NULL;
	const char *chars = client ? "NPI_CLIENT_CHARACTERISTICS" : "NPI_PROVIDER_CHARACTERISTICS";
	const char *ri = client ? "ClientRegistrationInstance" : "ProviderRegistrationInstance";
	size_t len = 0;
	buf[0] = '\0';
#define REASON(...) \
	do { \
		if (len < cap) \
			len += (size_t)snprintf(buf + len, cap - len, "%s", len ? ", " : ""); \
		if (len < cap) \
			len += (size_t)snprintf(buf + len, cap - len, __VA_ARGS__); \
	} while (0)
	if (bad & CHARS_BAD_VERSION_BIT) {
		if (n)
			REASON("%s.Version = %u (must be 0)", chars, n->version);
		else
			REASON("%s.Version != 0", chars);
	}
	if (bad & CHARS_BAD_LENGTH_BIT) {
		if (n && n->length < n->length_min)
			REASON("%s.Length = %u (the structure is %u bytes)", chars, n->length, n->length_min);
		if (n && n->ri_size < n->ri_size_min)
			REASON("%s.Size = %u (the structure is %u bytes)", ri, n->ri_size, n->ri_size_min);
		if (!n || (n->length >= n->length_min && n->ri_size >= n->ri_size_min))
			REASON("%s.Length or %s.Size smaller than its structure", chars, ri);
	}
	if (bad & CHARS_BAD_ATTACH_BIT)
		REASON("%s NULL", client ? "ClientAttachProvider" : "ProviderAttachClient");
	if (bad & CHARS_BAD_DETACH_BIT)
		REASON("%s NULL", client ? "ClientDetachProvider" : "ProviderDetachClient");
	if (bad & CHARS_BAD_NPIID_BIT)
		REASON("%s.NpiId NULL", ri);
	if (bad & CHARS_BAD_MODULEID_BIT)
		REASON("%s.ModuleId NULL", ri);
	if (bad >> CHARS_BAD_BITS)
		REASON("bits 0x%x", bad >> CHARS_BAD_BITS << CHARS_BAD_BITS);
#undef REASON
}

void check_m02(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	char buf[200];
	char nb[8];
	uint32_t bad = e->arg & ~(uint32_t)CHARS_BAD_RI_VERSION_BIT;
	if (!bad)
		return;
	buf[0] = '\0';
	if (oracle_counts(o, RULE_M02))
		m02_reasons(o, bad, e->what == API_REGISTER_CLIENT, buf, sizeof buf);
	oracle_reportf(o, e, RULE_M02, SITE_API, e->what, e->module, EV_NONE16, 0,
		       "%s by %s: characteristics malformed: %s", nmr_api_name((enum nmr_api)e->what), oracle_mod_name(o, e->module, nb),
		       buf);
}

/* M22 instance-version (advisory): NPI_REGISTRATION_INSTANCE.Version is
 * documented as 0, but Windows registers and binds a module with another
 * value, and shipped drivers put their own NPI's version there. */
void check_m22(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	char nb[8], value[16] = "!= 0";
	if (!(e->arg & CHARS_BAD_RI_VERSION_BIT))
		return;
	if (o->chars_note.valid)
		snprintf(value, sizeof value, "= %u", o->chars_note.ri_version);
	oracle_reportf(o, e, RULE_M22, SITE_API, e->what, e->module, EV_NONE16, 0,
		       "%s by %s: %s.Version %s (documented as 0; Windows registers and binds it)",
		       nmr_api_name((enum nmr_api)e->what), oracle_mod_name(o, e->module, nb),
		       e->what == API_REGISTER_CLIENT ? "ClientRegistrationInstance" : "ProviderRegistrationInstance", value);
}

/* M03 characteristics-changed: The characteristics, the registration
 * instance, or what `NpiId`, `ModuleId`, `NpiSpecificCharacteristics` point
 * to was changed or freed while registered (until Wait returned).
 * Decided when a changed digest is next observed (a callback's or a wait
 * exit's aux), not at EV_MUTATE: a change undone before anyone looks is not
 * reported; once per registration. */
void check_m03(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	struct oracle_reg *r = v->r;
	if (!r || r->digest_flagged || r->state == REG_WAIT_RETURNED)
		return;
	oracle_touch(o, RULE_M03);
	if (e->aux == r->digest)
		return;
	char nb[8];
	const char *where = e->kind == EV_CB_ENTER ? nmr_cb_name((enum nmr_cb)e->what) :
						     nmr_api_name((enum nmr_api)e->what);
	r->digest_flagged = true;
	oracle_reportf(o, e, RULE_M03, SITE_API, (uint8_t)(API_REGISTER_CLIENT + r->role), r->module, EV_NONE16,
		       r->handle,
		       "characteristics of %s's registration 0x%08x (registered at step %u) changed: digest 0x%08x, now 0x%08x at %s",
		       oracle_mod_name(o, r->module, nb), r->handle, r->step_registered, r->digest, e->aux, where);
}

/* M04 deregister-handle: `NmrDeregister*` with a handle that is not a live
 * registration of that role: never returned by Register, already
 * deregistered, a binding handle, or the other role's handle. */
void check_m04(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r;
	char buf[96];
	if (r && r->role == v->side && r->state == REG_REGISTERED)
		return;
	buf[0] = '\0';
	if (oracle_counts(o, RULE_M04))
		describe_bad_handle(o, e->handle, v->side, buf, sizeof buf);
	oracle_reportf(o, e, RULE_M04, SITE_API, e->what, e->module, EV_NONE16, e->handle, "%s(0x%08x): %s",
		       nmr_api_name((enum nmr_api)e->what), e->handle, buf);
}

/* M05 deregister-irql: `NmrDeregister*` above DISPATCH_LEVEL. */
void check_m05(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	if (e->irql > IRQL_DISPATCH)
		oracle_reportf(o, e, RULE_M05, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) at IRQL %u (above DISPATCH_LEVEL)", nmr_api_name((enum nmr_api)e->what),
			       e->handle, e->irql);
}

/* A wait's handle: not a registration of that role, or one already waited for (M07). */
static bool wait_handle_bad(const struct oracle_view *v)
{
	return !v->r || v->r->role != v->side || v->r->state == REG_WAIT_RETURNED;
}

/* M06 wait-before-deregister: `NmrWaitFor*DeregisterComplete` before
 * `NmrDeregister*` on that handle (NMR answers INVALID_PARAMETER). */
void check_m06(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_reg *r = v->r;
	char nb[8];
	if (wait_handle_bad(v) || r->state != REG_REGISTERED)
		return;
	oracle_reportf(o, e, RULE_M06, SITE_API, e->what, e->module, EV_NONE16, e->handle,
		       "%s(0x%08x): registration of %s (registered at step %u) was not deregistered",
		       nmr_api_name((enum nmr_api)e->what), e->handle, oracle_mod_name(o, r->module, nb), r->step_registered);
}

/* M07 wait-handle: Wait with a handle that is invalid, of the other role,
 * or whose Wait already returned. */
void check_m07(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	char buf[96];
	if (!wait_handle_bad(v))
		return;
	buf[0] = '\0';
	if (oracle_counts(o, RULE_M07))
		describe_bad_handle(o, e->handle, v->side, buf, sizeof buf);
	oracle_reportf(o, e, RULE_M07, SITE_API, e->what, e->module, EV_NONE16, e->handle, "%s(0x%08x): %s",
		       nmr_api_name((enum nmr_api)e->what), e->handle, buf);
}

/* M08 wait-irql: Wait at DISPATCH_LEVEL or above. */
void check_m08(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	if (e->irql >= IRQL_DISPATCH)
		oracle_reportf(o, e, RULE_M08, SITE_API, e->what, e->module, EV_NONE16, e->handle,
			       "%s(0x%08x) at IRQL %u (DISPATCH_LEVEL or above)", nmr_api_name((enum nmr_api)e->what),
			       e->handle, e->irql);
}

/* M09 wait-in-callback: A module waits for a deregistration (its own or its
 * peer's) from inside an NMR callback: a certain deadlock. */
void check_m09(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_thread *t = v->t;
	if (!t || t->depth == 0)
		return;
	int top = shadow_cb_top(t);
	oracle_reportf(o, e, RULE_M09, SITE_API, e->what, e->module, EV_NONE16, e->handle,
		       "%s(0x%08x) inside %s: the wait needs that callback to return", nmr_api_name((enum nmr_api)e->what),
		       e->handle, top != NO_INDEX ? nmr_cb_name((enum nmr_cb)t->cb[top]) : "an NMR callback");
}

/* M10 block-in-detach: A detach or cleanup callback blocks (a wait with
 * non-zero timeout, a PASSIVE-only lock, rundown wait): these callbacks may
 * run at DISPATCH level. Spinning on a spin lock is not blocking: it is
 * allowed at DISPATCH. */
void check_m10(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_thread *t = v->t;
	int top = shadow_cb_top(t);
	if (top == NO_INDEX || t->cb[top] < CB_CLIENT_DETACH || e->what == BLOCK_DEREG_WAIT || e->what == BLOCK_SPINLOCK)
		return;
	char nb[8];
	int bi = shadow_binding_find(o, t->cb_handle[top]);
	oracle_reportf(o, e, RULE_M10, SITE_CB, t->cb[top], t->cb_module[top],
		       bi != NO_INDEX ? o->bindings[bi].slot : EV_NONE16, t->cb_handle[top],
		       "%s of %s blocks (%s): it may run at DISPATCH_LEVEL", nmr_cb_name((enum nmr_cb)t->cb[top]),
		       oracle_mod_name(o, t->cb_module[top], nb), block_reason_name((enum block_reason)e->what));
}

/* M11 attach-outside-callback: `NmrClientAttachProvider` called outside
 * `ClientAttachProvider`, or with a binding handle other than the one that
 * callback received. Unknown while the innermost callback is not recorded. */
void check_m11(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_thread *t = v->t;
	const char *an = nmr_api_name((enum nmr_api)e->what);
	if (!t || t->depth > ORACLE_CB_DEPTH_MAX)
		return;
	int top = shadow_cb_top(t);
	if (top == NO_INDEX || t->cb[top] != CB_CLIENT_ATTACH) {
		oracle_reportf(o, e, RULE_M11, SITE_API, e->what, e->module, EV_NONE16, e->handle, "%s(0x%08x) %s%s", an,
			       e->handle, top == NO_INDEX ? "outside any NMR callback" : "inside ",
			       top == NO_INDEX ? "" : nmr_cb_name((enum nmr_cb)t->cb[top]));
		return;
	}
	if (t->cb_handle[top] == e->handle)
		return;
	int b = shadow_binding_find(o, t->cb_handle[top]);
	if (b != NO_INDEX)
		o->bindings[b].tainted = true;
	oracle_reportf(o, e, RULE_M11, SITE_API, e->what, e->module, EV_NONE16, e->handle,
		       "%s(0x%08x) inside ClientAttachProvider of binding handle 0x%08x", an, e->handle, t->cb_handle[top]);
}

/* M12 attach-status: `ClientAttachProvider` returned SUCCESS without a
 * successful `NmrClientAttachProvider`, or, having called it, returned a
 * status other than the one it got. The oracle's own record of the call on
 * the callback frame wins over the event's arg/aux (used only when the frame
 * was not recorded). */
void check_m12(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_thread *t = v->t;
	int fi = v->cb_index;
	uint16_t slot = v->b ? v->b->slot : e->binding;
	const char *cn = nmr_cb_name((enum nmr_cb)e->what);
	char sb[16], ab[16];
	char nb[8];
	bool called = fi != NO_INDEX ? t->attach_called[fi] : e->arg == 1;
	bool returned = fi != NO_INDEX ? t->attach_returned[fi] : called;
	int32_t got = fi != NO_INDEX ? t->attach_status[fi] : (int32_t)e->aux;
	bool bad = false;
	if (e->status == ST_SUCCESS && !(called && returned && got == ST_SUCCESS)) {
		bad = true;
		if (called && returned)
			oracle_reportf(o, e, RULE_M12, SITE_CB, e->what, e->module, slot, e->handle,
				       "%s of %s returned STATUS_SUCCESS although NmrClientAttachProvider returned %s", cn,
				       oracle_mod_name(o, e->module, nb), ntstatus_name(got, sb));
		else
			oracle_reportf(o, e, RULE_M12, SITE_CB, e->what, e->module, slot, e->handle,
				       "%s of %s returned STATUS_SUCCESS without calling NmrClientAttachProvider", cn,
				       oracle_mod_name(o, e->module, nb));
	} else if (called && returned && e->status != got) {
		bad = true;
		oracle_reportf(o, e, RULE_M12, SITE_CB, e->what, e->module, slot, e->handle,
			       "%s of %s returned %s, but NmrClientAttachProvider returned %s", cn, oracle_mod_name(o, e->module, nb),
			       ntstatus_name(e->status, sb), ntstatus_name(got, ab));
	}
	if (v->b)
		v->b->tainted |= bad;
}

/* M13 attach-outputs: `ProviderAttachClient` returned SUCCESS without
 * writing `*ProviderBindingContext` and `*ProviderDispatch`. */
void check_m13(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	char nb[8];
	bool bad = e->status == ST_SUCCESS && e->arg != 1;
	if (bad)
		oracle_reportf(o, e, RULE_M13, SITE_CB, e->what, e->module, v->b ? v->b->slot : e->binding, e->handle,
			       "%s of %s returned STATUS_SUCCESS without writing *ProviderBindingContext and *ProviderDispatch",
			       nmr_cb_name((enum nmr_cb)e->what), oracle_mod_name(o, e->module, nb));
	if (v->b)
		v->b->tainted |= bad;
}

/* M14 detach-status: A detach callback returned something other than
 * SUCCESS or PENDING. */
void check_m14(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	uint16_t slot = v->b ? v->b->slot : e->binding;
	char sb[16];
	char nb[8];
	if (e->status != ST_SUCCESS && e->status != ST_PENDING)
		oracle_reportf(o, e, RULE_M14, SITE_CB, e->what, e->module, slot, e->handle, "%s of %s returned %s for binding #%u",
			       nmr_cb_name((enum nmr_cb)e->what), oracle_mod_name(o, e->module, nb), ntstatus_name(e->status, sb), slot);
}

/* A Complete's binding is the caller's, attached, and not cleaned up: M15
 * judges it (M16 and M19 the rest). */
static bool complete_on_live_side(const struct oracle_view *v)
{
	const struct oracle_binding *b = v->b;
	return b && !binding_foreign_caller(b, v->side, v->e->module) && !b->cleanup_calls[v->side] &&
	       b->attach_state != BATT_FAILED;
}

/* M15 complete-unexpected: `Nmr*DetachComplete` for a binding whose detach
 * callback has not been entered yet, or whose detach callback returned
 * SUCCESS, or a second Complete for one detach. A Complete made while the
 * detach callback is still running is allowed when that callback then
 * returns PENDING (decided at its exit: check_m15_detach_exit). */
void check_m15_complete(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	const char *an = nmr_api_name((enum nmr_api)e->what);
	if (!complete_on_live_side(v))
		return;
	bool again = b->completes[side] > 0;
	switch (b->side_state[side]) {
	case SIDE_ATTACHED:
		oracle_reportf(o, e, RULE_M15, SITE_API, e->what, e->module, b->slot, e->handle,
			       "%s(0x%08x): the %s detach callback of binding #%u was not called yet", an, e->handle,
			       nmr_role_name(side), b->slot);
		break;
	case SIDE_DETACHING:
		if (again)
			oracle_reportf(o, e, RULE_M15, SITE_API, e->what, e->module, b->slot, e->handle,
				       "%s(0x%08x): second Complete for binding #%u", an, e->handle, b->slot);
		break;
	case SIDE_PENDING:
		break;
	default:
		if (again)
			oracle_reportf(o, e, RULE_M15, SITE_API, e->what, e->module, b->slot, e->handle,
				       "%s(0x%08x): second Complete for binding #%u (detach completed at step %u)", an,
				       e->handle, b->slot, b->step_detached[side]);
		else
			oracle_reportf(o, e, RULE_M15, SITE_API, e->what, e->module, b->slot, e->handle,
				       "%s(0x%08x): the %s detach callback of binding #%u returned STATUS_SUCCESS at step %u",
				       an, e->handle, nmr_role_name(side), b->slot, b->step_detached[side]);
		break;
	}
}

/* M15, the in-flight Complete: the detach callback it was made in returned
 * SUCCESS after all. */
void check_m15_detach_exit(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	if (!b || b->side_state[side] != SIDE_DETACHING || !b->complete_early[side] || e->status != ST_SUCCESS)
		return;
	uint8_t api = (uint8_t)(side ? API_PROVIDER_DETACH_COMPLETE : API_CLIENT_DETACH_COMPLETE);
	oracle_reportf(o, e, RULE_M15, SITE_API, api, e->module, b->slot, e->handle,
		       "%s(0x%08x) was called inside %s, which then returned STATUS_SUCCESS", nmr_api_name((enum nmr_api)api),
		       e->handle, nmr_cb_name((enum nmr_cb)e->what));
}

/* M16 complete-handle: `Nmr*DetachComplete` with something that is not a
 * live binding handle of that side (a registration handle, a cleaned-up
 * binding, the other side's call). The registrar acts on the other side's
 * call all the same: the shadow follows it quietly, so later checks judge
 * the registrar on what it was told rather than report it again as R04/R06. */
void check_m16(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	const char *an = nmr_api_name((enum nmr_api)e->what);
	char nb[8], pb[8];
	if (!b) {
		int r = shadow_reg_find(o, e->handle);
		if (r != NO_INDEX)
			oracle_reportf(o, e, RULE_M16, SITE_API, e->what, e->module, EV_NONE16, e->handle,
				       "%s(0x%08x): a registration handle (%s), not a binding", an, e->handle,
				       oracle_mod_name(o, o->regs[r].module, nb));
		else
			oracle_reportf(o, e, RULE_M16, SITE_API, e->what, e->module, EV_NONE16, e->handle,
				       "%s(0x%08x): not a binding handle NMR delivered", an, e->handle);
	} else if (binding_foreign_caller(b, side, e->module)) {
		oracle_reportf(o, e, RULE_M16, SITE_API, e->what, e->module, b->slot, e->handle,
			       "%s(0x%08x) called by %s: the %s side of binding #%u belongs to %s", an, e->handle,
			       oracle_mod_name(o, e->module, nb), nmr_role_name(side), b->slot,
			       oracle_mod_name(o, binding_side_module(b, side), pb));
	} else if (!b->cleanup_calls[side] && b->attach_state == BATT_FAILED) {
		oracle_reportf(o, e, RULE_M16, SITE_API, e->what, e->module, b->slot, e->handle,
			       "%s(0x%08x): binding #%u never attached (its attach failed)", an, e->handle, b->slot);
	}
}

/* M17 pending-forever: A detach callback returned PENDING and the module
 * never called the matching Complete: its deregistration, and its peer's,
 * never finish. Evaluated from a PENDING return on; decided at the end. */
void check_m17_pending(struct oracle *o, const struct oracle_view *v)
{
	const struct oracle_binding *b = v->b;
	if (b && b->side_state[v->side] == SIDE_DETACHING && !b->complete_early[v->side] && v->e->status == ST_PENDING)
		oracle_touch(o, RULE_M17);
}

void check_m17_end(struct oracle *o, const struct oracle_view *v)
{
	const struct oracle_binding *b = v->b;
	char nb[8];
	for (unsigned side = 0; side < 2; side++) {
		uint8_t m = binding_side_module(b, side);
		if (b->side_state[side] == SIDE_PENDING)
			oracle_reportf(o, NULL, RULE_M17, SITE_CB, (uint8_t)(CB_CLIENT_DETACH + side), m, b->slot, b->handle,
				       "%s of %s returned STATUS_PENDING at step %u for binding #%u; %s never called",
				       nmr_cb_name((enum nmr_cb)(CB_CLIENT_DETACH + side)), oracle_mod_name(o, m, nb), b->step_detached[side],
				       b->slot, nmr_api_name(side ? API_PROVIDER_DETACH_COMPLETE : API_CLIENT_DETACH_COMPLETE));
	}
}

/* M18 call-after-detach: A module enters its peer's dispatch table on a
 * binding after its own detach for that binding completed (its detach
 * callback returned SUCCESS, or it called Complete). A call entered while its
 * detach is pending is allowed: the detach pends for it. */
void check_m18(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	char nb[8], pb[8];
	if (b->side_state[side] != SIDE_ATTACHED)
		oracle_touch(o, RULE_M18);
	if (!b->cleanup_calls[side] && (b->side_state[side] == SIDE_DETACHED || b->complete_early[side]))
		oracle_reportf(o, e, RULE_M18, SITE_CALL, 0, e->module, b->slot, e->handle,
			       "%s called %s's dispatch on binding #%u after its detach completed at step %u", oracle_mod_name(o, e->module, nb),
			       oracle_mod_name(o, e->peer, pb), b->slot, b->step_detached[side]);
}

/* M19 binding-after-cleanup: A module uses a binding (Complete, dispatch,
 * its binding context) after that side's cleanup callback ran. */
void check_m19_complete(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	unsigned side = v->side;
	if (!b || binding_foreign_caller(b, side, e->module) || !b->cleanup_calls[side])
		return;
	oracle_reportf(o, e, RULE_M19, SITE_API, e->what, e->module, b->slot, e->handle,
		       "%s(0x%08x) after the %s cleanup of binding #%u ran at step %u", nmr_api_name((enum nmr_api)e->what),
		       e->handle, nmr_role_name(side), b->slot, b->step_cleanup[side]);
}

void check_m19_call(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	const struct oracle_binding *b = v->b;
	char nb[8], pb[8];
	if (b->cleanup_calls[v->side])
		oracle_reportf(o, e, RULE_M19, SITE_CALL, 0, e->module, b->slot, e->handle,
			       "%s called %s's dispatch on binding #%u after its cleanup ran at step %u", oracle_mod_name(o, e->module, nb),
			       oracle_mod_name(o, e->peer, pb), b->slot, b->step_cleanup[v->side]);
}

/* M18/M19 as a question for dispatch guarding (oracle.h). */
bool oracle_call_is_late(const struct oracle *o, uint32_t handle, uint8_t module)
{
	int bi = shadow_binding_find(o, handle);
	if (bi == NO_INDEX)
		return false;
	const struct oracle_binding *b = &o->bindings[bi];
	unsigned side = module == b->client_module ? 0 : module == b->provider_module ? 1 : 2;
	if (side > 1)
		return false;
	return b->cleanup_calls[side] || b->side_state[side] == SIDE_DETACHED || b->complete_early[side];
}

/* M20 unload-while-registered: A driver's Unload returned while one of its
 * registrations was live or its deregistration had not completed (no Wait
 * returned). */
void check_m20(struct oracle *o, const struct oracle_view *v)
{
	static const char *const states[] = { "", "still registered", "deregistering", "deregistered, wait not returned" };
	const struct event *e = v->e;
	char nb[8];
	for (uint32_t i = 0; i < o->nregs; i++) {
		const struct oracle_reg *r = &o->regs[i];
		if (r->module != e->module || r->state == REG_FREE || r->state == REG_WAIT_RETURNED)
			continue;
		oracle_reportf(o, e, RULE_M20, SITE_UNLOAD, 0, e->module, EV_NONE16, r->handle,
			       "Unload of %s returned while its %s registration 0x%08x was %s", oracle_mod_name(o, e->module, nb),
			       nmr_role_name(r->role), r->handle, states[r->state]);
		break;
	}
}

/* M21 unload-leak: Memory, work items, timers or locks that the module took
 * were not released when Unload returned (the kernel shim counts them:
 * aux allocations, arg work items). */
void check_m21(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	char nb[8];
	if (e->aux || e->arg)
		oracle_reportf(o, e, RULE_M21, SITE_UNLOAD, 0, e->module, EV_NONE16, 0,
			       "Unload of %s returned with %u allocation(s) and %u work item(s) outstanding", oracle_mod_name(o, e->module, nb),
			       e->aux, e->arg);
}
