/* wd_spin.c - the watchdog's test: Unload spins on a flag nobody sets, in a
 * routine its team built without the spin instrumentation (as a library
 * compiled apart would be), so the loop never reaches the scheduler and only
 * the wall-clock watchdog ends the run (tests/watchdog.sh). */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static volatile LONG HardwareIdle;

#if defined(__clang__)
__attribute__((no_sanitize("coverage"), noinline))
#else
__attribute__((no_sanitize_coverage, noinline))
#endif
static VOID WaitForHardwareIdle(VOID)
{
    while (HardwareIdle == 0) {                                 // a volatile read: no call at all
        YieldProcessor();
    }
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    WaitForHardwareIdle();
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
