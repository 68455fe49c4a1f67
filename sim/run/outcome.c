/* outcome.c - a run's visible outcome per module (outcome.h), and the first
 * difference between two of them. */
#include "run/outcome.h"

#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "trace/names.h"

#define ST_SUCCESS 0

void outcome_init(struct run_outcome *o, uint32_t nmodules)
{
	memset(o, 0, sizeof *o);
	SIM_ASSERT_LE(nmodules, SCN_MODULES_MAX, "an outcome has a slot per module");
	o->nmodules = (uint8_t)nmodules;
}

static bool failed_driver(const struct run_outcome *o, uint8_t m)
{
	return o->entry_ran[m] && o->entry_status[m] < ST_SUCCESS;
}

void outcome_on_event(struct run_outcome *o, const struct event *e)
{
	uint8_t m = e->module, p = e->peer;
	if (m >= o->nmodules)
		return;
	switch (e->kind) {
	case EV_LOAD_EXIT:
		o->entry_ran[m] = true;
		o->entry_status[m] = e->status;
		break;
	case EV_UNLOAD_ENTER:
		/* A failed DriverEntry is framed by unload events without its
		 * Unload routine running: not an Unload. */
		if (!failed_driver(o, m))
			o->unload[m] = UNLOAD_RUNNING;
		break;
	case EV_UNLOAD_EXIT:
		if (o->unload[m] == UNLOAD_RUNNING)
			o->unload[m] = UNLOAD_RETURNED;
		break;
	case EV_CB_ENTER:
		if (e->what == CB_CLIENT_ATTACH && p < o->nmodules) {
			o->pair[m][p] |= PAIR_OFFERED;
			o->pair[m][p] &= (uint8_t)~PAIR_PROVIDER_ANSWERED;
		}
		break;
	case EV_CB_EXIT:
		if (p >= o->nmodules)
			break;
		if (e->what == CB_PROVIDER_ATTACH) {
			o->pair[p][m] |= PAIR_PROVIDER_ANSWERED;
			if (e->status != ST_SUCCESS)
				o->pair[p][m] |= PAIR_REFUSED_PROVIDER;
		} else if (e->what == CB_CLIENT_ATTACH) {
			uint8_t *bits = &o->pair[m][p];
			if (e->status == ST_SUCCESS)
				*bits |= PAIR_BOUND;
			else if (!e->arg || ((*bits & PAIR_PROVIDER_ANSWERED) && (int32_t)e->aux == ST_SUCCESS))
				*bits |= PAIR_REFUSED_CLIENT; /* declined without asking, or dropped a provider that accepted */
			/* else: the provider refused (marked above), or the registrar
			 * failed NmrClientAttachProvider before asking it */
		}
		break;
	default:
		break;
	}
}

static const char *name_of(const char *const *names, uint8_t m, char buf[8])
{
	if (names && names[m])
		return names[m];
	snprintf(buf, 8, "#%u", (unsigned)m);
	return buf;
}

static void describe_entry(const struct run_outcome *o, uint8_t m, char *out, size_t cap)
{
	char sb[16];
	if (!o->entry_ran[m])
		snprintf(out, cap, "DriverEntry never returned");
	else
		snprintf(out, cap, "DriverEntry returned %s", ntstatus_name(o->entry_status[m], sb));
}

static void describe_unload(uint8_t state, char *out, size_t cap)
{
	static const char *const text[] = { "Unload was not called", "Unload did not return", "Unload returned" };
	snprintf(out, cap, "%s", text[state < 3 ? state : 0]);
}

/* The answers of one pair as the module `m` (client or provider) gave them. */
static void describe_pair(uint8_t bits, bool client, const char *peer, char *out, size_t cap)
{
	uint8_t refused = client ? PAIR_REFUSED_CLIENT : PAIR_REFUSED_PROVIDER;
	const char *verb = client ? "bound to" : "accepted";
	if ((bits & PAIR_BOUND) && (bits & refused))
		snprintf(out, cap, "refused %s once, then %s it", peer, verb);
	else if (bits & PAIR_BOUND)
		snprintf(out, cap, "%s %s", verb, peer);
	else if (bits & refused)
		snprintf(out, cap, "refused the attach %s %s", client ? "to" : "of", peer);
	else
		snprintf(out, cap, "was refused by %s", peer);
}

bool outcome_differs(const struct run_outcome *a, const struct run_outcome *b, const char *const *names,
		     uint8_t *module, char *what_a, char *what_b, size_t cap)
{
	SIM_ASSERT(a->nmodules == b->nmodules, "outcomes of the same scenario are compared");
	for (uint8_t m = 0; m < a->nmodules; m++) {
		if (a->entry_ran[m] != b->entry_ran[m] ||
		    (a->entry_ran[m] && a->entry_status[m] != b->entry_status[m])) {
			*module = m;
			describe_entry(a, m, what_a, cap);
			describe_entry(b, m, what_b, cap);
			return true;
		}
		if (a->unload[m] != b->unload[m]) {
			*module = m;
			describe_unload(a->unload[m], what_a, cap);
			describe_unload(b->unload[m], what_b, cap);
			return true;
		}
	}
	/* Bindings: a set per pair, compared where both runs had an answer from
	 * the modules (an attach never offered, or failed by the registrar, is
	 * the registrar's timing). */
	for (uint8_t c = 0; c < a->nmodules; c++)
		for (uint8_t p = 0; p < a->nmodules; p++) {
			uint8_t x = a->pair[c][p] & PAIR_ANSWERS, y = b->pair[c][p] & PAIR_ANSWERS;
			if (!x || !y || x == y)
				continue;
			bool client = ((x ^ y) & PAIR_REFUSED_CLIENT) || !((x ^ y) & PAIR_REFUSED_PROVIDER);
			char nb[8];
			*module = client ? c : p;
			const char *peer = name_of(names, client ? p : c, nb);
			describe_pair(x, client, peer, what_a, cap);
			describe_pair(y, client, peer, what_b, cap);
			return true;
		}
	return false;
}
