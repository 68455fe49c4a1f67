/* layout_mixed_late.c - a client of the Layout NPI with the mixed dispatch
 * layout (layout_npi.h) that says goodbye to the provider from its Unload after NmrDeregisterClient, its detach completed: M18. */
#define LAYOUT_CLIENT_NPI 3
#define LAYOUT_CLIENT_LATE 1
#include "layout_client.h"
