/* rundown_provider_noflush.c - rundown_provider.c whose Unload does not flush the DPCs (K06: the completion DPC may still be returning). Scenario: corpus/kernel/rundown-noflush.nmr. */
#define RUNDOWN_NO_FLUSH
#include "rundown_provider.c"
