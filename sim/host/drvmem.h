/* drvmem.h - the engine reading driver memory it needs, checked.
 *
 * NMR keeps pointers a driver gave it (characteristics, the registration
 * instance, NPI and module IDs) and reads them later; a driver that did not
 * keep them valid (characteristics in a stack frame that returned, in pool it
 * freed) breaks its contract (M03), and the engine must report that, not
 * fault in its own code and charge the fault to whoever ran. Before such a
 * read the engine asks here whether [p, p+n) is readable driver memory now:
 * - inside a simulated thread's stack: live only above that thread's stack
 *   pointer (the running thread's: this call's frame; a suspended one's:
 *   its saved one) and only while the thread has not finished;
 * - inside the kernel shim's pool: only inside one live block;
 * - anywhere else: mapped (a page cache keeps this off the hot path).
 * The answer depends on the run's state only, never on addresses' values.
 */
#ifndef NMRSIM_DRVMEM_H
#define NMRSIM_DRVMEM_H

#include <stdbool.h>
#include <stddef.h>

enum drvmem_state {
	DRVMEM_OK = 0,
	DRVMEM_NULL,        /* a null (or near-null) pointer */
	DRVMEM_DEAD_STACK,  /* a stack frame that returned, or a finished thread's stack */
	DRVMEM_FREED_POOL,  /* a pool block that was freed (or across blocks) */
	DRVMEM_UNMAPPED,    /* no memory there (or a stack guard page) */
};

enum drvmem_state drvmem_check(const void *p, size_t n);
/* [p, p+n) is mapped and neither in a simulated stack nor in the pool:
 * static data (or the engine's), readable as long as the process lives. */
bool drvmem_static(const void *p, size_t n);
/* The simulated thread on whose stack [p, p+n) lies, -1 if none. */
int drvmem_stack_thread(const void *p, size_t n);
/* "a stack frame that returned", ... */
const char *drvmem_describe(enum drvmem_state st);

#endif
