/* crash.h - a module that crashes is a finding, not a lost run.
 *
 * A fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL) or a sanitizer report during a
 * run becomes finding K08 module-crash, attributed to the module whose code
 * the running simulated thread was executing (its module attribution), with
 * the trace up to the crash. The handler runs on its own stack, so a blown
 * fiber stack (guard page) is reported too.
 *
 * CRASH_EXIT (tools: nmr-replay, nmr-explore, the standalone fuzz runner):
 * print the timeline so far and the report, then exit 1 (violation found).
 * CRASH_CHAIN (under libFuzzer / AFL++): print the report and the
 * `signature:` line, then hand the signal to the previous handler (the
 * fuzzer's, or the default action) so the fuzzer records the input; the
 * sanitizers' own death path is left to the fuzzer.
 */
#ifndef NMRSIM_CRASH_H
#define NMRSIM_CRASH_H

#include <stdbool.h>
#include <stdio.h>

enum crash_mode { CRASH_EXIT = 0, CRASH_CHAIN };

/* Install once per process, after the fuzzer/sanitizer runtimes set theirs. */
void crash_install(enum crash_mode mode);

/* Last resort, for tools that run without a fuzzer (which has its own
 * per-input timeout): a run that stands at the same scheduling step for
 * `seconds` of wall-clock time (driver code built without the spin
 * instrumentation, an nmrsim bug) prints the trace, the findings so far and
 * "verdict: watchdog" (no rule: it depends on the machine), then exits 1.
 * NMRSIM_WATCHDOG=N in the environment overrides seconds (0: off). Uses
 * SIGALRM and ITIMER_REAL. Needs crash_install's alternate stack. */
void crash_watchdog(unsigned seconds);
#define CRASH_WATCHDOG_SECONDS 30u

/* CRASH_EXIT: after the report, the process exits with what this returns
 * (default EXIT_VIOLATION), e.g. nmr-replay --expect checks the verdict. */
extern int (*crash_exit_code)(void);
/* CRASH_EXIT: print nothing; the tool reports the finding itself
 * (nmr-explore writes a reproducer instead of a timeline per crashing run). */
extern bool crash_brief;
/* CRASH_EXIT: how the timeline up to a crash or the watchdog is printed; NULL
 * is the plain trace_render_text. nmr-replay installs its annotated renderer
 * (driver globals by name, call sites by source line, replay/annotate.h), so
 * the timeline that matters most, the one that ends in a crash, keeps them. */
struct run_state;
extern void (*crash_render)(FILE *out, const struct run_state *st);

#endif
