/* scenario_text.c - the text form of a scenario: parse with file:line errors,
 * print the canonical form. The language is documented in docs/SCENARIO.md.
 *
 * The parser copies each line (at most SCN_LINE_MAX bytes) into a local
 * buffer, cuts the comment, splits it into space/tab separated tokens and
 * handles one directive or op per line. Every check happens before the struct
 * is written, so capacities are never exceeded; on error the scenario is reset
 * to scn_init's.
 */
#include "scenario/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/rules.h"

#define TOKS_MAX (SCN_LINE_MAX / 2 + 1)
#define QUOTE_MAX 24 /* bytes of an offending token quoted in an error */

enum { SEEN_STEPS = 1, SEEN_WORKERS = 2, SEEN_FAULTS = 4, SEEN_REGISTRAR = 8, SEEN_HASH = 16, SEEN_EXPECT = 32 };

struct parser {
	struct scenario *s;
	struct scn_error *err;
	unsigned seen;     /* SEEN_* of the directives that may appear once */
	bool sched_set;    /* a schedule line fixed s->sched */
	bool choices_seen; /* a choices line set s->sched = SCHED_REPLAY */
	int cur_thread;    /* thread receiving ops, -1 before the first */
};

void scn_init(struct scenario *s)
{
	memset(s, 0, sizeof *s);
	s->nthreads = 1; /* the implicit thread T0: parse("") == decode("") == this */
	memcpy(s->thread_names[0], "T0", 3);
	s->workers = 1;
	s->steps_max = STEPS_DEFAULT;
	s->sched = SCHED_BYTES;
	s->pct_depth = 3;
	s->registrar = REGISTRAR_MODEL;
	s->expect = EXPECT_NONE;
}

/* --- errors ----------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->reason, sizeof p->err->reason, fmt, ap);
	va_end(ap);
	return -1;
}

/* A token made printable for a message: control and non-ASCII bytes as '?',
 * cut after QUOTE_MAX bytes. */
static const char *q(char buf[QUOTE_MAX + 4], const char *t)
{
	size_t i = 0;
	for (; t[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)t[i];
		buf[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	memcpy(buf + i, t[i] ? "..." : "", t[i] ? 4 : 1);
	return buf;
}

static int nargs(struct parser *p, char **tok, int n, int min, int max)
{
	char b[QUOTE_MAX + 4];
	if (n - 1 < min)
		return fail(p, "missing argument for '%s'", tok[0]);
	if (max >= 0 && n - 1 > max)
		return fail(p, "extra token '%s' after '%s'", q(b, tok[1 + max]), tok[0]);
	return 0;
}

static int once(struct parser *p, unsigned bit, const char *kw)
{
	if (p->seen & bit)
		return fail(p, "duplicate '%s' line", kw);
	p->seen |= bit;
	return 0;
}

/* --- values ----------------------------------------------------------- */

static bool parse_dec(const char *t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*t)
		return false;
	for (; *t; t++) {
		if (*t < '0' || *t > '9')
			return false;
		unsigned d = (unsigned)(*t - '0');
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1..16 hex digits. */
static bool parse_hex64(const char *t, uint64_t *out)
{
	size_t n = strlen(t);
	uint64_t v = 0;
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(t[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

static bool parse_seed(const char *t, uint64_t *out)
{
	if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
		return parse_hex64(t + 2, out);
	return parse_dec(t, UINT64_MAX, out);
}

static const char *n_attach(unsigned v) { return scn_attach_name((enum scn_attach)v); }
static const char *n_detach(unsigned v) { return scn_detach_name((enum scn_detach)v); }
static const char *n_unload(unsigned v) { return scn_unload_name((enum scn_unload)v); }
static const char *n_chars(unsigned v) { return scn_chars_name((enum scn_chars)v); }
static const char *n_handle(unsigned v) { return scn_handle_name((enum scn_handle)v); }
static const char *n_registrar(unsigned v) { return scn_registrar_name((enum scn_registrar)v); }
static const char *n_sched(unsigned v) { return scn_sched_name((enum scn_sched)v); }

struct enum_desc {
	const char *what;
	int (*parse)(const char *);
	const char *(*name)(unsigned);
	unsigned count;
};

static const struct enum_desc D_ATTACH = { "attach", scn_attach_parse, n_attach, ATTACH_COUNT };
static const struct enum_desc D_DETACH = { "detach", scn_detach_parse, n_detach, DETACH_COUNT };
static const struct enum_desc D_UNLOAD = { "unload", scn_unload_parse, n_unload, UNLOAD_COUNT };
static const struct enum_desc D_CHARS = { "chars", scn_chars_parse, n_chars, CHARS_COUNT };
static const struct enum_desc D_HANDLE = { "handle", scn_handle_parse, n_handle, HSEL_COUNT };
static const struct enum_desc D_REGISTRAR = { "registrar", scn_registrar_parse, n_registrar, REGISTRAR_COUNT };
static const struct enum_desc D_SCHED = { "schedule", scn_sched_parse, n_sched, SCHED_COUNT };

static int get_enum(struct parser *p, const struct enum_desc *d, const char *val, uint8_t *out)
{
	int v = d->parse(val);
	if (v >= 0) {
		*out = (uint8_t)v;
		return 0;
	}
	char list[96], b[QUOTE_MAX + 4];
	size_t len = 0;
	list[0] = '\0';
	for (unsigned i = 0; i < d->count; i++) {
		const char *nm = d->name(i);
		size_t n = strlen(nm);
		if (len + n + 5 >= sizeof list) {
			memcpy(list + len, "|...", 5);
			break;
		}
		if (i)
			list[len++] = '|';
		memcpy(list + len, nm, n + 1);
		len += n;
	}
	return fail(p, "bad value '%s' for %s (expected %s)", q(b, val), d->what, list);
}

static bool valid_name(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n >= SCN_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '-')))
			return false;
	}
	return true;
}

static int find_module(const struct scenario *s, const char *name)
{
	for (unsigned i = 0; i < s->nmodules; i++)
		if (strcmp(s->modules[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* --- directives ------------------------------------------------------- */

static int d_steps(struct parser *p, char **tok, int n)
{
	uint64_t v;
	char b[QUOTE_MAX + 4];
	if (once(p, SEEN_STEPS, "steps") || nargs(p, tok, n, 1, 1))
		return -1;
	if (!parse_dec(tok[1], SCN_STEPS_MAX, &v) || v == 0)
		return fail(p, "bad value '%s' for steps (expected 1..%u)", q(b, tok[1]), SCN_STEPS_MAX);
	p->s->steps_max = (uint32_t)v;
	return 0;
}

static int d_workers(struct parser *p, char **tok, int n)
{
	uint64_t v;
	char b[QUOTE_MAX + 4];
	if (once(p, SEEN_WORKERS, "workers") || nargs(p, tok, n, 1, 1))
		return -1;
	if (!parse_dec(tok[1], NMR_WORKERS_MAX, &v))
		return fail(p, "bad value '%s' for workers (expected 0..%d)", q(b, tok[1]), NMR_WORKERS_MAX);
	p->s->workers = (uint8_t)v;
	return 0;
}

static int d_faults(struct parser *p, char **tok, int n)
{
	uint64_t num = 0, den = 0;
	char b[QUOTE_MAX + 4];
	if (once(p, SEEN_FAULTS, "faults") || nargs(p, tok, n, 1, 1))
		return -1;
	if (strcmp(tok[1], "off") != 0) {
		char *slash = strchr(tok[1], '/');
		bool ok = slash != NULL;
		if (ok) {
			*slash = '\0';
			ok = parse_dec(tok[1], 255, &num) && parse_dec(slash + 1, 255, &den) && num <= den;
			*slash = '/';
		}
		if (!ok)
			return fail(p, "bad value '%s' for faults (expected NUM/DEN with NUM <= DEN <= 255, or off)", q(b, tok[1]));
	}
	p->s->fault_num = (uint8_t)num;
	p->s->fault_den = (uint8_t)den;
	return 0;
}

static int d_registrar(struct parser *p, char **tok, int n)
{
	if (once(p, SEEN_REGISTRAR, "registrar") || nargs(p, tok, n, 1, 1))
		return -1;
	return get_enum(p, &D_REGISTRAR, tok[1], &p->s->registrar);
}

static int sched_bytes(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	for (int i = 2; i < n; i++) {
		size_t len = strlen(tok[i]);
		for (size_t j = 0; j < len; j++)
			if (hexval(tok[i][j]) < 0 || len % 2)
				return fail(p, "bad schedule bytes '%s' (expected pairs of hex digits)", q(b, tok[i]));
		if (len / 2 > SCN_SCHED_BYTES_MAX - s->sched_len)
			return fail(p, "too many schedule bytes (max %d)", SCN_SCHED_BYTES_MAX);
		for (size_t j = 0; j < len; j += 2)
			s->sched_bytes[s->sched_len++] = (uint8_t)(hexval(tok[i][j]) << 4 | hexval(tok[i][j + 1]));
	}
	return 0;
}

static int d_schedule(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	uint8_t kind = 0;
	uint64_t v;
	char b[QUOTE_MAX + 4];
	if (nargs(p, tok, n, 1, -1) || get_enum(p, &D_SCHED, tok[1], &kind))
		return -1;
	if (p->sched_set && !(kind == SCHED_BYTES && s->sched == SCHED_BYTES))
		return fail(p, "duplicate 'schedule' line (already %s)", scn_sched_name((enum scn_sched)s->sched));
	if (p->choices_seen && kind != SCHED_REPLAY)
		return fail(p, "'schedule %s' conflicts with choices (they imply replay)", tok[1]);
	if (kind != SCHED_BYTES) {
		int want = kind == SCHED_REPLAY ? 0 : kind == SCHED_SEED ? 1 : 2;
		if (n - 2 < want)
			return fail(p, "missing argument for 'schedule %s'", tok[1]);
		if (n - 2 > want)
			return fail(p, "extra token '%s' after 'schedule %s'", q(b, tok[2 + want]), tok[1]);
	}
	p->sched_set = true;
	s->sched = kind;
	if (kind == SCHED_BYTES)
		return sched_bytes(p, tok, n);
	if (kind == SCHED_REPLAY)
		return 0;
	if (!parse_seed(tok[2], &s->seed))
		return fail(p, "bad seed '%s' (expected a decimal or 0x-hex 64-bit number)", q(b, tok[2]));
	if (kind == SCHED_PCT) {
		if (!parse_dec(tok[3], CHOICE_PCT_DEPTH_MAX, &v) || v == 0)
			return fail(p, "bad value '%s' for pct depth (expected 1..%d)", q(b, tok[3]), CHOICE_PCT_DEPTH_MAX);
		s->pct_depth = (uint8_t)v;
	}
	return 0;
}

static int d_choices(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (nargs(p, tok, n, 1, -1))
		return -1;
	if (p->sched_set && s->sched != SCHED_REPLAY)
		return fail(p, "choices need 'schedule replay' (schedule is %s)", scn_sched_name((enum scn_sched)s->sched));
	p->choices_seen = true;
	s->sched = SCHED_REPLAY;
	for (int i = 1; i < n; i++) {
		uint64_t cn = 0, cv = 0;
		int kind = -1;
		q(b, tok[i]); /* for the message: the token is cut up below */
		char *c2 = strrchr(tok[i], ':'), *c1 = NULL;
		if (c2) {
			*c2 = '\0';
			c1 = strrchr(tok[i], ':');
		}
		if (c1) {
			*c1 = '\0';
			kind = choice_kind_parse(tok[i]);
		}
		if (kind < 0 || !parse_dec(c1 + 1, 65535, &cn) || cn == 0 || !parse_dec(c2 + 1, 65535, &cv) || cv >= cn)
			return fail(p, "bad choice '%s' (expected KIND:N:VALUE, KIND thread|f1..f6|pool|module, VALUE < N <= 65535)", b);
		if (s->nchoices >= SCN_CHOICES_MAX)
			return fail(p, "too many choices (max %d)", SCN_CHOICES_MAX);
		struct choice_rec *r = &s->choices[s->nchoices++];
		r->kind = (uint8_t)kind;
		r->n = (uint16_t)cn;
		r->value = (uint16_t)cv;
	}
	return 0;
}

static int d_hash(struct parser *p, char **tok, int n)
{
	char b[QUOTE_MAX + 4];
	if (once(p, SEEN_HASH, "hash") || nargs(p, tok, n, 1, 1))
		return -1;
	if (strlen(tok[1]) != 16 || !parse_hex64(tok[1], &p->s->hash))
		return fail(p, "bad hash '%s' (expected 16 hex digits)", q(b, tok[1]));
	p->s->has_hash = true;
	return 0;
}

static int d_expect(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (once(p, SEEN_EXPECT, "expect") || nargs(p, tok, n, 1, -1))
		return -1;
	if (strcmp(tok[1], "clean") == 0) {
		if (nargs(p, tok, n, 1, 1))
			return -1;
		s->expect = EXPECT_CLEAN;
		return 0;
	}
	if (n - 1 > SCN_EXPECT_MAX)
		return fail(p, "too many rules in expect (max %d)", SCN_EXPECT_MAX);
	for (int i = 1; i < n; i++) {
		enum rule r = rule_parse(tok[i]);
		if (r == RULE_NONE)
			return fail(p, "unknown rule '%s' (expected clean or rule IDs like M17)", q(b, tok[i]));
		for (unsigned j = 0; j < s->nexpect; j++)
			if (s->expect_rules[j] == r)
				return fail(p, "duplicate rule '%s' in expect", tok[i]);
		s->expect_rules[s->nexpect++] = (uint8_t)r;
	}
	s->expect = EXPECT_RULES;
	return 0;
}

static int module_key(struct parser *p, struct scn_module *m, char *t, unsigned *keys)
{
	static const char *const key_names[] = { "npi", "attach", "detach", "unload", "chars", "flags" };
	char b[QUOTE_MAX + 4];
	char *eq = strchr(t, '=');
	if (!eq)
		return fail(p, "bad token '%s' (expected KEY=VALUE)", q(b, t));
	*eq = '\0';
	const char *val = eq + 1;
	unsigned k = 0;
	while (k < 6 && strcmp(t, key_names[k]) != 0)
		k++;
	if (k == 6)
		return fail(p, "unknown key '%s' (expected npi|attach|detach|unload|chars|flags)", q(b, t));
	if (*keys & 1u << k)
		return fail(p, "duplicate key '%s'", t);
	*keys |= 1u << k;
	switch (k) {
	case 0: {
		uint64_t v;
		if (!parse_dec(val, SCN_NPIS_MAX - 1, &v))
			return fail(p, "bad value '%s' for npi (expected 0..%d)", q(b, val), SCN_NPIS_MAX - 1);
		m->npi = (uint8_t)v;
		return 0;
	}
	case 1: return get_enum(p, &D_ATTACH, val, &m->attach);
	case 2: return get_enum(p, &D_DETACH, val, &m->detach);
	case 3: return get_enum(p, &D_UNLOAD, val, &m->unload);
	case 4: return get_enum(p, &D_CHARS, val, &m->chars);
	default:
		for (char *f = eq + 1, *next; f; f = next) {
			next = strchr(f, ',');
			if (next)
				*next++ = '\0';
			int bit = scn_flag_parse(f);
			if (bit < 0)
				return fail(p, "bad flag '%s' (expected unsafe-calls|leak, comma separated)", q(b, f));
			m->flags |= (uint8_t)bit;
		}
		return 0;
	}
}

static int d_module(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (nargs(p, tok, n, 1, -1))
		return -1;
	if (!valid_name(tok[1]))
		return fail(p, "bad module name '%s' (expected [A-Za-z_][A-Za-z0-9_-]*, < %d bytes)", q(b, tok[1]), SCN_NAME_MAX);
	if (find_module(s, tok[1]) >= 0)
		return fail(p, "duplicate module '%s'", tok[1]);
	if (s->nmodules >= SCN_MODULES_MAX)
		return fail(p, "too many modules (max %d)", SCN_MODULES_MAX);
	struct scn_module m = { .role = tok[0][0] == 'p' ? ROLE_PROVIDER : ROLE_CLIENT };
	unsigned keys = 0;
	memcpy(m.name, tok[1], strlen(tok[1]) + 1);
	for (int i = 2; i < n; i++)
		if (module_key(p, &m, tok[i], &keys))
			return -1;
	s->modules[s->nmodules++] = m;
	return 0;
}

/* `driver NAME`: a hosted driver linked into this binary, by build name. */
static int d_driver(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (nargs(p, tok, n, 1, 1))
		return -1;
	if (!valid_name(tok[1]))
		return fail(p, "bad driver name '%s' (expected [A-Za-z_][A-Za-z0-9_-]*, < %d bytes)", q(b, tok[1]), SCN_NAME_MAX);
	if (find_module(s, tok[1]) >= 0)
		return fail(p, "duplicate module '%s'", tok[1]);
	int d = scn_driver_find(tok[1]);
	if (d < 0) {
		char list[160] = "";
		size_t len = 0;
		for (unsigned i = 0; i < scn_driver_count() && len < sizeof list - 40; i++)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", scn_driver_name(i));
		return fail(p, "unknown driver '%s' (linked into this binary: %s)", q(b, tok[1]),
			    scn_driver_count() ? list : "none; build with -Ddrivers=... or tools/nmrsim-build");
	}
	if (s->nmodules >= SCN_MODULES_MAX)
		return fail(p, "too many modules (max %d)", SCN_MODULES_MAX);
	struct scn_module m = { .kind = MODULE_DRIVER, .driver = (uint8_t)d };
	memcpy(m.name, tok[1], strlen(tok[1]) + 1);
	s->modules[s->nmodules++] = m;
	return 0;
}

static int add_thread(struct parser *p, const char *name)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (!valid_name(name))
		return fail(p, "bad thread name '%s' (expected [A-Za-z_][A-Za-z0-9_-]*, < %d bytes)", q(b, name), SCN_NAME_MAX);
	for (unsigned i = 0; i < s->nthreads; i++)
		if (strcmp(s->thread_names[i], name) == 0)
			return fail(p, "duplicate thread '%s'", name);
	if (s->nthreads >= SCN_THREADS_MAX)
		return fail(p, "too many threads (max %d)", SCN_THREADS_MAX);
	memcpy(s->thread_names[s->nthreads], name, strlen(name) + 1);
	p->cur_thread = s->nthreads++;
	return 0;
}

static int d_thread(struct parser *p, char **tok, int n)
{
	if (nargs(p, tok, n, 1, 1))
		return -1;
	return add_thread(p, tok[1]);
}

static int op_line(struct parser *p, enum scn_op_kind kind, char **tok, int n)
{
	struct scenario *s = p->s;
	struct scn_op op = { .kind = (uint8_t)kind };
	char b[QUOTE_MAX + 4];
	int used = 1;
	if (scn_op_takes_module(kind)) {
		if (n < 2)
			return fail(p, "missing module name for '%s'", tok[0]);
		int m = find_module(s, tok[1]);
		if (m < 0)
			return fail(p, "unknown module '%s' (declare it with client/provider first)", q(b, tok[1]));
		op.module = (uint8_t)m;
		used = 2;
		if (!scn_op_fits(kind, (enum scn_module_kind)s->modules[m].kind))
			return fail(p, s->modules[m].kind == MODULE_DRIVER
					       ? "'%s' does not apply to driver '%s' (drivers take load and unload)"
					       : "'%s' applies to drivers only, and '%s' is a scripted module",
				    tok[0], tok[1]);
		if (scn_op_takes_handle(kind) && n > 2 && strncmp(tok[2], "handle=", 7) == 0) {
			if (get_enum(p, &D_HANDLE, tok[2] + 7, &op.arg))
				return -1;
			used = 3;
		}
	} else if (kind == OP_IRQL) {
		if (n < 2)
			return fail(p, "missing level for 'irql'");
		int l = scn_irql_parse(tok[1]);
		if (l < 0)
			return fail(p, "bad value '%s' for irql (expected passive|apc|dispatch|high or 0..%d)", q(b, tok[1]), SCN_IRQL_MAX);
		op.arg = (uint8_t)l;
		used = 2;
	}
	if (n > used) {
		if (strncmp(tok[used], "handle=", 7) == 0 && !scn_op_takes_handle(kind))
			return fail(p, "'%s' takes no handle= (only deregister, wait, complete do)", tok[0]);
		return fail(p, "extra token '%s' after '%s'", q(b, tok[used]), tok[0]);
	}
	if (s->nops >= SCN_OPS_MAX)
		return fail(p, "too many operations (max %d)", SCN_OPS_MAX);
	if (p->cur_thread < 0 && add_thread(p, "T0"))
		return -1;
	op.thread = (uint8_t)p->cur_thread;
	s->ops[s->nops++] = op;
	return 0;
}

static const struct {
	const char *kw;
	int (*fn)(struct parser *, char **, int);
} directives[] = {
	{ "steps", d_steps }, { "workers", d_workers }, { "faults", d_faults },
	{ "registrar", d_registrar }, { "schedule", d_schedule }, { "choices", d_choices },
	{ "hash", d_hash }, { "expect", d_expect }, { "provider", d_module },
	{ "client", d_module }, { "driver", d_driver }, { "thread", d_thread },
};

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
	for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
		if (strcmp(tok[0], directives[i].kw) == 0)
			return directives[i].fn(p, tok, n);
	int kind = scn_op_parse(tok[0]);
	if (kind < 0)
		return fail(p, "unknown op or directive '%s'", q(b, tok[0]));
	return op_line(p, (enum scn_op_kind)kind, tok, n);
}

int scn_parse_text(struct scenario *s, const char *text, size_t len, const char *file, struct scn_error *err)
{
	struct scn_error dummy;
	struct parser p = { .s = s, .err = err ? err : &dummy, .cur_thread = -1 };
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
			fail(&p, "NUL byte");
			goto error;
		}
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > SCN_LINE_MAX) {
			fail(&p, "line too long (max %d bytes)", SCN_LINE_MAX);
			goto error;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		if (parse_line(&p, line))
			goto error;
	}
	if (s->nthreads == 0)
		memcpy(s->thread_names[s->nthreads++], "T0", 3);
	p.err->line = 0;
	return 0;
error:
	scn_init(s);
	return -1;
}

/* --- printing --------------------------------------------------------- */

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
	if (k == OP_IRQL)
		put(o, " %s", scn_irql_name(op->arg));
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
	for (uint32_t i = 0; i < s->nchoices && i < SCN_CHOICES_MAX; i++) {
		const struct choice_rec *r = &s->choices[i];
		put(&o, "%s%s:%u:%u%s", i % 16 ? " " : "choices ", choice_kind_name((enum choice_kind)r->kind), r->n, r->value,
		    i % 16 == 15 || i + 1 == s->nchoices ? "\n" : "");
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
