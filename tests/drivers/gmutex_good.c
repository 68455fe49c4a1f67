/* gmutex_good.c - guarded mutexes used as their pages say: a configuration
 * block under a KGUARDED_MUTEX, taken with KeAcquireGuardedMutex by
 * DriverEntry, a worker system thread and Unload; inside it an executive
 * resource acquired without KeEnterCriticalRegion (a guarded region
 * disables normal kernel APCs too, so this is no K10); a statistics counter
 * under a second guarded mutex taken with the Unsafe forms inside
 * KeEnterGuardedRegion/KeLeaveGuardedRegion; KeTryToAcquireGuardedMutex
 * on the worker's path. Clean in every schedule.
 *
 * Built with GMUTEX_NO_REGION (gmutex_unsafe.c): the statistics path calls
 * KeAcquireGuardedMutexUnsafe at PASSIVE_LEVEL outside a guarded region
 * (BUG: the page says the pair must run at APC_LEVEL or in a guarded
 * region): K01. Scenarios: corpus/kernel/gmutex-*.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static KSTART_ROUTINE Worker;

static KGUARDED_MUTEX ConfigLock;        // Config, ConfigResource's users
static ERESOURCE ConfigResource;
static ULONG Config;
static KGUARDED_MUTEX StatsLock;         // Updates
static ULONG Updates;
static KEVENT StopEvent;
static PKTHREAD WorkerThread;

static VOID CountUpdate(VOID)
{
#ifndef GMUTEX_NO_REGION
    KeEnterGuardedRegion();
#endif
    KeAcquireGuardedMutexUnsafe(&StatsLock);
    Updates++;
    KeReleaseGuardedMutexUnsafe(&StatsLock);
#ifndef GMUTEX_NO_REGION
    KeLeaveGuardedRegion();
#endif
}

static VOID UpdateConfig(ULONG Value)
{
    KeAcquireGuardedMutex(&ConfigLock);
    ExAcquireResourceExclusiveLite(&ConfigResource, TRUE);   // APCs are off: the guarded region
    Config = Value;
    ExReleaseResourceLite(&ConfigResource);
    KeReleaseGuardedMutex(&ConfigLock);
    CountUpdate();
}

_Use_decl_annotations_
static VOID Worker(PVOID StartContext)
{
    LARGE_INTEGER Period;
    ULONG Round = 0;

    UNREFERENCED_PARAMETER(StartContext);
    Period.QuadPart = -10 * 1000;
    while (KeWaitForSingleObject(&StopEvent, Executive, KernelMode, FALSE, &Period) == STATUS_TIMEOUT) {
        if (++Round % 2 == 0 && KeTryToAcquireGuardedMutex(&ConfigLock)) {
            Config++;
            KeReleaseGuardedMutex(&ConfigLock);
            CountUpdate();
        } else {
            UpdateConfig(Round);
        }
        if (Round == 4) {
            break;
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeSetEvent(&StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(WorkerThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(WorkerThread);
    UpdateConfig(0);
    ExDeleteResourceLite(&ConfigResource);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeGuardedMutex(&ConfigLock);
    KeInitializeGuardedMutex(&StatsLock);
    ExInitializeResourceLite(&ConfigResource);
    KeInitializeEvent(&StopEvent, NotificationEvent, FALSE);
    UpdateConfig(1);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Worker, NULL);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode,
                                           (PVOID *)&WorkerThread, NULL);
        ZwClose(ThreadHandle);
    }
    if (!NT_SUCCESS(Status)) {
        ExDeleteResourceLite(&ConfigResource);
        return Status;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
