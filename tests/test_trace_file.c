/* test_trace_file.c - report_make_trace (replay/report.h): a trace file
 * replays its run exactly, with the run's hash to check it against; a run
 * that took more choices than a trace holds (SCN_CHOICES_MAX: a long
 * livelock) gets no hash, since its replay runs option 0 past the kept
 * choices and is another run (with a hash, nmr-replay called it "trace
 * diverged", as if the file explore wrote were bad input); unless the
 * runner logs into a long log (runner_set_long_log, as nmr-explore and
 * nmr-replay do): then the file holds every choice, parses back into the
 * reader's long storage (scn_parse_text_long) and replays the run whole. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "report.h"
#include "run/run.h"
#include "scenario/scenario.h"

/* Two threads that interleave: a run with choices to record. */
static const char text[] =
	"provider P\n"
	"client C\n"
	"thread T0\n  register P\n  unload P\n"
	"thread T1\n  register C\n  unload C\n";

static struct scenario scn, rec, back;

/* Four threads spin (poll) on a binding that never goes: a livelock (L02)
 * with a thread choice at nearly every step, past SCN_CHOICES_MAX. */
static const char spin[] =
	"steps 30000\n"
	"provider P\n"
	"client C\n"
	"thread T0\n  register P\n  register C\n  poll C\n"
	"thread T1\n  sleep 5ms\n  poll C\n"
	"thread T2\n  sleep 5ms\n  poll C\n"
	"thread T3\n  sleep 5ms\n  poll C\n";

#define LONG_CAP (1u << 17)

static __attribute__((unused)) void long_run(struct runner *r)
{
	struct scn_error err;
	CHECK(scn_parse_text(&scn, spin, sizeof spin - 1, "spin.nmr", &err) == 0);
	struct run_source src = { .kind = SOURCE_PRNG, .seed = 1 };
	/* Without a long log: cut, no hash. */
	struct run_result res = run_scenario(r, &scn, &src, NULL);
	CHECK(res.outcome == OUTCOME_BUDGET);
	CHECK(report_truncated(&res));
	CHECK(res.choices_made > SCN_CHOICES_MAX);
	uint64_t hash = res.hash;
	uint32_t made = res.choices_made;

	struct choice_rec *log = malloc(sizeof(*log) * LONG_CAP), *back_log = malloc(sizeof(*log) * LONG_CAP);
	CHECK(log && back_log);
	if (!log || !back_log)
		return;
	runner_set_long_log(r, log, LONG_CAP);
	res = run_scenario(r, &scn, &src, NULL);
	CHECK(res.hash == hash);               /* the log's size changes nothing the run does */
	CHECK(!report_truncated(&res));
	CHECK(res.nchoices == made);
	report_make_trace(&rec, &scn, &res);
	CHECK(rec.has_hash && rec.hash == hash);
	CHECK(rec.choices_long == res.choices && rec.nchoices_long == made);

	/* Printed and parsed back: whole with long storage, refused without. */
	size_t need = scn_print_text(&rec, NULL, 0) + 1;
	char *printed = malloc(need);
	CHECK(printed != NULL);
	if (!printed)
		return;
	scn_print_text(&rec, printed, need);
	CHECK(scn_parse_text(&back, printed, need - 1, "long.nmrt", &err) != 0);
	CHECK(strstr(err.reason, "too many choices") != NULL);
	CHECK(scn_parse_text_long(&back, printed, need - 1, "long.nmrt", &err, back_log, LONG_CAP) == 0);
	CHECK(back.choices_long == back_log && back.nchoices_long == made);
	CHECK(back.nchoices == SCN_CHOICES_MAX);
	CHECK(memcmp(back.choices, back_log, sizeof back.choices) == 0);
	/* ... and replays the run: the same hash, nothing diverged. */
	struct run_result again = run_scenario(r, &back, NULL, NULL);
	CHECK(!again.diverged);
	CHECK(again.hash == hash);
	CHECK(again.nchoices == made);
	/* Too little long storage: a clear error. */
	CHECK(scn_parse_text_long(&back, printed, need - 1, "long.nmrt", &err, back_log, made - 1) != 0);
	CHECK(strstr(err.reason, "too many choices") != NULL);
	runner_set_long_log(r, NULL, 0);
	free(printed);
	free(back_log);
	free(log);
}

int main(void)
{
	struct scn_error err;
	if (scn_parse_text(&scn, text, sizeof text - 1, "two.nmr", &err) != 0) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.reason);
		return 1;
	}
	struct runner r;
	CHECK(runner_init(&r) == 0);
	struct run_source src = { .kind = SOURCE_PRNG, .seed = 7 };
	struct run_result res = run_scenario(&r, &scn, &src, NULL);
	CHECK(res.nchoices > 0);
	CHECK(res.choices_made == res.nchoices);
	CHECK(!report_truncated(&res));
	uint64_t hash = res.hash;

	/* Whole: the hash, and the replay gives it. */
	report_make_trace(&rec, &scn, &res);
	CHECK(rec.has_hash && rec.hash == hash);
	CHECK(rec.nchoices == res.nchoices);
	memcpy(&back, &rec, sizeof back);
	struct run_result again = run_scenario(&r, &back, NULL, NULL);
	CHECK(!again.diverged);
	CHECK(again.hash == hash);

	/* Cut (as when the log filled up): no hash to check against. */
	res = run_scenario(&r, &scn, &src, NULL);
	CHECK(res.hash == hash);
	res.choices_made = res.nchoices + 1;
	CHECK(report_truncated(&res));
	report_make_trace(&rec, &scn, &res);
	CHECK(!rec.has_hash);
	CHECK(rec.nchoices == res.nchoices);

#ifndef NMRSIM_TINY
	/* The tiny configuration's two threads cannot make a run with a choice at
	 * every step (a spinning thread gives way to the one other: no choice). */
	long_run(&r);
#endif
	runner_fini(&r);
	return check_exit();
}
