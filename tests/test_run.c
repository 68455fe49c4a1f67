/* test_run.c - run_options.no_hang_text (sim/run/run.h): a fuzz run that
 * neither prints result.hang nor counts L01-L03 builds no hang text, and
 * its run is otherwise the same (trace hash, rules violated and touched);
 * where L01 counts, or without the option, the text is built as before. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "run/run.h"
#include "scenario/scenario.h"

/* corpus/rules/L01-bad.nmr: the wait blocks for good (L01), the detach
 * never completed (M17). */
static const char hang_text[] =
	"provider P\n"
	"client C detach=op\n"
	"thread T0\n"
	"  register P\n  register C\n  deregister C\n  wait C\n  complete C\n  unload P\n";

static struct scenario scn;

static const struct finding *find_rule(const struct run_result *res, enum rule rule)
{
	for (uint32_t i = 0; i < res->nfindings; i++)
		if (res->findings[i].rule == rule)
			return &res->findings[i];
	return NULL;
}

static uint64_t mask(const char *spec)
{
	bool ok;
	uint64_t m = rule_mask_parse(spec, &ok);
	CHECK(ok);
	return m;
}

int main(void)
{
	struct scn_error err;
	if (scn_parse_text(&scn, hang_text, sizeof hang_text - 1, "hang.nmr", &err) != 0) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.reason);
		return 1;
	}
	struct runner r;
	CHECK(runner_init(&r) == 0);

	/* Every rule counts: the wait-for graph and L01's detail. */
	struct run_result all = run_scenario(&r, &scn, NULL, NULL);
	CHECK(strstr(all.hang, "wait-for graph:") != NULL);
	const struct finding *f = find_rule(&all, RULE_L01);
	CHECK(f != NULL);
	char detail[sizeof f->detail] = "";
	if (f)
		snprintf(detail, sizeof detail, "%s", f->detail);
	CHECK(strstr(detail, "blocked for good") != NULL);
	uint64_t hash = all.hash, violated = all.rules_violated, touched = all.rules_touched;
	CHECK(violated & (1ull << RULE_L01));

	/* Fuzzing: only R counts, and nothing reads the text. */
	struct run_options fuzz = { .rule_mask = mask("R"), .no_hang_text = true };
	struct run_result res = run_scenario(&r, &scn, NULL, &fuzz);
	CHECK_EQ_U(res.hang[0], 0);
	CHECK_EQ_U(res.nfindings, 0);
	CHECK(res.hash == hash);
	CHECK(res.rules_violated == violated);
	CHECK(res.rules_touched == touched);

	/* The same mask without the option (nmr-replay --rules R): the text. */
	struct run_options replay = { .rule_mask = mask("R") };
	res = run_scenario(&r, &scn, NULL, &replay);
	CHECK(strstr(res.hang, "wait-for graph:") != NULL);
	CHECK(res.hash == hash);

	/* With the option but L01 counted: the text, and L01's detail as above. */
	struct run_options l01 = { .rule_mask = mask("L01"), .no_hang_text = true };
	res = run_scenario(&r, &scn, NULL, &l01);
	CHECK(strstr(res.hang, "wait-for graph:") != NULL);
	f = find_rule(&res, RULE_L01);
	CHECK(f != NULL && strcmp(f->detail, detail) == 0);
	CHECK(res.rules_violated == violated);

	runner_fini(&r);
	return check_exit();
}
