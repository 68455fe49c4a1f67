/* scenario_directives.c - the text form's directive lines (steps, workers,
 * faults, registrar, schedule, choices, hash, expect, modules, drivers,
 * threads); docs/SCENARIO.md. */
#include "scenario/scenario_text.h"

#include <stdio.h>
#include <string.h>

#include "core/rules.h"

/* --- directives ------------------------------------------------------- */

static int d_steps(struct parser *p, char **tok, int n)
{
	uint64_t v;
	char b[QUOTE_MAX + 4];
	if (stx_once(p, SEEN_STEPS, "steps") || stx_nargs(p, tok, n, 1, 1))
		return -1;
	if (!stx_dec(tok[1], SCN_STEPS_MAX, &v) || v == 0)
		return stx_fail(p, "bad value '%s' for steps (expected 1..%u)", stx_quote(b, tok[1]), SCN_STEPS_MAX);
	p->s->steps_max = (uint32_t)v;
	return 0;
}

static int d_workers(struct parser *p, char **tok, int n)
{
	uint64_t v;
	char b[QUOTE_MAX + 4];
	if (stx_once(p, SEEN_WORKERS, "workers") || stx_nargs(p, tok, n, 1, 1))
		return -1;
	if (!stx_dec(tok[1], NMR_WORKERS_MAX, &v))
		return stx_fail(p, "bad value '%s' for workers (expected 0..%d)", stx_quote(b, tok[1]), NMR_WORKERS_MAX);
	p->s->workers = (uint8_t)v;
	return 0;
}

/* `io-workers N`: the system worker threads that run hosted drivers'
 * IoQueueWorkItem / ExQueueWorkItem items (Windows has several, so two
 * items may run at once); 1 is the default. */
static int d_io_workers(struct parser *p, char **tok, int n)
{
	uint64_t v;
	char b[QUOTE_MAX + 4];
	if (stx_once(p, SEEN_IO_WORKERS, "io-workers") || stx_nargs(p, tok, n, 1, 1))
		return -1;
	if (!stx_dec(tok[1], KERNEL_IO_WORKERS_MAX, &v) || v == 0)
		return stx_fail(p, "bad value '%s' for io-workers (expected 1..%d)", stx_quote(b, tok[1]),
				KERNEL_IO_WORKERS_MAX);
	p->s->io_workers = (uint8_t)v;
	return 0;
}

/* A directive that may appear once with one of two words: `*out` = 1 for
 * `yes`, 0 for `no`. */
static int two_words(struct parser *p, char **tok, int n, unsigned seen, const char *kw, const char *no,
		     const char *yes, uint8_t *out)
{
	char b[QUOTE_MAX + 4];
	if (stx_once(p, seen, kw) || stx_nargs(p, tok, n, 1, 1))
		return -1;
	if (strcmp(tok[1], yes) != 0 && strcmp(tok[1], no) != 0)
		return stx_fail(p, "bad value '%s' for %s (expected %s|%s)", stx_quote(b, tok[1]), kw, no, yes);
	*out = strcmp(tok[1], yes) == 0;
	return 0;
}

/* `time jumps`: while an Unload runs, the schedule may move simulated time
 * to the next deadline at any scheduling point (a choice), so timer-driven
 * work overlaps the unload. `time steps` is the default. */
static int d_time(struct parser *p, char **tok, int n)
{
	return two_words(p, tok, n, SEEN_TIME, "time", "steps", "jumps", &p->s->time_jumps);
}

/* `swarm on`: the scenario's own schedule (bytes or seed) first draws a
 * swarm configuration from its stream, then every choice follows it
 * (choice_init_swarm*). A recorded trace replays its choices either way. */
static int d_swarm(struct parser *p, char **tok, int n)
{
	return two_words(p, tok, n, SEEN_SWARM, "swarm", "off", "on", &p->s->swarm);
}

/* `races on`: hosted driver code's accesses to its globals and pool are
 * checked for data races (K11, sim/kernel/race.h); `races off` is the
 * default (NMRSIM_RACES=1 turns it on for every run of a process). */
static int d_races(struct parser *p, char **tok, int n)
{
	return two_words(p, tok, n, SEEN_RACES, "races", "off", "on", &p->s->races);
}

/* `atomics preempt`: an atomic (Interlocked*, ReadAcquire-style loads and
 * stores) or volatile access of hosted driver code is a scheduling point,
 * so a check-then-act between two of them can be interleaved
 * (sim/host/atomic_point.h); `atomics plain`, the default, keeps every
 * older scenario's trace. */
static int d_atomics(struct parser *p, char **tok, int n)
{
	return two_words(p, tok, n, SEEN_ATOMICS, "atomics", "plain", "preempt", &p->s->atomics_preempt);
}

static int d_faults(struct parser *p, char **tok, int n)
{
	uint64_t num = 0, den = 0;
	char b[QUOTE_MAX + 4];
	if (stx_once(p, SEEN_FAULTS, "faults") || stx_nargs(p, tok, n, 1, 1))
		return -1;
	if (strcmp(tok[1], "off") != 0) {
		char *slash = strchr(tok[1], '/');
		bool ok = slash != NULL;
		if (ok) {
			*slash = '\0';
			ok = stx_dec(tok[1], 255, &num) && stx_dec(slash + 1, 255, &den) && num <= den;
			*slash = '/';
		}
		if (!ok)
			return stx_fail(p, "bad value '%s' for faults (expected NUM/DEN with NUM <= DEN <= 255, or off)", stx_quote(b, tok[1]));
	}
	p->s->fault_num = (uint8_t)num;
	p->s->fault_den = (uint8_t)den;
	return 0;
}

static int d_registrar(struct parser *p, char **tok, int n)
{
	if (stx_once(p, SEEN_REGISTRAR, "registrar") || stx_nargs(p, tok, n, 1, 1))
		return -1;
	return stx_enum(p, &stx_registrar, tok[1], &p->s->registrar);
}

static int sched_bytes(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	for (int i = 2; i < n; i++) {
		size_t len = strlen(tok[i]);
		for (size_t j = 0; j < len; j++)
			if (stx_hexval(tok[i][j]) < 0 || len % 2)
				return stx_fail(p, "bad schedule bytes '%s' (expected pairs of hex digits)", stx_quote(b, tok[i]));
		if (len / 2 > SCN_SCHED_BYTES_MAX - s->sched_len)
			return stx_fail(p, "too many schedule bytes (max %d)", SCN_SCHED_BYTES_MAX);
		for (size_t j = 0; j < len; j += 2)
			s->sched_bytes[s->sched_len++] = (uint8_t)(stx_hexval(tok[i][j]) << 4 | stx_hexval(tok[i][j + 1]));
	}
	return 0;
}

static int d_schedule(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	uint8_t kind = 0;
	uint64_t v;
	char b[QUOTE_MAX + 4];
	if (stx_nargs(p, tok, n, 1, -1) || stx_enum(p, &stx_sched, tok[1], &kind))
		return -1;
	if (p->sched_set && !(kind == SCHED_BYTES && s->sched == SCHED_BYTES))
		return stx_fail(p, "duplicate 'schedule' line (already %s)", scn_sched_name((enum scn_sched)s->sched));
	if (p->choices_seen && kind != SCHED_REPLAY)
		return stx_fail(p, "'schedule %s' conflicts with choices (they imply replay)", tok[1]);
	if (kind != SCHED_BYTES) {
		int want = kind == SCHED_REPLAY ? 0 : kind == SCHED_SEED ? 1 : 2;
		if (n - 2 < want)
			return stx_fail(p, "missing argument for 'schedule %s'", tok[1]);
		if (n - 2 > want)
			return stx_fail(p, "extra token '%s' after 'schedule %s'", stx_quote(b, tok[2 + want]), tok[1]);
	}
	p->sched_set = true;
	s->sched = kind;
	if (kind == SCHED_BYTES)
		return sched_bytes(p, tok, n);
	if (kind == SCHED_REPLAY)
		return 0;
	if (!stx_seed(tok[2], &s->seed))
		return stx_fail(p, "bad seed '%s' (expected a decimal or 0x-hex 64-bit number)", stx_quote(b, tok[2]));
	if (kind == SCHED_PCT) {
		if (!stx_dec(tok[3], CHOICE_PCT_DEPTH_MAX, &v) || v == 0)
			return stx_fail(p, "bad value '%s' for pct depth (expected 1..%d)", stx_quote(b, tok[3]), CHOICE_PCT_DEPTH_MAX);
		s->pct_depth = (uint8_t)v;
	}
	return 0;
}

static int d_choices(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (stx_nargs(p, tok, n, 1, -1))
		return -1;
	if (p->sched_set && s->sched != SCHED_REPLAY)
		return stx_fail(p, "choices need 'schedule replay' (schedule is %s)", scn_sched_name((enum scn_sched)s->sched));
	p->choices_seen = true;
	s->sched = SCHED_REPLAY;
	for (int i = 1; i < n; i++) {
		uint64_t cn = 0, cv = 0;
		int kind = -1;
		stx_quote(b, tok[i]); /* for the message: the token is cut up below */
		char *c2 = strrchr(tok[i], ':'), *c1 = NULL;
		if (c2) {
			*c2 = '\0';
			c1 = strrchr(tok[i], ':');
		}
		if (c1) {
			*c1 = '\0';
			kind = choice_kind_parse(tok[i]);
		}
		if (kind < 0 || !stx_dec(c1 + 1, 65535, &cn) || cn == 0 || !stx_dec(c2 + 1, 65535, &cv) || cv >= cn)
			return stx_fail(p, "bad choice '%s' (expected KIND:N:VALUE, KIND thread|f1..f6|pool|module, VALUE < N <= 65535)", b);
		struct choice_rec rec = { .kind = (uint8_t)kind, .n = (uint16_t)cn, .value = (uint16_t)cv };
		if (s->nchoices < SCN_CHOICES_MAX) {
			s->choices[s->nchoices++] = rec;
			continue;
		}
		/* A long run's trace: the whole list goes to the caller's storage,
		 * choices[] keeps its first SCN_CHOICES_MAX (scenario.h). */
		if (!s->choices_long) {
			if (p->long_cap <= SCN_CHOICES_MAX)
				return stx_fail(p, "too many choices (max %d)", SCN_CHOICES_MAX);
			memcpy(p->long_log, s->choices, sizeof(s->choices));
			s->choices_long = p->long_log;
			s->nchoices_long = SCN_CHOICES_MAX;
		}
		if (s->nchoices_long >= p->long_cap)
			return stx_fail(p, "too many choices (max %u)", p->long_cap);
		p->long_log[s->nchoices_long++] = rec;
	}
	return 0;
}

static int d_hash(struct parser *p, char **tok, int n)
{
	char b[QUOTE_MAX + 4];
	if (stx_once(p, SEEN_HASH, "hash") || stx_nargs(p, tok, n, 1, 1))
		return -1;
	if (strlen(tok[1]) != 16 || !stx_hex64(tok[1], &p->s->hash))
		return stx_fail(p, "bad hash '%s' (expected 16 hex digits)", stx_quote(b, tok[1]));
	p->s->has_hash = true;
	return 0;
}

static int d_expect(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (stx_once(p, SEEN_EXPECT, "expect") || stx_nargs(p, tok, n, 1, -1))
		return -1;
	if (strcmp(tok[1], "clean") == 0) {
		if (stx_nargs(p, tok, n, 1, 1))
			return -1;
		s->expect = EXPECT_CLEAN;
		return 0;
	}
	if (n - 1 > SCN_EXPECT_MAX)
		return stx_fail(p, "too many rules in expect (max %d)", SCN_EXPECT_MAX);
	for (int i = 1; i < n; i++) {
		enum rule r = rule_parse(tok[i]);
		if (r == RULE_NONE)
			return stx_fail(p, "unknown rule '%s' (expected clean or rule IDs like M17)", stx_quote(b, tok[i]));
		for (unsigned j = 0; j < s->nexpect; j++)
			if (s->expect_rules[j] == r)
				return stx_fail(p, "duplicate rule '%s' in expect", tok[i]);
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
		return stx_fail(p, "bad token '%s' (expected KEY=VALUE)", stx_quote(b, t));
	*eq = '\0';
	const char *val = eq + 1;
	unsigned k = 0;
	while (k < 6 && strcmp(t, key_names[k]) != 0)
		k++;
	if (k == 6)
		return stx_fail(p, "unknown key '%s' (expected npi|attach|detach|unload|chars|flags)", stx_quote(b, t));
	if (*keys & 1u << k)
		return stx_fail(p, "duplicate key '%s'", t);
	*keys |= 1u << k;
	switch (k) {
	case 0: {
		uint64_t v;
		if (!stx_dec(val, SCN_NPIS_MAX - 1, &v))
			return stx_fail(p, "bad value '%s' for npi (expected 0..%d)", stx_quote(b, val), SCN_NPIS_MAX - 1);
		m->npi = (uint8_t)v;
		return 0;
	}
	case 1: return stx_enum(p, &stx_attach, val, &m->attach);
	case 2: return stx_enum(p, &stx_detach, val, &m->detach);
	case 3: return stx_enum(p, &stx_unload, val, &m->unload);
	case 4: return stx_enum(p, &stx_chars, val, &m->chars);
	default:
		for (char *f = eq + 1, *next; f; f = next) {
			next = strchr(f, ',');
			if (next)
				*next++ = '\0';
			int bit = scn_flag_parse(f);
			if (bit < 0)
				return stx_fail(p, "bad flag '%s' (expected unsafe-calls|leak, comma separated)", stx_quote(b, f));
			m->flags |= (uint8_t)bit;
		}
		return 0;
	}
}

static int d_module(struct parser *p, char **tok, int n)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (stx_nargs(p, tok, n, 1, -1))
		return -1;
	if (!stx_valid_name(tok[1]))
		return stx_fail(p, "bad module name '%s' (expected [A-Za-z_][A-Za-z0-9_-]*, < %d bytes)", stx_quote(b, tok[1]), SCN_NAME_MAX);
	if (stx_find_module(s, tok[1]) >= 0)
		return stx_fail(p, "duplicate module '%s'", tok[1]);
	if (s->nmodules >= SCN_MODULES_MAX)
		return stx_fail(p, "too many modules (max %d)", SCN_MODULES_MAX);
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
	if (stx_nargs(p, tok, n, 1, 1))
		return -1;
	if (!stx_valid_name(tok[1]))
		return stx_fail(p, "bad driver name '%s' (expected [A-Za-z_][A-Za-z0-9_-]*, < %d bytes)", stx_quote(b, tok[1]), SCN_NAME_MAX);
	if (stx_find_module(s, tok[1]) >= 0)
		return stx_fail(p, "duplicate module '%s'", tok[1]);
	int d = image_find(tok[1]);
	if (d < 0) {
		char list[160] = "";
		size_t len = 0;
		for (unsigned i = 0; i < image_count() && len < sizeof list - 40; i++)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", image_get(i)->name);
		return stx_fail(p, "unknown driver '%s' (linked into this binary: %s)", stx_quote(b, tok[1]),
			    image_count() ? list : "none; build with -Ddrivers=... or tools/nmrsim-build");
	}
	if (s->nmodules >= SCN_MODULES_MAX)
		return stx_fail(p, "too many modules (max %d)", SCN_MODULES_MAX);
	struct scn_module m = { .kind = MODULE_DRIVER, .driver = (uint8_t)d };
	memcpy(m.name, tok[1], strlen(tok[1]) + 1);
	s->modules[s->nmodules++] = m;
	return 0;
}

static int d_thread(struct parser *p, char **tok, int n)
{
	if (stx_nargs(p, tok, n, 1, 1))
		return -1;
	return stx_add_thread(p, tok[1]);
}
static const struct {
	const char *kw;
	int (*fn)(struct parser *, char **, int);
} directives[] = {
	{ "steps", d_steps }, { "workers", d_workers }, { "io-workers", d_io_workers }, { "time", d_time }, { "swarm", d_swarm }, { "races", d_races }, { "atomics", d_atomics }, { "faults", d_faults },
	{ "registrar", d_registrar }, { "schedule", d_schedule }, { "choices", d_choices },
	{ "hash", d_hash }, { "expect", d_expect }, { "provider", d_module },
	{ "client", d_module }, { "driver", d_driver }, { "thread", d_thread },
};

stx_directive_fn stx_directive(const char *kw)
{
	for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
		if (strcmp(kw, directives[i].kw) == 0)
			return directives[i].fn;
	return NULL;
}
