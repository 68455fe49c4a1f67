/* trace.c - the event log: append, hash, feed the observer. Names of the
 * enums events carry are in names.c, rendering in trace_render.c. */
#include "trace/trace.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "scenario/scenario.h"

#define TRACE_HASH_SEED 0xcbf29ce484222325ull /* the hash of an empty trace */
#define TRACE_HASH_MUL 0xbf58476d1ce4e5b9ull  /* splitmix64's first multiplier (odd) */

void trace_init(struct trace *t, struct event *storage, uint32_t cap, trace_observer_fn observe, void *ctx)
{
	t->events = storage;
	t->events_cap = storage ? cap : 0;
	t->count = 0;
	t->hash = TRACE_HASH_SEED;
	t->observe = observe;
	t->observe_ctx = ctx;
	t->messages = NULL;
	t->notes = NULL;
}

uint32_t trace_message_add(struct trace *t, const char *text)
{
	struct trace_messages *m = t->messages;
	if (!m)
		return UINT32_MAX;
	uint32_t index = m->count;
	if (index < m->cap)
		snprintf(m->text[index], TRACE_MESSAGE_BYTES, "%s", text);
	if (m->count != UINT32_MAX)
		m->count++;
	return index;
}

const char *trace_message(const struct trace *t, uint32_t index)
{
	const struct trace_messages *m = t->messages;
	if (!m || index >= m->count || index >= m->cap)
		return NULL;
	return m->text[index];
}

/* One step of the hash: h ^ w, times an odd constant, then the high half
 * folded into the low half. For a fixed w it is a bijection of h (odd
 * multiply and xorshift are both invertible), and for a fixed h an injection
 * of w, so two traces of the same length that differ in one event always
 * hash differently. Pure 64-bit integer arithmetic on values built from the
 * fields: the same on every compiler, optimisation level and byte order. */
static inline uint64_t hash_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * TRACE_HASH_MUL;
	return h ^ (h >> 32);
}

/* Hash word i of an event (0-3): the fields in the words' bit order (the
 * layout is asserted below, since on a little-endian machine the words are
 * the event's first 32 bytes). Built from the fields, not read as four
 * 64-bit loads: the callers have just stored the event field by field, and
 * a load spanning several smaller stores waits for them to reach the cache
 * (no store-to-load forwarding); perf put 37% of trace_emit's samples on
 * that wait, trace_emit 10% of an exhausted --por search's. Pure 64-bit
 * integer arithmetic on the field values: the same on every compiler,
 * optimisation level and byte order. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
_Static_assert(offsetof(struct event, step) == 0 && offsetof(struct event, kind) == 4 &&
		       offsetof(struct event, thread) == 5 && offsetof(struct event, irql) == 6 &&
		       offsetof(struct event, what) == 7 && offsetof(struct event, module) == 8 &&
		       offsetof(struct event, peer) == 9 && offsetof(struct event, binding) == 10 &&
		       offsetof(struct event, handle) == 12 && offsetof(struct event, reg) == 16 &&
		       offsetof(struct event, status) == 20 && offsetof(struct event, arg) == 24 &&
		       offsetof(struct event, aux) == 28,
	       "the hashed fields fill the event's first four words in the hash's bit order");
#endif
/* A field's value as the compiler may not merge with its neighbours' loads
 * (it would rebuild the 64-bit load that waits). */
static inline uint64_t field(uint64_t v)
{
	__asm__("" : "+r"(v));
	return v;
}
static inline uint64_t hash_word_of(const struct event *e, unsigned i)
{
	switch (i) {
	case 0: return field(e->step) | field(e->kind) << 32 | field(e->thread) << 40 | field(e->irql) << 48 |
		       field(e->what) << 56;
	case 1: return field(e->module) | field(e->peer) << 8 | field(e->binding) << 16 | field(e->handle) << 32;
	case 2: return field(e->reg) | field((uint32_t)e->status) << 32;
	default: return field(e->arg) | field(e->aux) << 32;
	}
}

void trace_emit(struct trace *t, const struct event *e)
{
	/* The event's 256 bits of fields as four words (see the top of
	 * trace.h). The packing is part of the trace format: hashes are
	 * stored in trace files. */
	uint64_t h = t->hash;
	h = hash_word(h, hash_word_of(e, 0));
	h = hash_word(h, hash_word_of(e, 1));
	h = hash_word(h, hash_word_of(e, 2));
	h = hash_word(h, hash_word_of(e, 3));
	t->hash = h;

	if (t->count < t->events_cap) {
		t->events[t->count] = *e;
		if (t->notes)
			t->notes[t->count] = (struct trace_note){ 0 };
	}
	if (t->count != UINT32_MAX)
		t->count++;

	if (t->observe)
		t->observe(t->observe_ctx, e);
}

const char *trace_thread_name(const struct scenario *s, unsigned thread, char buf[32])
{
	if (!s) {
		snprintf(buf, 32, "thread-%u", thread);
		return buf;
	}
	unsigned scripted = s->nthreads, workers = s->workers;
	if (thread == SIM_THREAD_DPC) {
		snprintf(buf, 32, "dpc");
	} else if (thread == SIM_THREAD_IO_WORKER) {
		snprintf(buf, 32, "io-worker");
	} else if (thread >= SIM_THREAD_IO_WORKER2 && thread < SIM_THREAD_IO_WORKER2 + KERNEL_IO_WORKERS_MAX - 1) {
		snprintf(buf, 32, "io-worker-%u", thread - SIM_THREAD_IO_WORKER2 + 2u);
	} else if (thread >= SIM_THREAD_SYSTEM_FIRST && thread < SIM_THREADS_MAX) {
		snprintf(buf, 32, "system-%u", thread - SIM_THREAD_SYSTEM_FIRST);
	} else if (thread < scripted && thread < SCN_THREADS_MAX) {
		const char *name = s->thread_names[thread];
		size_t len = 0;
		while (len < SCN_NAME_MAX && name[len])
			len++;
		if (len)
			snprintf(buf, 32, "%.*s", (int)len, name);
		else
			snprintf(buf, 32, "T%u", thread);
	} else if (thread >= scripted && thread < scripted + workers) {
		snprintf(buf, 32, "nmr-worker-%u", thread - scripted);
	} else if (thread == scripted + workers) {
		snprintf(buf, 32, "sys-worker");
	} else {
		/* The drain phase's threads, one per driver it unloads. */
		snprintf(buf, 32, "unload-%u", thread - scripted - workers - 1);
	}
	return buf;
}

bool trace_unload_after_failed_load(const struct trace *t, const struct event *e)
{
	uint32_t kept = t->count < t->events_cap ? t->count : t->events_cap;
	if (e < t->events || e >= t->events + kept)
		return false;
	for (const struct event *p = e; p-- > t->events;) {
		if (p->module != e->module || p->kind == EV_UNLOAD_ENTER)
			continue;
		if (p->kind == EV_UNLOAD_EXIT || p->kind == EV_LOAD_ENTER)
			return false;
		if (p->kind == EV_LOAD_EXIT)
			return p->status < 0;
	}
	return false;
}
