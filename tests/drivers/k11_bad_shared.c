/* k11_bad_shared.c - k11_good_shared.c with K11_SHARED_WRITE_PUSHLOCK: a counter bumped under a push lock held shared (K11). */
#define K11_SHARED_WRITE_PUSHLOCK
#include "k11_good_shared.c"
