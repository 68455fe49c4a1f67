/* por_log.c - the per-step footprint log of the reduced search (por_log.h). */
#include "sched/por_log.h"

#include <string.h>

#include "core/assert.h"
#include "core/config.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

void por_log_init(struct sched_por *p, struct por_step *steps, uint32_t cap, uint32_t hosted_modules)
{
	SIM_ASSERT(steps != NULL && cap > 0, "a step log has storage");
	p->steps = steps;
	p->cap = cap;
	p->n = 0;
	p->overflow = false;
	p->woken = 0;
	p->hosted = hosted_modules;
	p->drivers = 0;
	p->fine = 0;
	p->exact = NULL;
	p->mem_region = NULL;
	p->keys = NULL;
	p->keys_cap = p->nkeys = 0;
	p->watch_lo = p->watch_hi = 0;
	p->watch_hit = false;
	p->sample = false;
	p->conflicts = 0;
	p->have_last = 0;
	memset(p->ignore, 0, sizeof p->ignore);
}

void por_log_exact(struct sched_por *p, uint32_t *keys, uint32_t cap)
{
	SIM_ASSERT(keys != NULL && cap > 0, "exact keys have storage");
	p->fine |= POR_FINE_EXACT;
	p->keys = keys;
	p->keys_cap = cap;
	p->nkeys = 0;
	/* Step numbers start again at 1: no place of an earlier run may match. */
	memset(p->recent, 0, sizeof p->recent);
}

void por_log_key_new(struct sched_por *p, uint32_t key, bool write, struct por_recent *r)
{
	SIM_ASSERT((key & POR_KEY_WRITE) == 0, "a key leaves the write bit free");
	struct por_step *st = &p->steps[p->n - 1];
	if (p->nkeys == p->keys_cap || st->nkeys == UINT16_MAX) {
		p->overflow = true; /* the run's keys are incomplete: it is not analysed */
		return;
	}
	/* A key evicted from `recent` may be listed twice in a step: the
	 * analysis merges the two. */
	r->key = key;
	r->step = p->n;
	r->at = p->nkeys;
	p->keys[p->nkeys++] = key | (write ? POR_KEY_WRITE : 0u);
	st->nkeys++;
}

void por_log_sample(struct sched_por *p)
{
	static const uint32_t common[] = { POR_KEY(POR_DRVCODE, 0), POR_KEY(POR_NMR, 0), POR_KEY(POR_IDS, 0),
					   POR_KEY(POR_IDS, 1) };
	p->sample = true;
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
		uint32_t b = por_bucket(common[i]);
		p->ignore[b >> 6] |= 1ull << (b & 63);
	}
}

/* Threads whose latest closed step meets step st (st's own thread too). */
static uint32_t conflicts_of(const struct sched_por *p, const struct por_step *st)
{
	uint32_t m = 1u << st->thread;
	bool wild = st->flags & POR_WILD;
	uint64_t fp[POR_WORDS];
	for (int w = 0; w < POR_WORDS; w++)
		fp[w] = st->fp[w] & ~p->ignore[w];
	for (uint32_t rest = p->have_last & ~m; rest; rest &= rest - 1) {
		unsigned t = (unsigned)__builtin_ctz(rest);
		bool meet = wild;
		for (int w = 0; w < POR_WORDS && !meet; w++)
			meet = (fp[w] & p->last_fp[t][w]) != 0;
		if (meet)
			m |= 1u << t;
	}
	return m;
}

uint32_t por_log_conflicts(struct sched_por *p)
{
	uint32_t m = p->conflicts;
	if (p->n)
		m |= conflicts_of(p, &p->steps[p->n - 1]);
	p->conflicts = 0;
	return m;
}

/* Closing step st (a pick began the next): keep its footprint as its
 * thread's latest; a pick without a choice hands its conflicts on. */
static void sample_close(struct sched_por *p, const struct por_step *st, uint32_t next_pos)
{
	if (next_pos == POR_NO_CHOICE)
		p->conflicts |= conflicts_of(p, st);
	_Static_assert(sizeof p->have_last * 8 >= 32, "a thread bit per id");
	if (st->thread >= 32)
		return;
	for (int w = 0; w < POR_WORDS; w++)
		p->last_fp[st->thread][w] = (st->flags & POR_WILD) ? ~0ull : st->fp[w] & ~p->ignore[w];
	p->have_last |= 1u << st->thread;
}

void por_log_begin(struct sched_por *p, const uint8_t *ids, uint32_t n, bool cur_first, uint8_t next,
		   uint8_t module, uint32_t pos, uint32_t preemptions)
{
	if (p->n == p->cap) {
		p->overflow = true;
		return; /* the last step grows instead: its footprint stays a superset */
	}
	SIM_ASSERT(n >= 1, "a pick has a candidate");
	if (p->sample && p->n)
		sample_close(p, &p->steps[p->n - 1], pos);
	struct por_step *st = &p->steps[p->n];
	uint8_t prev = p->n ? p->steps[p->n - 1].thread : 0xffu;
	memset(st, 0, sizeof(*st));
	if (p->exact)
		memset(&p->exact[p->n], 0, sizeof(p->exact[p->n]));
	for (uint32_t i = 0; i < n; i++)
		st->options |= 1u << ids[i];
	st->thread = next;
	st->first = cur_first ? ids[0] : 0xffu;
	st->flags = prev != next ? POR_SWITCH : 0;
	st->pos = pos;
	st->preemptions = (uint8_t)(preemptions < 255 ? preemptions : 255);
	st->key0 = p->nkeys;
	p->n++;
	/* The first step after a wake or a spawn reads what the waker wrote. */
	if (p->woken >> next & 1u) {
		p->woken &= ~(1u << next);
		por_log_touch(p, POR_KEY(POR_THREAD, next));
	}
	/* Resuming returns into the code of the module it runs for: a
	 * driver's reads whether it is still loaded (K06); a scripted
	 * module's may change its state without an event of its own. */
	if (module != 0xffu)
		por_log_module(p, module, POR_MOD_RUN);
}

/* The registrar object a handle names (its slot, tag `tag`), or 0: none
 * (a handle a module made up or reused names no slot we can trust). */
static uint32_t nmr_slot_key(uint32_t handle, bool binding)
{
	uint32_t tag = handle >> 28, slot = handle & 0xffu;
	if (binding)
		return tag == POR_NMR_TAG_BINDING && slot < NMR_BINDINGS_MAX ? POR_NMR_BINDING(slot) : 0;
	return tag != 0 && tag < POR_NMR_TAG_BINDING && slot < NMR_REGS_MAX ? POR_NMR_REG(slot) : 0;
}

/* Every registration key read, with the registry. The buckets of all of
 * them are a constant of the process (keys are numbers, never addresses):
 * computed once, OR-ed in per event. */
static void nmr_read_regs(struct sched_por *p)
{
	static uint64_t all[POR_WORDS], exact[POR_EXACT_WORDS];
	static bool ready;
	if (!ready) {
		for (uint32_t i = 0; i < NMR_REGS_MAX; i++) {
			uint32_t b = por_bucket(POR_NMR_REG(i));
			all[b >> 6] |= 1ull << (b & 63);
			b = por_exact_bucket(POR_NMR_REG(i));
			exact[b >> 6] |= 1ull << (b & 63);
		}
		ready = true;
	}
	por_log_mark(p, POR_NMR_ANY, false);
	if (p->n == 0)
		return;
	struct por_step *st = &p->steps[p->n - 1];
	for (int w = 0; w < POR_WORDS; w++)
		st->fp[w] |= all[w];
	if (p->exact)
		for (int w = 0; w < POR_EXACT_WORDS; w++)
			p->exact[p->n - 1].fp[w] |= exact[w];
	if (p->fine & POR_FINE_EXACT)
		for (uint32_t i = 0; i < NMR_REGS_MAX; i++)
			por_log_key(p, POR_NMR_REG(i), false);
}

/* With POR_FINE_NMR (por_log.h): what an NMR event meets in the registrar
 * and in the oracle's view of it (the checks named judge that state).
 *   - a dispatch call reads its binding (M18, M19) and its callee's load
 *     state (the call runs the callee's code, or not when it is gone);
 *   - a Complete writes its binding (M15, M16, M19);
 *   - a deregistration writes its registration (M04-M07, R11, R13; the
 *     bindings it detaches the model touches, nmr_binding.c);
 *   - Wait writes its registration (its slot reusable after it; R08 reads
 *     the state of its bindings);
 *   - a completed deregistration writes its registration (R04 reads the
 *     state of its bindings);
 *   - a detach or cleanup callback writes its binding and reads both
 *     registrations (R10, R05-R07, R12), and so does a Complete (the
 *     model reads them, nmr_model.c): what R04 and R08 read of a binding
 *     changes only in those, so they meet every Wait and completion of
 *     its registrations (a call changes none of it);
 *   - an Unload returning reads every registration (M20); loads and
 *     unloads are otherwise their module's (its load state);
 *   - a choice is taken inside a step whose other accesses say what it
 *     decides.
 * Everything else writes the registry: registering and attaching (slots,
 * handles, the NPIs' lists, R01-R03 over the bindings of a pair, the
 * oracle's tables), a characteristics change, a handle naming no slot. */
static void nmr_event(struct sched_por *p, const struct event *e)
{
	uint32_t key = 0;
	switch (e->kind) {
	case EV_CALL_ENTER:
	case EV_CALL_EXIT:
		key = e->binding < NMR_BINDINGS_MAX ? POR_NMR_BINDING(e->binding) : nmr_slot_key(e->handle, true);
		if (key) {
			por_log_nmr_object(p, key, false);
			por_log_module(p, e->peer, POR_MOD_READ); /* host_gone: its image state */
			return;
		}
		break;
	case EV_CHOICE:
		por_log_mark(p, POR_NMR_ANY, false);
		return;
	case EV_API_ENTER:
	case EV_API_EXIT:
		if (e->what == API_CLIENT_DETACH_COMPLETE || e->what == API_PROVIDER_DETACH_COMPLETE)
			key = nmr_slot_key(e->handle, true);
		else if (e->what == API_DEREGISTER_CLIENT || e->what == API_DEREGISTER_PROVIDER)
			key = nmr_slot_key(e->handle, false);
		else if (e->what == API_WAIT_CLIENT || e->what == API_WAIT_PROVIDER)
			key = nmr_slot_key(e->handle, false);
		if (key) {
			por_log_nmr_object(p, key, true);
			return;
		}
		break;
	case EV_DEREG_COMPLETE:
		key = nmr_slot_key(e->reg, false);
		if (key) {
			por_log_nmr_object(p, key, true);
			return;
		}
		break;
	case EV_CB_ENTER:
	case EV_CB_EXIT: {
		uint32_t self = nmr_slot_key(e->reg, false), peer = nmr_slot_key(e->peer_reg, false);
		if (e->what >= CB_CLIENT_DETACH && e->binding < NMR_BINDINGS_MAX && self && peer) {
			por_log_nmr_object(p, POR_NMR_BINDING(e->binding), true);
			por_log_mark(p, self, false);
			por_log_mark(p, peer, false);
			return;
		}
		break;
	}
	case EV_LOAD_ENTER:
	case EV_LOAD_EXIT:
	case EV_UNLOAD_ENTER:
		return;
	case EV_UNLOAD_EXIT:
		nmr_read_regs(p);
		return;
	default:
		break;
	}
	por_log_mark(p, POR_NMR_ANY, true);
}

void por_log_event(struct sched_por *p, const struct event *e)
{
	switch (e->kind) {
	case EV_API_ENTER:
	case EV_API_EXIT:
	case EV_CB_ENTER:
	case EV_CB_EXIT:
	case EV_CALL_ENTER:
	case EV_CALL_EXIT:
	case EV_DEREG_COMPLETE:
	case EV_CHOICE:
	case EV_MUTATE:
		/* The registrar's state and the oracle's view of it are the
		 * NMR key's (the load and unload events write it too); a
		 * driver's module state is only run into. A scripted module's
		 * state changes in its callbacks and calls. */
		if (p->fine & POR_FINE_NMR)
			nmr_event(p, e);
		else
			por_log_touch(p, POR_NMR_ANY);
		por_log_module(p, e->module, POR_MOD_RUN);
		return;
	case EV_LOAD_ENTER:
	case EV_LOAD_EXIT:
	case EV_UNLOAD_ENTER:
	case EV_UNLOAD_EXIT:
		if (p->fine & POR_FINE_NMR)
			nmr_event(p, e);
		else
			por_log_touch(p, POR_NMR_ANY);
		break;
	case EV_KERNEL:
	case EV_DPRINT:
		/* A driver's kernel call reads whether it is gone (K06); the
		 * routines that change its accounting (pool, handles) write
		 * that (kernel_module_acct). An `unload` that did nothing read
		 * the load state. */
		por_log_module(p, e->module, e->kind == EV_KERNEL && e->what == KE_UnloadIgnored ? POR_MOD_READ : POR_MOD_RUN);
		return;
	case EV_OP:
		/* An op on a module reads the module's state before any event
		 * of its own: a call skipped for want of a usable binding emits
		 * none, yet another thread's attach or detach decides it. */
		if (!scn_op_takes_module((enum scn_op_kind)e->what))
			return;
		break;
	default:
		/* Scheduling events name a module without touching its state;
		 * code of a hosted driver still ran. */
		if (e->module < 32 && (p->hosted >> e->module & 1u))
			por_log_touch(p, POR_KEY(POR_DRVCODE, 0));
		return;
	}
	if (e->module != EV_NONE8)
		por_log_module(p, e->module, POR_MOD_WRITE);
}
