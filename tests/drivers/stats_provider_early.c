/* stats_provider_early.c - stats_provider.c with Unload freeing the statistics block before it deregisters: a client's query on its own system thread reads freed pool in the provider's ProviderQuery (K05, the provider's finding at the dispatch call). Scenario: corpus/kernel/stats-early.nmr. */
#define STATS_FREE_EARLY
#include "stats_provider.c"
