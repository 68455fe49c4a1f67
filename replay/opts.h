/* opts.h - command-line options of every C tool, parsed one way.
 *
 * One loop per tool:
 *
 *   struct opts o;
 *   opts_init(&o, "nmr-explore", argc, argv, usage);
 *   while (opts_next(&o)) {
 *       if (opts_flag(&o, "--quiet")) quiet = true;
 *       else if (opts_u64(&o, "--runs", 0, RUNS_MAX, &runs)) ;
 *       else if (opts_str(&o, "--out", &out)) ;
 *       else files[n++] = opts_operand(&o);  // "unknown option" for a stray -x
 *   }
 *
 * Every option takes its value as the next argument or after '='
 * (`--runs 5`, `--runs=5`). Numbers are decimal or 0x hex, without sign,
 * spaces or suffix, inside a stated range; durations take s, m, h or d.
 * A bad value, a missing value or an unknown option prints one line
 *   <tool>: --runs: 'abc' is not a number (expected 0..1000000000000)
 * plus a pointer to --help, and exits 2 (bad usage): a command line is
 * wrong or right as a whole, so nothing runs on half of one. */
#ifndef NMRSIM_OPTS_H
#define NMRSIM_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct opts {
	const char *tool;          /* "nmr-explore": prefix of every message */
	int argc;
	char **argv;
	int i;                     /* argument being looked at */
	bool operands_only;        /* after "--": everything is an operand */
	void (*usage)(FILE *out);  /* --help prints it to stdout and exits 0 */
};

void opts_init(struct opts *o, const char *tool, int argc, char **argv, void (*usage)(FILE *out));
/* Advance to the next argument; false when none is left. Handles --help/-h. */
bool opts_next(struct opts *o);

/* Each returns true when the current argument is that option (its value
 * stored), false when it is something else. Bad values exit 2. */
bool opts_flag(struct opts *o, const char *name);
bool opts_str(struct opts *o, const char *name, const char **out);
bool opts_u64(struct opts *o, const char *name, uint64_t min, uint64_t max, uint64_t *out);
bool opts_u32(struct opts *o, const char *name, uint32_t min, uint32_t max, uint32_t *out);
/* A duration: N, Ns, Nm, Nh or Nd (N may have a fraction), in (0, max_s]. */
bool opts_duration(struct opts *o, const char *name, double max_s, double *out_s);

/* The current argument as an operand (a file); an unconsumed "-x" or
 * "--xyz" exits 2 as an unknown option. */
const char *opts_operand(struct opts *o);

/* Print "<tool>: <message>" and the --help pointer, exit 2. For checks of
 * option values that only make sense together. */
_Noreturn void opts_fail(const struct opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit code after checking that standard output was written (a full
 * disk, a closed pipe): rc, or EXIT_BAD_INPUT (2) with a message. */
int opts_exit(const struct opts *o, int rc);

/* Parse a whole string as a number in [min, max] (decimal or 0x hex).
 * false with a reason in why ("is not a number", "is out of range"). */
bool opts_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out, const char **why);

#endif
