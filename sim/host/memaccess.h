/* memaccess.h - driver code's memory accesses, seen at the access.
 *
 * Hosted driver objects are compiled with ThreadSanitizer's instrumentation
 * (`-fsanitize=thread`, gcc and clang; without function entry/exit hooks,
 * volatile accesses told apart) but linked without its runtime:
 * tools/driver-obj.sh renames every `__tsan_*` entry point the object calls
 * to `nmrsim_tsan_*`, implemented here, in the driver's object only (no
 * sanitizer runtime of the engine or of libFuzzer sees them). A build may
 * switch it off (-Ddriver_access=false; then nothing here is reached).
 *
 * What an access does (hot path: one subtraction and compare per region):
 * - pool (sim/kernel/ex_pool.c): a read or write of a freed block is found
 *   at the access: M19 binding-after-cleanup when a cleanup callback freed it
 *   (a binding context; the finding names the binding handle and the
 *   cleanup's step), else K05 pool-misuse (use after free). The pool never
 *   hands a freed block out again within a run, so the quarantine is the
 *   whole run, deterministic. Accesses made inside a dispatch call its caller
 *   should not have made (M18/M19 against the caller, sim/host/guard.h) are
 *   a consequence and stay quiet, as the kernel's reports there do.
 * - pool, driver globals and objects on the simulated threads' stacks
 *   (a local handed to another thread), when race detection is on for the run
 *   (sim/kernel/race.h): the access goes into the happens-before check, and
 *   a race is K11 data-race naming both sites (thread, routine, code
 *   address relative to its binary, trace step).
 * - atomics (the Interlocked* intrinsics) and volatile accesses are sync
 *   operations on their address (race.h), never races.
 * Findings emit no event and change no choice: a run's trace is the same
 * with the checks on or off.
 */
#ifndef NMRSIM_MEMACCESS_H
#define NMRSIM_MEMACCESS_H

#include <stdbool.h>
#include <stdint.h>

struct kernel;

/* Start of a run (after kernel_init): the pool and driver globals to check;
 * races: race detection on for this run (the scenario's `races on`, or
 * NMRSIM_RACES=1 in the environment, memaccess_races_env). */
void memaccess_run_init(struct kernel *k, bool races);
/* NMRSIM_RACES=1 (read once per process). */
bool memaccess_races_env(void);
/* Accesses the instrumentation delivered this process (benchmarks, tests). */
uint64_t memaccess_count(void);

#endif
