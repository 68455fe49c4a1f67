#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

static bool has_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path), k = strlen(suffix);
	return n >= k && strcmp(path + n - k, suffix) == 0;
}

int input_read(struct input_buf *buf, const char *path, char *err, size_t errcap)
{
	/* open() + fstat(): the file checked is the file read. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errcap, "%s: is a directory, not an input file", path);
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > INPUT_BYTES_MAX) {
		snprintf(err, errcap, "%s: too large (%lld bytes; inputs are at most %u MiB)", path, (long long)st.st_size,
			 INPUT_BYTES_MAX >> 20);
		close(fd);
		return -1;
	}
	buf->len = 0;
	for (;;) {
		if (buf->len == buf->cap) {
			size_t cap = buf->cap ? buf->cap * 2 : 1u << 16;
			uint8_t *p = cap <= INPUT_BYTES_MAX ? realloc(buf->data, cap + 1) : NULL;
			if (!p) {
				close(fd);
				snprintf(err, errcap, "%s: %s", path,
					 cap > INPUT_BYTES_MAX ? "too large (inputs are at most 64 MiB)" : "out of memory");
				return -1;
			}
			buf->data = p;
			buf->cap = cap;
		}
		ssize_t got = read(fd, buf->data + buf->len, buf->cap - buf->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errcap, "%s: read error: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		buf->len += (size_t)got;
	}
	close(fd);
	buf->data[buf->len] = 0; /* room kept by the +1 above: text parsers may rely on it */
	return 0;
}

void input_buf_free(struct input_buf *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}

int input_load(struct scenario *s, const char *path, bool force_binary)
{
	return input_load_mode(s, path, force_binary ? INPUT_BINARY : INPUT_AUTO);
}

int input_load_mode(struct scenario *s, const char *path, enum input_mode mode)
{
	return input_load_long(s, path, mode, NULL);
}

/* Room for every choice a text of len bytes can list: each takes at least
 * six ("f1:2:0" and a blank). Only a text that could list more than
 * choices[] holds gets the storage. */
int input_long_room(struct input_long *lg, size_t len)
{
	size_t need = len / 6 + 1;
	if (need <= SCN_CHOICES_MAX)
		return 0;
	if (need > UINT32_MAX)
		need = UINT32_MAX;
	if (need <= lg->cap)
		return 0;
	struct choice_rec *p = realloc(lg->log, need * sizeof(*p));
	if (!p)
		return -1;
	lg->log = p;
	lg->cap = (uint32_t)need;
	return 0;
}

void input_long_free(struct input_long *lg)
{
	free(lg->log);
	memset(lg, 0, sizeof(*lg));
}

int input_load_long(struct scenario *s, const char *path, enum input_mode mode, struct input_long *lg)
{
	struct input_buf in = { 0 };
	char err[600];
	if (input_read(&in, path, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		input_buf_free(&in);
		return -1;
	}
	char *buf = (char *)in.data;
	size_t len = in.len;
	int rc = 0;
	if (mode == INPUT_AUTO && (has_suffix(path, ".nmr") || has_suffix(path, ".nmrt"))) {
		struct scn_error e;
		if (lg && input_long_room(lg, len) != 0) {
			fprintf(stderr, "%s: out of memory for its choices\n", path);
			input_buf_free(&in);
			return -1;
		}
		if (scn_parse_text_long(s, buf, len, path, &e, lg ? lg->log : NULL, lg ? lg->cap : 0) != 0) {
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
	input_buf_free(&in);
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
	/* A full disk shows at the write or at the flush in fclose. */
	bool bad = fflush(f) != 0 || ferror(f);
	int saved = errno;
	if (fclose(f) != 0)
		bad = true;
	else if (bad)
		errno = saved;
	return bad ? -1 : 0;
}

int input_make_dir(const char *path, char *err, size_t errcap)
{
	char mk[4096];
	if (snprintf(mk, sizeof mk, "%s", path) >= (int)sizeof mk) {
		snprintf(err, errcap, "%.200s...: path too long", path);
		return -1;
	}
	for (char *p = mk + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(mk, 0777); /* errors show at the last component */
			*p = '/';
		}
	if (mkdir(mk, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errcap, "%s: cannot create the folder: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errcap, "%s: not a folder", path);
		return -1;
	}
	if (access(path, W_OK | X_OK) != 0) {
		snprintf(err, errcap, "%s: cannot write there: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
