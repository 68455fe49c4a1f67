/* ex_lookaside.c - lookaside lists (NPAGED_LOOKASIDE_LIST,
 * PAGED_LOOKASIDE_LIST, LOOKASIDE_LIST_EX).
 *
 * nmrsim keeps no cache: every allocation is a pool block of the list's tag
 * (so it can fail under `faults N/D`, is counted against the module for M21
 * and a bad free is K05), or the driver's own Allocate/Free routine when
 * the list names one, as Windows calls them when its cache is empty/full.
 * IRQL: non-paged lists <= DISPATCH, paged lists <= APC (K01). A list used
 * before its Initialize routine, or after Delete, is K09. */
#include "kernel/kernel.h"

enum { LL_NPAGED = 1, LL_PAGED = 2, LL_EX = 3 };

static void init(PLOOKASIDE_LIST_EX l, uint8_t kind, PVOID allocate, PVOID free_fn, POOL_TYPE type, SIZE_T size,
		 ULONG tag, USHORT depth)
{
	struct kernel *k = kernel_get();
	enum ke_api api = KE_ExInitializeLookasideList;
	kernel_check_irql_max(k, api, kind == LL_PAGED ? APC_LEVEL : DISPATCH_LEVEL);
	kernel_enter(k, api);
	memset(l, 0, sizeof *l);
	l->Reserved1 = kernel_new_id(k, l);
	l->Reserved2 = k->generation;
	l->Kind = kind;
	l->Type = kind == LL_PAGED ? PagedPool : kind == LL_NPAGED ? NonPagedPoolNx : type;
	l->Size = size;
	l->Tag = tag;
	l->Allocate = allocate;
	l->Free = free_fn;
	l->Depth = depth;
	kernel_emit(k, api, l->Reserved1, 0, (uint32_t)size);
}

/* The list if it was initialised in this run; else K09 and NULL. */
static struct kernel *live(PLOOKASIDE_LIST_EX l, enum ke_api api, bool *ok)
{
	struct kernel *k = kernel_get();
	kernel_touch(k, RULE_K09);
	kernel_check_irql_max(k, api, kernel_pool_type_paged(l->Type) || l->Kind == LL_PAGED ? APC_LEVEL : DISPATCH_LEVEL);
	kernel_enter(k, api);
	*ok = kernel_obj_live(k, l->Reserved1, l->Reserved2);
	if (!*ok)
		kernel_object_not_live(k, api, l, "a lookaside list (or one deleted)");
	return k;
}

static PVOID allocate(PLOOKASIDE_LIST_EX l)
{
	enum ke_api api = KE_ExAllocateFromLookasideList;
	bool ok;
	struct kernel *k = live(l, api, &ok);
	if (!ok)
		return NULL;
	l->TotalAllocates++;
	if (l->Allocate && l->Kind == LL_EX)
		return ((PALLOCATE_FUNCTION_EX)l->Allocate)(l->Type, l->Size, l->Tag, l);
	if (l->Allocate)
		return ((PALLOCATE_FUNCTION)l->Allocate)(l->Type, l->Size, l->Tag);
	return kernel_pool_alloc(k, api, l->Size, l->Tag, false, KPOOL_DRIVER);
}

static void release(PLOOKASIDE_LIST_EX l, PVOID entry)
{
	enum ke_api api = KE_ExFreeToLookasideList;
	bool ok;
	struct kernel *k = live(l, api, &ok);
	if (!ok)
		return;
	l->TotalFrees++;
	if (l->Free && l->Kind == LL_EX)
		((PFREE_FUNCTION_EX)l->Free)(entry, l);
	else if (l->Free)
		((PFREE_FUNCTION)l->Free)(entry);
	else
		kernel_pool_free(k, api, entry, l->Tag, true, KPOOL_DRIVER);
}

static void delete_list(PLOOKASIDE_LIST_EX l)
{
	bool ok;
	struct kernel *k = live(l, KE_ExDeleteLookasideList, &ok);
	if (!ok)
		return;
	kernel_emit(k, KE_ExDeleteLookasideList, l->Reserved1, 0, 0);
	l->Reserved2 = 0; /* a later use is K09 */
}

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
				     ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
	(void)Flags;
	init(&Lookaside->L, LL_NPAGED, (PVOID)Allocate, (PVOID)Free, NonPagedPoolNx, Size, Tag, Depth);
}
VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) { delete_list(&Lookaside->L); }
PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) { return allocate(&Lookaside->L); }
VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) { release(&Lookaside->L, Entry); }

VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
				    ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
	(void)Flags;
	init(&Lookaside->L, LL_PAGED, (PVOID)Allocate, (PVOID)Free, PagedPool, Size, Tag, Depth);
}
VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) { delete_list(&Lookaside->L); }
PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) { return allocate(&Lookaside->L); }
VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) { release(&Lookaside->L, Entry); }

NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate, PFREE_FUNCTION_EX Free,
				     POOL_TYPE PoolType, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
	(void)Flags;
	init(Lookaside, LL_EX, (PVOID)Allocate, (PVOID)Free, PoolType, Size, Tag, Depth);
	return STATUS_SUCCESS;
}
VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) { delete_list(Lookaside); }
VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) { (void)Lookaside; /* nothing cached */ }
PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) { return allocate(Lookaside); }
VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry) { release(Lookaside, Entry); }
