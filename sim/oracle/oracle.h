/* oracle.h - checks the rules of CONTRACTS.md by observing the event stream.
 *
 * The oracle acts on nothing: it is fed every event (trace_emit) and keeps its
 * own shadow of registrations and bindings built only from events (handle
 * values as the registrar returned them), so it checks any registrar put
 * behind the function table, not just the model.
 *
 * Rules it checks from events: M01-M21 and R01-R13 (see the per-kind field
 * use in trace.h). The scheduler reports the liveness rules L01-L03 through
 * oracle_report(), because only it knows that every thread is blocked or that
 * the budget ran out. oracle_finish() runs the end-of-run checks (M17 for a
 * PENDING never completed, R07 for a cleanup that never ran).
 *
 * A finding names its rule, module, handle or binding, the trace step and a
 * one-line explanation quoting the contract, and has a signature (rule ID +
 * where: module name, API/callback, site) on which campaigns deduplicate.
 * One finding per signature per run; at most ORACLE_FINDINGS_MAX kept.
 */
#ifndef NMRSIM_ORACLE_H
#define NMRSIM_ORACLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/rules.h"
#include "trace/trace.h"

#define ORACLE_REGS_MAX (NMR_REGS_MAX * 4)   /* shadow registrations remembered (incl. finished ones) */
#define ORACLE_BINDINGS_MAX (NMR_BINDINGS_MAX * 4) /* shadow bindings remembered */
#define ORACLE_CB_DEPTH_MAX 8                /* nested callbacks per thread */
#define ORACLE_API_DEPTH_MAX 8               /* nested NMR API calls per thread */
#define ORACLE_SIGNATURES_MAX 64             /* distinct finding signatures remembered per run (dedup) */

enum finding_site {
	SITE_API = 0,  /* site = enum nmr_api */
	SITE_CB,       /* site = enum nmr_cb */
	SITE_CALL,     /* a dispatch call */
	SITE_UNLOAD,   /* a driver's Unload */
	SITE_END,      /* end-of-run check */
	SITE_HANG,     /* liveness: site = enum block_reason of the first blocked thread, or 0 */
	SITE_CRASH,    /* module code crashed: site = signal number (SIGSEGV, ...; 0 = sanitizer report) */
	SITE_KERNEL,   /* a kernel-shim routine: site = enum ke_api */
	SITE_FREEDOM,  /* across runs (advisory M23): site = enum choice_kind of the freedom */
};

struct finding {
	uint8_t rule;        /* enum rule */
	uint8_t site_kind;   /* enum finding_site */
	uint8_t site;        /* per site_kind */
	uint8_t module;      /* module index, EV_NONE8 if none */
	uint8_t thread;      /* thread at which it was seen */
	uint16_t binding;    /* binding slot, EV_NONE16 if none */
	uint32_t handle;     /* handle concerned, 0 if none */
	uint32_t step;       /* trace step */
	uint32_t event;      /* index of the triggering event in the trace */
	char detail[256];    /* one line: what happened, in the run's terms */
};

/* Shadow state: one per registration the oracle has seen. */
struct oracle_reg {
	uint32_t handle;     /* as returned by NmrRegister* */
	uint8_t module;      /* module index */
	uint8_t role;        /* 0 client, 1 provider */
	uint8_t npi;         /* NPI index */
	uint8_t state;       /* enum oracle_reg_state (shadow.h) */
	uint32_t digest;     /* characteristics digest at registration */
	bool digest_flagged; /* M03 already reported for this registration */
	bool dereg_complete; /* EV_DEREG_COMPLETE seen */
	uint32_t seq;        /* creation order (newest wins; oldest finished recycled first) */
	uint32_t step_registered;   /* step of the register exit (or first callback) */
	uint32_t step_deregistered; /* step of the deregister enter, 0 if none */
	uint32_t step_wait;         /* step at which the wait returned, 0 if none */
};

/* Shadow state of one binding (both sides). */
struct oracle_binding {
	uint32_t handle;        /* binding handle */
	uint16_t slot;          /* registrar slot (for reports) */
	uint8_t client_module, provider_module;
	uint32_t client_reg, provider_reg;
	uint8_t attach_state;   /* enum oracle_attach_state (shadow.h) */
	uint8_t side_state[2];  /* per side (0 client, 1 provider): enum oracle_side_state (shadow.h) */
	uint8_t detach_calls[2];/* detach callbacks delivered per side */
	uint8_t cleanup_calls[2]; /* cleanup callbacks delivered per side */
	uint8_t completes[2];   /* Complete calls per side */
	bool live;              /* not yet forgotten */
	uint8_t attach_cb[2];   /* per side: enum oracle_attach_cb (shadow.h) of its attach callback */
	bool complete_early[2]; /* Complete called while that side's detach callback still ran */
	bool tainted;           /* a module broke M11/M12/M13 on this attach: attach-outcome R checks skipped */
	uint32_t seq;           /* creation order */
	uint32_t step_detached[2];  /* step at which each side's detach completed */
	uint32_t step_cleanup[2];   /* step of each side's (first) cleanup */
};

/* Per simulated thread: the NMR callbacks it is inside (innermost last). */
struct oracle_thread {
	uint8_t depth;                               /* callbacks entered and not returned */
	uint8_t cb[ORACLE_CB_DEPTH_MAX];             /* enum nmr_cb */
	uint32_t cb_handle[ORACLE_CB_DEPTH_MAX];     /* binding handle of that callback */
	bool attach_called[ORACLE_CB_DEPTH_MAX];     /* client attach: NmrClientAttachProvider called */
	int32_t attach_status[ORACLE_CB_DEPTH_MAX];  /* ... and what it returned */
	bool attach_returned[ORACLE_CB_DEPTH_MAX];   /* ... and it returned (status valid) */
	uint8_t cb_module[ORACLE_CB_DEPTH_MAX];      /* receiving module of that callback */
	uint8_t api_depth;                           /* NMR API calls entered and not returned */
	struct oracle_api_frame {
		uint8_t api;       /* enum nmr_api */
		uint8_t module;    /* calling module */
		uint8_t npi;       /* register: NPI index */
		uint8_t irql;      /* the caller's IRQL at the call */
		uint8_t cb_index;  /* ClientAttachProvider: callback frame it was recorded on, EV_NONE8 if none */
		bool valid;        /* deregister/wait: the handle was a registration of that role (shadow.c) */
		uint8_t refused;   /* deregister/wait/Complete: why NMR must refuse it (R13, rules_r.c), 0 if not */
		uint8_t reg_state; /* deregister/wait: shadow state at enter */
		uint16_t reg_index;/* deregister/wait: shadow registration index, EV_NONE16 if none */
		uint32_t reg_seq;  /* ... its seq (guards against recycling) */
		uint32_t handle;   /* handle argument */
		uint32_t digest;   /* register: characteristics digest */
	} api[ORACLE_API_DEPTH_MAX];
};

/* The numeric fields of the characteristics an NmrRegister* passes, noted by
 * the registrar front just before its EV_API_ENTER: the event says which
 * fields are malformed (enum chars_bad), this says their values, so M02 and
 * M22 name field and value. Not part of the trace (a trace replayed into
 * the oracle has none: the reasons then name the field only). */
struct oracle_chars_note {
	bool valid;           /* set for the next EV_API_ENTER of a register only */
	uint16_t version;     /* NPI_*_CHARACTERISTICS.Version */
	uint16_t length;      /* NPI_*_CHARACTERISTICS.Length */
	uint16_t length_min;  /* sizeof the characteristics structure */
	uint16_t ri_version;  /* NPI_REGISTRATION_INSTANCE.Version */
	uint32_t ri_size;     /* NPI_REGISTRATION_INSTANCE.Size */
	uint32_t ri_size_min; /* sizeof (NPI_REGISTRATION_INSTANCE) */
};

struct suppress;
struct scenario;

struct oracle {
	const char *const *module_names; /* names for reports (scenario), may be NULL */
	const struct scenario *scenario; /* thread names for reports (trace_thread_name); NULL after init, the run may set it */
	uint32_t nmodules;              /* entries in module_names */
	bool stop_on_first;             /* set stop_requested at the first finding (fuzzing) */
	uint64_t rule_mask;             /* bit per enum rule that counts as a finding; 0 = all (set after init) */
	const struct suppress *suppress;/* findings it matches are counted in `suppressed`, not kept (set after init) */
	bool advisories_fail;           /* advisories stop a stop_on_first run and fail it like violations (set after init) */
	struct oracle_chars_note chars_note; /* see above */
	bool stop_requested;            /* the run should stop now */
	struct oracle_reg regs[ORACLE_REGS_MAX];
	uint32_t nregs;
	struct oracle_binding bindings[ORACLE_BINDINGS_MAX];
	uint32_t nbindings;
	struct oracle_thread threads[SIM_THREADS_MAX];
	struct finding findings[ORACLE_FINDINGS_MAX];
	uint32_t nfindings;             /* kept */
	uint32_t findings_total;        /* seen, deduplicated by signature, incl. those not kept */
	uint32_t event_index;           /* events observed so far */
	uint32_t last_step;             /* step of the last event */
	uint64_t rules_touched;         /* bit per enum rule whose relevant state this run exercised (rule coverage) */
	uint64_t rules_violated;        /* bit per enum rule violated this run, rule_mask or not (coverage benchmarks) */
	uint32_t seq;                   /* creation counter for regs and bindings */
	uint32_t signatures[ORACLE_SIGNATURES_MAX]; /* packed signature keys seen this run (dedup) */
	uint32_t nsignatures;           /* in use; beyond the array a new signature is counted again */
	uint32_t regs_dropped;          /* registrations not tracked: shadow full of unfinished ones */
	uint32_t bindings_dropped;      /* bindings not tracked (same) */
	uint32_t bindings_recycled;     /* finished bindings forgotten to make room */
	uint32_t suppressed;            /* findings matched by the suppressions (deduplicated by signature) */
};

/* Rule coverage: did this run reach a state in which rule r is checked? */
static inline bool oracle_rule_touched(const struct oracle *o, enum rule r)
{
	return (unsigned)r < 64 && ((o->rules_touched >> (unsigned)r) & 1u);
}

/* Whether a finding of rule r is kept (the rule mask lets it count): where
 * not, oracle_report and oracle_reportf only mark the rule violated and
 * touched and drop the text, so a caller need not build one (fuzz_scenario
 * runs with the M and L rules masked hit them on most inputs). */
static inline bool oracle_counts(const struct oracle *o, enum rule r)
{
	return !o->rule_mask || ((o->rule_mask >> (unsigned)r) & 1u);
}

void oracle_init(struct oracle *o, const char *const *module_names, uint32_t nmodules, bool stop_on_first);
void oracle_on_event(struct oracle *o, const struct event *e);
/* The same as a trace observer (trace_init's observe, ctx = the oracle). */
void oracle_observe(void *oracle, const struct event *e);

/* A finding from outside the event stream (liveness, crashes). detail is one line.
 * Cold, like oracle_reportf: the paths to a report leave the hot code. */
__attribute__((cold)) void oracle_report(struct oracle *o, enum rule rule, enum finding_site site_kind, uint8_t site,
		   uint8_t module, uint8_t thread, uint16_t binding, uint32_t handle, const char *detail);

/* Whether a dispatch call by `module` on binding `handle` now comes after
 * that module's detach completed or its cleanup ran (M18/M19): what the
 * callee then does is a consequence of the caller's bug (dispatch guarding). */
bool oracle_call_is_late(const struct oracle *o, uint32_t handle, uint8_t module);

/* End-of-run checks. hung: the run ended in a hang (already reported). */
void oracle_finish(struct oracle *o, bool hung);

/* "M04 C0 NmrDeregisterClient" - rule + where; what campaigns deduplicate on. */
void oracle_signature(const struct oracle *o, const struct finding *f, char *buf, size_t cap);

/* Whether finding f fails its run: a violation, or an advisory when
 * o->advisories_fail. */
bool oracle_finding_fails(const struct oracle *o, const struct finding *f);
/* The kept findings that fail the run (oracle_finding_fails). */
uint32_t oracle_failing(const struct oracle *o);

/* Print one finding as the report block ("advisory" in place of
 * "violation" for an advisory rule):
 *   violation M04 deregister-handle at step 17, thread T0, module C0, handle 0x...
 *     contract: <rule_info()->contract>
 *     what: <detail>
 *   signature: M04 C0 NmrDeregisterClient */
void oracle_print_finding(const struct oracle *o, const struct finding *f, FILE *out);

#endif
