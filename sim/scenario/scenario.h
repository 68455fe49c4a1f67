/* scenario.h - what a run plays: scripted modules, per-thread operations,
 * the environment, the schedule source and the expected verdict.
 *
 * Three forms: this struct; a text form (.nmr, documented in docs/SCENARIO.md,
 * comments with '#'); a binary form for fuzzers where every byte string
 * decodes to a valid scenario (the bytes after the scenario part are the
 * schedule's choice bytes). Text -> struct -> binary -> struct -> text is the
 * identity on the canonical text (module and thread names are not carried by
 * the binary form: they print as generated names).
 */
#ifndef NMRSIM_SCENARIO_H
#define NMRSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/choice.h"
#include "core/config.h"
#include "core/images.h"

enum scn_role { ROLE_CLIENT = 0, ROLE_PROVIDER = 1 };

/* What the module's attach callback does. */
enum scn_attach {
	ATTACH_ACCEPT = 0,   /* client: NmrClientAttachProvider, return its status; provider: write outputs, SUCCESS */
	ATTACH_DECLINE,      /* return STATUS_NOINTERFACE (client: without calling NmrClientAttachProvider) */
	ATTACH_FAIL,         /* return STATUS_UNSUCCESSFUL */
	ATTACH_LIE,          /* M12 client: SUCCESS without calling NmrClientAttachProvider */
	ATTACH_MISMATCH,     /* M12 client: calls NmrClientAttachProvider, returns NOINTERFACE after SUCCESS (or SUCCESS after a failure) */
	ATTACH_NOOUT,        /* M13 provider: SUCCESS without writing the outputs */
	ATTACH_WRONG_HANDLE, /* M11 client: NmrClientAttachProvider with a binding handle other than the one received */
	ATTACH_COUNT
};

/* What the module's detach callback does. */
enum scn_detach {
	DETACH_SUCCESS = 0,   /* return SUCCESS */
	DETACH_ASYNC,         /* return PENDING, Complete later from a work item */
	DETACH_OP,            /* return PENDING, Complete on the thread's next `complete` op */
	DETACH_NEVER,         /* M17: return PENDING, never Complete */
	DETACH_BOGUS,         /* M14: return STATUS_UNSUCCESSFUL */
	DETACH_WAIT,          /* M09: wait for its own deregistration inside the callback */
	DETACH_BLOCK,         /* M10: a blocking wait inside the callback */
	DETACH_SUCCESS_COMPLETE, /* M15: return SUCCESS and also call Complete */
	DETACH_COMPLETE_TWICE,/* M15: return PENDING, Complete twice from a work item */
	DETACH_INFLIGHT,      /* correct in-flight pattern: PENDING while dispatch calls run, the last call Completes */
	DETACH_COUNT
};

/* What the driver's Unload routine does. */
enum scn_unload {
	UNLOAD_CORRECT = 0, /* NmrDeregister*, then NmrWaitFor*DeregisterComplete if PENDING */
	UNLOAD_NOWAIT,      /* M20: NmrDeregister* only */
	UNLOAD_NODEREG,     /* M20: returns while still registered */
	UNLOAD_COUNT
};

/* How the characteristics are malformed (M02). */
enum scn_chars {
	CHARS_OK = 0, CHARS_BAD_VERSION, CHARS_SHORT_LENGTH, CHARS_NULL_ATTACH,
	CHARS_NULL_DETACH, CHARS_NULL_NPIID, CHARS_NULL_MODULEID, CHARS_COUNT
};

/* Module flags (bit set). */
enum scn_flag {
	FLAG_UNSAFE_CALLS = 1u << 0, /* M18/M19: `call` ignores the binding's detach state */
	FLAG_LEAK = 1u << 1,         /* M21: binding contexts are not freed by cleanup */
	FLAG_ALL = 0x3u
};

/* What a module is: scripted (behaviour from the keys below) or a hosted
 * driver built from the user's source (sim/host/host.h), which behaves as its
 * code says; only name, kind and driver apply to a driver. */
enum scn_module_kind { MODULE_SCRIPTED = 0, MODULE_DRIVER = 1 };

struct scn_module {
	char name[SCN_NAME_MAX]; /* "P0", "tcpip", ... (a driver: its build name) */
	uint8_t kind;            /* enum scn_module_kind */
	uint8_t driver;          /* MODULE_DRIVER: index in the linked driver table (host_driver) */
	uint8_t role;            /* enum scn_role */
	uint8_t npi;             /* NPI index < SCN_NPIS_MAX */
	uint8_t attach;          /* enum scn_attach */
	uint8_t detach;          /* enum scn_detach */
	uint8_t unload;          /* enum scn_unload */
	uint8_t chars;           /* enum scn_chars */
	uint8_t flags;           /* enum scn_flag bits */
};

enum scn_op_kind {
	OP_REGISTER = 0, /* register M */
	OP_DEREGISTER,   /* deregister M [handle=SEL] */
	OP_WAIT,         /* wait M [handle=SEL] */
	OP_UNLOAD,       /* unload M: run M's Unload routine */
	OP_COMPLETE,     /* complete M [handle=SEL] [peer=N]: Complete M's PENDING (op-mode) detaches */
	OP_CALL,         /* call M: one dispatch call on M's first binding */
	OP_ATTACH,       /* attach M: NmrClientAttachProvider outside a callback (M11) */
	OP_IRQL,         /* irql LEVEL: raise or lower this thread's IRQL */
	OP_MUTATE,       /* mutate M: change M's characteristics (M03) */
	OP_POLL,         /* poll M: spin until M's deregistration completed, without waiting */
	OP_YIELD,        /* yield: a scheduling point */
	OP_LOAD,         /* load D: run driver D's DriverEntry (drivers only) */
	OP_SLEEP,        /* sleep Nms: the thread waits N ms of simulated time (arg = N, 1..SCN_SLEEP_MS_MAX) */
	OP_KIND_COUNT
};

/* Op kinds the binary form's kind byte names (kind % SCN_OP_BINARY_KINDS);
 * a sleep is a yield whose module byte is its duration (docs/SCENARIO.md), so
 * inputs written before sleep existed decode as they did. */
#define SCN_OP_BINARY_KINDS (OP_LOAD + 1)
#define SCN_SLEEP_MS_MAX 255

/* Which handle an op passes (arg of deregister, wait, complete). */
enum scn_handle {
	HSEL_OWN = 0, /* the right one */
	HSEL_STALE,   /* M's previous registration / a cleaned-up binding */
	HSEL_BINDING, /* one of M's binding handles (or, for complete, M's registration handle) */
	HSEL_PEER,    /* a handle of another module of the other role */
	HSEL_GARBAGE, /* a value NMR never returned */
	HSEL_COUNT
};

/* IRQL levels as the op argument (values are the WDK's). */
#define SCN_IRQL_PASSIVE 0
#define SCN_IRQL_APC 1
#define SCN_IRQL_DISPATCH 2
#define SCN_IRQL_HIGH 15

struct scn_op {
	uint8_t kind;   /* enum scn_op_kind */
	uint8_t thread; /* scripted thread index < nthreads */
	uint8_t module; /* module index < nmodules (ignored by irql, yield) */
	uint8_t arg;    /* enum scn_handle, or the IRQL for OP_IRQL */
	uint8_t peer;   /* complete: 1 + the module whose binding's PENDING detach to complete (`peer=`), 0: the first PENDING (not in the binary form) */
};

enum scn_sched {
	SCHED_BYTES = 0, /* choices from sched_bytes (empty: the default schedule) */
	SCHED_SEED,      /* seeded PRNG */
	SCHED_PCT,       /* PCT with seed and depth */
	SCHED_REPLAY,    /* the recorded choices[] */
	SCHED_COUNT
};

/* Registrar under test: the model, or the model with one planted bug (to
 * prove the oracle's R rules catch a broken registrar). */
enum scn_registrar {
	REGISTRAR_MODEL = 0,
	MUTANT_WRONG_NPI,        /* R01 */
	MUTANT_DUP_ATTACH,       /* R02 */
	MUTANT_ATTACH_AFTER_DEREG, /* R03 */
	MUTANT_SKIP_DETACH,      /* R04 */
	MUTANT_DOUBLE_DETACH,    /* R05 */
	MUTANT_EARLY_CLEANUP,    /* R06 */
	MUTANT_DOUBLE_CLEANUP,   /* R07 */
	MUTANT_EARLY_WAIT,       /* R08 */
	MUTANT_HIGH_IRQL,        /* R09 */
	MUTANT_LATE_CALLBACK,    /* R10 */
	MUTANT_DEREG_SUCCESS,    /* R11 */
	MUTANT_DETACH_EARLY,     /* R12 */
	MUTANT_DEREGISTER_AGAIN, /* R13: a second NmrDeregister* of one handle answers PENDING */
	MUTANT_COMPLETE_WRONG,   /* R06 (multi-pending tests): Complete finishes the side's longest-PENDING binding of that registration */
	REGISTRAR_COUNT
};

enum scn_expect { EXPECT_NONE = 0, EXPECT_CLEAN, EXPECT_RULES };

struct scenario {
	uint8_t nmodules;                 /* modules in use */
	uint8_t nthreads;                 /* scripted threads in use (>= 1 when any op) */
	uint8_t nops;                     /* operations in use */
	uint8_t workers;                  /* NMR worker threads, 0..NMR_WORKERS_MAX */
	uint8_t registrar;                /* enum scn_registrar */
	uint8_t sched;                    /* enum scn_sched */
	uint8_t pct_depth;                /* PCT depth (1..CHOICE_PCT_DEPTH_MAX) */
	uint8_t fault_num, fault_den;     /* F6 injection ratio; den 0 = never */
	uint8_t time_jumps;               /* `time jumps`: the schedule may move time to the next deadline during an Unload */
	uint8_t swarm;                    /* `swarm on`: the schedule's bytes or seed run under a swarm configuration (choice.h) */
	uint8_t races;                    /* `races on`: data races in hosted driver memory are K11 (sim/kernel/race.h) */
	uint8_t io_workers;               /* `io-workers N`: system worker threads running hosted drivers' work items, 1..KERNEL_IO_WORKERS_MAX (0 reads as 1) */
	uint8_t atomics_preempt;          /* `atomics preempt`: hosted driver code's atomic and volatile accesses are scheduling points (sim/host/atomic_point.h) */
	uint32_t steps_max;               /* step budget */
	uint64_t seed;                    /* SCHED_SEED / SCHED_PCT */
	struct scn_module modules[SCN_MODULES_MAX];
	char thread_names[SCN_THREADS_MAX][SCN_NAME_MAX];
	struct scn_op ops[SCN_OPS_MAX];   /* in file order; each thread runs its own ops in that order */
	uint32_t sched_len;               /* SCHED_BYTES: bytes in use */
	uint8_t sched_bytes[SCN_SCHED_BYTES_MAX];
	uint32_t nchoices;                /* SCHED_REPLAY: recorded choices */
	struct choice_rec choices[SCN_CHOICES_MAX];
	bool has_hash;                    /* a trace file states the trace hash to reproduce */
	uint64_t hash;                    /* that hash */
	uint8_t expect;                   /* enum scn_expect */
	uint8_t nexpect;                  /* rule IDs in expect_rules */
	uint8_t expect_rules[SCN_EXPECT_MAX]; /* enum rule */
	/* A trace of a run longer than choices[] holds (a long livelock, L02):
	 * all its choices, in storage the caller owns (report_make_trace: the
	 * run's log; scn_parse_text_long: the caller's buffer). When set, replay
	 * and printing use these, and choices[] holds the first SCN_CHOICES_MAX. */
	const struct choice_rec *choices_long;
	uint32_t nchoices_long;
};

struct scn_error {
	char file[128];   /* file name as given */
	uint32_t line;    /* 1-based line, 0 if not line-specific */
	char reason[160]; /* what is wrong */
};

/* The default scenario: nothing in it, defaults for the environment. */
void scn_init(struct scenario *s);

/* Parse the text form. Returns 0, or -1 with err filled (file, line, reason).
 * Never crashes on any input (including NUL bytes and lines of any length). */
int scn_parse_text(struct scenario *s, const char *text, size_t len, const char *file, struct scn_error *err);
/* The same, where a `choices` list may run past SCN_CHOICES_MAX into long[]
 * (long_cap entries, the caller's; s->choices_long points there): for the
 * tools that replay trace files. */
int scn_parse_text_long(struct scenario *s, const char *text, size_t len, const char *file, struct scn_error *err,
			struct choice_rec *long_log, uint32_t long_cap);

/* Print the canonical text form (with expect/schedule/choices/hash lines as
 * set). Returns the length it needs; writes at most cap bytes incl. NUL. */
size_t scn_print_text(const struct scenario *s, char *out, size_t cap);

/* Total decoding: any bytes (even empty) give a valid scenario of scripted
 * modules (the same scenario whatever drivers the binary links). */
void scn_decode_binary(struct scenario *s, const uint8_t *data, size_t len);
/* The same layout read for the hosted-driver fuzz target: every module is a
 * driver (distinct ones; at most as many modules as drivers are linked), the
 * registrar is the model. With no driver linked, the scenario has no module. */
void scn_decode_binary_drivers(struct scenario *s, const uint8_t *data, size_t len);
/* The fuzz targets' decode (scn_decode_binary, or _drivers): the same
 * scenario, but sched_bytes past sched_len keep whatever they held. A run
 * reads [0, sched_len) only, so it runs the same; do not compare such a
 * struct byte for byte. */
void scn_decode_binary_to_run(struct scenario *s, const uint8_t *data, size_t len, bool drivers);

/* Encode so that scn_decode_binary (scn_decode_binary_drivers for a
 * scenario of drivers only) gives back the same scenario (names,
 * expectations, recorded choices and hash are not carried). Returns the length
 * it needs; writes at most cap bytes. */
size_t scn_encode_binary(const struct scenario *s, uint8_t *out, size_t cap);

/* Names for the text form (also used by the trace renderer). */
const char *scn_op_name(enum scn_op_kind k);
const char *scn_attach_name(enum scn_attach a);
const char *scn_detach_name(enum scn_detach d);
const char *scn_unload_name(enum scn_unload u);
const char *scn_chars_name(enum scn_chars c);
const char *scn_handle_name(enum scn_handle h);
const char *scn_registrar_name(enum scn_registrar r);
const char *scn_irql_name(unsigned irql);

/* Additions for the codec (scenario_names.c, scenario_text.c; the text
 * language and binary layout are documented in docs/SCENARIO.md). */
#define SCN_IRQL_MAX 31          /* highest IRQL an `irql` op can name */
#define SCN_STEPS_MAX 10000000u  /* largest step budget (text and binary) */
#define SCN_LINE_MAX 1024        /* longest text line in bytes (without the line end) */

const char *scn_sched_name(enum scn_sched k);  /* bytes seed pct replay */
const char *scn_flag_name(enum scn_flag f);    /* one bit: unsafe-calls leak */

/* Inverses of the *_name functions: the enum value, or -1 if the name is
 * unknown (exact, case-sensitive). scn_flag_parse returns the flag's bit.
 * scn_irql_parse also takes a decimal number 0..SCN_IRQL_MAX. */
int scn_op_parse(const char *name);
int scn_attach_parse(const char *name);
int scn_detach_parse(const char *name);
int scn_unload_parse(const char *name);
int scn_chars_parse(const char *name);
int scn_handle_parse(const char *name);
int scn_registrar_parse(const char *name);
int scn_sched_parse(const char *name);
int scn_flag_parse(const char *name);
int scn_irql_parse(const char *text);

/* Whether an op kind names a module (all but irql, yield) / takes a handle
 * selector in arg (deregister, wait, complete). */
bool scn_op_takes_module(enum scn_op_kind k);
bool scn_op_takes_handle(enum scn_op_kind k);
/* Whether op kind k applies to a module of kind mk (drivers take load and
 * unload; scripted modules all module ops but load). */
bool scn_op_fits(enum scn_op_kind k, enum scn_module_kind mk);

/* Unloads that can never find their driver loaded, known from the ops alone:
 * `unload D` of a driver D that no op loads, or that comes before the only
 * thread loading D does so. Returns the first such op's index and sets *why,
 * or -1. (Across threads the order is the schedule's: an unload that runs
 * before the load is a traced no-op, sim/host/host.c.) */
int scn_unload_unreachable(const struct scenario *s, const char **why);
/* What the binary form and the mutators do instead of an error: each such
 * unload becomes a yield on its thread. */
void scn_unload_unreachable_to_yield(struct scenario *s);

/* `driver NAME` resolves against core/images.h (image_count, image_get,
 * image_find: the drivers linked into this binary, sorted by name). */
/* The first linked driver, from `want` on (wrapping), that none of
 * s->modules[0, nmodules) is: a driver image loads once. -1 if none. */
int scn_driver_unused(const struct scenario *s, unsigned nmodules, unsigned want);
/* Make m driver d of the linked table (kind, index, its name). */
void scn_module_set_driver(struct scn_module *m, unsigned d);

#endif
