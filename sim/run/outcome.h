/* outcome.h - the visible outcome of a run, per module: what a driver team
 * would see from the outside (advisory M23, freedoms.c).
 *
 * Per hosted driver: the status its DriverEntry returned and whether its
 * Unload was called and returned. Per client/provider module pair: whether
 * an attach was offered, and what each side answered (bound, or refused by
 * the client's or the provider's own decision). A refusal the registrar
 * caused (NmrClientAttachProvider failing before the provider's callback ran:
 * a deregistration under way, an F6 fault) is the registrar's, not a module's
 * answer, and pairs never offered are not compared: when an attach comes is
 * the registrar's freedom.
 *
 * Tracked from the event stream by an observer the run installs only when
 * asked (run_options.outcome), so plain runs pay nothing.
 */
#ifndef NMRSIM_OUTCOME_H
#define NMRSIM_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "trace/trace.h"

enum outcome_unload { UNLOAD_NOT_CALLED = 0, UNLOAD_RUNNING, UNLOAD_RETURNED };

/* Pair bits (client c, provider p). */
enum {
	PAIR_OFFERED = 1u << 0,          /* the client's attach callback was called */
	PAIR_BOUND = 1u << 1,            /* ... and returned SUCCESS (both sides attached) */
	PAIR_REFUSED_CLIENT = 1u << 2,   /* the client's callback declined on its own */
	PAIR_REFUSED_PROVIDER = 1u << 3, /* the provider's callback returned a failure */
	PAIR_PROVIDER_ANSWERED = 1u << 4,/* bookkeeping: the provider's callback returned in this attach */
};
#define PAIR_ANSWERS (PAIR_BOUND | PAIR_REFUSED_CLIENT | PAIR_REFUSED_PROVIDER)

struct run_outcome {
	uint8_t nmodules;
	bool entry_ran[SCN_MODULES_MAX];          /* DriverEntry returned */
	int32_t entry_status[SCN_MODULES_MAX];    /* ... with this status */
	uint8_t unload[SCN_MODULES_MAX];          /* enum outcome_unload: the driver's own Unload routine */
	uint8_t pair[SCN_MODULES_MAX][SCN_MODULES_MAX]; /* [client][provider]: PAIR_* bits */
};

void outcome_init(struct run_outcome *o, uint32_t nmodules);
/* Feed one event (the run's observer chain). */
void outcome_on_event(struct run_outcome *o, const struct event *e);

/* The first difference between two outcomes: the module it concerns and a
 * one-line description of both sides ("DriverEntry returned STATUS_SUCCESS
 * | STATUS_NOINTERFACE"); false when they agree. names: module names. */
bool outcome_differs(const struct run_outcome *a, const struct run_outcome *b, const char *const *names,
		     uint8_t *module, char *what_a, char *what_b, size_t cap);

#endif
