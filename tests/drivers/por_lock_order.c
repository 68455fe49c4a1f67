/* por_lock_order.c - two system threads take the same two spin locks in
 * opposite orders: a deadlock when each holds its first lock before the
 * other takes its second (the run hangs: L01). Nothing else in the driver
 * orders the threads (their only shared state is the lock words), so a
 * reduced search finds the deadlock only if two acquisitions of one lock are
 * dependent: tests/meson.build's dpor-kernel checks it with reads split
 * (docs/DPOR.md). Scenario: tests/por_lock_order.nmr. Built unmodified
 * against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD DriverUnload;
static KSTART_ROUTINE LockerAB;
static KSTART_ROUTINE LockerBA;

static KSPIN_LOCK LockA;
static KSPIN_LOCK LockB;
static PVOID Lockers[2];

static VOID TakeBoth(PKSPIN_LOCK First, PKSPIN_LOCK Second)
{
    KIRQL OldIrql;

    KeAcquireSpinLock(First, &OldIrql);
    KeAcquireSpinLockAtDpcLevel(Second);                       // BUG: the other thread's order is reversed
    KeReleaseSpinLockFromDpcLevel(Second);
    KeReleaseSpinLock(First, OldIrql);
}

_Use_decl_annotations_
static VOID LockerAB(PVOID StartContext)
{
    UNREFERENCED_PARAMETER(StartContext);
    TakeBoth(&LockA, &LockB);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_
static VOID LockerBA(PVOID StartContext)
{
    UNREFERENCED_PARAMETER(StartContext);
    TakeBoth(&LockB, &LockA);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS StartLocker(PKSTART_ROUTINE Routine, PVOID *Thread)
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
        if (Lockers[Index] != NULL) {
            KeWaitForSingleObject(Lockers[Index], Executive, KernelMode, FALSE, NULL);
            ObDereferenceObject(Lockers[Index]);
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
    (VOID)StartLocker(LockerAB, &Lockers[0]);
    (VOID)StartLocker(LockerBA, &Lockers[1]);
    return STATUS_SUCCESS;
}
