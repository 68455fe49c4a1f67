/* advisories.h - nmr-explore's advisories: freedom dependences (M23, found
 * by the differential runs of sim/run/freedoms.h). Not bugs: every run was
 * clean. Counted by signature; the first sighting writes both runs as trace
 * files (-a, -b) and its summary block as a .txt (nmr-campaign lists them). */
#ifndef NMRSIM_TOOLS_ADVISORIES_H
#define NMRSIM_TOOLS_ADVISORIES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "run/freedoms.h"

#define ADVISORIES_MAX 64

struct advisory {
	char signature[128];    /* "M23 f1_provider F1" */
	char scenario[256];     /* the file it came from */
	char freedom[32];       /* "F1 attach-during-register" */
	char option[2][64];     /* the freedom's option in run a and b */
	char what[2][96];       /* the module's outcome in each */
	char trace[2][512];     /* their trace files, "" if not written */
	uint64_t hits;          /* decision points that showed it */
	uint64_t first_run;     /* run index (over the exploration) of its first sighting */
};

/* Lives in memory shared with the exploring child (MAP_SHARED). */
struct advisories {
	struct advisory list[ADVISORIES_MAX];
	uint32_t n;
	uint32_t dropped;       /* signatures beyond ADVISORIES_MAX */
	uint32_t write_errors;  /* files that could not be written */
	uint64_t runs, points;  /* differential runs and decision points of finished batches */
};

/* Where a new advisory's files go and how it is announced. */
struct advisory_where {
	const char *dir;               /* --advisories */
	const char *file;              /* the scenario file explored */
	const struct scenario *scn;    /* its scenario (the trace files' operations) */
	const struct oracle *oracle;   /* module names for the signature */
	const char *replay_cmd;        /* "nmr-replay" as the user types it */
	bool tty, quiet;
};

void advisories_add(struct advisories *t, const struct advisory_where *w, const struct freedom_dependence *fd,
		    uint64_t run);
/* The block of one: "[A<number>] signature  (...)", each run's option, outcome, replay command. */
void advisory_print(FILE *out, const struct advisory *a, uint32_t number, const char *replay_cmd);

#endif
