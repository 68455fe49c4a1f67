/* interleave.c - see interleave.h. */
#include "run/interleave.h"

#include <string.h>

#include "core/assert.h"

_Static_assert(SIM_THREADS_MAX <= 64, "interleave.busy has a bit per thread id");

void interleave_init(struct interleave *il, uint8_t *map, uint32_t slots)
{
	SIM_ASSERT(map != NULL && slots > 0, "interleaving features need a map");
	il->map = map;
	il->slots = slots;
	il->busy = 0;
	il->features = 0;
	memset(il->depth, 0, sizeof il->depth);
	memset(il->obj_key, 0, sizeof il->obj_key);
}

/* An event's label: its kind and what it names (callback, API, routine). */
static uint16_t label_of(const struct event *e)
{
	return (uint16_t)(e->kind << 8 | e->what);
}

static void count(struct interleave *il, uint64_t feature)
{
	/* splitmix64's finaliser spreads neighbouring features over the map */
	feature = (feature ^ (feature >> 30)) * 0xbf58476d1ce4e5b9ull;
	feature = (feature ^ (feature >> 27)) * 0x94d049bb133111ebull;
	feature ^= feature >> 31;
	uint8_t *b = &il->map[feature % il->slots];
	if (*b != 0xff)
		(*b)++;
	il->features++;
}

/* The object an event is about, 0 if none: a binding slot, an NMR handle,
 * a kernel object id (tagged apart by the high bits). */
static uint32_t object_of(const struct event *e)
{
	switch (e->kind) {
	case EV_CB_ENTER:
	case EV_CB_EXIT:
	case EV_CALL_ENTER:
	case EV_CALL_EXIT:
		return e->binding != EV_NONE16 ? 0x10000u | e->binding : 0;
	case EV_API_ENTER:
	case EV_API_EXIT:
		return e->handle ? 0x20000u ^ e->handle : 0;
	case EV_KERNEL:
		return e->arg ? 0x40000000u | (e->arg & 0xffffffu) : 0;
	default:
		return 0;
	}
}

static void order_feature(struct interleave *il, const struct event *e, uint16_t label)
{
	uint32_t key = object_of(e);
	if (key == 0)
		return;
	uint32_t i = (key * 2654435761u) % INTERLEAVE_OBJECTS;
	for (uint32_t probe = 0; probe < INTERLEAVE_OBJECTS; probe++, i = (i + 1) % INTERLEAVE_OBJECTS) {
		if (il->obj_key[i] == key) {
			count(il, 2ull << 56 | (uint64_t)il->obj_label[i] << 24 | (uint64_t)label << 8 |
				      (il->obj_thread[i] == e->thread));
			il->obj_label[i] = label;
			il->obj_thread[i] = e->thread;
			return;
		}
		if (il->obj_key[i] == 0) {
			il->obj_key[i] = key;
			il->obj_label[i] = label;
			il->obj_thread[i] = e->thread;
			return;
		}
	}
}

/* Every other thread's innermost activity against the one starting. */
static void overlap_features(struct interleave *il, const struct event *e, uint16_t label)
{
	uint64_t others = il->busy & ~(1ull << e->thread);
	for (; others; others &= others - 1) {
		unsigned t = (unsigned)__builtin_ctzll(others);
		unsigned top = (il->depth[t] < INTERLEAVE_DEPTH ? il->depth[t] : INTERLEAVE_DEPTH) - 1u;
		count(il, 1ull << 56 | (uint64_t)label << 24 | (uint64_t)il->stack[t][top] << 8 |
			      (il->stack_module[t][top] == e->module));
	}
}

void interleave_event(struct interleave *il, const struct event *e)
{
	if (e->thread >= SIM_THREADS_MAX)
		return;
	uint16_t label = label_of(e);
	unsigned t = e->thread;
	switch (e->kind) {
	case EV_API_ENTER:
	case EV_CB_ENTER:
	case EV_CALL_ENTER:
	case EV_UNLOAD_ENTER:
	case EV_LOAD_ENTER:
		overlap_features(il, e, label);
		if (il->depth[t] < INTERLEAVE_DEPTH) {
			il->stack[t][il->depth[t]] = label;
			il->stack_module[t][il->depth[t]] = e->module;
		}
		if (il->depth[t] < 0xff)
			il->depth[t]++;
		il->busy |= 1ull << t;
		break;
	case EV_API_EXIT:
	case EV_CB_EXIT:
	case EV_CALL_EXIT:
	case EV_UNLOAD_EXIT:
	case EV_LOAD_EXIT:
		if (il->depth[t] > 0 && --il->depth[t] == 0)
			il->busy &= ~(1ull << t);
		break;
	case EV_KERNEL:
		overlap_features(il, e, label);
		break;
	case EV_THREAD_END:
		il->depth[t] = 0;
		il->busy &= ~(1ull << t);
		return;
	default:
		return;
	}
	order_feature(il, e, label);
}
