/* k08_good.c - checks its allocation before using it: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K08-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

#define K08_TAG 0x3830304Bu /* "K008" */

typedef struct _K08_STATE {
    ULONG Opened;
} K08_STATE, *PK08_STATE;

static PK08_STATE State;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (State != NULL) {
        ExFreePoolWithTag(State, K08_TAG);
    }
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    State = (PK08_STATE)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(K08_STATE), K08_TAG);
    if (State == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    State->Opened = 1;
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
