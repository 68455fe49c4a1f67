/* k05_freed_lock.c - a statistics thread takes an executive spin lock that
 * lives in the driver's context; Unload frees the context before it lets the
 * thread finish (the free belongs after the thread wait): the thread's
 * ExAcquireSpinLockExclusive gets freed pool. K05 at the acquire (a routine
 * given freed memory), not a lock held for good.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K05-freed-lock.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD StatsUnload;
static KSTART_ROUTINE StatsThread;

#define STATS_TAG 0x466c5374u /* "tSlF" */

typedef struct _STATS_CONTEXT {
    EX_SPIN_LOCK Lock;
    ULONG Flushes;
} STATS_CONTEXT, *PSTATS_CONTEXT;

static PSTATS_CONTEXT Stats;
static KEVENT FlushNow;
static PKTHREAD Flusher;

_Use_decl_annotations_
static VOID StatsThread(PVOID StartContext)
{
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(StartContext);
    KeWaitForSingleObject(&FlushNow, Executive, KernelMode, FALSE, NULL);
    OldIrql = ExAcquireSpinLockExclusive(&Stats->Lock);
    Stats->Flushes++;
    ExReleaseSpinLockExclusive(&Stats->Lock, OldIrql);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID StatsUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ExFreePoolWithTag(Stats, STATS_TAG);               // BUG: the flusher still uses it
    KeSetEvent(&FlushNow, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Flusher, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Flusher);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Stats = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Stats), STATS_TAG);
    if (Stats == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Stats->Lock = 0;
    Stats->Flushes = 0;
    KeInitializeEvent(&FlushNow, NotificationEvent, FALSE);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, StatsThread, NULL);
    if (!NT_SUCCESS(Status)) {
        ExFreePoolWithTag(Stats, STATS_TAG);
        return Status;
    }
    ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, (PVOID *)&Flusher, NULL);
    ZwClose(ThreadHandle);
    DriverObject->DriverUnload = StatsUnload;
    return STATUS_SUCCESS;
}
