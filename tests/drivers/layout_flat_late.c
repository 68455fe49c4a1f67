/* layout_flat_late.c - a client of the Layout NPI with the flat dispatch
 * layout (layout_npi.h) that says goodbye to the provider from its Unload after NmrDeregisterClient, its detach completed: M18. */
#define LAYOUT_CLIENT_NPI 0
#define LAYOUT_CLIENT_LATE 1
#include "layout_client.h"
