/* gmutex_unsafe.c - gmutex_good.c taking the Unsafe guarded mutex at PASSIVE_LEVEL outside a guarded region (K01). Scenario: corpus/kernel/gmutex-unsafe.nmr. */
#define GMUTEX_NO_REGION
#include "gmutex_good.c"
