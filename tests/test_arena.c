/* test_arena.c - the engine's large blocks (core/arena.h: arena_pages):
 * zeroed pages that stay untouched until used even with glibc's malloc
 * perturbation on (MALLOC_PERTURB_, which Meson sets for every test: through
 * calloc it filled the arena and the race search's footprints, about 23 MB,
 * in every process that set up a runner), and a write past a block's end
 * faults. */
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "run/run.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_LSAN 1
#endif
#endif
#if !defined(TEST_LSAN) && defined(__SANITIZE_ADDRESS__)
#define TEST_LSAN 1
#endif
#ifdef TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* Resident pages of [p, p + bytes). */
static size_t resident_pages(const void *p, size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(page - 1);
	size_t n = ((uintptr_t)p + bytes - lo + page - 1) / page;
	static unsigned char vec[1u << 16];
	if (n > sizeof vec || mincore((void *)lo, n * page, vec) != 0)
		return SIZE_MAX;
	size_t resident = 0;
	for (size_t i = 0; i < n; i++)
		resident += vec[i] & 1u;
	return resident;
}

/* A child that writes one byte at p + offset: did it end normally? */
static int writes_cleanly(unsigned char *p, size_t offset)
{
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* a plain death, no sanitizer report */
		p[offset] = 1;
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
#ifdef M_PERTURB
	/* As MALLOC_PERTURB_ does, whatever the environment says. */
	mallopt(M_PERTURB, 0xa5);
#endif
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	/* A runner set up: the arena's pages past what runner_init wrote (the
	 * run state: 2 pages) and the footprints stay untouched (a tiny build's
	 * arena may be too small to tell). */
	struct runner r;
	CHECK(runner_init(&r) == 0);
	size_t arena_pages_total = (r.arena.size_bytes + page - 1) / page;
	size_t arena_resident = resident_pages(r.arena.base, r.arena.size_bytes);
	CHECK(arena_pages_total <= 8 || arena_resident <= 4); /* all of them through calloc */
	CHECK_EQ_U(resident_pages(r.st->por_exact, sizeof(struct por_exact) * RUN_POR_STEPS), 0);
	printf("arena: %zu of %zu pages resident after runner_init\n", arena_resident, arena_pages_total);
	runner_fini(&r);

	/* A heap block only an arena points to is not a leak (LeakSanitizer
	 * scans the arena: core/arena.c registers it). */
	struct arena a;
	CHECK(arena_init(&a, 1u << 20) == 0);
	void **slot = arena_alloc(&a, sizeof *slot);
	CHECK(slot != NULL);
	if (slot) {
		*slot = malloc(64);
#ifdef TEST_LSAN
		CHECK(__lsan_do_recoverable_leak_check() == 0);
#endif
		free(*slot);
	}
	arena_fini(&a);

	/* A block: 16-byte aligned, zero, writable to its 16-byte-rounded end,
	 * and the first byte past that faults. */
	for (size_t bytes = 1; bytes <= 3 * page; bytes += page / 3 + 7) {
		unsigned char *b = arena_pages(bytes);
		CHECK(b != NULL);
		if (!b)
			continue;
		size_t tight = (bytes + 15u) & ~(size_t)15u;
		CHECK_EQ_U((uintptr_t)b % 16u, 0);
		size_t nonzero = 0;
		for (size_t i = 0; i < tight; i++)
			nonzero += b[i] != 0;
		CHECK_EQ_U(nonzero, 0);
		b[0] = 1;
		b[tight - 1] = 1;
		CHECK(writes_cleanly(b, tight - 1) == 1);
		CHECK(writes_cleanly(b, tight) == 0);
		arena_pages_free(b, bytes);
	}
	arena_pages_free(NULL, 0);
	return check_exit();
}
