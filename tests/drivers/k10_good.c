/* k10_good.c - guards its configuration with an executive resource, always
 * inside a critical region, re-acquiring it recursively: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K10-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

static ERESOURCE ConfigLock;
static ULONG ConfigGeneration;

static VOID BumpConfig(VOID)
{
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&ConfigLock, TRUE);
    ConfigGeneration++;
    /* The owner may take it again, shared or exclusive. */
    ExAcquireResourceSharedLite(&ConfigLock, TRUE);
    NT_ASSERT(ExIsResourceAcquiredExclusiveLite(&ConfigLock));
    ExReleaseResourceLite(&ConfigLock);
    ExReleaseResourceLite(&ConfigLock);
    KeLeaveCriticalRegion();
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    BumpConfig();
    ExEnterCriticalRegionAndAcquireResourceShared(&ConfigLock);
    NT_ASSERT(ConfigGeneration == 2);
    ExReleaseResourceAndLeaveCriticalRegion(&ConfigLock);
    ExDeleteResourceLite(&ConfigLock);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    ExInitializeResourceLite(&ConfigLock);
    BumpConfig();
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
