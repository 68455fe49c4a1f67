/* intsafe.h - the user-mode spellings of ntintsafe.h (ULongAdd, SizeTMult,
 * ...), returning STATUS_* codes here as nmrsim has no HRESULT routines. */
#include "ntintsafe.h"
