/* nmr_api.c - the Nmr* entry points and callback delivery: where the engine
 * observes the registrar boundary. Every entry point is a scheduling point;
 * every crossing is an event. */
#include "nmr/nmr.h"

#include <stddef.h>
#include <string.h>

#include "core/assert.h"
#include "host/drvmem.h"
#include "host/host.h"
#include "kernel/kernel.h"
#include "trace/trace.h"

struct nmr_front *nmr_front_current;

void nmr_front_init(struct nmr_front *f, const struct nmr_registrar_ops *ops, void *impl, struct sched *s)
{
	/* Per run: copies are read only below chars_used (zeroed here), so
	 * they are not cleared (they were most of a run's setup stores). */
	memset(f, 0, offsetof(struct nmr_front, chars_copy));
	f->chars_next = 0;
	f->ops = ops;
	f->impl = impl;
	f->sched = s;
}

/* ---- characteristics: malformation bits and a build-independent digest ---- */

static const NPI_REGISTRATION_INSTANCE *chars_instance(enum nmr_role role, const void *chars)
{
	if (role == NMR_CLIENT)
		return &((const NPI_CLIENT_CHARACTERISTICS *)chars)->ClientRegistrationInstance;
	return &((const NPI_PROVIDER_CHARACTERISTICS *)chars)->ProviderRegistrationInstance;
}

/* Whether the engine may read the characteristics and the IDs they point to
 * (drvmem.h): the first reason it may not, DRVMEM_OK if it may. */
static enum drvmem_state chars_check(enum nmr_role role, const void *chars)
{
	size_t n = role == NMR_CLIENT ? sizeof(NPI_CLIENT_CHARACTERISTICS) : sizeof(NPI_PROVIDER_CHARACTERISTICS);
	enum drvmem_state st = drvmem_check(chars, n);
	if (st != DRVMEM_OK)
		return st;
	const NPI_REGISTRATION_INSTANCE *ri = chars_instance(role, chars);
	if (ri->NpiId && (st = drvmem_check(ri->NpiId, sizeof(NPIID))) != DRVMEM_OK)
		return st;
	if (ri->ModuleId && (st = drvmem_check(ri->ModuleId, sizeof(NPI_MODULEID))) != DRVMEM_OK)
		return st;
	return DRVMEM_OK;
}

static enum drvmem_state chars_state(enum nmr_role role, const void *chars)
{
	struct nmr_front *f = nmr_front_current;
	if (!f || !f->chars_memo.on || f->chars_memo.step != f->sched->step)
		return chars_check(role, chars);
	if (f->chars_memo.chars != chars || f->chars_memo.role != (uint8_t)role) {
		f->chars_memo.chars = chars;
		f->chars_memo.role = (uint8_t)role;
		f->chars_memo.engine = f->engine_chars && f->engine_chars(f->engine_chars_ctx, role, chars);
		f->chars_memo.state = (uint8_t)(f->chars_memo.engine ? DRVMEM_OK : chars_check(role, chars));
	}
	return (enum drvmem_state)f->chars_memo.state;
}

uint32_t nmr_chars_bad(enum nmr_role role, const void *chars)
{
	uint32_t bad = 0;
	if (!chars || chars_state(role, chars) != DRVMEM_OK)
		return CHARS_BAD_VERSION_BIT | CHARS_BAD_LENGTH_BIT | CHARS_BAD_ATTACH_BIT |
		       CHARS_BAD_DETACH_BIT | CHARS_BAD_NPIID_BIT | CHARS_BAD_MODULEID_BIT;
	const NPI_REGISTRATION_INSTANCE *ri = chars_instance(role, chars);
	if (role == NMR_CLIENT) {
		const NPI_CLIENT_CHARACTERISTICS *c = chars;
		if (c->Version != 0)
			bad |= CHARS_BAD_VERSION_BIT;
		if (c->Length < sizeof(*c))
			bad |= CHARS_BAD_LENGTH_BIT;
		if (!c->ClientAttachProvider)
			bad |= CHARS_BAD_ATTACH_BIT;
		if (!c->ClientDetachProvider)
			bad |= CHARS_BAD_DETACH_BIT;
	} else {
		const NPI_PROVIDER_CHARACTERISTICS *p = chars;
		if (p->Version != 0)
			bad |= CHARS_BAD_VERSION_BIT;
		if (p->Length < sizeof(*p))
			bad |= CHARS_BAD_LENGTH_BIT;
		if (!p->ProviderAttachClient)
			bad |= CHARS_BAD_ATTACH_BIT;
		if (!p->ProviderDetachClient)
			bad |= CHARS_BAD_DETACH_BIT;
	}
	if (ri->Size < sizeof(*ri))
		bad |= CHARS_BAD_LENGTH_BIT;
	/* Not M02: documented as 0, but Windows binds a module whatever its
	 * instance's Version (drivers put their NPI's version there): M22. */
	if (ri->Version != 0)
		bad |= CHARS_BAD_RI_VERSION_BIT;
	if (!ri->NpiId)
		bad |= CHARS_BAD_NPIID_BIT;
	if (!ri->ModuleId)
		bad |= CHARS_BAD_MODULEID_BIT;
	return bad;
}

/* The digest mixes 64-bit words built from the fields (as the trace hash
 * does, sim/trace/trace.c): a handful of multiplies instead of one per byte (the
 * byte-wise FNV-1a here was a tenth of a fuzzing run), and GUIDs by field,
 * so the value does not depend on the host's byte order. */
static inline uint64_t digest_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

static inline uint64_t digest_guid(uint64_t h, const GUID *g)
{
	uint64_t lo = (uint64_t)g->Data1 | (uint64_t)g->Data2 << 32 | (uint64_t)g->Data3 << 48;
	/* Data4 little-endian, written out: compilers make this one load (the
	 * loop form stayed eight, and the digest runs at every callback). */
	const unsigned char *d = g->Data4;
	uint64_t hi = (uint64_t)d[0] | (uint64_t)d[1] << 8 | (uint64_t)d[2] << 16 | (uint64_t)d[3] << 24 |
		      (uint64_t)d[4] << 32 | (uint64_t)d[5] << 40 | (uint64_t)d[6] << 48 | (uint64_t)d[7] << 56;
	return digest_word(digest_word(h, lo), hi);
}

static uint32_t chars_digest(enum nmr_role role, const void *chars);

uint32_t nmr_chars_digest(enum nmr_role role, const void *chars)
{
	if (!chars)
		return 2166136261u;
	enum drvmem_state st = chars_state(role, chars);
	if (st != DRVMEM_OK)
		return 0x0bad0000u | (uint32_t)st; /* not readable: never a real digest's match by design */
	return chars_digest(role, chars);
}

/* The digest of characteristics known to be readable. */
static uint32_t chars_digest(enum nmr_role role, const void *chars)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const NPI_REGISTRATION_INSTANCE *ri = chars_instance(role, chars);
	const USHORT *vl = chars; /* Version, Length lead both structures */
	/* Callback and NpiSpecificCharacteristics pointers count by presence
	 * only: their values differ between builds and would break determinism. */
	const void *const *cbs = (const void *const *)((const unsigned char *)chars + offsetof(NPI_CLIENT_CHARACTERISTICS, ClientAttachProvider));
	uint64_t present = (uint64_t)(cbs[0] != NULL) | (uint64_t)(cbs[1] != NULL) << 1 | (uint64_t)(cbs[2] != NULL) << 2 |
			   (uint64_t)(ri->NpiSpecificCharacteristics != NULL) << 3 | (uint64_t)(ri->NpiId != NULL) << 4 |
			   (uint64_t)(ri->ModuleId != NULL) << 5;
	h = digest_word(h, (uint64_t)vl[0] | (uint64_t)vl[1] << 16 | present << 32);
	h = digest_word(h, (uint64_t)ri->Version | (uint64_t)ri->Size << 16 | (uint64_t)(uint32_t)ri->Number << 32);
	if (ri->NpiId)
		h = digest_guid(h, ri->NpiId);
	if (ri->ModuleId) {
		h = digest_word(h, (uint64_t)ri->ModuleId->Length | (uint64_t)(uint32_t)ri->ModuleId->Type << 32);
		h = digest_guid(h, &ri->ModuleId->Guid);
	}
	return (uint32_t)(h ^ (h >> 32));
}

uint8_t nmr_front_npi_index(struct nmr_front *f, const NPIID *npi)
{
	if (!npi)
		return EV_NONE8;
	for (uint32_t i = 0; i < f->nnpis; i++)
		if (memcmp(&f->npis[i], npi, sizeof(*npi)) == 0)
			return (uint8_t)i;
	if (f->nnpis == NMR_NPIS_MAX)
		return NMR_NPIS_MAX - 1;
	f->npis[f->nnpis] = *npi;
	return (uint8_t)f->nnpis++;
}

/* ---- characteristics kept by the engine ---- */

/* At NmrRegister*: keep a copy (with the IDs they point to) for when the
 * driver does not keep them valid. */
static void chars_keep(struct nmr_front *f, enum nmr_role role, const void *chars, uint8_t module)
{
	if (!chars || chars_state(role, chars) != DRVMEM_OK)
		return;
	struct nmr_chars_copy *c = NULL;
	/* This registration's copy, else the first unused one: entries are
	 * taken in order and never given back within a run, so none matches
	 * past the first unused. */
	for (uint32_t i = 0; i < f->chars_used && !c; i++)
		if (f->chars_copy[i].original == chars && f->chars_copy[i].module == module &&
		    f->chars_copy[i].role == role)
			c = &f->chars_copy[i];
	if (!c && f->chars_used < NMR_CHARS_COPIES)
		c = &f->chars_copy[f->chars_used++];
	if (!c)
		c = &f->chars_copy[f->chars_next++ % NMR_CHARS_COPIES];
	c->original = chars;
	c->module = module;
	c->role = (uint8_t)role;
	const NPI_REGISTRATION_INSTANCE *dri = chars_instance(role, chars);
	/* chars_state above left them in the memo (register_common turned it on). */
	bool engine = f->chars_memo.on && f->chars_memo.chars == chars && f->chars_memo.role == (uint8_t)role
			      ? f->chars_memo.engine : f->engine_chars && f->engine_chars(f->engine_chars_ctx, role, chars);
	int th = -1; /* the engine's own characteristics and IDs lie in no thread's stack */
	if (!engine) {
		th = drvmem_stack_thread(chars, role == NMR_CLIENT ? sizeof c->chars.client : sizeof c->chars.provider);
		if (th < 0 && dri->NpiId)
			th = drvmem_stack_thread(dri->NpiId, sizeof(NPIID));
		if (th < 0 && dri->ModuleId)
			th = drvmem_stack_thread(dri->ModuleId, sizeof(NPI_MODULEID));
	}
	c->stack_thread = (int8_t)th;
	c->npi_ptr = dri->NpiId;
	c->module_ptr = dri->ModuleId;
	/* A scripted module's characteristics are the engine's own memory, valid
	 * for the whole run: read without checks (fuzz_scenario's hot path); a
	 * hosted driver's are read without checks only from its static data. */
	bool engine_owned = !(host_current && module < host_current->scn->nmodules &&
			      host_current->scn->modules[module].kind == MODULE_DRIVER);
	c->stable = th < 0 &&
		    (engine_owned ||
		     (drvmem_static(chars, role == NMR_CLIENT ? sizeof c->chars.client : sizeof c->chars.provider) &&
		      (!dri->NpiId || drvmem_static(dri->NpiId, sizeof(NPIID))) &&
		      (!dri->ModuleId || drvmem_static(dri->ModuleId, sizeof(NPI_MODULEID)))));
	c->stack_depth = 0;
	c->stack_serial = 0;
	if (th >= 0 && kernel_current) {
		const struct kernel_thread *kt = &kernel_current->threads[th];
		c->stack_depth = kt->depth;
		if (kt->depth > 0 && kt->depth <= KERNEL_FRAMES_MAX)
			c->stack_serial = kt->frames[kt->depth - 1].serial;
	}
	memcpy(&c->chars, chars, role == NMR_CLIENT ? sizeof c->chars.client : sizeof c->chars.provider);
	NPI_REGISTRATION_INSTANCE *ri = role == NMR_CLIENT ? &c->chars.client.ClientRegistrationInstance
							   : &c->chars.provider.ProviderRegistrationInstance;
	if (ri->NpiId) {
		c->npi_id = *ri->NpiId;
		ri->NpiId = &c->npi_id;
	}
	if (ri->ModuleId) {
		c->module_id = *ri->ModuleId;
		ri->ModuleId = &c->module_id;
	}
}

/* Characteristics on a stack: the frame that registered them still runs. */
static bool stack_frame_live(const struct nmr_chars_copy *c)
{
	const struct kernel *k = kernel_current;
	if (c->stack_thread < 0 || !k)
		return true;
	const struct kernel_thread *kt = &k->threads[c->stack_thread];
	if (kt->depth < c->stack_depth)
		return false;
	return c->stack_depth == 0 || c->stack_depth > KERNEL_FRAMES_MAX ||
	       kt->frames[c->stack_depth - 1].serial == c->stack_serial;
}

/* chars_of when they are not readable: M03, and what NMR would read
 * instead. Out of line: chars_of runs at every callback, this almost never. */
static __attribute__((noinline, cold)) const void *chars_unreadable(const struct nmr_reg *r, const struct nmr_chars_copy *c,
								      enum drvmem_state st)
{
	enum nmr_role role = (enum nmr_role)r->role;
	struct kernel *k = kernel_current;
	if (k && k->oracle) {
		char detail[160], nb[8];
		snprintf(detail, sizeof detail,
			 "characteristics of %s's registration 0x%08x now lie in %s; NMR reads them until the "
			 "deregistration wait returns", kernel_module_name(k, r->module, nb), r->handle,
			 drvmem_describe(st));
		struct sim_thread *t = k->sched->current;
		k->oracle->last_step = k->sched->step;
		/* The oracle's own M03 signature: its digest check does not report twice. */
		oracle_report(k->oracle, RULE_M03, SITE_API, (uint8_t)(API_REGISTER_CLIENT + role), r->module,
			      t ? t->id : EV_NONE8, EV_NONE16, r->handle, detail);
	}
	/* No copy: never readable at all (the model refused the registration)
	 * or more registrations in this run than copies; NMR would read them. */
	return c ? (const void *)&c->chars : r->chars;
}

static inline bool copy_of(const struct nmr_chars_copy *c, const struct nmr_reg *r) { return c->original == r->chars && c->module == r->module && c->role == r->role; }

/* What NMR reads of r's chars now: its own while readable, else M03 and the copy kept. */
static const void *chars_of(const struct nmr_reg *r)
{
	enum nmr_role role = (enum nmr_role)r->role;
	struct nmr_front *f = nmr_front_current;
	const struct nmr_chars_copy *c = NULL;
	uint32_t hint = r->chars_copy - 1u; /* at most one copy matches (chars_keep reuses it) */
	if (f && hint < f->chars_used && copy_of(&f->chars_copy[hint], r))
		c = &f->chars_copy[hint];
	for (uint32_t i = 0; f && i < f->chars_used && !c; i++)
		if (copy_of(&f->chars_copy[i], r))
			c = &f->chars_copy[i], ((struct nmr_reg *)r)->chars_copy = (uint8_t)(i + 1); /* regs are never const */
	/* Static data (the usual place) stays readable: no checks while the
	 * ID pointers are the ones registered. */
	if (c && c->stable) {
		const NPI_REGISTRATION_INSTANCE *ri = chars_instance(role, r->chars);
		if (ri->NpiId == c->npi_ptr && ri->ModuleId == c->module_ptr)
			return r->chars;
	}
	enum drvmem_state st = chars_state(role, r->chars);
	if (st == DRVMEM_OK && c && !stack_frame_live(c))
		st = DRVMEM_DEAD_STACK;
	if (st == DRVMEM_OK)
		return r->chars;
	return chars_unreadable(r, c, st);
}

/* ---- events ---- */

static uint8_t caller_module(const struct sched *s)
{
	return s->current ? s->current->module : EV_NONE8;
}

static void api_event(struct sched *s, enum ev_kind kind, enum nmr_api api, uint32_t handle, int32_t status)
{
	struct event e = { .kind = (uint8_t)kind, .what = (uint8_t)api, .module = caller_module(s),
			   .peer = EV_NONE8, .binding = EV_NONE16, .handle = handle, .status = status };
	sched_emit(s, &e);
}

/* The driver's call site on the enter event just emitted (timeline notes, not hashed). */
static void note_site(struct sched *s, uintptr_t site)
{
	struct trace_note *note = trace_last_note(s->trace);
	if (note)
		note->site = site;
}
#define CALL_SITE ((uintptr_t)__builtin_return_address(0))

static struct nmr_front *front(void)
{
	SIM_ASSERT(nmr_front_current != NULL, "Nmr* routines are called inside a simulation run");
	return nmr_front_current;
}

/* ---- the entry points ---- */

/* The values behind the malformed-field bits, for the oracle's reasons
 * (struct oracle_chars_note); only for characteristics it may read. */
static void chars_note(struct oracle *o, enum nmr_role role, const void *chars)
{
	const USHORT *vl = chars; /* Version, Length lead both structures */
	const NPI_REGISTRATION_INSTANCE *ri = chars_instance(role, chars);
	o->chars_note = (struct oracle_chars_note){
		.valid = true,
		.version = vl[0],
		.length = vl[1],
		.length_min = role == NMR_CLIENT ? sizeof(NPI_CLIENT_CHARACTERISTICS) : sizeof(NPI_PROVIDER_CHARACTERISTICS),
		.ri_version = ri->Version,
		.ri_size = ri->Size,
		.ri_size_min = sizeof(NPI_REGISTRATION_INSTANCE),
	};
}

static NTSTATUS register_common(enum nmr_role role, const void *chars, PVOID context, PHANDLE handle, uintptr_t site)
{
	struct nmr_front *f = front();
	struct sched *s = f->sched;
	enum nmr_api api = role == NMR_CLIENT ? API_REGISTER_CLIENT : API_REGISTER_PROVIDER;
	sched_point(s);
	f->chars_memo.on = true; /* until driver code can run (nmr.h) */
	f->chars_memo.step = s->step;
	f->chars_memo.chars = NULL;
	uint8_t npi = EV_NONE8;
	if (chars && chars_state(role, chars) == DRVMEM_OK)
		npi = nmr_front_npi_index(f, chars_instance(role, chars)->NpiId);
	chars_keep(f, role, chars, caller_module(s));
	struct event e = { .kind = EV_API_ENTER, .what = (uint8_t)api, .module = caller_module(s), .peer = npi,
			   .binding = EV_NONE16, .arg = nmr_chars_bad(role, chars),
			   .aux = nmr_chars_digest(role, chars) };
	struct oracle *o = kernel_current ? kernel_current->oracle : NULL;
	if (o && e.arg && chars && chars_state(role, chars) == DRVMEM_OK)
		chars_note(o, role, chars);
	sched_emit(s, &e);
	note_site(s, site);
	if (o)
		o->chars_note.valid = false;
	NTSTATUS st = STATUS_INVALID_PARAMETER;
	/* The model writes the caller's variable itself: when it writes it,
	 * before or after attach callbacks, is freedom F1. */
	if (handle)
		st = f->ops->register_module(f->impl, role, chars, context, handle, caller_module(s), npi);
	f->chars_memo.on = false;
	api_event(s, EV_API_EXIT, api, NT_SUCCESS(st) && handle ? nmr_handle_value(*handle) : 0, st);
	return st;
}

NTSTATUS NmrRegisterClient(const NPI_CLIENT_CHARACTERISTICS *ClientCharacteristics, PVOID ClientContext, PHANDLE NmrClientHandle)
{
	return register_common(NMR_CLIENT, ClientCharacteristics, ClientContext, NmrClientHandle, CALL_SITE);
}

NTSTATUS NmrRegisterProvider(const NPI_PROVIDER_CHARACTERISTICS *ProviderCharacteristics, PVOID ProviderContext, PHANDLE NmrProviderHandle)
{
	return register_common(NMR_PROVIDER, ProviderCharacteristics, ProviderContext, NmrProviderHandle, CALL_SITE);
}

static NTSTATUS deregister_common(enum nmr_role role, HANDLE h, uintptr_t site)
{
	struct nmr_front *f = front();
	struct sched *s = f->sched;
	enum nmr_api api = role == NMR_CLIENT ? API_DEREGISTER_CLIENT : API_DEREGISTER_PROVIDER;
	sched_point(s);
	api_event(s, EV_API_ENTER, api, nmr_handle_value(h), 0);
	note_site(s, site);
	NTSTATUS st = f->ops->deregister(f->impl, role, h);
	api_event(s, EV_API_EXIT, api, nmr_handle_value(h), st);
	return st;
}

NTSTATUS NmrDeregisterClient(HANDLE NmrClientHandle) { return deregister_common(NMR_CLIENT, NmrClientHandle, CALL_SITE); }
NTSTATUS NmrDeregisterProvider(HANDLE NmrProviderHandle) { return deregister_common(NMR_PROVIDER, NmrProviderHandle, CALL_SITE); }

static NTSTATUS wait_common(enum nmr_role role, HANDLE h, uintptr_t site)
{
	struct nmr_front *f = front();
	struct sched *s = f->sched;
	enum nmr_api api = role == NMR_CLIENT ? API_WAIT_CLIENT : API_WAIT_PROVIDER;
	sched_point(s);
	api_event(s, EV_API_ENTER, api, nmr_handle_value(h), 0);
	note_site(s, site);
	NTSTATUS st = f->ops->wait(f->impl, role, h);
	struct event e = { .kind = EV_API_EXIT, .what = (uint8_t)api, .module = caller_module(s), .peer = EV_NONE8,
			   .binding = EV_NONE16, .handle = nmr_handle_value(h), .status = st };
	/* The digest at return lets the oracle see characteristics changed
	 * before the wait returned (M03). The model remembers the pointer. */
	if (f->ops == &nmr_model_ops) {
		const struct nmr_model *m = f->impl;
		uint32_t v = nmr_handle_value(h);
		uint32_t slot = v & 0xffu;
		if (slot < NMR_REGS_MAX && m->regs[slot].chars && (m->regs[slot].handle == v || m->regs[slot].handle == 0))
			e.aux = chars_digest(role, chars_of(&m->regs[slot]));
	}
	sched_emit(s, &e);
	return st;
}

NTSTATUS NmrWaitForClientDeregisterComplete(HANDLE NmrClientHandle) { return wait_common(NMR_CLIENT, NmrClientHandle, CALL_SITE); }
NTSTATUS NmrWaitForProviderDeregisterComplete(HANDLE NmrProviderHandle) { return wait_common(NMR_PROVIDER, NmrProviderHandle, CALL_SITE); }

NTSTATUS NmrClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientBindingContext, CONST VOID *ClientDispatch,
				 PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch)
{
	struct nmr_front *f = front();
	struct sched *s = f->sched;
	sched_point(s);
	api_event(s, EV_API_ENTER, API_CLIENT_ATTACH_PROVIDER, nmr_handle_value(NmrBindingHandle), 0);
	note_site(s, CALL_SITE);
	NTSTATUS st = STATUS_INVALID_PARAMETER;
	if (ProviderBindingContext && ProviderDispatch)
		st = f->ops->client_attach_provider(f->impl, NmrBindingHandle, ClientBindingContext, ClientDispatch,
						    ProviderBindingContext, ProviderDispatch);
	/* Inside the client's attach callback for this binding: hand the client
	 * a guarded copy of the provider's table (M18/M19 on later calls). */
	struct nmr_attaching *a = s->current ? &f->attaching[s->current->id] : NULL;
	if (st == STATUS_SUCCESS && f->guard && a && a->binding == nmr_handle_value(NmrBindingHandle))
		*ProviderDispatch = guard_wrap(f->guard, a->npi_id, 1, *ProviderDispatch, a->binding, a->slot, a->client,
					       a->provider);
	api_event(s, EV_API_EXIT, API_CLIENT_ATTACH_PROVIDER, nmr_handle_value(NmrBindingHandle), st);
	return st;
}

static void complete_common(enum nmr_role role, HANDLE b, uintptr_t site)
{
	struct nmr_front *f = front();
	struct sched *s = f->sched;
	enum nmr_api api = role == NMR_CLIENT ? API_CLIENT_DETACH_COMPLETE : API_PROVIDER_DETACH_COMPLETE;
	sched_point(s);
	api_event(s, EV_API_ENTER, api, nmr_handle_value(b), 0);
	note_site(s, site);
	f->ops->detach_complete(f->impl, role, b);
	api_event(s, EV_API_EXIT, api, nmr_handle_value(b), 0);
}

VOID NmrClientDetachProviderComplete(HANDLE NmrBindingHandle) { complete_common(NMR_CLIENT, NmrBindingHandle, CALL_SITE); }
VOID NmrProviderDetachClientComplete(HANDLE NmrBindingHandle) { complete_common(NMR_PROVIDER, NmrBindingHandle, CALL_SITE); }

/* ---- callback delivery (used by the model) ---- */

struct cb_frame {
	uint8_t saved_module; /* the thread's attribution before the callback */
	uint8_t saved_irql;   /* its IRQL before */
};

static struct cb_frame cb_enter(struct sched *s, enum nmr_cb cb, const struct nmr_reg *self, const struct nmr_reg *peer,
				uint16_t slot, uint32_t bh, uint8_t irql, uint32_t arg)
{
	struct sim_thread *t = s->current;
	struct cb_frame fr = { t->module, t->irql };
	if (nmr_front_current)
		nmr_front_current->chars_memo.on = false; /* driver code runs next */
	/* A callback never lowers the IRQL its thread already runs at. */
	if (irql > t->irql)
		sched_set_irql(s, irql);
	t->module = self->module;
	struct event e = { .kind = EV_CB_ENTER, .what = (uint8_t)cb, .module = self->module,
			   .peer = peer ? peer->module : EV_NONE8, .binding = slot, .handle = bh,
			   .reg = self->handle, .arg = arg, .aux = chars_digest((enum nmr_role)self->role, chars_of(self)),
			   .peer_reg = peer ? peer->handle : 0 };
	sched_emit(s, &e);
	return fr;
}

static void cb_exit(struct sched *s, struct cb_frame fr, enum nmr_cb cb, const struct nmr_reg *self,
		    const struct nmr_reg *peer, uint16_t slot, uint32_t bh, NTSTATUS st, uint32_t arg, uint32_t aux)
{
	struct sim_thread *t = s->current;
	struct event e = { .kind = EV_CB_EXIT, .what = (uint8_t)cb, .module = self->module,
			   .peer = peer ? peer->module : EV_NONE8, .binding = slot, .handle = bh,
			   .reg = self->handle, .status = st, .arg = arg, .aux = aux, .peer_reg = peer ? peer->handle : 0 };
	sched_emit(s, &e);
	t->module = fr.saved_module;
	if (t->irql != fr.saved_irql)
		sched_set_irql(s, fr.saved_irql);
}

NTSTATUS nmr_deliver_client_attach(struct sched *s, const struct nmr_reg *client, const struct nmr_reg *provider,
				   uint16_t slot, uint32_t bh, uint8_t irql, bool *attach_called, NTSTATUS *attach_status)
{
	struct cb_frame fr = cb_enter(s, CB_CLIENT_ATTACH, client, provider, slot, bh, irql, provider->npi);
	const NPI_CLIENT_CHARACTERISTICS *cc = chars_of(client);
	const NPI_PROVIDER_CHARACTERISTICS *pc = chars_of(provider);
	struct nmr_front *f = nmr_front_current;
	struct nmr_attaching *a = f && s->current ? &f->attaching[s->current->id] : NULL;
	struct nmr_attaching saved = a ? *a : (struct nmr_attaching){ 0 };
	if (a)
		*a = (struct nmr_attaching){ bh, slot, client->module, provider->module,
					     pc->ProviderRegistrationInstance.NpiId };
	NTSTATUS st = cc->ClientAttachProvider(nmr_handle_make(bh), client->context,
					       (PNPI_REGISTRATION_INSTANCE)&pc->ProviderRegistrationInstance);
	if (a)
		*a = saved;
	cb_exit(s, fr, CB_CLIENT_ATTACH, client, provider, slot, bh, st, *attach_called, (uint32_t)*attach_status);
	return st;
}

NTSTATUS nmr_deliver_provider_attach(struct sched *s, const struct nmr_reg *client, const struct nmr_reg *provider,
				     uint16_t slot, uint32_t bh, PVOID cbc, const void *cdisp, PVOID *pbc,
				     const void **pdisp, bool *outputs_written)
{
	/* Sentinels tell whether the provider wrote its outputs (M13). */
	static const char sentinel;
	PVOID ctx = (PVOID)&sentinel;
	const void *disp = &sentinel;
	struct cb_frame fr = cb_enter(s, CB_PROVIDER_ATTACH, provider, client, slot, bh, PASSIVE_LEVEL, client->npi);
	const NPI_CLIENT_CHARACTERISTICS *cc = chars_of(client);
	const NPI_PROVIDER_CHARACTERISTICS *pc = chars_of(provider);
	/* The provider gets a guarded copy of the client's table. */
	if (nmr_front_current && nmr_front_current->guard)
		cdisp = guard_wrap(nmr_front_current->guard, cc->ClientRegistrationInstance.NpiId, 0, cdisp, bh, slot,
				   provider->module, client->module);
	NTSTATUS st = pc->ProviderAttachClient(nmr_handle_make(bh), provider->context,
					       (PNPI_REGISTRATION_INSTANCE)&cc->ClientRegistrationInstance, cbc, cdisp,
					       &ctx, &disp);
	/* NMR hands the client exactly what the provider wrote; an output it
	 * did not write stays NULL (M13 either way). */
	bool wrote_ctx = ctx != (PVOID)&sentinel, wrote_disp = disp != (const void *)&sentinel;
	*outputs_written = wrote_ctx && wrote_disp;
	*pbc = wrote_ctx ? ctx : NULL;
	*pdisp = wrote_disp ? disp : NULL;
	cb_exit(s, fr, CB_PROVIDER_ATTACH, provider, client, slot, bh, st, *outputs_written, 0);
	return st;
}

NTSTATUS nmr_deliver_detach(struct sched *s, enum nmr_role side, const struct nmr_reg *self, const struct nmr_reg *peer,
			    uint16_t slot, uint32_t bh, void *ctx, uint8_t irql)
{
	enum nmr_cb cb = side == NMR_CLIENT ? CB_CLIENT_DETACH : CB_PROVIDER_DETACH;
	struct cb_frame fr = cb_enter(s, cb, self, peer, slot, bh, irql, 0);
	NTSTATUS st;
	const void *chars = chars_of(self);
	if (side == NMR_CLIENT)
		st = ((const NPI_CLIENT_CHARACTERISTICS *)chars)->ClientDetachProvider(ctx);
	else
		st = ((const NPI_PROVIDER_CHARACTERISTICS *)chars)->ProviderDetachClient(ctx);
	cb_exit(s, fr, cb, self, peer, slot, bh, st, 0, 0);
	return st;
}

void nmr_deliver_cleanup(struct sched *s, enum nmr_role side, const struct nmr_reg *self, const struct nmr_reg *peer,
			 uint16_t slot, uint32_t bh, void *ctx, uint8_t irql)
{
	enum nmr_cb cb = side == NMR_CLIENT ? CB_CLIENT_CLEANUP : CB_PROVIDER_CLEANUP;
	const void *chars = chars_of(self);
	void (*fn)(PVOID) = side == NMR_CLIENT
		? ((const NPI_CLIENT_CHARACTERISTICS *)chars)->ClientCleanupBindingContext
		: ((const NPI_PROVIDER_CHARACTERISTICS *)chars)->ProviderCleanupBindingContext;
	/* A NULL cleanup callback still marks the cleanup point (arg = 1), so
	 * the oracle's cleanup accounting does not depend on the module having one. */
	struct cb_frame fr = cb_enter(s, cb, self, peer, slot, bh, irql, fn == NULL);
	if (fn)
		fn(ctx);
	cb_exit(s, fr, cb, self, peer, slot, bh, 0, fn == NULL, 0);
}
