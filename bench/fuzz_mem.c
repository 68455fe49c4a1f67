/* fuzz_mem.c - exec/s of a fuzz target run the way libFuzzer and AFL++ run
 * it: inputs in memory, one LLVMFuzzerTestOneInput call each, no file
 * system calls between runs.
 *
 *   fuzz_mem PASSES DIR       (exit 0, or 2: usage, unreadable DIR)
 *
 * Not built by Meson: bench/compare_rev.sh links it against a build's own
 * fuzz target objects (the harness, covlog, and fuzz_engine.c compiled with
 * -DFUZZ_ENGINE_LIBFUZZER, so the target's own LLVMFuzzerInitialize and
 * LLVMFuzzerTestOneInput, and its engine libraries), the same way for every
 * revision, so two revisions are measured through the same driver. It
 * needs only those two entry points, which every revision's fuzz_engine.c
 * has had.
 *
 * Every regular file of DIR is read once (in name order). One untimed pass
 * warms the caches and the branch predictors (and pages in the runner's
 * arena), then PASSES timed passes: CPU time (user + system) from getrusage,
 * as the machine may be shared with other work, and the wall clock can only
 * be worse. Prints one line:
 *   fuzz_mem: INPUTS inputs x PASSES passes = RUNS runs, CPU_US us CPU, EXECS exec/s
 * Run it with NMRSIM_FUZZ_NO_ABORT=1: a finding aborts under libFuzzer.
 * Under callgrind, --toggle-collect=LLVMFuzzerTestOneInput counts the runs
 * only: (PASSES + 1) x INPUTS calls. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	char *name;
	uint8_t *data;
	size_t len;
};

static int cmp_inputs(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->name, ((const struct input *)b)->name);
}

/* Read the whole file PATH into *in; 0, or -1 (message printed). */
static int load(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			uint8_t *grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
			cap *= 2;
		}
	}
	int bad = !buf || ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		return -1;
	}
	in->data = buf;
	in->len = len;
	return 0;
}

/* Every regular file of DIR, sorted by name; the count, or -1. */
static long load_dir(const char *dir, struct input **out)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	size_t n = 0, cap = 64;
	struct input *in = malloc(cap * sizeof(*in));
	struct dirent *e;
	while (in && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		size_t plen = strlen(dir) + strlen(e->d_name) + 2;
		char *path = malloc(plen);
		struct stat st;
		if (!path)
			break;
		snprintf(path, plen, "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (n == cap) {
			struct input *grown = realloc(in, 2 * cap * sizeof(*in));
			if (!grown) {
				free(path);
				break;
			}
			in = grown;
			cap *= 2;
		}
		in[n].name = path;
		if (load(path, &in[n]) != 0) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	if (!in)
		return -1;
	qsort(in, n, sizeof(*in), cmp_inputs);
	*out = in;
	return (long)n;
}

static double cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void pass(const struct input *in, long n)
{
	for (long i = 0; i < n; i++)
		LLVMFuzzerTestOneInput(in[i].data, in[i].len);
}

int main(int argc, char **argv)
{
	long passes = argc == 3 ? strtol(argv[1], NULL, 10) : 0;
	if (passes <= 0) {
		fprintf(stderr, "usage: fuzz_mem PASSES DIR\n");
		return 2;
	}
	struct input *in;
	long n = load_dir(argv[2], &in);
	if (n <= 0) {
		fprintf(stderr, "fuzz_mem: no inputs in %s\n", argv[2]);
		return 2;
	}
	/* The target sees only its name: no libFuzzer flags, no target options. */
	int fargc = 1;
	char *fargv[] = { argv[0], NULL };
	char **pargv = fargv;
	LLVMFuzzerInitialize(&fargc, &pargv);
	pass(in, n);
	double t0 = cpu_us();
	for (long p = 0; p < passes; p++)
		pass(in, n);
	double us = cpu_us() - t0;
	long runs = passes * n;
	printf("fuzz_mem: %ld inputs x %ld passes = %ld runs, %.0f us CPU, %.0f exec/s\n", n, passes, runs, us,
	       us > 0 ? runs * 1e6 / us : 0.0);
	return 0;
}
