/* annotate.c - render-time names for timelines (annotate.h): driver
 * globals by the engine's one resolver (host/drvsyms.h, the symbol table),
 * call sites by addr2line, run once per timeline on this executable. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include "annotate.h"

#include "host/drvsyms.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void annotate_init(struct annotate *a, const struct kernel *k, const struct trace *t)
{
	memset(a, 0, sizeof *a);
	a->kernel = k;
	a->trace = t;
	ssize_t n = readlink("/proc/self/exe", a->exe, sizeof a->exe - 1);
	if (n <= 0 || (size_t)n >= sizeof a->exe - 1 || strchr(a->exe, '\'')) {
		a->lines_state = -1;
		return;
	}
	a->exe[n] = '\0';
	/* addr2line takes addresses of a position-independent executable as offsets from
	 * its load address (ELF type ET_DYN); an ET_EXEC's are addresses. */
	Elf64_Ehdr eh;
	FILE *f = fopen(a->exe, "rb");
	bool dyn = f && fread(&eh, sizeof eh, 1, f) == 1 && eh.e_type == ET_DYN;
	if (f)
		fclose(f);
	Dl_info info;
	if (dyn && dladdr((void *)annotate_init, &info) && info.dli_fbase)
		a->bias = (uintptr_t)info.dli_fbase;
}

void annotate_fini(struct annotate *a)
{
	free(a->lines);
	a->lines = NULL;
}

static int by_addr_line(const void *x, const void *y)
{
	uintptr_t p = ((const struct annotate_line *)x)->addr, q = ((const struct annotate_line *)y)->addr;
	return p < q ? -1 : p > q;
}

/* A line of the engine's own code (a WDK routine calling another, a
 * scripted module): not a driver's call site. */
static bool engine_file(const char *path)
{
	static const char *const layers[] = { "/sim/core/", "/sim/scenario/", "/sim/trace/", "/sim/sched/",
					      "/sim/oracle/", "/sim/kernel/", "/sim/host/", "/sim/nmr/",
					      "/sim/modules/", "/sim/run/", "/sim/include/" };
	for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
		if (strstr(path, layers[i]))
			return true;
	return false;
}

/* Every call site the trace noted, symbolised by one addr2line run. */
static void read_lines(struct annotate *a)
{
	a->lines_state = -1;
	uint32_t kept = a->trace ? (a->trace->count < a->trace->events_cap ? a->trace->count : a->trace->events_cap) : 0;
	if (!a->trace || !a->trace->notes || !kept)
		return;
	a->lines = calloc(kept, sizeof *a->lines);
	if (!a->lines)
		return;
	for (uint32_t i = 0; i < kept; i++)
		if (a->trace->notes[i].site)
			a->lines[a->nlines++].addr = a->trace->notes[i].site;
	qsort(a->lines, a->nlines, sizeof *a->lines, by_addr_line);
	size_t n = 0;
	for (size_t i = 0; i < a->nlines; i++)
		if (!n || a->lines[n - 1].addr != a->lines[i].addr)
			a->lines[n++] = a->lines[i];
	a->nlines = n;
	if (!n)
		return;
	/* A return address is the instruction after the call: look up addr - 1. */
	size_t cap = strlen(a->exe) + 64 + n * 20;
	char *cmd = malloc(cap);
	if (!cmd)
		return;
	/* -i: a call inside an inline function gives its chain, innermost
	 * first; the first line that is the driver's own names the site (an
	 * Interlocked* helper of wdm.h inlined into a driver routine: the
	 * routine's line, not the header's). -a: each chain starts with its
	 * address, so chains of any length stay apart. */
	size_t len = (size_t)snprintf(cmd, cap, "addr2line -a -i -e '%s'", a->exe);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(cmd + len, cap - len, " %lx", (unsigned long)(a->lines[i].addr - 1 - a->bias));
	snprintf(cmd + len, cap - len, " 2>/dev/null");
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return;
	char line[1024];
	size_t i = 0; /* chains begun */
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, " \n")] = '\0'; /* drop " (discriminator N)" */
		if (strncmp(line, "0x", 2) == 0) {
			i++;
			continue;
		}
		if (i == 0 || i > n || a->lines[i - 1].where[0])
			continue;
		const char *base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if (strncmp(base, "??", 2) != 0 && !strstr(base, ":?") && !strstr(base, ":0") && !engine_file(line))
			snprintf(a->lines[i - 1].where, sizeof a->lines[i - 1].where, "%.95s", base);
	}
	if (pclose(p) == 0 && i == n)
		a->lines_state = 1;
}

static const char *line_of(struct annotate *a, uintptr_t site)
{
	if (!a->lines_state)
		read_lines(a);
	if (a->lines_state != 1)
		return NULL;
	struct annotate_line key = { .addr = site };
	const struct annotate_line *l = bsearch(&key, a->lines, a->nlines, sizeof key, by_addr_line);
	return l && l->where[0] ? l->where : NULL;
}

static bool site_hook(void *ctx, uintptr_t addr, char *buf, size_t cap)
{
	const char *where = line_of(ctx, addr);
	if (!where)
		return false;
	snprintf(buf, cap, "%s", where);
	return true;
}

/* The allocation call site of pool block `number`: its allocation event's note. */
static const char *alloc_site(struct annotate *a, uint32_t number)
{
	const struct trace *t = a->trace;
	uint32_t kept = t->count < t->events_cap ? t->count : t->events_cap;
	for (uint32_t i = 0; t->notes && i < kept; i++) {
		const struct event *e = &t->events[i];
		if (e->kind == EV_KERNEL && e->arg == number && e->status == 0 &&
		    (e->what == KE_ExAllocatePool2 || e->what == KE_ExAllocatePoolWithTag || e->what == KE_ExAllocatePoolZero ||
		     e->what == KE_ExAllocateFromLookasideList) && t->notes[i].site)
			return line_of(a, t->notes[i].site);
	}
	return NULL;
}

static bool object_hook(void *ctx, unsigned module, uint32_t id, char *buf, size_t cap)
{
	struct annotate *a = ctx;
	(void)module;
	const void *obj = a->kernel ? kernel_object_address(a->kernel, id) : NULL;
	if (!obj)
		return false;
	/* A driver global: the name (and driver) a K11 report gives it. */
	if (drvsyms_describe(obj, buf, cap))
		return true;
	uint32_t number, tag, offset;
	if (!kernel_pool_block_of(a->kernel, obj, &number, &tag, &offset))
		return false;
	char t[5];
	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)(tag >> (8 * i));
		t[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	t[4] = '\0';
	const char *where = alloc_site(a, number);
	snprintf(buf, cap, "in pool block #%u '%s' +0x%x%s%s", number, t, offset, where ? " allocated at " : "",
		 where ? where : "");
	return true;
}

struct trace_annotator annotate_hooks(struct annotate *a)
{
	return (struct trace_annotator){ .site = site_hook, .object = object_hook, .ctx = a };
}
