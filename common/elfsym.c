/* elfsym.c - the function symbols of an ELF file, read with libelf
 *
 * See elfsym.h.  The file may be hostile (paraprof-report reads the paths a
 * dump names) or change under us (the library reads the modules of the
 * running program): every length comes from libelf's checked accessors, and
 * an entry that cannot be read ends the walk rather than being guessed at.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"

int ppc_elf_open(struct ppc_elf *e, const char *path, unsigned flags, uint64_t max_bytes)
{
	struct stat st;
	Elf *elf;
	int fd;

	e->elf = NULL;
	e->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	/* O_NONBLOCK: a FIFO named by a hostile dump cannot block the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64 ||
	    (max_bytes && (uint64_t)st.st_size > max_bytes)) {
		close(fd);
		return -1;
	}
	elf = elf_begin(fd, flags & PPC_ELF_MMAP ? ELF_C_READ_MMAP : ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		close(fd);
		return -1;
	}
	e->elf = elf;
	e->fd = fd;
	return 0;
}

void ppc_elf_close(struct ppc_elf *e)
{
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	e->elf = NULL;
	e->fd = -1;
}

int ppc_elf_sections_ok(const struct ppc_elf *e)
{
	size_t n;
	GElf_Shdr sh;
	Elf_Scn *scn;

	if (elf_getshdrnum(e->elf, &n) != 0 || n < 2)
		return 0;
	scn = elf_getscn(e->elf, n - 1);
	return scn && gelf_getshdr(scn, &sh) != NULL;
}

unsigned ppc_elf_build_id(const struct ppc_elf *e, uint8_t *buf, unsigned len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) == 0 &&
			    nh.n_descsz > 0 && nh.n_descsz <= len) {
				memcpy(buf, (char *)data->d_buf + desc_off, nh.n_descsz);
				return nh.n_descsz;
			}
		}
	}
	return 0;
}

size_t ppc_elf_funcs_begin(const struct ppc_elf *e, enum ppc_elf_table table,
			   size_t max_entries, unsigned flags, struct ppc_elf_funcs *it)
{
	GElf_Word type = table == PPC_ELF_SYMTAB ? SHT_SYMTAB : SHT_DYNSYM;
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Shdr sh;
	size_t n;

	memset(it, 0, sizeof(*it));
	/* the first section of that type: a file has one of each */
	while ((scn = elf_nextscn(e->elf, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			break;
	if (!scn || sh.sh_entsize == 0 || !(data = elf_getdata(scn, NULL)) || data->d_size == 0)
		return 0;
	n = data->d_size / sh.sh_entsize;
	it->elf = e->elf;
	it->data = data;
	it->names = sh.sh_link;
	it->next = 1;		/* entry 0 is the null symbol */
	it->count = n < max_entries ? n : max_entries;
	it->flags = flags;
	return n;
}

int ppc_elf_funcs_next(struct ppc_elf_funcs *it, struct ppc_elf_func *f)
{
	while (it->next < it->count) {
		GElf_Sym sym;
		const char *name;
		unsigned type;

		/* gelf_getsym takes the index as an int */
		if (it->next > INT32_MAX || !gelf_getsym(it->data, (int)it->next, &sym)) {
			it->next = it->count;
			return 0;
		}
		it->next++;
		type = GELF_ST_TYPE(sym.st_info);
		if (!(type == STT_FUNC ||
		      (type == STT_GNU_IFUNC && (it->flags & PPC_ELF_FUNC_IFUNC))) ||
		    (sym.st_shndx == SHN_UNDEF && !(it->flags & PPC_ELF_FUNC_UNDEF)) ||
		    sym.st_value == 0)
			continue;
		name = elf_strptr(it->elf, it->names, sym.st_name);
		if (!name || !*name)
			continue;
		f->addr = sym.st_value;
		f->size = sym.st_size;
		f->name = name;
		f->bind = GELF_ST_BIND(sym.st_info);
		return 1;
	}
	return 0;
}

static int by_name_addr(const void *a, const void *b)
{
	const struct ppc_sym_named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->addr < y->addr ? -1 : x->addr > y->addr;
}

void ppc_sym_number(struct ppc_sym_named *v, size_t n, uint32_t *nth)
{
	if (!n)
		return;
	qsort(v, n, sizeof(*v), by_name_addr);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i].name, v[i - 1].name) == 0)
			nth[v[i].index] = nth[v[i - 1].index] + 1;
}
