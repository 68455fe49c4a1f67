/* poll_provider_stop.c - poll_provider.c whose Unload stops its detach thread before deregistering (M17: the detaches that pend afterwards are never completed). Scenario: corpus/kernel/poll-stop.nmr. */
#define POLL_STOP_FIRST
#include "poll_provider.c"
