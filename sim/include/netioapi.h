/* netioapi.h - the kernel-mode IP helper API's header (WDK name). Drivers
 * include it for its types (NET_LUID, NET_IFINDEX, SOCKADDR_INET,
 * MIB_NOTIFICATION_TYPE); nmrsim models no IP stack, so the routines are
 * declared with their WDK signatures and a driver that calls one fails at
 * link time by its name (docs/DRIVERS.md, "What fails at link time"). */
#ifndef _NETIOAPI_H_
#define _NETIOAPI_H_
#include "ntdef.h"
#include "ws2def.h"
#include "ws2ipdef.h"
#include "ifdef.h"

#ifndef NETIOAPI_API
#define NETIOAPI_API NTSTATUS NTAPI
#endif
#define NETIO_STATUS NTSTATUS
#define NETIOAPI_API_ NETIOAPI_API

typedef enum _MIB_NOTIFICATION_TYPE {
	MibParameterNotification,
	MibAddInstance,
	MibDeleteInstance,
	MibInitialNotification,
} MIB_NOTIFICATION_TYPE, *PMIB_NOTIFICATION_TYPE;

NETIOAPI_API ConvertInterfaceLuidToIndex(CONST NET_LUID *InterfaceLuid, PNET_IFINDEX InterfaceIndex);
NETIOAPI_API ConvertInterfaceIndexToLuid(NET_IFINDEX InterfaceIndex, PNET_LUID InterfaceLuid);
NETIOAPI_API CancelMibChangeNotify2(HANDLE NotificationHandle);
VOID NTAPI FreeMibTable(PVOID Memory);
#endif
