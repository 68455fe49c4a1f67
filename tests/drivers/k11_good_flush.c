/* k11_good_flush.c - a timer DPC keeps plain (non-interlocked) statistics;
 * Unload cancels the timer, flushes queued DPCs and then reads them:
 * KeFlushQueuedDpcs returns only after every DPC routine queued before it
 * has returned, so the read is ordered after the DPC's writes (no K11).
 * Scenario: corpus/kernel/K11-good_flush.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

typedef struct _TICK_STATS {
    ULONG Ticks;
    ULONG LastPeriod;
} TICK_STATS;

static KTIMER Timer;
static KDPC TimerDpc;
static TICK_STATS Stats;

static KDEFERRED_ROUTINE TimerRoutine;

_Use_decl_annotations_
static VOID TimerRoutine(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    Stats.Ticks++;
    Stats.LastPeriod = 10;
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeCancelTimer(&Timer);
    KeFlushQueuedDpcs();
    DbgPrint("flush: %lu ticks, period %lu ms\n", Stats.Ticks, Stats.LastPeriod);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER DueTime;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeDpc(&TimerDpc, TimerRoutine, NULL);
    KeInitializeTimerEx(&Timer, NotificationTimer);
    DueTime.QuadPart = -10 * 1000 * 10; /* 10 ms */
    KeSetTimerEx(&Timer, DueTime, 10, &TimerDpc);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
