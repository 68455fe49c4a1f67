/* k08_bad.c - writes through a pointer of its context that it never set: a crash of module code (K08).
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K08-bad.nmr. Built unmodified against sim/include.
 * (Pool that is not zeroed by contract is filled with 0xCD, so the Buffer
 * pointer is non-canonical and the write faults on every build, with no
 * sanitizer report in between. A pointer read from freed pool is caught
 * earlier, at the read: K05, sim/host/memaccess.h.) */
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
    Buffer = Context->Buffer;                                   // BUG: DriverEntry never set it
    Buffer[0] = 0;
    ExFreePoolWithTag(Buffer, K08_TAG);
    ExFreePoolWithTag(Context, K08_TAG);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    Context = (PK08_CONTEXT)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(K08_CONTEXT), K08_TAG);
    if (Context == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Context->Length = 16;                                       // Buffer is left for later, and forgotten
    DriverObject->DriverUnload = DriverUnload;
    return STATUS_SUCCESS;
}
