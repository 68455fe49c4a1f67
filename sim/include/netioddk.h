/* netioddk.h - the Network Module Registrar API, WDK names and signatures.
 * As in the WDK, PNPI_REGISTRATION_INSTANCE and PNPI_*_CHARACTERISTICS point
 * to const, so callbacks declared with `const NPI_REGISTRATION_INSTANCE *`
 * match the callback types exactly. */
#ifndef _NETIODDK_
#define _NETIODDK_

#include "ntdef.h"
#include "netiodef.h"

typedef struct _NPI_REGISTRATION_INSTANCE {
	USHORT Version;
	USHORT Size;
	PNPIID NpiId;
	PNPI_MODULEID ModuleId;
	ULONG Number;
	CONST VOID *NpiSpecificCharacteristics;
} NPI_REGISTRATION_INSTANCE;
typedef CONST NPI_REGISTRATION_INSTANCE *PNPI_REGISTRATION_INSTANCE;

typedef NTSTATUS NPI_CLIENT_ATTACH_PROVIDER_FN(HANDLE NmrBindingHandle, PVOID ClientContext,
		PNPI_REGISTRATION_INSTANCE ProviderRegistrationInstance);
typedef NPI_CLIENT_ATTACH_PROVIDER_FN *PNPI_CLIENT_ATTACH_PROVIDER_FN;
typedef NTSTATUS NPI_CLIENT_DETACH_PROVIDER_FN(PVOID ClientBindingContext);
typedef NPI_CLIENT_DETACH_PROVIDER_FN *PNPI_CLIENT_DETACH_PROVIDER_FN;
typedef VOID NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN(PVOID ClientBindingContext);
typedef NPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN *PNPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN;

typedef NTSTATUS NPI_PROVIDER_ATTACH_CLIENT_FN(HANDLE NmrBindingHandle, PVOID ProviderContext,
		PNPI_REGISTRATION_INSTANCE ClientRegistrationInstance, PVOID ClientBindingContext,
		CONST VOID *ClientDispatch, PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch);
typedef NPI_PROVIDER_ATTACH_CLIENT_FN *PNPI_PROVIDER_ATTACH_CLIENT_FN;
typedef NTSTATUS NPI_PROVIDER_DETACH_CLIENT_FN(PVOID ProviderBindingContext);
typedef NPI_PROVIDER_DETACH_CLIENT_FN *PNPI_PROVIDER_DETACH_CLIENT_FN;
typedef VOID NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN(PVOID ProviderBindingContext);
typedef NPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN *PNPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN;

typedef struct _NPI_CLIENT_CHARACTERISTICS {
	USHORT Version;
	USHORT Length;
	PNPI_CLIENT_ATTACH_PROVIDER_FN ClientAttachProvider;
	PNPI_CLIENT_DETACH_PROVIDER_FN ClientDetachProvider;
	PNPI_CLIENT_CLEANUP_BINDING_CONTEXT_FN ClientCleanupBindingContext;
	NPI_REGISTRATION_INSTANCE ClientRegistrationInstance;
} NPI_CLIENT_CHARACTERISTICS;
typedef CONST NPI_CLIENT_CHARACTERISTICS *PNPI_CLIENT_CHARACTERISTICS;

typedef struct _NPI_PROVIDER_CHARACTERISTICS {
	USHORT Version;
	USHORT Length;
	PNPI_PROVIDER_ATTACH_CLIENT_FN ProviderAttachClient;
	PNPI_PROVIDER_DETACH_CLIENT_FN ProviderDetachClient;
	PNPI_PROVIDER_CLEANUP_BINDING_CONTEXT_FN ProviderCleanupBindingContext;
	NPI_REGISTRATION_INSTANCE ProviderRegistrationInstance;
} NPI_PROVIDER_CHARACTERISTICS;
typedef CONST NPI_PROVIDER_CHARACTERISTICS *PNPI_PROVIDER_CHARACTERISTICS;

NTSTATUS NmrRegisterClient(PNPI_CLIENT_CHARACTERISTICS ClientCharacteristics, PVOID ClientContext, PHANDLE NmrClientHandle);
NTSTATUS NmrDeregisterClient(HANDLE NmrClientHandle);
NTSTATUS NmrWaitForClientDeregisterComplete(HANDLE NmrClientHandle);
NTSTATUS NmrClientAttachProvider(HANDLE NmrBindingHandle, PVOID ClientBindingContext, CONST VOID *ClientDispatch,
		PVOID *ProviderBindingContext, CONST VOID **ProviderDispatch);
VOID NmrClientDetachProviderComplete(HANDLE NmrBindingHandle);

NTSTATUS NmrRegisterProvider(PNPI_PROVIDER_CHARACTERISTICS ProviderCharacteristics, PVOID ProviderContext, PHANDLE NmrProviderHandle);
NTSTATUS NmrDeregisterProvider(HANDLE NmrProviderHandle);
NTSTATUS NmrWaitForProviderDeregisterComplete(HANDLE NmrProviderHandle);
VOID NmrProviderDetachClientComplete(HANDLE NmrBindingHandle);

#endif
