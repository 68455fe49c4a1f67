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
/* MSVC knows these as intrinsics without a declaration. */
void *memcpy(void *, const void *, __SIZE_TYPE__);
void *memmove(void *, const void *, __SIZE_TYPE__);
void *memset(void *, int, __SIZE_TYPE__);
int memcmp(const void *, const void *, __SIZE_TYPE__);
__SIZE_TYPE__ strlen(const char *);
#endif
