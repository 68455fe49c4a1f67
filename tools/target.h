/* target.h - what the campaign tools share: load an input the way a fuzz
 * target decodes it, run it with a rule filter, and name its findings by
 * signature.
 *
 * Targets (see fuzz/): `scenario` decodes binary inputs with
 * scn_decode_binary and counts only R findings by default (the registrar is
 * the system under test; scripted modules break M rules on purpose);
 * `drivers` decodes with scn_decode_binary_drivers (sim/scenario/scenario.h) and counts every
 * rule. Text inputs (.nmr, .nmrt) are parsed whatever the target and count
 * every rule unless --rules says otherwise.
 */
#ifndef NMRSIM_TOOLS_TARGET_H
#define NMRSIM_TOOLS_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/run.h"
#include "findings.h"
#include "input.h"
#include "opts.h"

#define TGT_SIG_MAX 128           /* a signature string incl. NUL */
/* Step budget caps of the fuzz targets on binary inputs (fuzz/fuzz_scenario.c,
 * fuzz/fuzz_drivers.c): an input replays as the fuzzer ran it. */
#define TGT_SCENARIO_STEPS_MAX 4096u
#define TGT_DRIVERS_STEPS_MAX 20000u

enum tgt_kind { TARGET_SCENARIO = 0, TARGET_DRIVERS };

/* The read buffer (replay/input.h), reused across files. */
#define tgt_buf input_buf

/* The counted findings of one run, by signature, in the order found. */
struct tgt_outcome {
	struct run_result res;                         /* the run (findings valid until the next run) */
	uint32_t ncounted;                             /* findings that count under the rule mask (advisories
							* only with --advisories-fail) */
	uint32_t nadvisories;                          /* advisories in the mask, not counted: after them in
							* index[] and sig[] (listed apart by the tools) */
	uint8_t index[ORACLE_FINDINGS_MAX];            /* their index in res.findings */
	char sig[ORACLE_FINDINGS_MAX][TGT_SIG_MAX];    /* their signatures */
};

/* "scenario" / "drivers"; false if unknown (or drivers without hosting). */
bool tgt_kind_parse(const char *name, enum tgt_kind *out);
const char *tgt_kind_name(enum tgt_kind k);
/* Whether this build can decode the drivers target (sim/host/host.h present). */
bool tgt_have_drivers(void);

/* Rule spec: comma separated "all", a group letter (M, K, R, L) or a rule
 * ID ("R01"). Returns the mask (bit per enum rule; 0 never: "all" sets every
 * rule bit); false on a bad spec. */
bool tgt_rules_parse(const char *spec, uint64_t *mask);
/* Every rule bit / the R group. */
uint64_t tgt_mask_all(void);
uint64_t tgt_mask_group(char letter);
/* Default mask of an input: binary scenario inputs count R, everything else all. */
uint64_t tgt_default_mask(enum tgt_kind k, bool text);

/* The options every tool over fuzz inputs takes: true when the current
 * argument is `--target T`, `--rules SPEC` (consumed; --rules also sets
 * *rules_given), or one of findings.h (--suppress FILE, --advisories-fail);
 * a bad value exits 2 (opts.h). */
bool tgt_option(struct opts *o, enum tgt_kind *kind, uint64_t *mask, bool *rules_given);
/* false, with "<tool>: this build has no hosted drivers", when k is the
 * drivers target and this build hosts none. Also loads the suppressions
 * (findings_setup: a bad file exits 2), so every tool calls it after its
 * options. */
bool tgt_kind_usable(const char *tool, enum tgt_kind k);

/* Whether a path names a text input (.nmr, .nmrt). */
bool tgt_is_text(const char *path);
/* Read a whole file into buf. 0, or -1 with a reason in err. */
int tgt_read(struct tgt_buf *buf, const char *path, char *err, size_t errcap);
void tgt_buf_free(struct tgt_buf *buf);
/* Load an input into s, decoding binary inputs as target k. *text tells which
 * form it was. 0, or -1 with "file:line: reason" in err. A long run's trace
 * (scenario.h: choices_long) points into storage that the next tgt_load
 * reuses. */
int tgt_load(struct scenario *s, const char *path, enum tgt_kind k, struct tgt_buf *buf, bool *text, char *err,
	     size_t errcap);

/* Run s from its own schedule; findings of rules outside mask do not count
 * (mask 0 = all). The findings are kept in out until the next run on r.
 * Signatures are oracle_signature()'s, except that when every module has a
 * generated name (C0, P3, as binary inputs decode) the module is named by
 * its role only ("R02 C ClientAttachProvider"): the index is the fuzzer's
 * arbitrary placement, not a different bug. */
void tgt_run(struct runner *r, const struct scenario *s, uint64_t mask, struct tgt_outcome *out);
/* From a crash handler (run/crash.h) during tgt_run: the findings of the
 * run as the crash left it (K08 among them), named as tgt_run names them. */
void tgt_crashed(struct runner *r, const struct scenario *s, uint64_t mask, struct tgt_outcome *out);

/* The root cause among n findings of one run (findings[index[k]], or
 * findings[k] when index is NULL): the first violation, by trace step; at
 * the same step a safety finding before a liveness one (a hang is what an
 * unfinished detach looks like at the end), then the order reported. The
 * others are its follow-ons. Returns k. */
uint32_t tgt_root(const struct finding *findings, const uint8_t *index, uint32_t n);

/* Whether two signatures are one defect seen at different stages: the same
 * module and site under rules that differ only in when the act landed
 * (a dispatch call through a binding after its detach completed is M18,
 * after its cleanup ran M19). Campaigns count such roots once. */
bool tgt_same_defect(const char *sig_a, const char *sig_b);

/* Index into out->sig of signature sig, -1 if absent. */
int tgt_find_sig(const struct tgt_outcome *out, const char *sig);

/* For tools that run inputs in their own process (nmr-minimize, nmr-rulecov,
 * nmr-detcheck): a driver crash (K08) during a run ends the tool with its
 * report, "<tool>: <*input> crashed a driver ...; replay it with nmr-replay"
 * and exit 2 (the job was not done), never a bare signal. *input names the
 * input being run (the tool keeps it current). */
void tgt_crash_guard(const char *tool, const char *const *input);

/* The replay command for an input (a text file or a binary one of target k). */
void tgt_replay_command(char *buf, size_t cap, const char *replay_tool, const char *path, enum tgt_kind k, bool text,
			uint64_t mask);

/* "nmr-replay" as the user can type it, next to this tool in a build tree
 * (tools/ and replay/ are siblings) or on PATH. */
void tgt_find_replay(char *buf, size_t cap, const char *argv0);

#endif
