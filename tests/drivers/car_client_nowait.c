/* car_client_nowait.c - car_client.c built with CAR_NO_THREAD_WAIT (docs/SWEEP.md, fifth sweep). */
#define CAR_NO_THREAD_WAIT
#include "car_client.c"
