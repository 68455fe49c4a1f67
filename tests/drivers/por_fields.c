/* por_fields.c - two system threads each update their own 8-byte field of
 * one 64-byte line under their own spin lock; the second then reads the
 * first's field and, when it catches the first thread half done, releases
 * a spin lock at PASSIVE_LEVEL that it never took (K02). The fields share
 * a line but no byte: with exact keys (driver memory per 8-byte granule,
 * docs/DPOR.md session 14) the reduced search orders only the read of the
 * first field against its writes, so it takes fewer schedules than with
 * one key per line, and still finds K02 (tests/meson.build: dpor-kernel).
 * Scenario: tests/por_fields.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static KSTART_ROUTINE CountA;
static KSTART_ROUTINE CountB;

static KSPIN_LOCK LockA;
static KSPIN_LOCK LockB;
static PVOID Counters[2];
static struct {
    LONG64 A;
    LONG64 B;
} DECLSPEC_ALIGN(64) Shared;

_Use_decl_annotations_
static VOID CountA(PVOID StartContext)
{
    KIRQL OldIrql;
    ULONG Round;

    UNREFERENCED_PARAMETER(StartContext);
    for (Round = 0; Round < 3; Round++) {
        KeAcquireSpinLock(&LockA, &OldIrql);
        Shared.A++;
        KeReleaseSpinLock(&LockA, OldIrql);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID CountB(PVOID StartContext)
{
    KIRQL OldIrql;
    ULONG Round;

    UNREFERENCED_PARAMETER(StartContext);
    for (Round = 0; Round < 3; Round++) {
        KeAcquireSpinLock(&LockB, &OldIrql);
        Shared.B++;
        KeReleaseSpinLock(&LockB, OldIrql);
    }
    if (Shared.A == 2) {
        KeReleaseSpinLockFromDpcLevel(&LockB);                 // BUG: never acquired, and at PASSIVE_LEVEL
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS StartCounter(PKSTART_ROUTINE Routine, PVOID *Thread)
{
    HANDLE Handle;
    OBJECT_ATTRIBUTES Attributes;
    NTSTATUS Status;

    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, NULL, Routine, NULL);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(Handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, Thread, NULL);
    ZwClose(Handle);
    return Status;
}

_Use_decl_annotations_
static VOID DriverUnload(PDRIVER_OBJECT DriverObject)
{
    ULONG Index;

    UNREFERENCED_PARAMETER(DriverObject);
    for (Index = 0; Index < 2; Index++) {
        if (Counters[Index] != NULL) {
            KeWaitForSingleObject(Counters[Index], Executive, KernelMode, FALSE, NULL);
            ObDereferenceObject(Counters[Index]);
        }
    }
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&LockA);
    KeInitializeSpinLock(&LockB);
    DriverObject->DriverUnload = DriverUnload;
    //
    // A failure leaves a NULL entry: Unload waits only for the threads
    // that started.
    //
    (VOID)StartCounter(CountA, &Counters[0]);
    (VOID)StartCounter(CountB, &Counters[1]);
    return STATUS_SUCCESS;
}
