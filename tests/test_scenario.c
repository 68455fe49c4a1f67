/* test_scenario.c - the scenario codec: text parse/print, binary
 * decode/encode, names, errors and capacities (works in the tiny build). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rules.h"
#include "scenario/scenario.h"

/* The struct is large: keep every instance static. */
static struct scenario A, B, C;
static char text_a[1 << 20], text_b[1 << 20];
static uint8_t bin_a[1 << 14], bin_b[1 << 14];
static struct scn_error err;

static int parse(struct scenario *s, const char *text)
{
	return scn_parse_text(s, text, strlen(text), "t.nmr", &err);
}

/* Byte-equal, except choices[] past nchoices: those entries mean nothing,
 * and scn_decode_binary leaves them as they were (zeroing the 128 KB array
 * on every decode cost a fifth of a fuzzing run), so a struct that held a
 * text scenario with choices keeps them after a decode. Everything else,
 * padding included, must match byte for byte. */
static bool same(const struct scenario *x, const struct scenario *y)
{
	size_t head = offsetof(struct scenario, choices), tail = offsetof(struct scenario, has_hash);
	if (memcmp(x, y, head) != 0 || memcmp((const char *)x + tail, (const char *)y + tail, sizeof *x - tail) != 0)
		return false;
	uint32_t n = x->nchoices < SCN_CHOICES_MAX ? x->nchoices : SCN_CHOICES_MAX; /* == y->nchoices */
	return memcmp(x->choices, y->choices, n * sizeof x->choices[0]) == 0;
}

static bool valid_name(const char *n)
{
	size_t len = strnlen(n, SCN_NAME_MAX);
	if (len == 0 || len >= SCN_NAME_MAX)
		return false;
	for (size_t i = len; i < SCN_NAME_MAX; i++)
		if (n[i])
			return false; /* tails are zero */
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Everything the text parser guarantees. */
static bool invariants(const struct scenario *s)
{
	if (s->nmodules > SCN_MODULES_MAX || s->nthreads < 1 || s->nthreads > SCN_THREADS_MAX || s->nops > SCN_OPS_MAX)
		return false;
	if (s->workers > NMR_WORKERS_MAX || s->registrar >= REGISTRAR_COUNT || s->sched >= SCHED_COUNT)
		return false;
	if (s->pct_depth < 1 || s->pct_depth > CHOICE_PCT_DEPTH_MAX || (s->sched != SCHED_PCT && s->pct_depth != 3))
		return false;
	if (s->fault_num > s->fault_den || s->steps_max < 1 || s->steps_max > SCN_STEPS_MAX)
		return false;
	if (s->sched != SCHED_SEED && s->sched != SCHED_PCT && s->seed != 0)
		return false;
	for (unsigned i = 0; i < s->nmodules; i++) {
		const struct scn_module *m = &s->modules[i];
		if (!valid_name(m->name) || m->role > 1 || m->npi >= SCN_NPIS_MAX || m->attach >= ATTACH_COUNT ||
		    m->detach >= DETACH_COUNT || m->unload >= UNLOAD_COUNT || m->chars >= CHARS_COUNT || (m->flags & ~FLAG_ALL))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(s->modules[j].name, m->name) == 0)
				return false;
	}
	if (!all_zero(&s->modules[s->nmodules], (SCN_MODULES_MAX - s->nmodules) * sizeof s->modules[0]))
		return false;
	for (unsigned t = 0; t < s->nthreads; t++) {
		if (!valid_name(s->thread_names[t]))
			return false;
		for (unsigned j = 0; j < t; j++)
			if (strcmp(s->thread_names[j], s->thread_names[t]) == 0)
				return false;
	}
	if (!all_zero(s->thread_names[s->nthreads], (SCN_THREADS_MAX - s->nthreads) * (size_t)SCN_NAME_MAX))
		return false;
	for (unsigned i = 0; i < s->nops; i++) {
		const struct scn_op *op = &s->ops[i];
		enum scn_op_kind k = (enum scn_op_kind)op->kind;
		if (op->kind >= OP_KIND_COUNT || op->thread >= s->nthreads || (i && op->thread < s->ops[i - 1].thread))
			return false;
		if (scn_op_takes_module(k) ? op->module >= s->nmodules : op->module != 0)
			return false;
		if (k == OP_IRQL ? op->arg > SCN_IRQL_MAX : scn_op_takes_handle(k) ? op->arg >= HSEL_COUNT :
		    k == OP_SLEEP ? op->arg == 0 : op->arg != 0)
			return false;
	}
	if (!all_zero(&s->ops[s->nops], (SCN_OPS_MAX - s->nops) * sizeof s->ops[0]))
		return false;
	if (s->sched_len > SCN_SCHED_BYTES_MAX || (s->sched != SCHED_BYTES && s->sched_len))
		return false;
	if (!all_zero(&s->sched_bytes[s->sched_len], SCN_SCHED_BYTES_MAX - s->sched_len))
		return false;
	if (s->nchoices > SCN_CHOICES_MAX || (s->nchoices && s->sched != SCHED_REPLAY))
		return false;
	if (s->nexpect > SCN_EXPECT_MAX || (s->expect != EXPECT_RULES && s->nexpect))
		return false;
	return true;
}

/* print(s) parses back to s, and printing that again gives the same text. */
static bool print_fixpoint(const struct scenario *s)
{
	size_t n = scn_print_text(s, text_a, sizeof text_a);
	if (n >= sizeof text_a || strlen(text_a) != n)
		return false;
	if (parse(&C, text_a) != 0) {
		fprintf(stderr, "reparse failed: line %u: %s\n%s", err.line, err.reason, text_a);
		return false;
	}
	size_t m = scn_print_text(&C, text_b, sizeof text_b);
	return same(s, &C) && m == n && strcmp(text_a, text_b) == 0;
}

/* decode(encode(s)) == s */
static bool binary_roundtrip(const struct scenario *s)
{
	size_t n = scn_encode_binary(s, bin_a, sizeof bin_a);
	if (n > sizeof bin_a)
		return false;
	scn_decode_binary(&C, bin_a, n);
	return same(s, &C);
}

static void test_empty(void)
{
	static struct scenario init;
	scn_init(&init);
	CHECK(parse(&A, "") == 0);
	CHECK(same(&A, &init));
	CHECK(scn_parse_text(&A, NULL, 0, NULL, NULL) == 0);
	CHECK(same(&A, &init));
	CHECK(parse(&A, "# only a comment\n\n   \t\n") == 0);
	CHECK(same(&A, &init));
	scn_decode_binary(&B, NULL, 0);
	CHECK_EQ_U(B.workers, 0); /* missing bytes read as 0: the only difference */
	B.workers = 1;
	CHECK(same(&B, &init));
	CHECK_EQ_U(B.nmodules, 0);
	CHECK_EQ_U(B.nthreads, 1);
	CHECK_EQ_U(B.nops, 0);
	CHECK(invariants(&init));
	CHECK_EQ_U(init.workers, 1);
	CHECK_EQ_U(init.steps_max, STEPS_DEFAULT);
	CHECK_EQ_U(init.sched, SCHED_BYTES);
	CHECK_EQ_U(init.pct_depth, 3);
	CHECK_EQ_U(init.expect, EXPECT_NONE);
	scn_print_text(&init, text_a, sizeof text_a);
	CHECK(strcmp(text_a, "thread T0\n") == 0);
	CHECK(print_fixpoint(&init));
	CHECK(binary_roundtrip(&init));
}

static const char rich[] =
	"# a rich scenario (fits the tiny configuration)\n"
	"steps 5000 # budget\n"
	"workers 2\n"
	"faults 1/8\n"
	"registrar double-detach\n"
	"schedule bytes 00 01 ff\n"
	"schedule bytes 0a0B\n"
	"hash 0123456789ABCDEF\n"
	"expect M17 L03 R05\n"
	"provider P npi=3 attach=noout detach=async unload=nowait chars=bad-version flags=unsafe-calls,leak\n"
	"client\tC   npi=3 detach=never attach=wrong-handle unload=noderegister chars=null-moduleid flags=leak\n"
	"client Cx-2_\n"
	"register P\n"
	"thread main\n"
	"  register C\n"
	"  call C\n"
	"  deregister C handle=stale\n"
	"  wait C handle=garbage\n"
	"  complete P handle=binding\n"
	"  irql dispatch\n"
	"  attach C\n"
	"  mutate P\n"
	"  poll Cx-2_\n"
	"  unload P\n"
	"  yield";

static void test_rich(void)
{
	CHECK(parse(&A, rich) == 0);
	CHECK(invariants(&A));
	CHECK_EQ_U(A.steps_max, 5000);
	CHECK_EQ_U(A.workers, 2);
	CHECK_EQ_U(A.fault_num, 1);
	CHECK_EQ_U(A.fault_den, 8);
	CHECK_EQ_U(A.registrar, MUTANT_DOUBLE_DETACH);
	CHECK_EQ_U(A.sched, SCHED_BYTES);
	CHECK_EQ_U(A.sched_len, 5);
	CHECK(memcmp(A.sched_bytes, "\x00\x01\xff\x0a\x0b", 5) == 0);
	CHECK(A.has_hash);
	CHECK_EQ_U(A.hash, 0x0123456789abcdefull);
	CHECK_EQ_U(A.expect, EXPECT_RULES);
	CHECK_EQ_U(A.nexpect, 3);
	CHECK_EQ_U(A.expect_rules[0], RULE_M17);
	CHECK_EQ_U(A.expect_rules[1], RULE_L03);
	CHECK_EQ_U(A.expect_rules[2], RULE_R05);
	CHECK_EQ_U(A.nmodules, 3);
	const struct scn_module *p = &A.modules[0], *c = &A.modules[1], *x = &A.modules[2];
	CHECK(strcmp(p->name, "P") == 0 && strcmp(c->name, "C") == 0 && strcmp(x->name, "Cx-2_") == 0);
	CHECK_EQ_U(p->role, ROLE_PROVIDER);
	CHECK_EQ_U(p->npi, 3);
	CHECK_EQ_U(p->attach, ATTACH_NOOUT);
	CHECK_EQ_U(p->detach, DETACH_ASYNC);
	CHECK_EQ_U(p->unload, UNLOAD_NOWAIT);
	CHECK_EQ_U(p->chars, CHARS_BAD_VERSION);
	CHECK_EQ_U(p->flags, FLAG_UNSAFE_CALLS | FLAG_LEAK);
	CHECK_EQ_U(c->role, ROLE_CLIENT);
	CHECK_EQ_U(c->attach, ATTACH_WRONG_HANDLE);
	CHECK_EQ_U(c->detach, DETACH_NEVER);
	CHECK_EQ_U(c->unload, UNLOAD_NODEREG);
	CHECK_EQ_U(c->chars, CHARS_NULL_MODULEID);
	CHECK_EQ_U(c->flags, FLAG_LEAK);
	CHECK(x->role == ROLE_CLIENT && x->npi == 0 && x->attach == ATTACH_ACCEPT && x->detach == DETACH_SUCCESS &&
	      x->unload == UNLOAD_CORRECT && x->chars == CHARS_OK && x->flags == 0);
	CHECK_EQ_U(A.nthreads, 2);
	CHECK(strcmp(A.thread_names[0], "T0") == 0 && strcmp(A.thread_names[1], "main") == 0);
	static const struct scn_op want[] = {
		{ OP_REGISTER, 0, 0, 0, 0 }, { OP_REGISTER, 1, 1, 0, 0 }, { OP_CALL, 1, 1, 0, 0 },
		{ OP_DEREGISTER, 1, 1, HSEL_STALE, 0 }, { OP_WAIT, 1, 1, HSEL_GARBAGE, 0 }, { OP_COMPLETE, 1, 0, HSEL_BINDING, 0 },
		{ OP_IRQL, 1, 0, SCN_IRQL_DISPATCH, 0 }, { OP_ATTACH, 1, 1, 0, 0 }, { OP_MUTATE, 1, 0, 0, 0 },
		{ OP_POLL, 1, 2, 0, 0 }, { OP_UNLOAD, 1, 0, 0, 0 }, { OP_YIELD, 1, 0, 0, 0 },
	};
	CHECK_EQ_U(A.nops, sizeof want / sizeof want[0]);
	CHECK(memcmp(A.ops, want, sizeof want) == 0);
	CHECK(print_fixpoint(&A));
	scn_print_text(&A, text_a, sizeof text_a);
	CHECK(strstr(text_a, "hash 0123456789abcdef\n") != NULL);
	CHECK(strstr(text_a, "schedule bytes 00 01 ff 0a 0b\n") != NULL);
	CHECK(strstr(text_a, "provider P npi=3 attach=noout detach=async unload=nowait chars=bad-version flags=unsafe-calls,leak\n") != NULL);
	CHECK(strstr(text_a, "thread T0\n  register P\nthread main\n  register C\n") != NULL);

	/* truncated printing: the needed length, NUL-terminated prefix */
	size_t need = scn_print_text(&A, NULL, 0);
	CHECK_EQ_U(need, strlen(text_a));
	char small[17];
	memset(small, 'x', sizeof small);
	CHECK_EQ_U(scn_print_text(&A, small, sizeof small), need);
	CHECK(strlen(small) == 16 && memcmp(small, text_a, 16) == 0);
	/* truncated encoding: the needed length, nothing beyond cap */
	size_t blen = scn_encode_binary(&A, NULL, 0);
	uint8_t tiny[5] = { 0 };
	CHECK_EQ_U(scn_encode_binary(&A, tiny, 4), blen);
	CHECK_EQ_U(tiny[4], 0);
}

/* One module line / op per enum value, checked and round-tripped. */
static void test_values(void)
{
	char buf[256];
	for (unsigned v = 0; v < ATTACH_COUNT + DETACH_COUNT + UNLOAD_COUNT + CHARS_COUNT; v++) {
		unsigned a = v, d = v - ATTACH_COUNT, u = d - DETACH_COUNT, ch = u - UNLOAD_COUNT;
		if (a < ATTACH_COUNT)
			snprintf(buf, sizeof buf, "provider M attach=%s\n", scn_attach_name((enum scn_attach)a));
		else if (d < DETACH_COUNT)
			snprintf(buf, sizeof buf, "provider M detach=%s\n", scn_detach_name((enum scn_detach)d));
		else if (u < UNLOAD_COUNT)
			snprintf(buf, sizeof buf, "provider M unload=%s\n", scn_unload_name((enum scn_unload)u));
		else
			snprintf(buf, sizeof buf, "provider M chars=%s\n", scn_chars_name((enum scn_chars)ch));
		CHECK(parse(&A, buf) == 0);
		const struct scn_module *m = &A.modules[0];
		CHECK(a < ATTACH_COUNT ? m->attach == a : d < DETACH_COUNT ? m->detach == d :
		      u < UNLOAD_COUNT ? m->unload == u : m->chars == ch);
		CHECK(print_fixpoint(&A));
	}
	for (unsigned h = 0; h < HSEL_COUNT; h++) {
		snprintf(buf, sizeof buf, "client C\nwait C handle=%s\ncomplete C handle=%s\n",
			 scn_handle_name((enum scn_handle)h), scn_handle_name((enum scn_handle)h));
		CHECK(parse(&A, buf) == 0);
		CHECK(A.ops[0].arg == h && A.ops[0].kind == OP_WAIT && A.ops[1].arg == h);
		CHECK(print_fixpoint(&A));
	}
	for (unsigned r = 0; r < REGISTRAR_COUNT; r++) {
		snprintf(buf, sizeof buf, "registrar %s\n", scn_registrar_name((enum scn_registrar)r));
		CHECK(parse(&A, buf) == 0);
		CHECK_EQ_U(A.registrar, r);
		CHECK(print_fixpoint(&A));
	}
	for (unsigned l = 0; l <= SCN_IRQL_MAX; l++) {
		snprintf(buf, sizeof buf, "irql %u\n", l);
		CHECK(parse(&A, buf) == 0);
		CHECK(A.nops == 1 && A.ops[0].kind == OP_IRQL && A.ops[0].arg == l);
		CHECK(print_fixpoint(&A));
		CHECK_EQ_U(scn_irql_parse(scn_irql_name(l)), l);
	}
	CHECK(strcmp(scn_irql_name(SCN_IRQL_HIGH), "high") == 0 && strcmp(scn_irql_name(5), "5") == 0);
	CHECK(scn_irql_parse("apc") == SCN_IRQL_APC && scn_irql_parse("32") < 0 && scn_irql_parse("") < 0);
	for (unsigned k = 0; k < OP_KIND_COUNT; k++)
		CHECK_EQ_U(scn_op_parse(scn_op_name((enum scn_op_kind)k)), k);
	CHECK(strcmp(scn_op_name(OP_KIND_COUNT), "invalid") == 0 && scn_op_parse("Register") < 0);
	CHECK(scn_flag_parse("leak") == FLAG_LEAK && scn_flag_parse("unsafe-calls") == FLAG_UNSAFE_CALLS);
	CHECK(parse(&A, "faults off\n") == 0 && A.fault_den == 0 && A.fault_num == 0);
	CHECK(parse(&A, "faults 0/8\n") == 0 && A.fault_den == 8 && A.fault_num == 0);
	CHECK(print_fixpoint(&A));
	CHECK(parse(&A, "faults 255/255\nsteps 10000000\nworkers 0\n") == 0);
	CHECK(A.fault_num == 255 && A.steps_max == 10000000 && A.workers == 0);
	CHECK(print_fixpoint(&A));
}

static void test_schedules(void)
{
	CHECK(parse(&A, "schedule seed 42\n") == 0);
	CHECK(A.sched == SCHED_SEED && A.seed == 42 && A.pct_depth == 3);
	CHECK(print_fixpoint(&A));
	CHECK(parse(&A, "schedule seed 0xFFFFFFFFFFFFFFFF\n") == 0 && A.seed == UINT64_MAX);
	CHECK(parse(&A, "schedule seed 18446744073709551616\n") != 0);
	CHECK(parse(&A, "schedule pct 7 8\n") == 0);
	CHECK(A.sched == SCHED_PCT && A.seed == 7 && A.pct_depth == 8);
	CHECK(print_fixpoint(&A));
	CHECK(parse(&A, "schedule replay\n") == 0 && A.sched == SCHED_REPLAY && A.nchoices == 0);
	CHECK(print_fixpoint(&A));
	CHECK(parse(&A, "schedule bytes\n") == 0 && A.sched == SCHED_BYTES && A.sched_len == 0);

	/* choices over several lines (the printer wraps at 16) */
	static char buf[4096];
	size_t n = 0;
	for (unsigned i = 0; i < 40; i++) {
		enum choice_kind k = (enum choice_kind)(i % CK_KIND_COUNT);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s:%u:%u%s", i % 7 ? " " : "choices ",
				      choice_kind_name(k), i + 2, i + 1, i % 7 == 6 ? "\n" : "");
	}
	snprintf(buf + n, sizeof buf - n, "\nschedule replay\nhash fedcba9876543210\nexpect clean\n");
	CHECK(parse(&A, buf) == 0);
	CHECK_EQ_U(A.sched, SCHED_REPLAY);
	CHECK_EQ_U(A.nchoices, 40);
	CHECK(A.choices[5].kind == 5 && A.choices[5].n == 7 && A.choices[5].value == 6);
	CHECK(A.has_hash && A.hash == 0xfedcba9876543210ull && A.expect == EXPECT_CLEAN);
	CHECK(print_fixpoint(&A));
	scn_print_text(&A, text_a, sizeof text_a);
	CHECK(strncmp(text_a, "schedule replay\nchoices thread:2:1 f1:3:2", 41) == 0);

	/* schedule bytes wrap at 32 a line */
	n = 0;
	for (unsigned i = 0; i < 70 && i < SCN_SCHED_BYTES_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "schedule bytes %02x\n", i * 3);
	CHECK(parse(&A, buf) == 0);
	CHECK_EQ_U(A.sched_len, 70 < SCN_SCHED_BYTES_MAX ? 70 : SCN_SCHED_BYTES_MAX);
	CHECK(print_fixpoint(&A));
}

struct bad {
	const char *text;
	unsigned line;
	const char *reason;
};

static const struct bad bad_texts[] = {
	{ "foo\n", 1, "unknown op or directive 'foo'" },
	{ "client C\nregister X\n", 2, "unknown module 'X'" },
	{ "register C\nclient C\n", 1, "unknown module 'C'" },
	{ "client C\nprovider C\n", 2, "duplicate module 'C'" },
	{ "client C detach=sometimes\n", 1, "bad value 'sometimes' for detach (expected success|async|op|" },
	{ "steps 0\n", 1, "bad value '0' for steps (expected 1..10000000)" },
	{ "steps 10000001\n", 1, "bad value '10000001' for steps" },
	{ "steps 12x\n", 1, "bad value '12x' for steps" },
	{ "steps 1\nsteps 2\n", 2, "duplicate 'steps' line" },
	{ "workers\n", 1, "missing argument for 'workers'" },
	{ "workers 3\n", 1, "bad value '3' for workers" },
	{ "faults 9/8\n", 1, "bad value '9/8' for faults" },
	{ "faults 1-8\n", 1, "bad value '1-8' for faults" },
	{ "faults 1/256\n", 1, "for faults" },
	{ "registrar nope\n", 1, "bad value 'nope' for registrar (expected model|" },
	{ "\n\n  register\n", 3, "missing module name for 'register'" },
	{ "client C\nyield C\n", 2, "extra token 'C' after 'yield'" },
	{ "client C\ncall C handle=own\n", 2, "'call' takes no handle=" },
	{ "client C\nderegister C handle=bogus\n", 2, "bad value 'bogus' for handle" },
	{ "client C\nwait C handle=own x\n", 2, "extra token 'x' after 'wait'" },
	{ "client C\nprovider P\ncomplete C peer=X\n", 3, "peer=X: not a scripted module of the other role than 'C'" },
	{ "client C\nclient D\ncomplete C peer=D\n", 3, "peer=D: not a scripted module of the other role" },
	{ "client C\nprovider P\nwait C peer=P\n", 3, "extra token 'peer=P' after 'wait'" },
	{ "client C\nprovider P\ncomplete C peer=P peer=P\n", 3, "extra token 'peer=P' after 'complete'" },
	{ "irql\n", 1, "missing level for 'irql'" },
	{ "sleep\n", 1, "missing duration for 'sleep'" },
	{ "time leaps\n", 1, "bad value 'leaps' for time (expected steps|jumps)" },
	{ "time jumps\ntime steps\n", 2, "duplicate 'time' line" },
	{ "sleep 20\n", 1, "bad duration '20' for sleep (expected 1ms..255ms)" },
	{ "sleep 0ms\n", 1, "bad duration '0ms' for sleep" },
	{ "sleep 256ms\n", 1, "bad duration '256ms' for sleep" },
	{ "sleep ms\n", 1, "bad duration 'ms' for sleep" },
	{ "sleep 5ms 5ms\n", 1, "extra token '5ms' after 'sleep'" },
	{ "irql 32\n", 1, "bad value '32' for irql" },
	{ "irql DISPATCH\n", 1, "bad value 'DISPATCH' for irql" },
	{ "thread a\nthread a\n", 2, "duplicate thread 'a'" },
	{ "thread 9lives\n", 1, "bad thread name '9lives'" },
	{ "thread a b\n", 1, "extra token 'b' after 'thread'" },
	{ "client C\ncall C\nthread T0\n", 3, "duplicate thread 'T0'" },
	{ "client abcdefghijklmnopqrstuvwxyz012345\n", 1, "bad module name 'abcdefghijklmnopqrstuvwx...'" },
	{ "driver no_such_driver\n", 1, "unknown driver 'no_such_driver' (linked into this binary: " },
	{ "client C\nload C\n", 2, "'load' applies to drivers only, and 'C' is a scripted module" },
	{ "driver 9x\n", 1, "bad driver name '9x'" },
	{ "client C npi=4\n", 1, "bad value '4' for npi" },
	{ "client C colour=red\n", 1, "unknown key 'colour'" },
	{ "client C npi\n", 1, "bad token 'npi' (expected KEY=VALUE)" },
	{ "client C npi=1 npi=2\n", 1, "duplicate key 'npi'" },
	{ "client C flags=leak,,unsafe-calls\n", 1, "bad flag ''" },
	{ "client\n", 1, "missing argument for 'client'" },
	{ "schedule\n", 1, "missing argument for 'schedule'" },
	{ "schedule foo\n", 1, "bad value 'foo' for schedule (expected bytes|seed|pct|replay)" },
	{ "schedule seed\n", 1, "missing argument for 'schedule seed'" },
	{ "schedule seed 1 2\n", 1, "extra token '2' after 'schedule seed'" },
	{ "schedule seed -1\n", 1, "bad seed '-1'" },
	{ "schedule pct 1 9\n", 1, "bad value '9' for pct depth (expected 1..8)" },
	{ "schedule seed 1\nschedule pct 1 2\n", 2, "duplicate 'schedule' line" },
	{ "schedule bytes 00\nschedule seed 1\n", 2, "duplicate 'schedule' line" },
	{ "schedule bytes 0\n", 1, "bad schedule bytes '0'" },
	{ "schedule bytes 0g\n", 1, "bad schedule bytes '0g'" },
	{ "schedule seed 1\nchoices thread:2:1\n", 2, "choices need 'schedule replay'" },
	{ "choices thread:2:1\nschedule seed 3\n", 2, "conflicts with choices" },
	{ "choices\n", 1, "missing argument for 'choices'" },
	{ "choices thread:2:2\n", 1, "bad choice 'thread:2:2'" },
	{ "choices nope:2:1\n", 1, "bad choice 'nope:2:1'" },
	{ "choices thread:2\n", 1, "bad choice 'thread:2'" },
	{ "choices f1:0:0\n", 1, "bad choice 'f1:0:0'" },
	{ "hash 123\n", 1, "bad hash '123' (expected 16 hex digits)" },
	{ "hash 0123456789abcdeg\n", 1, "bad hash" },
	{ "expect\n", 1, "missing argument for 'expect'" },
	{ "expect M99\n", 1, "unknown rule 'M99'" },
	{ "expect clean M01\n", 1, "extra token 'M01' after 'expect'" },
	{ "expect M01 M01\n", 1, "duplicate rule 'M01'" },
	{ "expect clean\nexpect M01\n", 2, "duplicate 'expect' line" },
	{ "# comment\nclient C # trailing\n\tregister C extra # more\n", 3, "extra token 'extra' after 'register'" },
	{ "yield\r\nfoo\r\n", 2, "unknown op or directive 'foo'" },
	{ "cl\xc3\xa9nt C\n", 1, "unknown op or directive 'cl??nt'" },
	{ "client C\xff\n", 1, "bad module name 'C?'" },
	{ "yield\n\nRegister X\n", 3, "unknown op or directive 'Register'" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 1, "'aaaaaaaaaaaaaaaaaaaaaaaa...'" },
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof bad_texts / sizeof bad_texts[0]; i++) {
		const struct bad *b = &bad_texts[i];
		memset(&err, 0x55, sizeof err);
		int rc = parse(&A, b->text);
		bool ok = rc == -1 && err.line == b->line && strstr(err.reason, b->reason) != NULL &&
			  strcmp(err.file, "t.nmr") == 0;
		if (!ok)
			fprintf(stderr, "bad text #%zu: rc %d line %u reason '%s'\n", i, rc, err.line, err.reason);
		CHECK(ok);
		CHECK(invariants(&A)); /* reset to scn_init's */
	}
	CHECK(sizeof bad_texts / sizeof bad_texts[0] >= 15);
}

/* sleep: text, print, binary (a yield whose module byte is the duration,
 * so inputs from before sleep decode as they did). */
/* complete M [handle=SEL] peer=N: parsed, printed, carried in the struct only
 * (the binary form completes the first PENDING detach). */
static void test_complete_peer(void)
{
	CHECK(parse(&A, "provider P1\nprovider P2\nclient C detach=op\ncomplete C peer=P2\ncomplete C handle=stale peer=P1\n"
			"complete C\n") == 0);
	CHECK_EQ_U(A.nops, 3);
	CHECK_EQ_U(A.ops[0].kind, OP_COMPLETE);
	CHECK_EQ_U(A.ops[0].peer, 2);
	CHECK_EQ_U(A.ops[0].arg, HSEL_OWN);
	CHECK_EQ_U(A.ops[1].peer, 1);
	CHECK_EQ_U(A.ops[1].arg, HSEL_STALE);
	CHECK_EQ_U(A.ops[2].peer, 0);
	CHECK(print_fixpoint(&A));
	scn_print_text(&A, text_a, sizeof text_a);
	CHECK(strstr(text_a, "  complete C peer=P2\n  complete C handle=stale peer=P1\n  complete C\n") != NULL);
	size_t n = scn_encode_binary(&A, bin_a, sizeof bin_a);
	scn_decode_binary(&B, bin_a, n);
	CHECK_EQ_U(B.ops[0].peer, 0);
	CHECK_EQ_U(B.ops[1].arg, HSEL_STALE);
}

static void test_sleep(void)
{
	const char *text = "thread T0\n  sleep 20ms\n  yield\n  sleep 1ms\n  sleep 255ms\n";
	CHECK(parse(&A, text) == 0 && A.nops == 4 && A.ops[0].kind == OP_SLEEP && A.ops[0].arg == 20 &&
	      A.ops[1].kind == OP_YIELD && A.ops[3].arg == 255 && invariants(&A));
	char out[512];
	scn_print_text(&A, out, sizeof out);
	CHECK(strcmp(out, text) == 0);
	size_t n = scn_encode_binary(&A, bin_a, sizeof bin_a);
	scn_decode_binary(&B, bin_a, n);
	CHECK(same(&A, &B));
	/* the op bytes: kind yield, thread, module byte = duration */
	uint8_t in[] = { 0, 0, 0, 0, 0, 0, 0, 0, 3, OP_YIELD, 0, 0, OP_YIELD, 0, 7, OP_YIELD + SCN_OP_BINARY_KINDS, 0, 9 };
	scn_decode_binary(&B, in, sizeof in);
	CHECK(B.nops == 3 && B.ops[0].kind == OP_YIELD && B.ops[1].kind == OP_SLEEP && B.ops[1].arg == 7 &&
	      B.ops[2].kind == OP_SLEEP && B.ops[2].arg == 9 && invariants(&B));
	CHECK(scn_op_parse("sleep") == OP_SLEEP && !scn_op_takes_module(OP_SLEEP));
	/* time jumps: a directive, byte 3 bit 0 of the binary form */
	CHECK(parse(&A, "time jumps\nthread T0\n  sleep 5ms\n") == 0 && A.time_jumps == 1);
	scn_print_text(&A, out, sizeof out);
	CHECK(strcmp(out, "time jumps\nthread T0\n  sleep 5ms\n") == 0);
	n = scn_encode_binary(&A, bin_a, sizeof bin_a);
	CHECK(n > 3 && bin_a[3] == 1);
	scn_decode_binary(&B, bin_a, n);
	CHECK(same(&A, &B));
	CHECK(parse(&A, "time steps\n") == 0 && A.time_jumps == 0);
}

/* io-workers: a directive (1..KERNEL_IO_WORKERS_MAX, default 1, printed only
 * when not 1), byte 3 bit 3 of the binary form. */
static void test_io_workers(void)
{
	char out[512];
	CHECK(parse(&A, "thread T0\n  sleep 1ms\n") == 0 && A.io_workers == 1);
	CHECK(parse(&A, "io-workers 2\nthread T0\n  sleep 1ms\n") == 0 && A.io_workers == 2);
	scn_print_text(&A, out, sizeof out);
	CHECK(strcmp(out, "io-workers 2\nthread T0\n  sleep 1ms\n") == 0);
	size_t n = scn_encode_binary(&A, bin_a, sizeof bin_a);
	CHECK(n > 3 && bin_a[3] == 8);
	scn_decode_binary(&B, bin_a, n);
	CHECK(same(&A, &B) && B.io_workers == 2);
	static const uint8_t none[] = { 0 };
	scn_decode_binary(&B, none, sizeof none);
	CHECK_EQ_U(B.io_workers, 1);
	CHECK(parse(&A, "io-workers 0\n") != 0 && parse(&A, "io-workers 9\n") != 0);
	CHECK(parse(&A, "io-workers 1\nio-workers 1\n") != 0);
}

/* atomics preempt: a directive (default plain, printed only when on),
 * byte 3 bit 4 of the binary form; an input without the bit (every stored
 * seed: the encoder wrote 0 there) decodes as plain. */
static void test_atomics(void)
{
	char out[512];
	CHECK(parse(&A, "thread T0\n  sleep 1ms\n") == 0 && A.atomics_preempt == 0);
	CHECK(parse(&A, "atomics plain\nthread T0\n  sleep 1ms\n") == 0 && A.atomics_preempt == 0);
	CHECK(parse(&A, "atomics preempt\nthread T0\n  sleep 1ms\n") == 0 && A.atomics_preempt == 1);
	scn_print_text(&A, out, sizeof out);
	CHECK(strcmp(out, "atomics preempt\nthread T0\n  sleep 1ms\n") == 0);
	size_t n = scn_encode_binary(&A, bin_a, sizeof bin_a);
	CHECK(n > 3 && bin_a[3] == 16);
	scn_decode_binary(&B, bin_a, n);
	CHECK(same(&A, &B) && B.atomics_preempt == 1);
	static const uint8_t others[] = { 0, 0, 0, 0x0f };
	scn_decode_binary(&B, others, sizeof others);
	CHECK_EQ_U(B.atomics_preempt, 0);
	CHECK(parse(&A, "atomics yes\n") != 0 && parse(&A, "atomics preempt\natomics plain\n") != 0);
}

/* Unloads that can never find their driver loaded (scn_unload_unreachable;
 * drivers are built by hand: this binary links none). */
static void test_unload_unreachable(void)
{
	struct scenario *s = &A;
	const char *why = NULL;
	scn_init(s);
	s->nmodules = 2;
	s->modules[0].kind = MODULE_DRIVER;
	s->modules[1].kind = MODULE_DRIVER;
	s->nthreads = 2;
	/* T0: unload D0 (nobody loads D0) */
	s->nops = 1;
	s->ops[0] = (struct scn_op){ .kind = OP_UNLOAD, .thread = 0, .module = 0 };
	CHECK(scn_unload_unreachable(s, &why) == 0 && strstr(why, "no op loads it"));
	/* T0: unload D0, load D0: before its own load, no other loader */
	s->nops = 2;
	s->ops[1] = (struct scn_op){ .kind = OP_LOAD, .thread = 0, .module = 0 };
	CHECK(scn_unload_unreachable(s, &why) == 0 && strstr(why, "only this thread loads it, later"));
	/* T0: load D0, unload D0: fine */
	s->ops[0].kind = OP_LOAD;
	s->ops[1].kind = OP_UNLOAD;
	CHECK(scn_unload_unreachable(s, &why) == -1);
	/* T0: unload D0; T1: load D0: the schedule decides (traced no-op or unload) */
	s->ops[0] = (struct scn_op){ .kind = OP_UNLOAD, .thread = 0, .module = 0 };
	s->ops[1] = (struct scn_op){ .kind = OP_LOAD, .thread = 1, .module = 0 };
	CHECK(scn_unload_unreachable(s, &why) == -1);
	/* ... and D1 unloaded by T1 without any load: op 2 */
	s->nops = 3;
	s->ops[2] = (struct scn_op){ .kind = OP_UNLOAD, .thread = 1, .module = 1 };
	CHECK(scn_unload_unreachable(s, &why) == 2);
	scn_unload_unreachable_to_yield(s);
	CHECK(s->ops[2].kind == OP_YIELD && s->ops[2].thread == 1 && s->ops[0].kind == OP_UNLOAD &&
	      scn_unload_unreachable(s, &why) == -1);
	/* scripted modules' unload is their Unload routine: never unreachable */
	s->modules[1].kind = MODULE_SCRIPTED;
	s->ops[2] = (struct scn_op){ .kind = OP_UNLOAD, .thread = 1, .module = 1 };
	CHECK(scn_unload_unreachable(s, &why) == -1);
	scn_init(s);
}

static void test_bytes(void)
{
	static struct scenario init;
	scn_init(&init);
	/* NUL bytes, also inside a comment */
	static const char nul1[] = "yield\nyi\0eld\n", nul2[] = "yield # a\0b\nyield\n";
	CHECK(scn_parse_text(&A, nul1, sizeof nul1 - 1, "n", &err) == -1 && err.line == 2 && strstr(err.reason, "NUL byte"));
	CHECK(same(&A, &init));
	CHECK(scn_parse_text(&A, nul2, sizeof nul2 - 1, "n", &err) == -1 && err.line == 1 && strstr(err.reason, "NUL byte"));
	/* the length bounds the text: bytes after it are never read */
	CHECK(scn_parse_text(&A, "yield\nfoo", 6, "n", &err) == 0 && A.nops == 1);
	/* CRLF and no trailing newline */
	CHECK(parse(&A, "client C\r\nregister C\r\nthread b\r\nyield") == 0);
	CHECK(strcmp(A.modules[0].name, "C") == 0 && A.nops == 2 && strcmp(A.thread_names[1], "b") == 0);
	CHECK(parse(&B, "client C\nregister C\nthread b\nyield\n") == 0 && same(&A, &B));
	CHECK(parse(&A, "\r\n\r\n") == 0 && same(&A, &init));
	/* long lines: SCN_LINE_MAX is fine (even with CR), one more is not */
	static char buf[4 * SCN_LINE_MAX];
	memset(buf, ' ', sizeof buf);
	memcpy(buf, "yield", 5);
	memcpy(buf + SCN_LINE_MAX, "\r\nyield\n", 9);
	CHECK(parse(&A, buf) == 0 && A.nops == 2);
	memcpy(buf + SCN_LINE_MAX, " \nyield\n", 9);
	CHECK(parse(&A, buf) == -1 && err.line == 1 && strstr(err.reason, "line too long"));
	memset(buf, '#', sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	CHECK(parse(&A, buf) == -1 && err.line == 1 && strstr(err.reason, "line too long"));
	/* a line of nothing but tokens */
	for (size_t i = 0; i < SCN_LINE_MAX; i++)
		buf[i] = i % 2 ? ' ' : 'x';
	buf[SCN_LINE_MAX] = '\0';
	CHECK(parse(&A, buf) == -1 && strstr(err.reason, "unknown op or directive 'x'"));
	/* every single byte value as a one-line text never crashes */
	for (unsigned c = 0; c < 256; c++) {
		char t[3] = { (char)c, (char)c, '\n' };
		int rc = scn_parse_text(&A, t, 3, "b", &err);
		CHECK(rc == -1 || invariants(&A));
	}
}

/* Text of n lines "fmt(i & 0xff)" for i in 0..n-1 after a prefix. */
static const char *lines(const char *prefix, const char *fmt, unsigned n)
{
	static char buf[1 << 20];
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s", prefix);
	for (unsigned i = 0; i < n && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, fmt, i & 0xffu);
	return buf;
}

static void test_capacity(void)
{
	char want[64];
	CHECK(parse(&A, lines("", "yield\n", SCN_OPS_MAX)) == 0 && A.nops == SCN_OPS_MAX);
	CHECK(print_fixpoint(&A));
	snprintf(want, sizeof want, "too many operations (max %d)", SCN_OPS_MAX);
	CHECK(parse(&A, lines("", "yield\n", SCN_OPS_MAX + 1)) == -1 && err.line == SCN_OPS_MAX + 1 && strcmp(err.reason, want) == 0);

	CHECK(parse(&A, lines("", "client M%u\n", SCN_MODULES_MAX)) == 0 && A.nmodules == SCN_MODULES_MAX);
	snprintf(want, sizeof want, "too many modules (max %d)", SCN_MODULES_MAX);
	CHECK(parse(&A, lines("", "client M%u\n", SCN_MODULES_MAX + 1)) == -1 && err.line == SCN_MODULES_MAX + 1 && strcmp(err.reason, want) == 0);

	CHECK(parse(&A, lines("", "thread t%u\nyield\n", SCN_THREADS_MAX)) == 0 && A.nthreads == SCN_THREADS_MAX);
	CHECK(print_fixpoint(&A));
	snprintf(want, sizeof want, "too many threads (max %d)", SCN_THREADS_MAX);
	CHECK(parse(&A, lines("", "thread t%u\n", SCN_THREADS_MAX + 1)) == -1 && err.line == SCN_THREADS_MAX + 1 && strcmp(err.reason, want) == 0);
	CHECK(parse(&A, lines("yield\n", "thread t%u\n", SCN_THREADS_MAX)) == -1 && strcmp(err.reason, want) == 0);

	CHECK(parse(&A, lines("", "schedule bytes %02x\n", SCN_SCHED_BYTES_MAX)) == 0 && A.sched_len == SCN_SCHED_BYTES_MAX);
	CHECK(print_fixpoint(&A));
	snprintf(want, sizeof want, "too many schedule bytes (max %d)", SCN_SCHED_BYTES_MAX);
	CHECK(parse(&A, lines("", "schedule bytes %02x\n", SCN_SCHED_BYTES_MAX + 1)) == -1 && err.line == SCN_SCHED_BYTES_MAX + 1 && strcmp(err.reason, want) == 0);

	CHECK(parse(&A, lines("", "choices thread:65535:%u\n", SCN_CHOICES_MAX)) == 0 && A.nchoices == SCN_CHOICES_MAX);
	CHECK(print_fixpoint(&A));
	snprintf(want, sizeof want, "too many choices (max %d)", SCN_CHOICES_MAX);
	CHECK(parse(&A, lines("", "choices f2:2:1\n", SCN_CHOICES_MAX + 1)) == -1 && err.line == SCN_CHOICES_MAX + 1 && strcmp(err.reason, want) == 0);

	CHECK(parse(&A, "expect M01 M02 M03 M04 M05 M06 M07 M08\n") == (SCN_EXPECT_MAX >= 8 ? 0 : -1));
	CHECK(parse(&A, "expect M01 M02 M03 M04 M05 M06 M07 M08 M09\n") == -1 && strstr(err.reason, "too many rules"));
}

/* Canonical texts with generated names: text -> struct -> binary -> struct -> text. */
static const char *const canonical[] = {
	"thread T0\n",
	"steps 5120\n"
	"workers 2\n"
	"faults 3/7\n"
	"schedule pct 18446744073709551615 8\n"
	"client C0 npi=1 attach=mismatch detach=inflight unload=nowait chars=null-npiid flags=unsafe-calls\n"
	"provider P1 npi=2 detach=op\n"
	"thread T0\n"
	"  register C0\n"
	"  register P1\n"
	"  deregister P1 handle=peer\n"
	"  irql 31\n"
	"  complete P1\n"
	"thread T1\n"
	"  yield\n"
	"  irql high\n",
	"workers 0\n"
	"schedule seed 42\n"
	"provider P0 flags=unsafe-calls,leak\n"
	"thread T0\n"
	"thread T1\n"
	"  wait P0 handle=binding\n",
	"steps 256\n"
	"schedule bytes 00 01 02 ff\n"
	"client C0\n"
	"thread T0\n"
	"  unload C0\n"
	"  poll C0\n"
	"  mutate C0\n"
	"  attach C0\n"
	"  call C0\n",
};

static void test_binary(void)
{
	for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++) {
		CHECK(parse(&A, canonical[i]) == 0);
		CHECK(binary_roundtrip(&A));
		scn_print_text(&C, text_b, sizeof text_b);
		if (strcmp(text_b, canonical[i]) != 0)
			fprintf(stderr, "canonical #%zu printed as:\n%s", i, text_b);
		CHECK(strcmp(text_b, canonical[i]) == 0);
	}
	/* what the binary form does not carry: a planted-bug registrar (binary
	 * inputs always run the model), ... */
	CHECK(parse(&A, "registrar late-callback\nclient C0\nthread T0\n  register C0\n") == 0);
	scn_decode_binary(&B, bin_a, scn_encode_binary(&A, bin_a, sizeof bin_a));
	CHECK_EQ_U(B.registrar, REGISTRAR_MODEL);
	CHECK_EQ_U(B.nops, 1);
	CHECK(parse(&A, "steps 1000\nschedule replay\nchoices thread:2:1\nhash 0000000000000001\nexpect M01\nclient x\nthread y\n  register x\n") == 0);
	size_t n = scn_encode_binary(&A, bin_a, sizeof bin_a);
	scn_decode_binary(&B, bin_a, n);
	CHECK_EQ_U(B.steps_max, 1024); /* rounded up to 256 */
	CHECK(B.sched == SCHED_BYTES && B.sched_len == 0 && B.nchoices == 0 && !B.has_hash && B.expect == EXPECT_NONE);
	CHECK(strcmp(B.modules[0].name, "C0") == 0 && strcmp(B.thread_names[0], "T0") == 0 && B.nops == 1);
	/* the largest step budget stays within the text range */
	static const uint8_t big_steps[] = { 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	scn_decode_binary(&B, big_steps, sizeof big_steps);
	CHECK(B.steps_max <= SCN_STEPS_MAX && B.steps_max % 256 == 0 && B.steps_max > SCN_STEPS_MAX - 256);
	/* A drivers input's budget is never below the default (hosted code that
	 * still plays its ops would end as a false L02); a scripted one's is. */
	static const uint8_t small_steps[] = { 0, 0, 0, 0, 0, 0, 2, 0 };
	scn_decode_binary(&B, small_steps, sizeof small_steps);
	CHECK_EQ_U(B.steps_max, 512);
	scn_decode_binary_drivers(&B, small_steps, sizeof small_steps);
	CHECK_EQ_U(B.steps_max, STEPS_DEFAULT);
	/* ops naming a module with no module declared become yields */
	static const uint8_t nomod[] = { 0, 1, 0, 0, 0, 0, 0, 0, 2, OP_CALL, 1, 5, OP_IRQL, 0xf8, 0 };
	scn_decode_binary(&B, nomod, sizeof nomod);
	CHECK(B.nops == 2 && B.ops[0].kind == OP_IRQL && B.ops[0].arg == 31 && B.ops[0].thread == 0);
	CHECK(B.ops[1].kind == OP_YIELD && B.ops[1].thread == 1 && B.ops[1].module == 0 && invariants(&B));
	/* Decoding resets everything but choices[] (padding included), whatever
	 * the struct held: a text scenario with choices, or garbage. */
	static struct scenario fresh;
	static const uint8_t some[] = { 2, 1, 0x01, 0, 1, 3, 4, 0, 0x01, 2, 1, 0x10, 0x07, 0, 0, 0x23,
					2, OP_REGISTER, 0, 0, OP_CALL, 1, 1, 9, 8, 7 };
	memset(&fresh, 0, sizeof fresh);
	scn_decode_binary(&fresh, some, sizeof some);
	CHECK(invariants(&fresh) && fresh.sched_len == 3);
	CHECK(parse(&B, "schedule replay\nchoices thread:2:1 thread:3:2\nhash 0000000000000001\nexpect M01\nclient x\nthread y\n  register x\n") == 0);
	scn_decode_binary(&B, some, sizeof some);
	CHECK(same(&B, &fresh) && B.nchoices == 0 && invariants(&B));
	memset(&B, 0xa5, sizeof B);
	scn_decode_binary(&B, some, sizeof some);
	CHECK(same(&B, &fresh));
	memset(&B, 0xa5, sizeof B);
	scn_decode_binary_drivers(&B, some, sizeof some);
	scn_decode_binary_drivers(&fresh, some, sizeof some);
	CHECK(same(&B, &fresh));
	/* An op's module and thread are its bytes modulo nmodules / nthreads
	 * (decode computes them without a division): every byte, every count. */
	unsigned wrong = 0;
	for (unsigned nm = 1; nm <= SCN_MODULES_MAX; nm++) {
		for (unsigned v = 0; v < 256; v++) {
			uint8_t in[8 + 4 * SCN_MODULES_MAX + 4] = { (uint8_t)nm, (uint8_t)(SCN_THREADS_MAX - 1) };
			size_t at = 8 + 4 * nm;
			in[at] = 1; /* one op: a call (the only op byte is its module) */
			in[at + 1] = OP_CALL;
			in[at + 2] = (uint8_t)v;
			in[at + 3] = (uint8_t)v;
			scn_decode_binary(&B, in, at + 4);
			wrong += B.nops != 1 || B.ops[0].module != v % nm || B.ops[0].thread != (v & 7u) % SCN_THREADS_MAX;
		}
	}
	for (unsigned nt = 1; nt <= SCN_THREADS_MAX; nt++) {
		for (unsigned v = 0; v < 8; v++) {
			uint8_t in[] = { 0, (uint8_t)(nt - 1), 0, 0, 0, 0, 0, 0, 1, OP_YIELD, (uint8_t)v, 0 };
			scn_decode_binary(&B, in, sizeof in);
			wrong += B.nops != 1 || B.ops[0].thread != v % nt;
		}
	}
	CHECK_EQ_U(wrong, 0);
	/* A struct that only ever receives decodes keeps choices[] zero. */
	CHECK(all_zero(fresh.choices, sizeof fresh.choices));
}

static uint64_t lcg_state = 0x5eed;

static unsigned lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(lcg_state >> 33);
}

static void test_random_decode(void)
{
	static uint8_t in[6000];
	unsigned fails = 0, text_rounds = 0;
	for (unsigned iter = 0; iter < 100000; iter++) {
		unsigned r = lcg();
		size_t len = r % 16 == 0 ? lcg() % sizeof in : r % 4 == 0 ? lcg() % 400 : lcg() % 64;
		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)(lcg() >> 7);
		scn_decode_binary(&A, in, len);
		bool ok = invariants(&A);
		size_t n = scn_encode_binary(&A, bin_a, sizeof bin_a);
		ok = ok && n <= sizeof bin_a;
		scn_decode_binary(&B, bin_a, n);
		ok = ok && same(&A, &B) && scn_encode_binary(&B, bin_b, sizeof bin_b) == n && memcmp(bin_a, bin_b, n) == 0;
		if (iter % 16 == 0) { /* decoded scenarios print and parse back unchanged */
			ok = ok && print_fixpoint(&A);
			text_rounds++;
		}
		if (!ok && fails++ < 5)
			fprintf(stderr, "random decode iteration %u (len %zu) failed\n", iter, len);
	}
	CHECK_EQ_U(fails, 0);
	CHECK(text_rounds > 6000);
}

/* Mutated texts: any outcome but a crash; what parses is valid and prints back. */
static void test_random_text(void)
{
	static const char special[] = { '\0', '\n', '\r', ' ', '\t', '#', ':', '=', '/', ',', '0', '9', 'x', '\xff' };
	static char t[sizeof rich + 64];
	unsigned fails = 0, parsed = 0;
	for (unsigned iter = 0; iter < 20000; iter++) {
		const char *src = iter % 2 ? rich : canonical[iter / 2 % (sizeof canonical / sizeof canonical[0])];
		size_t len = strlen(src);
		memcpy(t, src, len);
		for (unsigned k = lcg() % 4 + 1; k > 0; k--) {
			unsigned what = lcg() % 3, pos = len ? lcg() % (unsigned)len : 0;
			char c = lcg() % 2 ? special[lcg() % sizeof special] : (char)(lcg() >> 5);
			if (what == 0 && len)
				t[pos] = c;
			else if (what == 1 && len + 1 < sizeof t) {
				memmove(t + pos + 1, t + pos, len - pos);
				t[pos] = c;
				len++;
			} else if (len) {
				memmove(t + pos, t + pos + 1, len - pos - 1);
				len--;
			}
		}
		int rc = scn_parse_text(&A, t, len, "m", &err);
		bool ok = rc == 0 ? invariants(&A) && print_fixpoint(&A) : rc == -1 && err.line >= 1 && err.reason[0];
		parsed += rc == 0;
		if (!ok && fails++ < 5)
			fprintf(stderr, "mutated text %u failed: rc %d line %u %s\n", iter, rc, err.line, err.reason);
	}
	CHECK_EQ_U(fails, 0);
	CHECK(parsed > 100);
}

int main(void)
{
	test_empty();
	test_rich();
	test_values();
	test_schedules();
	test_errors();
	test_complete_peer();
	test_sleep();
	test_io_workers();
	test_atomics();
	test_unload_unreachable();
	test_bytes();
	test_capacity();
	test_binary();
	test_random_decode();
	test_random_text();
	return check_exit();
}
