/* symbols.h - function names for runtime addresses, read with libelf
 *
 * A sym_cache opens each module (an ELF file named by the segment's module
 * table) once through common/elfsym.h, reads its function symbols (.symtab,
 * else a separate debug file's, else .dynsym) into a table sorted by
 * address and answers lookups by binary search.  Addresses are in the ELF
 * file's own address space: runtime address minus the module's load
 * address.  Names of C++ functions come back demangled.
 */
#ifndef PARAPROF_SYMBOLS_H
#define PARAPROF_SYMBOLS_H

#include <stdint.h>

struct sym_cache;

/* Returns an empty cache, or NULL when memory runs out. */
struct sym_cache *sym_cache_new(void);

/* Frees the cache and every string it returned; NULL is allowed. */
void sym_cache_free(struct sym_cache *sc);

/*
 * Returns the name of the function containing `elf_addr` (= runtime address
 * - module load_addr) in the ELF file `path`, C++ names demangled.  The
 * string is owned by the cache and lives until sym_cache_free().  Returns
 * NULL when the address is not inside any function symbol, or the file is
 * missing, unreadable, not ELF or corrupt (the caller then prints
 * "basename+0xOFFSET").  `build_id` (`build_id_len` bytes, 0 = none) is the
 * one the runtime recorded: when the file on disk carries a different one,
 * one warning per module goes to stderr
 * ("paraprof-report: warning: PATH: build-id differs from the profiled program")
 * and lookups go on with the file that is there.
 */
const char *sym_lookup(struct sym_cache *sc, const char *path, const uint8_t *build_id,
		       unsigned build_id_len, uint64_t elf_addr);

/* sym_lookup(), and *mangled (when not NULL) set to the symbol's name as
 * the file has it (what the demangled name came from; the same string for
 * a name that is not mangled, NULL when no symbol holds the address); owned
 * by the cache as well. */
const char *sym_lookup_mangled(struct sym_cache *sc, const char *path, const uint8_t *build_id,
			       unsigned build_id_len, uint64_t elf_addr, const char **mangled);

/* Of the functions of the file `path` that have the name of the one
 * containing `elf_addr` (static functions of one name in several source
 * files), how many come before it by address: 0 for the first, and for
 * every name that is unique.  0 too when no symbol holds the address.
 * With the symbol, it tells such functions apart across builds (format.h:
 * ppf_name.nth). */
uint32_t sym_nth(struct sym_cache *sc, const char *path, uint64_t elf_addr);

#endif /* PARAPROF_SYMBOLS_H */
