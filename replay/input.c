#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path), k = strlen(suffix);
	return n >= k && strcmp(path + n - k, suffix) == 0;
}

int input_load(struct scenario *s, const char *path, bool force_binary)
{
	return input_load_mode(s, path, force_binary ? INPUT_BINARY : INPUT_AUTO);
}

int input_load_mode(struct scenario *s, const char *path, enum input_mode mode)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fclose(f);
			fprintf(stderr, "%s: out of memory\n", path);
			return -1;
		}
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		if (cap >= (64u << 20)) {
			fclose(f);
			free(buf);
			fprintf(stderr, "%s: file too large (over 64 MiB)\n", path);
			return -1;
		}
		cap *= 2;
		buf = realloc(buf, cap);
	}
	bool err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		fprintf(stderr, "%s: read error\n", path);
		return -1;
	}
	int rc = 0;
	if (mode == INPUT_AUTO && (has_suffix(path, ".nmr") || has_suffix(path, ".nmrt"))) {
		struct scn_error e;
		if (scn_parse_text(s, buf, len, path, &e) != 0) {
			if (e.line)
				fprintf(stderr, "%s:%u: %s\n", e.file, e.line, e.reason);
			else
				fprintf(stderr, "%s: %s\n", e.file, e.reason);
			rc = -1;
		}
	} else if (mode == INPUT_DRIVERS) {
		scn_decode_binary_drivers(s, (const uint8_t *)buf, len);
	} else {
		scn_decode_binary(s, (const uint8_t *)buf, len);
	}
	free(buf);
	return rc;
}

int input_write_trace(const struct scenario *s, const char *path)
{
	size_t need = scn_print_text(s, NULL, 0) + 1;
	char *text = malloc(need);
	if (!text)
		return -1;
	scn_print_text(s, text, need);
	FILE *f = fopen(path, "wb");
	if (!f) {
		free(text);
		return -1;
	}
	fprintf(f, "# nmrsim recorded trace: replay with  nmr-replay %s\n", path);
	fputs(text, f);
	free(text);
	return fclose(f) == 0 ? 0 : -1;
}
