/* k11_bad_rundown.c - k11_good_rundown.c with the context written after the re-initialisation (K11). */
#define K11_RUNDOWN_LATE
#include "k11_good_rundown.c"
