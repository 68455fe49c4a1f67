/* layout_flat_good.c - a client of the Layout NPI with the flat dispatch
 * layout (layout_npi.h) that says goodbye to the provider in its detach callback: correct. */
#define LAYOUT_CLIENT_NPI 0
#define LAYOUT_CLIENT_LATE 0
#include "layout_client.h"
