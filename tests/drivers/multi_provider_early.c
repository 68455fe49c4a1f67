/* multi_provider_early.c - multi_provider.c freeing its port table before the second port's wait returned (M03). Scenario: corpus/kernel/multi-early.nmr. */
#define MULTI_FREE_EARLY
#include "multi_provider.c"
