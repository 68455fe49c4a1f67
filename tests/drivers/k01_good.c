/* k01_good.c - allocates paged pool at PASSIVE_LEVEL and non-paged pool at DISPATCH_LEVEL: correct (no finding).
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K01-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

#define K01_TAG 0x3130304Bu /* "K001" */

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    KIRQL OldIrql;
    PVOID Paged, NonPaged;

    UNREFERENCED_PARAMETER(RegistryPath);
    Paged = ExAllocatePool2(POOL_FLAG_PAGED, 64, K01_TAG);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    NonPaged = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, K01_TAG);
    if (NonPaged != NULL) {
        ExFreePoolWithTag(NonPaged, K01_TAG);
    }
    KeLowerIrql(OldIrql);
    if (Paged != NULL) {
        ExFreePoolWithTag(Paged, K01_TAG);
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
