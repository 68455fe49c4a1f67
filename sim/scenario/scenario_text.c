/* scenario_text.c - the text form of a scenario: parse with file:line errors
 * (the directives are in scenario_directives.c, the helpers in
 * scenario_values.c, printing in scenario_print.c). The language is documented in docs/SCENARIO.md.
 *
 * The parser copies each line (at most SCN_LINE_MAX bytes) into a local
 * buffer, cuts the comment, splits it into space/tab separated tokens and
 * handles one directive or op per line. Every check happens before the struct
 * is written, so capacities are never exceeded; on error the scenario is reset
 * to scn_init's.
 */
#include "scenario/scenario_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void scn_init(struct scenario *s)
{
	memset(s, 0, sizeof *s);
	s->nthreads = 1; /* the implicit thread T0: parse("") == decode("") == this */
	memcpy(s->thread_names[0], "T0", 3);
	s->workers = 1;
	s->io_workers = 1;
	s->steps_max = STEPS_DEFAULT;
	s->sched = SCHED_BYTES;
	s->pct_depth = 3;
	s->registrar = REGISTRAR_MODEL;
	s->expect = EXPECT_NONE;
}

/* --- ops and lines ---------------------------------------------------- */

static int op_line(struct parser *p, enum scn_op_kind kind, char **tok, int n)
{
	struct scenario *s = p->s;
	struct scn_op op = { .kind = (uint8_t)kind };
	char b[QUOTE_MAX + 4];
	int used = 1;
	if (scn_op_takes_module(kind)) {
		if (n < 2)
			return stx_fail(p, "missing module name for '%s'", tok[0]);
		int m = stx_find_module(s, tok[1]);
		if (m < 0)
			return stx_fail(p, "unknown module '%s' (declare it with client/provider first)", stx_quote(b, tok[1]));
		op.module = (uint8_t)m;
		used = 2;
		if (!scn_op_fits(kind, (enum scn_module_kind)s->modules[m].kind))
			return stx_fail(p, s->modules[m].kind == MODULE_DRIVER
					       ? "'%s' does not apply to driver '%s' (drivers take load and unload)"
					       : "'%s' applies to drivers only, and '%s' is a scripted module",
				    tok[0], tok[1]);
		if (scn_op_takes_handle(kind) && n > 2 && strncmp(tok[2], "handle=", 7) == 0) {
			if (stx_enum(p, &stx_handle, tok[2] + 7, &op.arg))
				return -1;
			used = 3;
		}
		if (kind == OP_COMPLETE && n > used && strncmp(tok[used], "peer=", 5) == 0) {
			int q = stx_find_module(s, tok[used] + 5);
			if (q < 0 || s->modules[q].kind != MODULE_SCRIPTED || s->modules[q].role == s->modules[m].role)
				return stx_fail(p, "peer=%s: not a scripted module of the other role than '%s'",
						stx_quote(b, tok[used] + 5), tok[1]);
			op.peer = (uint8_t)(q + 1);
			used++;
		}
	} else if (kind == OP_SLEEP) {
		uint64_t ms = 0;
		size_t len = n < 2 ? 0 : strlen(tok[1]);
		if (n < 2)
			return stx_fail(p, "missing duration for 'sleep' (e.g. sleep 20ms)");
		if (len < 3 || strcmp(tok[1] + len - 2, "ms") != 0)
			return stx_fail(p, "bad duration '%s' for sleep (expected 1ms..%dms)", stx_quote(b, tok[1]), SCN_SLEEP_MS_MAX);
		tok[1][len - 2] = '\0';
		if (!stx_dec(tok[1], SCN_SLEEP_MS_MAX, &ms) || ms == 0)
			return stx_fail(p, "bad duration '%sms' for sleep (expected 1ms..%dms)", stx_quote(b, tok[1]), SCN_SLEEP_MS_MAX);
		op.arg = (uint8_t)ms;
		used = 2;
	} else if (kind == OP_IRQL) {
		if (n < 2)
			return stx_fail(p, "missing level for 'irql'");
		int l = scn_irql_parse(tok[1]);
		if (l < 0)
			return stx_fail(p, "bad value '%s' for irql (expected passive|apc|dispatch|high or 0..%d)", stx_quote(b, tok[1]), SCN_IRQL_MAX);
		op.arg = (uint8_t)l;
		used = 2;
	}
	if (n > used) {
		if (strncmp(tok[used], "handle=", 7) == 0 && !scn_op_takes_handle(kind))
			return stx_fail(p, "'%s' takes no handle= (only deregister, wait, complete do)", tok[0]);
		return stx_fail(p, "extra token '%s' after '%s'", stx_quote(b, tok[used]), tok[0]);
	}
	if (s->nops >= SCN_OPS_MAX)
		return stx_fail(p, "too many operations (max %d)", SCN_OPS_MAX);
	if (p->cur_thread < 0 && stx_add_thread(p, "T0"))
		return -1;
	op.thread = (uint8_t)p->cur_thread;
	p->op_lines[s->nops] = p->err->line;
	s->ops[s->nops++] = op;
	return 0;
}

/* An unload that can never find its driver loaded is a scenario error. */
static void fail_unload(struct parser *p, const struct scn_op *op, const char *why)
{
	stx_fail(p, "unload %s can never find the driver loaded: %s", p->s->modules[op->module].name, why);
}

static int parse_line(struct parser *p, char *line)
{
	char *tok[TOKS_MAX], b[QUOTE_MAX + 4];
	int n = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (char *c = line; *c && n < TOKS_MAX;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c)
			break;
		tok[n++] = c;
		while (*c && *c != ' ' && *c != '\t')
			c++;
		if (*c)
			*c++ = '\0';
	}
	if (n == 0)
		return 0;
	stx_directive_fn fn = stx_directive(tok[0]);
	if (fn)
		return fn(p, tok, n);
	int kind = scn_op_parse(tok[0]);
	if (kind < 0)
		return stx_fail(p, "unknown op or directive '%s'", stx_quote(b, tok[0]));
	return op_line(p, (enum scn_op_kind)kind, tok, n);
}

int scn_parse_text(struct scenario *s, const char *text, size_t len, const char *file, struct scn_error *err)
{
	return scn_parse_text_long(s, text, len, file, err, NULL, 0);
}

int scn_parse_text_long(struct scenario *s, const char *text, size_t len, const char *file, struct scn_error *err,
			struct choice_rec *long_log, uint32_t long_cap)
{
	struct scn_error dummy;
	struct parser p = { .s = s, .err = err ? err : &dummy, .cur_thread = -1, .long_log = long_log, .long_cap = long_cap };
	char line[SCN_LINE_MAX + 1];
	size_t pos = 0;
	memset(p.err, 0, sizeof *p.err);
	snprintf(p.err->file, sizeof p.err->file, "%s", file ? file : "");
	scn_init(s);
	s->nthreads = 0; /* threads come from the text; T0 is added if none */
	memset(s->thread_names[0], 0, SCN_NAME_MAX);
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		pos += n + (nl ? 1 : 0);
		p.err->line++;
		if (memchr(start, '\0', n)) {
			stx_fail(&p, "NUL byte");
			goto error;
		}
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > SCN_LINE_MAX) {
			stx_fail(&p, "line too long (max %d bytes)", SCN_LINE_MAX);
			goto error;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		if (parse_line(&p, line))
			goto error;
	}
	if (s->nthreads == 0)
		memcpy(s->thread_names[s->nthreads++], "T0", 3);
	const char *why;
	int bad = scn_unload_unreachable(s, &why);
	if (bad >= 0) {
		p.err->line = p.op_lines[bad];
		fail_unload(&p, &s->ops[bad], why);
		goto error;
	}
	p.err->line = 0;
	return 0;
error:
	scn_init(s);
	return -1;
}
