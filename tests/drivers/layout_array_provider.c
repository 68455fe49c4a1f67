/* layout_array_provider.c - a correct provider of the Layout NPI with the
 * array dispatch layout (layout_npi.h, layout_provider.h). */
#define LAYOUT_PROVIDER_NPI 1
#include "layout_provider.h"
