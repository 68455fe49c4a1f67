/* remlock_badtag.c - remlock_good.c whose work items release the remove lock with a NULL tag instead of the tag they were acquired with (K09). Scenario: corpus/kernel/remlock-badtag.nmr. */
#define REMLOCK_WRONG_TAG
#include "remlock_good.c"
