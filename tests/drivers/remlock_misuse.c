/* remlock_misuse.c - remlock_good.c whose Unload calls IoReleaseRemoveLockAndWait without acquiring the lock (K09). Scenario: corpus/kernel/remlock-misuse.nmr. */
#define REMLOCK_WAIT_UNACQUIRED
#include "remlock_good.c"
