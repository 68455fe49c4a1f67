/* evntprov.h - ETW provider types and the kernel's Etw* routines, inert:
 * nmrsim records no ETW events. Registration succeeds and hands back a
 * non-zero handle; writes succeed and do nothing; no provider is enabled. */
#ifndef _EVNTPROV_H_
#define _EVNTPROV_H_
#include "ntdef.h"

typedef ULONGLONG REGHANDLE, *PREGHANDLE;
typedef struct _EVENT_DESCRIPTOR {
	USHORT Id;
	UCHAR Version;
	UCHAR Channel;
	UCHAR Level;
	UCHAR Opcode;
	USHORT Task;
	ULONGLONG Keyword;
} EVENT_DESCRIPTOR, *PEVENT_DESCRIPTOR;
typedef const EVENT_DESCRIPTOR *PCEVENT_DESCRIPTOR;
typedef struct _EVENT_DATA_DESCRIPTOR {
	ULONGLONG Ptr;
	ULONG Size;
	union {
		ULONG Reserved;
		struct {
			UCHAR Type;
			UCHAR Reserved1;
			USHORT Reserved2;
		};
	};
} EVENT_DATA_DESCRIPTOR, *PEVENT_DATA_DESCRIPTOR;
typedef struct _EVENT_FILTER_DESCRIPTOR {
	ULONGLONG Ptr;
	ULONG Size;
	ULONG Type;
} EVENT_FILTER_DESCRIPTOR, *PEVENT_FILTER_DESCRIPTOR;
typedef VOID ETWENABLECALLBACK(LPCGUID SourceId, ULONG ControlCode, UCHAR Level, ULONGLONG MatchAnyKeyword,
			       ULONGLONG MatchAllKeyword, PEVENT_FILTER_DESCRIPTOR FilterData, PVOID CallbackContext);
typedef ETWENABLECALLBACK *PETWENABLECALLBACK;
typedef enum _EVENT_INFO_CLASS {
	EventProviderBinaryTrackInfo, EventProviderSetReserved1, EventProviderSetTraits, EventProviderUseDescriptorType,
	MaxEventInfo
} EVENT_INFO_CLASS;
#define EVENT_CONTROL_CODE_DISABLE_PROVIDER 0
#define EVENT_CONTROL_CODE_ENABLE_PROVIDER 1
#define EVENT_CONTROL_CODE_CAPTURE_STATE 2
#define EVENT_MIN_LEVEL 0
#define EVENT_MAX_LEVEL 0xff
#define EVENT_ACTIVITY_CTRL_GET_ID 1
#define EVENT_ACTIVITY_CTRL_SET_ID 2
#define EVENT_ACTIVITY_CTRL_CREATE_ID 3

FORCEINLINE VOID EventDataDescCreate(PEVENT_DATA_DESCRIPTOR d, const VOID *p, ULONG size)
{
	d->Ptr = (ULONGLONG)(ULONG_PTR)p;
	d->Size = size;
	d->Reserved = 0;
}
FORCEINLINE VOID EventDescCreate(PEVENT_DESCRIPTOR e, USHORT Id, UCHAR Version, UCHAR Channel, UCHAR Level, USHORT Task,
				 UCHAR Opcode, ULONGLONG Keyword)
{
	e->Id = Id;
	e->Version = Version;
	e->Channel = Channel;
	e->Level = Level;
	e->Task = Task;
	e->Opcode = Opcode;
	e->Keyword = Keyword;
}
FORCEINLINE NTSTATUS EtwRegister(LPCGUID ProviderId, PETWENABLECALLBACK EnableCallback, PVOID CallbackContext,
				 PREGHANDLE RegHandle)
{
	(void)ProviderId; (void)EnableCallback; (void)CallbackContext;
	*RegHandle = 1;
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS EtwUnregister(REGHANDLE RegHandle) { (void)RegHandle; return STATUS_SUCCESS; }
FORCEINLINE BOOLEAN EtwEventEnabled(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor)
{
	(void)RegHandle; (void)EventDescriptor;
	return FALSE;
}
FORCEINLINE BOOLEAN EtwProviderEnabled(REGHANDLE RegHandle, UCHAR Level, ULONGLONG Keyword)
{
	(void)RegHandle; (void)Level; (void)Keyword;
	return FALSE;
}
FORCEINLINE NTSTATUS EtwWrite(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor, LPCGUID ActivityId,
			      ULONG UserDataCount, PEVENT_DATA_DESCRIPTOR UserData)
{
	(void)RegHandle; (void)EventDescriptor; (void)ActivityId; (void)UserDataCount; (void)UserData;
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS EtwWriteTransfer(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor, LPCGUID ActivityId,
				      LPCGUID RelatedActivityId, ULONG UserDataCount, PEVENT_DATA_DESCRIPTOR UserData)
{
	(void)RegHandle; (void)EventDescriptor; (void)ActivityId; (void)RelatedActivityId; (void)UserDataCount;
	(void)UserData;
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS EtwWriteEx(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor, ULONG64 Filter, ULONG Flags,
				LPCGUID ActivityId, LPCGUID RelatedActivityId, ULONG UserDataCount,
				PEVENT_DATA_DESCRIPTOR UserData)
{
	(void)RegHandle; (void)EventDescriptor; (void)Filter; (void)Flags; (void)ActivityId; (void)RelatedActivityId;
	(void)UserDataCount; (void)UserData;
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS EtwSetInformation(REGHANDLE RegHandle, EVENT_INFO_CLASS InformationClass, PVOID EventInformation,
				       ULONG InformationLength)
{
	(void)RegHandle; (void)InformationClass; (void)EventInformation; (void)InformationLength;
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS EtwActivityIdControl(ULONG ControlCode, LPGUID ActivityId)
{
	(void)ControlCode;
	if (ActivityId)
		memset(ActivityId, 0, sizeof *ActivityId);
	return STATUS_SUCCESS;
}
#define EventRegister EtwRegister
#define EventUnregister EtwUnregister
#define EventWrite EtwWrite
#define EventWriteTransfer EtwWriteTransfer
#define EventWriteEx EtwWriteEx
#define EventEnabled EtwEventEnabled
#define EventProviderEnabled EtwProviderEnabled
#define EventSetInformation EtwSetInformation
#define EventActivityIdControl EtwActivityIdControl
#endif
