/* timer_provider_reset.c - timer_provider.c whose DPC resets the binding's send counter with RtlZeroMemory after the Complete (M19: NMR may have cleaned it up inside). gcc expands that small memset into a store its ThreadSanitizer pass does not see unless the driver build keeps it a call (examples/meson.build). Scenario: corpus/kernel/timer-reset.nmr. */
#define TIMER_RESET_AFTER_COMPLETE
#include "timer_provider.c"
