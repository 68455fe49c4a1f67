/* slist_provider_racy.c - slist_provider.c built with SLIST_RACY_REFERENCE (docs/SWEEP.md, fifth sweep). */
#define SLIST_RACY_REFERENCE
#include "slist_provider.c"
