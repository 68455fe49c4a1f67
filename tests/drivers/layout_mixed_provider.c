/* layout_mixed_provider.c - a correct provider of the Layout NPI with the
 * mixed dispatch layout (layout_npi.h, layout_provider.h). */
#define LAYOUT_PROVIDER_NPI 3
#include "layout_provider.h"
