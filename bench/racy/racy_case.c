/* racy_case.c - see racy_case.h. */
#include "racy_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

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
