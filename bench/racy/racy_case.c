/* racy_case.c - see racy_case.h. */
#include "racy_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "input.h"
#include "run/crash.h"

int racy_case_load(struct scenario *s, const char *path, bool twin, const char *who)
{
	struct input_buf buf = { 0 };
	char err[512];
	if (input_read(&buf, path, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", who, err);
		return -1;
	}
	for (char *p = (char *)buf.data; twin && (p = strstr(p, "_bug")) != NULL; p += 4)
		memcpy(p, "_fix", 4);
	struct scn_error e;
	scn_init(s);
	int rc = scn_parse_text(s, (const char *)buf.data, buf.len, path, &e);
	if (rc != 0)
		fprintf(stderr, "%s:%u: %s\n", path, e.line, e.reason);
	input_buf_free(&buf);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t racy_median(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return v[(n - 1) / 2];
}

static bool first_finding(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t i)
{
	(void)res;
	(void)src;
	*(uint64_t *)ctx = i;
	return false;
}

static uint64_t first_of(struct runner *r, const struct scenario *s, enum explore_strategy st, uint64_t seed,
			 uint64_t budget)
{
	uint64_t first = UINT64_MAX;
	struct explore_config cfg = { .strategy = st, .seed = seed, .runs_max = budget, .stop_on_first = true,
				      .on_finding = first_finding, .ctx = &first };
	explore_run(r, s, &cfg);
	return first;
}

void racy_first_findings(struct runner *r, const struct scenario *s, const char *case_label, enum explore_strategy st,
			 const char *st_name, unsigned n, uint64_t budget, uint64_t *st_first, uint64_t *rnd_first)
{
	for (unsigned k = 0; k < n; k++) {
		st_first[k] = first_of(r, s, st, (uint64_t)(k + 1) << 32, budget);
		rnd_first[k] = first_of(r, s, EXPLORE_RANDOM, (uint64_t)(k + 1) << 32, budget);
		printf("%s seed %u: first finding at run %lld under %s, %lld under random\n", case_label, k + 1,
		       st_first[k] == UINT64_MAX ? -1ll : (long long)st_first[k], st_name,
		       rnd_first[k] == UINT64_MAX ? -1ll : (long long)rnd_first[k]);
	}
}

static bool note_finding(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t i)
{
	(void)src;
	struct racy_seen *x = ctx;
	if (x->first == UINT64_MAX)
		x->first = i;
	x->found++;
	x->hashes = x->hashes * 0x100000001b3ull ^ res->hash ^ i;
	return true;
}

struct racy_seen racy_explore(struct runner *r, const struct scenario *s, struct explore_config cfg)
{
	struct racy_seen x = { .first = UINT64_MAX };
	cfg.on_finding = note_finding;
	cfg.ctx = &x;
	explore_run(r, s, &cfg);
	return x;
}

#define CHILD_CRASHED 3

/* Written by the measuring child, read by the parent after it ended. */
struct isolated {
	volatile uint64_t at;  /* the run in progress */
	struct racy_first first;
};
static struct isolated *shm;

static int crashed_exit(void)
{
	return CHILD_CRASHED;
}

static bool on_first(void *ctx, const struct run_result *res, const struct run_source *src, uint64_t i)
{
	(void)src;
	struct racy_first *f = ctx;
	f->run = i;
	f->rule = res->findings[0].rule;
	return false;
}

struct racy_first racy_first_isolated(struct runner *r, const struct scenario *s, struct explore_config cfg)
{
	if (!shm) {
		shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shm == MAP_FAILED) {
			perror("racy: mmap");
			exit(2);
		}
	}
	shm->at = 0;
	shm->first = (struct racy_first){ .run = UINT64_MAX };
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		crash_brief = true;
		crash_exit_code = crashed_exit;
		crash_install(CRASH_EXIT);
		cfg.at = &shm->at;
		cfg.on_finding = on_first;
		cfg.ctx = &shm->first;
		explore_run(r, s, &cfg);
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("racy: fork");
		exit(2);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_CRASHED)
		return (struct racy_first){ .run = shm->at, .rule = RULE_K08 };
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "racy: a measuring process died (status %d)\n", status);
		exit(2);
	}
	return shm->first;
}
