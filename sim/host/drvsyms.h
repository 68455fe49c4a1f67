/* drvsyms.h - what an address in hosted driver memory is: driver code, a
 * driver's constant or writable data object (and where that object ends),
 * or code outside the hosted drivers.
 *
 * Dispatch guarding (guard.h) walks a table a driver hands to its peer
 * without being told its shape: a word pointing into driver code is a
 * function pointer, a word pointing into a driver's constant object is a
 * nested table (or constant data), anything else is data. It needs:
 * - the ranges of driver code and data: tools/driver-obj.sh moves every
 *   hosted driver's .text* to `nmrsim_drvtext`, its .rodata* (not merged
 *   strings or constants) to `nmrsim_drvconst`, its .data.rel.ro* to
 *   `nmrsim_drvrelro`, its writable data to `nmrsim_drvdata` and
 *   `nmrsim_drvbss`; the linker's __start_/__stop_ symbols bound them;
 * - the extent of each data object: the symbol sizes of the executable's
 *   symbol table (read once per process from /proc/self/exe; a stripped
 *   executable has none, and every extent is then unknown);
 * - the code of everything else mapped executable (the engine, libc): the
 *   PF_X segments of every loaded object (dl_iterate_phdr), once.
 * Answers depend on the binary only, never on where it was loaded: no
 * address reaches a trace. */
#ifndef NMRSIM_DRVSYMS_H
#define NMRSIM_DRVSYMS_H

#include <stdbool.h>
#include <stddef.h>

enum drvsyms_kind {
	DRVSYMS_OTHER = 0,   /* not driver memory, not code (pool, stack, engine data, a small integer) */
	DRVSYMS_CODE,        /* hosted driver code */
	DRVSYMS_CONST,       /* a hosted driver's read-only data (.rodata, .data.rel.ro) */
	DRVSYMS_DATA,        /* a hosted driver's writable globals (.data, .bss) */
	DRVSYMS_OTHER_CODE,  /* executable code outside the hosted drivers (engine, libraries) */
};

#define DRVSYMS_OBJECTS_MAX 4096 /* driver data objects whose extent is known; the rest are unknown */
#define DRVSYMS_FUNCS_MAX 4096   /* driver functions named in reports; the rest by offset */

enum drvsyms_kind drvsyms_classify(const void *p);
/* Bytes from p to the end of the driver data object containing p, 0 when p
 * is in no known object (no symbol table, an anonymous constant). */
size_t drvsyms_extent(const void *p);
/* The driver data object containing p as report text, from the symbol
 * table: "SYMBOL", "SYMBOL+0xOFF" inside it, then " (DRIVER)" when the
 * driver that defines it is known; false (buf "") when p is in no named
 * object. Depends on the binary only, never on where it was loaded. */
bool drvsyms_name(const void *p, char *buf, size_t cap);
/* The driver function containing pc as report text: "SYMBOL (DRIVER)",
 * "SYMBOL+0xOFF (DRIVER)" inside it, or "driver code (+0xOFF)" (offset in
 * the drivers' code) where no symbol names it (a stripped executable);
 * false (buf "") when pc is not driver code. Binary-only, as above. */
bool drvsyms_code_name(const void *pc, char *buf, size_t cap);
/* The same name as a report's subject, the one form every report and
 * timeline uses: "driver global SYMBOL+0xOFF (DRIVER)" (drvsyms_name), or,
 * for driver data no symbol names (a stripped executable), "driver global
 * (+0xOFF)", the offset in its section (.data, .bss, .rodata, .data.rel.ro
 * of the hosted drivers). False (buf "") when p is not driver data. */
bool drvsyms_describe(const void *p, char *buf, size_t cap);
/* Whether the executable's symbol table was read (extents can be known). */
bool drvsyms_have_symbols(void);

#endif
