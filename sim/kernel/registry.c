/* registry.c - see registry.h: the registry file's parser (total: every
 * problem is file:line: reason, never a crash) and the lookups
 * RtlQueryRegistryValues makes (sim/kernel/rtl_registry.c). */
#include "kernel/registry.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "scenario/scenario_text.h"
#include "wdm.h"

#define SERVICES_KEY REGISTRY_SERVICES_KEY "\\"

/* The generated object of nmrsim-build --registry; absent: no registry. */
extern const char nmrsim_registry_text[] __attribute__((weak));
extern const unsigned long nmrsim_registry_len __attribute__((weak));
extern const char nmrsim_registry_file[] __attribute__((weak));

struct rp {
	const char *p, *end; /* the rest of the line */
	struct scn_error *err;
};

static int fail(struct rp *r, const char *fmt, const char *what)
{
	snprintf(r->err->reason, sizeof r->err->reason, fmt, what);
	return -1;
}

/* fmt names the token t[0, n) with one %s (at most 40 of its characters). */
static int fail_tok(struct rp *r, const char *fmt, const char *t, size_t n)
{
	char tok[41];
	n = n < sizeof tok - 1 ? n : sizeof tok - 1;
	memcpy(tok, t, n);
	tok[n] = 0;
	return fail(r, fmt, tok);
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

bool registry_append_lower(char *out, size_t *n, const uint16_t *w, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (len == SIZE_MAX && w[i] == 0)
			break;
		if (w[i] > 0x7e || w[i] == 0 || *n + 1 >= REG_PATH_MAX)
			return false;
		out[(*n)++] = lower((char)w[i]);
	}
	return true;
}

static void skip_space(struct rp *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* The next token: "quoted" (the quotes dropped) or up to white space.
 * Returns its length, 0 at the end of the line, -1 on an open quote. */
static int token(struct rp *r, const char **tok, size_t *n)
{
	skip_space(r);
	if (r->p >= r->end || *r->p == '#') {
		*n = 0;
		return 0;
	}
	if (*r->p == '"') {
		const char *q = memchr(r->p + 1, '"', (size_t)(r->end - r->p - 1));
		if (!q)
			return fail(r, "%s", "a string without its closing quote");
		*tok = r->p + 1;
		*n = (size_t)(q - r->p - 1);
		r->p = q + 1;
		return 1;
	}
	*tok = r->p;
	while (r->p < r->end && *r->p != ' ' && *r->p != '\t' && *r->p != '\r')
		r->p++;
	*n = (size_t)(r->p - *tok);
	return 1;
}

static int ascii(struct rp *r, const char *s, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return fail(r, "%s holds a character other than printable ASCII", what);
	return 0;
}

/* Splits PATH into the absolute lower-case key and the value name. */
static int path(struct rp *r, const char *s, size_t n, struct reg_value *v)
{
	if (ascii(r, s, n, "the path") < 0)
		return -1;
	const char *slash = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\\')
			slash = s + i;
	if (!slash || slash == s || slash == s + n - 1)
		return fail(r, "%s", "the path must be KEY\\VALUE_NAME (a driver's key: DRIVER\\Parameters\\NAME)");
	size_t name_len = (size_t)(s + n - slash - 1), key_len = (size_t)(slash - s);
	if (name_len >= REG_NAME_MAX)
		return fail(r, "%s", "the value name is too long (REG_NAME_MAX)");
	memcpy(v->name, slash + 1, name_len);
	v->name[name_len] = 0;
	const char *pre = "";
	static const char abs[] = "\\registry\\";
	bool absolute = key_len >= sizeof abs - 1;
	for (size_t i = 0; absolute && i < sizeof abs - 1; i++)
		absolute = lower(s[i]) == abs[i];
	if (!absolute) {
		if (s[0] == '\\')
			return fail(r, "%s", "an absolute path starts with \\Registry\\ (or give DRIVER\\... under the services key)");
		pre = SERVICES_KEY;
	}
	size_t pre_len = strlen(pre);
	if (pre_len + key_len >= REG_PATH_MAX)
		return fail(r, "%s", "the key path is too long (REG_PATH_MAX)");
	memcpy(v->key, pre, pre_len);
	for (size_t i = 0; i < key_len; i++) {
		if (s[i] == '\\' && i + 1 < key_len && s[i + 1] == '\\')
			return fail(r, "%s", "the path has an empty key name ('\\\\')");
		v->key[pre_len + i] = lower(s[i]);
	}
	v->key[pre_len + key_len] = 0;
	return 0;
}

static int number(struct rp *r, const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	unsigned base = 10;
	size_t i = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, i = 2;
	if (i == n)
		return fail(r, "%s", "a number is missing");
	for (; i < n; i++) {
		char c = lower(s[i]);
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' && base == 16 ? (unsigned)(c - 'a' + 10) : 99;
		if (d >= base)
			return fail_tok(r, "'%s' is not a number (decimal or 0x hex)", s, n);
		if (x > (max - d) / base)
			return fail(r, "%s", max == 0xffffffffu ? "the number does not fit a dword" : "the number does not fit a qword");
		x = x * base + d;
	}
	*out = x;
	return 0;
}

static int put(struct rp *r, struct reg_value *v, const void *src, size_t n)
{
	if (v->len + n > REG_DATA_MAX)
		return fail(r, "%s", "the data is longer than REG_DATA_MAX bytes");
	memcpy(v->data + v->len, src, n);
	v->len += (uint32_t)n;
	return 0;
}

static int utf16(struct rp *r, struct reg_value *v, const char *s, size_t n)
{
	if (ascii(r, s, n, "a string") < 0)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		uint8_t w[2] = { i < n ? (uint8_t)s[i] : 0, 0 };
		if (put(r, v, w, 2) < 0)
			return -1;
	}
	return 0;
}

/* {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}: the GUID's bytes in memory order
 * (Data1..Data3 little-endian, Data4 as written). */
static int guid(struct rp *r, struct reg_value *v, const char *s, size_t n)
{
	static const char shape[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
	if (n != sizeof shape - 1)
		return fail_tok(r, "'%s' is not a {GUID}", s, n);
	uint8_t hex[16];
	unsigned k = 0;
	for (size_t i = 0; i < n; i++) {
		if (shape[i] != 'x') {
			if (s[i] != shape[i])
				return fail_tok(r, "'%s' is not a {GUID}", s, n);
			continue;
		}
		int h = stx_hexval(s[i]), l = stx_hexval(s[i + 1]);
		if (h < 0 || l < 0)
			return fail_tok(r, "'%s' is not a {GUID}", s, n);
		hex[k++] = (uint8_t)(h << 4 | l);
		i++;
	}
	uint8_t b[16] = { hex[3], hex[2], hex[1], hex[0], hex[5], hex[4], hex[7], hex[6] };
	memcpy(b + 8, hex + 8, 8);
	return put(r, v, b, 16);
}

static int data(struct rp *r, struct reg_value *v)
{
	const char *t;
	size_t n;
	int got;
	uint64_t x;
	switch (v->type) {
	case REG_DWORD:
	case REG_QWORD:
		if ((got = token(r, &t, &n)) <= 0)
			return got < 0 ? -1 : fail(r, "%s", "a number is missing");
		if (number(r, t, n, v->type == REG_DWORD ? 0xffffffffu : UINT64_MAX, &x) < 0)
			return -1;
		return put(r, v, &x, v->type == REG_DWORD ? 4 : 8); /* little-endian, as the host */
	case REG_SZ:
	case REG_EXPAND_SZ:
		if ((got = token(r, &t, &n)) <= 0)
			return got < 0 ? -1 : fail(r, "%s", "a string is missing (\"text\")");
		return utf16(r, v, t, n);
	case REG_MULTI_SZ:
		while ((got = token(r, &t, &n)) > 0)
			if (utf16(r, v, t, n) < 0)
				return -1;
		if (got < 0)
			return -1;
		{
			const uint8_t end[2] = { 0, 0 };
			return put(r, v, end, 2);
		}
	default: /* REG_BINARY */
		while ((got = token(r, &t, &n)) > 0) {
			if (t[0] == '{') {
				if (guid(r, v, t, n) < 0)
					return -1;
				continue;
			}
			if (n % 2)
				return fail_tok(r, "'%s': hex bytes come in pairs of digits", t, n);
			for (size_t i = 0; i < n; i += 2) {
				int h = stx_hexval(t[i]), l = stx_hexval(t[i + 1]);
				if (h < 0 || l < 0)
					return fail_tok(r, "'%s' is not hex bytes (or a {GUID})", t, n);
				uint8_t b = (uint8_t)(h << 4 | l);
				if (put(r, v, &b, 1) < 0)
					return -1;
			}
		}
		return got;
	}
}

static const struct {
	const char *name;
	uint32_t type;
} types[] = { { "dword", REG_DWORD }, { "qword", REG_QWORD }, { "sz", REG_SZ }, { "expand_sz", REG_EXPAND_SZ },
	      { "multi_sz", REG_MULTI_SZ }, { "binary", REG_BINARY } };

const char *registry_type_name(uint32_t type)
{
	for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == type)
			return types[i].name;
	return "?";
}

static int line(struct registry *reg, struct rp *r, uint32_t lineno)
{
	const char *t;
	size_t n;
	int got = token(r, &t, &n);
	if (got <= 0)
		return got; /* blank, comment, or an open quote */
	if (reg->n == REG_VALUES_MAX)
		return fail(r, "%s", "more values than REG_VALUES_MAX");
	struct reg_value *v = &reg->v[reg->n];
	memset(v, 0, sizeof *v);
	v->line = lineno;
	if (path(r, t, n, v) < 0)
		return -1;
	if ((got = token(r, &t, &n)) <= 0)
		return got < 0 ? -1 : fail(r, "%s", "a type is missing (dword, qword, sz, expand_sz, multi_sz, binary)");
	unsigned i = 0;
	while (i < sizeof types / sizeof types[0] && !(strlen(types[i].name) == n && memcmp(types[i].name, t, n) == 0))
		i++;
	if (i == sizeof types / sizeof types[0])
		return fail_tok(r, "unknown type '%s' (dword, qword, sz, expand_sz, multi_sz, binary)", t, n);
	v->type = types[i].type;
	if (data(r, v) < 0)
		return -1;
	if ((got = token(r, &t, &n)) != 0)
		return got < 0 ? -1 : fail_tok(r, "'%s' after the data (one value per line)", t, n);
	const struct reg_value *dup = registry_find(reg, v->key, v->name);
	if (dup) {
		char what[40];
		snprintf(what, sizeof what, "%u", (unsigned)dup->line);
		return fail(r, "the value is given twice (first at line %s)", what);
	}
	reg->n++;
	return 0;
}

int registry_parse(struct registry *reg, const char *text, size_t len, const char *file, struct scn_error *err)
{
	reg->n = 0;
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", file ? file : "<registry>");
	struct rp r = { .err = err };
	const char *end = text + len;
	uint32_t lineno = 1;
	for (const char *p = text; p < end; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		if (memchr(p, 0, (size_t)(stop - p))) {
			err->line = lineno;
			snprintf(err->reason, sizeof err->reason, "a NUL byte (not a text file)");
			return -1;
		}
		r.p = p;
		r.end = stop;
		if (line(reg, &r, lineno) < 0) {
			err->line = lineno;
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Parsed once per process; the text is constant, so the result is too. */
static struct registry linked;
static struct scn_error linked_err;
static int linked_state; /* 0 not parsed, 1 parsed, -1 malformed */

static int parse_linked(void)
{
	if (linked_state == 0) {
		linked_state = 1;
		if (&nmrsim_registry_len && nmrsim_registry_len &&
		    registry_parse(&linked, nmrsim_registry_text, nmrsim_registry_len, nmrsim_registry_file,
				   &linked_err) < 0) {
			linked.n = 0;
			linked_state = -1;
		}
	}
	return linked_state;
}

const struct registry *registry_linked(void)
{
	parse_linked();
	return &linked;
}

int registry_setup(const char *tool)
{
	if (parse_linked() > 0)
		return 1;
	fprintf(stderr, "%s: %s:%u: %s\n", tool, linked_err.file, (unsigned)linked_err.line, linked_err.reason);
	return 0;
}

static bool same_key(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

const struct reg_value *registry_value_at(const struct registry *r, const char *key, unsigned n)
{
	for (unsigned i = 0; i < r->n; i++)
		if (same_key(r->v[i].key, key) && n-- == 0)
			return &r->v[i];
	return NULL;
}

const struct reg_value *registry_find(const struct registry *r, const char *key, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (same_key(r->v[i].key, key) && same_key(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}
