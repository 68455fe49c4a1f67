/* drvsyms.c - driver code and data ranges, data object extents (see
 * drvsyms.h). Built once per process, on first use, into fixed tables. */
#include "host/drvsyms.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/assert.h"

/* Provided by the linker when driver objects are linked in (weak: null in a
 * binary without drivers, or without such a section). */
extern unsigned char __start_nmrsim_drvtext[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvtext[] __attribute__((weak));
extern unsigned char __start_nmrsim_drvconst[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvconst[] __attribute__((weak));
extern unsigned char __start_nmrsim_drvrelro[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvrelro[] __attribute__((weak));
extern unsigned char __start_nmrsim_drvdata[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvdata[] __attribute__((weak));
extern unsigned char __start_nmrsim_drvbss[] __attribute__((weak));
extern unsigned char __stop_nmrsim_drvbss[] __attribute__((weak));

#define DRVSYMS_CODE_RANGES_MAX 64 /* executable segments of loaded objects */

struct range {
	uintptr_t lo, hi; /* [lo, hi) */
};

struct object {
	uintptr_t lo;   /* start of a driver data object */
	uint32_t size;  /* its symbol's size */
	uint32_t name;  /* its name: offset in the symbol table's string table */
	uint16_t owner; /* index in tab.drivers, DRVSYMS_NO_DRIVER if not known */
};

#define DRVSYMS_DRIVERS_MAX 256 /* hosted drivers whose objects are named by driver */
#define DRVSYMS_NO_DRIVER 0xffffu
#define RECORD_PREFIX "nmrsim_record_" /* tools/driver-obj.sh's record of driver NAME */

static struct {
	bool built;
	bool symbols;                                   /* the symbol table was read */
	struct range text, cnst, relro, data, bss;      /* the drivers' sections */
	unsigned ncode;
	struct range code[DRVSYMS_CODE_RANGES_MAX];     /* PF_X segments of every loaded object */
	unsigned nobjects;
	struct object objects[DRVSYMS_OBJECTS_MAX];     /* sorted by lo */
	unsigned nfuncs;
	struct object funcs[DRVSYMS_FUNCS_MAX];         /* driver functions (routines in reports), sorted by lo */
	/* Names for reports: the executable's string table (its mapping is kept
	 * once the symbols were read) and the drivers' names in it. */
	const char *strtab;
	size_t strtab_bytes;
	unsigned ndrivers;
	uint32_t drivers[DRVSYMS_DRIVERS_MAX];          /* name offsets in strtab (after RECORD_PREFIX) */
} tab;

static struct range section(const unsigned char *start, const unsigned char *stop)
{
	if (!start || !stop || stop < start)
		return (struct range){ 0, 0 };
	return (struct range){ (uintptr_t)start, (uintptr_t)stop };
}

static bool in(struct range r, uintptr_t a)
{
	return a >= r.lo && a < r.hi;
}

static bool in_driver_data(uintptr_t a)
{
	return in(tab.cnst, a) || in(tab.relro, a) || in(tab.data, a) || in(tab.bss, a);
}

static uintptr_t exe_bias;
static bool exe_seen;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size; (void)ctx;
	if (!exe_seen) { /* the first object reported is the executable */
		exe_seen = true;
		exe_bias = info->dlpi_addr;
	}
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || tab.ncode == DRVSYMS_CODE_RANGES_MAX)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		tab.code[tab.ncode++] = (struct range){ lo, lo + ph->p_memsz };
	}
	return 0;
}

/* Insert into a table sorted by lo (symbols come mostly in address order). */
static void table_add(struct object *table, unsigned *n, unsigned cap, uintptr_t lo, uint64_t size, uint32_t name,
		      uint16_t owner)
{
	if (*n == cap || size == 0 || size > UINT32_MAX)
		return;
	unsigned i = (*n)++;
	for (; i > 0 && table[i - 1].lo > lo; i--)
		table[i] = table[i - 1];
	table[i] = (struct object){ lo, (uint32_t)size, name, owner };
}

/* A driver's record symbol (`nmrsim_record_NAME`, local): driver-obj.sh
 * makes every symbol of a driver local, and the linker lists an object's
 * local symbols together, the record among them: the driver's static
 * objects before it, and the ones its sources defined as globals (localised
 * last, by `objcopy -G`) after it, up to the next object's first FILE
 * symbol. So the objects read since the previous record are this driver's,
 * and so are those read after it before a FILE symbol (symbols_read:
 * PktMonClnt.c's global `PktMon` was named as the next driver's before). */
static uint16_t after_record = DRVSYMS_NO_DRIVER;

static void driver_record(uint32_t name)
{
	if (tab.ndrivers == DRVSYMS_DRIVERS_MAX)
		return;
	uint16_t d = (uint16_t)tab.ndrivers;
	after_record = d;
	tab.drivers[tab.ndrivers++] = name + (uint32_t)strlen(RECORD_PREFIX);
	for (unsigned i = 0; i < tab.nobjects; i++)
		if (tab.objects[i].owner == DRVSYMS_NO_DRIVER)
			tab.objects[i].owner = d;
	for (unsigned i = 0; i < tab.nfuncs; i++)
		if (tab.funcs[i].owner == DRVSYMS_NO_DRIVER)
			tab.funcs[i].owner = d;
}

/* Whether off is a NUL-terminated string inside the string table. */
static bool str_ok(const char *strtab, size_t bytes, uint64_t off)
{
	return off < bytes && memchr(strtab + off, 0, bytes - off) != NULL;
}

/* The executable's symbol table: every sized object symbol inside the
 * drivers' data sections, every sized function in their code. Any failure
 * leaves no symbols (extents unknown). */
static void symbols_read(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	void *map = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(ElfW(Ehdr)))
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	const unsigned char *f = map;
	size_t len = (size_t)st.st_size;
	const ElfW(Ehdr) *eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
	    eh->e_shoff > len || eh->e_shnum > (len - eh->e_shoff) / sizeof(ElfW(Shdr)))
		goto done;
	const ElfW(Shdr) *sh = (const void *)(f + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset || sh[i].sh_entsize != sizeof(ElfW(Sym)))
			goto done;
		const ElfW(Shdr) *str = &sh[sh[i].sh_link];
		if (str->sh_type != SHT_STRTAB || str->sh_offset > len || str->sh_size > len - str->sh_offset)
			goto done;
		const char *strtab = (const char *)f + str->sh_offset;
		size_t strtab_bytes = str->sh_size;
		const ElfW(Sym) *sym = (const void *)(f + sh[i].sh_offset);
		size_t n = sh[i].sh_size / sizeof *sym;
		for (size_t k = 0; k < n; k++) {
			unsigned type = ELF64_ST_TYPE(sym[k].st_info);
			if (type == STT_FILE)
				after_record = DRVSYMS_NO_DRIVER; /* another object's symbols begin */
			if ((type != STT_OBJECT && type != STT_FUNC) || sym[k].st_shndx == SHN_UNDEF)
				continue;
			bool named = str_ok(strtab, strtab_bytes, sym[k].st_name);
			uint32_t name = named && sym[k].st_name <= UINT32_MAX ? (uint32_t)sym[k].st_name : 0;
			if (type == STT_FUNC) {
				uintptr_t a = exe_bias + (uintptr_t)sym[k].st_value;
				if (in(tab.text, a))
					table_add(tab.funcs, &tab.nfuncs, DRVSYMS_FUNCS_MAX, a, sym[k].st_size, name,
						  after_record);
				continue;
			}
			if (named && strncmp(strtab + name, RECORD_PREFIX, strlen(RECORD_PREFIX)) == 0) {
				driver_record(name);
				continue;
			}
			uintptr_t a = exe_bias + (uintptr_t)sym[k].st_value;
			if (in_driver_data(a))
				table_add(tab.objects, &tab.nobjects, DRVSYMS_OBJECTS_MAX, a, sym[k].st_size, name,
					  after_record);
		}
		tab.symbols = true;
		/* Names point into the mapping: it stays for the process. */
		tab.strtab = strtab;
		tab.strtab_bytes = strtab_bytes;
		return;
	}
done:
	munmap(map, len);
}

static void build(void)
{
	if (tab.built)
		return;
	tab.built = true;
	tab.text = section(__start_nmrsim_drvtext, __stop_nmrsim_drvtext);
	tab.cnst = section(__start_nmrsim_drvconst, __stop_nmrsim_drvconst);
	tab.relro = section(__start_nmrsim_drvrelro, __stop_nmrsim_drvrelro);
	tab.data = section(__start_nmrsim_drvdata, __stop_nmrsim_drvdata);
	tab.bss = section(__start_nmrsim_drvbss, __stop_nmrsim_drvbss);
	dl_iterate_phdr(phdr_cb, NULL);
	if (tab.text.lo != tab.text.hi)
		symbols_read();
	SIM_ASSERT_LE(tab.nobjects, DRVSYMS_OBJECTS_MAX, "driver objects fit their table");
	SIM_ASSERT_LE(tab.nfuncs, DRVSYMS_FUNCS_MAX, "driver functions fit their table");
}

enum drvsyms_kind drvsyms_classify(const void *p)
{
	build();
	uintptr_t a = (uintptr_t)p;
	if (in(tab.text, a))
		return DRVSYMS_CODE;
	if (in(tab.cnst, a) || in(tab.relro, a))
		return DRVSYMS_CONST;
	if (in(tab.data, a) || in(tab.bss, a))
		return DRVSYMS_DATA;
	for (unsigned i = 0; i < tab.ncode; i++)
		if (in(tab.code[i], a))
			return DRVSYMS_OTHER_CODE;
	return DRVSYMS_OTHER;
}

/* The entry of a sorted table containing a, NULL if none. */
static const struct object *entry_at(const struct object *table, unsigned n, uintptr_t a)
{
	/* The last entry starting at or before a. */
	unsigned lo = 0, hi = n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (table[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct object *o = &table[lo - 1];
	return a < o->lo + o->size ? o : NULL;
}

static const struct object *object_at(uintptr_t a)
{
	return entry_at(tab.objects, tab.nobjects, a);
}

size_t drvsyms_extent(const void *p)
{
	build();
	const struct object *o = object_at((uintptr_t)p);
	return o ? (size_t)(o->lo + o->size - (uintptr_t)p) : 0;
}

/* "SYMBOL", "SYMBOL+0xOFF", then " (DRIVER)" when known; false if o has no name. */
static bool entry_name(const struct object *o, uintptr_t a, char *buf, size_t cap)
{
	if (!o || !tab.strtab || !o->name) {
		buf[0] = 0;
		return false;
	}
	int n = snprintf(buf, cap, "%s", tab.strtab + o->name);
	if (a != o->lo && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, "+0x%lx", (unsigned long)(a - o->lo));
	if (o->owner != DRVSYMS_NO_DRIVER && n >= 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, " (%s)", tab.strtab + tab.drivers[o->owner]);
	return true;
}

bool drvsyms_name(const void *p, char *buf, size_t cap)
{
	build();
	if (!cap)
		return false;
	return entry_name(object_at((uintptr_t)p), (uintptr_t)p, buf, cap);
}

bool drvsyms_code_name(const void *pc, char *buf, size_t cap)
{
	build();
	if (!cap)
		return false;
	uintptr_t a = (uintptr_t)pc;
	if (!in(tab.text, a)) {
		buf[0] = 0;
		return false;
	}
	if (!entry_name(entry_at(tab.funcs, tab.nfuncs, a), a, buf, cap))
		snprintf(buf, cap, "driver code (+0x%lx)", (unsigned long)(a - tab.text.lo));
	return true;
}

bool drvsyms_describe(const void *p, char *buf, size_t cap)
{
	build();
	if (!cap)
		return false;
	char sym[160];
	if (drvsyms_name(p, sym, sizeof sym)) {
		snprintf(buf, cap, "driver global %s", sym);
		return true;
	}
	uintptr_t a = (uintptr_t)p;
	const struct range *sections[] = { &tab.data, &tab.bss, &tab.cnst, &tab.relro };
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (in(*sections[i], a)) {
			snprintf(buf, cap, "driver global (+0x%lx)", (unsigned long)(a - sections[i]->lo));
			return true;
		}
	buf[0] = 0;
	return false;
}

bool drvsyms_have_symbols(void)
{
	build();
	return tab.symbols;
}
