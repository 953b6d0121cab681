/* symtab.c - function names inside the profiled process
 *
 * paraprof_get_stats("name") and paraprof_foreach_stats() speak of
 * instrumented functions by symbol name, so the library needs what the
 * analyzer has: the symbol tables of the loaded modules.  Each module (from
 * the segment's module table) is read on first use through common/elfsym.h,
 * the reader paraprof-report uses too: .symtab first, .dynsym when it is
 * stripped; its function symbols are kept sorted by address.  Only the query
 * functions come here, never the hooks; everything is under one lock.
 *
 * After a dlclose() another library may take the addresses of the one that
 * was unloaded, so an address alone does not name a function: a record
 * knows the module it was made in (record.module), and query.c hands it
 * here inside the key (see QKEY_MODULE_SHIFT).  A key without a module is
 * looked up in the modules loaded now first, then in unloaded ones, the
 * newest first.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "common/elfsym.h"

struct sym {
	uint64_t addr;		/* runtime address */
	uint64_t size;		/* bytes, 0 = unknown */
	const char *name;	/* points into the module's name pool */
};

struct mod {
	uint64_t lo, hi;	/* the module's runtime range */
	struct sym *syms;	/* sorted by addr */
	size_t count;
	char *pool;		/* every name, NUL-separated */
	uint32_t *nth;		/* [i]: symbols before syms[i] (by address) with
				   its name; made on first use */
	int loaded;
};

/* __cxa_demangle, when the program links libstdc++ (C++ programs do). */
extern char *__cxa_demangle(const char *name, char *buf, size_t *len, int *status)
	__attribute__((weak));

/* A key holds 1 + the module's index above QKEY_MODULE_SHIFT. */
_Static_assert(SEG_MODULE_CAP < (1ull << (64 - QKEY_MODULE_SHIFT)),
	       "a module index does not fit in a query key");

/* Symbol tables longer than this are taken for corrupt: the module has no
 * names. */
#define SYMTAB_MAX_SYMBOLS (1u << 24)

static pthread_mutex_t symtab_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mod mods[SEG_MODULE_CAP];		/* by segment module index */

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Reads the function symbols of module `m` into `out`.  On any failure the
 * module simply has no names.  Which symbols are names here differs from
 * paraprof-report's choice, as it always did: STT_FUNC only (an IFUNC's
 * address is its resolver's), PLT slots included (PPC_ELF_FUNC_UNDEF: a
 * non-PIE program's slot is the key of the function whose address it
 * takes). */
static void load_module(const struct ppf_module *m, struct mod *out)
{
	struct ppc_elf e;
	struct ppc_elf_funcs it, again;
	struct ppc_elf_func f;
	size_t n, pool_len = 0, k = 0;
	char *p;

	out->loaded = 1;
	out->lo = m->lo;
	out->hi = m->hi;
	/* read, not mapped: a file cut short under a map would raise SIGBUS in
	 * the host */
	if (ppc_elf_open(&e, m->path, 0, 0) != 0)
		return;
	n = ppc_elf_funcs_begin(&e, PPC_ELF_SYMTAB, SIZE_MAX, PPC_ELF_FUNC_UNDEF, &it);
	if (!n)
		n = ppc_elf_funcs_begin(&e, PPC_ELF_DYNSYM, SIZE_MAX, PPC_ELF_FUNC_UNDEF, &it);
	if (!n || n > SYMTAB_MAX_SYMBOLS)
		goto end;
	/* two walks: the sizes first, so that each array is one allocation */
	again = it;
	while (ppc_elf_funcs_next(&it, &f)) {
		pool_len += strlen(f.name) + 1;
		k++;
	}
	out->syms = calloc(k ? k : 1, sizeof(*out->syms));
	out->pool = malloc(pool_len ? pool_len : 1);
	if (!out->syms || !out->pool)
		goto end;
	p = out->pool;
	while (out->count < k && ppc_elf_funcs_next(&again, &f)) {
		out->syms[out->count].addr = m->load_addr + f.addr;
		out->syms[out->count].size = f.size;
		out->syms[out->count].name = p;
		p = stpcpy(p, f.name) + 1;
		out->count++;
	}
	qsort(out->syms, out->count, sizeof(*out->syms), by_addr);
end:
	ppc_elf_close(&e);
}

/* The module entry for segment module i, loaded; symtab_lock held. */
static struct mod *module(uint32_t i)
{
	struct ppf_header *h = seg_header();
	const struct ppf_module *m = (const struct ppf_module *)seg_ptr(h->module_off) + i;

	if (!mods[i].loaded) {
		libcalls_paused++;	/* libelf's reads are not the program's */
		load_module(m, &mods[i]);
		libcalls_paused--;
	}
	return &mods[i];
}

static uint32_t module_count(void)
{
	struct ppf_header *h = seg_header();
	uint32_t n = h ? __atomic_load_n(&h->module_count, __ATOMIC_ACQUIRE) : 0;

	return n < SEG_MODULE_CAP ? n : SEG_MODULE_CAP;
}

static int unloaded(uint32_t i)
{
	const struct ppf_module *m = (const struct ppf_module *)seg_ptr(seg_header()->module_off) + i;

	return __atomic_load_n(&m->unloaded, __ATOMIC_ACQUIRE) != 0;
}

/* The order modules are searched in when the key names none: those loaded
 * now, then unloaded ones, newest first.  Returns the index of the k-th. */
static uint32_t search_order(uint32_t k, uint32_t n, const uint8_t *gone)
{
	uint32_t seen = 0;

	for (uint32_t i = 0; i < n; i++)
		if (!gone[i] && seen++ == k)
			return i;
	for (uint32_t i = n; i--;)
		if (gone[i] && seen++ == k)
			return i;
	return n;
}

/* Makes m->nth (what format.h's ppf_name.nth says); 0, or -1 when memory
 * runs out.  symtab_lock held. */
static int number(struct mod *m)
{
	struct ppc_sym_named *v = malloc((m->count ? m->count : 1) * sizeof(*v));

	if (!v || !(m->nth = calloc(m->count ? m->count : 1, sizeof(*m->nth)))) {
		free(v);
		return -1;
	}
	for (size_t i = 0; i < m->count; i++)
		v[i] = (struct ppc_sym_named){ m->syms[i].name, m->syms[i].addr, i };
	ppc_sym_number(v, m->count, m->nth);
	free(v);
	return 0;
}

/* The symbol (as the module has it) of the function at `addr` in module
 * `i`, or NULL when the module has no symbol there; *nth (may be NULL) its
 * number among the module's symbols of that name.  The string lives until
 * symtab_forget().  symtab_lock held. */
static const char *symbol_in(uint32_t i, uintptr_t addr, uint32_t *nth)
{
	struct mod *m = module(i);
	size_t lo = 0, hi = m->count;

	if (addr < m->lo || addr >= m->hi)
		return NULL;
	while (lo < hi) {	/* last symbol at or below addr */
		size_t mid = (lo + hi) / 2;

		if (m->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || (addr != m->syms[lo - 1].addr &&
		    addr >= m->syms[lo - 1].addr + m->syms[lo - 1].size))
		return NULL;
	if (nth)
		*nth = m->nth || number(m) == 0 ? m->nth[lo - 1] : 0;
	return m->syms[lo - 1].name;
}

/* The demangled form of `name` (malloc'ed, the caller frees it), or NULL
 * when it is not a C++ name or the program has no demangler. */
static char *demangle(const char *name)
{
	char *dm;
	int status = -1;

	if (!__cxa_demangle || name[0] != '_' || name[1] != 'Z')
		return NULL;
	dm = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(dm);
		return NULL;
	}
	return dm;
}

/* Writes the name of the function at `addr` in module `i` to buf; returns
 * 1, or 0 when the module has no symbol there.  symtab_lock held. */
static int name_in(uint32_t i, uintptr_t addr, char *buf, size_t len)
{
	const char *name = symbol_in(i, addr, NULL);
	char *dm;

	if (!name)
		return 0;
	dm = demangle(name);
	snprintf(buf, len, "%s", dm ? dm : name);
	free(dm);
	return 1;
}

int symtab_name(uintptr_t key, char *buf, size_t len)
{
	uint32_t module = (uint32_t)((uint64_t)key >> QKEY_MODULE_SHIFT), n;
	uintptr_t addr = (uintptr_t)((uint64_t)key & QKEY_ADDR_MASK);
	uint8_t gone[SEG_MODULE_CAP];
	int found = 0;

	libcalls_lock(&symtab_lock);
	n = module_count();
	if (module) {
		/* the module the record was made in, loaded or not */
		found = module <= n && name_in(module - 1, addr, buf, len);
	} else {
		for (uint32_t i = 0; i < n; i++)
			gone[i] = (uint8_t)unloaded(i);
		for (uint32_t k = 0; k < n && !found; k++)
			found = name_in(search_order(k, n, gone), addr, buf, len);
	}
	libcalls_unlock(&symtab_lock);
	return found;
}

uintptr_t symtab_addr(const char *name)
{
	uint8_t gone[SEG_MODULE_CAP];
	uintptr_t key = 0;
	uint32_t n;

	libcalls_lock(&symtab_lock);
	n = module_count();
	for (uint32_t i = 0; i < n; i++)
		gone[i] = (uint8_t)unloaded(i);
	for (uint32_t k = 0; k < n && !key; k++) {
		uint32_t i = search_order(k, n, gone);
		struct mod *m = module(i);

		for (size_t j = 0; j < m->count && !key; j++) {
			const char *s = m->syms[j].name;
			int match = !strcmp(s, name);

			if (!match && __cxa_demangle && s[0] == '_' && s[1] == 'Z') {
				int status = -1;
				char *dm = __cxa_demangle(s, NULL, NULL, &status);

				match = dm && status == 0 && !strcmp(dm, name);
				free(dm);
			}
			if (match && m->syms[j].addr <= QKEY_ADDR_MASK)
				key = (uintptr_t)(m->syms[j].addr | (uint64_t)(i + 1) << QKEY_MODULE_SHIFT);
		}
	}
	libcalls_unlock(&symtab_lock);
	return key;
}

const char *symtab_symbol(uint32_t module, uintptr_t addr, uint32_t *index, uint32_t *nth,
			  char **demangled)
{
	uint8_t gone[SEG_MODULE_CAP];
	const char *sym = NULL;
	uint32_t n;

	*demangled = NULL;
	libcalls_lock(&symtab_lock);
	n = module_count();
	if (module) {
		if (module <= n && (sym = symbol_in(module - 1, addr, nth)))
			*index = module - 1;
	} else {
		for (uint32_t i = 0; i < n; i++)
			gone[i] = (uint8_t)unloaded(i);
		for (uint32_t k = 0; k < n && !sym; k++) {
			uint32_t i = search_order(k, n, gone);

			if ((sym = symbol_in(i, addr, nth)))
				*index = i;
		}
	}
	libcalls_unlock(&symtab_lock);
	if (sym)
		*demangled = demangle(sym);
	return sym;
}

void symtab_forget(void)
{
	pthread_mutex_init(&symtab_lock, NULL);
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		free(mods[i].syms);
		free(mods[i].pool);
		free(mods[i].nth);
	}
	memset(mods, 0, sizeof(mods));
}
