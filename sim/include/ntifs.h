/* ntifs.h - the WDK's superset of ntddk.h for file-system and filter
 * drivers; NMR drivers include it for a few names (security, process and
 * object routines). Everything nmrsim models is in wdm.h; routines named
 * here that docs/KERNEL.md does not list are not provided (link error). */
#ifndef _NTIFS_
#define _NTIFS_
#include "ntddk.h"

typedef PVOID PSECURITY_DESCRIPTOR;
typedef PVOID PACCESS_TOKEN;
typedef PVOID PSID;
typedef struct _FILE_OBJECT *PFILE_OBJECT;
typedef struct _KAPC *PKAPC;
typedef enum _SECURITY_IMPERSONATION_LEVEL {
	SecurityAnonymous, SecurityIdentification, SecurityImpersonation, SecurityDelegation
} SECURITY_IMPERSONATION_LEVEL, *PSECURITY_IMPERSONATION_LEVEL;
#define SECURITY_DESCRIPTOR_REVISION 1
#define SECURITY_DESCRIPTOR_MIN_LENGTH 40

NTKERNELAPI HANDLE NTAPI PsGetProcessId(PEPROCESS Process);
NTKERNELAPI PEPROCESS NTAPI PsGetCurrentProcess(VOID);
#define IoGetCurrentProcess PsGetCurrentProcess
NTKERNELAPI NTSTATUS NTAPI PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process);
NTKERNELAPI NTSTATUS NTAPI ZwQueryInformationProcess(HANDLE ProcessHandle, ULONG ProcessInformationClass,
						     PVOID ProcessInformation, ULONG ProcessInformationLength,
						     PULONG ReturnLength);
NTKERNELAPI NTSTATUS NTAPI RtlCreateSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Revision);
#endif
