/* nametab.h - the names table of a dump, built in memory and written after it
 *
 * Part of the common format layer (common/).  format.h describes the table
 * ("names of functions"): entries of (module, offset, symbol, demangled
 * name), then a pool of strings.  The library fills one at a normal exit
 * from its own symbol tables, paraprof-report --gc and --merge from the
 * binaries (or the dumps' own tables); ppc_names_write() then writes the
 * dump with the table appended, through ppc_dump_write's safe path.
 *
 * Uses malloc: never from a signal handler (the library builds a table only
 * at a normal exit, from its destructor).
 */
#ifndef PARAPROF_COMMON_NAMETAB_H
#define PARAPROF_COMMON_NAMETAB_H

#include <stddef.h>
#include <stdint.h>

#include "paraprof/format.h"

struct ppc_names {
	struct ppf_name *ent;		/* n entries, malloc'ed */
	size_t n, cap;
	char *pool;			/* used bytes, malloc'ed; pool[0] is NUL */
	size_t used, pool_cap;
	int full;			/* an entry did not fit the limits */
};

/* An empty table (no allocation yet). */
void ppc_names_init(struct ppc_names *t);

/* Frees what the table holds and empties it. */
void ppc_names_free(struct ppc_names *t);

/*
 * Appends the name of the function at `offset` of `module` (1 + index in
 * the dump's module table, 0 = none), the `nth` of its symbol there
 * (format.h).  `demangled` may be NULL or equal to
 * `symbol` (then none is stored).  A symbol longer than PPF_NAME_MAX, or an
 * entry past PPF_NAMES_MAX or PPF_NAMES_POOL_MAX, is not added (t->full is
 * set); a demangled name that long is cut.  Returns 0, or -1 when memory
 * runs out (the table is unchanged).
 */
int ppc_names_add(struct ppc_names *t, uint32_t module, uint64_t offset, const char *symbol,
		  const char *demangled, uint32_t nth);

/*
 * Writes the dump in `buf` (`len` bytes, its header.used_size, 8-byte
 * aligned header first) as ppc_dump_write() does, with the table `t`
 * (NULL or empty: none) appended at the next 8-byte boundary and the
 * header's names_off, names_count, names_bytes and used_size saying so (the
 * buffer itself is not changed).  Returns what ppc_dump_write() returns.
 */
int ppc_names_write(int dirfd, const char *stem, const void *buf, uint64_t len,
		    const struct ppc_names *t, char *name, size_t namelen);

/*
 * The same, into the new file `path` (made O_CREAT|O_EXCL|O_NOFOLLOW, mode
 * 0600: never over an existing file), for paraprof-report --merge -o.
 * Returns 0, or -1 with errno set (the file is removed again when writing
 * failed).
 */
int ppc_names_write_file(const char *path, const void *buf, uint64_t len,
			 const struct ppc_names *t);

#endif
