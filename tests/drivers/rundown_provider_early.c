/* rundown_provider_early.c - rundown_provider.c with its DPC releasing a request's rundown reference before indicating the completion (M18). Scenario: corpus/kernel/rundown-early.nmr. */
#define RUNDOWN_RELEASE_EARLY
#include "rundown_provider.c"
