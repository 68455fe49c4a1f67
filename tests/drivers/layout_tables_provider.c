/* layout_tables_provider.c - a correct provider of the Layout NPI with the
 * tables dispatch layout (layout_npi.h, layout_provider.h). */
#define LAYOUT_PROVIDER_NPI 2
#include "layout_provider.h"
