/* msvc.h - the Microsoft C keywords and extensions WDK code uses, mapped to
 * gcc/clang. Not a WDK header name on purpose: ntdef.h includes it.
 *
 *   __forceinline, __inline  inline (drivers are built with -fgnu89-inline;
 *                            driver-obj.sh merges the copies of a non-static
 *                            inline function that several files of one
 *                            driver emit, as MSVC's linker does)
 *   __declspec(x)            the attribute it means (a list below; an
 *                            unknown one is a compile error naming it)
 *   __pragma(x)              _Pragma("x") (pack works; MSVC-only pragmas are
 *                            unknown to gcc and ignored: -Wno-unknown-pragmas)
 *   __int8..__int64, __ptr64, __unaligned, __try/__except/__finally,
 *   __assume, __noop, _countof
 * Structured exception handling is not modelled: the __try body runs and
 * the handler never does. */
#ifndef NMRSIM_MSVC_H
#define NMRSIM_MSVC_H

#ifndef __forceinline
#define __forceinline inline __attribute__((__always_inline__))
#endif
#ifndef __inline
#define __inline inline
#endif
#ifndef _inline
#define _inline inline
#endif

/* __declspec(x) is NMRSIM_DECLSPEC_x, then the first token of its expansion
 * is pasted onto NMRSIM_DS_ so a name that may come with or without an
 * argument list (deprecated, deprecated("text")) expands either way: its
 * macro expands to a function-like name that the argument list, when there
 * is one, consumes; a name left alone is finished by its NMRSIM_DS_ macro.
 * An unknown x stays NMRSIM_DS_NMRSIM_DECLSPEC_x: a compile error naming it. */
#ifndef __declspec
#define __declspec(x) NMRSIM_DS_EXPAND(NMRSIM_DECLSPEC_##x)
#endif
#define NMRSIM_DS_EXPAND(a) NMRSIM_DS_FINISH(a)
#define NMRSIM_DS_FINISH(a) NMRSIM_DS_##a
#define NMRSIM_DS_
#define NMRSIM_DS___attribute__ __attribute__
#define NMRSIM_DS__Thread_local _Thread_local
#define NMRSIM_DS_NMRSIM_DECLSPEC_DEPRECATED_
#define NMRSIM_DECLSPEC_DEPRECATED_(...)
#define NMRSIM_DECLSPEC_noreturn __attribute__((__noreturn__))
#define NMRSIM_DECLSPEC_noinline __attribute__((__noinline__))
#define NMRSIM_DECLSPEC_align(n) __attribute__((__aligned__(n)))
#define NMRSIM_DECLSPEC_selectany __attribute__((__weak__))
#define NMRSIM_DECLSPEC_dllimport
#define NMRSIM_DECLSPEC_dllexport
#define NMRSIM_DECLSPEC_nothrow
#define NMRSIM_DECLSPEC_noalias
#define NMRSIM_DECLSPEC_restrict
#define NMRSIM_DECLSPEC_novtable
#define NMRSIM_DECLSPEC_safebuffers
#define NMRSIM_DECLSPEC_naked
#define NMRSIM_DECLSPEC_empty_bases
#define NMRSIM_DECLSPEC_thread _Thread_local
#define NMRSIM_DECLSPEC_deprecated NMRSIM_DECLSPEC_DEPRECATED_
#define NMRSIM_DECLSPEC_code_seg(x)
#define NMRSIM_DECLSPEC_allocate(x)
#define NMRSIM_DECLSPEC_guard(x)
#define NMRSIM_DECLSPEC_uuid(x)
#define NMRSIM_DECLSPEC_property(...)
#define NMRSIM_DECLSPEC_allocator
#define NMRSIM_DECLSPEC_noinit
#define NMRSIM_DECLSPEC_hybrid_patchable

/* MSVC's C compiler takes static_assert as a keyword without <assert.h>
 * (the same definition as C11's <assert.h>, so including it too is fine). */
#if !defined(__cplusplus) && !defined(static_assert)
#define static_assert _Static_assert
#endif

#ifndef __pragma
#define __pragma(x) _Pragma(#x)
#endif

/* __int64 is the 64-bit type the WDK's names are here (INT64, LONGLONG,
 * LONG64, LONG_PTR: ntdef.h) and intptr_t is (nmrsim_prelude.h), as on
 * Windows, where all are __int64: a project's own kernel <stdint.h> with
 * `typedef __int64 intptr_t` (ntosebpfext's) or `typedef unsigned __int64
 * uint64_t` agrees with them and with the C library's. */
#ifndef __int8
#define __int8 char
#define __int16 short
#define __int32 int
#define __int64 __INT64_TYPE__
#endif
#ifndef __ptr64
#define __ptr64
#define __ptr32
#endif
#ifndef __unaligned
#define __unaligned
#endif
#ifndef __w64
#define __w64
#endif
#ifndef __nullterminated
#define __nullterminated
#endif

/* SEH: the body runs; the filter and handler are never evaluated. */
#ifndef __try
#define __try if (1)
#define __except(filter) else if (0)
#define __finally if (1)
#define __leave ((void)0)
#define _try __try
#define _except __except
#define _finally __finally
#endif
#ifndef GetExceptionCode
#define GetExceptionCode() ((NTSTATUS)0)
#define GetExceptionInformation() ((PVOID)0)
#define _exception_code GetExceptionCode
#endif
#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

#ifndef __assume
#define __assume(e) ((void)0)
#endif
#ifndef __noop
#define __noop(...) ((void)0)
#endif
#ifndef __analysis_assume
#define __analysis_assume(e) ((void)0)
#endif
#ifndef _countof
#define _countof(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __FUNCDNAME__
#define __FUNCDNAME__ __func__
#define __FUNCSIG__ __func__
#endif

#endif
