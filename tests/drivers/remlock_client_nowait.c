/* remlock_client_nowait.c - remlock_client.c whose detach item completes without waiting for the remove lock (M18/M19). Scenario: corpus/kernel/remlock-nowait.nmr. */
#define REMLOCK_NO_WAIT
#include "remlock_client.c"
