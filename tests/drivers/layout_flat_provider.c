/* layout_flat_provider.c - a correct provider of the Layout NPI with the
 * flat dispatch layout (layout_npi.h, layout_provider.h). */
#define LAYOUT_PROVIDER_NPI 0
#include "layout_provider.h"
