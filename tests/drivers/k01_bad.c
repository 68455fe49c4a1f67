/* k01_bad.c - allocates paged pool at DISPATCH_LEVEL (paged pool is for IRQL <= APC_LEVEL): K01.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K01-bad.nmr. Built unmodified against sim/include. */
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
    PVOID Buffer;

    UNREFERENCED_PARAMETER(RegistryPath);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    Buffer = ExAllocatePool2(POOL_FLAG_PAGED, 64, K01_TAG);     // BUG: paged pool at DISPATCH_LEVEL
    KeLowerIrql(OldIrql);
    if (Buffer != NULL) {
        ExFreePoolWithTag(Buffer, K01_TAG);
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
