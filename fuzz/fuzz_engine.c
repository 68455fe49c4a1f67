/* fuzz_engine.c - the engine glue every fuzz target is linked with; one
 * source, selected by macros the build sets from -Dfuzzing_engine:
 *
 *   FUZZ_ENGINE_LIBFUZZER  libFuzzer and OSS-Fuzz ($LIB_FUZZING_ENGINE):
 *                          LLVMFuzzerInitialize + LLVMFuzzerTestOneInput
 *   FUZZ_ENGINE_AFL        AFL++ persistent mode: deferred init (__AFL_INIT)
 *                          after the runner is allocated, shared-memory test
 *                          cases (__AFL_FUZZ_TESTCASE_BUF), __AFL_LOOP; with
 *                          file arguments it runs them like the standalone
 *                          driver (replay of crash files)
 *   (neither)              standalone driver: runs every file and directory
 *                          given (directories one level deep, sorted)
 *
 * Standalone exit codes: 0 no finding, 1 at least one counted finding,
 * 2 usage or unreadable input. Never 77. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covlog.h"
#include "fuzz_target.h"
#include "run/crash.h"

struct fuzz_options fuzz_options;
unsigned long fuzz_suppressed, fuzz_advisories;

/* Whether a is a target option (fuzz_target.h); consumed into fuzz_options. */
static bool target_option(const char *a)
{
	if (!strncmp(a, "--rules=", 8))
		fuzz_options.rules = a + 8;
	else if (!strncmp(a, "--suppress=", 11))
		fuzz_options.suppress = a + 11;
	else if (!strcmp(a, "--advisories-fail"))
		fuzz_options.advisories_fail = true;
	else
		return false;
	return true;
}

/* Suppressed findings and advisories are counted, never silently lost. */
static void print_set_aside(void)
{
	if (fuzz_suppressed || fuzz_advisories)
		fprintf(stderr, "%s: %lu finding(s) suppressed, %lu advisor%s not counted\n", fuzz_target_name,
			fuzz_suppressed, fuzz_advisories, fuzz_advisories == 1 ? "y" : "ies");
}

/* fuzz_target_init, or exit 2 (a bad option: its message is printed). */
static void target_init(void)
{
	int rc = fuzz_target_init();
	if (rc == 0)
		return;
	if (rc != FUZZ_INIT_BAD_OPTION)
		fprintf(stderr, "%s: cannot set up the engine (memory)\n", fuzz_target_name);
	exit(2);
}

#if defined(FUZZ_ENGINE_LIBFUZZER)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NMRSIM_FUZZ_NO_ABORT=1: findings are printed but do not abort (the
 * coverage benchmark, fuzz/bench_mutator.py, measures exploration, and a
 * crash per input would end each run). Never set it to hunt bugs. */
static bool no_abort;

/* libFuzzer flags the binary adds to its command line unless the user gave
 * them (a NULL-terminated list of "-name=value"); defined by
 * mutator_libfuzzer.c in structure-aware binaries, absent elsewhere.
 * libFuzzer lets LLVMFuzzerInitialize rewrite argc/argv for this. */
__attribute__((weak)) const char *const *fuzz_default_flags(void);

/* libFuzzer's own entry points, weak: present only when libFuzzer is the
 * engine (OSS-Fuzz may drive LLVMFuzzerInitialize from another engine,
 * whose flags are not libFuzzer's). */
__attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* Flags every target adds under libFuzzer unless the user gave them: a
 * finding or a timeout exits 1, as everywhere in nmrsim (libFuzzer's own
 * defaults are 77, which Meson and CI scripts read as "skipped", and 70);
 * -timeout=10: an input still running after 10 s is a timeout-* artifact
 * (libFuzzer's default waits 20 minutes); spinning driver code ends long
 * before as L04 (sim/host/spin.h). */
static const char *const engine_flags[] = { "-error_exitcode=1", "-timeout_exitcode=1", "-timeout=10", NULL };

#define FUZZ_ARGS_MAX 256

/* Append the flags of DEFAULTS the command line lacks to args[*n]. */
static void add_flags(char **args, int *n, int argc, char **argv, const char *const *defaults)
{
	for (const char *const *d = defaults; d && *d; d++) {
		const char *eq = strchr(*d, '=');
		size_t name_len = eq ? (size_t)(eq - *d) + 1 : strlen(*d);
		bool given = false;
		for (int i = 1; i < argc; i++)
			given |= !strncmp(argv[i], *d, name_len);
		if (given || *n + 1 >= FUZZ_ARGS_MAX)
			continue;
		args[(*n)++] = (char *)*d;
		fprintf(stderr, "INFO: %s: %s by default (give the flag to override)\n", fuzz_target_name, *d);
	}
}

static void add_default_flags(int *argc, char ***argv)
{
	static char *args[FUZZ_ARGS_MAX];
	if (!LLVMFuzzerMutate || *argc < 1 || *argc >= FUZZ_ARGS_MAX)
		return;
	int n = *argc;
	memcpy(args, *argv, (size_t)n * sizeof args[0]);
	add_flags(args, &n, *argc, *argv, engine_flags);
	add_flags(args, &n, *argc, *argv, fuzz_default_flags ? fuzz_default_flags() : NULL);
	args[n] = NULL;
	*argc = n;
	*argv = args;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	add_default_flags(argc, argv);
	/* libFuzzer ignores flags that start with "--": they are the target's. */
	for (int i = 1; i < *argc; i++)
		if (!strncmp((*argv)[i], "--", 2) && !target_option((*argv)[i])) {
			fprintf(stderr, "%s: unknown option '%s' (--rules=SPEC, --suppress=FILE, --advisories-fail)\n",
				fuzz_target_name, (*argv)[i]);
			exit(2);
		}
	const char *env = getenv("NMRSIM_FUZZ_NO_ABORT");
	no_abort = env && env[0] == '1';
	covlog_init();
	target_init();
	atexit(print_set_aside);
	/* A crashing driver: print the run's findings (K08 and what came before
	 * it, such as K05 at a read of freed pool) and the signature, then hand
	 * the signal on to the sanitizer's or libFuzzer's handler, which saves
	 * the input. Installed before libFuzzer's own handlers, which chain to it
	 * for SIGSEGV and leave the others to it. Without it a driver crash under
	 * libFuzzer showed only the sanitizer's report. */
	crash_install(CRASH_CHAIN);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_INPUT_MAX)
		size = FUZZ_INPUT_MAX;
	int rc = fuzz_target_run(data, size);
	covlog_after_run();
	if (rc != 0 && !no_abort)
		abort(); /* the finding is printed; libFuzzer writes crash-<sha1> */
	return 0;
}

#else /* AFL++ or standalone: both have a main and can run files */

static uint8_t *file_buf;

/* Run one file; returns 0 clean, 1 finding, 2 unreadable. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		return 2;
	}
	size_t len = fread(file_buf, 1, FUZZ_INPUT_MAX, f);
	bool err = ferror(f);
	fclose(f);
	if (err) {
		fprintf(stderr, "%s: read error\n", path);
		return 2;
	}
	int rc = fuzz_target_run(file_buf, len);
	if (rc != 0)
		fprintf(stderr, "%s: finding in %s\n", fuzz_target_name, path);
	return rc != 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file of a directory, in name order (so output is
 * stable). Returns the worst of run_file's codes, and counts. */
static int run_dir(const char *dir, unsigned *inputs, unsigned *findings)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s: cannot open: %s\n", dir, strerror(errno));
		return 2;
	}
	size_t n = 0, cap = 64;
	char **names = malloc(cap * sizeof(*names));
	struct dirent *e;
	while (names && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **grown = realloc(names, 2 * cap * sizeof(*names));
			if (!grown)
				break;
			names = grown;
			cap *= 2;
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		if (!names[n])
			break;
		snprintf(names[n++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (!names)
		return 2;
	qsort(names, n, sizeof(*names), cmp_names);
	int worst = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			int rc = run_file(names[i]);
			++*inputs;
			*findings += rc == 1;
			worst = rc > worst ? rc : worst;
		}
		free(names[i]);
	}
	free(names);
	return worst;
}

static int run_paths(int argc, char **argv)
{
	file_buf = malloc(FUZZ_INPUT_MAX);
	if (!file_buf)
		return 2;
	unsigned inputs = 0, findings = 0;
	int worst = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] == '-')
			continue; /* a target option (take_options) */
		if (a[0] == '-')
			continue; /* libFuzzer-style flags (-runs=N): accepted and ignored */
		struct stat st;
		int rc;
		if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = run_dir(a, &inputs, &findings);
		} else {
			rc = run_file(a);
			inputs++;
			findings += rc == 1;
		}
		worst = rc > worst ? rc : worst;
	}
	free(file_buf);
	fprintf(stderr, "%s: %u input(s), %u finding(s)\n", fuzz_target_name, inputs, findings);
	print_set_aside();
	return worst;
}

/* Consume the target options; false (message printed) on an unknown one. */
static bool take_options(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--", 2) && !target_option(argv[i])) {
			fprintf(stderr, "%s: unknown option '%s'\n", fuzz_target_name, argv[i]);
			return false;
		}
	return true;
}

/* Whether argv has a file operand (not an option or a libFuzzer-style flag). */
static bool have_files(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			return true;
	return false;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: %s [--rules=SPEC] [--suppress=FILE] [--advisories-fail] FILE|DIR...\n"
		"  runs each input (files of a DIR one level deep, in name order)\n"
		"exit: 0 no finding, 1 a counted finding, 2 usage or unreadable input\n",
		fuzz_target_name);
	return 2;
}

#if defined(FUZZ_ENGINE_AFL)

/* Without afl-clang-fast (a plain compiler with -Dfuzzing_engine=afl), the
 * AFL++ macros fall back to reading stdin once, so the binary still works
 * with afl-fuzz in its dumb mode or by hand. */
#ifndef __AFL_FUZZ_TESTCASE_LEN
static ssize_t fuzz_len;
static unsigned char fuzz_buf[FUZZ_INPUT_MAX];
#define __AFL_FUZZ_TESTCASE_LEN fuzz_len
#define __AFL_FUZZ_TESTCASE_BUF fuzz_buf
#define __AFL_FUZZ_INIT() static int fuzz_afl_unused
#define __AFL_LOOP(x) ((fuzz_len = read(0, fuzz_buf, sizeof(fuzz_buf))) > 0 ? 1 : 0)
#define __AFL_INIT() do { } while (0)
#endif

__AFL_FUZZ_INIT();

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return usage();
	if (!take_options(argc, argv))
		return 2;
	target_init();
	if (have_files(argc, argv)) {
		crash_install(CRASH_EXIT); /* files: a crash is K08, exit 1, as in the standalone runner */
		return run_paths(argc, argv);
	}
	covlog_init();
	/* As under libFuzzer: for coverage benchmarks only (a finding that
	 * does not crash is not kept by AFL++). */
	const char *env = getenv("NMRSIM_FUZZ_NO_ABORT");
	bool no_abort = env && env[0] == '1';
	crash_install(CRASH_CHAIN); /* as under libFuzzer: the findings, then AFL++ sees the signal */
	/* Fork server starts here: the runner's arena and fiber stacks are
	 * already allocated, so every child inherits them. */
	__AFL_INIT();
	unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(100000)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		if (len > FUZZ_INPUT_MAX)
			len = FUZZ_INPUT_MAX;
		int rc = fuzz_target_run(buf, len);
		covlog_after_run();
		if (rc != 0 && !no_abort)
			abort();
	}
	return 0;
}

#else

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage();
	/* No fuzzer, so no per-input timeout: the run watchdog instead. */
	crash_install(CRASH_EXIT);
	crash_watchdog(CRASH_WATCHDOG_SECONDS);
	if (!take_options(argc, argv))
		return 2;
	target_init();
	if (!have_files(argc, argv))
		return usage();
	return run_paths(argc, argv);
}

#endif
#endif
