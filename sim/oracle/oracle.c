/* oracle.c - the oracle's core: the rule tables and the event intake.
 *
 * Each event goes through the shadow (shadow.h) in one pass, by the intake
 * of its kind: it finds the registration, binding and thread frames the
 * event concerns, runs the rows listed for the event below in order (a row:
 * rule, coverage, check), then moves the shadow on. Which list runs at which
 * event is the RUN(...) line in the intake case of that event; the lists are
 * constant, so each RUN compiles to direct calls of its checks (the table
 * walk with indirect calls and a second pass over the event cost a fuzzing
 * run a tenth of its instructions). The checks live by family: rules_m.c
 * (module obligations M01-M22) and rules_r.c (registrar guarantees R01-R13).
 * The kernel-primitive rules K01-K09 are decided by the kernel shim, which
 * owns that state, and the liveness rules L01-L03 by the run, which sees every
 * thread blocked or the budget spent; both report through oracle_report().
 * oracle_finish runs the at_end rows once per live binding. Findings
 * and their reports are in report.c.
 *
 * Rule coverage (rules_touched), a bit set when the run reaches a state in
 * which the rule is evaluated on something real (rows with touch, and the
 * conditional touches of M03 M17 M18 R08 R10 R11 R13 in their checks):
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
 *   R13  a deregister, wait or Complete NMR must refuse
 * and every rule a finding (also from oracle_report) is made for.
 */
#include "oracle/oracle.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "oracle/check.h"
#include "trace/names.h"

_Static_assert(RULE_COUNT <= 64, "rules_touched holds one bit per rule");

/* ---- the tables: at each event, the checks in the order they run ---- */

/* NMR API entered (EV_API_ENTER, what = enum nmr_api). */
static const struct oracle_rule_row register_enter[] = {
	ROW(RULE_M01, TOUCH, check_m01),
	ROW(RULE_M02, TOUCH, check_m02),
	ROW(RULE_M22, TOUCH, check_m22),
};
static const struct oracle_rule_row deregister_enter[] = {
	ROW(RULE_M05, TOUCH, check_m05),
	ROW(RULE_M04, TOUCH, check_m04),
	ROW(RULE_R13, NO_TOUCH, check_r13_enter),
};
static const struct oracle_rule_row wait_enter[] = {
	ROW(RULE_M08, TOUCH, check_m08),
	ROW(RULE_M09, TOUCH, check_m09),
	ROW(RULE_M07, TOUCH, check_m07),
	ROW(RULE_M06, TOUCH, check_m06),
	ROW(RULE_R13, NO_TOUCH, check_r13_enter),
};
static const struct oracle_rule_row attach_provider_enter[] = {
	ROW(RULE_M11, TOUCH, check_m11),
};
static const struct oracle_rule_row complete_enter[] = {
	ROW(RULE_M16, TOUCH, check_m16),
	ROW(RULE_M19, NO_TOUCH, check_m19_complete),
	ROW(RULE_M15, TOUCH, check_m15_complete),
	ROW(RULE_R13, NO_TOUCH, check_r13_enter),
};

/* NMR API returned (EV_API_EXIT). */
static const struct oracle_rule_row deregister_exit[] = {
	ROW(RULE_R11, NO_TOUCH, check_r11),
	ROW(RULE_R13, NO_TOUCH, check_r13_exit),
};
static const struct oracle_rule_row wait_exit[] = {
	ROW(RULE_M03, NO_TOUCH, check_m03),
	ROW(RULE_R08, NO_TOUCH, check_r08),
	ROW(RULE_R10, NO_TOUCH, check_r10_wait),
	ROW(RULE_R13, NO_TOUCH, check_r13_exit),
};

/* Callback delivered (EV_CB_ENTER, what = enum nmr_cb): any, then per callback. */
static const struct oracle_rule_row callback_enter[] = {
	ROW(RULE_R09, TOUCH, check_r09),
	ROW(RULE_M03, NO_TOUCH, check_m03),
	ROW(RULE_R10, NO_TOUCH, check_r10),
	ROW(RULE_R13, NO_TOUCH, check_r13_inside),
};
static const struct oracle_rule_row client_attach_enter[] = {
	ROW(RULE_R01, TOUCH, check_r01),
	ROW(RULE_R02, TOUCH, check_r02),
	ROW(RULE_R03, TOUCH, check_r03),
};
static const struct oracle_rule_row provider_attach_enter[] = {
	ROW(RULE_R03, TOUCH, check_r03),
};
static const struct oracle_rule_row detach_enter[] = {
	ROW(RULE_M10, TOUCH, NULL),
	ROW(RULE_R05, TOUCH, check_r05),
	ROW(RULE_R12, TOUCH, check_r12),
};
static const struct oracle_rule_row cleanup_enter[] = {
	ROW(RULE_M19, TOUCH, NULL),
	ROW(RULE_R07, TOUCH, check_r07),
	ROW(RULE_R12, NO_TOUCH, check_r12),
	ROW(RULE_R06, TOUCH, check_r06),
};

/* Callback returned (EV_CB_EXIT). */
static const struct oracle_rule_row client_attach_exit[] = {
	ROW(RULE_M12, TOUCH, check_m12),
};
static const struct oracle_rule_row provider_attach_exit[] = {
	ROW(RULE_M13, TOUCH, check_m13),
};
static const struct oracle_rule_row detach_exit[] = {
	ROW(RULE_M14, TOUCH, check_m14),
	ROW(RULE_M15, NO_TOUCH, check_m15_detach_exit),
	ROW(RULE_M17, NO_TOUCH, check_m17_pending),
};

/* The other events, whatever their `what`. */
static const struct oracle_rule_row call_enter[] = {
	ROW(RULE_M19, NO_TOUCH, check_m19_call),
	ROW(RULE_M18, NO_TOUCH, check_m18),
};
static const struct oracle_rule_row block[] = {
	ROW(RULE_M10, NO_TOUCH, check_m10),
};
static const struct oracle_rule_row unload_exit[] = {
	ROW(RULE_M20, TOUCH, check_m20),
	ROW(RULE_M21, TOUCH, check_m21),
};
static const struct oracle_rule_row dereg_complete[] = {
	ROW(RULE_R04, TOUCH, check_r04),
	ROW(RULE_R13, NO_TOUCH, check_r13_inside),
};
static const struct oracle_rule_row at_end[] = { /* per live binding */
	ROW(RULE_M17, NO_TOUCH, check_m17_end),
	ROW(RULE_R07, NO_TOUCH, check_r07_end),
};

/* The event kinds some row or the shadow acts on; the rest (switches,
 * choices, kernel routines, ...) only count. */
#define KINDS_OBSERVED (BIT(EV_THREAD_START) | BIT(EV_API_ENTER) | BIT(EV_API_EXIT) | BIT(EV_CB_ENTER) | \
			BIT(EV_CB_EXIT) | BIT(EV_CALL_ENTER) | BIT(EV_BLOCK) | BIT(EV_UNLOAD_EXIT) | \
			BIT(EV_DEREG_COMPLETE))
_Static_assert(EV_KIND_COUNT <= 32, "KINDS_OBSERVED holds one bit per event kind");

/* ---- intake: an event through the shadow, in one pass ---- */

/* The rows of a list, in order. The lists are constant and this is inlined
 * where a list is named, so the loop unrolls into direct calls of the checks
 * and one constant coverage mask. Coverage bits are gathered in a register
 * and stored once: no check reads rules_touched, and the order of the bits
 * does not matter. */
#define ORACLE_ROWS_MAX 5
#define RUN(o, list, v) \
	do { \
		_Static_assert(sizeof(list) / sizeof((list)[0]) <= ORACLE_ROWS_MAX, "a list has at most ORACLE_ROWS_MAX rows"); \
		run_list((o), (list), sizeof(list) / sizeof((list)[0]), (v)); \
	} while (0)

static inline __attribute__((always_inline)) void run_list(struct oracle *o, const struct oracle_rule_row *row,
							   uint32_t n, const struct oracle_view *v)
{
	uint64_t touched = 0;
	/* Unrolled by hand: a loop is unrolled only after the inliner has
	 * run, so its calls would stay calls; written out, each row's check is
	 * a constant the inliner sees (oracle_unit.c makes the checks
	 * internal to this unit). */
	_Static_assert(ORACLE_ROWS_MAX == 5, "run_list names each row up to ORACLE_ROWS_MAX");
#define RUN_ROW(i) \
	if (n > (i)) { \
		touched |= row[i].touch; \
		if (row[i].check) \
			row[i].check(o, v); \
	}
	RUN_ROW(0) RUN_ROW(1) RUN_ROW(2) RUN_ROW(3) RUN_ROW(4)
#undef RUN_ROW
	o->rules_touched |= touched;
}

/* The view of event e before its kind's fields are resolved. */
static inline void view_init(struct oracle_view *v, const struct event *e, struct oracle_thread *t)
{
	v->e = e;
	v->t = t;
	v->f = NULL;
	v->r = v->peer = NULL;
	v->ri = v->cb_index = NO_INDEX;
	v->b = NULL;
	v->side = 0;
	v->hung = false;
}

static inline void view_reg(struct oracle *o, struct oracle_view *v, int ri)
{
	assert(ri == NO_INDEX || (uint32_t)ri < o->nregs);
	v->ri = ri;
	v->r = ri != NO_INDEX ? &o->regs[ri] : NULL;
}

static inline void view_binding(struct oracle *o, struct oracle_view *v, uint32_t handle)
{
	int bi = shadow_binding_find(o, handle);
	assert(bi == NO_INDEX || (uint32_t)bi < o->nbindings);
	v->b = bi != NO_INDEX ? &o->bindings[bi] : NULL;
}

/* Each intake is a function of its own: inlined into one, every event (the
 * many the oracle only counts too) paid the prologue of the largest. */
#define INTAKE __attribute__((noinline))

/* Each intake below resolves the event against the shadow (the view), runs
 * the rows of its event in order, then moves the shadow on: the checks judge
 * the state as it stood before the event. */

/* Deregister or wait entered: the frame records a live registration of that
 * role, deregister moves it to DEREGISTERING. Deregister takes a live
 * registration; wait one deregistered and not waited for (M04, M06, M07
 * judged the others). */
static inline void apply_dereg_wait_enter(struct oracle_view *v, bool dereg)
{
	struct oracle_reg *r = v->r;
	if (!r || r->role != v->side || r->state == REG_WAIT_RETURNED ||
	    (dereg ? r->state != REG_REGISTERED : r->state == REG_REGISTERED))
		return;
	v->f->valid = true;
	v->f->reg_index = (uint16_t)v->ri;
	v->f->reg_seq = r->seq;
	if (dereg) {
		reg_advance(r, REG_DEREGISTERING);
		r->step_deregistered = v->e->step;
	}
}

static INTAKE void intake_api_enter(struct oracle *o, const struct event *e, struct oracle_thread *t, unsigned what)
{
	struct oracle_view v;
	view_init(&v, e, t);
	v.f = api_push(t, e, &v.scratch);
	switch (what) {
	case API_REGISTER_CLIENT:
	case API_REGISTER_PROVIDER:
		v.f->npi = e->peer;
		v.f->digest = e->aux;
		RUN(o, register_enter, &v);
		break;
	case API_DEREGISTER_CLIENT:
	case API_DEREGISTER_PROVIDER:
		v.side = what & 1u; /* the role: client APIs are even */
		view_reg(o, &v, shadow_reg_find(o, e->handle));
		RUN(o, deregister_enter, &v);
		apply_dereg_wait_enter(&v, true);
		break;
	case API_WAIT_CLIENT:
	case API_WAIT_PROVIDER:
		v.side = what & 1u;
		view_reg(o, &v, shadow_reg_find(o, e->handle));
		RUN(o, wait_enter, &v);
		apply_dereg_wait_enter(&v, false);
		break;
	case API_CLIENT_ATTACH_PROVIDER: {
		RUN(o, attach_provider_enter, &v);
		int top = shadow_cb_top(t);
		if (top == NO_INDEX || t->cb[top] != CB_CLIENT_ATTACH)
			break; /* M11 */
		t->attach_called[top] = true;
		t->attach_returned[top] = false;
		v.f->cb_index = (uint8_t)top;
		break;
	}
	case API_CLIENT_DETACH_COMPLETE:
	case API_PROVIDER_DETACH_COMPLETE: {
		unsigned side = v.side = what - API_CLIENT_DETACH_COMPLETE;
		view_binding(o, &v, e->handle);
		RUN(o, complete_enter, &v);
		struct oracle_binding *b = v.b;
		/* The registrar acts on a Complete made by the other side's module
		 * all the same (the API names the side): follow it, so later checks
		 * judge the registrar on what it was told. A Complete after cleanup
		 * or on a failed attach changes nothing. */
		if (!b || (!binding_foreign_caller(b, side, e->module) &&
			   (b->cleanup_calls[side] || b->attach_state == BATT_FAILED)))
			break;
		count_up(&b->completes[side]);
		if (b->side_state[side] == SIDE_PENDING) {
			side_advance(b, side, SIDE_DETACHED);
			b->step_detached[side] = e->step;
		} else if (b->side_state[side] == SIDE_DETACHING) {
			b->complete_early[side] = true; /* decided at the detach callback's exit (M15) */
		}
		break;
	}
	default:
		break;
	}
}

/* NmrRegister* returned: a new registration, unless it failed (forget one a
 * callback created early) or a callback reached it first (F1). */
static inline void apply_register_exit(struct oracle *o, const struct event *e, const struct oracle_api_frame *f)
{
	unsigned role = e->what - API_REGISTER_CLIENT;
	if (e->status != ST_SUCCESS || e->handle == 0) {
		int early = f && f->handle ? shadow_reg_find(o, f->handle) : NO_INDEX;
		if (early != NO_INDEX && o->regs[early].module == e->module)
			o->regs[early].state = REG_FREE;
		return;
	}
	int ri = shadow_reg_find(o, e->handle);
	if (ri != NO_INDEX && o->regs[ri].module == e->module && o->regs[ri].role == role &&
	    o->regs[ri].state != REG_WAIT_RETURNED)
		return; /* created when a callback reached it before the return (F1) */
	shadow_reg_create(o, e->handle, e->module, role, f ? f->npi : EV_NONE8, f ? f->digest : 0, f != NULL, e->step);
}

static INTAKE void intake_api_exit(struct oracle *o, const struct event *e, struct oracle_thread *t, unsigned what)
{
	struct oracle_api_frame *f = api_pop(t, (uint8_t)what);
	switch (what) {
	case API_REGISTER_CLIENT:
	case API_REGISTER_PROVIDER:
		apply_register_exit(o, e, f);
		break;
	case API_DEREGISTER_CLIENT:
	case API_DEREGISTER_PROVIDER: {
		struct oracle_view v;
		view_init(&v, e, t);
		v.f = f;
		v.r = frame_reg(o, f);
		RUN(o, deregister_exit, &v);
		if (v.r && v.r->state == REG_DEREGISTERING)
			reg_advance(v.r, REG_DEREGISTERED);
		break;
	}
	case API_WAIT_CLIENT:
	case API_WAIT_PROVIDER: {
		struct oracle_view v;
		view_init(&v, e, t);
		v.f = f;
		struct oracle_reg *r = v.r = frame_reg(o, f);
		RUN(o, wait_exit, &v);
		if (!r || r->state == REG_WAIT_RETURNED || e->status != ST_SUCCESS)
			break;
		reg_advance(r, REG_WAIT_RETURNED);
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

/* An attach callback entered: a new binding, unless the other side's attach
 * came first; this side's module, registration and attach state. */
static void apply_attach_enter(struct oracle *o, const struct oracle_view *v)
{
	const struct event *e = v->e;
	struct oracle_binding *b = v->b;
	unsigned side = v->side;
	if ((!b || b->attach_cb[side] != ACB_NONE) && e->handle) {
		uint32_t peer_reg = 0;
		if (side == 0) {
			peer_reg = v->peer ? v->peer->handle : 0;
		} else {
			int ci = shadow_reg_offered(o, e->peer, 0, (uint8_t)e->arg, e->peer_reg, e->step);
			peer_reg = ci != NO_INDEX ? o->regs[ci].handle : 0;
		}
		b = shadow_binding_create(o, e->handle, e->binding);
		if (b) {
			*(side ? &b->client_module : &b->provider_module) = e->peer;
			*(side ? &b->client_reg : &b->provider_reg) = peer_reg;
		}
	}
	if (b) {
		*(side ? &b->provider_module : &b->client_module) = e->module;
		*(side ? &b->provider_reg : &b->client_reg) = e->reg;
		b->attach_cb[side] = ACB_RUNNING;
		binding_update_attach(b);
	}
}

static INTAKE void intake_cb_enter(struct oracle *o, const struct event *e, struct oracle_thread *t, unsigned what)
{
	if (what >= CB_COUNT)
		return;
	struct oracle_view v;
	view_init(&v, e, t);
	unsigned side = v.side = what & 1u; /* client callbacks are even, provider odd */
	int ri = shadow_reg_find(o, e->reg);
	if (ri == NO_INDEX && e->reg)
		ri = shadow_reg_from_inflight(o, e->reg, e->module, side, e->step);
	view_reg(o, &v, ri);
	view_binding(o, &v, e->handle);
	struct oracle_binding *b = v.b;
	if (what == CB_CLIENT_ATTACH) {
		int pi = shadow_reg_offered(o, e->peer, 1, (uint8_t)e->arg, e->peer_reg, e->step);
		v.peer = pi != NO_INDEX ? &o->regs[pi] : NULL;
	}
	RUN(o, callback_enter, &v);
	switch (what) {
	case CB_CLIENT_ATTACH:
		RUN(o, client_attach_enter, &v);
		apply_attach_enter(o, &v);
		break;
	case CB_PROVIDER_ATTACH:
		RUN(o, provider_attach_enter, &v);
		apply_attach_enter(o, &v);
		break;
	case CB_CLIENT_DETACH:
	case CB_PROVIDER_DETACH:
		RUN(o, detach_enter, &v);
		if (!b)
			break;
		count_up(&b->detach_calls[side]);
		if (b->side_state[side] == SIDE_ATTACHED)
			side_advance(b, side, SIDE_DETACHING);
		break;
	case CB_CLIENT_CLEANUP:
	case CB_PROVIDER_CLEANUP:
		RUN(o, cleanup_enter, &v);
		if (!b)
			break;
		count_up(&b->cleanup_calls[side]);
		if (b->cleanup_calls[side] == 1)
			b->step_cleanup[side] = e->step;
		break;
	default:
		break;
	}
	cb_push(t, e);
}

static inline void apply_attach_exit(struct oracle_binding *b, const struct event *e, unsigned side)
{
	if (!b)
		return;
	b->attach_cb[side] = e->status == ST_SUCCESS ? ACB_OK : ACB_FAILED;
	binding_update_attach(b);
}

static INTAKE void intake_cb_exit(struct oracle *o, const struct event *e, struct oracle_thread *t, unsigned what)
{
	if (what >= CB_COUNT)
		return;
	struct oracle_view v;
	view_init(&v, e, t);
	unsigned side = v.side = what & 1u;
	v.cb_index = cb_pop(t, (uint8_t)what, e->handle);
	assert(v.cb_index == NO_INDEX || (t && v.cb_index < ORACLE_CB_DEPTH_MAX));
	view_binding(o, &v, e->handle);
	struct oracle_binding *b = v.b;
	switch (what) {
	case CB_CLIENT_ATTACH:
		RUN(o, client_attach_exit, &v);
		apply_attach_exit(b, e, side);
		break;
	case CB_PROVIDER_ATTACH:
		RUN(o, provider_attach_exit, &v);
		apply_attach_exit(b, e, side);
		break;
	case CB_CLIENT_DETACH:
	case CB_PROVIDER_DETACH:
		RUN(o, detach_exit, &v);
		if (!b || b->side_state[side] != SIDE_DETACHING)
			break;
		if (!b->complete_early[side] && e->status == ST_PENDING)
			side_advance(b, side, SIDE_PENDING);
		else
			side_advance(b, side, SIDE_DETACHED); /* SUCCESS, or a Complete already made */
		b->step_detached[side] = e->step;
		break;
	default:
		break;
	}
}

/* A dispatch call: judged on the side of the calling module only. */
static INTAKE void intake_call_enter(struct oracle *o, const struct event *e, struct oracle_thread *t)
{
	struct oracle_view v;
	view_init(&v, e, t);
	view_binding(o, &v, e->handle);
	if (!v.b)
		return;
	if (e->module == v.b->client_module)
		v.side = 0;
	else if (e->module == v.b->provider_module)
		v.side = 1;
	else
		return; /* neither side's module: nothing to judge */
	RUN(o, call_enter, &v);
}

/* ---- entry points ---- */

void oracle_init(struct oracle *o, const char *const *module_names, uint32_t nmodules, bool stop_on_first)
{
	/* Per run, so not the shadow tables: regs, bindings and findings are
	 * only read below their counts and zeroed when an entry is created. */
	memset(o, 0, offsetof(struct oracle, regs));
	o->nregs = 0;
	o->nbindings = 0;
	for (uint32_t i = 0; i < SIM_THREADS_MAX; i++)
		shadow_thread_reset(&o->threads[i]);
	memset(&o->nfindings, 0, sizeof *o - offsetof(struct oracle, nfindings));
	o->module_names = module_names;
	o->nmodules = module_names ? nmodules : 0;
	o->stop_on_first = stop_on_first;
}

static INTAKE void intake_other(struct oracle *o, const struct event *e, struct oracle_thread *t, unsigned kind);

static inline void take_event(struct oracle *o, const struct event *e)
{
	/* kind and what read once: the checks are calls, after which the
	 * compiler would load them again. */
	unsigned kind = e->kind, what = e->what;
	o->event_index++;
	o->last_step = e->step;
	if (kind >= 32 || !((KINDS_OBSERVED >> kind) & 1u))
		return;
	struct oracle_thread *t = e->thread < SIM_THREADS_MAX ? &o->threads[e->thread] : NULL;
	switch (kind) {
	case EV_THREAD_START:
		if (t)
			shadow_thread_reset(t);
		break;
	case EV_API_ENTER: intake_api_enter(o, e, t, what); break;
	case EV_API_EXIT: intake_api_exit(o, e, t, what); break;
	case EV_CB_ENTER: intake_cb_enter(o, e, t, what); break;
	case EV_CB_EXIT: intake_cb_exit(o, e, t, what); break;
	case EV_CALL_ENTER: intake_call_enter(o, e, t); break;
	default: intake_other(o, e, t, kind); break;
	}
}

/* The events whose rows need no frame of their own. */
static INTAKE void intake_other(struct oracle *o, const struct event *e, struct oracle_thread *t, unsigned kind)
{
	struct oracle_view v;
	switch (kind) {
	case EV_BLOCK:
		view_init(&v, e, t);
		RUN(o, block, &v);
		break;
	case EV_UNLOAD_EXIT:
		view_init(&v, e, t);
		RUN(o, unload_exit, &v);
		break;
	case EV_DEREG_COMPLETE:
		view_init(&v, e, t);
		view_reg(o, &v, shadow_reg_find(o, e->reg));
		RUN(o, dereg_complete, &v);
		if (v.r)
			v.r->dereg_complete = true;
		break;
	default:
		break;
	}
}

void oracle_on_event(struct oracle *o, const struct event *e)
{
	take_event(o, e);
}

void oracle_observe(void *oracle, const struct event *e)
{
	take_event(oracle, e);
}

void oracle_finish(struct oracle *o, bool hung)
{
	assert(o->nbindings <= ORACLE_BINDINGS_MAX);
	for (uint32_t i = 0; i < o->nbindings; i++) {
		if (!o->bindings[i].live)
			continue;
		struct oracle_view v = { .e = NULL, .b = &o->bindings[i], .ri = NO_INDEX, .cb_index = NO_INDEX,
					 .hung = hung };
		RUN(o, at_end, &v);
	}
}
