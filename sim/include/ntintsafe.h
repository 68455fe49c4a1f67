/* ntintsafe.h - overflow-checked integer arithmetic (RtlULongAdd,
 * RtlSizeTMult, RtlULongLongToULong, ...), WDK names: STATUS_SUCCESS, or
 * STATUS_INTEGER_OVERFLOW with the result set to the type's error value.
 * ULONG is 32-bit here as on Windows. */
#ifndef _NTINTSAFE_H_INCLUDED_
#define _NTINTSAFE_H_INCLUDED_
#include "ntdef.h"

FORCEINLINE NTSTATUS RtlUShortAdd(USHORT a, USHORT b, USHORT *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUShortSub(USHORT a, USHORT b, USHORT *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUShortMult(USHORT a, USHORT b, USHORT *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongAdd(ULONG a, ULONG b, ULONG *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongSub(ULONG a, ULONG b, ULONG *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongMult(ULONG a, ULONG b, ULONG *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongAdd(ULONGLONG a, ULONGLONG b, ULONGLONG *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (ULONGLONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongSub(ULONGLONG a, ULONGLONG b, ULONGLONG *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (ULONGLONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongMult(ULONGLONG a, ULONGLONG b, ULONGLONG *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (ULONGLONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTAdd(SIZE_T a, SIZE_T b, SIZE_T *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (SIZE_T)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTSub(SIZE_T a, SIZE_T b, SIZE_T *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (SIZE_T)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTMult(SIZE_T a, SIZE_T b, SIZE_T *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (SIZE_T)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongPtrAdd(ULONG_PTR a, ULONG_PTR b, ULONG_PTR *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (ULONG_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongPtrSub(ULONG_PTR a, ULONG_PTR b, ULONG_PTR *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (ULONG_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongPtrMult(ULONG_PTR a, ULONG_PTR b, ULONG_PTR *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (ULONG_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUIntAdd(UINT a, UINT b, UINT *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (UINT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUIntSub(UINT a, UINT b, UINT *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (UINT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUIntMult(UINT a, UINT b, UINT *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (UINT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt32Add(UINT32 a, UINT32 b, UINT32 *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (UINT32)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt32Sub(UINT32 a, UINT32 b, UINT32 *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (UINT32)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt32Mult(UINT32 a, UINT32 b, UINT32 *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (UINT32)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt64Add(UINT64 a, UINT64 b, UINT64 *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (UINT64)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt64Sub(UINT64 a, UINT64 b, UINT64 *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (UINT64)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt64Mult(UINT64 a, UINT64 b, UINT64 *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (UINT64)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlDWordAdd(DWORD a, DWORD b, DWORD *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (DWORD)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlDWordSub(DWORD a, DWORD b, DWORD *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (DWORD)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlDWordMult(DWORD a, DWORD b, DWORD *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (DWORD)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlDWordPtrAdd(DWORD_PTR a, DWORD_PTR b, DWORD_PTR *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (DWORD_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlDWordPtrSub(DWORD_PTR a, DWORD_PTR b, DWORD_PTR *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (DWORD_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlDWordPtrMult(DWORD_PTR a, DWORD_PTR b, DWORD_PTR *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (DWORD_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongAdd(LONG a, LONG b, LONG *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (LONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongSub(LONG a, LONG b, LONG *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (LONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongMult(LONG a, LONG b, LONG *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (LONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongLongAdd(LONGLONG a, LONGLONG b, LONGLONG *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (LONGLONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongLongSub(LONGLONG a, LONGLONG b, LONGLONG *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (LONGLONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongLongMult(LONGLONG a, LONGLONG b, LONGLONG *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (LONGLONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlIntAdd(INT a, INT b, INT *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (INT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlIntSub(INT a, INT b, INT *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (INT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlIntMult(INT a, INT b, INT *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (INT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlInt32Add(INT32 a, INT32 b, INT32 *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (INT32)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlInt32Sub(INT32 a, INT32 b, INT32 *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (INT32)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlInt32Mult(INT32 a, INT32 b, INT32 *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (INT32)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlInt64Add(INT64 a, INT64 b, INT64 *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (INT64)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlInt64Sub(INT64 a, INT64 b, INT64 *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (INT64)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlInt64Mult(INT64 a, INT64 b, INT64 *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (INT64)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongPtrAdd(LONG_PTR a, LONG_PTR b, LONG_PTR *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (LONG_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongPtrSub(LONG_PTR a, LONG_PTR b, LONG_PTR *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (LONG_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongPtrMult(LONG_PTR a, LONG_PTR b, LONG_PTR *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (LONG_PTR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSSIZETAdd(SSIZE_T a, SSIZE_T b, SSIZE_T *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (SSIZE_T)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSSIZETSub(SSIZE_T a, SSIZE_T b, SSIZE_T *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (SSIZE_T)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSSIZETMult(SSIZE_T a, SSIZE_T b, SSIZE_T *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (SSIZE_T)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlShortAdd(SHORT a, SHORT b, SHORT *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (SHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlShortSub(SHORT a, SHORT b, SHORT *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (SHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlShortMult(SHORT a, SHORT b, SHORT *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (SHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt8Add(UINT8 a, UINT8 b, UINT8 *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (UINT8)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt8Sub(UINT8 a, UINT8 b, UINT8 *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (UINT8)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUInt8Mult(UINT8 a, UINT8 b, UINT8 *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (UINT8)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlByteAdd(BYTE a, BYTE b, BYTE *r)
{
	if (__builtin_add_overflow(a, b, r)) {
		*r = (BYTE)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlByteSub(BYTE a, BYTE b, BYTE *r)
{
	if (__builtin_sub_overflow(a, b, r)) {
		*r = (BYTE)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlByteMult(BYTE a, BYTE b, BYTE *r)
{
	if (__builtin_mul_overflow(a, b, r)) {
		*r = (BYTE)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongToULong(ULONGLONG v, ULONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongToUShort(ULONGLONG v, USHORT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongToUShort(ULONG v, USHORT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongToUChar(ULONG v, UCHAR *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (UCHAR)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTToULong(SIZE_T v, ULONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTToUShort(SIZE_T v, USHORT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongToSizeT(ULONGLONG v, SIZE_T *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (SIZE_T)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongPtrToULong(ULONG_PTR v, ULONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongToULong(LONG v, ULONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongLongToULong(LONGLONG v, ULONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongLongToLong(LONGLONG v, LONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (LONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongToLong(ULONG v, LONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (LONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlIntToULong(INT v, ULONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (ULONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongToInt(ULONG v, INT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (INT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTToUInt(SIZE_T v, UINT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (UINT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlUIntToUShort(UINT v, USHORT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongToUInt(ULONGLONG v, UINT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (UINT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongLongToLong(ULONGLONG v, LONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (LONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTToLong(SIZE_T v, LONG *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (LONG)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlLongToUShort(LONG v, USHORT *r)
{
	if (__builtin_add_overflow(v, 0, r)) {
		*r = (USHORT)-1;
		return STATUS_INTEGER_OVERFLOW;
	}
	return STATUS_SUCCESS;
}
#endif
