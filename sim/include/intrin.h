/* intrin.h - the MSVC intrinsics WDK code uses, as gcc/clang builtins.
 * Interlocked intrinsics are exact (one OS thread runs the simulation);
 * __rdtsc reads simulated time (KeQueryPerformanceCounter, a scheduling
 * point), never the host's clock, so runs stay deterministic. */
#ifndef NMRSIM_INTRIN_H
#define NMRSIM_INTRIN_H
#include "ntdef.h"

#define _InterlockedIncrement(p) __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)
#define _InterlockedDecrement(p) __atomic_sub_fetch((p), 1, __ATOMIC_SEQ_CST)
#define _InterlockedIncrement16 _InterlockedIncrement
#define _InterlockedDecrement16 _InterlockedDecrement
#define _InterlockedIncrement64 _InterlockedIncrement
#define _InterlockedDecrement64 _InterlockedDecrement
#define _InterlockedExchange(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define _InterlockedExchange8 _InterlockedExchange
#define _InterlockedExchange16 _InterlockedExchange
#define _InterlockedExchange64 _InterlockedExchange
#define _InterlockedExchangePointer _InterlockedExchange
#define _InterlockedExchangeAdd(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define _InterlockedExchangeAdd8 _InterlockedExchangeAdd
#define _InterlockedExchangeAdd16 _InterlockedExchangeAdd
#define _InterlockedExchangeAdd64 _InterlockedExchangeAdd
#define _InterlockedOr(p, v) __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define _InterlockedAnd(p, v) __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define _InterlockedXor(p, v) __atomic_fetch_xor((p), (v), __ATOMIC_SEQ_CST)
#define _InterlockedOr8 _InterlockedOr
#define _InterlockedOr16 _InterlockedOr
#define _InterlockedOr64 _InterlockedOr
#define _InterlockedAnd8 _InterlockedAnd
#define _InterlockedAnd16 _InterlockedAnd
#define _InterlockedAnd64 _InterlockedAnd
#define _InterlockedXor8 _InterlockedXor
#define _InterlockedXor16 _InterlockedXor
#define _InterlockedXor64 _InterlockedXor
#define _InterlockedCompareExchange(p, x, c) __sync_val_compare_and_swap((p), (c), (x))
#define _InterlockedCompareExchange8 _InterlockedCompareExchange
#define _InterlockedCompareExchange16 _InterlockedCompareExchange
#define _InterlockedCompareExchange64 _InterlockedCompareExchange
#define _InterlockedCompareExchangePointer _InterlockedCompareExchange

FORCEINLINE BOOLEAN _BitScanForward(ULONG *Index, ULONG Mask)
{
	if (!Mask)
		return FALSE;
	*Index = (ULONG)__builtin_ctz(Mask);
	return TRUE;
}
FORCEINLINE BOOLEAN _BitScanReverse(ULONG *Index, ULONG Mask)
{
	if (!Mask)
		return FALSE;
	*Index = 31u - (ULONG)__builtin_clz(Mask);
	return TRUE;
}
FORCEINLINE BOOLEAN _BitScanForward64(ULONG *Index, ULONG64 Mask)
{
	if (!Mask)
		return FALSE;
	*Index = (ULONG)__builtin_ctzll(Mask);
	return TRUE;
}
FORCEINLINE BOOLEAN _BitScanReverse64(ULONG *Index, ULONG64 Mask)
{
	if (!Mask)
		return FALSE;
	*Index = 63u - (ULONG)__builtin_clzll(Mask);
	return TRUE;
}
FORCEINLINE BOOLEAN _bittest(const LONG *a, LONG b) { return (BOOLEAN)((*a >> b) & 1); }
FORCEINLINE BOOLEAN _bittest64(const LONG64 *a, LONG64 b) { return (BOOLEAN)((*a >> b) & 1); }
FORCEINLINE BOOLEAN _bittestandset(LONG *a, LONG b) { BOOLEAN o = _bittest(a, b); *a |= (LONG)(1u << b); return o; }
FORCEINLINE BOOLEAN _bittestandreset(LONG *a, LONG b) { BOOLEAN o = _bittest(a, b); *a &= ~(LONG)(1u << b); return o; }
FORCEINLINE BOOLEAN _interlockedbittestandset(volatile LONG *a, LONG b)
{
	return (BOOLEAN)((__atomic_fetch_or(a, (LONG)(1u << b), __ATOMIC_SEQ_CST) >> b) & 1);
}
FORCEINLINE BOOLEAN _interlockedbittestandreset(volatile LONG *a, LONG b)
{
	return (BOOLEAN)((__atomic_fetch_and(a, ~(LONG)(1u << b), __ATOMIC_SEQ_CST) >> b) & 1);
}
#define __popcnt(x) ((unsigned)__builtin_popcount((unsigned)(x)))
#define __popcnt16(x) ((unsigned short)__builtin_popcount((unsigned short)(x)))
#define __popcnt64(x) ((unsigned long long)__builtin_popcountll((unsigned long long)(x)))
#define _byteswap_ushort(x) __builtin_bswap16(x)
#define _byteswap_ulong(x) __builtin_bswap32(x)
#define _byteswap_uint64(x) __builtin_bswap64(x)
#define RtlUshortByteSwap(x) __builtin_bswap16(x)
#define RtlUlongByteSwap(x) __builtin_bswap32(x)
#define RtlUlonglongByteSwap(x) __builtin_bswap64(x)
FORCEINLINE unsigned int _rotl(unsigned int v, int s) { s &= 31; return s ? (v << s) | (v >> (32 - s)) : v; }
FORCEINLINE unsigned int _rotr(unsigned int v, int s) { s &= 31; return s ? (v >> s) | (v << (32 - s)) : v; }
FORCEINLINE unsigned long long _rotl64(unsigned long long v, int s) { s &= 63; return s ? (v << s) | (v >> (64 - s)) : v; }
FORCEINLINE unsigned long long _rotr64(unsigned long long v, int s) { s &= 63; return s ? (v >> s) | (v << (64 - s)) : v; }
#define _ReturnAddress() __builtin_return_address(0)
#define _AddressOfReturnAddress() ((void *)((char *)__builtin_frame_address(0) + sizeof(void *)))
#define __debugbreak() ((void)0)
#define _mm_pause() ((void)0)
#define __nop() ((void)0)
#define __faststorefence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define _mm_mfence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define _mm_sfence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define _mm_lfence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define __rdtsc() ((unsigned long long)KeQueryPerformanceCounter(NULL).QuadPart)
#define _umul128(a, b, hi) (*(hi) = (ULONG64)(((unsigned __int128)(a) * (b)) >> 64), (ULONG64)((a) * (b)))
#define __umulh(a, b) ((ULONG64)(((unsigned __int128)(a) * (b)) >> 64))
#define UnsignedMultiply128 _umul128
#endif
