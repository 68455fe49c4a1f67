/* l04_bad.c - counts requests in flight and, in Unload, spins until the
 * count drops to zero; but DriverEntry's error path for the optional
 * buffer takes a reference it never drops, so Unload spins for ever with no
 * kernel call: L04 (driver code runs without end).
 * A WDK-style test driver; scenario: corpus/kernel/L04-bad.nmr. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

#define L04_TAG 0x3430344Cu /* "L404" */

static volatile LONG RequestsInFlight;
static PVOID StatsBuffer;

static VOID RequestStart(VOID) { InterlockedIncrement(&RequestsInFlight); }
static VOID RequestEnd(VOID) { InterlockedDecrement(&RequestsInFlight); }

static NTSTATUS PrepareStats(VOID)
{
    RequestStart();
    StatsBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, L04_TAG);
    if (StatsBuffer == NULL) {
        RequestEnd();
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(StatsBuffer, 64);
    return STATUS_SUCCESS;                                      // BUG: RequestEnd() missing here
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    while (InterlockedCompareExchange(&RequestsInFlight, 0, 0) != 0) {
        YieldProcessor();
    }
    if (StatsBuffer != NULL) {
        ExFreePoolWithTag(StatsBuffer, L04_TAG);
    }
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    PrepareStats();                                             // the buffer is optional
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
