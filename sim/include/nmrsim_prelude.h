/* nmrsim_prelude.h - what a WDK driver build has before the first line of a
 * source file: the SAL and driverspecs vocabulary, the MSVC keywords
 * (msvc.h) and the pointer-sized integer types MSVC code uses without an
 * include. Force-included into every hosted driver (-include, by
 * examples/meson.build and tools/nmrsim-build); includes no C library
 * header, so a driver built with NO_CRT can still declare uint64_t, size_t
 * itself. */
#ifndef NMRSIM_PRELUDE_H
#define NMRSIM_PRELUDE_H
#include "sal.h"
#include "msvc.h"
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __INTPTR_TYPE__ intptr_t;
/* size_t and ptrdiff_t as on Windows (vcruntime.h, the WDK's km/crt
 * headers: unsigned __int64, __int64), defined before anything else so that
 * every header of a file agrees whatever the order of its includes: the
 * guards below keep gcc's and clang's <stddef.h> (which glibc's <string.h>,
 * <stdlib.h>, ... go through) from defining the C library's `unsigned long`
 * one, so a <string.h> after <ntddk.h> declares memcpy as these lines do,
 * and a NO_CRT driver's own `typedef unsigned long long size_t` is the same
 * type. ntdef.h has the same guarded definitions for files built without
 * this prelude. */
#if !defined(_SIZE_T_DEFINED) && !defined(_SIZE_T)
#define _SIZE_T_DEFINED
#define _SIZE_T
typedef unsigned long long size_t;
#endif
#if !defined(_PTRDIFF_T_DEFINED) && !defined(_PTRDIFF_T)
#define _PTRDIFF_T_DEFINED
#define _PTRDIFF_T
typedef long long ptrdiff_t;
#endif
/* MSVC knows these as intrinsics without a declaration. Declared with the
 * Windows size_t, which is not the compilers' built-in one (same size and
 * calling convention; the mismatch warning is silenced). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wbuiltin-declaration-mismatch"
#pragma GCC diagnostic ignored "-Wincompatible-library-redeclaration"
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);
size_t strlen(const char *);
#pragma GCC diagnostic pop
#endif
