/* scenario_values.c - the text parser's helpers: errors with file:line,
 * numbers, enum values, names, threads (scenario_text.h). */
#include "scenario/scenario_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* --- errors ----------------------------------------------------------- */

int stx_fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->reason, sizeof p->err->reason, fmt, ap);
	va_end(ap);
	return -1;
}

/* A token made printable for a message: control and non-ASCII bytes as '?',
 * cut after QUOTE_MAX bytes. */
const char *stx_quote(char buf[QUOTE_MAX + 4], const char *t)
{
	size_t i = 0;
	for (; t[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)t[i];
		buf[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	memcpy(buf + i, t[i] ? "..." : "", t[i] ? 4 : 1);
	return buf;
}

int stx_nargs(struct parser *p, char **tok, int n, int min, int max)
{
	char b[QUOTE_MAX + 4];
	if (n - 1 < min)
		return stx_fail(p, "missing argument for '%s'", tok[0]);
	if (max >= 0 && n - 1 > max)
		return stx_fail(p, "extra token '%s' after '%s'", stx_quote(b, tok[1 + max]), tok[0]);
	return 0;
}

int stx_once(struct parser *p, unsigned bit, const char *kw)
{
	if (p->seen & bit)
		return stx_fail(p, "duplicate '%s' line", kw);
	p->seen |= bit;
	return 0;
}

/* --- values ----------------------------------------------------------- */

bool stx_dec(const char *t, uint64_t max, uint64_t *out)
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

int stx_hexval(char c)
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
bool stx_hex64(const char *t, uint64_t *out)
{
	size_t n = strlen(t);
	uint64_t v = 0;
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int h = stx_hexval(t[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

bool stx_seed(const char *t, uint64_t *out)
{
	if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
		return stx_hex64(t + 2, out);
	return stx_dec(t, UINT64_MAX, out);
}

static const char *n_attach(unsigned v) { return scn_attach_name((enum scn_attach)v); }
static const char *n_detach(unsigned v) { return scn_detach_name((enum scn_detach)v); }
static const char *n_unload(unsigned v) { return scn_unload_name((enum scn_unload)v); }
static const char *n_chars(unsigned v) { return scn_chars_name((enum scn_chars)v); }
static const char *n_handle(unsigned v) { return scn_handle_name((enum scn_handle)v); }
static const char *n_registrar(unsigned v) { return scn_registrar_name((enum scn_registrar)v); }
static const char *n_sched(unsigned v) { return scn_sched_name((enum scn_sched)v); }


const struct enum_desc stx_attach = { "attach", scn_attach_parse, n_attach, ATTACH_COUNT };
const struct enum_desc stx_detach = { "detach", scn_detach_parse, n_detach, DETACH_COUNT };
const struct enum_desc stx_unload = { "unload", scn_unload_parse, n_unload, UNLOAD_COUNT };
const struct enum_desc stx_chars = { "chars", scn_chars_parse, n_chars, CHARS_COUNT };
const struct enum_desc stx_handle = { "handle", scn_handle_parse, n_handle, HSEL_COUNT };
const struct enum_desc stx_registrar = { "registrar", scn_registrar_parse, n_registrar, REGISTRAR_COUNT };
const struct enum_desc stx_sched = { "schedule", scn_sched_parse, n_sched, SCHED_COUNT };

int stx_enum(struct parser *p, const struct enum_desc *d, const char *val, uint8_t *out)
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
	return stx_fail(p, "bad value '%s' for %s (expected %s)", stx_quote(b, val), d->what, list);
}

bool stx_valid_name(const char *t)
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

int stx_find_module(const struct scenario *s, const char *name)
{
	for (unsigned i = 0; i < s->nmodules; i++)
		if (strcmp(s->modules[i].name, name) == 0)
			return (int)i;
	return -1;
}

int stx_add_thread(struct parser *p, const char *name)
{
	struct scenario *s = p->s;
	char b[QUOTE_MAX + 4];
	if (!stx_valid_name(name))
		return stx_fail(p, "bad thread name '%s' (expected [A-Za-z_][A-Za-z0-9_-]*, < %d bytes)", stx_quote(b, name), SCN_NAME_MAX);
	for (unsigned i = 0; i < s->nthreads; i++)
		if (strcmp(s->thread_names[i], name) == 0)
			return stx_fail(p, "duplicate thread '%s'", name);
	if (s->nthreads >= SCN_THREADS_MAX)
		return stx_fail(p, "too many threads (max %d)", SCN_THREADS_MAX);
	memcpy(s->thread_names[s->nthreads], name, strlen(name) + 1);
	p->cur_thread = s->nthreads++;
	return 0;
}

