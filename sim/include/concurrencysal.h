/* concurrencysal.h - annotations, all defined away (sal.h). */
#include "sal.h"
