/* scn_mutate.c - structure-aware mutation of binary scenarios (see
 * scn_mutate.h). Every mutation works on the decoded struct and keeps its
 * invariants (counts within capacities, indices within counts), and the
 * result is re-encoded, so decode(output) is exactly the mutated scenario. */
#include "scn_mutate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"

/* Bytes of the encoded form before the choice bytes: header, modules, ops,
 * seed. Outputs never exceed max_size: choice bytes are cut to fit. */
#define SMUT_OUT_MAX (64 + SCN_MODULES_MAX * 4 + SCN_OPS_MAX * 3 + SCN_SCHED_BYTES_MAX)

static struct scenario cur, other;
static uint8_t scratch[SMUT_OUT_MAX];
static enum smut_mode mode = SMUT_SCENARIO;

void smut_set_mode(enum smut_mode m)
{
	mode = m;
}

static void decode(struct scenario *s, const uint8_t *data, size_t size)
{
	if (mode == SMUT_DRIVERS)
		scn_decode_binary_drivers(s, data, size);
	else
		scn_decode_binary(s, data, size);
}

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	/* splitmix64: one seed drives every decision of a mutation */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n >= 1. */
static uint32_t below(struct rng *r, uint32_t n)
{
	return n <= 1 ? 0 : (uint32_t)(rng_next(r) % n);
}

static bool chance(struct rng *r, uint32_t num, uint32_t den)
{
	return below(r, den) < num;
}

/* ---- ops ---- */

static void random_op(struct rng *r, const struct scenario *s, struct scn_op *op)
{
	/* Skew towards the ops that drive the registrar: register, deregister,
	 * wait, unload, complete, call are 2/3 of picks. Drivers take load and
	 * unload (their own code does the rest); yield and irql are the other
	 * ops a driver scenario has. */
	static const uint8_t common[] = { OP_REGISTER, OP_DEREGISTER, OP_WAIT, OP_UNLOAD, OP_COMPLETE, OP_CALL };
	static const uint8_t driver_ops[] = { OP_LOAD, OP_LOAD, OP_UNLOAD, OP_UNLOAD, OP_YIELD, OP_IRQL, OP_SLEEP };
	uint8_t kind = mode == SMUT_DRIVERS       ? driver_ops[below(r, sizeof driver_ops)]
		       : chance(r, 2, 3) ? common[below(r, sizeof common)]
					 : (uint8_t)below(r, OP_KIND_COUNT);
	if (s->nmodules == 0 && scn_op_takes_module((enum scn_op_kind)kind))
		kind = OP_YIELD;
	op->kind = kind;
	op->thread = (uint8_t)below(r, s->nthreads);
	op->module = scn_op_takes_module((enum scn_op_kind)kind) ? (uint8_t)below(r, s->nmodules) : 0;
	if (kind == OP_IRQL) {
		static const uint8_t levels[] = { 0, 1, 2, 2, 0, 15 };
		op->arg = levels[below(r, sizeof levels)];
	} else if (scn_op_takes_handle((enum scn_op_kind)kind)) {
		op->arg = chance(r, 1, 2) ? HSEL_OWN : (uint8_t)below(r, HSEL_COUNT);
	} else if (kind == OP_SLEEP) {
		/* around the periods drivers use (timers, timed waits) */
		static const uint8_t ms[] = { 1, 5, 10, 20, 100 };
		op->arg = ms[below(r, sizeof ms)];
	} else {
		op->arg = 0;
	}
}

/* Ops of one thread are contiguous after decoding (stable by thread). An
 * insertion at `pos` takes the thread of its neighbour, or any thread. */
static void op_insert(struct rng *r, struct scenario *s, const struct scn_op *op, uint32_t pos)
{
	if (s->nops >= SCN_OPS_MAX)
		return;
	memmove(&s->ops[pos + 1], &s->ops[pos], (s->nops - pos) * sizeof s->ops[0]);
	s->ops[pos] = *op;
	s->nops++;
	(void)r;
}

static void op_delete(struct scenario *s, uint32_t pos)
{
	memmove(&s->ops[pos], &s->ops[pos + 1], (s->nops - pos - 1) * sizeof s->ops[0]);
	s->nops--;
}

static void mutate_ops(struct rng *r, struct scenario *s)
{
	uint32_t what = below(r, 7);
	if (s->nops == 0)
		what = 0;
	uint32_t i = below(r, s->nops);
	struct scn_op op;
	switch (what) {
	case 0: /* insert */
		random_op(r, s, &op);
		if (s->nops && chance(r, 1, 2))
			op.thread = s->ops[i].thread;
		op_insert(r, s, &op, below(r, s->nops + 1u));
		break;
	case 1: /* delete */
		op_delete(s, i);
		break;
	case 2: { /* duplicate, next to itself or elsewhere in its thread */
		op = s->ops[i];
		op_insert(r, s, &op, chance(r, 1, 2) ? i : below(r, s->nops + 1u));
		break;
	}
	case 3: { /* swap two ops of one thread (the order is all a thread has) */
		uint32_t j = below(r, s->nops);
		for (uint32_t k = 0; k < s->nops && s->ops[j].thread != s->ops[i].thread; k++)
			j = (j + 1) % s->nops;
		op = s->ops[i];
		s->ops[i] = s->ops[j];
		s->ops[j] = op;
		break;
	}
	case 4: /* retarget: thread, module or argument */
		switch (below(r, 3)) {
		case 0:
			s->ops[i].thread = (uint8_t)below(r, s->nthreads);
			break;
		case 1:
			if (scn_op_takes_module((enum scn_op_kind)s->ops[i].kind))
				s->ops[i].module = (uint8_t)below(r, s->nmodules);
			break;
		default:
			if (s->ops[i].kind == OP_IRQL)
				s->ops[i].arg = (uint8_t)below(r, 3);
			else if (scn_op_takes_handle((enum scn_op_kind)s->ops[i].kind))
				s->ops[i].arg = (uint8_t)below(r, HSEL_COUNT);
			else if (s->ops[i].kind == OP_SLEEP)
				s->ops[i].arg = (uint8_t)(1u + below(r, SCN_SLEEP_MS_MAX));
			break;
		}
		break;
	case 5: /* change the kind, keep thread and module */
		random_op(r, s, &op);
		op.thread = s->ops[i].thread;
		if (scn_op_takes_module((enum scn_op_kind)op.kind) && scn_op_takes_module((enum scn_op_kind)s->ops[i].kind))
			op.module = s->ops[i].module;
		s->ops[i] = op;
		break;
	default: { /* move a run of ops to another thread: new interleavings */
		uint32_t n = 1 + below(r, 4);
		uint8_t t = (uint8_t)below(r, s->nthreads);
		for (uint32_t k = i; k < s->nops && k < i + n; k++)
			s->ops[k].thread = t;
		break;
	}
	}
}

/* ---- modules and environment ---- */

static void random_module(struct rng *r, struct scn_module *m)
{
	memset(m, 0, sizeof *m);
	m->role = (uint8_t)below(r, 2);
	m->npi = chance(r, 3, 4) ? 0 : (uint8_t)below(r, SCN_NPIS_MAX);
	m->attach = chance(r, 1, 2) ? ATTACH_ACCEPT : (uint8_t)below(r, ATTACH_COUNT);
	m->detach = (uint8_t)below(r, DETACH_COUNT);
	m->unload = chance(r, 2, 3) ? UNLOAD_CORRECT : (uint8_t)below(r, UNLOAD_COUNT);
	m->chars = chance(r, 7, 8) ? CHARS_OK : (uint8_t)below(r, CHARS_COUNT);
	m->flags = chance(r, 3, 4) ? 0 : (uint8_t)below(r, FLAG_ALL + 1u);
}

/* A driver not yet in the scenario, from a random one on; -1 if all are. */
static int free_driver(struct rng *r, const struct scenario *s)
{
	return scn_driver_unused(s, s->nmodules, below(r, image_count()));
}

/* s->modules[nmodules] is filled in: count it, and insert an op of `kind`
 * (register, or load for a driver) naming it. */
static void append_module(struct rng *r, struct scenario *s, enum scn_op_kind kind)
{
	struct scn_op op = { .kind = (uint8_t)kind, .thread = (uint8_t)below(r, s->nthreads), .module = s->nmodules };
	s->nmodules++;
	op_insert(r, s, &op, below(r, s->nops + 1u));
}

/* Drop the last module; ops naming it name another. */
static void drop_last_module(struct rng *r, struct scenario *s)
{
	s->nmodules--;
	for (uint32_t k = 0; k < s->nops; k++)
		if (scn_op_takes_module((enum scn_op_kind)s->ops[k].kind) && s->ops[k].module >= s->nmodules)
			s->ops[k].module = (uint8_t)below(r, s->nmodules);
}

/* Drivers mode: the modules are driver images; what a driver does is its
 * code, so the mutations are which drivers are in and when they load. */
static void mutate_drivers(struct rng *r, struct scenario *s)
{
	uint32_t what = below(r, 3);
	if (s->nmodules == 0)
		what = 0;
	int d;
	switch (what) {
	case 0: /* add a driver, and an op that loads it */
		if (s->nmodules < SCN_MODULES_MAX && (d = free_driver(r, s)) >= 0) {
			scn_module_set_driver(&s->modules[s->nmodules], (unsigned)d);
			append_module(r, s, OP_LOAD);
		}
		break;
	case 1:
		drop_last_module(r, s);
		break;
	default: /* another driver in one module's place */
		if ((d = free_driver(r, s)) >= 0)
			scn_module_set_driver(&s->modules[below(r, s->nmodules)], (unsigned)d);
		break;
	}
}

static void mutate_modules(struct rng *r, struct scenario *s)
{
	if (mode == SMUT_DRIVERS) {
		mutate_drivers(r, s);
		return;
	}
	uint32_t what = below(r, 4);
	if (s->nmodules == 0)
		what = 0;
	uint32_t i = below(r, s->nmodules);
	switch (what) {
	case 0: /* add a module, and an op that registers it */
		if (s->nmodules < SCN_MODULES_MAX) {
			random_module(r, &s->modules[s->nmodules]);
			append_module(r, s, OP_REGISTER);
		}
		break;
	case 1:
		drop_last_module(r, s);
		break;
	default: { /* one behaviour of one module */
		struct scn_module *m = &s->modules[i];
		switch (below(r, 7)) {
		case 0: m->role ^= 1u; break;
		case 1: m->npi = (uint8_t)below(r, SCN_NPIS_MAX); break;
		case 2: m->attach = (uint8_t)below(r, ATTACH_COUNT); break;
		case 3: m->detach = (uint8_t)below(r, DETACH_COUNT); break;
		case 4: m->unload = (uint8_t)below(r, UNLOAD_COUNT); break;
		case 5: m->chars = (uint8_t)below(r, CHARS_COUNT); break;
		default: m->flags ^= (uint8_t)(1u << below(r, 2)); break;
		}
		break;
	}
	}
}

static void mutate_env(struct rng *r, struct scenario *s)
{
	switch (below(r, 6)) {
	case 0:
		s->workers = (uint8_t)below(r, NMR_WORKERS_MAX + 1u);
		break;
	case 1: /* more or fewer scripted threads: ops past the count fold back */
		s->nthreads = (uint8_t)(1u + below(r, SCN_THREADS_MAX));
		for (uint32_t k = 0; k < s->nops; k++)
			s->ops[k].thread %= s->nthreads;
		break;
	case 2: { /* F6 fault ratio */
		static const uint8_t dens[] = { 0, 2, 4, 8, 16 };
		s->fault_den = dens[below(r, sizeof dens)];
		s->fault_num = s->fault_den ? (uint8_t)(1u + below(r, s->fault_den / 2u)) : 0;
		break;
	}
	case 3: /* schedule source: the choice bytes, or a seed, or PCT */
		s->sched = (uint8_t)(chance(r, 2, 3) ? SCHED_BYTES : below(r, 3));
		s->seed = rng_next(r);
		s->pct_depth = s->sched == SCHED_PCT ? (uint8_t)(1u + below(r, CHOICE_PCT_DEPTH_MAX)) : 3;
		break;
	case 4:
		s->seed = rng_next(r);
		if (chance(r, 1, 4)) /* time jumps during Unloads (docs/SCENARIO.md) */
			s->time_jumps ^= 1u;
		else if (chance(r, 1, 3)) /* a swarm configuration drawn from the schedule */
			s->swarm ^= 1u;
		else if (mode == SMUT_DRIVERS) /* hosted drivers' atomics as scheduling points (docs/KERNEL.md) */
			s->atomics_preempt ^= 1u;
		break;
	default: /* step budget: the default, or short (hangs sooner) */
		s->steps_max = chance(r, 1, 2) ? STEPS_DEFAULT : 256u * (1u + below(r, 32));
		/* Hosted drivers' inputs never go below the default (their decode
		 * raises it: a short budget ends a progressing run as L02). */
		if (mode == SMUT_DRIVERS && s->steps_max < STEPS_DEFAULT)
			s->steps_max = STEPS_DEFAULT;
		break;
	}
}

/* ---- the choice stream ---- */

static void mutate_choices(struct rng *r, struct scenario *s)
{
	if (s->sched != SCHED_BYTES) {
		s->sched = SCHED_BYTES; /* bytes are what the fuzzer can steer */
		s->pct_depth = 3;
	}
	uint32_t len = s->sched_len;
	uint32_t what = below(r, 6);
	if (len == 0)
		what = 1;
	uint32_t at = below(r, len);
	switch (what) {
	case 0: /* set one choice: most choices have 2-4 options */
		s->sched_bytes[at] = (uint8_t)(chance(r, 3, 4) ? below(r, 4) : below(r, 256));
		break;
	case 1: { /* insert a run of small choices */
		uint32_t n = 1 + below(r, 8);
		if (len + n > SCN_SCHED_BYTES_MAX)
			n = SCN_SCHED_BYTES_MAX - len;
		at = below(r, len + 1u);
		memmove(&s->sched_bytes[at + n], &s->sched_bytes[at], len - at);
		for (uint32_t k = 0; k < n; k++)
			s->sched_bytes[at + k] = (uint8_t)below(r, 4);
		s->sched_len = len + n;
		break;
	}
	case 2: { /* delete a run */
		uint32_t n = 1 + below(r, len - at < 8 ? len - at : 8);
		memmove(&s->sched_bytes[at], &s->sched_bytes[at + n], len - at - n);
		s->sched_len = len - n;
		break;
	}
	case 3: { /* flip between "stay" and "switch" for a few choices */
		for (uint32_t k = 0, n = 1 + below(r, 4); k < n; k++) {
			uint32_t j = below(r, len);
			s->sched_bytes[j] = s->sched_bytes[j] ? 0 : (uint8_t)(1u + below(r, 3));
		}
		break;
	}
	case 4: { /* duplicate a run (repeat an interleaving pattern) */
		uint32_t n = 1 + below(r, 16);
		if (at + n > len)
			n = len - at;
		if (len + n > SCN_SCHED_BYTES_MAX)
			n = SCN_SCHED_BYTES_MAX - len;
		memmove(&s->sched_bytes[at + n], &s->sched_bytes[at], len - at);
		s->sched_len = len + n;
		break;
	}
	default: /* cut the tail: the rest of the run takes option 0 */
		s->sched_len = at;
		break;
	}
}

/* Put the scenario in the decoder's normal form, so the output is the
 * canonical encoding of exactly the mutated scenario: ops stably ordered by
 * thread, nothing naming a module when there is none. */
static void normalize(struct scenario *s)
{
	for (uint32_t i = 1; i < s->nops; i++) {
		struct scn_op op = s->ops[i];
		uint32_t j = i;
		for (; j > 0 && s->ops[j - 1].thread > op.thread; j--)
			s->ops[j] = s->ops[j - 1];
		s->ops[j] = op;
	}
	for (uint32_t i = 0; i < s->nops; i++) {
		struct scn_op *op = &s->ops[i];
		if (scn_op_takes_module((enum scn_op_kind)op->kind) && s->nmodules == 0)
			op->kind = OP_YIELD;
		if (scn_op_takes_module((enum scn_op_kind)op->kind)) {
			/* as the decoder does: drivers take load/unload, scripted
			 * modules everything but load */
			enum scn_module_kind mk = (enum scn_module_kind)s->modules[op->module % s->nmodules].kind;
			op->module %= s->nmodules;
			if (mk == MODULE_DRIVER && !scn_op_fits((enum scn_op_kind)op->kind, MODULE_DRIVER))
				op->kind = op->kind % 2 ? OP_UNLOAD : OP_LOAD;
			else if (op->kind == OP_LOAD && mk != MODULE_DRIVER)
				op->kind = OP_REGISTER;
		}
		if (!scn_op_takes_module((enum scn_op_kind)op->kind))
			op->module = 0;
		if (op->kind == OP_SLEEP && op->arg == 0)
			op->arg = 1;
		else if (op->kind != OP_IRQL && op->kind != OP_SLEEP && !scn_op_takes_handle((enum scn_op_kind)op->kind))
			op->arg = 0;
	}
	scn_unload_unreachable_to_yield(s); /* as the decoder does */
}

/* Encode cur into data; cut choice bytes until it fits max_size. */
static size_t encode_fit(struct scenario *s, uint8_t *data, size_t max_size)
{
	normalize(s);
	size_t need = scn_encode_binary(s, scratch, sizeof scratch);
	if (need > max_size && s->sched == SCHED_BYTES) {
		size_t over = need - max_size;
		s->sched_len = over >= s->sched_len ? 0 : s->sched_len - (uint32_t)over;
		need = scn_encode_binary(s, scratch, sizeof scratch);
	}
	if (need > max_size || need > sizeof scratch)
		return 0;
	memcpy(data, scratch, need);
	return need;
}

size_t smut_mutate(uint8_t *data, size_t size, size_t max_size, uint64_t seed, smut_bytes_fn bytes)
{
	struct rng r = { seed };
	if (bytes && chance(&r, 1, 5))
		return bytes(data, size, max_size);
	decode(&cur, data, size);
	/* One to four stacked mutations; choice bytes and ops most often. */
	for (uint32_t n = 1 + below(&r, 4), k = 0; k < n; k++) {
		uint32_t area = below(&r, 10);
		if (area < 4)
			mutate_choices(&r, &cur);
		else if (area < 7)
			mutate_ops(&r, &cur);
		else if (area < 9)
			mutate_modules(&r, &cur);
		else
			mutate_env(&r, &cur);
	}
	size_t out = encode_fit(&cur, data, max_size);
	if (out == 0 && bytes)
		return bytes(data, size, max_size);
	return out ? out : size;
}

size_t smut_crossover(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out,
		      size_t max_size, uint64_t seed)
{
	struct rng r = { seed };
	decode(&cur, a, a_len);
	decode(&other, b, b_len);
	switch (below(&r, 3)) {
	case 0: { /* b's modules (as many as a has, or all of b's) */
		uint32_t n = other.nmodules > cur.nmodules ? other.nmodules : cur.nmodules;
		for (uint32_t i = 0; i < other.nmodules; i++)
			cur.modules[i] = other.modules[i];
		cur.nmodules = (uint8_t)n;
		if (mode == SMUT_DRIVERS) /* a driver loads once: cut at the first repeat */
			for (uint32_t i = other.nmodules; i < cur.nmodules; i++)
				for (uint32_t j = 0; j < i; j++)
					if (cur.modules[i].driver == cur.modules[j].driver)
						cur.nmodules = (uint8_t)i;
		break;
	}
	case 1: { /* one of b's threads replaces that thread of a */
		uint8_t t = (uint8_t)below(&r, other.nthreads);
		uint32_t k = 0;
		for (uint32_t i = 0; i < cur.nops; i++)
			if (cur.ops[i].thread != t)
				cur.ops[k++] = cur.ops[i];
		cur.nops = (uint8_t)k;
		for (uint32_t i = 0; i < other.nops && cur.nops < SCN_OPS_MAX; i++)
			if (other.ops[i].thread == t) {
				struct scn_op op = other.ops[i];
				if (scn_op_takes_module((enum scn_op_kind)op.kind)) {
					if (cur.nmodules == 0)
						continue;
					op.module %= cur.nmodules;
				}
				cur.ops[cur.nops++] = op;
			}
		if (t >= cur.nthreads)
			cur.nthreads = (uint8_t)(t + 1u);
		break;
	}
	default: { /* a's choice bytes up to a point, then b's from a point */
		uint32_t cut_a = below(&r, cur.sched_len + 1u), cut_b = below(&r, other.sched_len + 1u);
		uint32_t n = other.sched_len - cut_b;
		if (cut_a + n > SCN_SCHED_BYTES_MAX)
			n = SCN_SCHED_BYTES_MAX - cut_a;
		memcpy(&cur.sched_bytes[cut_a], &other.sched_bytes[cut_b], n);
		cur.sched_len = cut_a + n;
		cur.sched = SCHED_BYTES;
		cur.pct_depth = 3;
		break;
	}
	}
	size_t n = encode_fit(&cur, out, max_size);
	if (n == 0) {
		n = a_len < max_size ? a_len : max_size;
		memcpy(out, a, n);
	}
	return n;
}

/* ---- trimming ---- */

struct smut_trim {
	struct scenario cur;       /* the input as trimmed so far */
	struct scenario cand;      /* the candidate being tried */
	uint8_t out[SMUT_OUT_MAX]; /* its encoding */
	size_t out_len;
	int step, steps;           /* candidate index / count */
	uint32_t op_next;          /* next op to try removing (+1; 0 = none left) */
};

struct smut_trim *smut_trim_new(void)
{
	return calloc(1, sizeof(struct smut_trim));
}

void smut_trim_free(struct smut_trim *t)
{
	free(t);
}

static void trim_make(struct smut_trim *t)
{
	t->cand = t->cur;
	if (t->step == 0) {
		/* the canonical encoding drops ignored bits and unread bytes */
	} else if (t->op_next > 0) {
		op_delete(&t->cand, t->op_next - 1);
	} else {
		t->cand.sched_len /= 2;
	}
	size_t n = scn_encode_binary(&t->cand, t->out, sizeof t->out);
	t->out_len = n <= sizeof t->out ? n : 0;
}

int smut_trim_init(struct smut_trim *t, const uint8_t *data, size_t size)
{
	decode(&t->cur, data, size);
	int halvings = 0;
	for (uint32_t n = t->cur.sched_len; n > 0; n /= 2)
		halvings++;
	t->step = 0;
	t->steps = 1 + t->cur.nops + halvings;
	t->op_next = t->cur.nops;
	trim_make(t);
	return t->steps;
}

size_t smut_trim_candidate(struct smut_trim *t, const uint8_t **out)
{
	*out = t->out;
	return t->out_len;
}

int smut_trim_next(struct smut_trim *t, int success)
{
	if (success)
		t->cur = t->cand;
	if (t->step > 0 && t->op_next > 0)
		t->op_next--;
	t->step++;
	if (t->step < t->steps) {
		if (t->op_next == 0 && t->cur.sched_len == 0)
			t->step = t->steps; /* nothing left to cut */
		else
			trim_make(t);
	}
	return t->step;
}
