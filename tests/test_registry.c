/* test_registry.c - the registry file's parser (sim/kernel/registry.h):
 * every type's data as Windows stores it, keys under the services key or
 * absolute, lookups in any case, and file:line: reason for each kind of
 * malformed line (never a crash). RtlQueryRegistryValues over a parsed
 * file is tested through a driver by tests/test_build_path.sh. */
#include <string.h>

#include "check.h"
#include "kernel/registry.h"

static struct registry reg;
static struct scn_error err;

static int parse(const char *text)
{
	return registry_parse(&reg, text, strlen(text), "t.reg", &err);
}

#define SVC "\\registry\\machine\\system\\currentcontrolset\\services\\"

static void test_values(void)
{
	const char *text = "# comment\n"
			   "\n"
			   "my_drv\\Parameters\\Level  dword 0x10   # trailing comment\n"
			   "my_drv\\Parameters\\Big qword 18446744073709551615\r\n"
			   "my_drv\\Parameters\\Name sz \"a b\"\n"
			   "my_drv\\Parameters\\List multi_sz \"x\" \"yz\"\n"
			   "my_drv\\Parameters\\Id binary {6f4e9d2a-1b3c-4d5e-8f70-a1b2c3d4e5f6}\n"
			   "my_drv\\Parameters\\Raw binary 01 02ab\n"
			   "\\Registry\\Machine\\Software\\Acme\\Path expand_sz \"%SystemRoot%\"";
	if (REG_VALUES_MAX < 7) { /* -Dtiny=true: the file overflows the table, with its line */
		CHECK(parse(text) == -1 && err.line == 3 + REG_VALUES_MAX && strstr(err.reason, "REG_VALUES_MAX"));
		return;
	}
	CHECK_EQ_U(parse(text), 0);
	CHECK_EQ_U(reg.n, 7);
	const struct reg_value *v = registry_find(&reg, SVC "my_drv\\parameters", "LEVEL");
	CHECK(v && v->type == 4 && v->len == 4 && v->data[0] == 0x10 && v->line == 3);
	v = registry_find(&reg, SVC "MY_DRV\\Parameters", "Big");
	CHECK(v && v->type == 11 && v->len == 8 && v->data[0] == 0xff && v->data[7] == 0xff);
	v = registry_find(&reg, SVC "my_drv\\parameters", "Name");
	CHECK(v && v->type == 1 && v->len == 8 && v->data[0] == 'a' && v->data[2] == ' ' && v->data[6] == 0);
	v = registry_find(&reg, SVC "my_drv\\parameters", "List");
	CHECK(v && v->type == 7 && v->len == 12 && v->data[4] == 'y' && v->data[10] == 0 && v->data[11] == 0);
	v = registry_find(&reg, SVC "my_drv\\parameters", "Id");
	static const unsigned char id[16] = { 0x2a, 0x9d, 0x4e, 0x6f, 0x3c, 0x1b, 0x5e, 0x4d,
					      0x8f, 0x70, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6 };
	CHECK(v && v->type == 3 && v->len == 16 && memcmp(v->data, id, 16) == 0);
	v = registry_find(&reg, SVC "my_drv\\parameters", "Raw");
	CHECK(v && v->len == 3 && v->data[0] == 1 && v->data[1] == 2 && v->data[2] == 0xab);
	v = registry_find(&reg, "\\registry\\machine\\software\\acme", "path");
	CHECK(v && v->type == 2 && v->line == 9);
	CHECK(registry_find(&reg, SVC "my_drv", "Level") == NULL); /* a value lives in its own key only */
	CHECK(registry_value_at(&reg, SVC "my_drv\\parameters", 5) == registry_find(&reg, SVC "my_drv\\parameters", "Raw"));
	CHECK(registry_value_at(&reg, SVC "my_drv\\parameters", 6) == NULL);
	CHECK(parse("") == 0 && reg.n == 0);
}

static void bad_n(const char *text, size_t len, unsigned line, const char *reason_part)
{
	int rc = registry_parse(&reg, text, len, "t.reg", &err);
	CHECK(rc == -1);
	CHECK_EQ_U(err.line, line);
	CHECK(strcmp(err.file, "t.reg") == 0);
	if (!strstr(err.reason, reason_part)) {
		fprintf(stderr, "reason '%s' lacks '%s'\n", err.reason, reason_part);
		CHECK(0);
	}
}

static void bad(const char *text, unsigned line, const char *reason_part)
{
	bad_n(text, strlen(text), line, reason_part);
}

static void test_malformed(void)
{
	bad("a\\b dword 1\nLevel dword 1\n", 2, "KEY\\VALUE_NAME");
	bad("a\\ dword 1\n", 1, "KEY\\VALUE_NAME");
	bad("a\\\\b\\c dword 1\n", 1, "empty key name");
	bad("\\Machine\\x\\y dword 1\n", 1, "\\Registry\\");
	bad("a\\b\n", 1, "type is missing");
	bad("a\\b word 1\n", 1, "unknown type 'word'");
	bad("a\\b dword\n", 1, "number is missing");
	bad("a\\b dword 4294967296\n", 1, "does not fit a dword");
	bad("a\\b qword 18446744073709551616\n", 1, "does not fit a qword");
	bad("a\\b dword 12x\n", 1, "'12x' is not a number");
	bad("a\\b dword 1 2\n", 1, "'2' after the data");
	bad("a\\b sz\n", 1, "string is missing");
	bad("a\\b sz \"open\n", 1, "closing quote");
	bad("a\\b binary 123\n", 1, "pairs of digits");
	bad("a\\b binary zz\n", 1, "'zz' is not hex bytes");
	bad("a\\b binary {6f4e9d2a-1b3c-4d5e-8f70-a1b2c3d4e5f}\n", 1, "'{6f4e9d2a-1b3c-4d5e-8f70-a1b2c3d4e5f}' is not a {GUID}");
	bad("a\\b dword 1\nA\\B dword 2\n", 2, "given twice (first at line 1)");
	bad("a\\b sz \"caf\xc3\xa9\"\n", 1, "printable ASCII");
	static const char nul[] = "a\\b dword 1\na\\c dword\0 2\n";
	bad_n(nul, sizeof nul - 1, 2, "NUL byte");
	/* Capacities: one value too many, data too long. */
	char text[REG_VALUES_MAX * 24 + 64];
	size_t n = 0;
	for (unsigned i = 0; i <= REG_VALUES_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "k\\v%u dword %u\n", i, i);
	bad(text, REG_VALUES_MAX + 1, "REG_VALUES_MAX");
	char big[REG_DATA_MAX * 2 + 64];
	n = (size_t)snprintf(big, sizeof big, "k\\v binary ");
	for (unsigned i = 0; i <= REG_DATA_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "ab");
	bad(big, 1, "REG_DATA_MAX");
}

int main(void)
{
	test_values();
	test_malformed();
	return check_exit();
}
