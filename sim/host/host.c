/* host.c - hosted drivers: the linked driver table, the per-run restore of
 * driver globals, and DriverEntry / DriverUnload as scenario operations.
 * See host.h for how a driver's object is prepared at build time. */
#include "host/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/spin.h"
#include "kernel/kernel.h"
#include "wdm.h"


/* Provided by the linker when driver objects are linked in (weak: a binary
 * without drivers has none, and the addresses are then null). The images'
 * records are core/images.c's. */
extern unsigned char __start_nmrsim_drvdata[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvdata[] __attribute__((weak));
extern unsigned char __start_nmrsim_drvbss[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvbss[] __attribute__((weak));

/* ---- driver globals as loaded (snapshot once per process) ---- */

static struct {
	bool built;
	unsigned char *data_snapshot; /* driver .data as loaded, before any driver ran */
	unsigned char *bss_snapshot;  /* and .bss (zero unless a constructor wrote it) */
	size_t data_len, bss_len;
} table;

/* Driver globals are laid out with the sanitizer's redzones between them:
 * copies must neither be checked by ASan nor turned into a memcpy call
 * (intercepted and checked), hence plain volatile byte loops. */
__attribute__((no_sanitize("address"), no_sanitize("undefined")))
static void copy_bytes(volatile unsigned char *dst, const volatile unsigned char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

static unsigned char *snapshot(const unsigned char *start, size_t len)
{
	if (!len)
		return NULL;
	unsigned char *copy = malloc(len);
	if (!copy) {
		fprintf(stderr, "nmrsim: out of memory for the driver globals snapshot\n");
		abort();
	}
	copy_bytes(copy, start, len);
	return copy;
}

/* Before any driver code runs: hosting is the only caller of driver code,
 * and it takes the snapshot first. */
static void table_build(void)
{
	if (table.built)
		return;
	table.built = true;
	/* The snapshots are the only allocations hosting makes, once per process. */
	table.data_len = __start_nmrsim_drvdata ? (size_t)(__stop_nmrsim_drvdata - __start_nmrsim_drvdata) : 0;
	table.bss_len = __start_nmrsim_drvbss ? (size_t)(__stop_nmrsim_drvbss - __start_nmrsim_drvbss) : 0;
	table.data_snapshot = snapshot(__start_nmrsim_drvdata, table.data_len);
	table.bss_snapshot = snapshot(__start_nmrsim_drvbss, table.bss_len);
}

static void restore_globals(void)
{
	copy_bytes(__start_nmrsim_drvdata, table.data_snapshot, table.data_len);
	copy_bytes(__start_nmrsim_drvbss, table.bss_snapshot, table.bss_len);
}

/* ---- images ---- */

static size_t put_utf16(uint16_t *buf, size_t cap, const char *a, const char *b)
{
	size_t n = 0;
	for (const char *p = a; *p && n + 1 < cap; p++)
		buf[n++] = (uint16_t)(unsigned char)*p;
	for (const char *p = b; *p && n + 1 < cap; p++)
		buf[n++] = (uint16_t)(unsigned char)*p;
	buf[n] = 0;
	return n;
}

void host_run_init(struct host_run *h, struct sched *s, const struct scenario *scn)
{
	table_build();
	restore_globals();
	spin_run_init(s);
	atomic_points_run_init(&h->atomics, s, scn->atomics_preempt);
	h->sched = s;
	h->scn = scn;
	SIM_ASSERT_LE(scn->nmodules, SCN_MODULES_MAX, "a scenario's modules fit the image table");
	for (uint32_t i = 0; i < SCN_MODULES_MAX; i++) {
		h->images[i].state = HOST_ABSENT;
		h->images[i].unload_waiters = 0;
		h->images[i].module = (uint8_t)i;
	}
}

bool host_gone(const struct host_run *h, uint8_t module)
{
	return h && module < h->scn->nmodules && h->scn->modules[module].kind == MODULE_DRIVER &&
	       (h->images[module].state == HOST_UNLOADED || h->images[module].state == HOST_FAILED);
}

bool host_is_driver(const struct host_run *h, uint8_t module)
{
	return h && module < h->scn->nmodules && h->scn->modules[module].kind == MODULE_DRIVER;
}

/* DriverEntry and DriverUnload are called at PASSIVE_LEVEL. One that
 * returned raised was reported (K01) by the kernel shim at its exit event;
 * the system goes on at PASSIVE. */
static void back_to_passive(struct host_run *h)
{
	if (h->sched->current->irql != PASSIVE_LEVEL)
		sched_set_irql(h->sched, PASSIVE_LEVEL);
}

/* The image goes away: after its Unload returned, or after DriverEntry
 * failed (the I/O manager unloads it without calling Unload). */
static void image_gone(struct host_run *h, struct host_image *img, struct event *e)
{
	uint32_t leaked = 0, work = 0;
	if (kernel_current)
		kernel_module_unloaded(kernel_current, img->module, &leaked, &work);
	e->kind = EV_UNLOAD_EXIT;
	e->aux = leaked;
	e->arg = work;
	sched_emit(h->sched, e);
}

static void load(struct host_run *h, struct host_image *img)
{
	struct sched *s = h->sched;
	const struct scn_module *m = &h->scn->modules[img->module];
	const struct image_rec *d = image_get(m->driver);
	/* An image loads once per run: its globals are restored per run only. */
	if (img->state != HOST_ABSENT || !d)
		return;
	DRIVER_OBJECT *obj = &img->object;
	memset(obj, 0, sizeof *obj);
	UNICODE_STRING *path = &img->regpath;
	size_t n = put_utf16(img->name_buf, HOST_NAME_CHARS, "\\Driver\\", d->name);
	obj->DriverName.Buffer = (PWCH)img->name_buf;
	obj->DriverName.Length = (USHORT)(n * 2);
	obj->DriverName.MaximumLength = (USHORT)(n * 2 + 2);
	n = put_utf16(img->path_buf, HOST_NAME_CHARS, "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\", d->name);
	path->Buffer = (PWCH)img->path_buf;
	path->Length = (USHORT)(n * 2);
	path->MaximumLength = (USHORT)(n * 2 + 2);

	struct event e = { .kind = EV_LOAD_ENTER, .module = img->module, .peer = EV_NONE8, .binding = EV_NONE16 };
	sched_emit(s, &e);
	/* Loading until DriverEntry returns: the I/O manager never calls Unload
	 * on a driver whose DriverEntry has not returned (an `unload` op meanwhile
	 * waits, see unload()). */
	img->state = HOST_LOADING;
	NTSTATUS st = (NTSTATUS)d->entry(obj, path);
	SIM_ASSERT(img->state == HOST_LOADING, "an image stays loading until its DriverEntry returns");
	e.kind = EV_LOAD_EXIT;
	e.status = st;
	sched_emit(s, &e);
	img->state = NT_SUCCESS(st) ? HOST_LOADED : HOST_FAILED;
	for (uint32_t mask = img->unload_waiters; mask; mask &= mask - 1)
		sched_wake(s, &s->threads[__builtin_ctz(mask)]);
	img->unload_waiters = 0;
	if (!NT_SUCCESS(st)) {
		/* The image is unloaded without its Unload routine; the unload
		 * events still frame the end-of-image checks (M20, M21). */
		e.kind = EV_UNLOAD_ENTER;
		e.status = 0;
		sched_emit(s, &e);
		image_gone(h, img, &e);
	}
	back_to_passive(h);
}

/* An unload that does nothing says why in the trace: never silently. */
static void unload_ignored(struct host_run *h, struct host_image *img, enum unload_ignored why)
{
	struct event e = { .kind = EV_KERNEL, .what = KE_UnloadIgnored, .module = img->module, .peer = EV_NONE8,
			   .binding = EV_NONE16, .aux = (uint32_t)why };
	sched_emit(h->sched, &e);
}

static void unload(struct host_run *h, struct host_image *img)
{
	struct sched *s = h->sched;
	struct sim_thread *t = s->current;
	DRIVER_OBJECT *obj = &img->object;
	/* As the I/O manager: an unload waits until DriverEntry returned. */
	while (img->state == HOST_LOADING) {
		img->unload_waiters |= 1u << t->id;
		sched_block(s, BLOCK_DRIVER_ENTRY, img->module);
	}
	static const uint8_t ignored[] = {
		[HOST_ABSENT] = UNLOAD_IGNORED_NOT_LOADED, [HOST_FAILED] = UNLOAD_IGNORED_LOAD_FAILED,
		[HOST_UNLOADING] = UNLOAD_IGNORED_UNLOADING, [HOST_UNLOADED] = UNLOAD_IGNORED_UNLOADED,
	};
	if (img->state != HOST_LOADED) {
		unload_ignored(h, img, (enum unload_ignored)ignored[img->state]);
		return;
	}
	/* No DriverUnload: the driver cannot be unloaded (as on Windows). */
	if (!obj->DriverUnload) {
		unload_ignored(h, img, UNLOAD_IGNORED_NO_UNLOAD);
		return;
	}
	img->state = HOST_UNLOADING;
	t->unload_depth++;
	struct event e = { .kind = EV_UNLOAD_ENTER, .module = img->module, .peer = EV_NONE8, .binding = EV_NONE16 };
	sched_emit(s, &e);
	obj->DriverUnload(obj);
	SIM_ASSERT(img->state == HOST_UNLOADING, "an image stays unloading until its Unload returns");
	img->state = HOST_UNLOADED;
	image_gone(h, img, &e);
	back_to_passive(h);
	SIM_ASSERT(t->unload_depth > 0, "an Unload returns on the thread that entered it");
	t->unload_depth--;
}

void host_op(struct host_run *h, const struct scn_op *op)
{
	if (op->module >= h->scn->nmodules || h->scn->modules[op->module].kind != MODULE_DRIVER)
		return;
	struct sim_thread *t = h->sched->current;
	uint8_t saved = t->module;
	t->module = op->module;
	SIM_ASSERT_LT(op->module, SCN_MODULES_MAX, "an op's module has an image slot");
	struct host_image *img = &h->images[op->module];
	if (op->kind == OP_LOAD)
		load(h, img);
	else if (op->kind == OP_UNLOAD)
		unload(h, img);
	t->module = saved;
}

static void drain_thread(struct sched *s, void *arg)
{
	struct host_image *img = arg;
	struct host_run *h = host_current;
	struct sim_thread *t = s->current;
	t->module = img->module;
	sched_point(s);
	unload(h, img);
}

struct host_run *host_current;

bool host_drain(struct host_run *h)
{
	bool any = false;
	for (uint32_t i = 0; i < h->scn->nmodules; i++) {
		struct host_image *img = &h->images[i];
		if (img->state != HOST_LOADED || !img->object.DriverUnload)
			continue;
		any |= sched_spawn(h->sched, THREAD_SCRIPT, drain_thread, img) != NULL;
	}
	return any;
}
