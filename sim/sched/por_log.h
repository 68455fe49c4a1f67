/* por_log.h - what each step of a run touches, for partial-order reduction.
 *
 * A step is what one thread does from a pick of the scheduler (pick_next or
 * sched_give_way choosing it) to the next pick: the rest of the API call it
 * was stopped in, driver or module code, the start of its next call. The
 * bounded exhaustive search with reduction (sim/run/dpor.c) needs, per
 * step: the thread, the choice that started it (its position in the choice
 * log, the threads it could have picked, whether picking another would have
 * been a preemption) and its footprint: the shared things it read or wrote.
 *
 * A footprint is a set of keys (class << 24 | id) hashed into
 * POR_BUCKETS bits, each read or written: `fp` holds every bucket the step
 * touched, `wr` the ones it wrote (por_log_touch writes, por_log_read only
 * reads). Two steps are dependent when one wrote a bucket the other touched
 * or either is POR_WILD (it may depend on anything: simulated time, a
 * spinning driver, the end of the run); two reads of a key commute. A hash
 * collision only adds a dependence (a read sharing a bucket with a written
 * key counts as touching the write), so it costs reduction, never
 * soundness. With POR_FINE_EXACT (the bounded exhaustive search) each step
 * also lists its keys exactly (sched_por.keys), driver memory per 8-byte
 * granule: the analysis (run/dpor.c) then has no collision. Keys:
 *   THREAD(t)  waking or spawning thread t, and t's first step after it;
 *   NMR        the registrar's state (registrations, bindings, its work queue);
 *   MODULE(m)  module m's state (a scripted module's, a driver's load state);
 *   KFAM(f)    a family of kernel objects (kernel/kernel.c: kernel_por_api);
 *   QUEUE(q)   a helper thread's work queue (DPC, I/O work, module work);
 *   DRVCODE    driver memory as a whole: any step that ran a hosted
 *              driver's code, until memory accesses are instrumented;
 *   MEM(a)     one driver memory location (the slot for instrumented
 *              accesses: sched_touch(s, POR_KEY(POR_MEM, hash of address))).
 *
 * Off (s->por == NULL) outside the reduced search: the hot path pays one
 * predictable branch per pick and per touch. The log is caller storage
 * (run arena), fixed capacity; a run with more steps sets `overflow` and the
 * search falls back to trying every option of that run's choices. */
#ifndef NMRSIM_POR_LOG_H
#define NMRSIM_POR_LOG_H

#include <stdbool.h>
#include <stdint.h>

#define POR_WORDS 4                     /* footprint bits: 64 x POR_WORDS buckets */
#define POR_BUCKETS (64 * POR_WORDS)
#define POR_NO_CHOICE UINT32_MAX        /* a pick with one candidate: no choice logged */
#define POR_EXACT_WORDS 128             /* exact footprints (struct por_exact): 64 x POR_EXACT_WORDS buckets */
#define POR_EXACT_BUCKETS (64 * POR_EXACT_WORDS)

enum por_class {
	POR_THREAD = 1, POR_NMR, POR_MODULE, POR_KFAM, POR_QUEUE, POR_DRVCODE, POR_MEM, POR_IDS,
};
/* Why a step is wild (bits of por_step.why above the classes). */
enum por_why {
	POR_WHY_TIME = 1u << 9,     /* read simulated time */
	POR_WHY_DEADLINE = 1u << 10, /* a timer or timeout pending at its pick */
	POR_WHY_STALL = 1u << 11,   /* time jumped (nothing ran) */
	POR_WHY_IDLE = 1u << 12,    /* the drain started */
	POR_WHY_SPIN = 1u << 13,    /* a driver spun (sched_give_way) */
	POR_WHY_ROUTINE = 1u << 14, /* a kernel routine without a footprint family */
};
#define POR_KEY(cls, id) ((uint32_t)(cls) << 24 | ((uint32_t)(id) & 0xffffffu))

/* Finer footprints of the reduced search (sched_por.fine), each off with
 * `--por-without` for measurements. */
enum por_fine {
	POR_FINE_READS = 1,   /* reads commute: a thread resuming into a driver's code, a driver's
	                       * kernel calls read its module state; driver memory reads */
	POR_FINE_OBJECTS = 2, /* spin locks and dispatcher objects keyed by their memory line, not
	                       * their family's key */
	POR_FINE_NMR = 4,     /* the registrar's state keyed per registration and binding (below) */
	POR_FINE_EXACT = 8,   /* every key also listed exactly per step (sched_por.keys: no hashing), driver
	                       * memory per 8-byte granule (por_log_span); the bitmaps keep 64-byte lines */
};

/* With POR_FINE_NMR the registrar's state is several keys of class
 * POR_NMR, like intention locks: an operation on one registration or one
 * binding reads the registry key and writes its object's key, so two of
 * them on different objects commute; an operation on the registry as a
 * whole (register, attach, wait, a binding freed, a deregistration
 * completed, loads and unloads: slot and handle allocation, the NPIs'
 * lists, the oracle's tables) writes the registry key and so meets every
 * registrar step. The reads of the registry key commute whether or not
 * POR_FINE_READS splits the other keys' reads. Without POR_FINE_NMR every
 * registrar step writes POR_NMR_ANY. Slots are the model's (nmr.h); a
 * handle's slot is its low byte, its tag the top four bits. */
#define POR_NMR_ANY POR_KEY(POR_NMR, 0)
#define POR_NMR_QUEUE POR_KEY(POR_NMR, 1)
#define POR_NMR_REG(slot) POR_KEY(POR_NMR, 0x100u | ((uint32_t)(slot) & 0xffu))
#define POR_NMR_BINDING(slot) POR_KEY(POR_NMR, 0x200u | ((uint32_t)(slot) & 0xffu))
#define POR_NMR_TAG_BINDING 3u /* nmr.h: NMR_TAG_BINDING (asserted there) */

/* With POR_FINE_READS a driver's module key is three: its load state
 * (MODULE(m): the host's image state, written by the load and unload
 * events), whether its Unload returned (GONE(m): K06's flag, read by every
 * step that runs its code or calls for it, written when the image goes) and
 * its kernel accounting (ACCT(m): allocations, handles, read by its unload;
 * kernel/kernel.h: kernel_module_acct). */
#define POR_MODULE_ACCT 64u
#define POR_MODULE_GONE 128u

enum por_step_flags {
	POR_WILD = 1,   /* dependent on every step */
	POR_SWITCH = 2, /* another thread than the previous step's (the run's first step too) */
};

struct por_step {
	uint64_t fp[POR_WORDS];   /* footprint buckets: read or written */
	uint64_t wr[POR_WORDS];   /* the buckets it wrote (a subset of fp) */
	uint32_t pos;             /* choice-log index of the thread choice that began it, or POR_NO_CHOICE */
	uint32_t options;         /* threads the pick could take (bit per id) */
	uint32_t woke;            /* threads this step woke or spawned: their next step happens after it */
	uint8_t thread;           /* the thread picked */
	uint8_t first;            /* option 0 when it was the running thread (picking another preempts it), else 0xff */
	uint8_t flags;            /* enum por_step_flags */
	uint8_t preemptions;      /* preemptions taken before this pick (saturates at 255) */
	uint16_t why;             /* key classes touched (bit per enum por_class) and why it is wild
	                           * (POR_WHY_*): statistics for NMRSIM_POR_STATS, never decisions */
	uint16_t nkeys;           /* POR_FINE_EXACT: its keys, sched_por.keys[key0, key0 + nkeys) */
	uint32_t key0;
};
_Static_assert(sizeof(struct por_step) == 88, "a step stays 88 bytes (copied and compared per step)");

/* POR_FINE_EXACT: a key listed with this bit was written by the step. */
#define POR_KEY_WRITE 0x80000000u
#define POR_RECENT 256 /* keys remembered per run to list each key once per step (por_log_key) */

/* A step's exact footprint, for the race-directed search's race pairs
 * (explore_race.c; sched_por.exact): every key of its footprint hashed into
 * POR_EXACT_BUCKETS buckets (about collision-free for the few hundred keys
 * of a run, where POR_BUCKETS merges unrelated objects), driver memory
 * accesses keyed by a class of their own (POR_EXACT_MEM: never the key of a
 * kernel object on the same line). Nothing else reads them: the reduced
 * search and partial order sampling keep `fp` and `wr`. */
struct por_exact {
	uint64_t fp[POR_EXACT_WORDS];
	uint64_t wr[POR_EXACT_WORDS];
};
#define POR_EXACT_MEM 9u /* key class of driver memory lines in the exact footprints only */

struct sched_por {
	struct por_step *steps;   /* caller storage */
	struct por_exact *exact;  /* caller storage parallel to steps (cap entries), NULL: not logged */
	uint32_t cap, n;
	bool overflow;            /* a step did not fit: the run's footprints are incomplete */
	uint32_t woken;           /* threads woken or spawned since their last step (bit per id) */
	uint32_t hosted;          /* modules whose code is a hosted driver's (bit per module index) */
	uint32_t drivers;         /* modules that are hosted drivers, instrumented or not (bit per index) */
	uint32_t fine;            /* enum por_fine: the reduced search's finer footprints (0 elsewhere:
	                           * partial order sampling keeps the keys it was tuned on) */
	/* The driver memory region of an address and its offset there
	 * (installed by the host with the instrumentation's regions; NULL:
	 * none): kernel objects in driver memory keyed per object (spin locks). */
	int (*mem_region)(uintptr_t addr, uintptr_t *off);
	/* POR_FINE_EXACT: every step's keys in step order, each once per step
	 * (POR_KEY_WRITE: written), caller storage; more than keys_cap sets
	 * overflow. recent: the last step and place each key (by hash) was
	 * listed at, so a key touched again in a step is not listed again. */
	uint32_t *keys;
	uint32_t keys_cap, nkeys;
	/* F1 (nmr/nmr_model.c, options that give the same run): driver memory
	 * [watch_lo, watch_hi) (an out handle) is watched while NmrRegister*
	 * offers attaches; any instrumented access to it, by any thread, sets
	 * watch_hit (host/memaccess.c). watch_hi 0: nothing watched. */
	uintptr_t watch_lo, watch_hi;
	bool watch_hit;
	struct por_recent {
		uint32_t key, step, at;
	} recent[POR_RECENT];
	/* Partial order sampling (core/choice.h, CHOICE_POS): which threads'
	 * pending steps conflict with the steps run since the last choice. */
	bool sample;              /* keep the fields below (off for the reduced search): por_log_sample */
	uint64_t ignore[POR_WORDS]; /* buckets that make no conflict: keys every step of a kind touches */
	uint32_t conflicts;       /* threads in conflict with a step closed without a choice */
	uint32_t have_last;       /* threads with a closed step (bit per id) */
	uint64_t last_fp[32][POR_WORDS]; /* footprint of each thread's latest closed step (wild: all ones) */
};

static inline uint32_t por_hash(uint32_t key)
{
	/* murmur3's finaliser: every key bit moves every bucket bit */
	key ^= key >> 16;
	key *= 0x85ebca6bu;
	key ^= key >> 13;
	key *= 0xc2b2ae35u;
	key ^= key >> 16;
	return key;
}
static inline uint32_t por_bucket(uint32_t key)
{
	return por_hash(key) & (POR_BUCKETS - 1u);
}
static inline uint32_t por_exact_bucket(uint32_t key)
{
	return por_hash(key) & (POR_EXACT_BUCKETS - 1u);
}
_Static_assert((POR_BUCKETS & (POR_BUCKETS - 1)) == 0, "por_bucket masks a power of two");

/* Start a run's log (storage of cap steps). hosted_modules: modules whose
 * code touches DRVCODE (hosted drivers without memory instrumentation). */
void por_log_init(struct sched_por *p, struct por_step *steps, uint32_t cap, uint32_t hosted_modules);
/* POR_FINE_EXACT on (after por_log_init): keys is storage of cap keys. */
void por_log_exact(struct sched_por *p, uint32_t *keys, uint32_t cap);

/* Driver memory for the reduced search: one key per 64-byte line of a
 * region, by offset (never by address: the same exploration makes the same
 * keys in every process). Accesses outside the known regions share one key.
 * A pool block's allocation and free touch every line of it. With
 * POR_FINE_EXACT the step's exact keys are per 8-byte granule (the bitmaps
 * keep the lines: a line holds its granules, so they stay a superset). */
enum por_mem_region { POR_MEM_POOL, POR_MEM_DATA, POR_MEM_BSS, POR_MEM_STACKS, POR_MEM_OTHER };
#define POR_MEM_LINE 64u
#define POR_MEM_GRANULE 8u
static inline uint32_t por_mem_key(enum por_mem_region region, uintptr_t offset)
{
	return POR_KEY(POR_MEM, (uint32_t)region << 21 | (uint32_t)(offset / POR_MEM_LINE & 0x1fffffu));
}
/* The same line's key in the exact footprints (POR_EXACT_MEM). */
static inline uint32_t por_exact_mem_key(enum por_mem_region region, uintptr_t offset)
{
	return POR_KEY(POR_EXACT_MEM, (uint32_t)region << 21 | (uint32_t)(offset / POR_MEM_LINE & 0x1fffffu));
}
static inline uint32_t por_granule_key(enum por_mem_region region, uintptr_t offset)
{
	return POR_KEY(POR_MEM, (uint32_t)region << 21 | (uint32_t)(offset / POR_MEM_GRANULE & 0x1fffffu));
}

/* Called by the scheduler at a pick: thread `next` begins a step. ids/n are
 * the candidates (ids[0] is the running thread when cur_first), pos the
 * choice-log index of the choice (POR_NO_CHOICE if none was logged). */
void por_log_begin(struct sched_por *p, const uint8_t *ids, uint32_t n, bool cur_first, uint8_t next,
		   uint8_t module, uint32_t pos, uint32_t preemptions);

/* Reads are reads (POR_FINE_READS); otherwise every touch writes. */
static inline bool por_split(const struct sched_por *p)
{
	return (p->fine & POR_FINE_READS) != 0;
}

/* An access to [a, a + size) meets the watched range (F1). */
static inline void por_log_watch(struct sched_por *p, uintptr_t a, uintptr_t size)
{
	if (__builtin_expect(p->watch_hi != 0, 0) && a < p->watch_hi && a + (size ? size : 1u) > p->watch_lo)
		p->watch_hit = true;
}

/* POR_FINE_EXACT: list key in the running step (once; a write wins).
 * Inline: a key the step listed already (the common case: a module key at
 * every event, a loop over one field); out of line: a new one. */
void por_log_key_new(struct sched_por *p, uint32_t key, bool write, struct por_recent *r);
static inline void por_log_key_h(struct sched_por *p, uint32_t key, uint32_t hash, bool write)
{
	struct por_recent *r = &p->recent[hash & (POR_RECENT - 1u)];
	if (r->step == p->n && r->key == key) {
		if (write)
			p->keys[r->at] |= POR_KEY_WRITE;
		return;
	}
	por_log_key_new(p, key, write, r);
}
static inline void por_log_key(struct sched_por *p, uint32_t key, bool write)
{
	por_log_key_h(p, key, por_hash(key), write);
}

/* The running step's bitmaps: it reads or writes key (hash: por_hash(key)). */
static inline void por_log_bits_h(struct sched_por *p, uint32_t key, uint32_t hash, bool write)
{
	uint32_t b = hash & (POR_BUCKETS - 1u);
	struct por_step *st = &p->steps[p->n - 1];
	st->fp[b >> 6] |= 1ull << (b & 63);
	if (write)
		st->wr[b >> 6] |= 1ull << (b & 63);
	st->why |= (uint16_t)(1u << (key >> 24 & 15u));
}
/* The race-directed search's exact footprint (sched_por.exact), when
 * logged (hash: por_hash(key)). */
static inline void por_log_exact_h(struct sched_por *p, uint32_t hash, bool write)
{
	uint32_t b = hash & (POR_EXACT_BUCKETS - 1u);
	struct por_exact *x = &p->exact[p->n - 1];
	x->fp[b >> 6] |= 1ull << (b & 63);
	if (write)
		x->wr[b >> 6] |= 1ull << (b & 63);
}
static inline void por_log_mark_exact(struct sched_por *p, uint32_t key, bool write)
{
	if (p->n == 0 || !p->exact)
		return;
	por_log_exact_h(p, por_hash(key), write);
}
static inline void por_log_bits(struct sched_por *p, uint32_t key, bool write)
{
	por_log_bits_h(p, key, por_hash(key), write);
}
/* The running step reads or writes key, whatever por_split says. */
static inline void por_log_mark(struct sched_por *p, uint32_t key, bool write)
{
	if (p->n == 0)
		return; /* before the first pick: setting up the run */
	uint32_t hash = por_hash(key); /* the bucket's and the recent keys' index: one hash */
	por_log_bits_h(p, key, hash, write);
	if (__builtin_expect((p->fine & POR_FINE_EXACT) != 0, 0))
		por_log_key_h(p, key, hash, write);
	if (p->exact)
		por_log_exact_h(p, hash, write);
}
/* The running step reads or writes driver memory [off, off + size) of a
 * region (size >= 1; whatever por_split says): every line in the bitmaps
 * and, when logged, in race's exact footprint as driver memory
 * (POR_EXACT_MEM); with POR_FINE_EXACT every granule in the exact keys. */
static inline void por_log_span(struct sched_por *p, enum por_mem_region region, uintptr_t off, uintptr_t size,
				bool write)
{
	if (p->n == 0)
		return;
	uintptr_t last = off + size - 1;
	for (uintptr_t l = off / POR_MEM_LINE; l <= last / POR_MEM_LINE; l++) {
		por_log_bits(p, por_mem_key(region, l * POR_MEM_LINE), write);
		if (p->exact)
			por_log_exact_h(p, por_hash(por_exact_mem_key(region, l * POR_MEM_LINE)), write);
	}
	if (p->fine & POR_FINE_EXACT)
		for (uintptr_t g = off / POR_MEM_GRANULE; g <= last / POR_MEM_GRANULE; g++)
			por_log_key(p, por_granule_key(region, g * POR_MEM_GRANULE), write);
}
/* The running step writes key (or reads it: only when por_split). */
static inline void por_log_access(struct sched_por *p, uint32_t key, bool write)
{
	por_log_mark(p, key, write || !por_split(p));
}
static inline void por_log_touch(struct sched_por *p, uint32_t key)
{
	por_log_access(p, key, true);
}
/* A read: commutes with other reads of the key (por_split on). */
static inline void por_log_read(struct sched_por *p, uint32_t key)
{
	por_log_access(p, key, false);
}
/* The running step meets one registrar object (POR_NMR_REG, POR_NMR_BINDING):
 * reads the registry, writes the object; without POR_FINE_NMR writes the
 * one registrar key. */
static inline void por_log_nmr_object(struct sched_por *p, uint32_t key, bool write)
{
	if (!(p->fine & POR_FINE_NMR)) {
		por_log_mark(p, POR_NMR_ANY, true);
		return;
	}
	por_log_mark(p, POR_NMR_ANY, false);
	por_log_mark(p, key, write);
}

/* Two steps' footprints are dependent (neither wild): one wrote what the
 * other touched. */
static inline bool por_fp_dependent(const uint64_t *fp1, const uint64_t *wr1, const uint64_t *fp2, const uint64_t *wr2)
{
	uint64_t m = 0;
	for (int w = 0; w < POR_WORDS; w++)
		m |= (wr1[w] & fp2[w]) | (fp1[w] & wr2[w]);
	return m != 0;
}

/* Turn on partial order sampling's conflicts (after por_log_init). Keys
 * that every step of a kind touches (DRVCODE: any hosted driver code; NMR:
 * any registrar call; IDS: any spawn) tell no two steps apart, so they make
 * no conflict here: with them nearly every pair of steps conflicts and the
 * priorities are redrawn at almost every step (a random walk). The reduced
 * search keeps them (soundness). */
void por_log_sample(struct sched_por *p);

/* Partial order sampling: the threads whose pending step is new or
 * conflicts with a step run since the last call (the running step, steps
 * closed without a choice, threads woken or spawned), then forget them. */
uint32_t por_log_conflicts(struct sched_por *p);

/* The running step wakes or spawns thread t. */
static inline void por_log_woke(struct sched_por *p, uint8_t t)
{
	por_log_touch(p, POR_KEY(POR_THREAD, t));
	p->woken |= 1u << t;
	p->conflicts |= 1u << t; /* sampling: its pending step is a new one */
	if (p->n)
		p->steps[p->n - 1].woke |= 1u << t;
}

static inline void por_log_wild(struct sched_por *p, enum por_why why)
{
	if (p->n) {
		p->steps[p->n - 1].flags |= POR_WILD;
		p->steps[p->n - 1].why |= (uint16_t)why;
	}
}

/* How a step meets module m's state. */
enum por_mod {
	POR_MOD_WRITE, /* changes it: load and unload events, a scripted module's events */
	POR_MOD_RUN,   /* runs its code or calls for it: reads GONE(m) (a driver's, reads split) */
	POR_MOD_READ,  /* reads its load state: MODULE(m) (an `unload` op that did nothing) */
};
/* The running step meets module m (EV_NONE8 = none). Without the split,
 * or for a scripted module, every meeting writes MODULE(m). */
static inline void por_log_module(struct sched_por *p, uint8_t module, enum por_mod how)
{
	if (module >= 32)
		return;
	if (!por_split(p) || !(p->drivers >> module & 1u) || how == POR_MOD_WRITE)
		por_log_touch(p, POR_KEY(POR_MODULE, module));
	else if (how == POR_MOD_RUN)
		por_log_read(p, POR_KEY(POR_MODULE, POR_MODULE_GONE + module));
	else
		por_log_read(p, POR_KEY(POR_MODULE, module));
	if (p->hosted >> module & 1u)
		por_log_touch(p, POR_KEY(POR_DRVCODE, 0));
}

/* An event of the running step (sched_emit): its module, and the
 * registrar's state for NMR API calls, callbacks, dispatch calls, freedoms. */
struct event;
void por_log_event(struct sched_por *p, const struct event *e);

#endif
