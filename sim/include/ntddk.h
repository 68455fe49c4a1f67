/* ntddk.h - the WDK's superset of wdm.h for non-WDM drivers. Everything an
 * NMR client or provider needs is in wdm.h; this adds the few ntddk-only
 * names such drivers use. */
#ifndef _NTDDK_
#define _NTDDK_

#include "wdm.h"

typedef enum _KINTERRUPT_MODE { LevelSensitive, Latched } KINTERRUPT_MODE;
typedef struct _KAPC_STATE {
	ULONG_PTR Reserved[6];
} KAPC_STATE, *PKAPC_STATE;

#endif
