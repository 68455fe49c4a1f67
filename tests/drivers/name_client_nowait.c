/* name_client_nowait.c - name_client.c built with NAME_NO_WATCHDOG_WAIT (docs/SWEEP.md, fifth sweep). */
#define NAME_NO_WATCHDOG_WAIT
#include "name_client.c"
