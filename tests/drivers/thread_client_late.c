/* thread_client_late.c - thread_client.c whose thread queries the provider once more after completing the detach (M18). Scenario: corpus/kernel/thread-late.nmr. */
#define THREAD_QUERY_AFTER_COMPLETE
#include "thread_client.c"
