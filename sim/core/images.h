/* images.h - the driver images linked into this binary.
 *
 * Each hosted driver object carries one record in the linker section
 * `nmrsim_drivers` (written by tools/driver-obj.sh). This is the table of
 * them, sorted by name, built once per process: the scenario codec resolves
 * `driver NAME` through it, hosting loads images from it. Pure data: it runs
 * no driver code (hosting, sim/host/, does). */
#ifndef NMRSIM_IMAGES_H
#define NMRSIM_IMAGES_H

#include <stdint.h>

/* The record each driver object carries (plain C types so the generated stub
 * needs no WDK header). */
struct image_rec {
	const char *name;                                            /* build name: the scenario's `driver NAME` */
	int32_t (*entry)(void *driver_object, void *registry_path); /* its DriverEntry (returns NTSTATUS) */
	uint32_t access_checked;                                     /* 1: its memory accesses call sim/host/memaccess.c */
};

#define IMAGES_MAX 256 /* drivers linked into one binary; the rest are ignored with a message */

unsigned image_count(void);
const struct image_rec *image_get(unsigned index); /* sorted by name; NULL past the end */
int image_find(const char *name);                 /* index, or -1 */

#endif
