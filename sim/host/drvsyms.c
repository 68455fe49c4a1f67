/* drvsyms.c - driver code and data ranges, data object extents (see
 * drvsyms.h). Built once per process, on first use, into fixed tables. */
#include "host/drvsyms.h"

#include <elf.h>
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
	uintptr_t lo;  /* start of a driver data object */
	uint32_t size; /* its symbol's size */
};

static struct {
	bool built;
	bool symbols;                                   /* the symbol table was read */
	struct range text, cnst, relro, data, bss;      /* the drivers' sections */
	unsigned ncode;
	struct range code[DRVSYMS_CODE_RANGES_MAX];     /* PF_X segments of every loaded object */
	unsigned nobjects;
	struct object objects[DRVSYMS_OBJECTS_MAX];     /* sorted by lo */
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

static void object_add(uintptr_t lo, uint64_t size)
{
	if (tab.nobjects == DRVSYMS_OBJECTS_MAX || size == 0 || size > UINT32_MAX)
		return;
	unsigned i = tab.nobjects++;
	for (; i > 0 && tab.objects[i - 1].lo > lo; i--)
		tab.objects[i] = tab.objects[i - 1];
	tab.objects[i] = (struct object){ lo, (uint32_t)size };
}

/* The executable's symbol table: every sized object symbol inside the
 * drivers' data sections. Any failure leaves no symbols (extents unknown). */
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
		const ElfW(Sym) *sym = (const void *)(f + sh[i].sh_offset);
		size_t n = sh[i].sh_size / sizeof *sym;
		for (size_t k = 0; k < n; k++) {
			if (ELF64_ST_TYPE(sym[k].st_info) != STT_OBJECT || sym[k].st_shndx == SHN_UNDEF)
				continue;
			uintptr_t a = exe_bias + (uintptr_t)sym[k].st_value;
			if (in_driver_data(a))
				object_add(a, sym[k].st_size);
		}
		tab.symbols = true;
		break;
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

size_t drvsyms_extent(const void *p)
{
	build();
	uintptr_t a = (uintptr_t)p;
	/* The last object starting at or before a. */
	unsigned lo = 0, hi = tab.nobjects;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (tab.objects[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct object *o = &tab.objects[lo - 1];
	return a < o->lo + o->size ? (size_t)(o->lo + o->size - a) : 0;
}

bool drvsyms_have_symbols(void)
{
	build();
	return tab.symbols;
}
