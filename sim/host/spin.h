/* spin.h - driver code that calls no kernel routine still reaches the
 * scheduler (L04).
 *
 * Control changes hands only at scheduling points, and driver code reaches
 * one only when it calls the kernel or NMR. A loop that calls neither (a
 * `while (!Flag) YieldProcessor();` waiting for another thread, or a bug
 * that never ends) would keep the one OS thread forever. So hosted driver
 * objects are compiled with basic-block instrumentation
 * (`-fsanitize-coverage=trace-pc`, gcc and clang; examples/meson.build) and
 * tools/driver-obj.sh renames its callback, __sanitizer_cov_trace_pc, to
 * nmrsim_spin_point in the driver's object only (libFuzzer's runtime defines
 * the sanitizer name too; its own coverage of driver code is unchanged).
 *
 * Every SPIN_BLOCKS blocks of driver code the counter checks whether a
 * scheduling point passed meanwhile. If none did, the running thread spins:
 * it gives way (sched_give_way: another thread runs, as on a multi-core
 * machine), an EV_KERNEL DriverSpin event marks the place in the trace.
 * Block counts depend only on the code and the run, so this is deterministic
 * per binary; a spin waiting for another thread shows the same trace in every
 * build, since the loop itself does nothing observable.
 *
 * The spin never ends (L04, then the run ends as after a bug check) when
 * - nothing else can run: no other thread is runnable, and neither the
 *   kernel's timers and timeouts nor the drain phase can make one; or
 * - SPIN_ROUNDS_MAX rounds in a row passed in which no other thread made
 *   progress (they all spin too).
 * A spin whose peer keeps making progress is bounded by the step budget
 * (L02) like any other run.
 */
#ifndef NMRSIM_SPIN_H
#define NMRSIM_SPIN_H

#include <stdint.h>

#include "sched/sched.h"

#define SPIN_BLOCKS (1u << 20)  /* blocks without a scheduling point before the thread gives way */
#define SPIN_ROUNDS_MAX 32u     /* rounds with no progress elsewhere before L04 */

/* Start of a run (host_run_init): forget the previous run's counts. */
void spin_run_init(struct sched *s);

/* The instrumentation's entry point, called at every basic block of hosted
 * driver code (the renamed __sanitizer_cov_trace_pc). */
void nmrsim_spin_point(void);

/* Spin yields made by this run (benchmarks, tests). */
uint32_t spin_yields(void);
/* Runs started in this process (the watchdog tells runs apart by it). */
uint32_t spin_runs(void);

#endif
