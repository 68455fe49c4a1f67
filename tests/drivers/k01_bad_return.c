/* k01_bad_return.c - its Unload raises to DISPATCH_LEVEL for a spin-lock-free
 * critical section and forgets to lower again: DriverUnload returns at an IRQL
 * other than the PASSIVE_LEVEL it was called at (K01). The good twin is
 * k01_good.c, whose routines return at PASSIVE_LEVEL.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K01-bad_return.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static volatile LONG Unloads;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    KIRQL OldIrql;

    UNREFERENCED_PARAMETER(DriverObject);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    InterlockedIncrement(&Unloads);
    /* BUG: KeLowerIrql(OldIrql) missing */
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
