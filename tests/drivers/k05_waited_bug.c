/* k05_waited_bug.c - k05_waited_good.c with Unload freeing the queue before it stops the threads that wait on the queue's KMUTEX and KEVENT (K05 at the free, nothing after). Scenario: corpus/kernel/K05-waited-bug.nmr. */
#define FREE_BEFORE_STOP
#include "k05_waited_good.c"
