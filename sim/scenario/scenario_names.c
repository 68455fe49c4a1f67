/* scenario_names.c - the stable names of the scenario enums.
 *
 * These are the words of the text form (docs/SCENARIO.md) and of the trace
 * renderer: lowercase, hyphenated, never renamed once released. Each *_name
 * has a *_parse that maps the name back (exact, case-sensitive match).
 */
#include "scenario/scenario.h"

#include <string.h>

static const char *const op_names[OP_KIND_COUNT] = {
	[OP_REGISTER] = "register",
	[OP_DEREGISTER] = "deregister",
	[OP_WAIT] = "wait",
	[OP_UNLOAD] = "unload",
	[OP_COMPLETE] = "complete",
	[OP_CALL] = "call",
	[OP_ATTACH] = "attach",
	[OP_IRQL] = "irql",
	[OP_MUTATE] = "mutate",
	[OP_POLL] = "poll",
	[OP_YIELD] = "yield",
	[OP_LOAD] = "load",
	[OP_SLEEP] = "sleep",
};

static const char *const attach_names[ATTACH_COUNT] = {
	[ATTACH_ACCEPT] = "accept",
	[ATTACH_DECLINE] = "decline",
	[ATTACH_FAIL] = "fail",
	[ATTACH_LIE] = "lie",
	[ATTACH_MISMATCH] = "mismatch",
	[ATTACH_NOOUT] = "noout",
	[ATTACH_WRONG_HANDLE] = "wrong-handle",
};

static const char *const detach_names[DETACH_COUNT] = {
	[DETACH_SUCCESS] = "success",
	[DETACH_ASYNC] = "async",
	[DETACH_OP] = "op",
	[DETACH_NEVER] = "never",
	[DETACH_BOGUS] = "bogus",
	[DETACH_WAIT] = "wait",
	[DETACH_BLOCK] = "block",
	[DETACH_SUCCESS_COMPLETE] = "success-complete",
	[DETACH_COMPLETE_TWICE] = "complete-twice",
	[DETACH_INFLIGHT] = "inflight",
};

static const char *const unload_names[UNLOAD_COUNT] = {
	[UNLOAD_CORRECT] = "correct",
	[UNLOAD_NOWAIT] = "nowait",
	[UNLOAD_NODEREG] = "noderegister",
};

static const char *const chars_names[CHARS_COUNT] = {
	[CHARS_OK] = "ok",
	[CHARS_BAD_VERSION] = "bad-version",
	[CHARS_SHORT_LENGTH] = "short-length",
	[CHARS_NULL_ATTACH] = "null-attach",
	[CHARS_NULL_DETACH] = "null-detach",
	[CHARS_NULL_NPIID] = "null-npiid",
	[CHARS_NULL_MODULEID] = "null-moduleid",
};

static const char *const handle_names[HSEL_COUNT] = {
	[HSEL_OWN] = "own",
	[HSEL_STALE] = "stale",
	[HSEL_BINDING] = "binding",
	[HSEL_PEER] = "peer",
	[HSEL_GARBAGE] = "garbage",
};

static const char *const registrar_names[REGISTRAR_COUNT] = {
	[REGISTRAR_MODEL] = "model",
	[MUTANT_WRONG_NPI] = "wrong-npi",
	[MUTANT_DUP_ATTACH] = "dup-attach",
	[MUTANT_ATTACH_AFTER_DEREG] = "attach-after-deregister",
	[MUTANT_SKIP_DETACH] = "skip-detach",
	[MUTANT_DOUBLE_DETACH] = "double-detach",
	[MUTANT_EARLY_CLEANUP] = "early-cleanup",
	[MUTANT_DOUBLE_CLEANUP] = "double-cleanup",
	[MUTANT_EARLY_WAIT] = "early-wait",
	[MUTANT_HIGH_IRQL] = "high-irql",
	[MUTANT_LATE_CALLBACK] = "late-callback",
	[MUTANT_DEREG_SUCCESS] = "deregister-success",
	[MUTANT_DETACH_EARLY] = "detach-early",
	[MUTANT_DEREGISTER_AGAIN] = "deregister-again",
	[MUTANT_COMPLETE_WRONG] = "complete-wrong-binding",
};

static const char *const sched_names[SCHED_COUNT] = {
	[SCHED_BYTES] = "bytes",
	[SCHED_SEED] = "seed",
	[SCHED_PCT] = "pct",
	[SCHED_REPLAY] = "replay",
};

/* IRQL 0..SCN_IRQL_MAX: the four named levels, the rest as numbers. */
static const char *const irql_names[SCN_IRQL_MAX + 1] = {
	"passive", "apc", "dispatch", "3", "4", "5", "6", "7",
	"8", "9", "10", "11", "12", "13", "14", "high",
	"16", "17", "18", "19", "20", "21", "22", "23",
	"24", "25", "26", "27", "28", "29", "30", "31",
};

#define INVALID_NAME "invalid"

static const char *lookup(const char *const *table, unsigned count, unsigned v)
{
	return v < count && table[v] ? table[v] : INVALID_NAME;
}

static int rlookup(const char *const *table, unsigned count, const char *name)
{
	if (!name)
		return -1;
	for (unsigned i = 0; i < count; i++)
		if (table[i] && strcmp(table[i], name) == 0)
			return (int)i;
	return -1;
}

const char *scn_op_name(enum scn_op_kind k) { return lookup(op_names, OP_KIND_COUNT, (unsigned)k); }
const char *scn_attach_name(enum scn_attach a) { return lookup(attach_names, ATTACH_COUNT, (unsigned)a); }
const char *scn_detach_name(enum scn_detach d) { return lookup(detach_names, DETACH_COUNT, (unsigned)d); }
const char *scn_unload_name(enum scn_unload u) { return lookup(unload_names, UNLOAD_COUNT, (unsigned)u); }
const char *scn_chars_name(enum scn_chars c) { return lookup(chars_names, CHARS_COUNT, (unsigned)c); }
const char *scn_handle_name(enum scn_handle h) { return lookup(handle_names, HSEL_COUNT, (unsigned)h); }
const char *scn_registrar_name(enum scn_registrar r) { return lookup(registrar_names, REGISTRAR_COUNT, (unsigned)r); }
const char *scn_sched_name(enum scn_sched k) { return lookup(sched_names, SCHED_COUNT, (unsigned)k); }
const char *scn_irql_name(unsigned irql) { return lookup(irql_names, SCN_IRQL_MAX + 1, irql); }

const char *scn_flag_name(enum scn_flag f)
{
	switch (f) {
	case FLAG_UNSAFE_CALLS: return "unsafe-calls";
	case FLAG_LEAK: return "leak";
	default: return INVALID_NAME;
	}
}

int scn_op_parse(const char *name) { return rlookup(op_names, OP_KIND_COUNT, name); }
int scn_attach_parse(const char *name) { return rlookup(attach_names, ATTACH_COUNT, name); }
int scn_detach_parse(const char *name) { return rlookup(detach_names, DETACH_COUNT, name); }
int scn_unload_parse(const char *name) { return rlookup(unload_names, UNLOAD_COUNT, name); }
int scn_chars_parse(const char *name) { return rlookup(chars_names, CHARS_COUNT, name); }
int scn_handle_parse(const char *name) { return rlookup(handle_names, HSEL_COUNT, name); }
int scn_registrar_parse(const char *name) { return rlookup(registrar_names, REGISTRAR_COUNT, name); }
int scn_sched_parse(const char *name) { return rlookup(sched_names, SCHED_COUNT, name); }

int scn_flag_parse(const char *name)
{
	for (unsigned bit = 1; bit & FLAG_ALL; bit <<= 1)
		if (name && strcmp(scn_flag_name((enum scn_flag)bit), name) == 0)
			return (int)bit;
	return -1;
}

int scn_irql_parse(const char *text)
{
	int v = rlookup(irql_names, SCN_IRQL_MAX + 1, text);
	if (v >= 0)
		return v;
	/* plain decimal, leading zeros allowed ("02" is dispatch) */
	if (!text || !*text)
		return -1;
	unsigned n = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (unsigned)(*p - '0');
		if (n > SCN_IRQL_MAX)
			return -1;
	}
	return (int)n;
}

bool scn_op_fits(enum scn_op_kind k, enum scn_module_kind mk)
{
	if (!scn_op_takes_module(k))
		return true;
	if (mk == MODULE_DRIVER)
		return k == OP_LOAD || k == OP_UNLOAD;
	return k != OP_LOAD;
}

bool scn_op_takes_module(enum scn_op_kind k)
{
	return (unsigned)k < OP_KIND_COUNT && k != OP_IRQL && k != OP_YIELD && k != OP_SLEEP;
}

int scn_unload_unreachable(const struct scenario *s, const char **why)
{
	/* Per driver module: threads that load it, and whether the op's own
	 * thread loaded it yet (ops are grouped by thread, in order). */
	bool drivers = false; /* only driver modules' ops are judged (fuzz_scenario's inputs have none) */
	for (unsigned m = 0; m < s->nmodules && m < SCN_MODULES_MAX; m++)
		drivers |= s->modules[m].kind == MODULE_DRIVER;
	if (!drivers)
		return -1;
	uint8_t loaders[SCN_MODULES_MAX] = { 0 }, seen[SCN_MODULES_MAX] = { 0 };
	unsigned nops = s->nops < SCN_OPS_MAX ? s->nops : SCN_OPS_MAX;
	_Static_assert(SCN_THREADS_MAX <= 8, "a thread mask is a byte");
	for (unsigned i = 0; i < nops; i++)
		if (s->ops[i].kind == OP_LOAD && s->ops[i].module < SCN_MODULES_MAX)
			loaders[s->ops[i].module] |= (uint8_t)(1u << (s->ops[i].thread & 7u));
	for (unsigned i = 0; i < nops; i++) {
		const struct scn_op *op = &s->ops[i];
		if (op->module >= s->nmodules || s->modules[op->module].kind != MODULE_DRIVER)
			continue;
		uint8_t self = (uint8_t)(1u << (op->thread & 7u));
		if (op->kind == OP_LOAD)
			seen[op->module] |= self;
		if (op->kind != OP_UNLOAD || (seen[op->module] & self) || (loaders[op->module] & ~self))
			continue;
		*why = loaders[op->module] ? "only this thread loads it, later"
					   : "no op loads it";
		return (int)i;
	}
	return -1;
}

bool scn_op_takes_handle(enum scn_op_kind k)
{
	return k == OP_DEREGISTER || k == OP_WAIT || k == OP_COMPLETE;
}

void scn_unload_unreachable_to_yield(struct scenario *s)
{
	const char *why;
	for (int bad; (bad = scn_unload_unreachable(s, &why)) >= 0;)
		s->ops[bad] = (struct scn_op){ .kind = OP_YIELD, .thread = s->ops[bad].thread };
}
