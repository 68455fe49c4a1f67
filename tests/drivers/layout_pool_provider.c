/* layout_pool_provider.c - a correct provider of the Layout NPI with the
 * flat dispatch layout that hands out the table from its binding context
 * in pool (layout_npi.h, layout_provider.h): unguarded, with a timeline
 * line saying why. */
#define LAYOUT_PROVIDER_NPI 0
#define LAYOUT_PROVIDER_IN_POOL 1
#include "layout_provider.h"
