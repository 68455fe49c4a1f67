/* test_outcome.c - the visible outcome of a run (sim/run/outcome.h) and the
 * differential check over the freedoms (sim/run/freedoms.h, advisory M23):
 * - DriverEntry status, Unload, and the bindings each side answered are
 *   read from events; a refusal the registrar caused (no provider answer)
 *   is no module's answer, a pair offered in only one run is not compared;
 * - the differential check on scripted modules (correct by construction)
 *   makes its runs and finds no dependence. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "run/freedoms.h"
#include "run/outcome.h"
#include "scenario/scenario.h"

#define ST_NOINTERFACE ((int32_t)0xC00002B9u)

static struct event ev(enum ev_kind kind, unsigned what, unsigned module, unsigned peer, int32_t status)
{
	struct event e = { .kind = (uint8_t)kind, .what = (uint8_t)what, .module = (uint8_t)module,
			   .peer = (uint8_t)peer, .binding = EV_NONE16, .status = status };
	return e;
}

/* Client 0 offered provider 1: the provider answers `pst` (or not at all),
 * the client returns cst having called NmrClientAttachProvider (got). */
static void attach(struct run_outcome *o, bool provider_called, int32_t pst, int32_t cst, bool called, int32_t got)
{
	struct event e = ev(EV_CB_ENTER, CB_CLIENT_ATTACH, 0, 1, 0);
	outcome_on_event(o, &e);
	if (provider_called) {
		e = ev(EV_CB_EXIT, CB_PROVIDER_ATTACH, 1, 0, pst);
		outcome_on_event(o, &e);
	}
	e = ev(EV_CB_EXIT, CB_CLIENT_ATTACH, 0, 1, cst);
	e.arg = called;
	e.aux = (uint32_t)got;
	outcome_on_event(o, &e);
}

static void test_outcome(void)
{
	static const char *const names[] = { "C", "P" };
	struct run_outcome a, b;
	uint8_t m = 0xff;
	char wa[96], wb[96];

	/* DriverEntry status differs. */
	outcome_init(&a, 2);
	outcome_init(&b, 2);
	struct event e = ev(EV_LOAD_EXIT, 0, 1, EV_NONE8, 0);
	outcome_on_event(&a, &e);
	e.status = ST_NOINTERFACE;
	outcome_on_event(&b, &e);
	CHECK(outcome_differs(&a, &b, names, &m, wa, wb, sizeof wa));
	CHECK_EQ_U(m, 1);
	CHECK(strcmp(wa, "DriverEntry returned STATUS_SUCCESS") == 0);
	CHECK(strcmp(wb, "DriverEntry returned STATUS_NOINTERFACE") == 0);
	/* A failed DriverEntry's unload framing is not an Unload. */
	e = ev(EV_UNLOAD_ENTER, 0, 1, EV_NONE8, 0);
	outcome_on_event(&b, &e);
	e.kind = EV_UNLOAD_EXIT;
	outcome_on_event(&b, &e);
	CHECK_EQ_U(b.unload[1], UNLOAD_NOT_CALLED);
	outcome_on_event(&a, &(struct event){ .kind = EV_UNLOAD_ENTER, .module = 1 });
	CHECK_EQ_U(a.unload[1], UNLOAD_RUNNING);
	outcome_on_event(&a, &(struct event){ .kind = EV_UNLOAD_EXIT, .module = 1 });
	CHECK_EQ_U(a.unload[1], UNLOAD_RETURNED);

	/* Bound in one run, refused by the provider in the other: the provider's. */
	outcome_init(&a, 2);
	outcome_init(&b, 2);
	attach(&a, true, 0, 0, true, 0);
	attach(&b, true, ST_NOINTERFACE, ST_NOINTERFACE, true, ST_NOINTERFACE);
	CHECK(outcome_differs(&a, &b, names, &m, wa, wb, sizeof wa));
	CHECK_EQ_U(m, 1);
	CHECK(strcmp(wa, "accepted C") == 0);
	CHECK(strcmp(wb, "refused the attach of C") == 0);
	/* ... refused by the client without asking: the client's. */
	outcome_init(&b, 2);
	attach(&b, false, 0, ST_NOINTERFACE, false, 0);
	CHECK(outcome_differs(&a, &b, names, &m, wa, wb, sizeof wa));
	CHECK_EQ_U(m, 0);
	CHECK(strcmp(wb, "refused the attach to P") == 0);
	/* ... failed by the registrar (no provider callback): nobody's answer. */
	outcome_init(&b, 2);
	attach(&b, false, 0, (int32_t)0xC000009Au, true, (int32_t)0xC000009Au);
	CHECK(!outcome_differs(&a, &b, names, &m, wa, wb, sizeof wa));
	/* ... never offered: the registrar's timing, not compared. */
	outcome_init(&b, 2);
	CHECK(!outcome_differs(&a, &b, names, &m, wa, wb, sizeof wa));
	/* Sets, not sequences: bound twice vs once is the same answer. */
	outcome_init(&b, 2);
	attach(&b, true, 0, 0, true, 0);
	attach(&b, true, 0, 0, true, 0);
	CHECK(!outcome_differs(&a, &b, names, &m, wa, wb, sizeof wa));
}

static struct scenario scn;

static bool on_dep(void *ctx, const struct freedom_dependence *d)
{
	(void)d;
	++*(int *)ctx;
	return true;
}

static void test_freedoms_scripted(void)
{
	static const char text[] =
		"provider P npi=0 detach=async\n"
		"client C npi=0\n"
		"thread main\n"
		"  register P\n  register C\n  call C\n  unload C\n  unload P\n"
		"thread other\n"
		"  yield\n";
	struct scn_error err;
	if (scn_parse_text(&scn, text, sizeof text - 1, "freedoms.nmr", &err) != 0) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.reason);
		CHECK(0);
		return;
	}
	struct runner r;
	CHECK(runner_init(&r) == 0);
	int deps = 0;
	struct freedom_config fc = { .on_dependence = on_dep, .ctx = &deps };
	struct freedom_stats st = { 0 };
	for (uint64_t seed = 1; seed <= 30; seed++) {
		struct run_source src = { .kind = SOURCE_PRNG, .seed = seed };
		struct run_result res = run_scenario(&r, &scn, &src, NULL);
		CHECK_EQ_U(res.nfindings, 0);
		freedoms_check(&r, &scn, res.choices, res.nchoices, &fc, &st);
	}
	CHECK(st.points > 0);
	CHECK(st.runs > st.points); /* A and at least one B per point */
	CHECK_EQ_U(deps, 0);
	CHECK_EQ_U(st.dependences, 0);
	runner_fini(&r);
}

int main(void)
{
	test_outcome();
	test_freedoms_scripted();
	return check_exit();
}
