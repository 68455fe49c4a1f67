/* suppress.c - see suppress.h. */
#include "oracle/suppress.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules.h"

static bool is_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Parse one line's items into e; NULL, or the reason it is malformed. */
static const char *parse_entry(char *line, struct suppress_entry *e)
{
	bool any = false;
	char *p = line;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		char *colon = strchr(p, ':');
		size_t klen = colon ? (size_t)(colon - p) : 0;
		if (!colon || klen == 0 || memchr(p, ' ', klen) || memchr(p, '\t', klen))
			return "expected key:pattern (keys: rule, module, site, signature)";
		char *val = colon + 1, *end;
		bool rest = klen == 9 && !strncmp(p, "signature", 9);
		if (rest) {
			/* a signature has spaces: it takes the rest of the line */
			end = val + strlen(val);
			while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
		} else {
			end = val + strcspn(val, " \t");
		}
		size_t vlen = (size_t)(end - val);
		if (vlen == 0)
			return "empty pattern";
		char *dst;
		size_t cap;
		if (klen == 4 && !strncmp(p, "rule", 4)) {
			dst = e->rule;
			cap = sizeof e->rule;
		} else if (klen == 6 && !strncmp(p, "module", 6)) {
			dst = e->module;
			cap = sizeof e->module;
		} else if (klen == 4 && !strncmp(p, "site", 4)) {
			dst = e->site;
			cap = sizeof e->site;
		} else if (rest) {
			dst = e->signature;
			cap = sizeof e->signature;
		} else {
			return "unknown key (keys: rule, module, site, signature)";
		}
		if (dst[0])
			return "key given twice in one entry";
		if (vlen >= cap)
			return "pattern too long";
		memcpy(dst, val, vlen);
		dst[vlen] = '\0';
		if (dst == e->rule && !is_glob(dst) && (rule_parse(dst) == RULE_NONE || strlen(dst) != 3))
			return "unknown rule ID (M01, K08, R04, L02, ... or a glob such as M*)";
		any = true;
		p = *end ? end + 1 : end;
	}
	return any ? NULL : "empty entry";
}

int suppress_load(struct suppress *s, const char *path, char *err, size_t errcap)
{
	s->n = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errcap, "%s: cannot open suppression file: %s", path, strerror(errno));
		return -1;
	}
	char line[512];
	uint32_t lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
			snprintf(err, errcap, "%s:%u: line too long", path, lineno);
			rc = -1;
			break;
		}
		line[strcspn(line, "#\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0')
			continue;
		if (s->n == SUPPRESS_MAX) {
			snprintf(err, errcap, "%s:%u: more than %d entries", path, lineno, SUPPRESS_MAX);
			rc = -1;
			break;
		}
		struct suppress_entry *e = &s->entries[s->n];
		memset(e, 0, sizeof *e);
		const char *why = parse_entry(line, e);
		if (why) {
			snprintf(err, errcap, "%s:%u: %s", path, lineno, why);
			rc = -1;
			break;
		}
		s->n++;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errcap, "%s: read error", path);
		rc = -1;
	}
	fclose(f);
	if (rc != 0)
		s->n = 0;
	return rc;
}

int suppress_setup(struct suppress *s, const char *path, char *err, size_t errcap)
{
	s->n = 0;
	if (!path || !path[0]) {
		path = getenv(SUPPRESS_ENV);
		if (!path || !path[0])
			return 0;
	}
	return suppress_load(s, path, err, errcap) == 0 ? 1 : -1;
}

static bool match(const char *pattern, const char *text)
{
	return !pattern[0] || fnmatch(pattern, text, 0) == 0;
}

bool suppress_match(const struct suppress *s, const char *rule, const char *module, const char *site,
		    const char *signature)
{
	for (uint32_t i = 0; s && i < s->n; i++) {
		const struct suppress_entry *e = &s->entries[i];
		if (match(e->rule, rule) && match(e->module, module) && match(e->site, site) &&
		    match(e->signature, signature))
			return true;
	}
	return false;
}
