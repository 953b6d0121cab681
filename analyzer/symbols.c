/* symbols.c - function names for runtime addresses, read with libelf
 *
 * Each module path is opened once and read through common/elfsym.h.  Its
 * function symbols (STT_FUNC and STT_GNU_IFUNC, defined, from .symtab, else
 * from a separate debug file found by build-id under /usr/lib/debug, else
 * from .dynsym) are copied into a table sorted by address, one entry per
 * address (the global name wins over weak and local aliases), their names
 * into one string pool; the file is closed again.  A lookup is a binary
 * search; a C++ name is demangled the first time it is asked for and kept.
 *
 * The paths come from a dump, that is from untrusted input: anything that is
 * not a readable regular ELF file, or whose tables do not add up, leaves the
 * module with no symbols (every lookup NULL), never a crash or a hang.
 */
#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/elfsym.h"
#include "escape.h"
#include "search.h"
#include "symbols.h"

/* From libstdc++ (the Itanium C++ ABI); declared here to stay a C file. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Limits against hostile or absurd files. */
#define SYM_MAX_SYMBOLS (8u << 20)	/* symbols read from one table */
#define SYM_MAX_NAME 4096		/* bytes of one name, NUL excluded */
#define SYM_MAX_MODULES 4096		/* distinct paths kept in one cache */
#define SYM_MAX_FILE ((uint64_t)1 << 34)	/* bytes: 16 GiB */

struct sym_entry {
	uint64_t addr;		/* st_value: ELF virtual address */
	uint64_t size;		/* st_size, bytes; 0 = matches addr only */
	uint32_t name;		/* offset of the raw name in the module's pool */
	uint8_t bind;		/* STB_* of the kept alias */
	uint8_t demangled_tried;/* demangled set or known to be unneeded */
	char *demangled;	/* owned; NULL = use the raw name */
};

struct sym_module {
	char *path;		/* owned copy of the module path */
	struct sym_entry *syms;	/* owned, sorted by addr, addr unique */
	size_t nsyms;
	char *pool;		/* owned: NUL-terminated raw names */
	size_t pool_used, pool_cap; /* bytes */
	uint8_t build_id[64];	/* the file's NT_GNU_BUILD_ID */
	unsigned build_id_len;	/* bytes, 0 = the file has none (or unreadable) */
	int loaded;		/* 1 = file read (even if no symbols) */
	int readable;		/* 1 = the file opened as ELF */
	int warned;		/* build-id warning printed */
	uint32_t *nth;		/* [i]: how many entries before syms[i] (by address)
				   have its name; made on first use, owned */
};

struct sym_cache {
	struct sym_module *mods;/* owned */
	size_t nmods, cap;
	size_t last;		/* index of the last module used: lookups come in runs */
};

struct sym_cache *sym_cache_new(void)
{
	return calloc(1, sizeof(struct sym_cache));
}

static void sym_module_clear(struct sym_module *m)
{
	for (size_t i = 0; i < m->nsyms; i++)
		free(m->syms[i].demangled);
	free(m->syms);
	free(m->pool);
	free(m->nth);
	m->nth = NULL;
	m->syms = NULL;
	m->pool = NULL;
	m->nsyms = m->pool_used = m->pool_cap = 0;
}

void sym_cache_free(struct sym_cache *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nmods; i++) {
		sym_module_clear(&sc->mods[i]);
		free(sc->mods[i].path);
	}
	free(sc->mods);
	free(sc);
}

/* Copies `name` into the module's pool; returns its offset or -1 (no memory). */
static long sym_pool_add(struct sym_module *m, const char *name)
{
	size_t len = strnlen(name, SYM_MAX_NAME);
	size_t off = m->pool_used;

	if (m->pool_cap - m->pool_used < len + 1) {
		size_t cap = m->pool_cap ? m->pool_cap * 2 : 4096;
		char *pool;

		while (cap - m->pool_used < len + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -1;
		pool = realloc(m->pool, cap);
		if (!pool)
			return -1;
		m->pool = pool;
		m->pool_cap = cap;
	}
	memcpy(m->pool + off, name, len);
	m->pool[off + len] = '\0';
	m->pool_used += len + 1;
	return (long)off;
}

/* Order of preference among aliases at one address: global, weak, local. */
static int sym_bind_rank(unsigned bind)
{
	return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
}

static int sym_entry_cmp(const void *pa, const void *pb)
{
	const struct sym_entry *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (sym_bind_rank(a->bind) != sym_bind_rank(b->bind))
		return sym_bind_rank(a->bind) - sym_bind_rank(b->bind);
	if ((a->size != 0) != (b->size != 0))
		return a->size != 0 ? -1 : 1;	/* sized first */
	return a->name < b->name ? -1 : a->name > b->name;
}

/*
 * Appends the function symbols of the file's table `table` to the module.
 * Returns 0, or -1 when memory ran out (the module keeps what it had).
 */
static int sym_read_table(struct sym_module *m, const struct ppc_elf *e,
			  enum ppc_elf_table table)
{
	struct ppc_elf_funcs it;
	struct ppc_elf_func f;
	size_t count, cap = 0;

	count = ppc_elf_funcs_begin(e, table, SYM_MAX_SYMBOLS, PPC_ELF_FUNC_IFUNC, &it);
	if (count > SYM_MAX_SYMBOLS)
		count = SYM_MAX_SYMBOLS;
	while (ppc_elf_funcs_next(&it, &f)) {
		long off;

		if (m->nsyms == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct sym_entry *n;

			if (ncap > count)
				ncap = count;
			n = realloc(m->syms, ncap * sizeof(*n));
			if (!n)
				return -1;
			m->syms = n;
			cap = ncap;
		}
		off = sym_pool_add(m, f.name);
		if (off < 0)
			return -1;
		m->syms[m->nsyms++] = (struct sym_entry){
			.addr = f.addr,
			.size = f.size,
			.name = (uint32_t)off,
			.bind = (uint8_t)f.bind,
		};
	}
	return 0;
}

/*
 * Reads the .symtab of the separate debug file that Debian's -dbgsym
 * packages install for a stripped file with this build-id.  Returns 1 when
 * it supplied symbols, 0 otherwise.
 */
static int sym_read_debug_file(struct sym_module *m)
{
	char path[sizeof("/usr/lib/debug/.build-id/xx/.debug") + 2 * sizeof(m->build_id)];
	struct ppc_elf e;
	int n, ok;

	if (m->build_id_len < 2)
		return 0;
	n = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", m->build_id[0]);
	for (unsigned i = 1; i < m->build_id_len; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "%02x", m->build_id[i]);
	snprintf(path + n, sizeof(path) - (size_t)n, ".debug");
	if (ppc_elf_open(&e, path, PPC_ELF_MMAP, SYM_MAX_FILE) != 0)
		return 0;
	sym_read_table(m, &e, PPC_ELF_SYMTAB);
	ok = m->nsyms > 0;
	ppc_elf_close(&e);
	return ok;
}

/* Sorts the table and keeps one entry per address (the preferred alias). */
static void sym_sort_unique(struct sym_module *m)
{
	size_t out = 0;

	if (m->nsyms == 0)
		return;
	qsort(m->syms, m->nsyms, sizeof(m->syms[0]), sym_entry_cmp);
	for (size_t i = 1; i < m->nsyms; i++) {
		if (m->syms[i].addr == m->syms[out].addr) {
			/* an unsized alias may still know the size */
			if (m->syms[out].size == 0)
				m->syms[out].size = m->syms[i].size;
			continue;
		}
		m->syms[++out] = m->syms[i];
	}
	m->nsyms = out + 1;
}

/* Reads the module's file once; on any failure the module has no symbols. */
static void sym_module_load(struct sym_module *m)
{
	struct ppc_elf e;

	m->loaded = 1;
	if (ppc_elf_open(&e, m->path, PPC_ELF_MMAP, SYM_MAX_FILE) != 0)
		return;
	m->readable = ppc_elf_sections_ok(&e);
	m->build_id_len = ppc_elf_build_id(&e, m->build_id, sizeof(m->build_id));
	if (sym_read_table(m, &e, PPC_ELF_SYMTAB) != 0)
		sym_module_clear(m);
	if (m->nsyms == 0 && !sym_read_debug_file(m) &&
	    sym_read_table(m, &e, PPC_ELF_DYNSYM) != 0)
		sym_module_clear(m);
	ppc_elf_close(&e);
	sym_sort_unique(m);
}

/* Returns the cache's module for `path`, adding it; NULL when out of room. */
static struct sym_module *sym_module_get(struct sym_cache *sc, const char *path)
{
	struct sym_module *m;

	if (sc->last < sc->nmods && strcmp(sc->mods[sc->last].path, path) == 0)
		return &sc->mods[sc->last];
	for (size_t i = 0; i < sc->nmods; i++) {
		if (strcmp(sc->mods[i].path, path) == 0) {
			sc->last = i;
			return &sc->mods[i];
		}
	}
	if (sc->nmods >= SYM_MAX_MODULES)
		return NULL;
	if (sc->nmods == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 16;
		struct sym_module *n = realloc(sc->mods, cap * sizeof(*n));

		if (!n)
			return NULL;
		sc->mods = n;
		sc->cap = cap;
	}
	m = &sc->mods[sc->nmods];
	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	if (!m->path)
		return NULL;
	sc->last = sc->nmods++;
	return m;
}

/* Returns the entry containing addr, or NULL. */
static struct sym_entry *sym_find(struct sym_module *m, uint64_t addr)
{
	size_t lo = search_above(m->syms, m->nsyms, sizeof(m->syms[0]),
				 offsetof(struct sym_entry, addr), addr);

	/*
	 * The nearest symbol below normally decides.  A few steps further back
	 * catch a function whose range covers a smaller symbol placed inside it
	 * (a local label typed as a function, a nested cold part).
	 */
	for (size_t i = lo, steps = 0; i > 0 && steps < 8; i--, steps++) {
		struct sym_entry *e = &m->syms[i - 1];

		if (e->addr == addr || (e->size > 0 && addr - e->addr < e->size))
			return e;
	}
	return NULL;
}

const char *sym_lookup(struct sym_cache *sc, const char *path, const uint8_t *build_id,
		       unsigned build_id_len, uint64_t elf_addr)
{
	return sym_lookup_mangled(sc, path, build_id, build_id_len, elf_addr, NULL);
}

const char *sym_lookup_mangled(struct sym_cache *sc, const char *path, const uint8_t *build_id,
			       unsigned build_id_len, uint64_t elf_addr, const char **mangled)
{
	struct sym_module *m;
	struct sym_entry *e;
	const char *raw;

	if (mangled)
		*mangled = NULL;
	if (!sc || !path || !*path)
		return NULL;
	m = sym_module_get(sc, path);
	if (!m)
		return NULL;
	if (!m->loaded)
		sym_module_load(m);
	/* a file without a build-id where the runtime saw one was replaced too */
	if (!m->warned && build_id && build_id_len > 0 && m->readable &&
	    (build_id_len != m->build_id_len ||
	     memcmp(build_id, m->build_id, build_id_len) != 0)) {
		fputs("paraprof-report: warning: ", stderr);
		esc_fputs(path, stderr);
		fputs(": build-id differs from the profiled program\n", stderr);
		m->warned = 1;
	}
	e = sym_find(m, elf_addr);
	if (!e)
		return NULL;
	raw = m->pool + e->name;
	if (mangled)
		*mangled = raw;
	if (!e->demangled_tried) {
		e->demangled_tried = 1;
		if (raw[0] == '_' && raw[1] == 'Z') {
			int status = -1;
			char *d = __cxa_demangle(raw, NULL, NULL, &status);

			if (status == 0 && d)
				e->demangled = d;
			else
				free(d);
		}
	}
	return e->demangled ? e->demangled : raw;
}

/* Makes m->nth (what format.h's ppf_name.nth says, numbered by
 * ppc_sym_number as the library's symtab does); 0, or -1 when memory runs
 * out. */
static int sym_number(struct sym_module *m)
{
	struct ppc_sym_named *v = malloc((m->nsyms ? m->nsyms : 1) * sizeof(*v));

	if (!v || !(m->nth = calloc(m->nsyms ? m->nsyms : 1, sizeof(*m->nth)))) {
		free(v);
		return -1;
	}
	for (size_t i = 0; i < m->nsyms; i++)
		v[i] = (struct ppc_sym_named){ m->pool + m->syms[i].name, m->syms[i].addr, i };
	ppc_sym_number(v, m->nsyms, m->nth);
	free(v);
	return 0;
}

uint32_t sym_nth(struct sym_cache *sc, const char *path, uint64_t elf_addr)
{
	struct sym_module *m;
	struct sym_entry *e;

	if (!sc || !path || !*path || !(m = sym_module_get(sc, path)))
		return 0;
	if (!m->loaded)
		sym_module_load(m);
	if (!(e = sym_find(m, elf_addr)) || (!m->nth && sym_number(m)))
		return 0;
	return m->nth[e - m->syms];
}
