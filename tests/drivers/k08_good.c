/* k08_good.c - frees its context's buffer, then the context, in that order: correct.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K08-good.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;

#define K08_TAG 0x3830304Bu /* "K008" */

typedef struct _K08_CONTEXT {
    PUCHAR Buffer;
    ULONG Length;
} K08_CONTEXT, *PK08_CONTEXT;

static PK08_CONTEXT Context;

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    Context->Buffer[0] = 0;
    ExFreePoolWithTag(Context->Buffer, K08_TAG);
    ExFreePoolWithTag(Context, K08_TAG);
    Context = NULL;
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    Context = (PK08_CONTEXT)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(K08_CONTEXT), K08_TAG);
    if (Context == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Context->Length = 16;
    Context->Buffer = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, Context->Length, K08_TAG);
    if (Context->Buffer == NULL) {
        ExFreePoolWithTag(Context, K08_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
