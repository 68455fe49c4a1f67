/* wi_maint_bug.c - wi_maint.c with Unload waiting for its maintenance work items while it holds the mutex they take: L01, the report names the item still queued. Scenario: corpus/kernel/wi-maint-bug.nmr. */
#define WI_MAINT_WAIT_LOCKED
#include "wi_maint.c"
