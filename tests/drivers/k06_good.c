/* k06_good.c - runs a periodic timer DPC and cancels it (then flushes DPCs) in Unload: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K06-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static KTIMER Timer;
static KDPC TimerDpc;
static volatile LONG Ticks;

static KDEFERRED_ROUTINE TimerRoutine;

_Use_decl_annotations_
static VOID TimerRoutine(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    InterlockedIncrement(&Ticks);
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeCancelTimer(&Timer);
    KeFlushQueuedDpcs();
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER DueTime;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeDpc(&TimerDpc, TimerRoutine, NULL);
    KeInitializeTimerEx(&Timer, NotificationTimer);
    DueTime.QuadPart = -10 * 1000 * 100;                        // 100 ms
    KeSetTimerEx(&Timer, DueTime, 100, &TimerDpc);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
