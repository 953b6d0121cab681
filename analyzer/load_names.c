/* load_names.c - the names table of a dump: checked, then looked up
 *
 * A dump may name its functions itself (format.h, "names of functions").
 * Before the records are merged the table is checked whole: its place
 * (8-byte aligned, inside the data, clear of the header's tables), its
 * size (count <= PPF_NAMES_MAX, entries inside names_bytes, a pool of at
 * most PPF_NAMES_POOL_MAX bytes that ends with a NUL, so that every string
 * in it ends); then each entry: its module in the module table, its string
 * offsets inside the pool, a symbol that is not empty and not longer than
 * PPF_NAME_MAX.  A table that fails is left out whole, an entry that fails
 * alone, each with one note; the records are merged either way, their
 * functions then named from the binaries as in older dumps.  The entries
 * kept are indexed by (profile module, offset) for a binary search per
 * function record.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_priv.h"

static int by_place(const void *a, const void *b)
{
	const struct load_name *x = a, *y = b;

	if (x->module != y->module)
		return x->module < y->module ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Why the table at h->names_* cannot be used, or NULL when it can. */
static const char *table_fault(const struct load_dump *d, char *why, size_t whylen)
{
	const struct ppf_header *h = d->h;
	const struct { const char *what; uint64_t off, bytes; } t[] = {
		{ "module", h->module_off, (uint64_t)h->module_cap * sizeof(struct ppf_module) },
		{ "thread", h->thread_off, (uint64_t)h->thread_cap * sizeof(struct ppf_thread) },
		{ "string", h->strtab_off, h->strtab_cap },
		{ "timeline", h->timeline_off,
		  (uint64_t)h->timeline_cap * sizeof(struct ppf_mem_sample) },
		{ "cache", h->cache_off, (uint64_t)h->cache_cap * sizeof(struct ppf_cache) },
	};
	uint64_t entries, pool;

	if (h->names_off % 8)
		snprintf(why, whylen, "offset %#" PRIx64 " is not 8-byte aligned", h->names_off);
	else if (h->names_count > PPF_NAMES_MAX)
		snprintf(why, whylen, "%" PRIu64 " entries, more than %u", h->names_count,
			 PPF_NAMES_MAX);
	else if ((entries = h->names_count * sizeof(struct ppf_name)) > h->names_bytes)
		snprintf(why, whylen, "%" PRIu64 " entries do not fit in its %" PRIu64 " bytes",
			 h->names_count, h->names_bytes);
	else if ((pool = h->names_bytes - entries) > PPF_NAMES_POOL_MAX)
		snprintf(why, whylen, "a pool of %" PRIu64 " bytes, more than %u", pool,
			 PPF_NAMES_POOL_MAX);
	else if (!load_in_data(d, h->names_off, h->names_bytes))
		snprintf(why, whylen, "%" PRIu64 " bytes at offset %#" PRIx64 " are outside the"
			 " data (%" PRIu64 " bytes)", h->names_bytes, h->names_off, d->used);
	else if (pool && d->buf[h->names_off + h->names_bytes - 1] != '\0')
		snprintf(why, whylen, "its pool does not end with a NUL");
	else
		why[0] = '\0';
	for (size_t i = 0; !why[0] && i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].bytes && h->names_bytes && h->names_off < t[i].off + t[i].bytes &&
		    t[i].off < h->names_off + h->names_bytes)
			snprintf(why, whylen, "it overlaps the %s table", t[i].what);
	return why[0] ? why : NULL;
}

/* Why entry `n` cannot be used, or NULL. */
static const char *entry_fault(const struct load_dump *d, const struct ppf_name *n,
			       const char *pool, uint64_t pool_bytes)
{
	if (n->module > d->h->module_count)
		return "its module is not in the module table";
	if (!n->symbol || n->symbol >= pool_bytes)
		return "its symbol is outside the pool";
	if (n->demangled >= pool_bytes)
		return "its demangled name is outside the pool";
	if (!pool[n->symbol] || strnlen(pool + n->symbol, PPF_NAME_MAX + 1) > PPF_NAME_MAX)
		return "its symbol is empty or too long";
	if (n->demangled && strnlen(pool + n->demangled, PPF_NAME_MAX + 1) > PPF_NAME_MAX)
		return "its demangled name is too long";
	return NULL;
}

int load_names_open(struct load_dump *d, const int *module_index, struct load_names *ln)
{
	const struct ppf_header *h = d->h;
	const struct ppf_name *ent;
	uint64_t left_out = 0;
	const char *first = NULL;
	char why[200];

	memset(ln, 0, sizeof(*ln));
	if (!h->names_off)
		return 0;
	if (table_fault(d, why, sizeof(why)))
		return load_note(d, "names table left out (functions named from the binaries):"
				 " %s", why);
	ent = (const void *)(d->buf + h->names_off);
	ln->pool = (const char *)(ent + h->names_count);
	ln->pool_bytes = h->names_bytes - h->names_count * sizeof(*ent);
	if (h->names_count && !(ln->ix = malloc(h->names_count * sizeof(*ln->ix))))
		return load_fail(d, "out of memory");
	for (uint64_t i = 0; i < h->names_count; i++) {
		const struct ppf_name *n = &ent[i];
		const char *fault = entry_fault(d, n, ln->pool, ln->pool_bytes);

		if (fault) {
			first = first ? first : fault;
			left_out++;
			continue;
		}
		ln->ix[ln->n++] = (struct load_name){
			n->module ? module_index[n->module - 1] : -1, n->offset,
			ln->pool + n->symbol, n->demangled ? ln->pool + n->demangled : NULL,
			n->nth };
	}
	if (ln->n)	/* (ix is NULL for a table of no entries) */
		qsort(ln->ix, ln->n, sizeof(*ln->ix), by_place);
	if (left_out)
		return load_note(d, "%" PRIu64 " entries of the names table left out (the first: %s)",
				 left_out, first);
	return 0;
}

const struct load_name *load_names_find(const struct load_names *ln, int module,
					uint64_t offset)
{
	struct load_name key = { module, offset, NULL, NULL, 0 };
	size_t lo = 0, hi = ln->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = by_place(&ln->ix[mid], &key);

		if (c == 0)
			return &ln->ix[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void load_names_close(struct load_names *ln)
{
	free(ln->ix);
	memset(ln, 0, sizeof(*ln));
}
