/* rwlock_provider_shared.c - rwlock_provider.c built with RW_STATS_UNDER_SHARED (docs/SWEEP.md, sixth sweep). */
#define RW_STATS_UNDER_SHARED
#include "rwlock_provider.c"
