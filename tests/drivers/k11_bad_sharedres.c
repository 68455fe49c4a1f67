/* k11_bad_sharedres.c - k11_good_shared.c with K11_SHARED_WRITE_RESOURCE: statistics bumped under an ERESOURCE held shared (K11). */
#define K11_SHARED_WRITE_RESOURCE
#include "k11_good_shared.c"
