/* pend_client_noflush.c - pend_client.c without KeFlushQueuedDpcs in Unload (K06). Scenario: corpus/kernel/pend-noflush.nmr. */
#define PEND_NO_FLUSH
#include "pend_client.c"
