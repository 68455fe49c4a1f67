/* k05_good.c - allocates a context in DriverEntry and frees it with the same tag in Unload: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K05-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

#define K05_TAG 0x3530304Bu /* "K005" */

typedef struct _K05_CONTEXT {
    LIST_ENTRY Link;
    ULONG Value;
} K05_CONTEXT, *PK05_CONTEXT;

static PK05_CONTEXT Context;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (Context != NULL) {
        ExFreePoolWithTag(Context, K05_TAG);
        Context = NULL;
    }
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    Context = (PK05_CONTEXT)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(K05_CONTEXT), K05_TAG);
    if (Context == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    InitializeListHead(&Context->Link);
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
