/* input.h - load what a user points a tool at: a text scenario (.nmr), a
 * recorded trace (.nmrt, the same language with choices and hash), or a
 * binary fuzzer input (anything else, or --binary). */
#ifndef NMRSIM_INPUT_H
#define NMRSIM_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"

/* How a file is read: by its name (.nmr/.nmrt text, else binary), as the
 * scripted fuzz target's binary input, or as the drivers target's. */
enum input_mode { INPUT_AUTO = 0, INPUT_BINARY, INPUT_DRIVERS };

#define INPUT_BYTES_MAX (64u << 20) /* larger inputs are refused */

/* A growable read buffer, reusable across files (no allocation per file
 * once it reached the largest size); data[len] is a NUL. */
struct input_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Read a whole file. 0, or -1 with "path: reason" in err (missing, a
 * directory, unreadable, too large). */
int input_read(struct input_buf *buf, const char *path, char *err, size_t errcap);
void input_buf_free(struct input_buf *buf);

/* Returns 0, or -1 after printing "file:line: reason" to stderr. */
int input_load(struct scenario *s, const char *path, bool force_binary);
int input_load_mode(struct scenario *s, const char *path, enum input_mode mode);
/* A trace file of a run longer than choices[] holds (a long livelock):
 * storage for all its choices, grown as a file needs it; the scenario
 * loaded points into it (choices_long), so it must outlive that scenario. */
struct input_long {
	struct choice_rec *log;
	uint32_t cap;
};
/* input_load_mode that reads such a trace whole into lg (NULL: refuses it,
 * "too many choices"). */
int input_load_long(struct scenario *s, const char *path, enum input_mode mode, struct input_long *lg);
void input_long_free(struct input_long *lg);
/* Grow lg to hold every choice a text of len bytes can list (nothing for a
 * text too short to list more than choices[] holds). 0, or -1: no memory. */
int input_long_room(struct input_long *lg, size_t len);
/* Write s as a trace file: canonical text + choices + hash. Returns 0 or -1. */
int input_write_trace(const struct scenario *s, const char *path);

/* Create a folder (and its parents) for output; 0, or -1 with "path:
 * reason" in err when it cannot be created, is not a folder or is not
 * writable. Tools check their output folder before any work. */
int input_make_dir(const char *path, char *err, size_t errcap);

#endif
