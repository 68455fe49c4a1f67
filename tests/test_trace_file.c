/* test_trace_file.c - report_make_trace (replay/report.h): a trace file
 * replays its run exactly, with the run's hash to check it against; a run
 * that took more choices than a trace holds (SCN_CHOICES_MAX: a long
 * livelock) gets no hash, since its replay runs option 0 past the kept
 * choices and is another run (with a hash, nmr-replay called it "trace
 * diverged", as if the file explore wrote were bad input). */
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

	runner_fini(&r);
	return check_exit();
}
