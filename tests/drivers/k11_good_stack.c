/* k11_good_stack.c - k11_bad_stack.c made right: DriverEntry marks the
 * request on its stack only after the probe thread's Done event (the wait
 * orders the thread's update before it). Clean with `races on`. Scenario:
 * corpus/kernel/K11-good_stack.nmr. */
#define K11_STACK_FIXED
#include "k11_bad_stack.c"
