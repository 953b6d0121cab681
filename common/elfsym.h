/* elfsym.h - the function symbols of an ELF file, read with libelf
 *
 * Part of the common format layer (common/).  The library names functions
 * in-process (preload/symtab.c) and paraprof-report names them from a dump
 * (analyzer/symbols.c); both read a module's file here, in one way: open it
 * safely, pick a symbol table, walk its function symbols.  What each keeps
 * of them (a name pool, aliases, demangling, a debug file) is its own.
 *
 * This is the only file of paraprof that includes libelf's headers; a
 * program that links libpp_common.a but calls none of these (the launcher)
 * does not need -lelf.  Nothing here allocates except libelf itself, and
 * nothing is global: one struct ppc_elf per file, used by one thread.
 */
#ifndef PARAPROF_COMMON_ELFSYM_H
#define PARAPROF_COMMON_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

/* An open ELF file: libelf's handle and the descriptor it reads. */
struct ppc_elf {
	void *elf;		/* Elf * */
	int fd;
};

/* ppc_elf_open() flags. */
#define PPC_ELF_MMAP 0x1u	/* let libelf map the file rather than read it: faster,
				 * but a file cut short under the map raises SIGBUS */

/* Opens `path` read-only as an ELF file: only a regular file of 64 bytes to
 * `max_bytes` (0 = no limit) is accepted, and the open neither blocks (on a
 * FIFO) nor makes a terminal the controlling one.  Returns 0 with *e filled, or -1 with
 * nothing left open (missing, unreadable, not a regular file, not ELF). */
int ppc_elf_open(struct ppc_elf *e, const char *path, unsigned flags, uint64_t max_bytes);

/* Ends what ppc_elf_open() opened: every name it returned goes with it. */
void ppc_elf_close(struct ppc_elf *e);

/* 1 when the section headers are all there (the file was not cut short
 * before them), 0 otherwise. */
int ppc_elf_sections_ok(const struct ppc_elf *e);

/* Copies the file's NT_GNU_BUILD_ID note (from its SHT_NOTE sections) to
 * buf.  Returns its length in bytes, 0 when there is none or it is longer
 * than `len`. */
unsigned ppc_elf_build_id(const struct ppc_elf *e, uint8_t *buf, unsigned len);

/* The symbol tables a file may have. */
enum ppc_elf_table {
	PPC_ELF_SYMTAB,		/* .symtab: every symbol; gone when stripped */
	PPC_ELF_DYNSYM,		/* .dynsym: the exported ones */
};

/* One function symbol. */
struct ppc_elf_func {
	uint64_t addr;		/* st_value: the ELF virtual address, never 0 */
	uint64_t size;		/* st_size, bytes; 0 = unknown */
	const char *name;	/* non-empty, NUL-terminated, in libelf's memory:
				 * valid until ppc_elf_close() */
	unsigned bind;		/* STB_GLOBAL, STB_WEAK, STB_LOCAL, ... */
};

/* ppc_elf_funcs_begin() flags: which symbols besides the defined STT_FUNC
 * ones a walk yields. */
#define PPC_ELF_FUNC_IFUNC 0x1u	/* STT_GNU_IFUNC: the address is the resolver's */
#define PPC_ELF_FUNC_UNDEF 0x2u	/* undefined ones with an address: a non-PIE
				 * program's PLT slot for a function of another
				 * module whose address it takes.  That address is
				 * then the function's everywhere, also the one
				 * -fPIC code passes to the hooks as its own. */

/* A walk over one table's function symbols; plain data, so a copy taken
 * before the walk walks it again. */
struct ppc_elf_funcs {
	void *elf, *data;	/* Elf *, Elf_Data * of the table */
	size_t names;		/* section index of its string table */
	size_t next, count;	/* entries: the next to read, how many to read */
	unsigned flags;		/* PPC_ELF_FUNC_* */
};

/* Starts a walk over the function symbols of e's table `table`: at most its
 * first `max_entries` entries are read (a bound against absurd files);
 * `flags` (PPC_ELF_FUNC_*) says which symbols it yields.  Returns the number
 * of entries the table has (0 when the file has no such table or it is
 * unreadable: the walk then yields nothing). */
size_t ppc_elf_funcs_begin(const struct ppc_elf *e, enum ppc_elf_table table,
			   size_t max_entries, unsigned flags, struct ppc_elf_funcs *it);

/* Reads the next function symbol into *f: an STT_FUNC symbol (and what the
 * walk's flags add) with a non-zero address and a name.  Returns 1, or 0 at
 * the end of the walk (or at an entry that cannot be read). */
int ppc_elf_funcs_next(struct ppc_elf_funcs *it, struct ppc_elf_func *f);

/* A module's symbol, for numbering those of one name (format.h's
 * ppf_name.nth): its name, address and index in the caller's table. */
struct ppc_sym_named {
	const char *name;
	uint64_t addr;
	size_t index;
};

/* Numbers the n symbols of v (sorted in place) among those of the same
 * name, by address: nth[v[i].index] is 0 for the lowest address of a name,
 * 1 for the next, ...  nth (n entries, zeroed by the caller) is written.
 * The library's symtab and the analyzer's symbols number alike here, so
 * that a dump's names and a binary's agree. */
void ppc_sym_number(struct ppc_sym_named *v, size_t n, uint32_t *nth);

#endif
