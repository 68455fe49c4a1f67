/* racy_case.h - what racy-bench and the strategy tests of the racy-bug
 * benchmark share: loading a case or its correct twin, medians. */
#ifndef NMRSIM_RACY_CASE_H
#define NMRSIM_RACY_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario/scenario.h"

/* Parse the case file at path into s; with twin, every "_bug" driver
 * becomes its "_fix" build first. 0, or -1 with file:line:reason on
 * stderr (prefixed by who when the file cannot be read). */
int racy_case_load(struct scenario *s, const char *path, bool twin, const char *who);

/* Lower median of n values (sorts them). */
uint64_t racy_median(uint64_t *v, unsigned n);

#endif
