/* netiodef.h - NPI identification types and NmrIsEqualNpiModuleId, as the
 * WDK declares them: PNPIID and PNPI_MODULEID point to const. */
#ifndef _NETIODEF_
#define _NETIODEF_


#include "ntdef.h"

typedef GUID NPIID;
typedef CONST NPIID *PNPIID;

typedef enum _NPI_MODULEID_TYPE { MIT_GUID = 1, MIT_IF_LUID = 2 } NPI_MODULEID_TYPE;

typedef struct _NPI_MODULEID {
	USHORT Length;
	NPI_MODULEID_TYPE Type;
	union {
		GUID Guid;
		LUID IfLuid;
	};
} NPI_MODULEID;
typedef CONST NPI_MODULEID *PNPI_MODULEID;

static inline BOOLEAN NmrIsEqualNpiModuleId(PNPI_MODULEID ModuleId1, PNPI_MODULEID ModuleId2)
{
	if (ModuleId1->Type != ModuleId2->Type)
		return FALSE;
	if (ModuleId1->Type == MIT_GUID)
		return __builtin_memcmp(&ModuleId1->Guid, &ModuleId2->Guid, sizeof(GUID)) == 0;
	if (ModuleId1->Type == MIT_IF_LUID)
		return __builtin_memcmp(&ModuleId1->IfLuid, &ModuleId2->IfLuid, sizeof(LUID)) == 0;
	return FALSE;
}

#endif
