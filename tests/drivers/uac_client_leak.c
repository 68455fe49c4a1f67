/* uac_client_leak.c - uac_client_good.c whose IoQueueWorkItem routine, after
 * completing the detach, allocates a history record it never frees. When
 * Unload returns before the routine ends (the I/O manager keeps the driver
 * loaded until then), the leak shows when the routine ends: M21 there.
 * Scenario: corpus/kernel/M21-work-item-leak.nmr. */
#define UAC_LEAK_HISTORY 1
#include "uac_client_good.c"
