/* scenario_text.h - inside the text form's parser (scenario_text.c: lines
 * and ops; scenario_values.c: errors, values, names; scenario_directives.c:
 * the directive lines). Not an interface of the scenario layer. */
#ifndef NMRSIM_SCENARIO_TEXT_H
#define NMRSIM_SCENARIO_TEXT_H

#include "scenario/scenario.h"

#define TOKS_MAX (SCN_LINE_MAX / 2 + 1)
#define QUOTE_MAX 24 /* bytes of an offending token quoted in an error */

enum { SEEN_STEPS = 1, SEEN_WORKERS = 2, SEEN_FAULTS = 4, SEEN_REGISTRAR = 8, SEEN_HASH = 16, SEEN_EXPECT = 32, SEEN_TIME = 64, SEEN_SWARM = 128,
       SEEN_RACES = 256, SEEN_IO_WORKERS = 512, SEEN_ATOMICS = 1024 };

struct parser {
	struct scenario *s;
	struct scn_error *err;
	unsigned seen;     /* SEEN_* of the directives that may appear once */
	bool sched_set;    /* a schedule line fixed s->sched */
	bool choices_seen; /* a choices line set s->sched = SCHED_REPLAY */
	int cur_thread;    /* thread receiving ops, -1 before the first */
	uint32_t op_lines[SCN_OPS_MAX]; /* line of each op (errors found after the last line) */
	struct choice_rec *long_log; /* choices past SCN_CHOICES_MAX (scn_parse_text_long), NULL: an error */
	uint32_t long_cap;
};

struct enum_desc {
	const char *what;
	int (*parse)(const char *);
	const char *(*name)(unsigned);
	unsigned count;
};
extern const struct enum_desc stx_attach, stx_detach, stx_unload, stx_chars, stx_handle, stx_registrar, stx_sched;

/* Fill p->err (reason from fmt) and return -1. */
__attribute__((format(printf, 2, 3)))
int stx_fail(struct parser *p, const char *fmt, ...);
/* The token t, cut to QUOTE_MAX bytes, for an error message. */
const char *stx_quote(char buf[QUOTE_MAX + 4], const char *t);
/* 0 if the line has min..max arguments after its keyword, else an error. */
int stx_nargs(struct parser *p, char **tok, int n, int min, int max);
/* 0 the first time directive bit appears, else an error. */
int stx_once(struct parser *p, unsigned bit, const char *kw);
int stx_hexval(char c); /* 0..15, -1 if not a hex digit */
bool stx_dec(const char *t, uint64_t max, uint64_t *out);
bool stx_hex64(const char *t, uint64_t *out);
bool stx_seed(const char *t, uint64_t *out);
/* val as a value of enum d, or an error listing the names. */
int stx_enum(struct parser *p, const struct enum_desc *d, const char *val, uint8_t *out);
bool stx_valid_name(const char *t);
int stx_find_module(const struct scenario *s, const char *name);
/* Add thread NAME and make it the one receiving ops. */
int stx_add_thread(struct parser *p, const char *name);
/* The directive's handler, NULL if kw is none (scenario_directives.c). */
typedef int (*stx_directive_fn)(struct parser *, char **, int);
stx_directive_fn stx_directive(const char *kw);

#endif
