/* annotate.h - the names a timeline can give what a trace only numbers
 * (trace_annotator, sim/trace/trace.h), looked up after the run:
 *   - a kernel object (#3) by the driver's global it is, named as every
 *     report names driver data (host/drvsyms.h: "driver global
 *     g_StopEvent (client)", or "driver global (+0x40)" in a stripped
 *     executable), or by the pool block it lies in (block #4 'Clnt' +0x10,
 *     allocated at client.c:88);
 *   - the source line of each driver call (API, kernel routine, dispatch) from
 *     its return address (addr2line over the executable's debug info);
 *   - a dispatch call's return value (rendered by trace_render_text_annotated).
 * Everything is read at render time: traces and hashes do not change, and
 * the text is the same on every run of the same build. Without addr2line or
 * debug info there are no source lines. */
#ifndef NMRSIM_ANNOTATE_H
#define NMRSIM_ANNOTATE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "trace/trace.h"

struct annotate_line {
	uintptr_t addr;           /* a call's return address */
	char where[96];           /* "client.c:88", "" if unknown */
};

struct annotate {
	const struct kernel *kernel; /* the run's kernel state (object addresses, pool), may be NULL */
	const struct trace *trace;   /* its events and notes */
	char exe[512];               /* this executable */
	uintptr_t bias;              /* load address of a position-independent executable, else 0 */
	int lines_state;             /* 0 not read yet, 1 read, -1 not available */
	struct annotate_line *lines; /* every noted call site of the trace, by address */
	size_t nlines;
};

void annotate_init(struct annotate *a, const struct kernel *k, const struct trace *t);
void annotate_fini(struct annotate *a);
/* The hooks to hand trace_render_text_annotated (ctx = a). */
struct trace_annotator annotate_hooks(struct annotate *a);

#endif
