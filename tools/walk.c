/* walk.c - the inputs under a folder, in name order (walk.h). */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

unsigned walk_tree(const char *tool, const char *dir,
		   void (*visit)(const char *path, const struct stat *st, void *ctx), void *ctx)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s: %s: %s\n", tool, dir, strerror(errno));
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.txt"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = realloc(names, sizeof(char *) * cap);
			if (!names) {
				fprintf(stderr, "%s: %s: out of memory\n", tool, dir);
				exit(EXIT_BAD_INPUT);
			}
		}
		names[n] = strdup(e->d_name);
		if (!names[n++]) {
			fprintf(stderr, "%s: %s: out of memory\n", tool, dir);
			exit(EXIT_BAD_INPUT);
		}
	}
	closedir(d);
	if (n) /* qsort's array must not be NULL, even for 0 elements */
		qsort(names, n, sizeof(char *), by_name);
	unsigned unlisted = 0;
	char path[4096];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				unlisted += walk_tree(tool, path, visit, ctx);
			else if (S_ISREG(st.st_mode))
				visit(path, &st, ctx);
		}
		free(names[i]);
	}
	free(names);
	return unlisted;
}
