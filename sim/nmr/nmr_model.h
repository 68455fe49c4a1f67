/* nmr_model.h - what the three files of the registrar model share:
 *   nmr_model.c    handles, registrations, the registrar operations
 *   nmr_binding.c  the binding state machines: attach, detach, cleanup
 *   nmr_work.c     deferred deliveries, the NMR workers, hang descriptions
 * Other layers see the model through nmr.h (struct nmr_model, nmr_model_ops). */
#ifndef NMRSIM_NMR_MODEL_H
#define NMRSIM_NMR_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/assert.h"
#include "nmr/nmr.h"
#include "scenario/scenario.h"

/* A planted bug (m->mutant) breaks the model's consistency on purpose: an
 * invariant a planted bug may break is checked in the plain model only. */
#define NMR_MODEL_ASSERT(m, cond, name) ((m)->mutant != REGISTRAR_MODEL ? (void)0 : SIM_ASSERT(cond, name))

static inline uint16_t nmr_model_binding_slot(const struct nmr_model *m, const struct nmr_binding *b)
{
	SIM_ASSERT(b >= m->bindings && b < m->bindings + NMR_BINDINGS_MAX, "a binding is one of the model's slots");
	return (uint16_t)(b - m->bindings);
}

static inline uint16_t nmr_model_reg_slot(const struct nmr_model *m, const struct nmr_reg *r)
{
	SIM_ASSERT(r >= m->regs && r < m->regs + NMR_REGS_MAX, "a registration is one of the model's slots");
	return (uint16_t)(r - m->regs);
}

static inline bool nmr_model_can_defer(const struct nmr_model *m)
{
	return m->nworkers > 0;
}

/* The caller runs above DISPATCH (its own bug, M05): callbacks must not
 * inherit that IRQL, so they go to a worker when there is one. */
static inline bool nmr_model_caller_above_dispatch(const struct nmr_model *m)
{
	return m->sched->current && m->sched->current->irql > DISPATCH_LEVEL;
}

static inline bool nmr_model_reg_offerable(const struct nmr_model *m, const struct nmr_reg *r)
{
	if (r->state == REG_ACTIVE)
		return true;
	if (m->mutant == MUTANT_ATTACH_AFTER_DEREG && r->state == REG_DEREGISTERING)
		return true;
	if (m->mutant == MUTANT_LATE_CALLBACK && r->state == REG_WAITED)
		return true;
	return false;
}

static inline bool nmr_model_side_detached(const struct nmr_binding *b, int side)
{
	return b->side[side] == SIDE_DETACHED || b->side[side] == SIDE_CLEANED;
}

/* The reduced search's registrar keys (sched/por_log.h, POR_FINE_NMR): the
 * running step meets binding b or registration slot `slot` (reads the
 * registry, writes the object), or the registry as a whole. Without the finer keys both write the one NMR key. */
static inline void nmr_model_touch_binding(struct nmr_model *m, const struct nmr_binding *b)
{
	if (m->sched->por)
		por_log_nmr_object(m->sched->por, POR_NMR_BINDING(nmr_model_binding_slot(m, b)), true);
}
static inline void nmr_model_touch_reg(struct nmr_model *m, uint8_t slot)
{
	if (m->sched->por)
		por_log_nmr_object(m->sched->por, POR_NMR_REG(slot), true);
}
static inline void nmr_model_touch_registry(struct nmr_model *m)
{
	sched_touch(m->sched, POR_NMR_ANY);
}
/* Whether the finer keys are on: the model touches what its events do not
 * say (a binding detached or freed without an event of its own yet). */
static inline bool nmr_model_fine(const struct nmr_model *m)
{
	return m->sched->por && (m->sched->por->fine & POR_FINE_NMR);
}

/* The IRQL a detach or cleanup callback is delivered at (F3), with the log
 * position of the F3 choice that picked it when the reduced search may
 * skip the other option (nmr_model.c: options that give the same run):
 * the level in the low 8 bits, position + 1 above (0: nothing to mark). */
typedef uint32_t nmr_cb_irql;
static inline uint8_t nmr_cb_level(nmr_cb_irql x)
{
	return (uint8_t)(x & 0xffu);
}

/* Around a delivery at an F3 IRQL: whether the callback did anything that
 * could see its IRQL (nmr_model.c). */
struct nmr_quiet {
	uint32_t events, entries, steps, choices; /* counts before */
	uint32_t seen;                            /* the thread's irql_seen before */
	uint8_t thread;                           /* the thread the callback runs on (EV_NONE8: none) */
	uint32_t pos;                             /* the F3 choice to mark, UINT32_MAX: none */
	bool same;                                /* it was still marked before this delivery */
};
struct nmr_quiet nmr_model_watch(struct nmr_model *m, nmr_cb_irql irql);
void nmr_model_watched(struct nmr_model *m, const struct nmr_quiet *q);

/* nmr_model.c */
uint32_t nmr_model_new_handle(struct nmr_model *m, uint32_t tag, uint32_t slot);
void nmr_model_emit_choice(struct nmr_model *m, enum choice_kind kind, uint32_t option);
uint32_t nmr_model_take(struct nmr_model *m, enum choice_kind kind, uint32_t n);
nmr_cb_irql nmr_model_callback_irql(struct nmr_model *m);
/* r's deregistration completes once its last binding is gone. */
void nmr_model_reg_check_done(struct nmr_model *m, struct nmr_reg *r);

/* nmr_binding.c */
void nmr_model_offer_attaches(struct nmr_model *m, struct nmr_reg *r);
void nmr_model_detach_all(struct nmr_model *m, struct nmr_reg *r);
void nmr_model_detach_side(struct nmr_model *m, struct nmr_binding *b, enum nmr_role side, nmr_cb_irql irql);
void nmr_model_maybe_cleanup(struct nmr_model *m, struct nmr_binding *b);
void nmr_model_cleanup_binding(struct nmr_model *m, struct nmr_binding *b, nmr_cb_irql irql);

/* nmr_work.c */
void nmr_model_queue_work(struct nmr_model *m, struct nmr_work w);

#endif
