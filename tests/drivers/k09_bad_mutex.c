/* k09_bad_mutex.c - releases a kernel mutex it never acquired (Windows
 * raises STATUS_MUTANT_NOT_OWNED): K09. Its semaphore use is correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K09-bad_mutex.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static KMUTEX StateMutex;
static KSEMAPHORE Slots;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeReleaseMutex(&StateMutex, FALSE); /* never acquired */
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeMutex(&StateMutex, 0);
    KeInitializeSemaphore(&Slots, 0, 2);
    KeReleaseSemaphore(&Slots, IO_NO_INCREMENT, 2, FALSE);
    KeWaitForSingleObject(&Slots, Executive, KernelMode, FALSE, NULL);
    KeWaitForSingleObject(&Slots, Executive, KernelMode, FALSE, NULL);
    NT_ASSERT(KeReadStateSemaphore(&Slots) == 0);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
