/* test_assert.c - engine invariants stay on and say what broke.
 *
 * Each case runs in a forked child that breaks one invariant (directly, or
 * through the scheduler's and the registrar model's public entry points on
 * deliberately corrupted state) and must die by SIGABRT with
 *   nmrsim: invariant failed: <name> (<expression>) at <file>:<line>
 *   signature: invariant <name> <file>   (campaigns group crash files on it)
 * on stderr. A consistent state must not abort. This file is compiled with
 * NDEBUG (tests/meson.build): the invariants do not depend on it. Crash
 * handling (run/crash.c) is installed in the children: an engine invariant
 * must not come out as a K08 module-crash finding. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/assert.h"
#include "nmr/nmr.h"
#include "run/crash.h"
#include "sched/sched.h"

#ifndef NDEBUG
#error "test_assert.c must be built with NDEBUG: it proves the invariants stay on without assert()"
#endif

struct outcome {
	bool signalled;    /* the child died by a signal */
	int signal;        /* which */
	int exit_code;     /* else its exit code */
	char err[2048];    /* what it wrote on stderr and stdout */
};

/* Run fn in a child with crash handling installed; collect how it ended. */
static void run_child(void (*fn)(void), struct outcome *o)
{
	memset(o, 0, sizeof *o);
	int fds[2];
	if (pipe(fds) != 0) {
		perror("pipe");
		exit(1);
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		dup2(fds[1], 1);
		crash_install(CRASH_EXIT);
		fn();
		fflush(stdout);
		_exit(0);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t n;
	while ((n = read(fds[0], o->err + len, sizeof o->err - 1 - len)) > 0)
		len += (size_t)n;
	o->err[len] = 0;
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	o->signalled = WIFSIGNALED(status);
	o->signal = o->signalled ? WTERMSIG(status) : 0;
	o->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* fn must abort with the invariant `name`, its expression and a location. */
static void expect_invariant(const char *what, void (*fn)(void), const char *name, const char *expr)
{
	struct outcome o;
	run_child(fn, &o);
	char want[512];
	snprintf(want, sizeof want, "nmrsim: invariant failed: %s (%s", name, expr);
	bool ok = o.signalled && o.signal == SIGABRT && strstr(o.err, want) && strstr(o.err, " at ") &&
		  strstr(o.err, "not a finding against the driver") && !strstr(o.err, "K08") &&
		  strstr(o.err, "signature: invariant ");
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  %s: signalled %d signal %d exit %d, output:\n%s\n  wanted: %s\n", what, o.signalled,
			o.signal, o.exit_code, o.err, want);
}

/* ---- the cases ---- */

static volatile unsigned one = 1, two = 2;

static void direct(void)
{
	SIM_ASSERT(one == two, "one is two");
}

static void direct_values(void)
{
	SIM_ASSERT_LT(two, one, "two is below one");
}

static void direct_pair(void)
{
	SIM_ASSERT2(one == 1, two == 1, "both are one");
}

static void direct_holds(void)
{
	SIM_ASSERT(one < two, "one is below two");
	SIM_ASSERT_LE(one, two, "one is at most two");
	SIM_ASSERT_EQ(two, 2, "two is two");
	SIM_ASSERT2(one == 1, two == 2, "one and two");
}

/* The scheduler: a scheduling point from main (no simulated thread). */
static void sched_point_on_main(void)
{
	static struct fiber_pool pool;
	static struct choice choice;
	static struct trace trace;
	static struct sched s;
	sched_init(&s, &pool, &choice, &trace, 100, NULL);
	sched_point(&s);
}

/* The registrar model, with a scheduler and a choice stream that are never
 * reached: the corrupted state is found on the way in. */
static struct nmr_model model;
static struct sched model_sched;
static struct choice model_choice;

static HANDLE model_setup_binding(uint8_t client_slot, uint8_t side_state)
{
	nmr_model_init(&model, &model_sched, &model_choice, 0, 0, 0);
	uint32_t v = (NMR_TAG_BINDING << 28) | (5u << 8) | 1u;
	struct nmr_binding *b = &model.bindings[1];
	b->handle = v;
	b->state = BIND_ATTACHED;
	b->reg[NMR_CLIENT] = client_slot;
	b->reg[NMR_PROVIDER] = 0;
	b->side[NMR_CLIENT] = side_state;
	b->side[NMR_PROVIDER] = SIDE_ATTACHED;
	return nmr_handle_make(v);
}

static void model_binding_bad_slot(void)
{
	HANDLE h = model_setup_binding(200, SIDE_ATTACHED);
	nmr_model_ops.detach_complete(&model, NMR_CLIENT, h);
}

static void model_binding_consistent(void)
{
	/* Complete on a side that is not PENDING: M15 for the oracle, nothing for the model. */
	HANDLE h = model_setup_binding(1, SIDE_ATTACHED);
	nmr_model_ops.detach_complete(&model, NMR_CLIENT, h);
}

static void model_pending_outside_detach(void)
{
	/* A side PENDING while its binding is still ATTACHED: the state
	 * machines never make that. */
	HANDLE h = model_setup_binding(1, SIDE_PENDING);
	nmr_model_ops.detach_complete(&model, NMR_CLIENT, h);
}

static void model_registration_wrong_role(void)
{
	nmr_model_init(&model, &model_sched, &model_choice, 0, 0, 0);
	uint32_t v = (NMR_TAG_CLIENT << 28) | (7u << 8) | 2u;
	model.regs[2].handle = v;
	model.regs[2].state = REG_ACTIVE;
	model.regs[2].role = NMR_PROVIDER;
	(void)nmr_model_ops.deregister(&model, NMR_CLIENT, nmr_handle_make(v));
}

/* Crash handling turns faults into K08 module-crash findings; it must leave
 * SIGABRT alone, or a broken invariant would pass for a driver's crash. */
static void abort_not_caught(void)
{
	struct sigaction sa;
	sigaction(SIGABRT, NULL, &sa);
	if (sa.sa_handler != SIG_DFL) {
		fputs("crash handling took over SIGABRT\n", stderr);
		_exit(3);
	}
}

int main(void)
{
	struct outcome o;

	run_child(abort_not_caught, &o);
	CHECK(!o.signalled && o.exit_code == 0);

	expect_invariant("direct", direct, "one is two", "one == two");
	expect_invariant("direct values", direct_values, "two is below one", "two < one; 2 < 1 is false");
	expect_invariant("direct pair", direct_pair, "both are one", "two == 1");
	run_child(direct_holds, &o);
	CHECK(!o.signalled && o.exit_code == 0 && o.err[0] == 0);

	expect_invariant("sched_point on main", sched_point_on_main, "a scheduling point runs on a simulated thread",
			 "s->current != NULL");
	expect_invariant("binding with a bad registration slot", model_binding_bad_slot,
			 "a live binding's client is a registration slot", "b->reg[NMR_CLIENT] < NMR_REGS_MAX");
	expect_invariant("side PENDING outside detach", model_pending_outside_detach,
			 "a side is PENDING only while its binding detaches", "b->state == BIND_DETACHING");
	expect_invariant("registration of the wrong role", model_registration_wrong_role,
			 "a registration's handle tag matches its role", "r->role == (uint8_t)role");
	run_child(model_binding_consistent, &o);
	CHECK(!o.signalled && o.exit_code == 0 && o.err[0] == 0);
	if (o.signalled || o.exit_code != 0)
		fprintf(stderr, "  consistent binding: signal %d exit %d:\n%s\n", o.signal, o.exit_code, o.err);

	return check_exit();
}
