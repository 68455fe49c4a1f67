/* scripted.h - built-in modules whose behaviour the scenario gives. They are
 * ordinary NMR clients and providers: they register real WDK
 * characteristics and reach the registrar only through the Nmr* entry
 * points, exactly as a user's driver does. */
#ifndef NMRSIM_SCRIPTED_H
#define NMRSIM_SCRIPTED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "netioddk.h"
#include "nmr/nmr.h"
#include "scenario/scenario.h"
#include "sched/sched.h"

#define SCRIPTED_BINDINGS_MAX (NMR_BINDINGS_MAX * 2) /* binding contexts handed out per run */
#define SCRIPTED_WORK_MAX 32                         /* module work items queued at once */

struct scripted_module;

/* A binding context (either side). Never reused within a run, so a buggy
 * module's late use is observable instead of undefined. */
struct scripted_binding {
	struct scripted_module *owner; /* the module holding this context */
	HANDLE binding;                /* NMR binding handle */
	void *peer_context;            /* the other side's binding context */
	const void *peer_dispatch;     /* the other side's dispatch table */
	bool in_use;                   /* allocated and not freed */
	bool attached;                 /* attach finished */
	bool detaching;                /* detach callback entered */
	bool detach_done;              /* detach returned SUCCESS or Complete called */
	bool pending;                  /* detach returned PENDING, Complete owed */
	bool cleaned;                  /* cleanup callback ran */
	uint8_t inflight;              /* dispatch calls in progress */
	uint8_t peer_module;           /* the scripted module on the other side, EV_NONE8 if not one */
};

struct scripted_module {
	struct scripted_run *run;        /* back pointer */
	uint8_t index;                   /* scenario module index */
	const struct scn_module *cfg;    /* behaviour */
	union {
		NPI_CLIENT_CHARACTERISTICS client;
		NPI_PROVIDER_CHARACTERISTICS provider;
	} chars;                         /* registered with NMR (must stay unchanged: M03) */
	NPI_MODULEID module_id;          /* what chars' ModuleId points to */
	HANDLE handle;                   /* latest registration handle */
	HANDLE prev_handle;              /* the one before (stale) */
	bool registered;                 /* Register succeeded, Wait not returned */
	bool registering;                /* inside NmrRegister* (on some thread) */
	bool deregistered;               /* Deregister called on handle */
	bool unloaded;                   /* Unload ran */
	uint32_t allocations;            /* binding contexts not freed (M21) */
	struct scripted_binding *bindings[SCRIPTED_BINDINGS_MAX]; /* every context it had, oldest first */
	uint32_t nbindings;
};

enum scripted_work_kind { SWORK_COMPLETE = 0, SWORK_COMPLETE_TWICE, SWORK_WAKE };

struct scripted_work {
	uint8_t kind;                    /* enum scripted_work_kind */
	struct scripted_binding *binding;/* SWORK_COMPLETE* */
	struct sim_thread *thread;       /* SWORK_WAKE */
};

struct scripted_run {
	struct sched *sched;
	const struct scenario *scn;
	struct scripted_module modules[SCN_MODULES_MAX];
	struct scripted_binding pool[SCRIPTED_BINDINGS_MAX];
	uint32_t pool_used;
	struct scripted_work work[SCRIPTED_WORK_MAX]; /* the system worker's FIFO */
	uint32_t work_head, work_len;
	struct sim_thread *sys_worker;
	uint8_t op_cursor[SCN_THREADS_MAX];          /* next op index per scripted thread */
};

void scripted_init(struct scripted_run *r, struct sched *s, const struct scenario *scn);
/* Whether chars are a scripted module's characteristics (with their IDs),
 * engine memory readable the whole run (nmr_front.engine_chars; run = the
 * scripted_run). scripted_ids.c, with the NPIs a scenario names. */
extern const GUID scripted_npi_guids[SCN_NPIS_MAX];
bool scripted_owns_chars(const void *run, enum nmr_role role, const void *chars);
/* Body of scripted thread k (arg = (void *)(uintptr_t)k). */
void scripted_thread(struct sched *s, void *arg);
/* Body of the system worker (arg = the scripted_run). */
void scripted_sys_worker(struct sched *s, void *arg);
/* Body of a drain thread: unload one module (arg = the scripted_module). */
void scripted_drain_thread(struct sched *s, void *arg);
/* Run one module's Unload on the running thread. */
void scripted_unload(struct scripted_module *m);

extern struct scripted_run *scripted_current; /* the run whose threads are executing */

#endif
