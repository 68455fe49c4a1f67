/* k05_freed_objects.c - a cache driver whose flusher thread takes the
 * cache's locks and waits for its objects; Unload frees the cache's blocks
 * before it lets the flusher run its last flush (the frees belong after the
 * thread wait). The flusher is given, in freed pool: a push lock, an
 * ERESOURCE, a fast mutex, a KMUTEX and a KEVENT. Each is K05 at the routine
 * (a routine given freed memory), not a K09 "not initialised" and not a
 * wait for good on the freed memory's filler.
 * A WDK-style test driver for the kernel shim (docs/KERNEL.md); scenario:
 * corpus/kernel/K05-freed-objects.nmr. Built unmodified against sim/include. */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD CacheUnload;
static KSTART_ROUTINE CacheFlusher;

#define CACHE_TAG 0x68436143u /* "CaCh" */

typedef struct _CACHE_TABLE {
    EX_PUSH_LOCK Lock;
    ULONG Entries;
} CACHE_TABLE, *PCACHE_TABLE;

typedef struct _CACHE_INDEX {
    ERESOURCE Resource;
    ULONG Keys;
} CACHE_INDEX, *PCACHE_INDEX;

typedef struct _CACHE_LOG {
    FAST_MUTEX Mutex;
    ULONG Lines;
} CACHE_LOG, *PCACHE_LOG;

typedef struct _CACHE_CONFIG {
    KMUTEX Mutex;
    ULONG Limit;
} CACHE_CONFIG, *PCACHE_CONFIG;

typedef struct _CACHE_REQUEST {
    KEVENT Done;
} CACHE_REQUEST, *PCACHE_REQUEST;

static PCACHE_TABLE Table;
static PCACHE_INDEX Index;
static PCACHE_LOG Log;
static PCACHE_CONFIG Config;
static PCACHE_REQUEST Request;
static KEVENT FlushNow;
static PKTHREAD Flusher;

_Use_decl_annotations_
static VOID CacheFlusher(PVOID StartContext)
{
    UNREFERENCED_PARAMETER(StartContext);
    KeWaitForSingleObject(&FlushNow, Executive, KernelMode, FALSE, NULL);

    ExAcquirePushLockExclusive(&Table->Lock);
    ExReleasePushLockExclusive(&Table->Lock);

    ExEnterCriticalRegionAndAcquireResourceExclusive(&Index->Resource);
    ExReleaseResourceAndLeaveCriticalRegion(&Index->Resource);

    ExAcquireFastMutex(&Log->Mutex);
    ExReleaseFastMutex(&Log->Mutex);

    KeWaitForSingleObject(&Config->Mutex, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutex(&Config->Mutex, FALSE);

    KeWaitForSingleObject(&Request->Done, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID CacheFree(VOID)
{
    if (Index != NULL) {
        ExDeleteResourceLite(&Index->Resource);
    }
    if (Table != NULL) ExFreePoolWithTag(Table, CACHE_TAG);
    if (Index != NULL) ExFreePoolWithTag(Index, CACHE_TAG);
    if (Log != NULL) ExFreePoolWithTag(Log, CACHE_TAG);
    if (Config != NULL) ExFreePoolWithTag(Config, CACHE_TAG);
    if (Request != NULL) ExFreePoolWithTag(Request, CACHE_TAG);
}

_Use_decl_annotations_
static VOID CacheUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    CacheFree();                                      // BUG: the flusher still uses them
    KeSetEvent(&FlushNow, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Flusher, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Flusher);
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HANDLE ThreadHandle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Table = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Table), CACHE_TAG);
    Index = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Index), CACHE_TAG);
    Log = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Log), CACHE_TAG);
    Config = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Config), CACHE_TAG);
    Request = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*Request), CACHE_TAG);
    if (Table == NULL || Index == NULL || Log == NULL || Config == NULL || Request == NULL) {
        CacheFree();
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ExInitializePushLock(&Table->Lock);
    ExInitializeResourceLite(&Index->Resource);
    ExInitializeFastMutex(&Log->Mutex);
    KeInitializeMutex(&Config->Mutex, 0);
    KeInitializeEvent(&Request->Done, NotificationEvent, FALSE);
    KeInitializeEvent(&FlushNow, NotificationEvent, FALSE);
    Status = PsCreateSystemThread(&ThreadHandle, THREAD_ALL_ACCESS, NULL, NULL, NULL, CacheFlusher, NULL);
    if (!NT_SUCCESS(Status)) {
        CacheFree();
        return Status;
    }
    ObReferenceObjectByHandle(ThreadHandle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, (PVOID *)&Flusher, NULL);
    ZwClose(ThreadHandle);
    DriverObject->DriverUnload = CacheUnload;
    return STATUS_SUCCESS;
}
