/* modules.c - the segment's module table: which object each code address is in
 *
 * One entry per loaded object with code (the main program first, then each
 * library, dlopen()ed ones as they are first seen): its load address, its
 * executable range, its path and GNU build-id, so that a reader can find
 * each function's symbol in the right file, also after the process is gone.
 * Entries are appended under seg_module_lock (at creation, before the
 * segment is published, without it) and published by a release store of
 * header.module_count; they are never removed or reused.  After a
 * dlclose() an entry that is no longer loaded is marked unloaded (for good:
 * a library loaded again, or another one at the same addresses, gets an
 * entry of its own), so that a record's module index keeps naming the code
 * it was recorded in.
 */
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

pthread_mutex_t seg_module_lock = PTHREAD_MUTEX_INITIALIZER;

/* Reads the GNU build-id from a loaded object's notes. */
static void read_build_id(const struct dl_phdr_info *info, struct ppf_module *m)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			size_t a = ph->p_align > 4 ? 8 : 4;
			/* name and descriptor are padded to the note's alignment */
			size_t name = (n->n_namesz + a - 1) & ~(a - 1);
			size_t desc = (n->n_descsz + a - 1) & ~(a - 1);
			const char *d = p + sizeof(*n) + name;

			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(p + sizeof(*n), "GNU", 4) && n->n_descsz <= PPF_BUILD_ID_MAX &&
			    d + n->n_descsz <= end) {
				memcpy(m->build_id, d, n->n_descsz);
				m->build_id_len = n->n_descsz;
				return;
			}
			p += sizeof(*n) + name + desc;
		}
	}
}

/* The executable range of a loaded object and its path; returns 0 when it
 * has no file (the vDSO) or no code.  The main program comes first in
 * dl_iterate_phdr's order, without a name: `main` says it is that one, and
 * its path is left NULL (read from /proc/self/exe only when needed). */
struct loaded {
	const char *path;
	uint64_t load_addr, lo, hi;
	int main;
};

static int loaded_span(const struct dl_phdr_info *info, int first, struct loaded *out)
{
	uint64_t lo = ~0ull, hi = 0;

	out->main = first && (!info->dlpi_name || !*info->dlpi_name);
	out->path = out->main ? NULL : info->dlpi_name;
	if (!out->main && (!out->path || out->path[0] != '/'))
		return 0;		/* the vDSO and the like: no file to read */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uint64_t a = info->dlpi_addr + ph->p_vaddr;

			if (a < lo)
				lo = a;
			if (a + ph->p_memsz > hi)
				hi = a + ph->p_memsz;
		}
	}
	if (hi == 0)
		return 0;
	out->load_addr = info->dlpi_addr;
	out->lo = lo;
	out->hi = hi;
	return 1;
}

/* The index of the loaded (not unloaded) entry of the table that is `l`,
 * or -1.  The main program is known by its addresses alone (its file may
 * have been replaced on disk since), a library also by its path. */
static int find_loaded(const struct ppf_header *h, const struct loaded *l)
{
	const struct ppf_module *mods = (const struct ppf_module *)((const char *)h + h->module_off);

	for (uint32_t i = 0; i < h->module_count; i++)
		if (!mods[i].unloaded && mods[i].load_addr == l->load_addr &&
		    mods[i].lo == l->lo && mods[i].hi == l->hi &&
		    (l->main || !strncmp(mods[i].path, l->path, sizeof(mods[i].path) - 1)))
			return (int)i;
	return -1;
}

struct module_scan {
	struct ppf_header *h;	/* the segment's (not yet in seg_base at creation) */
	int first;		/* the next object is the main program */
	uint8_t *seen;		/* seg_modules_changed: entries still loaded */
};

/* dl_iterate_phdr callback: adds an object that no loaded entry is (an
 * unloaded entry of the same range does not count: a library dlopen()ed
 * where a dlclose()d one was gets an entry of its own). */
static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct module_scan *scan = data;
	struct ppf_header *h = scan->h;
	struct ppf_module *mods = (struct ppf_module *)((char *)h + h->module_off), *m;
	struct loaded l;
	char exe[PPF_PATH_MAX];
	int first = scan->first;

	(void)size;
	scan->first = 0;
	if (!loaded_span(info, first, &l) || find_loaded(h, &l) >= 0)
		return 0;
	if (h->module_count == h->module_cap)
		return 0;
	if (l.main) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		exe[n > 0 ? n : 0] = 0;
		l.path = exe;
	}
	m = &mods[h->module_count];
	memset(m, 0, sizeof(*m));
	m->load_addr = l.load_addr;
	m->lo = l.lo;
	m->hi = l.hi;
	snprintf(m->path, sizeof(m->path), "%s", l.path);
	read_build_id(info, m);
	__atomic_store_n(&h->module_count, h->module_count + 1, __ATOMIC_RELEASE);
	return 0;
}

void seg_scan_modules(struct ppf_header *h)
{
	struct module_scan scan = { h, 1, NULL };

	dl_iterate_phdr(add_module, &scan);
}

uint32_t seg_cover(uintptr_t addr)
{
	struct ppf_header *h = seg_header();
	struct ppf_module *mods;
	uint32_t found = 0;

	if (!h)
		return 0;
	libcalls_lock(&seg_module_lock);
	mods = seg_ptr(h->module_off);
	for (int pass = 0; pass < 2 && !found; pass++) {
		if (pass)
			seg_scan_modules(h);	/* code we have not seen: a dlopen()ed library */
		for (uint32_t i = 0; i < h->module_count && !found; i++)
			if (addr >= mods[i].lo && addr < mods[i].hi &&
			    !__atomic_load_n(&mods[i].unloaded, __ATOMIC_RELAXED))
				found = i + 1;
	}
	libcalls_unlock(&seg_module_lock);
	return found;
}

/* dl_iterate_phdr callback of seg_modules_changed: marks what is loaded */
static int mark_loaded(struct dl_phdr_info *info, size_t size, void *data)
{
	struct module_scan *scan = data;
	struct loaded l;
	int first = scan->first, i;

	(void)size;
	scan->first = 0;
	if (loaded_span(info, first, &l) && (i = find_loaded(scan->h, &l)) >= 0)
		scan->seen[i] = 1;
	return 0;
}

void seg_modules_changed(void)
{
	struct ppf_header *h = seg_header();
	uint8_t seen[SEG_MODULE_CAP] = { 0 };
	struct module_scan scan = { h, 1, seen };
	struct ppf_module *mods;

	if (!h)
		return;
	libcalls_lock(&seg_module_lock);
	mods = seg_ptr(h->module_off);
	dl_iterate_phdr(mark_loaded, &scan);
	for (uint32_t i = 0; i < h->module_count && i < SEG_MODULE_CAP; i++)
		if (!seen[i] && !mods[i].unloaded)
			__atomic_store_n(&mods[i].unloaded, 1, __ATOMIC_RELEASE);
	libcalls_unlock(&seg_module_lock);
}
