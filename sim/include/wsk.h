/* wsk.h - Winsock Kernel names, for NMR clients that include it (it brings
 * netioddk.h, as in the WDK). nmrsim declares the WSK types and routines
 * but does not provide a socket provider: WskRegister and friends are not
 * provided, so a driver that calls them fails at link time naming them. */
#ifndef _WSK_
#define _WSK_
#include "wdm.h"
#include "netioddk.h"
#include "ws2def.h"
#include "ws2ipdef.h"

#define MAKE_WSK_VERSION(Mj, Mn) ((USHORT)((Mj) << 8) | (USHORT)((Mn) & 0xff))
#define WSK_MAJOR_VERSION(V) ((UCHAR)((V) >> 8))
#define WSK_MINOR_VERSION(V) ((UCHAR)(V))
#define WSK_FIRST_VERSION MAKE_WSK_VERSION(1, 0)
#define WSK_INFINITE_WAIT 0xFFFFFFFF
#define WSK_NO_WAIT 0
#define WSK_FLAG_BASIC_SOCKET 0x00000000
#define WSK_FLAG_LISTEN_SOCKET 0x00000001
#define WSK_FLAG_CONNECTION_SOCKET 0x00000002
#define WSK_FLAG_DATAGRAM_SOCKET 0x00000004
#define WSK_FLAG_STREAM_SOCKET 0x00000008
#define WSK_FLAG_AT_DISPATCH_LEVEL 0x00000008
#define WSK_FLAG_RELEASE_ASAP 0x00000002
#define WSK_FLAG_ENTIRE_MESSAGE 0x00000004
#define WSK_FLAG_NODELAY 0x00000002
#define WSK_FLAG_WAITALL 0x00000002
#define WSK_FLAG_DRAIN 0x00000004
#define WSK_FLAG_ABORTIVE 0x00000001
#define WSK_SET_STATIC_EVENT_CALLBACKS 7
#define WSK_TDI_DEVICENAME_MAPPING 1
#define WSK_TDI_BEHAVIOR 2
#define WSK_EVENT_DISABLE 0x80000000
#define WSK_EVENT_ACCEPT 0x00000001
#define WSK_EVENT_RECEIVE_FROM 0x00000100
#define WSK_EVENT_RECEIVE 0x00000040
#define WSK_EVENT_DISCONNECT 0x00000080
#define WSK_EVENT_SEND_BACKLOG 0x00000010

typedef PVOID PWSK_CLIENT;
typedef struct _WSK_SOCKET {
	const VOID *Dispatch;
} WSK_SOCKET, *PWSK_SOCKET;
typedef struct _MDL *PMDL;
typedef struct _WSK_BUF {
	PMDL Mdl;
	ULONG Offset;
	SIZE_T Length;
} WSK_BUF, *PWSK_BUF;
typedef struct _WSK_DATA_INDICATION {
	struct _WSK_DATA_INDICATION *Next;
	WSK_BUF Buffer;
} WSK_DATA_INDICATION, *PWSK_DATA_INDICATION;
typedef struct _WSK_DATAGRAM_INDICATION {
	struct _WSK_DATAGRAM_INDICATION *Next;
	WSK_BUF Buffer;
	PCMSGHDR ControlInfo;
	ULONG ControlInfoLength;
	PSOCKADDR RemoteAddress;
} WSK_DATAGRAM_INDICATION, *PWSK_DATAGRAM_INDICATION;
typedef struct _WSK_EVENT_CALLBACK_CONTROL {
	PNPIID NpiId;
	ULONG EventMask;
} WSK_EVENT_CALLBACK_CONTROL, *PWSK_EVENT_CALLBACK_CONTROL;
typedef enum { WskSetOption, WskGetOption, WskIoctl, WskControlMax } WSK_CONTROL_SOCKET_TYPE;
typedef enum { WskInspectReject, WskInspectAccept, WskInspectPend, WskInspectMax } WSK_INSPECT_ACTION;

typedef NTSTATUS WSK_CLIENT_EVENT(PVOID ClientContext, ULONG EventType, PVOID Information, SIZE_T InformationLength);
typedef WSK_CLIENT_EVENT *PFN_WSK_CLIENT_EVENT;
typedef struct _WSK_CLIENT_DISPATCH {
	USHORT Version;
	USHORT Reserved;
	PFN_WSK_CLIENT_EVENT WskClientEvent;
} WSK_CLIENT_DISPATCH, *PWSK_CLIENT_DISPATCH;
typedef NTSTATUS WSK_SOCKET_FN(PWSK_CLIENT Client, ADDRESS_FAMILY AddressFamily, USHORT SocketType, ULONG Protocol,
			       ULONG Flags, PVOID SocketContext, const VOID *Dispatch, PEPROCESS OwningProcess,
			       PETHREAD OwningThread, PVOID SecurityDescriptor, PIRP Irp);
typedef WSK_SOCKET_FN *PFN_WSK_SOCKET;
typedef NTSTATUS WSK_CONTROL_CLIENT_FN(PWSK_CLIENT Client, ULONG ControlCode, SIZE_T InputSize, PVOID InputBuffer,
				       SIZE_T OutputSize, PVOID OutputBuffer, SIZE_T *OutputSizeReturned, PIRP Irp);
typedef WSK_CONTROL_CLIENT_FN *PFN_WSK_CONTROL_CLIENT;
typedef struct _WSK_PROVIDER_DISPATCH {
	USHORT Version;
	USHORT Reserved;
	PFN_WSK_SOCKET WskSocket;
	PVOID WskSocketConnect;
	PFN_WSK_CONTROL_CLIENT WskControlClient;
	PVOID WskGetAddressInfo;
	PVOID WskFreeAddressInfo;
	PVOID WskGetNameInfo;
} WSK_PROVIDER_DISPATCH, *PWSK_PROVIDER_DISPATCH;
typedef struct _WSK_CLIENT_NPI {
	PVOID ClientContext;
	const WSK_CLIENT_DISPATCH *Dispatch;
} WSK_CLIENT_NPI, *PWSK_CLIENT_NPI;
typedef struct _WSK_PROVIDER_NPI {
	PWSK_CLIENT Client;
	const WSK_PROVIDER_DISPATCH *Dispatch;
} WSK_PROVIDER_NPI, *PWSK_PROVIDER_NPI;
typedef struct _WSK_REGISTRATION {
	ULONGLONG ReservedRegistrationState;
	PVOID ReservedRegistrationContext;
	KSPIN_LOCK ReservedRegistrationLock;
} WSK_REGISTRATION, *PWSK_REGISTRATION;
typedef struct _WSK_CLIENT_CONNECTION_DISPATCH {
	PVOID WskReceiveEvent;
	PVOID WskDisconnectEvent;
	PVOID WskSendBacklogEvent;
} WSK_CLIENT_CONNECTION_DISPATCH, *PWSK_CLIENT_CONNECTION_DISPATCH;
typedef struct _WSK_CLIENT_LISTEN_DISPATCH {
	PVOID WskAcceptEvent;
	PVOID WskInspectEvent;
	PVOID WskAbortEvent;
} WSK_CLIENT_LISTEN_DISPATCH, *PWSK_CLIENT_LISTEN_DISPATCH;
typedef struct _WSK_CLIENT_DATAGRAM_DISPATCH {
	PVOID WskReceiveFromEvent;
} WSK_CLIENT_DATAGRAM_DISPATCH, *PWSK_CLIENT_DATAGRAM_DISPATCH;

extern const NPIID NPI_WSK_INTERFACE_ID;

/* Not provided by nmrsim (no socket provider): fail at link time by name. */
NTSTATUS WskRegister(PWSK_CLIENT_NPI WskClientNpi, PWSK_REGISTRATION WskRegistration);
VOID WskDeregister(PWSK_REGISTRATION WskRegistration);
NTSTATUS WskCaptureProviderNPI(PWSK_REGISTRATION WskRegistration, ULONG WaitTimeout, PWSK_PROVIDER_NPI WskProviderNpi);
VOID WskReleaseProviderNPI(PWSK_REGISTRATION WskRegistration);
NTSTATUS WskQueryProviderCharacteristics(PWSK_REGISTRATION WskRegistration, PVOID WskProviderCharacteristics);
#endif
