/* scenario_binary.c - the binary form for fuzzers: every byte string decodes
 * to a valid scenario (missing bytes read as 0, every field is reduced into
 * its range), and scn_encode_binary writes the bytes that decode back to the
 * same scenario. The layout is documented in docs/SCENARIO.md.
 *
 * Decoding is a projection: decode(encode(decode(b))) == decode(b). Its
 * results satisfy every invariant of the text parser (the ops are stably
 * ordered by thread, names are the generated C<i>/P<i>/T<i>, values are in
 * range, pct_depth is 3 unless the schedule is PCT), so they also print and
 * parse back unchanged.
 */
#include "scenario/scenario.h"

#include <stddef.h>
#include <string.h>

#include "core/assert.h"

#define STEPS_UNIT 256u
#define STEPS_UNITS_MAX (SCN_STEPS_MAX / STEPS_UNIT) /* 39062: stays within the text form's range */
#define PCT_DEPTH_DEFAULT 3

_Static_assert(SCN_NPIS_MAX <= 4, "npi has 2 bits");
_Static_assert(CHARS_COUNT <= 8, "chars has 3 bits");
_Static_assert(SCN_THREADS_MAX <= 8, "an op's thread has 3 bits");
_Static_assert(SCN_IRQL_MAX <= 31 && HSEL_COUNT <= 32, "an op's arg has 5 bits");
_Static_assert(UNLOAD_COUNT <= 16 && FLAG_ALL <= 0xf, "unload and flags share a byte");
_Static_assert(CHOICE_PCT_DEPTH_MAX <= 16, "pct depth - 1 has 4 bits");
_Static_assert(SCN_MODULES_MAX <= 255 && SCN_OPS_MAX <= 255, "counts are bytes");

/* The most bytes the scenario part can take: header, modules, op count,
 * ops, seed. decode reads them from a zero-padded copy, so missing bytes
 * read as 0 without a bounds check per byte. */
#define HEAD_BYTES_MAX (8u + 4u * SCN_MODULES_MAX + 1u + 3u * SCN_OPS_MAX + 8u)

struct rd {
	uint8_t buf[HEAD_BYTES_MAX]; /* the input's first bytes, zero past its end */
	unsigned pos;                /* bytes read (may pass the input's length) */
};

static inline uint8_t rd8(struct rd *r)
{
	SIM_ASSERT_LT(r->pos, HEAD_BYTES_MAX, "the decoder reads within the header bytes");
	return r->buf[r->pos++];
}

/* x % n for x < 256 and 1 <= n <= 255, given m = ceil(2^16 / n), without a
 * division (the two per op were a tenth of a decode): x * m / 2^16 exceeds
 * x / n by less than 1/256 <= 1/n, so its floor is the quotient. Exact for
 * every such x and n (checked exhaustively; test_scenario checks the ops). */
static inline unsigned mod8_magic(unsigned n)
{
	return 0xffffu / n + 1u;
}

static inline unsigned mod8(unsigned x, unsigned n, unsigned m)
{
	return x - ((x * m) >> 16) * n;
}

static void sort_ops_by_thread(struct scenario *s)
{
	for (unsigned i = 1; i < s->nops; i++) {
		struct scn_op op = s->ops[i];
		unsigned j = i;
		for (; j > 0 && s->ops[j - 1].thread > op.thread; j--)
			s->ops[j] = s->ops[j - 1];
		s->ops[j] = op;
	}
}

int scn_driver_unused(const struct scenario *s, unsigned nmodules, unsigned want)
{
	unsigned n = image_count();
	for (unsigned k = 0; k < n; k++) {
		unsigned d = (want + k) % n;
		bool used = false;
		for (unsigned j = 0; j < nmodules; j++)
			used |= s->modules[j].kind == MODULE_DRIVER && s->modules[j].driver == d;
		if (!used)
			return (int)d;
	}
	return -1;
}

void scn_module_set_driver(struct scn_module *m, unsigned d)
{
	memset(m, 0, sizeof *m);
	m->kind = MODULE_DRIVER;
	m->driver = (uint8_t)d;
	const struct image_rec *img = image_get(d);
	const char *name = img ? img->name : "?";
	memcpy(m->name, name, strnlen(name, SCN_NAME_MAX - 1)); /* NUL from the memset */
}

/* A driver module: the driver index, moved on to the next driver not yet in
 * the scenario (a driver image loads once). Returns false when every linked
 * driver is taken. Distinct indices decode to themselves, so encoding and
 * decoding again gives the same drivers. */
static bool pick_driver(struct scenario *s, unsigned i, unsigned want)
{
	int d = scn_driver_unused(s, i, want);
	if (d < 0)
		return false;
	scn_module_set_driver(&s->modules[i], (unsigned)d);
	return true;
}

/* scn_init(s) without its cost: the struct is about 136 KB, nearly all of
 * it choices[], which the binary form never fills, and zeroing it on every
 * decode was a fifth of a fuzzing run. Everything else is reset as scn_init
 * does (sched_bytes is cleared by decode past the bytes it copies);
 * choices[] keeps whatever it held, which nothing reads: nchoices is 0 and
 * only the first nchoices entries mean anything (run.c replays
 * s->choices[0, nchoices), the printer prints those). A struct that only
 * ever receives decodes (or starts zeroed, as statics do) keeps choices[]
 * all zero. */
_Static_assert(offsetof(struct scenario, nchoices) == offsetof(struct scenario, sched_bytes) + SCN_SCHED_BYTES_MAX &&
		       offsetof(struct scenario, choices) == offsetof(struct scenario, nchoices) + sizeof(uint32_t) &&
		       offsetof(struct scenario, has_hash) ==
			       offsetof(struct scenario, choices) + sizeof(struct choice_rec) * SCN_CHOICES_MAX,
	       "init_but_choices: sched_bytes, nchoices, choices, has_hash follow each other without padding");

static void init_but_choices(struct scenario *s)
{
	memset(s, 0, offsetof(struct scenario, sched_bytes));
	s->nchoices = 0;
	size_t tail = offsetof(struct scenario, has_hash);
	memset((char *)s + tail, 0, sizeof *s - tail);
	s->nthreads = 1;
	memcpy(s->thread_names[0], "T0", 3);
	s->workers = 1;
	s->io_workers = 1;
	s->steps_max = STEPS_DEFAULT;
	s->sched = SCHED_BYTES;
	s->pct_depth = PCT_DEPTH_DEFAULT;
	s->registrar = REGISTRAR_MODEL;
	s->expect = EXPECT_NONE;
}

static void decode(struct scenario *s, const uint8_t *data, size_t len, bool drivers_only, bool clear_tail)
{
	if (!data)
		len = 0;
	struct rd r;
	size_t head = len < HEAD_BYTES_MAX ? len : HEAD_BYTES_MAX;
	if (head)
		memcpy(r.buf, data, head);
	memset(r.buf + head, 0, HEAD_BYTES_MAX - head);
	r.pos = 0;
	init_but_choices(s);
	unsigned ndrivers = image_count();

	s->nmodules = (uint8_t)(rd8(&r) % (SCN_MODULES_MAX + 1));
	if (drivers_only && s->nmodules > ndrivers)
		s->nmodules = (uint8_t)ndrivers;
	s->nthreads = (uint8_t)(rd8(&r) % SCN_THREADS_MAX + 1);
	uint8_t b = rd8(&r);
	s->workers = (uint8_t)((b & 3u) % (NMR_WORKERS_MAX + 1));
	s->sched = (uint8_t)(((b >> 2) & 3u) % 3); /* bytes, seed, pct */
	if (s->sched == SCHED_PCT) {
		unsigned depth = (b >> 4) + 1u;
		s->pct_depth = (uint8_t)(depth > CHOICE_PCT_DEPTH_MAX ? CHOICE_PCT_DEPTH_MAX : depth);
	}
	/* The byte stays in the layout, but a binary input always runs the
	 * model: the planted-bug registrars exist to test the oracle (text
	 * scenarios name them), and a fuzzer would otherwise "find" them on
	 * most inputs. */
	uint8_t env = rd8(&r);
	s->time_jumps = env & 1u;   /* bit 0 */
	s->swarm = (env >> 1) & 1u; /* bit 1 */
	s->races = (env >> 2) & 1u; /* bit 2 */
	s->io_workers = (uint8_t)(1u + ((env >> 3) & 1u)); /* bit 3: two I/O workers */
	s->atomics_preempt = (env >> 4) & 1u; /* bit 4: atomics preempt (no stored input sets it); bits 5-7 ignored */
	s->registrar = REGISTRAR_MODEL;
	s->fault_num = rd8(&r);
	s->fault_den = rd8(&r);
	if (s->fault_num > s->fault_den)
		s->fault_num = s->fault_den;
	unsigned units = rd8(&r);
	units |= (unsigned)rd8(&r) << 8;
	if (units)
		s->steps_max = (units > STEPS_UNITS_MAX ? STEPS_UNITS_MAX : units) * STEPS_UNIT;
	/* Hosted drivers run real code: a budget below the default ends a
	 * correct run that was still making progress (ops left to play) as
	 * L02, a false alarm fuzz_drivers found on correct drivers within
	 * minutes (512 steps for 7 drivers). The field only raises it. */
	if (drivers_only && s->steps_max < STEPS_DEFAULT)
		s->steps_max = STEPS_DEFAULT;

	for (unsigned i = 0; i < s->nmodules; i++) {
		struct scn_module *m = &s->modules[i];
		b = rd8(&r);
		m->kind = MODULE_SCRIPTED;
		m->role = b & 1u;
		m->npi = (uint8_t)(((b >> 1) & 3u) % SCN_NPIS_MAX);
		m->chars = (uint8_t)(((b >> 3) & 7u) % CHARS_COUNT);
		uint8_t driver_byte = rd8(&r);
		m->attach = (uint8_t)(driver_byte % ATTACH_COUNT);
		m->detach = (uint8_t)(rd8(&r) % DETACH_COUNT);
		b = rd8(&r);
		m->unload = (uint8_t)((b & 0xfu) % UNLOAD_COUNT);
		m->flags = (uint8_t)((b >> 4) & FLAG_ALL);
		if (drivers_only && pick_driver(s, i, driver_byte))
			continue;
		m->name[0] = m->role == ROLE_PROVIDER ? 'P' : 'C';
		unsigned d = 1;
		for (unsigned v = i; v >= 10; v /= 10)
			d++;
		for (unsigned v = i, k = d; k > 0; v /= 10, k--)
			m->name[k] = (char)('0' + v % 10);
	}
	for (unsigned t = 1; t < s->nthreads; t++) {
		s->thread_names[t][0] = 'T';
		s->thread_names[t][1] = (char)('0' + t); /* SCN_THREADS_MAX <= 8 */
	}

	s->nops = (uint8_t)(rd8(&r) % (SCN_OPS_MAX + 1));
	unsigned mod_m = mod8_magic(s->nmodules ? s->nmodules : 1), thread_m = mod8_magic(s->nthreads);
	for (unsigned i = 0; i < s->nops; i++) {
		struct scn_op *op = &s->ops[i];
		enum scn_op_kind k = (enum scn_op_kind)(rd8(&r) % SCN_OP_BINARY_KINDS);
		b = rd8(&r);
		uint8_t mod = rd8(&r);
		unsigned arg = b >> 3;
		if (k == OP_YIELD && mod) {
			k = OP_SLEEP; /* a yield with a duration */
			arg = mod;
		}
		if (scn_op_takes_module(k) && s->nmodules == 0)
			k = OP_YIELD; /* nothing to name: a harmless scheduling point */
		uint8_t module = scn_op_takes_module(k) ? (uint8_t)mod8(mod, s->nmodules, mod_m) : 0;
		/* Drivers take load and unload only; scripted modules all but load. */
		if (scn_op_takes_module(k) && s->modules[module].kind == MODULE_DRIVER && !scn_op_fits(k, MODULE_DRIVER))
			k = k % 2 ? OP_UNLOAD : OP_LOAD;
		else if (k == OP_LOAD && s->modules[module].kind != MODULE_DRIVER)
			k = OP_REGISTER;
		op->kind = (uint8_t)k;
		op->thread = (uint8_t)mod8(b & 7u, s->nthreads, thread_m);
		op->module = module;
		op->arg = k == OP_IRQL || k == OP_SLEEP ? (uint8_t)arg : scn_op_takes_handle(k) ? (uint8_t)(arg % HSEL_COUNT) : 0;
	}
	sort_ops_by_thread(s);
	scn_unload_unreachable_to_yield(s);

	if (s->sched == SCHED_SEED || s->sched == SCHED_PCT) {
		for (unsigned i = 0; i < 8; i++)
			s->seed |= (uint64_t)rd8(&r) << (8 * i);
	} else {
		size_t rest = len > r.pos ? len - r.pos : 0;
		s->sched_len = (uint32_t)(rest > SCN_SCHED_BYTES_MAX ? SCN_SCHED_BYTES_MAX : rest);
		if (s->sched_len)
			memcpy(s->sched_bytes, data + r.pos, s->sched_len);
	}
	/* The bytes past sched_len are zero, as after scn_init (4 KB: a
	 * twentieth of a fuzzing run under ASan, so the fuzz targets skip it). */
	if (clear_tail)
		memset(s->sched_bytes + s->sched_len, 0, SCN_SCHED_BYTES_MAX - s->sched_len);
}

void scn_decode_binary(struct scenario *s, const uint8_t *data, size_t len)
{
	decode(s, data, len, false, true);
}

void scn_decode_binary_drivers(struct scenario *s, const uint8_t *data, size_t len)
{
	decode(s, data, len, true, true);
}

void scn_decode_binary_to_run(struct scenario *s, const uint8_t *data, size_t len, bool drivers)
{
	decode(s, data, len, drivers, false);
}

struct wr {
	uint8_t *p;
	size_t cap, len;
};

static void wr8(struct wr *w, unsigned v)
{
	if (w->len < w->cap)
		w->p[w->len] = (uint8_t)v;
	w->len++;
}

size_t scn_encode_binary(const struct scenario *s, uint8_t *out, size_t cap)
{
	struct wr w = { out, out ? cap : 0, 0 };
	unsigned nmodules = s->nmodules > SCN_MODULES_MAX ? SCN_MODULES_MAX : s->nmodules;
	unsigned nops = s->nops > SCN_OPS_MAX ? SCN_OPS_MAX : s->nops;
	unsigned sched = s->sched == SCHED_SEED || s->sched == SCHED_PCT ? s->sched : SCHED_BYTES;
	unsigned depth = s->pct_depth < 1 ? 1 : s->pct_depth > CHOICE_PCT_DEPTH_MAX ? CHOICE_PCT_DEPTH_MAX : s->pct_depth;

	wr8(&w, nmodules);
	wr8(&w, s->nthreads ? s->nthreads - 1u : 0);
	wr8(&w, (s->workers & 3u) | sched << 2 | (depth - 1u) << 4);
	/* registrar: binary inputs always run the model; bit 0: time jumps, bit 1: swarm, bit 2: races,
	 * bit 3: two I/O workers, bit 4: atomics preempt */
	wr8(&w, (s->time_jumps ? 1u : 0u) | (s->swarm ? 2u : 0u) | (s->races ? 4u : 0u) | (s->io_workers > 1 ? 8u : 0u) |
			(s->atomics_preempt ? 16u : 0u));
	wr8(&w, s->fault_num);
	wr8(&w, s->fault_den);
	unsigned units = 0;
	if (s->steps_max != STEPS_DEFAULT) {
		units = (s->steps_max + STEPS_UNIT - 1) / STEPS_UNIT; /* rounded up */
		units = units < 1 ? 1 : units > STEPS_UNITS_MAX ? STEPS_UNITS_MAX : units;
	}
	wr8(&w, units & 0xffu);
	wr8(&w, units >> 8);

	for (unsigned i = 0; i < nmodules; i++) {
		const struct scn_module *m = &s->modules[i];
		if (m->kind == MODULE_DRIVER) {
			wr8(&w, 0x40u);
			wr8(&w, m->driver);
			wr8(&w, 0);
			wr8(&w, 0);
			continue;
		}
		wr8(&w, (m->role & 1u) | (m->npi & 3u) << 1 | (m->chars & 7u) << 3);
		wr8(&w, m->attach);
		wr8(&w, m->detach);
		wr8(&w, (m->unload & 0xfu) | (m->flags & FLAG_ALL) << 4);
	}

	wr8(&w, nops);
	for (unsigned i = 0; i < nops; i++) {
		const struct scn_op *op = &s->ops[i];
		if (op->kind == OP_SLEEP) {
			wr8(&w, OP_YIELD);
			wr8(&w, op->thread & 7u);
			wr8(&w, op->arg ? op->arg : 1u);
			continue;
		}
		wr8(&w, op->kind);
		wr8(&w, (op->thread & 7u) | (op->arg & 31u) << 3);
		wr8(&w, op->module);
	}

	if (sched == SCHED_SEED || sched == SCHED_PCT) {
		for (unsigned i = 0; i < 8; i++)
			wr8(&w, (unsigned)(s->seed >> (8 * i)) & 0xffu);
	} else if (s->sched == SCHED_BYTES) {
		for (uint32_t i = 0; i < s->sched_len && i < SCN_SCHED_BYTES_MAX; i++)
			wr8(&w, s->sched_bytes[i]);
	}
	return w.len;
}
