/* assert.h - invariants that stay on.
 *
 * The engine's own consistency (the scheduler's runnable set, the registrar
 * model's state machines, bounds of fixed tables) is checked in every build:
 * release, NDEBUG, -Db_ndebug=true, fuzzing, sanitizers. A broken invariant is
 * an nmrsim bug, never a finding against the driver under test, so it does
 * not go through the oracle: it prints
 *
 *   nmrsim: invariant failed: <name> (<expression>) at <file>:<line>
 *
 * on stderr and calls abort(). SIGABRT is not one of the signals run/crash.c
 * turns into K08 module-crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL), so an engine
 * invariant is never reported as a driver crash; libFuzzer and AFL++ see the
 * abort as a crash and keep the input. (__builtin_trap would raise SIGILL
 * and be mistaken for K08: do not use it here.)
 *
 * Every invariant has a name that says what must hold, so a report reads
 * without the source. Prefer two assertions to one with &&: the report then
 * says which half broke. The _LT/_LE/_EQ forms also print both values
 * (unsigned quantities: indexes, counts, bounds).
 */
#ifndef NMRSIM_ASSERT_H
#define NMRSIM_ASSERT_H

#include <stdint.h>

/* Cold: the compiler keeps the failure paths out of the hot code. */
_Noreturn __attribute__((cold)) void sim_assert_fail(const char *name, const char *expr, const char *file, int line);
_Noreturn __attribute__((cold)) void sim_assert_fail_values(const char *name, const char *expr, uintmax_t a,
							    const char *op, uintmax_t b, const char *file, int line);

#define SIM_ASSERT(cond, name) \
	(__builtin_expect(!!(cond), 1) ? (void)0 : sim_assert_fail((name), #cond, __FILE__, __LINE__))

/* The expression is spelled by the caller's macro, before its names expand. */
#define SIM_ASSERT_CMP_(a, op, b, expr, name) \
	(__builtin_expect((uintmax_t)(a) op (uintmax_t)(b), 1) ? (void)0 \
		: sim_assert_fail_values((name), (expr), (uintmax_t)(a), #op, (uintmax_t)(b), __FILE__, __LINE__))

/* a < b, a <= b, a == b for unsigned values (an index against its capacity). */
#define SIM_ASSERT_LT(a, b, name) SIM_ASSERT_CMP_(a, <, b, #a " < " #b, name)
#define SIM_ASSERT_LE(a, b, name) SIM_ASSERT_CMP_(a, <=, b, #a " <= " #b, name)
#define SIM_ASSERT_EQ(a, b, name) SIM_ASSERT_CMP_(a, ==, b, #a " == " #b, name)

/* An invariant that is a pair: both halves checked, each reported on its own. */
#define SIM_ASSERT2(a, b, name) (SIM_ASSERT(a, name), SIM_ASSERT(b, name))

#endif
