/* dual_client_late.c - dual_client.c counting a send after dropping the lock that found the binding (M18). Scenario: corpus/kernel/dual-late.nmr. */
#define DUAL_COUNT_LATE
#include "dual_client.c"
