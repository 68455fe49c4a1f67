/* trace.c - the event log: append, hash, feed the observer. Names of the
 * enums events carry are in names.c, rendering in trace_render.c. */
#include "trace/trace.h"

#include <stdio.h>

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

/* Each field read once at its own width. The caller has just stored the
 * fields one by one (sched_emit writes step, thread and irql right before
 * the call); a load spanning several of those stores cannot be served from
 * the store buffer and stalls until they reach the cache, and compilers
 * merge adjacent field loads into such wide loads. volatile keeps the loads
 * apart (it changes no value: the hash is the same with or without it). */
static inline uint64_t ld8(const uint8_t *p)
{
	return *(const volatile uint8_t *)p;
}

static inline uint64_t ld16(const uint16_t *p)
{
	return *(const volatile uint16_t *)p;
}

static inline uint64_t ld32(const uint32_t *p)
{
	return *(const volatile uint32_t *)p;
}

void trace_emit(struct trace *t, const struct event *e)
{
	/* The event's 256 bits of fields as four words (never the struct's
	 * bytes: padding, byte order). The packing is part of the trace format:
	 * hashes are stored in trace files. */
	uint64_t w0 = ld32(&e->step) | ld8(&e->kind) << 32 | ld8(&e->thread) << 40 | ld8(&e->irql) << 48 |
		      ld8(&e->what) << 56;
	uint64_t w1 = ld8(&e->module) | ld8(&e->peer) << 8 | ld16(&e->binding) << 16 | ld32(&e->handle) << 32;
	uint64_t w2 = ld32(&e->reg) | ld32((const uint32_t *)&e->status) << 32; /* int32_t may be read as uint32_t */
	uint64_t w3 = ld32(&e->arg) | ld32(&e->aux) << 32;
	uint64_t h = t->hash;
	h = hash_word(h, w0);
	h = hash_word(h, w1);
	h = hash_word(h, w2);
	h = hash_word(h, w3);
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

