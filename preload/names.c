/* names.c - the names table the library's dump carries
 *
 * At a normal exit the dump names every function it has a record of
 * (format.h, "names of functions"), so that it reads right after a rebuild
 * or on another machine.  The records' (key, module) pairs are gathered
 * from every thread area, made unique, and each looked up in the modules'
 * symbol tables (symtab.c, read once).  Runs once, from the destructor,
 * before the dump is written: never in the hooks, never in a signal
 * handler (it allocates).
 */
#include <stdlib.h>

#include "internal.h"
#include "common/nametab.h"

struct place {
	uint64_t key;		/* runtime address */
	uint32_t module;	/* record.module: 1 + index, 0 = unknown */
};

static int by_place(const void *a, const void *b)
{
	const struct place *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->module < y->module ? -1 : x->module > y->module;
}

/* Appends every function record's place to *v (grown as needed); 0, or -1
 * when memory runs out.  Other threads may still run: a thread that claims
 * a free area reuses its memory, so a list is followed only to aligned
 * records inside the used part (which is always backed: never a SIGBUS),
 * for a bounded number of steps in all.  A wrong key read that way costs
 * at most a name nobody asks for: a name is found from the address. */
static int gather(struct place **v, size_t *n, size_t *cap)
{
	struct ppf_header *h = seg_header();
	uint32_t threads = __atomic_load_n(&h->thread_count, __ATOMIC_ACQUIRE);
	uint64_t used = __atomic_load_n(&h->used_size, __ATOMIC_ACQUIRE);
	uint64_t steps = used / sizeof(struct ppf_record);

	for (uint32_t t = 0; t < threads && t < h->thread_cap; t++) {
		const struct ppf_thread *area = seg_thread(t);
		uint64_t off = __atomic_load_n(&area->records, __ATOMIC_ACQUIRE);

		while (off && off % 8 == 0 && off >= sizeof(*h) && off < used &&
		       used - off >= sizeof(struct ppf_record) && steps--) {
			const struct ppf_record *r = seg_ptr(off);

			if (r->kind == PPF_KIND_FUNCTION || r->kind == PPF_KIND_SAMPLE) {
				if (*n == *cap) {
					size_t c = *cap ? *cap * 2 : 1024;
					struct place *p = realloc(*v, c * sizeof(*p));

					if (!p)
						return -1;
					*v = p;
					*cap = c;
				}
				(*v)[(*n)++] = (struct place){ r->key, r->module };
			}
			off = __atomic_load_n(&r->next, __ATOMIC_ACQUIRE);
		}
	}
	return 0;
}

int names_collect(struct ppc_names *t)
{
	struct ppf_header *h = seg_header();
	const struct ppf_module *mods;
	struct place *v = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	if (!h || gather(&v, &n, &cap))
		goto out;
	mods = seg_ptr(h->module_off);
	if (n)		/* (v is NULL without any: a program of API calls only) */
		qsort(v, n, sizeof(*v), by_place);
	for (size_t i = 0; i < n; i++) {
		uint32_t index = 0, nth = 0;
		char *demangled;
		const char *sym;

		if (i && !by_place(&v[i], &v[i - 1]))
			continue;
		sym = symtab_symbol(v[i].module, (uintptr_t)v[i].key, &index, &nth, &demangled);
		if (!sym)
			continue;
		if (ppc_names_add(t, index + 1, v[i].key - mods[index].load_addr, sym, demangled,
				  nth)) {
			free(demangled);
			goto out;
		}
		free(demangled);
	}
	rc = 0;
out:
	free(v);
	return rc;
}
