/* crash.c - faults and sanitizer reports inside a run as K08 findings
 * (see crash.h). Runs in a signal handler on a dying process: it uses stdio,
 * which is not async-signal-safe, because the alternative is saying nothing. */
#include "run/crash.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/time.h>

#include "host/spin.h"
#include "run/run.h"
#include "trace/names.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CRASH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CRASH_ASAN 1
#endif
#ifdef CRASH_ASAN
void __asan_set_death_callback(void (*callback)(void));
#endif

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
#define NSIGNALS (sizeof fault_signals / sizeof fault_signals[0])

static struct {
	enum crash_mode mode;
	struct sigaction previous[NSIGNALS];
	volatile sig_atomic_t busy;
	_Alignas(16) unsigned char altstack[64 * 1024];
	bool installed;
} crash;

int (*crash_exit_code)(void);
bool crash_brief;
void (*crash_render)(FILE *out, const struct run_state *st);

static void render_timeline(const struct run_state *st)
{
	if (crash_render)
		crash_render(stderr, st);
	else
		trace_render_text(stderr, &st->trace, st->scn);
}

/* Report the crash against the running run; returns false outside a run. */
static bool report(int sig)
{
	struct run_state *st = run_current;
	if (!st)
		return false;
	struct sim_thread *t = st->sched.current;
	uint8_t module = t ? t->module : EV_NONE8;
	const char *mname = module < st->scn->nmodules ? st->scn->modules[module].name : NULL;
	char detail[160], tname[32];
	snprintf(detail, sizeof detail, "%s in %s on thread %s", sig ? crash_signal_name(sig) : "a sanitizer report",
		 mname ? mname : "engine code (no module was running: an nmrsim bug)",
		 t ? trace_thread_name(st->scn, t->id, tname) : "main");
	/* A crash always counts, whatever the target's rule filter. */
	struct oracle *o = &st->oracle;
	o->rule_mask = 0;
	o->last_step = st->sched.step;
	/* The crash ends the run: it is always kept, after every finding the
	 * run raised before it (the last of a full list makes room). */
	if (o->nfindings == ORACLE_FINDINGS_MAX)
		o->nfindings--;
	oracle_report(o, RULE_K08, SITE_CRASH, (uint8_t)sig, module, t ? t->id : EV_NONE8, EV_NONE16, 0, detail);
	fflush(stdout);
	if (crash.mode == CRASH_EXIT && !crash_brief) {
		fprintf(stderr, "\n--- trace up to the crash ---\n");
		render_timeline(st);
		fprintf(stderr, "\n");
	}
	if (!crash_brief)
		for (uint32_t i = 0; i < o->nfindings; i++)
			oracle_print_finding(o, &o->findings[i], stderr);
	fflush(stderr);
	return true;
}

static void on_fault(int sig, siginfo_t *info, void *uc)
{
	(void)info;
	(void)uc;
	if (!crash.busy) {
		crash.busy = 1;
		if (report(sig) && crash.mode == CRASH_EXIT) {
			int rc = crash_exit_code ? crash_exit_code() : EXIT_VIOLATION;
			fflush(stdout);
			_exit(rc);
		}
	}
	/* Hand over: restore the previous action; returning re-executes the
	 * faulting instruction, which now reaches it (a synchronous fault). */
	for (size_t i = 0; i < NSIGNALS; i++)
		if (fault_signals[i] == sig)
			sigaction(sig, &crash.previous[i], NULL);
}

#ifdef CRASH_ASAN
static void on_sanitizer_death(void)
{
	if (!crash.busy) {
		crash.busy = 1;
		if (report(0) && crash.mode == CRASH_EXIT && crash_exit_code) {
			int rc = crash_exit_code();
			fflush(stdout);
			_exit(rc);
		}
	}
}
#endif

/* ---- watchdog: the last resort against a run that never returns ---- */

static struct {
	unsigned seconds;     /* 0: off */
	uint32_t run, step;   /* what the last tick saw */
	unsigned still;       /* ticks the same run stood at the same step */
} dog;

static void on_alarm(int sig)
{
	(void)sig;
	struct run_state *st = run_current;
	if (!st || crash.busy) {
		dog.still = 0;
		return;
	}
	uint32_t run = spin_runs(), step = st->sched.step;
	if (run != dog.run || step != dog.step) {
		dog.run = run;
		dog.step = step;
		dog.still = 0;
		return;
	}
	if (++dog.still < dog.seconds)
		return;
	crash.busy = 1;
	struct sim_thread *t = st->sched.current;
	uint8_t module = t ? t->module : EV_NONE8;
	const char *mname = module < st->scn->nmodules ? st->scn->modules[module].name : "engine code";
	char tname[32];
	fflush(stdout);
	if (crash.mode == CRASH_EXIT) {
		fprintf(stderr, "\n--- trace up to the watchdog ---\n");
		render_timeline(st);
	}
	for (uint32_t i = 0; i < st->oracle.nfindings; i++)
		oracle_print_finding(&st->oracle, &st->oracle.findings[i], stderr);
	fprintf(stderr,
		"watchdog: the run stood at step %u for %u s of wall-clock time in %s on thread %s; not a rule "
		"finding (it depends on the machine): code without the spin instrumentation runs without end "
		"(sim/host/spin.h), or an nmrsim bug\nverdict: watchdog\n",
		step, dog.still, mname, t ? trace_thread_name(st->scn, t->id, tname) : "main");
	fflush(stderr);
	_exit(EXIT_VIOLATION);
}

void crash_watchdog(unsigned seconds)
{
	const char *env = getenv("NMRSIM_WATCHDOG");
	if (env && *env)
		seconds = (unsigned)strtoul(env, NULL, 10);
	dog.seconds = seconds;
	if (!seconds)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval tick = { { 1, 0 }, { 1, 0 } };
	setitimer(ITIMER_REAL, &tick, NULL);
}

void crash_install(enum crash_mode mode)
{
	if (crash.installed)
		return;
	crash.installed = true;
	crash.mode = mode;
	stack_t ss = { .ss_sp = crash.altstack, .ss_size = sizeof crash.altstack, .ss_flags = 0 };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(fault_signals[i], &sa, &crash.previous[i]);
#ifdef CRASH_ASAN
	/* Under a fuzzer the death callback is the fuzzer's (it saves the input). */
	if (mode == CRASH_EXIT)
		__asan_set_death_callback(on_sanitizer_death);
#endif
}
