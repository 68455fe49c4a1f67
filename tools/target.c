/* target.c - load, run and name findings the way the fuzz targets do. */
#include "target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host.h"
#include "run/crash.h"

bool tgt_have_drivers(void)
{
	return image_count() > 0;
}

bool tgt_kind_parse(const char *name, enum tgt_kind *out)
{
	if (!strcmp(name, "scenario")) {
		*out = TARGET_SCENARIO;
		return true;
	}
	if (!strcmp(name, "drivers")) {
		*out = TARGET_DRIVERS;
		return true;
	}
	return false;
}

const char *tgt_kind_name(enum tgt_kind k)
{
	return k == TARGET_DRIVERS ? "drivers" : "scenario";
}

uint64_t tgt_mask_group(char letter)
{
	uint64_t m = 0;
	for (int r = 1; r < RULE_COUNT; r++)
		if (rule_info((enum rule)r)->id[0] == letter)
			m |= 1ull << r;
	return m;
}

uint64_t tgt_mask_all(void)
{
	uint64_t m = 0;
	for (int r = 1; r < RULE_COUNT; r++)
		m |= 1ull << r;
	return m;
}

bool tgt_rules_parse(const char *spec, uint64_t *mask)
{
	_Static_assert(RULE_COUNT <= 64, "rule masks are 64 bits");
	/* The engine's parser; here "all" is every bit rather than 0. */
	bool ok;
	uint64_t m = rule_mask_parse(spec, &ok);
	if (!ok || !*spec)
		return false;
	*mask = m ? m : tgt_mask_all();
	return true;
}

bool tgt_option(struct opts *o, enum tgt_kind *kind, uint64_t *mask, bool *rules_given)
{
	const char *v;
	if (opts_str(o, "--target", &v)) {
		if (!tgt_kind_parse(v, kind))
			opts_fail(o, "--target: unknown target '%s' (scenario, drivers)", v);
		return true;
	}
	if (opts_str(o, "--rules", &v)) {
		if (!tgt_rules_parse(v, mask))
			opts_fail(o, "--rules: bad rule list '%s' (rule IDs, letters M K R L, or all)", v);
		*rules_given = true;
		return true;
	}
	return findings_option(o);
}

bool tgt_kind_usable(const char *tool, enum tgt_kind k)
{
	findings_setup(tool); /* a bad suppression file exits 2 before any work */
	if (k != TARGET_DRIVERS || tgt_have_drivers())
		return true;
	fprintf(stderr, "%s: this build has no hosted drivers (--target drivers)\n", tool);
	return false;
}

uint64_t tgt_default_mask(enum tgt_kind k, bool text)
{
	return k == TARGET_SCENARIO && !text ? tgt_mask_group('R') : tgt_mask_all();
}

bool tgt_is_text(const char *path)
{
	size_t n = strlen(path);
	return (n >= 4 && !strcmp(path + n - 4, ".nmr")) || (n >= 5 && !strcmp(path + n - 5, ".nmrt"));
}

void tgt_buf_free(struct tgt_buf *buf)
{
	input_buf_free(buf);
}

int tgt_read(struct tgt_buf *buf, const char *path, char *err, size_t errcap)
{
	return input_read(buf, path, err, errcap);
}

int tgt_load(struct scenario *s, const char *path, enum tgt_kind k, struct tgt_buf *buf, bool *text, char *err,
	     size_t errcap)
{
	if (tgt_read(buf, path, err, errcap) != 0)
		return -1;
	*text = tgt_is_text(path);
	if (*text) {
		struct scn_error e;
		/* A long run's trace (every choice, past SCN_CHOICES_MAX): its
		 * choices live in this module's storage until the next load. */
		static struct input_long long_log;
		if (input_long_room(&long_log, buf->len) != 0) {
			snprintf(err, errcap, "%s: out of memory for its choices", path);
			return -1;
		}
		if (scn_parse_text_long(s, (const char *)buf->data, buf->len, path, &e, long_log.log, long_log.cap) != 0) {
			if (e.line)
				snprintf(err, errcap, "%s:%u: %s", e.file, e.line, e.reason);
			else
				snprintf(err, errcap, "%s: %s", e.file, e.reason);
			return -1;
		}
		return 0;
	}
	if (k == TARGET_DRIVERS) {
		scn_decode_binary_drivers(s, buf->data, buf->len);
		/* as fuzz_drivers does: findings within the cap replay alike */
		if (s->steps_max > TGT_DRIVERS_STEPS_MAX)
			s->steps_max = TGT_DRIVERS_STEPS_MAX;
		return 0;
	}
	scn_decode_binary(s, buf->data, buf->len);
	/* as fuzz_scenario does: a spinning input stops where the fuzzer's did */
	if (s->steps_max > TGT_SCENARIO_STEPS_MAX)
		s->steps_max = TGT_SCENARIO_STEPS_MAX;
	return 0;
}

/* Generated module names (C0, P3: binary inputs name modules by role and
 * index) carry no meaning: the same registrar bug shows up on whichever
 * index the fuzzer put a module at. When every module of a scenario has
 * such a name, signatures name the role only ("R02 C ClientAttachProvider"),
 * so one bug is one signature. */
static bool generated_names(const struct scenario *s)
{
	for (uint32_t i = 0; i < s->nmodules; i++) {
		const char *n = s->modules[i].name;
		if ((n[0] != 'C' && n[0] != 'P') || !n[1])
			return false;
		for (const char *p = n + 1; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	return true;
}

static void strip_index(char *sig)
{
	char *m = strchr(sig, ' ');
	if (!m || (m[1] != 'C' && m[1] != 'P'))
		return;
	char *d = m + 2, *end = d;
	while (*end >= '0' && *end <= '9')
		end++;
	if (end != d && (*end == ' ' || !*end))
		memmove(d, end, strlen(end) + 1);
}

/* Name the counted findings of the run in r (finished or crashed). */
static void name_findings(struct runner *r, const struct scenario *s, uint64_t mask, struct tgt_outcome *out)
{
	out->ncounted = 0;
	out->nadvisories = 0;
	bool generic = generated_names(s);
	/* The counted findings, then the advisories not counted (listed apart). */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < out->res.nfindings && out->ncounted + out->nadvisories < ORACLE_FINDINGS_MAX; i++) {
			const struct finding *f = &out->res.findings[i];
			if (mask && !((mask >> f->rule) & 1u) && f->rule != RULE_K08) /* a crash always counts */
				continue;
			if (oracle_finding_fails(&r->st->oracle, f) != (pass == 0))
				continue;
			uint32_t k = out->ncounted + out->nadvisories;
			*(pass == 0 ? &out->ncounted : &out->nadvisories) += 1;
			out->index[k] = (uint8_t)i;
			oracle_signature(&r->st->oracle, f, out->sig[k], TGT_SIG_MAX);
			if (generic)
				strip_index(out->sig[k]);
		}
}

void tgt_run(struct runner *r, const struct scenario *s, uint64_t mask, struct tgt_outcome *out)
{
	struct run_options opt = { .stop_on_first = false };
	/* The engine drops other rules' findings itself, so they cannot crowd
	 * the counted ones out of the oracle's fixed table. */
	opt.rule_mask = mask == tgt_mask_all() ? 0 : mask;
	findings_apply(&opt);
	out->res = run_scenario(r, s, NULL, &opt);
	name_findings(r, s, mask, out);
}

void tgt_crashed(struct runner *r, const struct scenario *s, uint64_t mask, struct tgt_outcome *out)
{
	const struct run_state *st = r->st;
	memset(&out->res, 0, sizeof out->res);
	out->res.nfindings = st->oracle.nfindings;
	out->res.findings = st->oracle.findings;
	out->res.nfailing = oracle_failing(&st->oracle);
	out->res.nsuppressed = st->oracle.suppressed;
	out->res.choices = st->choice_log;
	out->res.nchoices = st->choice.log_len;
	out->res.hash = st->trace.hash;
	name_findings(r, s, mask, out);
}

static bool liveness(uint8_t rule)
{
	return rule == RULE_L01 || rule == RULE_L02 || rule == RULE_L03;
}

uint32_t tgt_root(const struct finding *findings, const uint8_t *index, uint32_t n)
{
	uint32_t best = 0;
	for (uint32_t k = 1; k < n; k++) {
		const struct finding *a = &findings[index ? index[k] : k], *b = &findings[index ? index[best] : best];
		if (a->step < b->step || (a->step == b->step && liveness(b->rule) && !liveness(a->rule)))
			best = k;
	}
	return best;
}

/* Rules that name one defect by the stage it reached (see target.h). */
static const char *const stage_families[][2] = {
	{ "M18", "M19" }, /* a binding used after detach / after cleanup */
};

bool tgt_same_defect(const char *sig_a, const char *sig_b)
{
	const char *ra = sig_a, *rb = sig_b;
	const char *wa = strchr(ra, ' '), *wb = strchr(rb, ' ');
	if (!wa || !wb || strcmp(wa, wb) != 0)
		return false; /* another module or site */
	size_t la = (size_t)(wa - ra), lb = (size_t)(wb - rb);
	if (la == lb && !strncmp(ra, rb, la))
		return true;
	for (size_t f = 0; f < sizeof stage_families / sizeof stage_families[0]; f++) {
		bool a = false, b = false;
		for (int k = 0; k < 2; k++) {
			a |= strlen(stage_families[f][k]) == la && !strncmp(ra, stage_families[f][k], la);
			b |= strlen(stage_families[f][k]) == lb && !strncmp(rb, stage_families[f][k], lb);
		}
		if (a && b)
			return true;
	}
	return false;
}

int tgt_find_sig(const struct tgt_outcome *out, const char *sig)
{
	for (uint32_t i = 0; i < out->ncounted; i++)
		if (!strcmp(out->sig[i], sig))
			return (int)i;
	return -1;
}

/* The --rules argument that reproduces mask, "" when it is the default. */
static void rules_spec(char *buf, size_t cap, uint64_t mask)
{
	buf[0] = '\0';
	if (mask == tgt_mask_all() || mask == 0)
		return;
	size_t len = 0;
	const char groups[] = "MKRL";
	for (int g = 0; groups[g]; g++) {
		uint64_t gm = tgt_mask_group(groups[g]);
		if ((mask & gm) == gm && gm) {
			len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%c", len ? "," : "", groups[g]);
			mask &= ~gm;
		}
	}
	for (int r = 1; r < RULE_COUNT && len < cap; r++)
		if ((mask >> r) & 1u)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? "," : "", rule_info((enum rule)r)->id);
}

void tgt_replay_command(char *buf, size_t cap, const char *replay_tool, const char *path, enum tgt_kind k, bool text,
			uint64_t mask)
{
	char spec[256], rules[300] = "";
	rules_spec(spec, sizeof spec, mask);
	bool default_mask = mask == tgt_default_mask(k, text);
	if (spec[0] && !default_mask)
		snprintf(rules, sizeof rules, " --rules %s", spec);
	if (text)
		snprintf(buf, cap, "%s%s %s", replay_tool, rules, path);
	else if (k == TARGET_DRIVERS)
		snprintf(buf, cap, "%s --drivers%s %s", replay_tool, rules, path);
	else
		snprintf(buf, cap, "%s --binary --rules %s %s", replay_tool, spec[0] ? spec : "all", path);
}

void tgt_find_replay(char *buf, size_t cap, const char *argv0)
{
	snprintf(buf, cap, "nmr-replay");
	const char *slash = strrchr(argv0, '/');
	if (!slash)
		return;
	char cand[1024];
	snprintf(cand, sizeof cand, "%.*s/../replay/nmr-replay", (int)(slash - argv0), argv0);
	if (access(cand, X_OK) != 0)
		return;
	/* build/tools/nmr-triage -> build/replay/nmr-replay */
	const char *tools = strstr(argv0, "tools/");
	if (tools && tools + strlen("tools/") == slash + 1)
		snprintf(buf, cap, "%.*sreplay/nmr-replay", (int)(tools - argv0), argv0);
	else
		snprintf(buf, cap, "%s", cand);
}

static struct {
	const char *tool;
	const char *const *input;
} guard;

static int guard_exit(void)
{
	fprintf(stderr, "%s: %s crashed a driver (K08, above); %s runs inputs in its own process and stopped there: "
			"replay it with nmr-replay, or triage it with nmr-triage (which isolates crashes)\n",
		guard.tool, guard.input && *guard.input ? *guard.input : "an input", guard.tool);
	return EXIT_BAD_INPUT;
}

void tgt_crash_guard(const char *tool, const char *const *input)
{
	guard.tool = tool;
	guard.input = input;
	crash_install(CRASH_EXIT);
	crash_exit_code = guard_exit;
}
