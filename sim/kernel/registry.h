/* registry.h - the registry a build gives its drivers' DriverEntry.
 *
 * A text file (nmrsim-build --registry FILE) lists values, one per line:
 *
 *     # key\value                        type     data
 *     my_driver\Parameters\NpiModuleId   binary   {5a1f0e3c-...}
 *     my_driver\Parameters\Level         dword    3
 *     \Registry\Machine\Software\Acme\Name  sz    "text"
 *
 * A path that does not start with `\Registry\` is relative to the services
 * key (`\Registry\Machine\System\CurrentControlSet\Services\`, where the
 * RegistryPath a driver's DriverEntry gets points). Types: dword, qword
 * (decimal or 0x hex), sz, expand_sz (one string), multi_sz (strings),
 * binary (hex bytes, optionally grouped, or a {GUID} as its 16 bytes in
 * memory order). Strings are ASCII in "quotes" and stored as UTF-16 with
 * their NUL, as Windows stores them.
 *
 * The file's text is compiled into the tools (a generated object defines
 * nmrsim_registry_text and nmrsim_registry_file); every tool and fuzz target
 * checks it at start (registry_setup: a malformed file exits 2 with
 * file:line: reason), RtlQueryRegistryValues reads it. Without a file the
 * registry is empty. Constant for the process: runs stay deterministic.
 */
#ifndef NMRSIM_REGISTRY_H
#define NMRSIM_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "scenario/scenario.h"

/* Where a relative path of the file and a driver's RegistryPath point. */
#define REGISTRY_SERVICES_KEY "\\registry\\machine\\system\\currentcontrolset\\services"

struct reg_value {
	char key[REG_PATH_MAX];  /* absolute key path, lower case, no trailing '\' */
	char name[REG_NAME_MAX]; /* value name as written */
	uint32_t type;           /* REG_* */
	uint32_t len;            /* data bytes */
	uint32_t line;           /* where the file gives it */
	uint8_t data[REG_DATA_MAX];
};

struct registry {
	unsigned n;
	struct reg_value v[REG_VALUES_MAX];
};

/* Parses a registry file's text into r (emptied first). 0, or -1 with err
 * set to the file, line and reason of the first problem. */
int registry_parse(struct registry *r, const char *text, size_t len, const char *file, struct scn_error *err);

/* The registry linked into this binary, parsed once (empty without one, or
 * when it does not parse: registry_setup has reported that). */
const struct registry *registry_linked(void);

/* Checks the linked registry: true when it parses (or there is none), else
 * prints `TOOL: file:line: reason` and returns false (callers exit 2). */
int registry_setup(const char *tool);

/* "dword", "sz", ... as the file spells the type. */
const char *registry_type_name(uint32_t type);

/* The n-th value (in file order) under the absolute key `key` (any case,
 * '\'-separated, no trailing '\'), or NULL. */
const struct reg_value *registry_value_at(const struct registry *r, const char *key, unsigned n);
/* The value `name` (any case) under `key`, or NULL. */
const struct reg_value *registry_find(const struct registry *r, const char *key, const char *name);

/* Appends UTF-16 `w` (len units, or up to its NUL when len is SIZE_MAX) to
 * the lower-case ASCII key path out[*n..] (not terminated); false when a
 * unit is not ASCII (or a NUL inside a counted name) or the path would not
 * fit REG_PATH_MAX: no key of the file has such a path. */
bool registry_append_lower(char *out, size_t *n, const uint16_t *w, size_t len);

/* Whether absolute key `path` (lower case, no trailing '\') exists for the
 * calling driver: the file has a value in it or below it, or it is the
 * driver's own services key (zw_registry.c). */
struct kernel;
bool registry_key_exists(struct kernel *k, const char *path);

#endif
