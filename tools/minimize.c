/* minimize.c - signature-preserving shrinking (see minimize.h).
 *
 * The test of every candidate is one in-process run: does the target
 * signature still appear among the counted findings? Candidates are built in
 * a second scenario (cand) and copied over the current one (cur) when they
 * pass, so a failed candidate never leaks into the result.
 */
#include "minimize.h"

#include <stdlib.h>
#include <string.h>

struct min_ctx {
	struct runner *runner;
	const struct min_config *cfg;
	uint64_t mask;
	char sig[TGT_SIG_MAX];
	struct scenario *cur;    /* smallest scenario known to keep the signature */
	struct scenario *cand;   /* candidate under test */
	struct tgt_outcome out;  /* outcome of the last run */
	uint32_t runs;
	uint32_t runs_max;
	bool changed;            /* a pass of this round committed something */
};

/* One run of cand: does it keep the signature? */
static bool keeps(struct min_ctx *m)
{
	if (m->runs >= m->runs_max)
		return false;
	m->runs++;
	tgt_run(m->runner, m->cand, m->mask, &m->out);
	return tgt_find_sig(&m->out, m->sig) >= 0;
}

static void start(struct min_ctx *m)
{
	memcpy(m->cand, m->cur, sizeof(*m->cand));
}

/* Test cand; on success make it current. */
static bool commit_if_keeps(struct min_ctx *m)
{
	if (!keeps(m))
		return false;
	memcpy(m->cur, m->cand, sizeof(*m->cur));
	m->changed = true;
	return true;
}

/* ---- edits on cand ---- */

static void remove_ops(struct scenario *s, uint32_t first, uint32_t count)
{
	if (first >= s->nops)
		return;
	if (first + count > s->nops)
		count = s->nops - first;
	memmove(&s->ops[first], &s->ops[first + count], sizeof(s->ops[0]) * (s->nops - first - count));
	s->nops = (uint8_t)(s->nops - count);
}

static void remove_thread(struct scenario *s, uint32_t t)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < s->nops; i++) {
		if (s->ops[i].thread == t)
			continue;
		struct scn_op op = s->ops[i];
		if (op.thread > t)
			op.thread--;
		s->ops[k++] = op;
	}
	s->nops = (uint8_t)k;
	memmove(s->thread_names[t], s->thread_names[t + 1], SCN_NAME_MAX * (s->nthreads - t - 1));
	s->nthreads--;
}

static bool module_used(const struct scenario *s, uint32_t mod)
{
	for (uint32_t i = 0; i < s->nops; i++)
		if ((scn_op_takes_module((enum scn_op_kind)s->ops[i].kind) && s->ops[i].module == mod) ||
		    s->ops[i].peer == mod + 1)
			return true;
	return false;
}

static void remove_module(struct scenario *s, uint32_t mod)
{
	for (uint32_t i = 0; i < s->nops; i++) {
		struct scn_op *op = &s->ops[i];
		if (!scn_op_takes_module((enum scn_op_kind)op->kind))
			op->module = 0;
		else if (op->module > mod)
			op->module--;
		if (op->peer > mod + 1)
			op->peer--;
	}
	memmove(&s->modules[mod], &s->modules[mod + 1], sizeof(s->modules[0]) * (s->nmodules - mod - 1));
	s->nmodules--;
}

/* The choice stream of cand, whichever form it has: bytes or recorded choices. */
static uint32_t stream_len(const struct scenario *s)
{
	return s->sched == SCHED_REPLAY ? s->nchoices : s->sched == SCHED_BYTES ? s->sched_len : 0;
}

static uint32_t stream_get(const struct scenario *s, uint32_t i)
{
	return s->sched == SCHED_REPLAY ? s->choices[i].value : s->sched_bytes[i];
}

static void stream_set(struct scenario *s, uint32_t i, uint32_t v)
{
	if (s->sched == SCHED_REPLAY)
		s->choices[i].value = (uint16_t)v;
	else
		s->sched_bytes[i] = (uint8_t)v;
}

static void stream_cut(struct scenario *s, uint32_t first, uint32_t count)
{
	uint32_t len = stream_len(s);
	if (first + count > len)
		count = len - first;
	if (s->sched == SCHED_REPLAY) {
		memmove(&s->choices[first], &s->choices[first + count], sizeof(s->choices[0]) * (len - first - count));
		s->nchoices -= count;
	} else {
		memmove(&s->sched_bytes[first], &s->sched_bytes[first + count], len - first - count);
		s->sched_len -= count;
	}
}

/* Trailing zeros mean the same as no bytes at all (an exhausted stream and a
 * replay past its end both answer 0), so they go without a test. */
static void stream_trim(struct scenario *s)
{
	while (stream_len(s) && stream_get(s, stream_len(s) - 1) == 0) {
		if (s->sched == SCHED_REPLAY)
			s->nchoices--;
		else
			s->sched_len--;
	}
}

/* The choices a run took as schedule bytes that make the same decisions.
 * false if they do not fit. */
static bool log_to_bytes(struct scenario *s, const struct choice_rec *log, uint32_t n)
{
	uint32_t len = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct choice_rec *c = &log[i];
		uint32_t v = c->value;
		if (c->kind == CK_F6_FAULT && c->n == 2 && s->fault_den) {
			/* choice_chance in bytes mode: true iff byte % den >= den - num */
			v = v && s->fault_num < s->fault_den ? (uint32_t)(s->fault_den - s->fault_num) : 0;
		}
		if (len + 2 > SCN_SCHED_BYTES_MAX)
			return false;
		s->sched_bytes[len++] = (uint8_t)(v & 0xffu);
		if (c->n > 256)
			s->sched_bytes[len++] = (uint8_t)(v >> 8);
	}
	s->sched = SCHED_BYTES;
	s->sched_len = len;
	s->nchoices = 0;
	stream_trim(s);
	return true;
}

static void log_to_choices(struct scenario *s, const struct choice_rec *log, uint32_t n)
{
	s->sched = SCHED_REPLAY;
	s->sched_len = 0;
	s->nchoices = n < SCN_CHOICES_MAX ? n : SCN_CHOICES_MAX;
	memcpy(s->choices, log, sizeof(s->choices[0]) * s->nchoices);
	for (uint32_t i = 0; i < s->nchoices; i++)
		s->choices[i].pad = 0;
	stream_trim(s);
}

/* ---- passes ---- */

/* The schedule as plain as it can be: none; else the run's own choices as
 * bytes (readable, robust to edits); else as recorded choices. */
static void pass_schedule_form(struct min_ctx *m)
{
	if (m->cur->sched == SCHED_BYTES && m->cur->sched_len == 0)
		return;
	start(m);
	m->cand->sched = SCHED_BYTES;
	m->cand->sched_len = 0;
	m->cand->nchoices = 0;
	if (commit_if_keeps(m))
		return;
	if (m->cur->sched == SCHED_BYTES)
		return;
	/* Record the current run's choices. */
	start(m);
	if (!keeps(m))
		return;
	static struct choice_rec log[SCN_CHOICES_MAX];
	uint32_t n = m->out.res.nchoices < SCN_CHOICES_MAX ? m->out.res.nchoices : SCN_CHOICES_MAX;
	memcpy(log, m->out.res.choices, sizeof(log[0]) * n);
	start(m);
	if (log_to_bytes(m->cand, log, n) && commit_if_keeps(m))
		return;
	start(m);
	log_to_choices(m->cand, log, n);
	commit_if_keeps(m);
}

/* Delta debugging over the ops (complements only), then one at a time. */
static void pass_ops(struct min_ctx *m)
{
	uint32_t parts = 2;
	while (m->cur->nops > 0) {
		uint32_t len = m->cur->nops;
		if (parts > len)
			parts = len;
		uint32_t chunk = (len + parts - 1) / parts;
		bool removed = false;
		for (uint32_t first = 0; first < len; first += chunk) {
			start(m);
			remove_ops(m->cand, first, chunk);
			if (commit_if_keeps(m)) {
				removed = true;
				parts = parts > 2 ? parts - 1 : 2;
				break;
			}
		}
		if (removed)
			continue;
		if (chunk == 1)
			break;
		parts = parts * 2 < len ? parts * 2 : len;
	}
}

static void pass_threads(struct min_ctx *m)
{
	for (uint32_t t = m->cur->nthreads; t-- > 0;) {
		if (m->cur->nthreads <= 1)
			break;
		start(m);
		remove_thread(m->cand, t);
		commit_if_keeps(m);
	}
	if (m->cur->nthreads > 1) {
		/* One thread doing everything in order is easier to read. */
		start(m);
		for (uint32_t i = 0; i < m->cand->nops; i++)
			m->cand->ops[i].thread = 0;
		while (m->cand->nthreads > 1)
			m->cand->nthreads--;
		commit_if_keeps(m);
	}
}

static void pass_modules(struct min_ctx *m)
{
	for (uint32_t mod = m->cur->nmodules; mod-- > 0;) {
		if (module_used(m->cur, mod))
			continue;
		start(m);
		remove_module(m->cand, mod);
		commit_if_keeps(m);
	}
}

/* Module behaviours and op arguments towards their defaults. */
static void pass_defaults(struct min_ctx *m)
{
	for (uint32_t mod = 0; mod < m->cur->nmodules; mod++) {
		for (int field = 0; field < 6; field++) {
			struct scn_module *c = &m->cur->modules[mod];
			uint8_t *p = field == 0 ? &c->npi : field == 1 ? &c->attach : field == 2 ? &c->detach :
				     field == 3 ? &c->unload : field == 4 ? &c->chars : &c->flags;
			if (*p == 0)
				continue;
			size_t off = (size_t)(p - (uint8_t *)m->cur);
			start(m);
			((uint8_t *)m->cand)[off] = 0;
			if (commit_if_keeps(m) || field != 5)
				continue;
			for (uint8_t bit = 1; bit <= FLAG_ALL; bit <<= 1) {
				if (!(m->cur->modules[mod].flags & bit) || m->cur->modules[mod].flags == bit)
					continue;
				start(m);
				m->cand->modules[mod].flags &= (uint8_t)~bit;
				commit_if_keeps(m);
			}
		}
	}
	for (uint32_t i = 0; i < m->cur->nops; i++) {
		const struct scn_op *op = &m->cur->ops[i];
		if (scn_op_takes_handle((enum scn_op_kind)op->kind) && op->arg != HSEL_OWN) {
			start(m);
			m->cand->ops[i].arg = HSEL_OWN;
			commit_if_keeps(m);
		} else if (op->kind == OP_IRQL && op->arg > SCN_IRQL_DISPATCH) {
			start(m);
			m->cand->ops[i].arg = SCN_IRQL_DISPATCH;
			commit_if_keeps(m);
		}
	}
}

static void pass_environment(struct min_ctx *m)
{
	if (m->cur->registrar != REGISTRAR_MODEL) {
		start(m);
		m->cand->registrar = REGISTRAR_MODEL;
		commit_if_keeps(m);
	}
	if (m->cur->fault_den) {
		start(m);
		m->cand->fault_num = m->cand->fault_den = 0;
		commit_if_keeps(m);
	}
	for (uint8_t w = 0; w < m->cur->workers; w++) {
		start(m);
		m->cand->workers = w;
		if (commit_if_keeps(m))
			break;
	}
	if (m->cur->steps_max > STEPS_DEFAULT) {
		start(m);
		m->cand->steps_max = STEPS_DEFAULT;
		commit_if_keeps(m);
	}
	if (strncmp(m->sig, "L02 ", 4) != 0)
		return;
	/* A spent budget: the smallest budget that still runs out, in round
	 * hundreds (bisection; each candidate is verified). */
	uint32_t lo = 1, hi = m->cur->steps_max;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		start(m);
		m->cand->steps_max = mid;
		if (keeps(m))
			hi = mid;
		else
			lo = mid + 1;
	}
	uint32_t round = (hi + 99) / 100 * 100;
	if (round < m->cur->steps_max) {
		start(m);
		m->cand->steps_max = round;
		commit_if_keeps(m);
	}
}

static void pass_stream(struct min_ctx *m)
{
	if (m->cur->sched != SCHED_BYTES && m->cur->sched != SCHED_REPLAY)
		return;
	start(m);
	stream_trim(m->cand);
	if (stream_len(m->cand) != stream_len(m->cur))
		commit_if_keeps(m);
	/* Cut the tail, in halving chunks. */
	for (uint32_t chunk = stream_len(m->cur); chunk >= 1; chunk /= 2) {
		while (stream_len(m->cur) >= chunk && chunk) {
			start(m);
			stream_cut(m->cand, stream_len(m->cand) - chunk, chunk);
			if (!commit_if_keeps(m))
				break;
		}
	}
	/* Zero each choice (option 0 is the unsurprising one), last first. */
	for (uint32_t i = stream_len(m->cur); i-- > 0;) {
		if (i >= stream_len(m->cur) || stream_get(m->cur, i) == 0)
			continue;
		start(m);
		stream_set(m->cand, i, 0);
		stream_trim(m->cand);
		if (!commit_if_keeps(m) && stream_get(m->cur, i) > 1) {
			start(m);
			stream_set(m->cand, i, 1);
			commit_if_keeps(m);
		}
	}
	/* Drop zero choices that only shift the ones after them. */
	for (uint32_t chunk = 8; chunk >= 1; chunk /= 2) {
		for (uint32_t first = 0; first + chunk <= stream_len(m->cur);) {
			start(m);
			stream_cut(m->cand, first, chunk);
			stream_trim(m->cand);
			if (!commit_if_keeps(m))
				first += chunk;
		}
	}
}

/* End with a schedule that replays exactly: recorded choices re-recorded
 * from the final run (no divergence warning), or bytes if they fit. */
static void normalise_schedule(struct min_ctx *m)
{
	if (m->cur->sched != SCHED_REPLAY)
		return;
	start(m);
	if (!keeps(m))
		return;
	static struct choice_rec log[SCN_CHOICES_MAX];
	uint32_t n = m->out.res.nchoices < SCN_CHOICES_MAX ? m->out.res.nchoices : SCN_CHOICES_MAX;
	memcpy(log, m->out.res.choices, sizeof(log[0]) * n);
	start(m);
	if (log_to_bytes(m->cand, log, n) && commit_if_keeps(m))
		return;
	start(m);
	log_to_choices(m->cand, log, n);
	commit_if_keeps(m);
}

static int by_rule(const void *a, const void *b)
{
	return (int)*(const uint8_t *)a - (int)*(const uint8_t *)b;
}

/* The expect line: every rule the run reports (all rules counted). */
static void set_expect(struct min_ctx *m)
{
	struct scenario *s = m->cur;
	s->has_hash = false;
	s->expect = EXPECT_RULES;
	s->nexpect = 0;
	struct run_result res = run_scenario(m->runner, s, NULL, NULL);
	m->runs++;
	for (uint32_t i = 0; i < res.nfindings; i++) {
		uint8_t rule = res.findings[i].rule;
		bool dup = false;
		for (uint32_t k = 0; k < s->nexpect; k++)
			dup |= s->expect_rules[k] == rule;
		if (!dup && s->nexpect < SCN_EXPECT_MAX)
			s->expect_rules[s->nexpect++] = rule;
	}
	qsort(s->expect_rules, s->nexpect, 1, by_rule);
	if (s->nexpect == 0)
		s->expect = EXPECT_CLEAN;
}

int min_minimize(struct runner *r, const struct scenario *in, const struct min_config *cfg, struct scenario *out,
		 struct min_stats *st, char *err, size_t errcap)
{
	struct min_ctx m = { .runner = r, .cfg = cfg, .mask = cfg->rule_mask };
	m.runs_max = cfg->runs_max ? cfg->runs_max : 200000;
	memset(st, 0, sizeof(*st));
	m.cur = out;
	m.cand = malloc(sizeof(*m.cand));
	if (!m.cand) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memcpy(m.cur, in, sizeof(*m.cur));
	m.cur->has_hash = false;
	start(&m);
	tgt_run(r, m.cand, m.mask, &m.out);
	m.runs++;
	if (m.out.ncounted == 0) {
		snprintf(err, errcap, "no counted finding to keep (the run is clean under the rule filter; %u suppressed, "
			 "%u advisor%s not counted)", m.out.res.nsuppressed, m.out.nadvisories,
			 m.out.nadvisories == 1 ? "y" : "ies");
		free(m.cand);
		return -1;
	}
	if (cfg->signature) {
		if (tgt_find_sig(&m.out, cfg->signature) < 0) {
			size_t len = (size_t)snprintf(err, errcap, "signature '%s' not reported; the run reports:",
						      cfg->signature);
			for (uint32_t i = 0; i < m.out.ncounted && len < errcap; i++)
				len += (size_t)snprintf(err + len, errcap - len, " '%s'", m.out.sig[i]);
			free(m.cand);
			return -1;
		}
		snprintf(m.sig, sizeof m.sig, "%s", cfg->signature);
	} else {
		snprintf(m.sig, sizeof m.sig, "%s", m.out.sig[0]);
	}
	snprintf(st->signature, sizeof st->signature, "%s", m.sig);
	st->ops_before = in->nops;
	st->modules_before = in->nmodules;
	st->threads_before = in->nthreads;
	st->choices_before = m.out.res.nchoices;

	/* Cheap, big wins first: a plain environment and schedule make every
	 * later run shorter and the later passes' results easier to read. */
	for (int round = 0; round < 6; round++) {
		m.changed = false;
		pass_environment(&m);
		pass_schedule_form(&m);
		pass_ops(&m);
		pass_threads(&m);
		pass_modules(&m);
		pass_defaults(&m);
		pass_stream(&m);
		if (cfg->log)
			fprintf(cfg->log, "round %d: %u ops, %u modules, %u threads, %u choices, %u runs\n", round + 1,
				m.cur->nops, m.cur->nmodules, m.cur->nthreads, stream_len(m.cur), m.runs);
		if (!m.changed || m.runs >= m.runs_max)
			break;
	}
	normalise_schedule(&m);
	set_expect(&m);
	st->runs = m.runs;
	st->budget_hit = m.runs >= m.runs_max;
	st->ops_after = m.cur->nops;
	st->modules_after = m.cur->nmodules;
	st->threads_after = m.cur->nthreads;
	st->choices_after = stream_len(m.cur);
	free(m.cand);
	return 0;
}

int min_print(FILE *f, const struct scenario *out, const struct min_stats *st, const char *origin)
{
	size_t need = scn_print_text(out, NULL, 0) + 1;
	char *text = malloc(need);
	if (!text)
		return -1;
	scn_print_text(out, text, need);
	fprintf(f, "# signature: %s\n", st->signature);
	if (origin)
		fprintf(f, "# minimised by nmr-minimize from %s: %u -> %u ops, %u -> %u modules, %u -> %u threads, "
			   "%u choices -> %u, %u runs\n",
			origin, st->ops_before, st->ops_after, st->modules_before, st->modules_after, st->threads_before,
			st->threads_after, st->choices_before, st->choices_after, st->runs);
	fputs(text, f);
	free(text);
	return ferror(f) ? -1 : 0;
}
