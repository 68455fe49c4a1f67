/* wdm_sync.h - more of wdm.h: lookaside lists, executive resources
 * (ERESOURCE), executive spin locks (EX_SPIN_LOCK), the ExInterlocked list
 * routines and S-lists, kernel mutexes and semaphores, guarded mutexes,
 * remove locks. Included by wdm.h
 * (not a WDK header name). Object layouts are nmrsim's (opaque to drivers);
 * docs/KERNEL.md says what each routine checks. */
#ifndef NMRSIM_WDM_SYNC_H
#define NMRSIM_WDM_SYNC_H

/* ---- lookaside lists: every allocation is a pool block of the list's tag
 * (fault injection and leak accounting as for ExAllocatePool2) ---- */
typedef PVOID ALLOCATE_FUNCTION(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef VOID FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
struct _LOOKASIDE_LIST_EX;
typedef PVOID ALLOCATE_FUNCTION_EX(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
				   struct _LOOKASIDE_LIST_EX *Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
typedef VOID FREE_FUNCTION_EX(PVOID Buffer, struct _LOOKASIDE_LIST_EX *Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

typedef struct _LOOKASIDE_LIST_EX {
	ULONG Reserved1;                 /* object id (per run) */
	ULONG Reserved2;                 /* run generation */
	POOL_TYPE Type;
	ULONG Tag;
	SIZE_T Size;
	PVOID Allocate;                  /* driver routine or NULL */
	PVOID Free;                      /* driver routine or NULL */
	UCHAR Kind;                      /* 1 non-paged, 2 paged, 3 Ex */
	UCHAR Reserved3[3];
	ULONG TotalAllocates;
	ULONG TotalFrees;
	ULONG Depth;
} LOOKASIDE_LIST_EX, *PLOOKASIDE_LIST_EX, GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;
typedef struct _NPAGED_LOOKASIDE_LIST {
	LOOKASIDE_LIST_EX L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;
typedef struct _PAGED_LOOKASIDE_LIST {
	LOOKASIDE_LIST_EX L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;
#define LOOKASIDE_MINIMUM_BLOCK_SIZE (RTL_SIZEOF_THROUGH_FIELD(SLIST_ENTRY, Next))
#define POOL_NX_ALLOCATION 512
#define POOL_NX_OPTIN 536870912
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002
#define EX_MAXIMUM_LOOKASIDE_DEPTH_BASE 256
#define EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT 1024

NTKERNELAPI VOID NTAPI ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
						       PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
						       USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
NTKERNELAPI VOID NTAPI ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
						      PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
						      USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
NTKERNELAPI NTSTATUS NTAPI ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
						       PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags,
						       SIZE_T Size, ULONG Tag, USHORT Depth);
NTKERNELAPI VOID NTAPI ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI VOID NTAPI ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI PVOID NTAPI ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI VOID NTAPI ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry);

/* ---- executive resources (ERESOURCE): reader/writer, recursive for the
 * owner, used at <= APC_LEVEL inside a critical region (K10) ---- */
typedef struct _ERESOURCE {
	ULONG Reserved1;                 /* object id (per run) */
	ULONG Reserved2;                 /* run generation */
	UCHAR Owner;                     /* exclusive owner thread + 1, 0 if none */
	UCHAR Reserved3[3];
	USHORT ExclusiveCount;           /* recursion of the exclusive owner */
	USHORT SharedCount;              /* shared acquisitions held */
	ULONG Contention;
	UCHAR SharedBy[64];              /* shared acquisitions held per thread */
} ERESOURCE, *PERESOURCE;
typedef ULONG_PTR ERESOURCE_THREAD, *PERESOURCE_THREAD;
NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource);
NTKERNELAPI NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource);
NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource);
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait);
NTKERNELAPI BOOLEAN NTAPI ExTryToAcquireResourceExclusiveLite(PERESOURCE Resource);
NTKERNELAPI VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource);
NTKERNELAPI VOID NTAPI ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId);
NTKERNELAPI VOID NTAPI ExConvertExclusiveToSharedLite(PERESOURCE Resource);
NTKERNELAPI BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource);
NTKERNELAPI ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource);
NTKERNELAPI ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource);
NTKERNELAPI ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource);
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource);
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource);
NTKERNELAPI VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource);
#define ExReleaseResource(R) ExReleaseResourceLite(R)
#define ExIsResourceAcquiredLite ExIsResourceAcquiredSharedLite
#define ExGetCurrentResourceThread() ((ERESOURCE_THREAD)PsGetCurrentThread())

/* ---- executive spin locks (EX_SPIN_LOCK): reader/writer spin locks at
 * DISPATCH_LEVEL; zero is a free lock ---- */
typedef volatile LONG EX_SPIN_LOCK, *PEX_SPIN_LOCK;
NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql);
NTKERNELAPI VOID NTAPI ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI VOID NTAPI ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI LOGICAL NTAPI ExTryConvertSharedSpinLockExclusive(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI BOOLEAN NTAPI ExTryAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock);
NTKERNELAPI BOOLEAN NTAPI ExTryAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock);

/* ---- ExInterlocked lists: the list operation under the caller's spin lock
 * (a scheduling point; callable at any IRQL) ---- */
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock);
NTKERNELAPI PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock);
NTKERNELAPI PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry,
								  PKSPIN_LOCK Lock);

/* S-lists: lock-free LIFO lists (inline, as in the WDK). The head's link is
 * changed with __atomic compare-exchange, as Windows changes it with one
 * interlocked operation: the race detector then orders a push (the entry's
 * Next written before the exchange) before the pop or flush that takes the
 * entry, as on Windows; plain accesses made every hand-over through an
 * S-list a false K11. Depth is approximate between the two atomics, which
 * nothing here reads together. */
typedef struct _SLIST_ENTRY {
	struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;
typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
	struct {
		ULONGLONG Alignment;
		ULONGLONG Region;
	};
	struct {
		PSLIST_ENTRY Next;
		USHORT Depth;
		USHORT Sequence;
	} Header;
} SLIST_HEADER, *PSLIST_HEADER;
FORCEINLINE VOID InitializeSListHead(PSLIST_HEADER SListHead) { memset(SListHead, 0, sizeof(*SListHead)); }
FORCEINLINE PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)
{
	PSLIST_ENTRY first = __atomic_load_n(&ListHead->Header.Next, __ATOMIC_ACQUIRE);
	do
		ListEntry->Next = first;
	while (!__atomic_compare_exchange_n(&ListHead->Header.Next, &first, ListEntry, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST));
	__atomic_add_fetch(&ListHead->Header.Depth, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&ListHead->Header.Sequence, 1, __ATOMIC_SEQ_CST);
	return first;
}
FORCEINLINE PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead)
{
	PSLIST_ENTRY first = __atomic_load_n(&ListHead->Header.Next, __ATOMIC_ACQUIRE);
	while (first && !__atomic_compare_exchange_n(&ListHead->Header.Next, &first, first->Next, 0,
						     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (first) {
		__atomic_sub_fetch(&ListHead->Header.Depth, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&ListHead->Header.Sequence, 1, __ATOMIC_SEQ_CST);
	}
	return first;
}
FORCEINLINE PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead)
{
	PSLIST_ENTRY first = __atomic_exchange_n(&ListHead->Header.Next, (PSLIST_ENTRY)NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&ListHead->Header.Depth, 0, __ATOMIC_SEQ_CST);
	return first;
}
FORCEINLINE USHORT QueryDepthSList(PSLIST_HEADER ListHead) { return __atomic_load_n(&ListHead->Header.Depth, __ATOMIC_SEQ_CST); }
#define ExInitializeSListHead InitializeSListHead
#define ExQueryDepthSList QueryDepthSList
#define ExInterlockedPushEntrySList(h, e, l) InterlockedPushEntrySList(h, e)
#define ExInterlockedPopEntrySList(h, l) InterlockedPopEntrySList(h)
#define ExInterlockedFlushSList(h) InterlockedFlushSList(h)
#define RtlFirstEntrySList(h) (__atomic_load_n(&(h)->Header.Next, __ATOMIC_ACQUIRE))

/* ---- Rtl push-lock wrappers (ntoskrnl exports): a critical region around
 * the Ex push-lock routines, which do the checking ---- */
FORCEINLINE VOID RtlAcquirePushLockExclusive(PEX_PUSH_LOCK PushLock)
{
	KeEnterCriticalRegion();
	ExAcquirePushLockExclusive(PushLock);
}
FORCEINLINE VOID RtlReleasePushLockExclusive(PEX_PUSH_LOCK PushLock)
{
	ExReleasePushLockExclusive(PushLock);
	KeLeaveCriticalRegion();
}
FORCEINLINE VOID RtlAcquirePushLockShared(PEX_PUSH_LOCK PushLock)
{
	KeEnterCriticalRegion();
	ExAcquirePushLockShared(PushLock);
}
FORCEINLINE VOID RtlReleasePushLockShared(PEX_PUSH_LOCK PushLock)
{
	ExReleasePushLockShared(PushLock);
	KeLeaveCriticalRegion();
}

/* ---- kernel mutexes and semaphores (dispatcher objects: KeWaitFor*) ---- */
typedef struct _KMUTANT {
	DISPATCHER_HEADER Header;        /* SignalState 1 free, <= 0 owned (recursion) */
	PKTHREAD OwnerThread;
	BOOLEAN Abandoned;
	UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;
typedef struct _KSEMAPHORE {
	DISPATCHER_HEADER Header;        /* SignalState = count */
	LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;
NTKERNELAPI VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level);
NTKERNELAPI LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex);
NTKERNELAPI VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit);
NTKERNELAPI LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait);
NTKERNELAPI LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore);

/* ---- guarded mutexes ---- */
/* Guarded mutexes: the FAST_MUTEX structure (as in the WDK), acquired in a
 * guarded region instead of at APC_LEVEL (sim/kernel/ke_guarded_mutex.c). */
NTKERNELAPI VOID NTAPI KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID NTAPI KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID NTAPI KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI BOOLEAN NTAPI KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
NTKERNELAPI VOID NTAPI KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex);
NTKERNELAPI VOID NTAPI KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex);
NTKERNELAPI VOID NTAPI KeEnterGuardedRegion(VOID);
NTKERNELAPI VOID NTAPI KeLeaveGuardedRegion(VOID);
NTKERNELAPI BOOLEAN NTAPI KeAreAllApcsDisabled(VOID);

/* ---- remove locks (sim/kernel/io_remove_lock.c) ----
 * The WDK's macros call the Ex forms with the structure's size. IoCount is
 * 1 plus the acquisitions held, as on Windows; the Reserved words hold
 * nmrsim's object id, run generation and state (drivers treat the lock as
 * opaque). */
typedef struct _IO_REMOVE_LOCK_COMMON_BLOCK {
	BOOLEAN Removed;                 /* IoReleaseRemoveLockAndWait began */
	BOOLEAN Reserved[3];
	LONG IoCount;                    /* 1 + acquisitions held (0 once removed and released) */
	ULONG Reserved1;                 /* object id (per run) */
	ULONG Reserved2;                 /* run generation */
	ULONG Reserved3;                 /* state: active, waiting, removed */
	ULONG Reserved4;
} IO_REMOVE_LOCK_COMMON_BLOCK;
/* The tags of the acquisitions held, as a checked kernel keeps them (a
 * release must pass the tag of an acquisition: the IoAcquireRemoveLock and
 * IoReleaseRemoveLock pages); more distinct tags than slots at once stop
 * the tag check for this lock (never a made-up finding). */
#define IO_REMOVE_LOCK_TAG_SLOTS 8
typedef struct _IO_REMOVE_LOCK_DBG_BLOCK {
	PVOID Tags[IO_REMOVE_LOCK_TAG_SLOTS];
	USHORT TagCounts[IO_REMOVE_LOCK_TAG_SLOTS];
	ULONG Untracked;                 /* acquisitions held whose tag found no slot */
} IO_REMOVE_LOCK_DBG_BLOCK;
typedef struct _IO_REMOVE_LOCK {
	IO_REMOVE_LOCK_COMMON_BLOCK Common;
	IO_REMOVE_LOCK_DBG_BLOCK Dbg;
} IO_REMOVE_LOCK, *PIO_REMOVE_LOCK;
NTKERNELAPI VOID NTAPI IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes,
						ULONG HighWatermark, ULONG RemlockSize);
NTKERNELAPI NTSTATUS NTAPI IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line,
						 ULONG RemlockSize);
NTKERNELAPI VOID NTAPI IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize);
NTKERNELAPI VOID NTAPI IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize);
#define IoInitializeRemoveLock(Lock, Tag, Maxmin, HighWater) \
	IoInitializeRemoveLockEx(Lock, Tag, Maxmin, HighWater, sizeof(IO_REMOVE_LOCK))
#define IoAcquireRemoveLock(RemoveLock, Tag) \
	IoAcquireRemoveLockEx(RemoveLock, Tag, __FILE__, __LINE__, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLock(RemoveLock, Tag) IoReleaseRemoveLockEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLockAndWait(RemoveLock, Tag) \
	IoReleaseRemoveLockAndWaitEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))

#endif
