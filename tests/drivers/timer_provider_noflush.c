/* timer_provider_noflush.c - timer_provider.c without KeFlushQueuedDpcs after the deregistration (K06: the DPC of the last Complete may still be returning). Scenario: corpus/kernel/timer-noflush.nmr. */
#define TIMER_NO_FLUSH
#include "timer_provider.c"
