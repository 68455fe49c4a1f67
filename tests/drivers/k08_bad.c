/* k08_bad.c - writes through a pointer read from its context after freeing the context: a crash of module code (K08).
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K08-bad.nmr. Built unmodified against sim/include.
 * (Freed pool is filled with 0xDD, so the stale Buffer pointer is
 * non-canonical and the write faults on every build, with no sanitizer
 * report in between.) */
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
    PUCHAR Buffer;

    UNREFERENCED_PARAMETER(DriverObject);
    ExFreePoolWithTag(Context, K08_TAG);
    Buffer = Context->Buffer;                                   // BUG: Context was just freed
    Buffer[0] = 0;
    ExFreePoolWithTag(Buffer, K08_TAG);
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
