/* scenario_print.c - the canonical text form of a scenario (what
 * scn_parse_text reads back unchanged); docs/SCENARIO.md. */
#include "scenario/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/rules.h"

struct out {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	bool room = o->len < o->cap;
	va_start(ap, fmt);
	int n = vsnprintf(room ? o->buf + o->len : NULL, room ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void print_module(struct out *o, const struct scn_module *m)
{
	if (m->kind == MODULE_DRIVER) {
		put(o, "driver %.*s\n", SCN_NAME_MAX - 1, m->name);
		return;
	}
	put(o, "%s %.*s", m->role == ROLE_PROVIDER ? "provider" : "client", SCN_NAME_MAX - 1, m->name);
	if (m->npi)
		put(o, " npi=%u", m->npi);
	if (m->attach != ATTACH_ACCEPT)
		put(o, " attach=%s", scn_attach_name((enum scn_attach)m->attach));
	if (m->detach != DETACH_SUCCESS)
		put(o, " detach=%s", scn_detach_name((enum scn_detach)m->detach));
	if (m->unload != UNLOAD_CORRECT)
		put(o, " unload=%s", scn_unload_name((enum scn_unload)m->unload));
	if (m->chars != CHARS_OK)
		put(o, " chars=%s", scn_chars_name((enum scn_chars)m->chars));
	const char *sep = " flags=";
	for (unsigned bit = 1; bit & FLAG_ALL; bit <<= 1)
		if (m->flags & bit) {
			put(o, "%s%s", sep, scn_flag_name((enum scn_flag)bit));
			sep = ",";
		}
	put(o, "\n");
}

static void print_op(struct out *o, const struct scenario *s, const struct scn_op *op)
{
	enum scn_op_kind k = (enum scn_op_kind)op->kind;
	put(o, "  %s", scn_op_name(k));
	if (scn_op_takes_module(k))
		put(o, " %.*s", SCN_NAME_MAX - 1, op->module < s->nmodules ? s->modules[op->module].name : "?");
	if (scn_op_takes_handle(k) && op->arg != HSEL_OWN)
		put(o, " handle=%s", scn_handle_name((enum scn_handle)op->arg));
	if (k == OP_COMPLETE && op->peer && op->peer <= s->nmodules)
		put(o, " peer=%.*s", SCN_NAME_MAX - 1, s->modules[op->peer - 1].name);
	if (k == OP_IRQL)
		put(o, " %s", scn_irql_name(op->arg));
	if (k == OP_SLEEP)
		put(o, " %ums", (unsigned)op->arg);
	put(o, "\n");
}

size_t scn_print_text(const struct scenario *s, char *out, size_t cap)
{
	struct out o = { out, cap, 0 };
	if (cap)
		out[0] = '\0';
	if (s->steps_max != STEPS_DEFAULT)
		put(&o, "steps %u\n", (unsigned)s->steps_max);
	if (s->workers != 1)
		put(&o, "workers %u\n", s->workers);
	if (s->fault_num || s->fault_den)
		put(&o, "faults %u/%u\n", s->fault_num, s->fault_den);
	if (s->registrar != REGISTRAR_MODEL)
		put(&o, "registrar %s\n", scn_registrar_name((enum scn_registrar)s->registrar));
	if (s->time_jumps)
		put(&o, "time jumps\n");
	if (s->swarm)
		put(&o, "swarm on\n");
	if (s->races)
		put(&o, "races on\n");
	if (s->io_workers > 1)
		put(&o, "io-workers %u\n", s->io_workers);
	if (s->atomics_preempt)
		put(&o, "atomics preempt\n");
	if (s->sched == SCHED_BYTES) {
		for (uint32_t i = 0; i < s->sched_len && i < SCN_SCHED_BYTES_MAX; i++)
			put(&o, "%s%02x%s", i % 32 ? " " : "schedule bytes ", s->sched_bytes[i],
			    i % 32 == 31 || i + 1 == s->sched_len ? "\n" : "");
	} else if (s->sched == SCHED_SEED) {
		put(&o, "schedule seed %llu\n", (unsigned long long)s->seed);
	} else if (s->sched == SCHED_PCT) {
		put(&o, "schedule pct %llu %u\n", (unsigned long long)s->seed, s->pct_depth);
	} else {
		put(&o, "schedule replay\n");
	}
	/* A long run's trace prints all its choices (scenario.h: choices_long). */
	const struct choice_rec *recs = s->choices_long ? s->choices_long : s->choices;
	uint32_t nrecs = s->choices_long ? s->nchoices_long : s->nchoices < SCN_CHOICES_MAX ? s->nchoices : SCN_CHOICES_MAX;
	for (uint32_t i = 0; i < nrecs; i++) {
		const struct choice_rec *r = &recs[i];
		put(&o, "%s%s:%u:%u%s", i % 16 ? " " : "choices ", choice_kind_name((enum choice_kind)r->kind), r->n, r->value,
		    i % 16 == 15 || i + 1 == nrecs ? "\n" : "");
	}
	if (s->has_hash)
		put(&o, "hash %016llx\n", (unsigned long long)s->hash);
	if (s->expect == EXPECT_CLEAN) {
		put(&o, "expect clean\n");
	} else if (s->expect == EXPECT_RULES && s->nexpect) {
		put(&o, "expect");
		for (unsigned i = 0; i < s->nexpect && i < SCN_EXPECT_MAX; i++)
			put(&o, " %s", rule_info((enum rule)s->expect_rules[i])->id);
		put(&o, "\n");
	}
	for (unsigned i = 0; i < s->nmodules && i < SCN_MODULES_MAX; i++)
		print_module(&o, &s->modules[i]);
	for (unsigned t = 0; t < s->nthreads && t < SCN_THREADS_MAX; t++) {
		put(&o, "thread %.*s\n", SCN_NAME_MAX - 1, s->thread_names[t]);
		for (unsigned i = 0; i < s->nops && i < SCN_OPS_MAX; i++)
			if (s->ops[i].thread == t)
				print_op(&o, s, &s->ops[i]);
	}
	return o.len;
}
