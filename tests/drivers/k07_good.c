/* k07_good.c - asserts what holds (NT_ASSERT, ASSERT): correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K07-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NT_ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    ASSERT(DriverObject != NULL);
    NT_ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
