/* timer_provider_stats.c - timer_provider.c whose DPC counts the detach in the binding after the Complete (M19: NMR may have cleaned it up inside). Scenario: corpus/kernel/timer-stats.nmr. */
#define TIMER_STATS_AFTER_COMPLETE
#include "timer_provider.c"
