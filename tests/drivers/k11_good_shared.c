/* k11_good_shared.c - K11 and reader/writer locks (docs/KERNEL.md, "Data
 * races"): two system threads read a setting under a push lock held shared
 * and a statistics block under an ERESOURCE held shared, and write each only
 * holding its lock exclusive: clean. Shared holders are not ordered with
 * each other, only with exclusive ones.
 *
 * Built with K11_SHARED_WRITE_PUSHLOCK (k11_bad_shared.c) each thread bumps
 * the setting's counter under the push lock held shared, and with
 * K11_SHARED_WRITE_RESOURCE (k11_bad_sharedres.c) the statistics under the
 * ERESOURCE held shared: K11 (lost before the sixth sweep: the two shared
 * sections never overlap in a schedule, and each release was ordered
 * before the next shared acquire). Scenarios: corpus/kernel/K11-*_shared*.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD ShUnload;
static KSTART_ROUTINE ShWorker;

static EX_PUSH_LOCK ShSettingLock;
static ULONG ShSetting;                    // under ShSettingLock
static ULONG ShSettingReads;               // under ShSettingLock (exclusive to write)
static ERESOURCE ShStatsLock;
static ULONG ShStats[2];                   // under ShStatsLock (exclusive to write)
static PKTHREAD ShThreads[2];

_Use_decl_annotations_
static VOID ShWorker(PVOID StartContext)
{
    ULONG Me = (ULONG)(ULONG_PTR)StartContext;
    LARGE_INTEGER Pause;
    ULONG Seen = 0;

    Pause.QuadPart = -10 * 100;
    for (ULONG Round = 0; Round < 3; Round++) {
        KeEnterCriticalRegion();
        ExAcquirePushLockShared(&ShSettingLock);
        Seen += ShSetting;
#ifdef K11_SHARED_WRITE_PUSHLOCK
        ShSettingReads++;                  // BUG: the lock is held shared
#endif
        ExReleasePushLockShared(&ShSettingLock);
#ifndef K11_SHARED_WRITE_PUSHLOCK
        ExAcquirePushLockExclusive(&ShSettingLock);
        ShSettingReads++;
        ExReleasePushLockExclusive(&ShSettingLock);
#endif
        ExAcquireResourceSharedLite(&ShStatsLock, TRUE);
        Seen += ShStats[0] + ShStats[1];
#ifdef K11_SHARED_WRITE_RESOURCE
        ShStats[0]++;                      // BUG: the resource is held shared
        ExReleaseResourceLite(&ShStatsLock);
#else
        ExReleaseResourceLite(&ShStatsLock);
        ExAcquireResourceExclusiveLite(&ShStatsLock, TRUE);
        ShStats[Me]++;
        ExReleaseResourceLite(&ShStatsLock);
#endif
        KeLeaveCriticalRegion();
        KeDelayExecutionThread(KernelMode, FALSE, &Pause);
    }
    DbgPrint("k11_shared: worker %lu saw %lu\n", Me, Seen);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID ShUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    for (ULONG i = 0; i < 2; i++) {
        KeWaitForSingleObject(ShThreads[i], Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(ShThreads[i]);
    }
    ExDeleteResourceLite(&ShStatsLock);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    ExInitializePushLock(&ShSettingLock);
    ExInitializeResourceLite(&ShStatsLock);
    ShSetting = 7;
    for (ULONG i = 0; i < 2; i++) {
        HANDLE Handle;
        NTSTATUS Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ShWorker,
                                               (PVOID)(ULONG_PTR)i);
        NT_ASSERT(NT_SUCCESS(Status));
        Status = ObReferenceObjectByHandle(Handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode,
                                           (PVOID *)&ShThreads[i], NULL);
        NT_ASSERT(NT_SUCCESS(Status));
        ZwClose(Handle);
    }
    DriverObject->DriverUnload = ShUnload;
    return STATUS_SUCCESS;
}
