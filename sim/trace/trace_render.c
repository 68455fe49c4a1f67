/* trace_render.c - the event log as a readable per-thread timeline and as
 * Chrome/Perfetto trace-event JSON. Both are pure functions of (trace,
 * scenario): no addresses, no clocks, byte-identical output on every run. */
#include "trace/trace.h"

#include <stdarg.h>
#include <string.h>

#include "core/choice.h"
#include "core/rules.h"
#include "scenario/scenario.h"
#include "trace/names.h"

#define RENDER_THREADS 256    /* event thread ids are uint8_t */
#define RENDER_INDENT_MAX 24  /* deeper nesting is drawn at this depth */
#define RENDER_SLICES_MAX 16  /* open JSON slices tracked per thread */
#define NAME_BYTES (SCN_NAME_MAX + 8)

/* A bounded string builder: output past cap is dropped, never overrun. */
struct sbuf {
	char *p;    /* storage */
	size_t cap; /* its size incl. NUL */
	size_t len; /* bytes written, < cap */
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->len + 1 >= b->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n;
	if (b->len >= b->cap)
		b->len = b->cap - 1;
}

/* The scenario's name of module m, "#m" if the scenario has no such module. */
static const char *module_name(const struct scenario *s, unsigned m, char buf[NAME_BYTES])
{
	if (m == EV_NONE8)
		return "-";
	if (s && m < s->nmodules && m < SCN_MODULES_MAX) {
		const char *name = s->modules[m].name;
		size_t len = strnlen(name, SCN_NAME_MAX);
		if (len) {
			snprintf(buf, NAME_BYTES, "%.*s", (int)len, name);
			return buf;
		}
	}
	snprintf(buf, NAME_BYTES, "#%u", m);
	return buf;
}

static void describe_binding(struct sbuf *b, unsigned binding)
{
	binding == EV_NONE16 ? sb_printf(b, "binding -") : sb_printf(b, "binding #%u", binding);
}

static void describe_op(struct sbuf *b, const struct event *e, const struct scenario *s)
{
	char m[NAME_BYTES], lv[8];
	if (e->what >= OP_KIND_COUNT) {
		sb_printf(b, "op %u: kind %u", e->arg, e->what);
		return;
	}
	sb_printf(b, "op %u: %s", e->arg, scn_op_name((enum scn_op_kind)e->what));
	if (scn_op_takes_module((enum scn_op_kind)e->what))
		sb_printf(b, " %s", module_name(s, e->module, m));
	if (!s || e->arg >= s->nops || e->arg >= SCN_OPS_MAX || s->ops[e->arg].kind != e->what)
		return;
	const struct scn_op *op = &s->ops[e->arg];
	if (op->kind == OP_IRQL)
		sb_printf(b, " %s", irql_name(op->arg, lv));
	else if (op->kind == OP_SLEEP)
		sb_printf(b, " %ums", (unsigned)op->arg);
	else if (scn_op_takes_handle((enum scn_op_kind)op->kind) && op->arg != HSEL_OWN)
		sb_printf(b, " handle=%s", scn_handle_name((enum scn_handle)op->arg));
	if (op->kind == OP_COMPLETE && op->peer)
		sb_printf(b, " peer=%s", module_name(s, (uint8_t)(op->peer - 1), m));
}

static void describe_api(struct sbuf *b, const struct event *e, const struct scenario *s)
{
	char m[NAME_BYTES], st[16];
	const char *api = nmr_api_name((enum nmr_api)e->what);
	bool reg_api = e->what == API_REGISTER_CLIENT || e->what == API_REGISTER_PROVIDER;
	bool dereg_api = e->what >= API_DEREGISTER_CLIENT && e->what <= API_WAIT_PROVIDER;

	if (e->kind == EV_API_EXIT && nmr_api_returns_void((enum nmr_api)e->what)) {
		sb_printf(b, "<- %s returns", api);
		return;
	}
	if (e->kind == EV_API_EXIT) {
		sb_printf(b, "<- %s = %s", api, ntstatus_name(e->status, st));
		if (reg_api && e->handle)
			sb_printf(b, ", handle 0x%08x", e->handle);
		if (e->what == API_CLIENT_ATTACH_PROVIDER && e->arg)
			sb_printf(b, ", outputs written");
		return;
	}
	sb_printf(b, "-> %s(%s", api, module_name(s, e->module, m));
	if (reg_api) {
		sb_printf(b, ", npi %u", e->peer);
		if (e->arg) {
			sb_printf(b, ", bad characteristics:");
			for (unsigned i = 0; i < CHARS_BAD_BITS; i++)
				if (e->arg & (1u << i))
					sb_printf(b, " %s", chars_bad_key(i));
		}
		sb_printf(b, ")");
		return;
	}
	sb_printf(b, ", handle 0x%08x)", e->handle);
	if (dereg_api && e->reg && e->reg != e->handle)
		sb_printf(b, " [own registration 0x%08x]", e->reg);
}

static void describe_cb(struct sbuf *b, const struct event *e, const struct scenario *s)
{
	char m[NAME_BYTES], st[16];
	const char *cb = nmr_cb_name((enum nmr_cb)e->what);

	if (e->kind == EV_CB_ENTER) {
		sb_printf(b, "=> %s(%s, ", cb, module_name(s, e->module, m));
		describe_binding(b, e->binding);
		sb_printf(b, " with %s)", module_name(s, e->peer, m));
		return;
	}
	if (e->what == CB_CLIENT_CLEANUP || e->what == CB_PROVIDER_CLEANUP) {
		sb_printf(b, "<= %s returns", cb);
		return;
	}
	sb_printf(b, "<= %s = %s", cb, ntstatus_name(e->status, st));
	if (e->what == CB_CLIENT_ATTACH && e->arg)
		sb_printf(b, " (NmrClientAttachProvider returned %s)", ntstatus_name((int32_t)e->aux, st));
	else if (e->what == CB_CLIENT_ATTACH && e->status == 0)
		sb_printf(b, " (NmrClientAttachProvider not called)");
	else if (e->what == CB_PROVIDER_ATTACH && e->status == 0)
		sb_printf(b, e->arg ? " (outputs written)" : " (outputs not written)");
}

static void describe_unload_exit(struct sbuf *b, const struct event *e, const char *m, bool failed_load)
{
	sb_printf(b, "%s%s%s", failed_load ? "image of " : "Unload(", m, failed_load ? " unloaded" : ") returns");
	if (!e->aux && !e->arg)
		return;
	sb_printf(b, " (");
	if (e->aux)
		sb_printf(b, "%u allocation%s%s", e->aux, e->aux == 1 ? "" : "s", e->arg ? ", " : "");
	if (e->arg)
		sb_printf(b, "%u work item%s", e->arg, e->arg == 1 ? "" : "s");
	sb_printf(b, " outstanding)");
}

static void describe_finding(struct sbuf *b, const struct event *e, const struct scenario *s)
{
	char m[NAME_BYTES];
	const struct rule_info *ri = rule_info((enum rule)e->what);
	sb_printf(b, "FINDING %s %s", ri->id, ri->name);
	if (e->module != EV_NONE8)
		sb_printf(b, ", module %s", module_name(s, e->module, m));
	if (e->handle)
		sb_printf(b, ", handle 0x%08x", e->handle);
	if (e->binding != EV_NONE16)
		sb_printf(b, ", binding #%u", e->binding);
}

/* Routines whose arg is a pool allocation number (work items and devices too), not an object id. */
static bool arg_is_block(unsigned api)
{
	return api == KE_ExAllocatePool2 || api == KE_ExAllocatePoolWithTag || api == KE_ExAllocatePoolZero ||
	       api == KE_ExFreePoolWithTag || api == KE_ExFreePool || api == KE_ExAllocateFromLookasideList ||
	       api == KE_ExFreeToLookasideList || api == KE_IoAllocateWorkItem || api == KE_IoFreeWorkItem || api == KE_IoCreateDevice || api == KE_IoDeleteDevice;
}

static void describe_kernel(struct sbuf *b, const struct event *e, const struct scenario *s,
			    const struct trace_annotator *an)
{
	char st[16], name[160], m[NAME_BYTES], m2[NAME_BYTES];
	sb_printf(b, "%s", e->what == KE_AtomicAccess ? atomic_access_text(e->aux, name, sizeof name) : ke_api_name((enum ke_api)e->what));
	if (e->arg && arg_is_block(e->what))
		sb_printf(b, " block #%u", e->arg);
	else if (e->arg && an && an->object && an->object(an->ctx, e->module, e->arg, name, sizeof name))
		sb_printf(b, " %s (#%u)", name, e->arg);
	else if (e->arg)
		sb_printf(b, " #%u", e->arg);
	if (e->status && ke_api_returns_void((enum ke_api)e->what))
		sb_printf(b, "%s", e->status == 0x103 /* STATUS_PENDING: may block */ ? " waits" : "");
	else if (e->status)
		sb_printf(b, " = %s", ntstatus_name(e->status, st));
	if (e->what == KE_UnloadIgnored) {
		static const char *const why[UNLOAD_IGNORED_COUNT] = {
			[UNLOAD_IGNORED_NOT_LOADED] = "not loaded",
			[UNLOAD_IGNORED_LOAD_FAILED] = "its DriverEntry failed",
			[UNLOAD_IGNORED_NO_UNLOAD] = "no DriverUnload: it cannot be unloaded",
			[UNLOAD_IGNORED_UNLOADING] = "another thread is unloading it",
			[UNLOAD_IGNORED_UNLOADED] = "already unloaded",
		};
		sb_printf(b, ": %s", e->aux < UNLOAD_IGNORED_COUNT && why[e->aux] ? why[e->aux] : "?");
		return;
	}
	if (e->what == KE_DispatchUnguarded) {
		static const char *const why[GUARD_REFUSED_COUNT] = {
			[GUARD_REFUSED_EXTENT] = "it is not in a driver's static data, its size is unknown",
			[GUARD_REFUSED_SIZE] = "it is larger than a guarded copy may be",
			[GUARD_REFUSED_FOREIGN_CODE] = "it holds a function pointer into code outside the hosted drivers",
			[GUARD_REFUSED_CAPACITY] = "the run's guarded tables are spent",
			[GUARD_REFUSED_ALIGN] = "it is not pointer-aligned",
		};
		sb_printf(b, ": %s's dispatch table handed to %s unguarded (calls through it are not checked): %s",
			  module_name(s, e->peer, m), module_name(s, e->module, m2),
			  e->aux < GUARD_REFUSED_COUNT && why[e->aux] ? why[e->aux] : "?");
		return;
	}
	if (e->aux && (e->what == KE_DpcRoutine || e->what == KE_WorkItemRoutine || e->what == KE_SystemThread))
		sb_printf(b, " (skipped: module unloaded)");
	else if (e->aux && e->what != KE_AtomicAccess) /* its aux is the operation, named above */
		sb_printf(b, " (%u)", e->aux);
}

/* One event as a line of text (without step, thread, IRQL or indentation). */
static void describe(struct sbuf *b, const struct event *e, const struct scenario *s, const struct trace *tr,
		     const struct trace_note *note, const struct trace_annotator *an)
{
	char m[NAME_BYTES], t[32], i0[8], i1[8];
	switch (e->kind) {
	case EV_THREAD_START: sb_printf(b, "thread starts"); break;
	case EV_THREAD_END: sb_printf(b, "thread ends"); break;
	case EV_SWITCH:
		if (e->arg < RENDER_THREADS && e->arg != EV_NONE8)
			sb_printf(b, "switch from %s", trace_thread_name(s, e->arg, t));
		else
			sb_printf(b, "switch");
		break;
	case EV_BLOCK:
		sb_printf(b, "%s", block_reason_text((enum block_reason)e->what));
		if (e->what == BLOCK_DEREG_WAIT && e->arg != EV_NONE16)
			sb_printf(b, " of reg slot %u", e->arg);
		break;
	case EV_WAKE: sb_printf(b, "wakes"); break;
	case EV_OP: describe_op(b, e, s); break;
	case EV_API_ENTER: case EV_API_EXIT: describe_api(b, e, s); break;
	case EV_CB_ENTER: case EV_CB_EXIT: describe_cb(b, e, s); break;
	case EV_CALL_ENTER: case EV_CALL_EXIT:
		sb_printf(b, "%s %s dispatch (", e->kind == EV_CALL_ENTER ? "call" : "return from",
			  module_name(s, e->peer, m));
		describe_binding(b, e->binding);
		sb_printf(b, ")");
		/* eax of the function: shown only as a known NTSTATUS (a VOID
		 * function leaves eax undefined; a named status is what it returned). */
		if (e->kind == EV_CALL_EXIT && an && note && note->has_value &&
		    ntstatus_name((int32_t)note->value, m) != m)
			sb_printf(b, " = %s", ntstatus_name((int32_t)note->value, m));
		break;
	case EV_IRQL: sb_printf(b, "IRQL %s -> %s", irql_name(e->arg, i0), irql_name(e->irql, i1)); break;
	case EV_UNLOAD_ENTER: sb_printf(b, tr && trace_unload_after_failed_load(tr, e) ? "DriverEntry(%s) failed: its image "
					"unloads, Unload is not called" : "Unload(%s) starts", module_name(s, e->module, m)); break;
	case EV_UNLOAD_EXIT: describe_unload_exit(b, e, module_name(s, e->module, m), tr && trace_unload_after_failed_load(tr, e)); break;
	case EV_MUTATE: sb_printf(b, "%s changes its characteristics", module_name(s, e->module, m)); break;
	case EV_CHOICE:
		if (e->what >= CK_F1_ATTACH && e->what <= CK_F6_FAULT)
			sb_printf(b, "registrar takes f%u = option %u", e->what, e->arg);
		else
			sb_printf(b, "%s choice = option %u", e->what == CK_THREAD ? "thread" :
				  e->what == CK_POOL_FAULT ? "pool fault" : e->what == CK_MODULE ? "module" : "unknown", e->arg);
		break;
	case EV_DEREG_COMPLETE:
		sb_printf(b, "deregistration of %s complete (registration 0x%08x)", module_name(s, e->module, m), e->reg);
		break;
	case EV_DPRINT: {
		const char *text = tr ? trace_message(tr, e->arg) : NULL;
		if (text)
			sb_printf(b, "DbgPrint: %s", text);
		else
			sb_printf(b, "debug print #%u", e->arg);
		break;
	}
	case EV_KERNEL: describe_kernel(b, e, s, an); break;
	case EV_FINDING: describe_finding(b, e, s); break;
	case EV_LOAD_ENTER: sb_printf(b, "DriverEntry(%s) starts", module_name(s, e->module, m)); break;
	case EV_LOAD_EXIT:
		sb_printf(b, "DriverEntry(%s) returns %s", module_name(s, e->module, m), ntstatus_name(e->status, t));
		break;
	default: sb_printf(b, "event kind %u", e->kind); break;
	}
}

static bool is_enter(unsigned kind)
{
	return kind == EV_API_ENTER || kind == EV_CB_ENTER || kind == EV_CALL_ENTER || kind == EV_UNLOAD_ENTER ||
	       kind == EV_LOAD_ENTER;
}

static bool is_exit(unsigned kind)
{
	return kind == EV_API_EXIT || kind == EV_CB_EXIT || kind == EV_CALL_EXIT || kind == EV_UNLOAD_EXIT ||
	       kind == EV_LOAD_EXIT;
}

static uint32_t kept_count(const struct trace *t)
{
	return t->count < t->events_cap ? t->count : t->events_cap;
}

/* The driver's source line of an event's call, when the event is a hosted
 * driver's own call and the annotator knows the line. */
static bool site_text(const struct event *e, const struct scenario *s, const struct trace_note *note,
		      const struct trace_annotator *an, char *where, size_t cap)
{
	if (!an || !an->site || !note || !note->site || !s || e->module >= s->nmodules || e->module >= SCN_MODULES_MAX ||
	    s->modules[e->module].kind != MODULE_DRIVER)
		return false;
	if (e->kind != EV_API_ENTER && e->kind != EV_KERNEL && e->kind != EV_CALL_ENTER)
		return false;
	return an->site(an->ctx, note->site, where, cap);
}

static void describe_site(struct sbuf *b, const struct event *e, const struct scenario *s,
			  const struct trace_note *note, const struct trace_annotator *an)
{
	char where[160];
	if (site_text(e, s, note, an, where, sizeof where))
		sb_printf(b, "  [%s]", where);
}

void trace_render_text(FILE *out, const struct trace *t, const struct scenario *s)
{
	trace_render_text_annotated(out, t, s, NULL);
}

void trace_render_text_annotated(FILE *out, const struct trace *t, const struct scenario *s,
				 const struct trace_annotator *an)
{
	uint16_t depth[RENDER_THREADS] = { 0 };
	uint32_t kept = kept_count(t);
	char line[512], tn[32], ib[8];

	fprintf(out, "%6s %-13s %-9s %s\n", "step", "thread", "irql", "event");
	for (uint32_t i = 0; i < kept; i++) {
		const struct event *e = &t->events[i];
		uint16_t *d = &depth[e->thread];
		struct sbuf b = { line, sizeof line, 0 };
		line[0] = '\0';
		if (is_exit(e->kind) && *d)
			(*d)--;
		const struct trace_note *note = t->notes ? &t->notes[i] : NULL;
		describe(&b, e, s, t, note, an);
		describe_site(&b, e, s, note, an);
		unsigned indent = *d < RENDER_INDENT_MAX ? *d : RENDER_INDENT_MAX;
		fprintf(out, "%6u %-13s %-9s %*s%s\n", e->step, trace_thread_name(s, e->thread, tn),
			irql_name(e->irql, ib), (int)(indent * 2), "", line);
		if (is_enter(e->kind) && *d < UINT16_MAX)
			(*d)++;
	}
	if (t->count > kept)
		fprintf(out, "... %u more events not kept (hash covers all)\n", t->count - kept);
}

void trace_render_summary(FILE *out, const struct trace *t)
{
	fprintf(out, "events %u, trace hash %016llx\n", t->count, (unsigned long long)t->hash);
}

/* ---- Perfetto / Chrome trace-event JSON ---- */

struct jw {
	FILE *out;
	bool first_event; /* no comma before the next event */
	bool first_arg;   /* no comma before the next arg */
	const struct trace *trace; /* for debug print texts */
	const struct trace_annotator *an; /* names and source lines, may be NULL */
	const struct trace_note *note;    /* the note of the event being written, may be NULL */
};

static void jw_str(struct jw *w, const char *str)
{
	fputc('"', w->out);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(w->out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(w->out, "\\u%04x", *p); /* bytes as Latin-1: always valid JSON */
		else
			fputc(*p, w->out);
	}
	fputc('"', w->out);
}

/* {"name":...,"cat":...,"ph":...,"ts":...,"pid":1,"tid":... ; close with jw_end. */
static void jw_begin(struct jw *w, const char *name, const char *cat, const char *ph, uint32_t ts, unsigned tid)
{
	fputs(w->first_event ? "\n{\"name\":" : ",\n{\"name\":", w->out);
	w->first_event = false;
	w->first_arg = true;
	jw_str(w, name);
	fputs(",\"cat\":", w->out);
	jw_str(w, cat);
	fprintf(w->out, ",\"ph\":\"%s\",\"ts\":%u,\"pid\":1,\"tid\":%u", ph, ts, tid);
	if (ph[0] == 'i')
		fputs(",\"s\":\"t\"", w->out);
}

static void jw_key(struct jw *w, const char *key)
{
	fputs(w->first_arg ? ",\"args\":{" : ",", w->out);
	w->first_arg = false;
	jw_str(w, key);
	fputc(':', w->out);
}

static void jw_arg_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	jw_str(w, val);
}

static void jw_arg_u(struct jw *w, const char *key, uint32_t val)
{
	jw_key(w, key);
	fprintf(w->out, "%u", val);
}

static void jw_arg_hex(struct jw *w, const char *key, uint32_t val)
{
	jw_key(w, key);
	fprintf(w->out, "\"0x%08x\"", val);
}

static void jw_end(struct jw *w)
{
	fputs(w->first_arg ? "}" : "}}", w->out);
}

/* The args of an event: module, peer, handle, binding, registration, status. */
static void jw_event_args(struct jw *w, const struct event *e, const struct scenario *s)
{
	char m[NAME_BYTES], st[16];
	if (e->module != EV_NONE8)
		jw_arg_str(w, "module", module_name(s, e->module, m));
	if ((e->kind == EV_CB_ENTER || e->kind == EV_CALL_ENTER) && e->peer != EV_NONE8)
		jw_arg_str(w, "peer", module_name(s, e->peer, m));
	if (e->handle)
		jw_arg_hex(w, "handle", e->handle);
	if (e->binding != EV_NONE16)
		jw_arg_u(w, "binding", e->binding);
	if (e->reg)
		jw_arg_hex(w, "registration", e->reg);
	if ((e->kind == EV_API_EXIT && !nmr_api_returns_void((enum nmr_api)e->what)) ||
	    (e->kind == EV_CB_EXIT && e->what != CB_CLIENT_CLEANUP && e->what != CB_PROVIDER_CLEANUP))
		jw_arg_str(w, "status", ntstatus_name(e->status, st));
	if (e->kind == EV_UNLOAD_EXIT) {
		jw_arg_u(w, "allocations", e->aux);
		jw_arg_u(w, "work_items", e->arg);
	}
	char where[160];
	if (site_text(e, s, w->note, w->an, where, sizeof where))
		jw_arg_str(w, "source", where);
	if (e->kind == EV_CALL_EXIT && w->an && w->note && w->note->has_value &&
	    ntstatus_name((int32_t)w->note->value, st) != st)
		jw_arg_str(w, "returned", ntstatus_name((int32_t)w->note->value, st));
}

/* Slice name (sets its category) of an enter or exit event. */
static const char *slice_name(unsigned kind, unsigned what, const char **cat)
{
	switch (kind) {
	case EV_API_ENTER: case EV_API_EXIT: *cat = "api"; return nmr_api_name((enum nmr_api)what);
	case EV_CB_ENTER: case EV_CB_EXIT: *cat = "callback"; return nmr_cb_name((enum nmr_cb)what);
	case EV_CALL_ENTER: case EV_CALL_EXIT: *cat = "call"; return "dispatch call";
	default: *cat = "unload"; return "Unload";
	}
}

struct open_slice {
	uint8_t kind;  /* enter kind */
	uint8_t what;  /* api / callback */
	uint32_t ts;   /* its B timestamp */
};

struct thread_slices {
	uint8_t n;        /* open slices */
	uint16_t dropped; /* enters beyond RENDER_SLICES_MAX, drawn as instants */
	struct open_slice s[RENDER_SLICES_MAX];
};

/* "E" for open slice o at ts (never before its "B"), with e's args if given. */
static void jw_close(struct jw *w, const struct open_slice *o, uint32_t ts, unsigned tid,
		     const struct event *e, const struct scenario *s)
{
	const char *cat, *name = slice_name(o->kind, o->what, &cat);
	jw_begin(w, name, cat, "E", ts > o->ts ? ts : o->ts, tid);
	if (e)
		jw_event_args(w, e, s);
	jw_end(w);
}

static void jw_instant(struct jw *w, const struct event *e, const struct scenario *s)
{
	char text[512];
	struct sbuf b = { text, sizeof text, 0 };
	text[0] = '\0';
	describe(&b, e, s, w->trace, w->note, w->an);
	jw_begin(w, text, ev_kind_name((enum ev_kind)e->kind), "i", e->step, e->thread + 1u);
	jw_event_args(w, e, s);
	jw_end(w);
}

static void jw_slice_event(struct jw *w, struct thread_slices *ts, const struct event *e, const struct scenario *s)
{
	unsigned tid = e->thread + 1u;
	if (is_enter(e->kind)) {
		if (ts->n == RENDER_SLICES_MAX) {
			if (ts->dropped < UINT16_MAX)
				ts->dropped++;
			jw_instant(w, e, s);
			return;
		}
		const char *cat, *name = slice_name(e->kind, e->what, &cat);
		ts->s[ts->n++] = (struct open_slice){ e->kind, e->what, e->step };
		jw_begin(w, name, cat, "B", e->step, tid);
		jw_event_args(w, e, s);
		jw_end(w);
		return;
	}
	/* An exit closes the innermost matching open slice (and any opened after it). */
	unsigned enter = e->kind - 1u;
	bool by_what = e->kind == EV_API_EXIT || e->kind == EV_CB_EXIT;
	int k = ts->n - 1;
	while (k >= 0 && !(ts->s[k].kind == enter && (!by_what || ts->s[k].what == e->what)))
		k--;
	if (k < 0 || ts->dropped) {
		if (ts->dropped)
			ts->dropped--;
		jw_instant(w, e, s);
		return;
	}
	while (ts->n > (unsigned)k + 1u)
		jw_close(w, &ts->s[--ts->n], e->step, tid, NULL, s);
	ts->n--;
	jw_close(w, &ts->s[ts->n], e->step, tid, e, s);
}

int trace_render_perfetto(FILE *out, const struct trace *t, const struct scenario *s)
{
	return trace_render_perfetto_annotated(out, t, s, NULL);
}

int trace_render_perfetto_annotated(FILE *out, const struct trace *t, const struct scenario *s,
				    const struct trace_annotator *an)
{
	struct thread_slices open[RENDER_THREADS];
	bool seen[RENDER_THREADS] = { false };
	struct jw w = { out, true, true, t, an, NULL };
	uint32_t kept = kept_count(t), last_ts = 0;
	char name[32];

	memset(open, 0, sizeof open);
	for (uint32_t i = 0; i < kept; i++)
		seen[t->events[i].thread] = true;
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"events\":%u,\"kept\":%u,\"trace_hash\":\"%016llx\"},"
		"\"traceEvents\":[", t->count, kept, (unsigned long long)t->hash);
	jw_begin(&w, "process_name", "__metadata", "M", 0, 0);
	jw_arg_str(&w, "name", "nmrsim");
	jw_end(&w);
	for (unsigned i = 0; i < RENDER_THREADS; i++) {
		if (!seen[i])
			continue;
		jw_begin(&w, "thread_name", "__metadata", "M", 0, i + 1);
		jw_arg_str(&w, "name", trace_thread_name(s, i, name));
		jw_end(&w);
		jw_begin(&w, "thread_sort_index", "__metadata", "M", 0, i + 1);
		jw_arg_u(&w, "sort_index", i);
		jw_end(&w);
	}
	for (uint32_t i = 0; i < kept; i++) {
		const struct event *e = &t->events[i];
		if (e->step > last_ts)
			last_ts = e->step;
		w.note = t->notes ? &t->notes[i] : NULL;
		if (is_enter(e->kind) || is_exit(e->kind))
			jw_slice_event(&w, &open[e->thread], e, s);
		else
			jw_instant(&w, e, s);
	}
	w.note = NULL;
	/* Slices still open (a hang, or the log was truncated) end at the last step. */
	for (unsigned i = 0; i < RENDER_THREADS; i++)
		while (open[i].n)
			jw_close(&w, &open[i].s[--open[i].n], last_ts, i + 1, NULL, s);
	fputs("\n]}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return -1;
	return 0;
}
