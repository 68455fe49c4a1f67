/* rereg_client_nowait.c - rereg_client.c whose Unload does not wait for a restart in progress (M04). Scenario: corpus/kernel/rereg-nowait.nmr. */
#define REREG_NO_IDLE_WAIT
#include "rereg_client.c"
