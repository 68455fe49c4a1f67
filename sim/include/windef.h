/* windef.h - the Windows base type names (LONG_PTR, SIZE_T, DWORD, ...) come
 * from ntdef.h here, as one kernel-mode set; MAXUINT32 and friends too. */
#include "ntdef.h"
