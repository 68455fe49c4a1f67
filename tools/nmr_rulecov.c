/* nmr-rulecov - rule coverage of a corpus: for each rule, how many inputs
 * reach a state in which the oracle checks it (rules_touched) and how many
 * break it; for each freedom F1-F6, how many inputs were offered a real
 * choice of it (a logged choice of kind CK_F1..CK_F6 has more than one
 * option). Ends with `rules touched: N/M` and the rules and freedoms never
 * exercised. Inputs run in-process on one runner.
 * Exit 0 (the figures are the result), 2 bad usage or an unreadable input. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "target.h"
#include "walk.h"

#define FREEDOMS 6
#define PATHS_MAX 1024

static struct {
	enum tgt_kind kind;
	uint64_t mask;
	bool rules_given;
	bool json;
} opt;

static struct scenario scn;
static struct runner runner;
static struct tgt_buf buf;
static struct tgt_outcome outc;
static uint64_t touched[RULE_COUNT], found[RULE_COUNT], freedom[FREEDOMS + 1];
static uint64_t inputs, unreadable;

static const char *running; /* the input being run (crash reports) */

static void one(const char *path)
{
	running = path;
	char err[600];
	bool text;
	if (tgt_load(&scn, path, opt.kind, &buf, &text, err, sizeof err) != 0) {
		unreadable++;
		fprintf(stderr, "nmr-rulecov: %s\n", err);
		return;
	}
	inputs++;
	tgt_run(&runner, &scn, opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, text), &outc);
	for (int r = 1; r < RULE_COUNT; r++)
		touched[r] += (outc.res.rules_touched >> r) & 1u;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < outc.ncounted; i++) {
		uint8_t rule = outc.res.findings[outc.index[i]].rule;
		if (!((seen >> rule) & 1u))
			found[rule]++;
		seen |= 1ull << rule;
	}
	bool f[FREEDOMS + 1] = { false };
	for (uint32_t i = 0; i < outc.res.nchoices; i++) {
		const struct choice_rec *c = &outc.res.choices[i];
		if (c->kind >= CK_F1_ATTACH && c->kind <= CK_F6_FAULT && c->n > 1)
			f[c->kind] = true;
	}
	for (int k = 1; k <= FREEDOMS; k++)
		freedom[k] += f[k];
}

static void one_visit(const char *path, const struct stat *st, void *ctx)
{
	(void)st;
	(void)ctx;
	one(path);
}

static const char *const freedom_text[FREEDOMS + 1] = {
	"", "attach timing", "detach order", "callback IRQL", "cleanup timing", "callback thread", "fault injection",
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nmr-rulecov [--target scenario|drivers] [--rules SPEC] [--json] PATH...\n"
		"  PATH        corpus files or directories (recursive): binary inputs, .nmr, .nmrt\n"
		"  --target T  how binary inputs decode: scenario (default) or drivers\n"
		"  --rules S   which findings count in the `found` column (default as the target)\n"
		"  --suppress FILE, --advisories-fail  as nmr-replay (docs/FINDINGS.md)\n"
		"  --json      machine-readable output\n"
		"exit: 0 figures printed, 2 bad usage or an input that could not be read\n");
}

int main(int argc, char **argv)
{
	const char *paths[PATHS_MAX];
	int npaths = 0;
	struct opts o;
	opts_init(&o, "nmr-rulecov", argc, argv, usage);
	while (opts_next(&o)) {
		if (tgt_option(&o, &opt.kind, &opt.mask, &opt.rules_given)) ;
		else if (opts_flag(&o, "--json")) opt.json = true;
		else if (npaths < PATHS_MAX) paths[npaths++] = opts_operand(&o);
		else opts_fail(&o, "more than %d paths (name their folder instead)", PATHS_MAX);
	}
	if (!npaths) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!tgt_kind_usable("nmr-rulecov", opt.kind))
		return EXIT_BAD_INPUT;
	tgt_crash_guard("nmr-rulecov", &running);
	if (runner_init(&runner) != 0) {
		fprintf(stderr, "nmr-rulecov: cannot set up the engine (memory)\n");
		return EXIT_BAD_INPUT;
	}
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			fprintf(stderr, "nmr-rulecov: %s: %s\n", paths[i], strerror(errno));
			unreadable++;
		} else if (S_ISDIR(st.st_mode)) {
			unreadable += walk_tree("nmr-rulecov", paths[i], one_visit, NULL);
		} else {
			one(paths[i]);
		}
	}
	runner_fini(&runner);
	tgt_buf_free(&buf);
	if (inputs == 0) {
		fprintf(stderr, "nmr-rulecov: no readable input in %s%s\n", paths[0], npaths > 1 ? " ..." : "");
		return EXIT_BAD_INPUT;
	}
	uint32_t nrules = RULE_COUNT - 1, ntouched = 0, nfreedoms = 0;
	for (int r = 1; r < RULE_COUNT; r++)
		ntouched += touched[r] != 0;
	for (int k = 1; k <= FREEDOMS; k++)
		nfreedoms += freedom[k] != 0;
	if (opt.json) {
		printf("{\"target\":\"%s\",\"inputs\":%" PRIu64 ",\"unreadable\":%" PRIu64 ",\"rules_touched\":%u,"
		       "\"rules_total\":%u,\"freedoms_exercised\":%u,\"rules\":{",
		       tgt_kind_name(opt.kind), inputs, unreadable, ntouched, nrules, nfreedoms);
		for (int r = 1; r < RULE_COUNT; r++)
			printf("%s\"%s\":{\"name\":\"%s\",\"inputs\":%" PRIu64 ",\"found\":%" PRIu64 "}", r > 1 ? "," : "",
			       rule_info((enum rule)r)->id, rule_info((enum rule)r)->name, touched[r], found[r]);
		printf("},\"freedoms\":{");
		for (int k = 1; k <= FREEDOMS; k++)
			printf("%s\"F%d\":{\"name\":\"%s\",\"inputs\":%" PRIu64 "}", k > 1 ? "," : "", k, freedom_text[k],
			       freedom[k]);
		printf("}}\n");
	} else {
		printf("rule coverage of %" PRIu64 " input(s), target %s\n", inputs, tgt_kind_name(opt.kind));
		printf("%-4s %-26s %10s %10s\n", "rule", "name", "inputs", "found");
		for (int r = 1; r < RULE_COUNT; r++)
			printf("%-4s %-26s %10" PRIu64 " %10" PRIu64 "%s\n", rule_info((enum rule)r)->id,
			       rule_info((enum rule)r)->name, touched[r], found[r], touched[r] ? "" : "  never exercised");
		printf("\n%-4s %-26s %10s\n", "freedom", "", "inputs");
		for (int k = 1; k <= FREEDOMS; k++)
			printf("F%-3d %-26s %10" PRIu64 "%s\n", k, freedom_text[k], freedom[k],
			       freedom[k] ? "" : "  never exercised");
		printf("\nnever exercised:");
		for (int r = 1; r < RULE_COUNT; r++)
			if (!touched[r])
				printf(" %s", rule_info((enum rule)r)->id);
		for (int k = 1; k <= FREEDOMS; k++)
			if (!freedom[k])
				printf(" F%d", k);
		printf("\nfreedoms exercised: %u/%d\nrules touched: %u/%u\n", nfreedoms, FREEDOMS, ntouched, nrules);
	}
	if (unreadable) {
		/* figures over part of the corpus are not the corpus's figures */
		fprintf(stderr, "nmr-rulecov: %" PRIu64 " input(s) could not be read (see above)\n", unreadable);
		return EXIT_BAD_INPUT;
	}
	return opts_exit(&o, EXIT_CLEAN);
}
