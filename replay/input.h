/* input.h - load what a user points a tool at: a text scenario (.nmr), a
 * recorded trace (.nmrt, the same language with choices and hash), or a
 * binary fuzzer input (anything else, or --binary). */
#ifndef NMRSIM_INPUT_H
#define NMRSIM_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario/scenario.h"

/* How a file is read: by its name (.nmr/.nmrt text, else binary), as the
 * scripted fuzz target's binary input, or as the drivers target's. */
enum input_mode { INPUT_AUTO = 0, INPUT_BINARY, INPUT_DRIVERS };

/* Returns 0, or -1 after printing "file:line: reason" to stderr. */
int input_load(struct scenario *s, const char *path, bool force_binary);
int input_load_mode(struct scenario *s, const char *path, enum input_mode mode);
/* Write s as a trace file: canonical text + choices + hash. Returns 0 or -1. */
int input_write_trace(const struct scenario *s, const char *path);

#endif
