/* dumpout.c - dumps made by paraprof-report: the names table, and --merge -o
 *
 * See dumpout.h.  A merged dump is laid out as the library lays out a
 * segment (format.h): the header, the module table, one thread area (the
 * process area, state PPF_THREAD_PROCESS) whose list holds every record,
 * the string table (names of regions, spans, endpoints and caches), the
 * cache table, then the records, each followed by its histogram pages
 * (512-byte aligned, as record.pages[] counts in pages).  A profile whose
 * calls are not all on call paths is written flat, as format version 2.  The dump has no
 * runtime, so each module is given a made-up load address: modules are
 * laid end to end above the largest address of a function in no module,
 * and a function's key is its module's load address plus its offset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nametab.h"
#include "dumpout.h"
#include "profile.h"
#include "symbols.h"

/* ---- the names table ---- */

/* The first entry of mods with the path and build id of m, 0 = none; else 1
 * + its index. */
static uint32_t module_entry(const struct pp_module *m, const struct ppf_module *mods,
			     uint32_t nmods)
{
	for (uint32_t i = 0; i < nmods; i++)
		if (mods[i].build_id_len == m->build_id_len &&
		    memcmp(mods[i].build_id, m->build_id, m->build_id_len) == 0 &&
		    strncmp(mods[i].path, m->path, sizeof(mods[i].path)) == 0)
			return i + 1;
	return 0;
}

int dumpout_names(const struct pp_profile *prof, struct sym_cache *sc,
		  const struct ppf_module *mods, uint32_t nmods, struct ppc_names *t)
{
	for (size_t i = 0; i < prof->nentries; i++) {
		const struct pp_entry *e = prof->entries[i];
		const struct pp_module *m = e->module >= 0 ? &prof->modules[e->module] : NULL;
		const char *symbol = e->symbol, *demangled = e->demangled;
		uint32_t entry = m ? module_entry(m, mods, nmods) : 0, nth = e->nth;

		if (e->kind != PPF_KIND_FUNCTION || (m && !entry))
			continue;
		if (!symbol && m && sc) {
			demangled = sym_lookup_mangled(sc, m->path, m->build_id, m->build_id_len,
						       e->offset, &symbol);
			nth = sym_nth(sc, m->path, e->offset);
		}
		if (symbol && ppc_names_add(t, entry, e->offset, symbol, demangled, nth))
			return -1;
	}
	return 0;
}

/* ---- --merge -o ---- */

/* The dump being built: a growing buffer, zeroed as it grows. */
struct out {
	unsigned char *buf;
	uint64_t used, cap;
	int oom;
};

/* Room for n bytes at an `align`ed offset; the offset, or 0 when memory
 * runs out (o->oom). */
static uint64_t out_alloc(struct out *o, uint64_t n, uint64_t align)
{
	uint64_t off = (o->used + align - 1) & ~(align - 1);

	if (o->oom)
		return 0;
	if (off + n > o->cap) {
		uint64_t cap = o->cap ? o->cap : 1 << 16;
		unsigned char *grown;

		while (cap < off + n)
			cap *= 2;
		if (!(grown = realloc(o->buf, cap))) {
			o->oom = 1;
			return 0;
		}
		memset(grown + o->cap, 0, cap - o->cap);
		o->buf = grown;
		o->cap = cap;
	}
	o->used = off + n;
	return off;
}

static struct ppf_header *hdr(struct out *o)
{
	return (struct ppf_header *)o->buf;
}

/* Whether the calls of every function entry are all on its path nodes:
 * then the paths are written, else the dump is flat (a profile read from
 * dumps of format version 1 or 2, which have no paths, beside others). */
static int paths_complete(const struct pp_profile *prof)
{
	uint64_t *on_paths;
	int complete = 1;

	if (!prof->npaths)
		return 0;
	if (!(on_paths = calloc(prof->nentries, sizeof(*on_paths))))
		return 0;
	for (size_t i = 0; i < prof->npaths; i++)
		on_paths[prof->paths[i]->entry] += prof->paths[i]->st.calls;
	for (size_t i = 0; i < prof->nentries && complete; i++)
		complete = on_paths[i] == prof->entries[i]->calls;
	free(on_paths);
	return complete;
}

/* The layout of the modules: load_addr[j] for profile module j. */
static int lay_out_modules(const struct pp_profile *prof, uint64_t *load_addr, uint64_t *hi)
{
	uint64_t base = 0x10000;

	for (size_t j = 0; j < prof->nmodules; j++)
		hi[j] = 0;
	for (size_t i = 0; i < prof->nentries; i++) {
		const struct pp_entry *e = prof->entries[i];

		if (e->kind != PPF_KIND_FUNCTION)
			continue;
		if (e->module < 0) {
			if (e->offset >= base && __builtin_add_overflow(e->offset, 1, &base))
				return -1;
		} else if (e->offset + 1 > hi[e->module]) {
			if (e->offset == UINT64_MAX)
				return -1;
			hi[e->module] = e->offset + 1;
		}
	}
	for (size_t j = 0; j < prof->nmodules; j++) {
		uint64_t size = hi[j];

		base = (base + 0xfffff) & ~(uint64_t)0xfffff;
		if (!base || __builtin_add_overflow(base, size, &hi[j]))
			return -1;
		load_addr[j] = base;
		base = hi[j];
	}
	return 0;
}

/* Appends a string to the string table being built (its own buffer);
 * returns its offset, or UINT32_MAX when memory runs out. */
struct strtab {
	char *s;
	size_t used, cap;
};

static uint32_t str_add(struct strtab *t, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t off = (uint32_t)t->used;

	if (t->used + len > UINT32_MAX / 2)
		return UINT32_MAX;
	if (t->used + len > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		char *p;

		while (cap < t->used + len)
			cap *= 2;
		if (!(p = realloc(t->s, cap)))
			return UINT32_MAX;
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->used, s, len);
	t->used += len;
	return off;
}

struct writer {
	struct out o;
	const struct pp_profile *prof;
	const uint64_t *load_addr;
	const uint32_t *name_off;	/* [entry]: string offset of a named kind */
	uint64_t area;			/* offset of the process area */
	uint64_t first, last;		/* offsets of the first and the last record
					   written, 0 = none */
	size_t rec_size;		/* bytes of a record: a flat dump is written
					   as format version 2, whose records have no
					   parent (a version 3 record without one is
					   a root path) */
};

/* Appends the record of `st` (entry `e`'s key, parent record `parent`,
 * flags) with its histogram; returns its offset, 0 when memory runs out. */
static uint64_t put_record(struct writer *w, const struct pp_entry *e, const struct pp_entry *st,
			   uint64_t parent, uint32_t flags)
{
	size_t size = w->rec_size +
		      (e->kind == PPF_KIND_ENDPOINT ? sizeof(struct ppf_endpoint_tail) : 0);
	uint64_t off = out_alloc(&w->o, size, 8), in_hist = st->hist.count;
	unsigned slot = 0;
	struct ppf_record *r;

	if (!off)
		return 0;
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t page;

		if (!(st->hist.page_mask >> p & 1))
			continue;
		if (!(page = out_alloc(&w->o, PPF_PAGE_BYTES, PPF_PAGE_BYTES)) ||
		    page / PPF_PAGE_BYTES > UINT32_MAX)
			return 0;
		memcpy(w->o.buf + page, st->hist.pages[slot++], PPF_PAGE_BYTES);
		r = (struct ppf_record *)(w->o.buf + off);
		r->pages[p] = (uint32_t)(page / PPF_PAGE_BYTES);
	}
	r = (struct ppf_record *)(w->o.buf + off);
	r->key = e->kind == PPF_KIND_FUNCTION ?
		 (e->module >= 0 ? w->load_addr[e->module] : 0) + e->offset :
		 w->name_off[e->index];
	r->kind = e->kind;
	r->size = (uint16_t)size;
	r->flags = flags;
	r->calls = st->calls;
	r->sum_ns = st->sum_ns;
	r->inclusive_ns = st->inclusive_ns;
	r->self_ns = st->self_ns;
	r->min_ns = st->min_ns;
	r->max_ns = st->max_ns;
	r->abandoned = st->abandoned;
	r->rss_sum_kib = st->rss_sum_kib;
	r->rss_max_kib = st->rss_max_kib;
	/* buckets + hist_dropped == calls, as format.h has it (a torn record
	 * of an input may have left them a call apart) */
	r->hist_dropped = st->calls > in_hist ? st->calls - in_hist : 0;
	r->module = e->kind == PPF_KIND_FUNCTION && e->module >= 0 ? (uint32_t)e->module + 1 : 0;
	if (w->rec_size == sizeof(*r)) {	/* not a flat dump's (version 2) */
		r->parent = parent;
		r->cpu_ns = st->cpu_ns;
		r->cpu_wall_ns = st->cpu_wall_ns;
		r->outer_calls = st->outer_calls;
	}
	if (e->kind == PPF_KIND_ENDPOINT) {
		struct ppf_endpoint_tail *tail = (void *)((char *)r + w->rec_size);

		memcpy(tail->status, st->status, sizeof(tail->status));
		tail->slow = st->slow;
	}
	/* linked in the order written, so that a reader meets the nodes (and
	 * numbers the paths) in the order of prof->paths */
	if (w->last)
		((struct ppf_record *)(w->o.buf + w->last))->next = off;
	else
		w->first = off;
	w->last = off;
	return off;
}

/* The header of the merged dump, from the processes (dumpout.h says what). */
static void fill_header(struct ppf_header *h, const struct pp_profile *prof)
{
	uint64_t wall = 0, start_rt = 0;
	uint32_t flags = PPF_FLAG_COMPLETE;

	for (size_t i = 0; i < prof->nprocs; i++) {
		const struct pp_process *p = &prof->procs[i];

		wall = p->wall_ns > wall ? p->wall_ns : wall;
		if (!start_rt || (p->start_realtime_ns && p->start_realtime_ns < start_rt))
			start_rt = p->start_realtime_ns;
		if (!(p->flags & PPF_FLAG_COMPLETE))
			flags = 0;
		h->dropped_functions = pp_sat_add(h->dropped_functions, p->dropped_functions);
		h->stack_overflows = pp_sat_add(h->stack_overflows, p->stack_overflows);
		h->abandoned_frames = pp_sat_add(h->abandoned_frames, p->abandoned_frames);
		h->unmatched_exits = pp_sat_add(h->unmatched_exits, p->unmatched_exits);
		h->threads_dropped = pp_sat_add(h->threads_dropped, p->threads_dropped);
		h->threads_seen = pp_sat_add(h->threads_seen, p->threads_seen);
		h->hist_dropped = pp_sat_add(h->hist_dropped, p->hist_dropped);
		h->strings_dropped = pp_sat_add(h->strings_dropped, p->strings_dropped);
		h->requests = pp_sat_add(h->requests, p->requests);
		h->rss_kib = p->rss_kib > h->rss_kib ? p->rss_kib : h->rss_kib;
		h->rss_peak_kib = p->rss_peak_kib > h->rss_peak_kib ? p->rss_peak_kib :
				  h->rss_peak_kib;
		if (!h->slow_threshold_ns)
			h->slow_threshold_ns = p->slow_threshold_ns;
		if (!h->ticks_per_sec)
			h->ticks_per_sec = p->ticks_per_sec;
	}
	memcpy(h->magic, PPF_MAGIC, PPF_MAGIC_LEN);
	h->version = PPF_VERSION;
	h->header_size = sizeof(*h);
	h->flags = flags;
	h->start_realtime_ns = start_rt;
	h->start_ns = 1;		/* not 0: stop - start is the wall time */
	h->stop_ns = 1 + wall;
	h->last_ns = h->stop_ns;
	h->paths_cut = prof->paths_cut;
	if (prof->nprocs)
		snprintf(h->cmdline, sizeof(h->cmdline), "%s", prof->procs[0].cmdline);
}

/* Builds the merged dump into w->o; 0, or -1 with the reason in err. */
static int build(struct writer *w, char *err, size_t errlen)
{
	const struct pp_profile *prof = w->prof;
	struct strtab st = { 0 };
	uint64_t *load_addr = calloc(prof->nmodules + 1, sizeof(uint64_t));
	uint64_t *hi = calloc(prof->nmodules + 1, sizeof(uint64_t));
	uint32_t *name_off = calloc(prof->nentries + 1, sizeof(uint32_t));
	uint64_t *path_rec = NULL, mod_off, thr_off, str_off, cache_off;
	int rc = -1, paths = paths_complete(prof);

	if (!load_addr || !hi || !name_off ||
	    (paths && !(path_rec = calloc(prof->npaths, sizeof(uint64_t))))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (lay_out_modules(prof, load_addr, hi)) {
		snprintf(err, errlen, "the functions' addresses do not fit in one dump");
		goto out;
	}
	for (size_t i = 0; i < prof->nentries; i++)
		if (prof->entries[i]->kind != PPF_KIND_FUNCTION &&
		    (name_off[i] = str_add(&st, prof->entries[i]->name)) == UINT32_MAX)
			goto oom;
	for (size_t i = 0; i < prof->ncaches; i++)
		if (str_add(&st, prof->caches[i].name) == UINT32_MAX)
			goto oom;
	w->load_addr = load_addr;
	w->name_off = name_off;
	out_alloc(&w->o, sizeof(struct ppf_header), 64);
	mod_off = out_alloc(&w->o, prof->nmodules * sizeof(struct ppf_module), 64);
	thr_off = out_alloc(&w->o, sizeof(struct ppf_thread), 64);
	str_off = out_alloc(&w->o, st.used, 64);
	cache_off = out_alloc(&w->o, prof->ncaches * sizeof(struct ppf_cache), 64);
	if (w->o.oom)
		goto oom;
	fill_header(hdr(&w->o), prof);
	w->rec_size = paths ? sizeof(struct ppf_record) : PPF_RECORD_SIZE_V2;
	if (!paths)
		hdr(&w->o)->version = 2;
	for (size_t j = 0; j < prof->nmodules; j++) {
		struct ppf_module *m = (struct ppf_module *)(w->o.buf + mod_off) + j;
		const struct pp_module *pm = &prof->modules[j];

		m->load_addr = load_addr[j];
		m->lo = load_addr[j];
		m->hi = hi[j];
		m->build_id_len = pm->build_id_len;
		memcpy(m->build_id, pm->build_id, pm->build_id_len);
		snprintf(m->path, sizeof(m->path), "%s", pm->path);
	}
	if (st.used)
		memcpy(w->o.buf + str_off, st.s, st.used);
	uint32_t s = 0;

	for (size_t i = 0; i < prof->ncaches; i++) {
		const struct pp_cache *c = &prof->caches[i];
		struct ppf_cache *pc = (struct ppf_cache *)(w->o.buf + cache_off) + i;

		while (s < st.used && strcmp(st.s + s, c->name) != 0)
			s += (uint32_t)strlen(st.s + s) + 1;
		*pc = (struct ppf_cache){ .name = s, .state = c->live ? PPF_CACHE_LIVE :
				PPF_CACHE_FREED, .hits = c->hits, .misses = c->misses, .sets = c->sets,
			.deletes = c->deletes, .evictions = c->evictions,
			.expirations = c->expirations, .size = c->size, .max_size = c->max_size,
			.bytes = c->bytes, .max_bytes = c->max_bytes };
	}
	/* paths: parents come before their children in prof->paths */
	for (size_t i = 0; paths && i < prof->npaths; i++) {
		const struct pp_path *p = prof->paths[i];

		if (!(path_rec[i] = put_record(w, prof->entries[p->entry], &p->st,
					       p->parent ? path_rec[p->parent - 1] : 0,
					       p->cut ? PPF_REC_CUT : 0)))
			goto oom;
	}
	for (size_t i = 0; !paths && i < prof->nentries; i++)
		if (!put_record(w, prof->entries[i], prof->entries[i], 0, 0))
			goto oom;
	struct ppf_header *h = hdr(&w->o);
	struct ppf_thread *t = (struct ppf_thread *)(w->o.buf + thr_off);

	h->used_size = w->o.used;
	h->reserved_size = w->o.used;
	h->module_off = mod_off;
	h->module_cap = h->module_count = (uint32_t)prof->nmodules;
	h->thread_off = thr_off;
	h->thread_cap = h->thread_count = 1;
	h->strtab_off = str_off;
	h->strtab_cap = h->strtab_used = (uint32_t)st.used;
	h->cache_off = cache_off;
	h->cache_cap = h->cache_count = (uint32_t)prof->ncaches;
	h->paths = paths ? prof->npaths : 0;
	t->state = PPF_THREAD_PROCESS;
	t->records = w->first;
	t->record_count = paths ? prof->npaths : prof->nentries;
	snprintf(t->name, sizeof(t->name), "merged");
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(st.s);
	free(load_addr);
	free(hi);
	free(name_off);
	free(path_rec);
	return rc;
}

int dumpout_merge(const char *path, const struct pp_profile *prof, struct sym_cache *sc,
		  char *err, size_t errlen)
{
	struct writer w = { .prof = prof };
	struct ppc_names names;
	int rc = -1;

	ppc_names_init(&names);
	if (prof->nmodules > UINT32_MAX / 2 || build(&w, err, errlen))
		goto out;
	if (dumpout_names(prof, sc, (const struct ppf_module *)(w.o.buf + hdr(&w.o)->module_off),
			  hdr(&w.o)->module_count, &names)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (ppc_names_write_file(path, w.o.buf, w.o.used, &names)) {
		snprintf(err, errlen, "%s", errno == EEXIST ? "exists; not replaced"
			 " (paraprof-report writes a new file)" : strerror(errno));
		goto out;
	}
	rc = 0;
out:
	ppc_names_free(&names);
	free(w.o.buf);
	return rc;
}
