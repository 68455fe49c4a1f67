/* twin_provider.c - two providers of the Example NPI in one driver, correct (twin_provider.h). */
#define TWIN_WAIT_BUG 0
#include "twin_provider.h"
