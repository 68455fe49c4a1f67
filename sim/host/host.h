/* host.h - hosted drivers: unmodified WDK-style driver source, loaded and
 * unloaded as operations of a scenario.
 *
 * How a driver gets here (tools/driver-obj.sh, used by the Meson build and by
 * `-Ddrivers=...`): its objects are linked into one relocatable object; its
 * `DriverEntry` is renamed `nmrsim_driver_entry_<name>` and every other
 * symbol it defines is made local, so several drivers (each with its own
 * DriverEntry, ClientAttachProvider, ...) link into one binary; a record
 * {name, entry} is placed in the `nmrsim_drivers` section; its writable
 * data (.data*, except .data.rel.ro) and .bss move to the sections
 * `nmrsim_drvdata` and `nmrsim_drvbss` (its code and constants to
 * `nmrsim_drvtext`, `nmrsim_drvconst`, `nmrsim_drvrelro`: drvsyms.h). The engine finds drivers through the
 * linker's __start_/__stop_ symbols of those sections, and restores every
 * driver global before each run (data from a snapshot taken before any driver
 * ran, bss zeroed), so a persistent fuzzing loop starts each run with freshly
 * loaded images: no state carries from one run to the next.
 *
 * The table is sorted by name, so module indices and traces do not depend on
 * link order.
 */
#ifndef NMRSIM_HOST_H
#define NMRSIM_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/images.h"
#include "host/atomic_point.h"
#include "scenario/scenario.h"
#include "sched/sched.h"
#include "wdm.h"


#define HOST_NAME_CHARS 96 /* UTF-16 units for \Driver\NAME and the registry path */

enum host_state { HOST_ABSENT = 0, HOST_LOADING, HOST_LOADED, HOST_FAILED, HOST_UNLOADING, HOST_UNLOADED };

/* One hosted driver image in a run. */
struct host_image {
	uint8_t state;                 /* enum host_state */
	uint8_t module;                /* scenario module index */
	uint32_t unload_waiters;       /* threads (bit per id) whose unload waits for DriverEntry */
	DRIVER_OBJECT object;          /* what DriverEntry and DriverUnload get */
	UNICODE_STRING regpath;        /* DriverEntry's RegistryPath */
	uint16_t name_buf[HOST_NAME_CHARS];
	uint16_t path_buf[HOST_NAME_CHARS];
};

struct host_run {
	struct sched *sched;
	const struct scenario *scn;
	struct host_image images[SCN_MODULES_MAX];
	struct atomic_points atomics;  /* `atomics preempt` (atomic_point.h) */
};

extern struct host_run *host_current; /* the running run's (drain threads) */

/* Start of a run: restore every driver's globals, reset the images. */
void host_run_init(struct host_run *h, struct sched *s, const struct scenario *scn);
/* A scenario op on a driver module (load, unload), on the running thread. */
void host_op(struct host_run *h, const struct scn_op *op);
/* Drain: spawn a thread that unloads each driver still loaded. True if any. */
bool host_drain(struct host_run *h);
/* Whether module `module` is a driver whose image is gone (its Unload
 * returned, or its DriverEntry failed): its code would no longer be mapped. */
bool host_gone(const struct host_run *h, uint8_t module);
/* Whether module `module` of the run is a hosted driver (not scripted). */
bool host_is_driver(const struct host_run *h, uint8_t module);

#endif
