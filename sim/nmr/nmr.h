/* nmr.h - the registrar: the front (the Nmr* entry points modules call) and
 * the model behind a function table.
 *
 * Front (nmr_api.c): each WDK entry point is a scheduling point; it emits
 * EV_API_ENTER / EV_API_EXIT with everything the oracle needs (caller module,
 * IRQL, handle values, the characteristics' malformations and digest) and
 * calls the registrar through `struct nmr_registrar_ops`, so another
 * registrar can be put under test behind the same table.
 *
 * Model (nmr_model.c, nmr_binding.c, nmr_work.c): registrations and
 * bindings in fixed slots, handles
 * tagged with role and a per-run generation (a stale, wrong-role or foreign
 * handle is recognised and answered with STATUS_INVALID_PARAMETER, never
 * dereferenced), the attach / detach / pending / complete / cleanup state
 * machines, and the freedoms F1-F6 taken as choices. A scenario can plant one
 * bug in the model (enum scn_registrar) to prove the R rules catch it.
 *
 * WDK entry points take no context argument, so the front of the running
 * simulation is reached through nmr_front_current, set by the run for its
 * duration (the one global of the engine; one run at a time per process).
 */
#ifndef NMRSIM_NMR_H
#define NMRSIM_NMR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "netioddk.h"
#include "host/guard.h"
#include "sched/sched.h"

enum nmr_role { NMR_CLIENT = 0, NMR_PROVIDER = 1 };

struct nmr_registrar_ops {
	NTSTATUS (*register_module)(void *impl, enum nmr_role role, const void *chars, void *context,
				    HANDLE *handle, uint8_t module, uint8_t npi);
	NTSTATUS (*deregister)(void *impl, enum nmr_role role, HANDLE handle);
	NTSTATUS (*wait)(void *impl, enum nmr_role role, HANDLE handle);
	NTSTATUS (*client_attach_provider)(void *impl, HANDLE binding, PVOID client_binding_context,
					   const void *client_dispatch, PVOID *provider_binding_context,
					   const void **provider_dispatch);
	void (*detach_complete)(void *impl, enum nmr_role role, HANDLE binding);
};

/* Handle values: tag (4 bits) | generation (20 bits) | slot (8 bits). */
#define NMR_TAG_CLIENT 1u
#define NMR_TAG_PROVIDER 2u
#define NMR_TAG_BINDING 3u
static inline uint32_t nmr_handle_value(HANDLE h) { return (uint32_t)(uintptr_t)h; }
static inline HANDLE nmr_handle_make(uint32_t v) { return (HANDLE)(uintptr_t)v; }

enum nmr_reg_state { REG_FREE = 0, REG_ACTIVE, REG_DEREGISTERING, REG_DONE, REG_WAITED };
enum nmr_bind_state { BIND_FREE = 0, BIND_ATTACHING, BIND_ATTACHED, BIND_DETACHING, BIND_CLEANUP };
enum nmr_side_state { SIDE_NONE = 0, SIDE_ATTACHING, SIDE_ATTACHED, SIDE_DETACHING, SIDE_PENDING, SIDE_DETACHED, SIDE_CLEANED };

struct nmr_reg {
	uint32_t handle;       /* value handed out; 0 when free */
	uint8_t state;         /* enum nmr_reg_state */
	uint8_t role;          /* enum nmr_role */
	uint8_t module;        /* module index (event attribution) */
	uint8_t npi;           /* NPI index (front's first-seen order) */
	const void *chars;     /* NPI_CLIENT_/NPI_PROVIDER_CHARACTERISTICS as registered */
	void *context;         /* ClientContext / ProviderContext */
	uint8_t nbindings;     /* bindings not yet freed (incl. attaching) */
	uint8_t chars_copy;    /* the front's copy of chars (chars_of) + 1, 0: not found yet; checked on use */
	uint32_t waiters;      /* bit per thread blocked in Wait */
};

struct nmr_binding {
	uint32_t handle;       /* binding handle; 0 when free */
	uint8_t state;         /* enum nmr_bind_state */
	uint8_t reg[2];        /* registration slots: [NMR_CLIENT], [NMR_PROVIDER] */
	uint8_t side[2];       /* enum nmr_side_state per side */
	bool completed_early[2]; /* Complete arrived while the detach callback still ran */
	uint32_t pending_since[2]; /* when each side's detach returned PENDING (nmr_model.pending_clock) */
	bool cleaned[2];       /* cleanup delivered for that side */
	void *context[2];      /* binding contexts: client's, provider's */
	const void *dispatch[2]; /* dispatch tables: client's, provider's */
	bool attach_called;    /* NmrClientAttachProvider ran inside the client's attach callback */
	NTSTATUS attach_status;/* ... and returned this */
};

enum nmr_work_kind { WORK_ATTACH = 0, WORK_DETACH_SIDE, WORK_CLEANUP };

struct nmr_work {
	uint8_t kind;          /* enum nmr_work_kind */
	uint8_t side;          /* WORK_DETACH_SIDE */
	uint8_t slot_a, slot_b;/* WORK_ATTACH: client reg, provider reg; else binding slot */
	uint32_t handle_a, handle_b; /* the handles they had when queued (stale work is dropped) */
	uint32_t irql;         /* IRQL to deliver at, with its F3 choice (nmr_model.h: nmr_cb_irql) */
};

struct nmr_model {
	struct sched *sched;       /* scheduling points, blocking, events */
	struct choice *choice;     /* F1-F6 */
	uint8_t mutant;            /* enum scn_registrar */
	uint8_t nworkers;          /* NMR worker threads */
	uint8_t fault_num, fault_den; /* F6 ratio */
	uint32_t generation;       /* handle generations handed out this run */
	struct nmr_reg regs[NMR_REGS_MAX];
	struct nmr_binding bindings[NMR_BINDINGS_MAX];
	struct nmr_work queue[NMR_WORK_MAX]; /* FIFO of deferred deliveries */
	uint32_t queue_head, queue_len;
	struct sim_thread *workers[NMR_WORKERS_MAX];
	uint32_t dropped_work;     /* deliveries dropped because the queue was full */
	uint32_t pending_clock;    /* detaches that returned PENDING so far (orders them) */
};

extern const struct nmr_registrar_ops nmr_model_ops;

/* workers must have been spawned on s by the caller (nmr_model_worker as body). */
void nmr_model_init(struct nmr_model *m, struct sched *s, struct choice *c, uint8_t mutant,
		    uint8_t fault_num, uint8_t fault_den);
void nmr_model_worker(struct sched *s, void *model);

/* For hang reports: describe what registration slot `slot` still waits for. */
int nmr_model_describe_wait(const struct nmr_model *m, uint16_t slot, const char *const *module_names,
			    char *buf, size_t cap);

#define NMR_NPIS_MAX 8
#define NMR_CHARS_COPIES (NMR_REGS_MAX * 2) /* registrations' characteristics kept per run (oldest reused) */
_Static_assert(NMR_CHARS_COPIES < 255, "nmr_reg.chars_copy holds a copy's index + 1");

struct nmr_front {
	const struct nmr_registrar_ops *ops; /* the registrar under test */
	void *impl;                /* its state */
	struct sched *sched;       /* scheduling points, events */
	GUID npis[NMR_NPIS_MAX];   /* NPIIDs seen, in first-seen order (event NPI index) */
	uint32_t nnpis;
	struct guard *guard;       /* dispatch guarding (guard.h), may be NULL */
	/* While NmrRegister* reads the caller's characteristics with no driver
	 * code in between, one check of their memory serves every read: the
	 * front's and the registrar's own at its start. Driver code runs only in
	 * a callback (cb_enter ends the stretch) or on another thread, after a
	 * scheduling point (the step moves on). */
	struct {
		bool on;                /* inside that stretch */
		uint32_t step;          /* the scheduler's step it began at */
		const void *chars;      /* checked (NULL: none yet) */
		uint8_t role;
		uint8_t state;          /* enum drvmem_state of that check */
		bool engine;            /* chars are the engine's own (engine_chars): no check made */
	} chars_memo;
	/* Per thread: the client attach callback it is delivering, so that
	 * NmrClientAttachProvider can wrap the provider's dispatch table. */
	struct nmr_attaching {
		uint32_t binding;      /* binding handle, 0 if none */
		uint16_t slot;
		uint8_t client, provider; /* module indices */
		const void *npi_id;    /* the NPIID */
	} attaching[SIM_THREADS_MAX];
	/* Copies of the characteristics taken at NmrRegister* (nmr_api.c): when
	 * a driver did not keep its own valid (M03), the engine reads these
	 * instead of a dead stack frame or freed pool. */
	/* Characteristics the engine itself registered (a scripted module's,
	 * with IDs in engine memory): readable the whole run, so no memory
	 * checks (what drvmem_check would say of them). Installed by the run
	 * after nmr_front_init; NULL: check every pointer. */
	bool (*engine_chars)(const void *ctx, enum nmr_role role, const void *chars);
	const void *engine_chars_ctx;
	uint32_t chars_used;       /* entries taken (in order, from 0): the rest are unused */
	struct nmr_chars_copy {
		const void *original;  /* the driver's pointer, NULL: entry unused */
		uint8_t module, role;
		/* Characteristics (or IDs) on a thread's stack stay valid only
		 * while the routine that registered them runs: that thread and
		 * its callback/DriverEntry/Unload frame (depth and serial). */
		int8_t stack_thread;   /* -1: not on a stack */
		uint8_t stack_depth;
		uint32_t stack_serial;
		bool stable;           /* all in static data: readable for the process's life */
		const void *npi_ptr, *module_ptr; /* the ID pointers as registered */
		union {
			NPI_CLIENT_CHARACTERISTICS client;
			NPI_PROVIDER_CHARACTERISTICS provider;
		} chars;
		NPIID npi_id;
		NPI_MODULEID module_id;
	} chars_copy[NMR_CHARS_COPIES];
	uint32_t chars_next;       /* next entry to reuse when every one is taken */
};

extern struct nmr_front *nmr_front_current;

void nmr_front_init(struct nmr_front *f, const struct nmr_registrar_ops *ops, void *impl, struct sched *s);

/* Malformation bits (enum chars_bad) and digest of characteristics (the
 * digest covers values and pointed-to contents, not pointer values, so it is
 * the same on every build). */
uint32_t nmr_chars_bad(enum nmr_role role, const void *chars);
uint32_t nmr_chars_digest(enum nmr_role role, const void *chars);
uint8_t nmr_front_npi_index(struct nmr_front *f, const NPIID *npi);

/* Callback delivery used by the model: events around the call, module
 * attribution and IRQL on the delivering thread. */
NTSTATUS nmr_deliver_client_attach(struct sched *s, const struct nmr_reg *client, const struct nmr_reg *provider,
				   uint16_t slot, uint32_t binding_handle, uint8_t irql, bool *attach_called,
				   NTSTATUS *attach_status);
NTSTATUS nmr_deliver_provider_attach(struct sched *s, const struct nmr_reg *client, const struct nmr_reg *provider,
				     uint16_t slot, uint32_t binding_handle, PVOID client_binding_context,
				     const void *client_dispatch, PVOID *provider_binding_context,
				     const void **provider_dispatch, bool *outputs_written);
NTSTATUS nmr_deliver_detach(struct sched *s, enum nmr_role side, const struct nmr_reg *self, const struct nmr_reg *peer,
			    uint16_t slot, uint32_t binding_handle, void *binding_context, uint8_t irql);
void nmr_deliver_cleanup(struct sched *s, enum nmr_role side, const struct nmr_reg *self, const struct nmr_reg *peer,
			 uint16_t slot, uint32_t binding_handle, void *binding_context, uint8_t irql);

#endif
