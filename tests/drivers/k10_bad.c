/* k10_bad.c - acquires an executive resource with normal kernel APCs
 * enabled (no KeEnterCriticalRegion): K10. A thread suspended by an APC
 * while it holds the resource would block every other user of it.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K10-bad.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static ERESOURCE ConfigLock;
static ULONG ConfigGeneration;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ExDeleteResourceLite(&ConfigLock);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    ExInitializeResourceLite(&ConfigLock);
    ExAcquireResourceExclusiveLite(&ConfigLock, TRUE); /* no critical region */
    ConfigGeneration++;
    ExReleaseResourceLite(&ConfigLock);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
