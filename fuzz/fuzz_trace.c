/* fuzz_trace.c - recorded traces (.nmrt): the text language with `choices`
 * and `hash` lines, loaded as nmr-replay loads them, then replayed.
 *
 * Any bytes must neither crash the parser nor the engine replaying whatever
 * choices the input records (choices that do not fit the run diverge, they
 * never crash). Then the record/replay contract: the trace of that run
 * (report_make_trace, as `nmr-replay --record` writes it) must print, parse
 * back and replay to the same trace hash. A failure prints both hashes and
 * counts as a finding. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_target.h"
#include "report.h"
#include "run/run.h"

const char fuzz_target_name[] = "fuzz_trace";

/* Step cap, as in fuzz_scenario: keeps spinning inputs cheap. */
#define FUZZ_TRACE_STEPS_MAX 20000u
#define TEXT_CAP (SCN_CHOICES_MAX * 20 + SCN_SCHED_BYTES_MAX * 3 + 64 * 1024)

static struct runner runner;
static struct scenario scn, rec, back;
static struct run_options options;
static char text[TEXT_CAP];

int fuzz_target_init(void)
{
	/* The hosted-driver table is built lazily on first use: build it now,
	 * before AFL++'s fork server, so no input sees the one-time path
	 * (AFL++ stability). */
	(void)image_count();
	options.keep_events = 1;
	return runner_init(&runner);
}

static int broken(const char *what)
{
	fprintf(stderr, "violation fuzz_trace record-replay: %s\n--- recorded trace\n%s\n", what, text);
	fprintf(stderr, "signature: fuzz_trace %s\n", what);
	return 1;
}

int fuzz_target_run(const uint8_t *data, size_t len)
{
	struct scn_error err;
	if (scn_parse_text(&scn, (const char *)data, len, "input.nmrt", &err) != 0)
		return 0;
	if (scn.steps_max > FUZZ_TRACE_STEPS_MAX)
		scn.steps_max = FUZZ_TRACE_STEPS_MAX;
	struct run_result res = run_scenario(&runner, &scn, NULL, &options);
	/* A full choice log was cut: its trace cannot replay exactly. */
	if (res.nchoices >= SCN_CHOICES_MAX)
		return 0;
	uint64_t hash = res.hash;
	report_make_trace(&rec, &scn, &res);
	size_t n = scn_print_text(&rec, text, sizeof text);
	if (n >= sizeof text)
		return broken("trace text needs more than TEXT_CAP");
	if (scn_parse_text(&back, text, n, "recorded.nmrt", &err) != 0)
		return broken("recorded trace does not parse");
	if (!back.has_hash || back.hash != hash)
		return broken("recorded trace lost its hash");
	res = run_scenario(&runner, &back, NULL, &options);
	if (res.hash != hash) {
		char what[96];
		snprintf(what, sizeof what, "replay hash %016" PRIx64 " != recorded %016" PRIx64, res.hash, hash);
		return broken(what);
	}
	return 0;
}
