/* test_oracle.c - the contract oracle fed hand-built event sequences.
 *
 * For every M and R rule: a sequence that breaks it (the rule is found, with
 * the right module and step) and a correct twin (no finding at all). Then
 * dedup, stop_on_first, capacities, bad input, signatures and the report
 * format. Events follow the per-kind field use of trace.h. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "oracle/oracle.h"
#include "oracle/suppress.h"
#include "scenario/scenario.h"

#define ST_SUCCESS 0
#define ST_PENDING 0x103
#define ST_UNSUCCESSFUL ((int32_t)0xC0000001u)
#define ST_INVALID_PARAMETER ((int32_t)0xC000000Du)
#define ST_NOINTERFACE ((int32_t)0xC00002B9u)
#define ST_INSUFFICIENT_RESOURCES ((int32_t)0xC000009Au)

enum { C0 = 0, P0 = 1, C1 = 2, P1 = 3 };
enum { T0 = 0, T1 = 1, W0 = 4 };

#define HC0 0x01000001u
#define HP0 0x01000002u
#define HC1 0x01000003u
#define HP1 0x01000004u
#define HB0 0x02000001u
#define HB1 0x02000002u
#define GARBAGE 0x7777abcdu

static const char *const names[] = { "C0", "P0", "C1", "P1" };
static struct oracle O;
static uint32_t step;

static uint32_t digest_of(uint8_t module)
{
	return 0xd1000000u + module;
}

static void reset(bool stop_on_first)
{
	oracle_init(&O, names, 4, stop_on_first);
	step = 1;
}

static struct event ev(uint8_t kind, uint8_t thread, uint8_t what, uint8_t module)
{
	struct event e;
	memset(&e, 0, sizeof e);
	e.kind = kind;
	e.thread = thread;
	e.what = what;
	e.module = module;
	e.peer = EV_NONE8;
	e.binding = EV_NONE16;
	return e;
}

/* Feed one event; returns its step. */
static uint32_t feed(struct event e)
{
	e.step = step++;
	oracle_on_event(&O, &e);
	return e.step;
}

/* ---- NMR API sequences ---- */

static uint32_t api_enter(uint8_t thread, uint8_t api, uint8_t module, uint32_t handle, uint8_t irql)
{
	struct event e = ev(EV_API_ENTER, thread, api, module);
	e.handle = handle;
	e.irql = irql;
	return feed(e);
}

static uint32_t api_exit(uint8_t thread, uint8_t api, uint8_t module, uint32_t handle, int32_t status, uint32_t aux)
{
	struct event e = ev(EV_API_EXIT, thread, api, module);
	e.handle = handle;
	e.status = status;
	e.aux = aux;
	return feed(e);
}

static uint32_t reg_full(uint8_t thread, uint8_t module, unsigned role, uint8_t npi, uint32_t handle, uint8_t irql,
			 uint32_t bad, uint32_t digest)
{
	struct event e = ev(EV_API_ENTER, thread, (uint8_t)(API_REGISTER_CLIENT + role), module);
	e.irql = irql;
	e.peer = npi;
	e.arg = bad;
	e.aux = digest;
	uint32_t s = feed(e);
	api_exit(thread, (uint8_t)(API_REGISTER_CLIENT + role), module, handle, ST_SUCCESS, 0);
	return s;
}

static uint32_t reg(uint8_t module, unsigned role, uint8_t npi, uint32_t handle)
{
	return reg_full(T0, module, role, npi, handle, 0, 0, digest_of(module));
}

static uint32_t dereg(uint8_t thread, uint8_t module, unsigned role, uint32_t handle, int32_t status)
{
	uint32_t s = api_enter(thread, (uint8_t)(API_DEREGISTER_CLIENT + role), module, handle, 0);
	api_exit(thread, (uint8_t)(API_DEREGISTER_CLIENT + role), module, handle, status, 0);
	return s;
}

static uint32_t wait_full(uint8_t thread, uint8_t module, unsigned role, uint32_t handle, uint8_t irql, int32_t status,
			  uint32_t digest)
{
	uint32_t s = api_enter(thread, (uint8_t)(API_WAIT_CLIENT + role), module, handle, irql);
	api_exit(thread, (uint8_t)(API_WAIT_CLIENT + role), module, handle, status, digest);
	return s;
}

static uint32_t wait_ok(uint8_t module, unsigned role, uint32_t handle)
{
	return wait_full(T0, module, role, handle, 0, ST_SUCCESS, digest_of(module));
}

static uint32_t dereg_complete(uint8_t module, uint32_t handle)
{
	struct event e = ev(EV_DEREG_COMPLETE, T0, 0, module);
	e.reg = handle;
	return feed(e);
}

static uint32_t unload(uint8_t module, uint32_t allocations, uint32_t work_items)
{
	feed(ev(EV_UNLOAD_ENTER, T0, 0, module));
	struct event e = ev(EV_UNLOAD_EXIT, T0, 0, module);
	e.aux = allocations;
	e.arg = work_items;
	return feed(e);
}

/* ---- bindings ---- */

struct bnd {
	uint32_t handle;
	uint16_t slot;
	uint8_t cm, pm;   /* client / provider module */
	uint32_t cr, pr;  /* their registration handles */
};

static const struct bnd B0 = { HB0, 0, C0, P0, HC0, HP0 };

static uint8_t side_module(const struct bnd *b, unsigned side)
{
	return side ? b->pm : b->cm;
}

static uint32_t cb_enter_irql(uint8_t thread, uint8_t cb, const struct bnd *b, uint8_t irql)
{
	unsigned side = cb & 1u;
	struct event e = ev(EV_CB_ENTER, thread, cb, side_module(b, side));
	e.peer = side_module(b, !side);
	e.handle = b->handle;
	e.reg = side ? b->pr : b->cr;
	e.binding = b->slot;
	e.irql = irql;
	e.aux = digest_of(e.module);
	if (cb <= CB_PROVIDER_ATTACH)
		e.arg = 0; /* NPI index of the other side (the tests use NPI 0 unless said) */
	return feed(e);
}

static uint32_t cb_enter(uint8_t thread, uint8_t cb, const struct bnd *b)
{
	return cb_enter_irql(thread, cb, b, 0);
}

static uint32_t cb_exit(uint8_t thread, uint8_t cb, const struct bnd *b, int32_t status, uint32_t arg)
{
	unsigned side = cb & 1u;
	struct event e = ev(EV_CB_EXIT, thread, cb, side_module(b, side));
	e.peer = side_module(b, !side);
	e.handle = b->handle;
	e.reg = side ? b->pr : b->cr;
	e.binding = b->slot;
	e.status = status;
	e.arg = arg;
	return feed(e);
}

/* ClientAttachProvider -> NmrClientAttachProvider -> ProviderAttachClient, all
 * returning pstatus (the provider's answer), the client returning cstatus. */
static void attach_full(uint8_t thread, const struct bnd *b, int32_t pstatus, int32_t cstatus)
{
	cb_enter(thread, CB_CLIENT_ATTACH, b);
	api_enter(thread, API_CLIENT_ATTACH_PROVIDER, b->cm, b->handle, 0);
	cb_enter(thread, CB_PROVIDER_ATTACH, b);
	cb_exit(thread, CB_PROVIDER_ATTACH, b, pstatus, pstatus == ST_SUCCESS);
	api_exit(thread, API_CLIENT_ATTACH_PROVIDER, b->cm, b->handle, pstatus, 0);
	cb_exit(thread, CB_CLIENT_ATTACH, b, cstatus, 1);
}

static void attach(const struct bnd *b)
{
	attach_full(T0, b, ST_SUCCESS, ST_SUCCESS);
}

static uint32_t detach(uint8_t thread, unsigned side, const struct bnd *b, int32_t status)
{
	uint32_t s = cb_enter(thread, (uint8_t)(CB_CLIENT_DETACH + side), b);
	cb_exit(thread, (uint8_t)(CB_CLIENT_DETACH + side), b, status, 0);
	return s;
}

static uint32_t cleanup(uint8_t thread, unsigned side, const struct bnd *b)
{
	uint32_t s = cb_enter(thread, (uint8_t)(CB_CLIENT_CLEANUP + side), b);
	cb_exit(thread, (uint8_t)(CB_CLIENT_CLEANUP + side), b, 0, 0);
	return s;
}

static uint32_t complete(uint8_t thread, unsigned side, uint8_t module, uint32_t handle)
{
	uint8_t api = (uint8_t)(side ? API_PROVIDER_DETACH_COMPLETE : API_CLIENT_DETACH_COMPLETE);
	uint32_t s = api_enter(thread, api, module, handle, 0);
	api_exit(thread, api, module, handle, 0, 0);
	return s;
}

static uint32_t call(uint8_t module, uint8_t peer, const struct bnd *b)
{
	struct event e = ev(EV_CALL_ENTER, T0, 0, module);
	e.peer = peer;
	e.handle = b->handle;
	e.binding = b->slot;
	uint32_t s = feed(e);
	e.kind = EV_CALL_EXIT;
	feed(e);
	return s;
}

/* ---- whole runs ---- */

/* C0 and P0 register (NPI 0) and attach binding B0. */
static void setup_pair(void)
{
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	attach(&B0);
}

/* The client deregisters; both detach callbacks and cleanups run inside. */
static void teardown_client_first(void)
{
	api_enter(T0, API_DEREGISTER_CLIENT, C0, HC0, 0);
	detach(T0, 0, &B0, ST_SUCCESS);
	detach(T0, 1, &B0, ST_SUCCESS);
	cleanup(T0, 0, &B0);
	cleanup(T0, 1, &B0);
	api_exit(T0, API_DEREGISTER_CLIENT, C0, HC0, ST_PENDING, 0);
	dereg_complete(C0, HC0);
	wait_ok(C0, ROLE_CLIENT, HC0);
	unload(C0, 0, 0);
}

static void teardown_provider(void)
{
	dereg(T0, P0, ROLE_PROVIDER, HP0, ST_PENDING);
	dereg_complete(P0, HP0);
	wait_ok(P0, ROLE_PROVIDER, HP0);
	unload(P0, 0, 0);
}

static void correct_run(void)
{
	setup_pair();
	teardown_client_first();
	teardown_provider();
}

/* ---- assertions ---- */

static const struct finding *find(enum rule r)
{
	for (uint32_t i = 0; i < O.nfindings; i++)
		if (O.findings[i].rule == r)
			return &O.findings[i];
	return NULL;
}

static void dump(void)
{
	for (uint32_t i = 0; i < O.nfindings; i++)
		oracle_print_finding(&O, &O.findings[i], stderr);
}

/* Rule r found with that module and step. */
#define EXPECT(r, m, s) expect_at(__LINE__, r, m, s, false)
/* ... and it is the only finding. */
#define EXPECT_ONLY(r, m, s) expect_at(__LINE__, r, m, s, true)
#define EXPECT_CLEAN() expect_clean(__LINE__)

static void expect_at(int line, enum rule r, uint8_t module, uint32_t s, bool only)
{
	const struct finding *f = find(r);
	check_count++;
	if (!f || f->module != module || f->step != s || (only && O.findings_total != 1)) {
		check_failures++;
		fprintf(stderr, "line %d: expected %s module %u step %u%s; got %u finding(s):\n", line,
			rule_info(r)->id, module, s, only ? " only" : "", O.findings_total);
		dump();
	}
}

static void expect_clean(int line)
{
	check_count++;
	if (O.findings_total != 0) {
		check_failures++;
		fprintf(stderr, "line %d: expected no finding; got %u:\n", line, O.findings_total);
		dump();
	}
}

static bool detail_has(enum rule r, const char *text)
{
	const struct finding *f = find(r);
	return f && strstr(f->detail, text);
}

/* ---- the correct baseline ---- */

static void test_correct(void)
{
	reset(false);
	correct_run();
	oracle_finish(&O, false);
	EXPECT_CLEAN();
	/* rule coverage of a plain run */
	CHECK(oracle_rule_touched(&O, RULE_M01));
	CHECK(oracle_rule_touched(&O, RULE_M04));
	CHECK(oracle_rule_touched(&O, RULE_M09));
	CHECK(oracle_rule_touched(&O, RULE_M12));
	CHECK(oracle_rule_touched(&O, RULE_R06));
	CHECK(oracle_rule_touched(&O, RULE_R08));
	CHECK(oracle_rule_touched(&O, RULE_M20));
	CHECK(!oracle_rule_touched(&O, RULE_M15));
	CHECK(!oracle_rule_touched(&O, RULE_M17));
	CHECK(!oracle_rule_touched(&O, RULE_M18));
	CHECK(!oracle_rule_touched(&O, RULE_L01));

	/* provider first, callbacks on a worker at DISPATCH, PENDING + Complete */
	reset(false);
	setup_pair();
	api_enter(T0, API_DEREGISTER_PROVIDER, P0, HP0, 0);
	api_exit(T0, API_DEREGISTER_PROVIDER, P0, HP0, ST_PENDING, 0);
	cb_enter_irql(W0, CB_PROVIDER_DETACH, &B0, 2);
	cb_exit(W0, CB_PROVIDER_DETACH, &B0, ST_PENDING, 0);
	cb_enter_irql(W0, CB_CLIENT_DETACH, &B0, 2);
	cb_exit(W0, CB_CLIENT_DETACH, &B0, ST_PENDING, 0);
	call(C0, P0, &B0); /* allowed: the client's detach pends */
	complete(T1, 1, P0, HB0);
	complete(T1, 0, C0, HB0);
	cleanup(T1, 0, &B0);
	cleanup(T1, 1, &B0);
	dereg_complete(P0, HP0);
	wait_ok(P0, ROLE_PROVIDER, HP0);
	unload(P0, 0, 0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	dereg_complete(C0, HC0);
	wait_ok(C0, ROLE_CLIENT, HC0);
	unload(C0, 0, 0);
	oracle_finish(&O, false);
	EXPECT_CLEAN();
	CHECK(oracle_rule_touched(&O, RULE_M15));
	CHECK(oracle_rule_touched(&O, RULE_M17));
	CHECK(oracle_rule_touched(&O, RULE_M18));

	/* a module registers again after its wait returned (new handle) */
	reset(false);
	correct_run();
	reg(C0, ROLE_CLIENT, 0, HC1);
	dereg(T0, C0, ROLE_CLIENT, HC1, ST_PENDING);
	wait_ok(C0, ROLE_CLIENT, HC1);
	unload(C0, 0, 0);
	oracle_finish(&O, false);
	EXPECT_CLEAN();
}

/* ---- M rules ---- */

static void test_m01_m02(void)
{
	reset(false);
	uint32_t s = reg_full(T0, C0, ROLE_CLIENT, 0, HC0, 2, 0, digest_of(C0));
	EXPECT_ONLY(RULE_M01, C0, s);
	reset(false);
	reg_full(T0, C0, ROLE_CLIENT, 0, HC0, 0, 0, digest_of(C0));
	EXPECT_CLEAN();

	reset(false);
	s = reg_full(T1, P0, ROLE_PROVIDER, 0, HP0, 0, CHARS_BAD_ATTACH_BIT | CHARS_BAD_NPIID_BIT, digest_of(P0));
	EXPECT_ONLY(RULE_M02, P0, s);
	CHECK(detail_has(RULE_M02, "ProviderAttachClient NULL"));
	CHECK(detail_has(RULE_M02, "ProviderRegistrationInstance.NpiId NULL"));
	CHECK(detail_has(RULE_M02, "NmrRegisterProvider"));
	CHECK_EQ_U(find(RULE_M02)->thread, T1);
	reset(false);
	reg_full(T1, P0, ROLE_PROVIDER, 0, HP0, 0, 0, digest_of(P0));
	EXPECT_CLEAN();

	/* With the front's note, a reason names field and value. */
	reset(false);
	O.chars_note = (struct oracle_chars_note){ .valid = true, .length = 4, .length_min = 64, .ri_size = 40,
						   .ri_size_min = 40 };
	s = reg_full(T0, C0, ROLE_CLIENT, 0, HC0, 0, CHARS_BAD_LENGTH_BIT, digest_of(C0));
	EXPECT_ONLY(RULE_M02, C0, s);
	CHECK(detail_has(RULE_M02, "NPI_CLIENT_CHARACTERISTICS.Length = 4 (the structure is 64 bytes)"));
	CHECK(!detail_has(RULE_M02, "Size"));
}

/* M22: the registration instance's Version is an advisory of its own, not
 * M02 (it was reported as "Length/Size too small"), named with its value;
 * an advisory does not stop a stop_on_first run unless advisories fail. */
static void test_m22(void)
{
	reset(true);
	O.chars_note = (struct oracle_chars_note){ .valid = true, .length = 64, .length_min = 64, .ri_version = 1,
						   .ri_size = 40, .ri_size_min = 40 };
	uint32_t s = reg_full(T0, C0, ROLE_CLIENT, 0, HC0, 0, CHARS_BAD_RI_VERSION_BIT, digest_of(C0));
	EXPECT_ONLY(RULE_M22, C0, s);
	CHECK(detail_has(RULE_M22, "ClientRegistrationInstance.Version = 1"));
	CHECK(!find(RULE_M02));
	CHECK(!O.stop_requested);
	CHECK_EQ_U(oracle_failing(&O), 0);
	CHECK(rule_is_advisory(RULE_M22) && !rule_is_advisory(RULE_M02));
	/* without the note (a trace replayed into the oracle): the field only */
	reset(false);
	reg_full(T1, P0, ROLE_PROVIDER, 0, HP0, 0, CHARS_BAD_RI_VERSION_BIT, digest_of(P0));
	CHECK(detail_has(RULE_M22, "ProviderRegistrationInstance.Version != 0"));
	/* asked to: it fails and stops the run */
	reset(true);
	O.advisories_fail = true;
	reg_full(T0, C0, ROLE_CLIENT, 0, HC0, 0, CHARS_BAD_RI_VERSION_BIT, digest_of(C0));
	CHECK(O.stop_requested);
	CHECK_EQ_U(oracle_failing(&O), 1);
}

/* Suppressions: a matched finding is counted, not kept, and does not stop
 * the run; the others stay. */
static void test_suppress(void)
{
	static struct suppress sup;
	char path[] = "/tmp/nmrsim-test-suppress-XXXXXX", err[300];
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# set aside\nrule:M0[1] module:C*\nsignature:M02 P0 NmrRegister*  \n", f);
	fclose(f);
	CHECK_EQ_U(suppress_load(&sup, path, err, sizeof err), 0);
	CHECK_EQ_U(sup.n, 2);
	reset(true);
	O.suppress = &sup;
	reg_full(T0, C0, ROLE_CLIENT, 0, HC0, 2, 0, digest_of(C0));                    /* M01 C0: suppressed */
	reg_full(T1, P0, ROLE_PROVIDER, 0, HP0, 0, CHARS_BAD_ATTACH_BIT, digest_of(P0)); /* M02 P0: suppressed */
	CHECK_EQ_U(O.suppressed, 2);
	CHECK_EQ_U(O.nfindings, 0);
	CHECK(!O.stop_requested);
	reg_full(T1, P0, ROLE_PROVIDER, 0, HP0, 2, 0, digest_of(P0));                  /* M01 P0: kept */
	CHECK(find(RULE_M01) && find(RULE_M01)->module == P0);
	CHECK(O.stop_requested);
	/* malformed files: file:line: reason */
	f = fopen(path, "w");
	fputs("rule:M22\n\nbogus:M22\n", f);
	fclose(f);
	CHECK(suppress_load(&sup, path, err, sizeof err) == -1);
	CHECK(strstr(err, ":3: unknown key") != NULL);
	f = fopen(path, "w");
	fputs("rule:M2\n", f);
	fclose(f);
	CHECK(suppress_load(&sup, path, err, sizeof err) == -1);
	CHECK(strstr(err, ":1: unknown rule ID") != NULL);
	f = fopen(path, "w");
	fputs("module:\n", f);
	fclose(f);
	CHECK(suppress_load(&sup, path, err, sizeof err) == -1);
	CHECK(strstr(err, ":1: empty pattern") != NULL);
	unlink(path);
	CHECK(suppress_load(&sup, path, err, sizeof err) == -1);
}

static void test_m03(void)
{
	/* changed before a callback */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg_full(T0, P0, ROLE_PROVIDER, 0, HP0, 0, 0, digest_of(P0) + 1); /* registered with another digest */
	uint32_t s = cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	CHECK(!find(RULE_M03));
	api_enter(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0);
	s = cb_enter(T0, CB_PROVIDER_ATTACH, &B0); /* P0's digest now differs from the one registered */
	EXPECT_ONLY(RULE_M03, P0, s);
	CHECK(detail_has(RULE_M03, "ProviderAttachClient"));
	/* once per registration */
	cb_exit(T0, CB_PROVIDER_ATTACH, &B0, ST_SUCCESS, 1);
	api_exit(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0, 0);
	cb_exit(T0, CB_CLIENT_ATTACH, &B0, ST_SUCCESS, 1);
	CHECK(O.regs[1].digest_flagged);
	CHECK_EQ_U(O.findings_total, 1);

	/* changed before the wait returned */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	s = wait_full(T0, C0, ROLE_CLIENT, HC0, 0, ST_SUCCESS, 0x12345678u);
	EXPECT_ONLY(RULE_M03, C0, s + 1); /* seen at the wait's exit */
	/* after the wait returned, a change is allowed */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	wait_ok(C0, ROLE_CLIENT, HC0);
	reg_full(T0, C0, ROLE_CLIENT, 0, HC1, 0, 0, 0x12345678u); /* new characteristics, new handle */
	dereg(T0, C0, ROLE_CLIENT, HC1, ST_PENDING);
	wait_full(T0, C0, ROLE_CLIENT, HC1, 0, ST_SUCCESS, 0x12345678u);
	EXPECT_CLEAN();
	CHECK(oracle_rule_touched(&O, RULE_M03));
}

static void test_m04_m05(void)
{
	/* already deregistered */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	uint32_t s = dereg(T0, C0, ROLE_CLIENT, HC0, ST_INVALID_PARAMETER);
	EXPECT_ONLY(RULE_M04, C0, s);
	CHECK(detail_has(RULE_M04, "already deregistered at step"));
	/* never returned by Register */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	s = dereg(T0, C0, ROLE_CLIENT, GARBAGE, ST_INVALID_PARAMETER);
	EXPECT_ONLY(RULE_M04, C0, s);
	CHECK(detail_has(RULE_M04, "not a handle"));
	/* the other role's handle */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	s = dereg(T0, C0, ROLE_CLIENT, HP0, ST_INVALID_PARAMETER);
	EXPECT_ONLY(RULE_M04, C0, s);
	CHECK(detail_has(RULE_M04, "provider registration"));
	/* a binding handle */
	reset(false);
	setup_pair();
	s = dereg(T0, P0, ROLE_PROVIDER, HB0, ST_INVALID_PARAMETER);
	EXPECT_ONLY(RULE_M04, P0, s);
	CHECK(detail_has(RULE_M04, "binding handle"));
	/* twin */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	EXPECT_CLEAN();

	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	s = api_enter(T0, API_DEREGISTER_CLIENT, C0, HC0, 3);
	api_exit(T0, API_DEREGISTER_CLIENT, C0, HC0, ST_PENDING, 0);
	EXPECT_ONLY(RULE_M05, C0, s);
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	api_enter(T0, API_DEREGISTER_CLIENT, C0, HC0, 2);
	api_exit(T0, API_DEREGISTER_CLIENT, C0, HC0, ST_PENDING, 0);
	EXPECT_CLEAN();
}

static void test_m06_m09(void)
{
	/* M06: wait before deregister */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	uint32_t s = wait_full(T0, C0, ROLE_CLIENT, HC0, 0, ST_INVALID_PARAMETER, digest_of(C0));
	EXPECT_ONLY(RULE_M06, C0, s);
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	wait_ok(C0, ROLE_CLIENT, HC0);
	EXPECT_CLEAN();

	/* M07: garbage, second wait, other role, binding handle */
	reset(false);
	s = wait_full(T0, C0, ROLE_CLIENT, GARBAGE, 0, ST_INVALID_PARAMETER, 0);
	EXPECT_ONLY(RULE_M07, C0, s);
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	wait_ok(C0, ROLE_CLIENT, HC0);
	s = wait_full(T0, C0, ROLE_CLIENT, HC0, 0, ST_INVALID_PARAMETER, digest_of(C0));
	EXPECT_ONLY(RULE_M07, C0, s);
	CHECK(detail_has(RULE_M07, "wait already returned"));
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	s = wait_full(T0, C0, ROLE_PROVIDER, HC0, 0, ST_INVALID_PARAMETER, 0);
	EXPECT_ONLY(RULE_M07, C0, s);
	reset(false);
	setup_pair();
	s = wait_full(T0, P0, ROLE_PROVIDER, HB0, 0, ST_INVALID_PARAMETER, 0);
	EXPECT_ONLY(RULE_M07, P0, s);

	/* M08 */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	s = wait_full(T0, C0, ROLE_CLIENT, HC0, 2, ST_SUCCESS, digest_of(C0));
	EXPECT_ONLY(RULE_M08, C0, s);
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	wait_full(T0, C0, ROLE_CLIENT, HC0, 1, ST_SUCCESS, digest_of(C0));
	EXPECT_CLEAN();

	/* M09: the client waits for its own deregistration inside its detach */
	reset(false);
	setup_pair();
	api_enter(T0, API_DEREGISTER_CLIENT, C0, HC0, 0);
	cb_enter(T0, CB_CLIENT_DETACH, &B0);
	s = api_enter(T0, API_WAIT_CLIENT, C0, HC0, 0);
	EXPECT_ONLY(RULE_M09, C0, s);
	CHECK(detail_has(RULE_M09, "inside ClientDetachProvider"));
	/* twin: the same wait outside any callback */
	reset(false);
	setup_pair();
	api_enter(T0, API_DEREGISTER_CLIENT, C0, HC0, 0);
	detach(T0, 0, &B0, ST_SUCCESS);
	api_enter(T1, API_WAIT_CLIENT, C0, HC0, 0);
	EXPECT_CLEAN();
	/* several at once: wrong handle, DISPATCH, inside a callback */
	reset(false);
	setup_pair();
	cb_enter(W0, CB_CLIENT_DETACH, &B0);
	s = api_enter(W0, API_WAIT_PROVIDER, C0, GARBAGE, 2);
	CHECK_EQ_U(O.findings_total, 3);
	EXPECT(RULE_M08, C0, s);
	EXPECT(RULE_M09, C0, s);
	if (ORACLE_FINDINGS_MAX >= 3) /* the tiny configuration keeps 2 */
		EXPECT(RULE_M07, C0, s);
}

static void test_m10(void)
{
	reset(false);
	setup_pair();
	api_enter(T0, API_DEREGISTER_PROVIDER, P0, HP0, 0);
	cb_enter(T0, CB_PROVIDER_DETACH, &B0);
	struct event b = ev(EV_BLOCK, T0, BLOCK_SLEEP, EV_NONE8);
	b.arg = EV_NONE16;
	uint32_t s = feed(b);
	EXPECT_ONLY(RULE_M10, P0, s);
	CHECK_EQ_U(find(RULE_M10)->site, CB_PROVIDER_DETACH);
	CHECK_EQ_U(find(RULE_M10)->binding, 0);
	CHECK_EQ_U(find(RULE_M10)->handle, HB0);
	/* in a cleanup callback too */
	reset(false);
	setup_pair();
	cb_enter(W0, CB_CLIENT_CLEANUP, &B0);
	b.thread = W0;
	s = feed(b);
	EXPECT(RULE_M10, C0, s);

	/* twins: blocking outside callbacks, in an attach callback, or the
	 * deregistration wait (that is M09's) */
	reset(false);
	setup_pair();
	b.thread = T0;
	feed(b);
	feed(ev(EV_WAKE, T0, 0, EV_NONE8));
	cb_enter(T1, CB_CLIENT_ATTACH, &(struct bnd){ HB1, 1, C1, P1, HC1, HP1 });
	b.thread = T1;
	feed(b);
	cb_enter(W0, CB_CLIENT_DETACH, &B0);
	b.thread = W0;
	b.what = BLOCK_DEREG_WAIT;
	feed(b);
	EXPECT_CLEAN();
}

static void test_m11_m12_m13(void)
{
	/* M11 outside any callback */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	uint32_t s = api_enter(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0);
	api_exit(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, ST_INVALID_PARAMETER, 0);
	EXPECT_ONLY(RULE_M11, C0, s);
	CHECK(detail_has(RULE_M11, "outside any NMR callback"));
	/* M11 with another binding handle; the client returns what it got */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	s = api_enter(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB1, 0);
	api_exit(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB1, ST_INVALID_PARAMETER, 0);
	cb_exit(T0, CB_CLIENT_ATTACH, &B0, ST_INVALID_PARAMETER, 1);
	EXPECT_ONLY(RULE_M11, C0, s);
	CHECK(detail_has(RULE_M11, "binding handle 0x02000001"));

	/* M12: SUCCESS without NmrClientAttachProvider (the event's arg lies: own observation wins) */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	s = cb_exit(T0, CB_CLIENT_ATTACH, &B0, ST_SUCCESS, 1);
	EXPECT_ONLY(RULE_M12, C0, s);
	CHECK(detail_has(RULE_M12, "without calling"));
	/* the binding never attached: the registrar's cleanup of it is not R07 (tainted) */
	cleanup(T0, 0, &B0);
	CHECK_EQ_U(O.findings_total, 1);
	/* M12: got NOINTERFACE, returned SUCCESS */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	attach_full(T0, &B0, ST_NOINTERFACE, ST_SUCCESS);
	EXPECT_ONLY(RULE_M12, C0, step - 1);
	CHECK(detail_has(RULE_M12, "STATUS_NOINTERFACE"));
	/* M12: got SUCCESS, returned NOINTERFACE */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	attach_full(T0, &B0, ST_SUCCESS, ST_NOINTERFACE);
	EXPECT_ONLY(RULE_M12, C0, step - 1);
	/* twins: declined both ways, without calling and after the provider declined */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	attach_full(T0, &B0, ST_NOINTERFACE, ST_NOINTERFACE);
	cb_enter(T0, CB_CLIENT_ATTACH, &(struct bnd){ HB1, 1, C0, P0, HC0, HP0 });
	cb_exit(T0, CB_CLIENT_ATTACH, &(struct bnd){ HB1, 1, C0, P0, HC0, HP0 }, ST_NOINTERFACE, 0);
	EXPECT_CLEAN();

	/* M13 */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	api_enter(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0);
	cb_enter(T0, CB_PROVIDER_ATTACH, &B0);
	s = cb_exit(T0, CB_PROVIDER_ATTACH, &B0, ST_SUCCESS, 0);
	EXPECT_ONLY(RULE_M13, P0, s);
	/* twin: a failed provider attach need not write outputs */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	api_enter(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0);
	cb_enter(T0, CB_PROVIDER_ATTACH, &B0);
	cb_exit(T0, CB_PROVIDER_ATTACH, &B0, ST_NOINTERFACE, 0);
	api_exit(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, ST_NOINTERFACE, 0);
	cb_exit(T0, CB_CLIENT_ATTACH, &B0, ST_NOINTERFACE, 1);
	EXPECT_CLEAN();
}

static void test_m14_m15_m16_m17(void)
{
	/* M14 */
	reset(false);
	setup_pair();
	cb_enter(W0, CB_CLIENT_DETACH, &B0);
	uint32_t s = cb_exit(W0, CB_CLIENT_DETACH, &B0, ST_UNSUCCESSFUL, 0);
	EXPECT_ONLY(RULE_M14, C0, s);
	CHECK(detail_has(RULE_M14, "STATUS_UNSUCCESSFUL"));
	/* twin: PENDING + Complete */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_PENDING);
	complete(T1, 0, C0, HB0);
	EXPECT_CLEAN();

	/* M15: Complete before the detach callback */
	reset(false);
	setup_pair();
	s = complete(T0, 0, C0, HB0);
	EXPECT_ONLY(RULE_M15, C0, s);
	/* M15: after a detach that returned SUCCESS */
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_SUCCESS);
	s = complete(T0, 1, P0, HB0);
	EXPECT_ONLY(RULE_M15, P0, s);
	CHECK(detail_has(RULE_M15, "returned STATUS_SUCCESS"));
	/* M15: a second Complete */
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_PENDING);
	complete(T0, 1, P0, HB0);
	s = complete(T0, 1, P0, HB0);
	EXPECT_ONLY(RULE_M15, P0, s);
	CHECK(detail_has(RULE_M15, "second Complete"));
	/* M15: Complete inside the detach callback, which then returns SUCCESS:
	 * found at the callback's exit, site the Complete API */
	reset(false);
	setup_pair();
	cb_enter(W0, CB_CLIENT_DETACH, &B0);
	complete(W0, 0, C0, HB0);
	CHECK_EQ_U(O.findings_total, 0);
	s = cb_exit(W0, CB_CLIENT_DETACH, &B0, ST_SUCCESS, 0);
	EXPECT_ONLY(RULE_M15, C0, s);
	CHECK_EQ_U(find(RULE_M15)->site_kind, SITE_API);
	CHECK_EQ_U(find(RULE_M15)->site, API_CLIENT_DETACH_COMPLETE);
	/* twin: the in-flight pattern - Complete before the callback returns PENDING */
	reset(false);
	setup_pair();
	cb_enter(W0, CB_CLIENT_DETACH, &B0);
	complete(T1, 0, C0, HB0);
	cb_exit(W0, CB_CLIENT_DETACH, &B0, ST_PENDING, 0);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 0, &B0);
	cleanup(W0, 1, &B0);
	oracle_finish(&O, false);
	EXPECT_CLEAN();

	/* M16: garbage handle, registration handle, the other side's Complete */
	reset(false);
	setup_pair();
	s = complete(T0, 0, C0, GARBAGE);
	EXPECT_ONLY(RULE_M16, C0, s);
	reset(false);
	setup_pair();
	s = complete(T0, 1, P0, HP0);
	EXPECT_ONLY(RULE_M16, P0, s);
	CHECK(detail_has(RULE_M16, "registration handle"));
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_PENDING);
	s = complete(T0, 1, C0, HB0); /* the client calls the provider's Complete */
	EXPECT_ONLY(RULE_M16, C0, s);
	CHECK(detail_has(RULE_M16, "belongs to P0"));
	/* twin */
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_PENDING);
	complete(T0, 1, P0, HB0);
	EXPECT_CLEAN();

	/* M17 (also reported when the run hung) */
	for (int hung = 0; hung < 2; hung++) {
		reset(false);
		setup_pair();
		api_enter(T0, API_DEREGISTER_PROVIDER, P0, HP0, 0);
		detach(T0, 0, &B0, ST_SUCCESS);
		s = detach(T0, 1, &B0, ST_PENDING);
		api_exit(T0, API_DEREGISTER_PROVIDER, P0, HP0, ST_PENDING, 0);
		CHECK_EQ_U(O.findings_total, 0);
		oracle_finish(&O, hung != 0);
		uint32_t last = step - 1;
		EXPECT_ONLY(RULE_M17, P0, last);
		CHECK_EQ_U(find(RULE_M17)->site, CB_PROVIDER_DETACH);
		CHECK(detail_has(RULE_M17, "NmrProviderDetachClientComplete never called"));
		(void)s;
	}
	/* twin */
	reset(false);
	setup_pair();
	api_enter(T0, API_DEREGISTER_PROVIDER, P0, HP0, 0);
	detach(T0, 0, &B0, ST_SUCCESS);
	detach(T0, 1, &B0, ST_PENDING);
	api_exit(T0, API_DEREGISTER_PROVIDER, P0, HP0, ST_PENDING, 0);
	complete(W0, 1, P0, HB0);
	cleanup(W0, 0, &B0);
	cleanup(W0, 1, &B0);
	oracle_finish(&O, false);
	EXPECT_CLEAN();
}

static void test_m18_m19(void)
{
	/* M18 after a detach that returned SUCCESS */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	uint32_t s = call(C0, P0, &B0);
	EXPECT_ONLY(RULE_M18, C0, s);
	CHECK_EQ_U(find(RULE_M18)->site_kind, SITE_CALL);
	/* M18 after Complete */
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_PENDING);
	complete(W0, 1, P0, HB0);
	s = call(P0, C0, &B0);
	EXPECT_ONLY(RULE_M18, P0, s);
	/* twin: calls before the detach and while it pends */
	reset(false);
	setup_pair();
	call(C0, P0, &B0);
	detach(W0, 0, &B0, ST_PENDING);
	call(C0, P0, &B0);
	call(P0, C0, &B0); /* the provider's own detach has not begun */
	complete(W0, 0, C0, HB0);
	EXPECT_CLEAN();

	/* M19: a call after cleanup (not M18), a Complete after cleanup (not M15/M16) */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 0, &B0);
	s = call(C0, P0, &B0);
	EXPECT_ONLY(RULE_M19, C0, s);
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_PENDING);
	detach(W0, 1, &B0, ST_SUCCESS);
	complete(W0, 0, C0, HB0);
	cleanup(W0, 0, &B0);
	cleanup(W0, 1, &B0);
	s = complete(T0, 0, C0, HB0);
	EXPECT_ONLY(RULE_M19, C0, s);
	CHECK_EQ_U(find(RULE_M19)->site, API_CLIENT_DETACH_COMPLETE);
	/* twin: the provider still calls after the client's cleanup? no: only before its own detach */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	call(P0, C0, &B0);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 0, &B0);
	cleanup(W0, 1, &B0);
	EXPECT_CLEAN();
}

static void test_m20_m21(void)
{
	/* still registered */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	uint32_t s = unload(C0, 0, 0);
	EXPECT_ONLY(RULE_M20, C0, s);
	CHECK(detail_has(RULE_M20, "still registered"));
	/* deregistered, no wait */
	reset(false);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	dereg(T0, P0, ROLE_PROVIDER, HP0, ST_PENDING);
	s = unload(P0, 0, 0);
	EXPECT_ONLY(RULE_M20, P0, s);
	CHECK(detail_has(RULE_M20, "wait not returned"));
	/* twin: other modules' registrations do not matter */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	dereg(T0, P0, ROLE_PROVIDER, HP0, ST_PENDING);
	wait_ok(P0, ROLE_PROVIDER, HP0);
	unload(P0, 0, 0);
	EXPECT_CLEAN();

	reset(false);
	s = unload(C0, 2, 0);
	EXPECT_ONLY(RULE_M21, C0, s);
	reset(false);
	s = unload(C1, 0, 1);
	EXPECT_ONLY(RULE_M21, C1, s);
	CHECK(detail_has(RULE_M21, "1 work item"));
	reset(false);
	unload(C1, 0, 0);
	EXPECT_CLEAN();
}

/* ---- R rules ---- */

static void test_r01_r02_r03(void)
{
	/* R01: C1 (NPI 1) offered P0 (NPI 0) */
	const struct bnd b10 = { HB1, 1, C1, P0, HC1, HP0 };
	reset(false);
	reg(C1, ROLE_CLIENT, 1, HC1);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	uint32_t s = cb_enter(T0, CB_CLIENT_ATTACH, &b10);
	EXPECT_ONLY(RULE_R01, C1, s);
	reset(false);
	reg(C1, ROLE_CLIENT, 1, HC1);
	reg(P1, ROLE_PROVIDER, 1, HP1);
	attach(&(struct bnd){ HB1, 1, C1, P1, HC1, HP1 });
	EXPECT_CLEAN();

	/* R02: a second binding for C0/P0 while B0 exists */
	const struct bnd b1 = { HB1, 1, C0, P0, HC0, HP0 };
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 0, &B0); /* only one side cleaned up */
	s = cb_enter(T0, CB_CLIENT_ATTACH, &b1);
	EXPECT_ONLY(RULE_R02, C0, s);
	/* twin: after both cleanups, or after a failed attach */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	attach_full(T0, &(struct bnd){ 0x02000009u, 2, C0, P0, HC0, HP0 }, ST_NOINTERFACE, ST_NOINTERFACE);
	attach(&B0);
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 0, &B0);
	cleanup(W0, 1, &B0);
	attach(&b1);
	EXPECT_CLEAN();

	/* R03: client attach after NmrDeregisterClient returned */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	s = cb_enter(W0, CB_CLIENT_ATTACH, &B0);
	EXPECT_ONLY(RULE_R03, C0, s);
	/* R03: provider attach after NmrDeregisterProvider returned */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	cb_enter(W0, CB_CLIENT_ATTACH, &B0);
	dereg(T0, P0, ROLE_PROVIDER, HP0, ST_PENDING);
	api_enter(W0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0);
	s = cb_enter(W0, CB_PROVIDER_ATTACH, &B0);
	EXPECT_ONLY(RULE_R03, P0, s);
	/* twin: an attach racing with a deregistration that has not returned */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	api_enter(T0, API_DEREGISTER_CLIENT, C0, HC0, 0);
	attach_full(W0, &B0, ST_SUCCESS, ST_SUCCESS);
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 0, &B0);
	cleanup(W0, 1, &B0);
	api_exit(T0, API_DEREGISTER_CLIENT, C0, HC0, ST_PENDING, 0);
	EXPECT_CLEAN();

	/* F1: the attach arrives inside NmrRegisterClient, before its handle returned */
	reset(false);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	struct event e = ev(EV_API_ENTER, T0, API_REGISTER_CLIENT, C0);
	e.peer = 0;
	e.aux = digest_of(C0);
	feed(e);
	attach(&B0);
	api_exit(T0, API_REGISTER_CLIENT, C0, HC0, ST_SUCCESS, 0);
	teardown_client_first();
	teardown_provider();
	oracle_finish(&O, false);
	EXPECT_CLEAN();
	/* ... a register that fails after its callback forgets the registration */
	reset(false);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	e.module = C0;
	feed(e);
	cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	cb_exit(T0, CB_CLIENT_ATTACH, &B0, ST_NOINTERFACE, 0);
	api_exit(T0, API_REGISTER_CLIENT, C0, 0, ST_INSUFFICIENT_RESOURCES, 0);
	unload(C0, 0, 0); /* not M20: C0 holds no registration */
	EXPECT_CLEAN();
	/* ... and one of another NPI is still R01 */
	reset(false);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	e.module = C1;
	e.peer = 1;
	e.aux = digest_of(C1);
	feed(e);
	s = cb_enter(T1, CB_CLIENT_ATTACH, &b10);
	EXPECT_ONLY(RULE_R01, C1, s);
}

static void test_r04_r05_r06(void)
{
	/* R04: the client's deregistration completes, provider side not detached */
	reset(false);
	setup_pair();
	api_enter(T0, API_DEREGISTER_CLIENT, C0, HC0, 0);
	detach(T0, 0, &B0, ST_SUCCESS);
	api_exit(T0, API_DEREGISTER_CLIENT, C0, HC0, ST_PENDING, 0);
	uint32_t s = dereg_complete(C0, HC0);
	EXPECT_ONLY(RULE_R04, C0, s);
	CHECK(detail_has(RULE_R04, "provider side"));
	/* ... a PENDING detach is not completed either */
	reset(false);
	setup_pair();
	detach(T0, 0, &B0, ST_SUCCESS);
	detach(T0, 1, &B0, ST_PENDING);
	s = dereg_complete(P0, HP0);
	EXPECT_ONLY(RULE_R04, P0, s);
	/* twin */
	reset(false);
	setup_pair();
	detach(T0, 0, &B0, ST_SUCCESS);
	detach(T0, 1, &B0, ST_PENDING);
	complete(T0, 1, P0, HB0);
	dereg_complete(P0, HP0);
	EXPECT_CLEAN();

	/* R05 */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	s = detach(W0, 0, &B0, ST_SUCCESS);
	EXPECT_ONLY(RULE_R05, C0, s);
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	EXPECT_CLEAN();

	/* R06: cleanup while the provider's detach pends */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_PENDING);
	s = cleanup(W0, 0, &B0);
	EXPECT_ONLY(RULE_R06, C0, s);
	/* R06: cleanup inside a Complete made while the detach still runs */
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_SUCCESS);
	cb_enter(W0, CB_CLIENT_DETACH, &B0);
	api_enter(T1, API_CLIENT_DETACH_COMPLETE, C0, HB0, 0);
	s = cb_enter(T1, CB_PROVIDER_CLEANUP, &B0);
	EXPECT_ONLY(RULE_R06, P0, s);
	/* twin: cleanup inside the Complete after the callback returned PENDING */
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_SUCCESS);
	detach(W0, 0, &B0, ST_PENDING);
	api_enter(T1, API_CLIENT_DETACH_COMPLETE, C0, HB0, 0);
	cleanup(T1, 1, &B0);
	cleanup(T1, 0, &B0);
	api_exit(T1, API_CLIENT_DETACH_COMPLETE, C0, HB0, 0, 0);
	EXPECT_CLEAN();
}

static void test_r07_r08(void)
{
	/* R07 twice */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 1, &B0);
	uint32_t s = cleanup(W0, 1, &B0);
	EXPECT_ONLY(RULE_R07, P0, s);
	CHECK_EQ_U(find(RULE_R07)->site, CB_PROVIDER_CLEANUP);
	/* R07 for a failed attach */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	attach_full(T0, &B0, ST_NOINTERFACE, ST_NOINTERFACE);
	s = cleanup(W0, 0, &B0);
	EXPECT_ONLY(RULE_R07, C0, s);
	CHECK(detail_has(RULE_R07, "attach failed"));
	/* R07 never: both detached, the client's cleanup missing at the end */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 1, &B0);
	oracle_finish(&O, false);
	EXPECT_ONLY(RULE_R07, C0, step - 1);
	CHECK_EQ_U(find(RULE_R07)->site_kind, SITE_END);
	/* ... not when the run hung */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 1, &B0);
	oracle_finish(&O, true);
	EXPECT_CLEAN();
	/* twin */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_SUCCESS);
	cleanup(W0, 1, &B0);
	cleanup(W0, 0, &B0);
	oracle_finish(&O, false);
	EXPECT_CLEAN();

	/* R08: the provider's wait returns before the client's cleanup */
	reset(false);
	setup_pair();
	api_enter(T0, API_DEREGISTER_PROVIDER, P0, HP0, 0);
	detach(T0, 0, &B0, ST_SUCCESS);
	detach(T0, 1, &B0, ST_SUCCESS);
	cleanup(T0, 1, &B0);
	api_exit(T0, API_DEREGISTER_PROVIDER, P0, HP0, ST_PENDING, 0);
	dereg_complete(P0, HP0);
	s = wait_ok(P0, ROLE_PROVIDER, HP0);
	EXPECT_ONLY(RULE_R08, P0, s + 1);
	CHECK_EQ_U(find(RULE_R08)->site, API_WAIT_PROVIDER);
	/* twin: a failed wait is not a return */
	reset(false);
	setup_pair();
	dereg(T0, P0, ROLE_PROVIDER, HP0, ST_PENDING);
	wait_full(T0, P0, ROLE_PROVIDER, HP0, 0, ST_UNSUCCESSFUL, digest_of(P0));
	EXPECT_CLEAN();
}

static void test_r09_r10_r11_r12(void)
{
	/* R09 attach above PASSIVE, detach above DISPATCH */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	uint32_t s = cb_enter_irql(W0, CB_CLIENT_ATTACH, &B0, 1);
	EXPECT_ONLY(RULE_R09, C0, s);
	reset(false);
	setup_pair();
	s = cb_enter_irql(W0, CB_PROVIDER_DETACH, &B0, 15);
	EXPECT_ONLY(RULE_R09, P0, s);
	reset(false);
	setup_pair();
	cb_enter_irql(W0, CB_PROVIDER_DETACH, &B0, 2);
	cb_exit(W0, CB_PROVIDER_DETACH, &B0, ST_SUCCESS, 0);
	cb_enter_irql(W0, CB_CLIENT_DETACH, &B0, 2);
	cb_exit(W0, CB_CLIENT_DETACH, &B0, ST_SUCCESS, 0);
	cb_enter_irql(W0, CB_CLIENT_CLEANUP, &B0, 2);
	EXPECT_CLEAN();

	/* R10: a callback after the wait returned (a detach with no binding pending) */
	reset(false);
	setup_pair();
	teardown_client_first();
	s = cb_enter(W0, CB_CLIENT_DETACH, &B0);
	EXPECT(RULE_R10, C0, s);
	CHECK(find(RULE_R05) != NULL); /* it is also a second detach */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	wait_ok(C0, ROLE_CLIENT, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	s = cb_enter(W0, CB_CLIENT_ATTACH, &B0);
	EXPECT(RULE_R10, C0, s);
	EXPECT(RULE_R03, C0, s);

	/* R11 */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	s = dereg(T0, C0, ROLE_CLIENT, HC0, ST_SUCCESS);
	EXPECT_ONLY(RULE_R11, C0, s + 1);
	/* twin: an error for an invalid handle is M04's business, not R11 */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	s = dereg(T0, C0, ROLE_CLIENT, HC0, ST_INVALID_PARAMETER);
	EXPECT_ONLY(RULE_M04, C0, s);

	/* R12: client detach inside the client attach (not returned yet) */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	api_enter(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0);
	cb_enter(T0, CB_PROVIDER_ATTACH, &B0);
	cb_exit(T0, CB_PROVIDER_ATTACH, &B0, ST_SUCCESS, 1);
	api_exit(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, ST_SUCCESS, 0);
	s = cb_enter(W0, CB_PROVIDER_DETACH, &B0);
	EXPECT_ONLY(RULE_R12, P0, s);
	CHECK(detail_has(RULE_R12, "ClientAttachProvider had not returned"));
	/* R12: provider detach while the provider attach runs */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	cb_enter(T0, CB_CLIENT_ATTACH, &B0);
	api_enter(T0, API_CLIENT_ATTACH_PROVIDER, C0, HB0, 0);
	cb_enter(T0, CB_PROVIDER_ATTACH, &B0);
	s = cb_enter(W0, CB_PROVIDER_CLEANUP, &B0);
	EXPECT_ONLY(RULE_R12, P0, s);
	/* R12: a detach for a binding handle no attach received */
	reset(false);
	setup_pair();
	s = detach(W0, 0, &(struct bnd){ HB1, 1, C0, P0, HC0, HP0 }, ST_SUCCESS);
	EXPECT_ONLY(RULE_R12, C0, s);
	/* twin: a detach right after the attach returned */
	reset(false);
	setup_pair();
	detach(W0, 1, &B0, ST_SUCCESS);
	EXPECT_CLEAN();
}

/* R13: the registrar's answer to a call it must refuse. */
static void test_r13(void)
{
	/* a second NmrDeregisterClient of one handle answered PENDING */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	uint32_t s = dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	EXPECT(RULE_M04, C0, s);
	EXPECT(RULE_R13, C0, s + 1);
	CHECK_EQ_U(O.findings_total, 2);
	CHECK(detail_has(RULE_R13, "already deregistered returned STATUS_PENDING"));
	CHECK(oracle_rule_touched(&O, RULE_R13));
	/* ... answered SUCCESS; a binding handle, the other role's, NULL answered PENDING */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	s = dereg(T0, C0, ROLE_CLIENT, HC0, ST_SUCCESS);
	EXPECT(RULE_R13, C0, s + 1);
	reset(false);
	setup_pair();
	s = dereg(T0, P0, ROLE_PROVIDER, HB0, ST_PENDING);
	EXPECT(RULE_R13, P0, s + 1);
	CHECK(detail_has(RULE_R13, "a binding handle"));
	reset(false);
	setup_pair();
	s = dereg(T0, C0, ROLE_CLIENT, HP0, ST_PENDING);
	EXPECT(RULE_R13, C0, s + 1);
	reset(false);
	s = dereg(T0, C0, ROLE_CLIENT, 0, ST_PENDING);
	EXPECT(RULE_R13, C0, s + 1);
	/* twin: every one of them refused with an error status: M04 alone */
	reset(false);
	setup_pair();
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_INVALID_PARAMETER);
	dereg(T0, P0, ROLE_PROVIDER, HB0, ST_UNSUCCESSFUL);
	dereg(T0, P0, ROLE_PROVIDER, HC0, ST_INVALID_PARAMETER);
	dereg(T0, P0, ROLE_PROVIDER, GARBAGE, ST_INVALID_PARAMETER);
	CHECK(find(RULE_M04) != NULL);
	CHECK(find(RULE_R13) == NULL);
	CHECK(oracle_rule_touched(&O, RULE_R13));
	/* not judged: an unknown handle while an NmrRegister* is in flight (F1) */
	reset(false);
	api_enter(T1, API_REGISTER_CLIENT, C1, 0, 0);
	s = dereg(T0, C0, ROLE_CLIENT, GARBAGE, ST_PENDING);
	EXPECT_ONLY(RULE_M04, C0, s);

	/* Wait before Deregister answered SUCCESS; the other role's answered UNSUCCESSFUL */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	s = wait_full(T0, C0, ROLE_CLIENT, HC0, 0, ST_SUCCESS, digest_of(C0));
	EXPECT(RULE_M06, C0, s);
	EXPECT(RULE_R13, C0, s + 1);
	CHECK(detail_has(RULE_R13, "not deregistered yet returned STATUS_SUCCESS, not STATUS_INVALID_PARAMETER"));
	reset(false);
	setup_pair();
	s = wait_full(T0, P0, ROLE_PROVIDER, HC0, 0, ST_UNSUCCESSFUL, 0);
	EXPECT(RULE_M07, P0, s);
	EXPECT(RULE_R13, P0, s + 1);
	/* twin: STATUS_INVALID_PARAMETER */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	s = wait_full(T0, C0, ROLE_CLIENT, HC0, 0, ST_INVALID_PARAMETER, digest_of(C0));
	EXPECT_ONLY(RULE_M06, C0, s);

	/* a refused Complete (a garbage handle) that cleans up a binding inside the call */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_PENDING);
	api_enter(T0, API_PROVIDER_DETACH_COMPLETE, P0, GARBAGE, 0);
	s = cleanup(T0, 0, &B0);
	EXPECT(RULE_M16, P0, s - 1);
	EXPECT(RULE_R13, P0, s);
	CHECK(detail_has(RULE_R13, "delivered ClientCleanupBindingContext to C0 inside the call"));
	/* a refused Complete (detach not delivered yet) that completes a deregistration inside the call */
	reset(false);
	setup_pair();
	api_enter(T0, API_CLIENT_DETACH_COMPLETE, C0, HB0, 0);
	s = dereg_complete(C0, HC0);
	EXPECT(RULE_M15, C0, s - 1);
	if (ORACLE_FINDINGS_MAX >= 3) /* the tiny configuration keeps 2: M15, R04 */
		EXPECT(RULE_R13, C0, s);
	/* twin: the same cleanup inside the right Complete */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_PENDING);
	api_enter(T0, API_PROVIDER_DETACH_COMPLETE, P0, HB0, 0);
	cleanup(T0, 0, &B0);
	cleanup(T0, 1, &B0);
	api_exit(T0, API_PROVIDER_DETACH_COMPLETE, P0, HB0, 0, 0);
	oracle_finish(&O, false);
	EXPECT_CLEAN();
	/* twin: a refused Complete with no effect, then the right one */
	reset(false);
	setup_pair();
	detach(W0, 0, &B0, ST_SUCCESS);
	detach(W0, 1, &B0, ST_PENDING);
	s = complete(T0, 1, P0, GARBAGE);
	complete(T0, 1, P0, HB0);
	cleanup(T0, 0, &B0);
	cleanup(T0, 1, &B0);
	oracle_finish(&O, false);
	EXPECT_ONLY(RULE_M16, P0, s);
	CHECK(find(RULE_R13) == NULL);
}

/* ---- findings machinery ---- */

static void test_dedup_stop(void)
{
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	uint32_t first = dereg(T0, C0, ROLE_CLIENT, HC0, ST_INVALID_PARAMETER);
	dereg(T1, C0, ROLE_CLIENT, GARBAGE, ST_INVALID_PARAMETER); /* same signature */
	CHECK_EQ_U(O.nfindings, 1);
	CHECK_EQ_U(O.findings_total, 1);
	CHECK_EQ_U(O.findings[0].step, first);
	CHECK(!O.stop_requested);
	dereg(T0, P0, ROLE_PROVIDER, GARBAGE, ST_INVALID_PARAMETER); /* another module and API */
	CHECK_EQ_U(O.findings_total, 2);

	reset(true);
	reg(C0, ROLE_CLIENT, 0, HC0);
	CHECK(!O.stop_requested);
	wait_full(T0, C0, ROLE_CLIENT, HC0, 0, ST_INVALID_PARAMETER, digest_of(C0));
	CHECK(O.stop_requested);
	CHECK_EQ_U(O.findings_total, 1);

	/* more distinct findings than kept */
	reset(false);
	for (uint8_t m = 0; m < 20; m++)
		unload(m, 1, 0);
	CHECK_EQ_U(O.findings_total, 20);
	CHECK_EQ_U(O.nfindings, ORACLE_FINDINGS_MAX);
	CHECK_EQ_U(O.findings[0].module, 0);
	/* oracle_report goes through the same dedup */
	reset(false);
	oracle_report(&O, RULE_L01, SITE_HANG, BLOCK_DEREG_WAIT, EV_NONE8, 0, EV_NONE16, 0, "all blocked\nx");
	oracle_report(&O, RULE_L01, SITE_HANG, BLOCK_DEREG_WAIT, EV_NONE8, 1, EV_NONE16, 0, "again");
	CHECK_EQ_U(O.findings_total, 1);
	CHECK(strcmp(O.findings[0].detail, "all blocked x") == 0);
	CHECK(oracle_rule_touched(&O, RULE_L01));
}

static void test_capacity(void)
{
	/* registrations that never finish: more than the shadow holds */
	reset(false);
	for (uint32_t i = 0; i < ORACLE_REGS_MAX + 10; i++)
		reg(C0, ROLE_CLIENT, 0, 0x03000000u + i);
	CHECK(O.regs_dropped == 10);
	CHECK_EQ_U(O.findings_total, 0);
	/* finished ones are recycled: many register/deregister/wait cycles */
	reset(false);
	for (uint32_t i = 0; i < ORACLE_REGS_MAX * 3; i++) {
		uint32_t h = 0x03000000u + i;
		reg(C0, ROLE_CLIENT, 0, h);
		dereg(T0, C0, ROLE_CLIENT, h, ST_PENDING);
		wait_ok(C0, ROLE_CLIENT, h);
	}
	EXPECT_CLEAN();
	CHECK_EQ_U(O.regs_dropped, 0);

	/* bindings that never finish */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	for (uint32_t i = 0; i < ORACLE_BINDINGS_MAX + 10; i++) {
		struct bnd b = { 0x04000000u + i, (uint16_t)i, C0, P0, HC0, HP0 };
		cb_enter(T0, CB_CLIENT_ATTACH, &b);
		cb_exit(T0, CB_CLIENT_ATTACH, &b, ST_NOINTERFACE, 0); /* failed: finished, recyclable */
	}
	CHECK_EQ_U(O.bindings_dropped, 0);
	CHECK(O.bindings_recycled > 0);
	EXPECT_CLEAN();
	/* attached and never detached: dropped past capacity (duplicates are R02: use distinct pairs) */
	reset(false);
	for (uint32_t i = 0; i < ORACLE_BINDINGS_MAX + 10; i++) {
		struct bnd b = { 0x04000000u + i, (uint16_t)i, C0, P0, 0x05000000u + i, 0x06000000u + i };
		attach(&b);
	}
	CHECK(O.bindings_dropped >= 10); /* each attach callback of an untracked binding counts */
	/* after drops an unknown binding's detach is not reported as R12 */
	detach(W0, 0, &(struct bnd){ 0x04000000u + ORACLE_BINDINGS_MAX + 5, 0, C0, P0, 0, 0 }, ST_SUCCESS);
	EXPECT_CLEAN();
	/* full lifecycle many times */
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	reg(P0, ROLE_PROVIDER, 0, HP0);
	for (uint32_t i = 0; i < ORACLE_BINDINGS_MAX * 3; i++) {
		struct bnd b = { 0x04000000u + i, (uint16_t)(i % 7), C0, P0, HC0, HP0 };
		attach(&b);
		detach(W0, 0, &b, ST_SUCCESS);
		detach(W0, 1, &b, ST_PENDING);
		complete(T1, 1, P0, b.handle);
		cleanup(T1, 0, &b);
		cleanup(T1, 1, &b);
	}
	oracle_finish(&O, false);
	EXPECT_CLEAN();

	/* nesting deeper than recorded, and exits without enters */
	reset(false);
	setup_pair();
	for (int i = 0; i < ORACLE_CB_DEPTH_MAX + 4; i++)
		cb_enter(T1, CB_CLIENT_CLEANUP, &B0);
	for (int i = 0; i < ORACLE_CB_DEPTH_MAX + 8; i++)
		cb_exit(T1, CB_CLIENT_CLEANUP, &B0, 0, 0);
	for (int i = 0; i < ORACLE_API_DEPTH_MAX + 4; i++)
		api_enter(T1, API_CLIENT_DETACH_COMPLETE, C0, GARBAGE, 0);
	for (int i = 0; i < ORACLE_API_DEPTH_MAX + 8; i++)
		api_exit(T1, API_WAIT_CLIENT, C0, GARBAGE, 0, 0);
	CHECK(O.threads[T1].depth == 0);
	CHECK_EQ_U(O.findings_total, 3); /* R06 at the first cleanup, R07 for the others, M16 */
	CHECK(find(RULE_R06) != NULL);

	/* thread ids out of range and junk fields */
	reset(false);
	struct event e = ev(EV_API_ENTER, 200, API_CLIENT_ATTACH_PROVIDER, 250);
	feed(e);
	e.kind = EV_CB_ENTER;
	e.what = 77;
	feed(e);
	e.what = CB_CLIENT_ATTACH;
	feed(e);
	e.kind = EV_CB_EXIT;
	feed(e);
	e.kind = EV_BLOCK;
	feed(e);
	e.kind = 99;
	feed(e);
	CHECK(O.nfindings <= ORACLE_FINDINGS_MAX);

	/* random events: no crash (the sanitizer build checks memory), bounded counters */
	reset(false);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		struct event r;
		memset(&r, 0, sizeof r);
		r.kind = (uint8_t)(x % (EV_KIND_COUNT + 1));
		r.thread = (uint8_t)((x >> 8) % (SIM_THREADS_MAX + 2));
		r.irql = (uint8_t)((x >> 12) % 4);
		r.what = (uint8_t)((x >> 16) % 10);
		r.module = (uint8_t)((x >> 20) % 6);
		r.peer = (uint8_t)((x >> 24) % 6);
		r.binding = (uint16_t)((x >> 28) % 8);
		r.handle = (uint32_t)((x >> 32) % 24) + 1;
		r.reg = (uint32_t)((x >> 40) % 24) + 1;
		r.status = (x >> 45) & 1 ? ST_PENDING : (x >> 46) & 1 ? ST_SUCCESS : ST_UNSUCCESSFUL;
		r.arg = (uint32_t)((x >> 50) % 3);
		r.aux = (uint32_t)((x >> 53) % 3);
		r.step = (uint32_t)i;
		oracle_on_event(&O, &r);
	}
	oracle_finish(&O, false);
	CHECK(O.nfindings <= ORACLE_FINDINGS_MAX);
	CHECK(O.nregs <= ORACLE_REGS_MAX);
	CHECK(O.nbindings <= ORACLE_BINDINGS_MAX);
	CHECK(O.findings_total >= O.nfindings);
}

static struct scenario scn; /* large: static */

static void test_format(void)
{
	reset(false);
	reg(C0, ROLE_CLIENT, 0, HC0);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_PENDING);
	dereg(T0, C0, ROLE_CLIENT, HC0, ST_INVALID_PARAMETER); /* step 5 */
	const struct finding *f = find(RULE_M04);
	CHECK(f != NULL);
	if (!f)
		return;
	char sig[96];
	oracle_signature(&O, f, sig, sizeof sig);
	CHECK(strcmp(sig, "M04 C0 NmrDeregisterClient") == 0);
	CHECK_EQ_U(f->event, 4); /* events 0-1 register, 2-3 deregister, 4 the second enter */

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	oracle_print_finding(&O, f, out);
	fclose(out);
	const char *want =
		"violation M04 deregister-handle at step 5, thread thread-0, module C0, handle 0x01000001\n"
		"  contract: NmrDeregister* takes a live registration handle of that role, returned by NmrRegister* and not yet deregistered.\n"
		"  what: NmrDeregisterClient(0x01000001): registration of C0 already deregistered at step 3\n"
		"signature: M04 C0 NmrDeregisterClient\n";
	CHECK(text && strcmp(text, want) == 0);
	if (text && strcmp(text, want) != 0)
		fprintf(stderr, "got:\n%s", text);
	free(text);

	/* with the scenario's thread names, a binding, and a module without a name */
	memset(&scn, 0, sizeof scn);
	scn.nthreads = 1;
	scn.workers = 1;
	memcpy(scn.thread_names[0], "main", 5);
	O.scenario = &scn;
	struct finding g = *f;
	g.thread = 1;
	g.module = 9;
	g.binding = 3;
	g.handle = 0;
	snprintf(g.detail, sizeof g.detail, "x");
	text = NULL;
	out = open_memstream(&text, &len);
	oracle_print_finding(&O, &g, out);
	fclose(out);
	const char *want2 = "violation M04 deregister-handle at step 5, thread nmr-worker-0, module #9, binding #3\n";
	CHECK(text && strncmp(text, want2, strlen(want2)) == 0);
	free(text);
	g.thread = 0;
	text = NULL;
	out = open_memstream(&text, &len);
	oracle_print_finding(&O, &g, out);
	fclose(out);
	CHECK(text && strstr(text, "thread main, module #9") != NULL);
	free(text);

	/* every site name */
	struct { uint8_t kind, site, module; const char *want; } sites[] = {
		{ SITE_CB, CB_PROVIDER_CLEANUP, P0, "R07 P0 ProviderCleanupBindingContext" },
		{ SITE_CALL, 0, C1, "R07 C1 dispatch" },
		{ SITE_UNLOAD, 0, C0, "R07 C0 Unload" },
		{ SITE_END, 0, 7, "R07 #7 end" },
		{ SITE_HANG, BLOCK_SLEEP, EV_NONE8, "R07 - sleep" },
	};
	for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
		g.rule = RULE_R07;
		g.site_kind = sites[i].kind;
		g.site = sites[i].site;
		g.module = sites[i].module;
		oracle_signature(&O, &g, sig, sizeof sig);
		CHECK(strcmp(sig, sites[i].want) == 0);
	}
	oracle_signature(&O, &g, sig, 4);
	CHECK(strcmp(sig, "R07") == 0);

	/* no module names at all */
	oracle_init(&O, NULL, 0, false);
	g.module = 0;
	oracle_signature(&O, &g, sig, sizeof sig);
	CHECK(strcmp(sig, "R07 #0 sleep") == 0);
}

int main(void)
{
	test_correct();
	test_m01_m02();
	test_m22();
	test_suppress();
	test_m03();
	test_m04_m05();
	test_m06_m09();
	test_m10();
	test_m11_m12_m13();
	test_m14_m15_m16_m17();
	test_m18_m19();
	test_m20_m21();
	test_r01_r02_r03();
	test_r04_r05_r06();
	test_r07_r08();
	test_r09_r10_r11_r12();
	test_r13();
	test_dedup_stop();
	test_capacity();
	test_format();
	return check_exit();
}
