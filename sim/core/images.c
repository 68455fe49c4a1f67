/* images.c - the linked driver images, sorted by name (see images.h). */
#include "core/images.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/assert.h"

/* Provided by the linker when driver objects are linked in (weak: a binary
 * without drivers has none, and the addresses are then null). */
extern const struct image_rec __start_nmrsim_drivers[] __attribute__((weak));
extern const struct image_rec __stop_nmrsim_drivers[] __attribute__((weak));

static struct {
	bool built;
	unsigned count;
	const struct image_rec *sorted[IMAGES_MAX];
} table;

static void table_build(void)
{
	if (table.built)
		return;
	table.built = true;
	const struct image_rec *b = __start_nmrsim_drivers, *e = __stop_nmrsim_drivers;
	for (; b && b < e; b++) {
		if (table.count == IMAGES_MAX) {
			fprintf(stderr, "nmrsim: more than %d drivers linked; the rest are ignored\n", IMAGES_MAX);
			break;
		}
		SIM_ASSERT(b->name != NULL, "a linked driver image has a name");
		unsigned i = table.count++;
		for (; i > 0 && strcmp(table.sorted[i - 1]->name, b->name) > 0; i--)
			table.sorted[i] = table.sorted[i - 1];
		table.sorted[i] = b;
	}
	SIM_ASSERT_LE(table.count, IMAGES_MAX, "linked driver images fit their table");
}

unsigned image_count(void)
{
	table_build();
	return table.count;
}

const struct image_rec *image_get(unsigned index)
{
	table_build();
	return index < table.count ? table.sorted[index] : NULL;
}

int image_find(const char *name)
{
	table_build();
	for (unsigned i = 0; i < table.count; i++)
		if (strcmp(table.sorted[i]->name, name) == 0)
			return (int)i;
	return -1;
}
