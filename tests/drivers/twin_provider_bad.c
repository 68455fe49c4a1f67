/* twin_provider_bad.c - two providers of the Example NPI in one driver whose Unload waits
 * for the first one twice (twin_provider.h): M07, then M20. */
#define TWIN_WAIT_BUG 1
#include "twin_provider.h"
