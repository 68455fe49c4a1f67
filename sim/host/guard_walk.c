/* guard_walk.c - the guarded copy of a dispatch table whose shape nobody
 * declared (see guard.h): the table's driver object is walked word by word.
 *
 * Why the copy is faithful: only words that point into hosted driver code
 * (function pointers) and words that point to a driver's constant object
 * holding such functions (nested tables) change; every other word, and
 * every trailing byte, is the original's. Constant objects cannot change
 * under the copy; a writable top-level table may, so a trampoline calls
 * what the original slot holds at the call (guard.c). A pointer to writable
 * driver data (a context, a lock) is never followed: the peer must see the
 * object itself. What cannot be copied so is refused, never half-copied. */
#include "host/guard.h"

#include <string.h>

#include "core/assert.h"
#include "host/drvsyms.h"

/* Driver objects may sit between sanitizer redzones, and an extent from the
 * symbol table may span one: read words unchecked (the engine reads, the
 * driver is not at fault) and without a memcpy ASan would intercept. */
__attribute__((no_sanitize("address"), no_sanitize("undefined")))
static uintptr_t word_at(const unsigned char *p)
{
	return *(const volatile uintptr_t *)(const void *)p;
}

__attribute__((no_sanitize("address"), no_sanitize("undefined")))
static unsigned char byte_at(const unsigned char *p)
{
	return *(const volatile unsigned char *)p;
}

struct walk {
	struct guard *g;
	uint16_t index;                 /* the guard_table being handed out */
	const unsigned char *tramps;    /* trampoline 0 */
	uint32_t table_start;           /* g->copy_used when this table began */
	uint16_t ordinal;               /* functions of this table so far */
	enum guard_refusal refusal;     /* 0 while the walk can go on */
};

/* Whether [p, p+n) holds a word pointing into driver code (an object too
 * large to copy, or nested too deep: refused only if it matters). */
static bool holds_code(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + sizeof(void *) <= n; i += sizeof(void *))
		if (drvsyms_classify((const void *)word_at(p + i)) == DRVSYMS_CODE)
			return true;
	return false;
}

static void *copy_object(struct walk *w, const unsigned char *p, size_t n, unsigned nest);

/* The word a nested constant object's pointer becomes: its copy, or the
 * pointer itself when the object holds no function. */
static uintptr_t nested(struct walk *w, uintptr_t v, unsigned nest)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t ext = drvsyms_extent(p);
	if (ext < sizeof(void *) || v % sizeof(void *))
		return v; /* an anonymous constant, a string, a byte in a GUID */
	if (nest >= GUARD_NEST_MAX || ext > GUARD_OBJECT_BYTES) {
		if (holds_code(p, ext < 4096 ? ext : 4096))
			w->refusal = GUARD_REFUSED_SIZE;
		return v;
	}
	void *sub = copy_object(w, p, ext, nest + 1);
	return sub ? (uintptr_t)sub : v;
}

/* A copy of the object [p, p+n) in the run's copy area, its functions
 * replaced by trampolines and its nested tables by their copies; NULL when
 * it holds no function (nothing kept) or on refusal (w->refusal). */
static void *copy_object(struct walk *w, const unsigned char *p, size_t n, unsigned nest)
{
	struct guard *g = w->g;
	uint32_t used0 = g->copy_used, fns0 = g->nfns;
	size_t bytes = (n + 15u) & ~(size_t)15u;
	if (bytes > GUARD_COPY_BYTES - g->copy_used) {
		w->refusal = GUARD_REFUSED_CAPACITY;
		return NULL;
	}
	if (g->copy_used + bytes - w->table_start > GUARD_TABLE_BYTES) {
		w->refusal = GUARD_REFUSED_SIZE;
		return NULL;
	}
	unsigned char *copy = g->copies + g->copy_used;
	g->copy_used += (uint32_t)bytes;
	bool code = false;
	size_t words = n / sizeof(void *);
	for (size_t i = 0; i < words && !w->refusal; i++) {
		const unsigned char *at = p + i * sizeof(void *);
		uintptr_t v = word_at(at), out = v;
		switch (drvsyms_classify((const void *)v)) {
		case DRVSYMS_CODE:
			if (g->nfns == GUARD_FNS_MAX) {
				w->refusal = GUARD_REFUSED_CAPACITY;
				break;
			}
			g->fns[g->nfns] = (struct guard_fn){ (const void *const *)(const void *)at, NULL, w->index, w->ordinal++ };
			out = (uintptr_t)(w->tramps + 16u * g->nfns);
			g->nfns++;
			code = true;
			break;
		case DRVSYMS_OTHER_CODE:
			w->refusal = GUARD_REFUSED_FOREIGN_CODE;
			break;
		case DRVSYMS_CONST:
			out = nested(w, v, nest);
			code = code || out != v;
			break;
		default:
			break; /* data: a header, a size, a context pointer */
		}
		memcpy(copy + i * sizeof(void *), &out, sizeof out);
	}
	for (size_t i = words * sizeof(void *); i < n; i++)
		copy[i] = byte_at(p + i);
	if (w->refusal || !code) {
		g->copy_used = used0;
		g->nfns = fns0;
		return NULL;
	}
	SIM_ASSERT_LE(g->copy_used, GUARD_COPY_BYTES, "guarded copies fit the run's copy area");
	return copy;
}

const void *guard_walk(struct guard *g, uint16_t index, const void *table, const unsigned char *tramps,
		       enum guard_refusal *refusal)
{
	enum drvsyms_kind kind = drvsyms_classify(table);
	size_t ext = kind == DRVSYMS_CONST || kind == DRVSYMS_DATA ? drvsyms_extent(table) : 0;
	*refusal = 0;
	if (ext < sizeof(void *)) {
		*refusal = GUARD_REFUSED_EXTENT;
		return NULL;
	}
	if ((uintptr_t)table % sizeof(void *)) {
		*refusal = GUARD_REFUSED_ALIGN;
		return NULL;
	}
	if (ext > GUARD_OBJECT_BYTES) {
		if (!holds_code(table, ext < 4096 ? ext : 4096))
			return table;
		*refusal = GUARD_REFUSED_SIZE;
		return NULL;
	}
	struct walk w = { .g = g, .index = index, .tramps = tramps, .table_start = g->copy_used };
	void *copy = copy_object(&w, table, ext, 0);
	*refusal = w.refusal;
	if (w.refusal)
		return NULL;
	return copy ? copy : table;
}
