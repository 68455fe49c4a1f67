/* periodic_client_nostop.c - the buggy twin of periodic_client.c: its Unload
 * deregisters but does not stop the periodic worker, whose code then runs
 * after Unload returned (K06; the running thread is outstanding work at
 * Unload, M21). Scenarios: corpus/kernel/drain-nostop-*.nmr. */
#define PERIODIC_CLIENT_NO_STOP
#include "periodic_client.c"
