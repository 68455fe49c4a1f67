/* walk.h - the inputs under a folder, as every campaign tool collects them
 * (nmr-triage, nmr-rulecov, nmr-detcheck): recursively, in name order (the
 * same order on every machine: reports and samples do not depend on the
 * file system), without hidden entries (libFuzzer and AFL++ temporaries,
 * .state) and AFL++'s README.txt, which are not inputs. */
#ifndef NMRSIM_TOOLS_WALK_H
#define NMRSIM_TOOLS_WALK_H

#include <sys/stat.h>

/* Calls visit(path, st, ctx) for each regular file under dir. A folder that
 * cannot be listed (dir itself or one below it) prints "tool: folder:
 * reason" and counts; returns that count (0: all listed). Entries that
 * vanish between listing and stat are skipped. Out of memory exits 2. */
unsigned walk_tree(const char *tool, const char *dir,
		   void (*visit)(const char *path, const struct stat *st, void *ctx), void *ctx);

#endif
