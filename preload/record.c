/* record.c - the records of a thread area: lookup tables, creation,
 * histogram pages, clearing, and folding an exiting thread into area 0
 *
 * Each thread area of the segment holds a linked list of records (struct
 * ppf_record, one per function, region, span or endpoint) written by its one
 * owner.  Private memory kept with the area (struct area_priv) maps a key to
 * its record with an open-addressing table, so that the hooks find a
 * function's record with one probe.  When a thread's area is folded (at a
 * later thread's exit, past PARAPROF_MAX_THREADS kept: hooks.c), its
 * records are added into area 0's (the process area) under the process lock
 * and zeroed, and the area waits for the next thread: the segment stays
 * bounded by the number of threads alive at once plus those kept.  Nothing
 * here runs in a signal handler's context (hooks.c queues what handlers
 * record, see there).
 */
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "common/record.h"

#define TABLE_MIN 256			/* lookup slots to start with */
#define CUT_PARENT ((struct ppf_record *)1)	/* table parent of cut records */

struct area_priv *rec_priv;		/* [REC_AREA_MAX], private memory */

void *rec_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- lookup tables ---- */

int rec_table_grow(struct area_priv *a)
{
	uint32_t slots = a->tab ? (a->mask + 1) * 2 : TABLE_MIN;
	struct slot *tab = rec_map(slots * sizeof(struct slot));
	unsigned shift = 64 - (unsigned)__builtin_ctz(slots);

	if (!tab)
		return -1;
	for (uint32_t i = 0; a->tab && i <= a->mask; i++)
		if (a->tab[i].key)
			*rec_probe(tab, shift, slots - 1, a->tab[i].key, a->tab[i].parent) = a->tab[i];
	if (a->tab)
		munmap(a->tab, (a->mask + 1) * sizeof(struct slot));
	a->tab = tab;
	a->mask = slots - 1;
	a->shift = shift;
	return 0;
}

int rec_table_insert(struct area_priv *a, uintptr_t key, struct ppf_record *parent,
		     struct ppf_record *rec)
{
	if ((!a->tab || (a->count + 1) * 2 > a->mask + 1) && rec_table_grow(a) < 0)
		return -1;
	struct slot *s = rec_probe(a->tab, a->shift, a->mask, key, parent);

	s->key = key;
	s->parent = parent;
	s->rec = rec;
	a->count++;
	return 0;
}

void rec_table_drop_unloaded(struct area_priv *a)
{
	const struct ppf_header *h = seg_header();
	const struct ppf_module *mods = seg_ptr(h->module_off);
	uint32_t nmods = __atomic_load_n(&h->module_count, __ATOMIC_ACQUIRE);
	struct area_priv keep = { 0 };

	if (!a->tab)
		return;
	/* rebuilt rather than deleted from: open addressing has no holes */
	for (uint32_t i = 0; i <= a->mask; i++) {
		const struct ppf_record *r = a->tab[i].rec;

		if (!a->tab[i].key)
			continue;
		if ((r->kind == PPF_KIND_FUNCTION || r->kind == PPF_KIND_SAMPLE) && r->module &&
		    r->module <= nmods &&
		    __atomic_load_n(&mods[r->module - 1].unloaded, __ATOMIC_ACQUIRE))
			continue;	/* its address may be another module's now */
		if (rec_table_insert(&keep, a->tab[i].key, a->tab[i].parent, a->tab[i].rec) < 0) {
			if (keep.tab)
				munmap(keep.tab, (keep.mask + 1) * sizeof(struct slot));
			return;		/* no memory: keep the old table */
		}
	}
	munmap(a->tab, (a->mask + 1) * sizeof(struct slot));
	if (!keep.tab && rec_table_grow(&keep) < 0) {
		a->tab = NULL;
		a->count = 0;
		return;
	}
	a->tab = keep.tab;
	a->mask = keep.mask;
	a->shift = keep.shift;
	a->count = keep.count;
}

/* ---- records ---- */

struct ppf_record *rec_new(struct ppf_thread *area, unsigned kind, uint64_t key, uint32_t module,
			   const struct ppf_record *parent)
{
	/* an endpoint's record (area 0's, made by a fold) carries its tail */
	size_t size = sizeof(struct ppf_record) +
		      (kind == PPF_KIND_ENDPOINT ? sizeof(struct ppf_endpoint_tail) : 0);
	uint64_t off = seg_area_alloc(area, size, 8);
	struct ppf_record *r;

	if (!off)
		return NULL;
	r = seg_ptr(off);
	r->key = key;
	r->kind = (uint16_t)kind;
	r->size = (uint16_t)size;
	r->module = module;
	r->min_ns = UINT64_MAX;
	r->parent = parent ? (uint64_t)((const char *)parent - seg_base) : 0;
	r->next = area->records;
	/* count first, then publish: a reader never walks more than the count */
	__atomic_store_n(&area->record_count, area->record_count + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&area->records, off, __ATOMIC_RELEASE);
	return r;
}

struct ppf_record *rec_node(struct area_priv *a, struct ppf_thread *area, unsigned kind,
			    uint64_t key, uint32_t module, uintptr_t tkey,
			    struct ppf_record *parent)
{
	struct ppf_header *h = seg_header();
	struct slot *s = rec_probe(a->tab, a->shift, a->mask, tkey, parent);
	struct ppf_record *r = NULL, *up;

	if (s->key == tkey && s->rec->key == key && s->rec->kind == kind &&
	    s->rec->module == module)
		return s->rec;
	/* an ancestor of the same function: recursion stays on its node */
	for (up = parent == CUT_PARENT ? NULL : parent; up && !r;
	     up = up->parent ? seg_ptr(up->parent) : NULL)
		if (up->kind == kind && up->key == key && up->module == module)
			r = up;
	if (parent == CUT_PARENT ||
	    (!r && __atomic_load_n(&h->paths, __ATOMIC_RELAXED) >= h->max_paths)) {
		/* past the cap: the area's cut record of the key (the thread
		 * counted it when it cut the path) */
		if (parent != CUT_PARENT)
			__atomic_fetch_add(&h->paths_cut, 1, __ATOMIC_RELAXED);
		s = rec_probe(a->tab, a->shift, a->mask, tkey, CUT_PARENT);
		if (s->key == tkey) {
			r = s->rec;
		} else if ((r = rec_new(area, kind, key, module, NULL))) {
			r->flags = PPF_REC_CUT;
			if (rec_table_insert(a, tkey, CUT_PARENT, r) < 0)
				return NULL;
		}
		if (parent == CUT_PARENT)
			return r;
	} else if (!r && (r = rec_new(area, kind, key, module, parent))) {
		__atomic_fetch_add(&h->paths, 1, __ATOMIC_RELAXED);
	}
	if (!r || rec_table_insert(a, tkey, parent, r) < 0)
		return NULL;
	return r;
}

uint32_t rec_hist_page(struct ppf_thread *area, struct ppf_record *r, unsigned p)
{
	uint64_t off;

	if (!seg_base || (char *)r < seg_base ||
	    (char *)r >= seg_base + seg_header()->reserved_size)
		return 0;		/* a private sink has no pages */
	off = seg_area_alloc(area, PPF_PAGE_BYTES, PPF_PAGE_BYTES);
	if (!off) {
		__atomic_fetch_add(&seg_header()->hist_dropped, 1, __ATOMIC_RELAXED);
		return 0;
	}
	__atomic_store_n(&r->pages[p], (uint32_t)(off / PPF_PAGE_BYTES), __ATOMIC_RELEASE);
	return (uint32_t)(off / PPF_PAGE_BYTES);
}

/* Area 0's node for the thread record `r` whose parent's node in area 0 is
 * `parent` (NULL: a root); the process lock is held.  Area 0's table key
 * packs (kind, module, key) into one word (a function's address is below
 * 2^47 in user space); the node's own fields are checked on a hit. */
static struct ppf_record *process_node(const struct ppf_record *r, struct ppf_record *parent)
{
	struct area_priv *a = &rec_priv[0];
	uintptr_t k = r->key ^ ((uint64_t)r->kind << 61) ^ ((uint64_t)r->module << 47);

	if (!a->tab && rec_table_grow(a) < 0)
		return NULL;
	return rec_node(a, seg_thread(0), r->kind, r->key, r->module, k,
			(r->flags & PPF_REC_CUT) ? CUT_PARENT : parent);
}

/* Adds record `r` into `m` (area 0).  Samples that find no histogram page
 * for `m` are counted as dropped in `m`. */
static void merge_record(struct ppf_record *m, const struct ppf_record *r)
{
	m->seq++;
	pp_wmb();
	/* r has calls (rec_fold_area merges no other), so its min_ns counts */
	ppc_record_add(m, r);
	if (r->pending) {
		/* r's last call, not in its histogram yet: into m's */
		unsigned b = r->pending - 1;

		if (m->pages[b >> PPF_SUB_BITS] || rec_hist_page(seg_thread(0), m, b >> PPF_SUB_BITS))
			((struct ppf_hist_page *)seg_ptr((uint64_t)m->pages[b >> PPF_SUB_BITS] *
							 PPF_PAGE_BYTES))->count[b & (PPF_SUB - 1)]++;
		else
			m->hist_dropped++;
	}
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		const struct ppf_hist_page *src;
		struct ppf_hist_page *dst;

		if (!r->pages[p])
			continue;
		src = seg_ptr((uint64_t)r->pages[p] * PPF_PAGE_BYTES);
		if (!m->pages[p] && !rec_hist_page(seg_thread(0), m, p)) {
			for (unsigned i = 0; i < PPF_SUB; i++)
				m->hist_dropped += src->count[i];
			continue;
		}
		dst = seg_ptr((uint64_t)m->pages[p] * PPF_PAGE_BYTES);
		for (unsigned i = 0; i < PPF_SUB; i++)
			dst->count[i] += src->count[i];
	}
	pp_wmb();
	m->seq++;
}

/* Zeroes a record's statistics under its seqlock, setting `flags`; its
 * depth (frames still active) stays. */
static void zero_record(struct ppf_record *r, uint32_t flags)
{
	r->seq++;
	pp_wmb();
	r->flags = flags;
	r->calls = r->sum_ns = r->inclusive_ns = r->self_ns = r->abandoned = 0;
	r->rss_sum_kib = r->rss_max_kib = r->hist_dropped = r->max_ns = 0;
	r->cpu_ns = r->cpu_wall_ns = r->outer_calls = 0;
	r->min_ns = UINT64_MAX;
	r->pending = 0;
	if (r->kind == PPF_KIND_ENDPOINT && r->size >= sizeof(*r) + sizeof(struct ppf_endpoint_tail))
		memset(r + 1, 0, sizeof(struct ppf_endpoint_tail));
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		if (r->pages[p])
			memset(seg_ptr((uint64_t)r->pages[p] * PPF_PAGE_BYTES), 0, PPF_PAGE_BYTES);
	pp_wmb();
	r->seq++;
}

void rec_clear_area(struct ppf_thread *area, uint32_t gen)
{
	for (uint64_t off = area->records; off; off = ((struct ppf_record *)seg_ptr(off))->next) {
		struct ppf_record *r = seg_ptr(off);

		if (!(r->flags & PPF_REC_FOLDED))
			zero_record(r, r->flags & (PPF_REC_CUT | PPF_REC_CPU));
	}
	__atomic_store_n(&area->cleared_gen, gen, __ATOMIC_RELEASE);
}

void rec_clear_process_area(void)
{
	uint32_t gen = __atomic_load_n(&seg_header()->clear_gen, __ATOMIC_ACQUIRE);

	if (seg_thread(0)->cleared_gen != gen)
		rec_clear_area(seg_thread(0), gen);
}

/* Thread record -> its node in area 0, during a fold: open addressing over
 * private memory. */
struct fold_map {
	struct { const struct ppf_record *from; struct ppf_record *to; } *slot;
	uint64_t mask;
};

static struct ppf_record **fold_slot(struct fold_map *fm, const struct ppf_record *from)
{
	uint64_t i = ((uintptr_t)from * REC_GOLDEN >> 20) & fm->mask;

	while (fm->slot[i].from && fm->slot[i].from != from)
		i = (i + 1) & fm->mask;
	fm->slot[i].from = from;
	return &fm->slot[i].to;
}

int rec_fold_area(struct ppf_thread *area)
{
	struct ppf_header *h = seg_header();
	int complete = 1;
	uint64_t n = area->record_count, k = 0;
	struct fold_map fm = { NULL, 0 };
	const struct ppf_record **order = NULL;
	size_t order_len = n * sizeof(*order), map_len;

	/* an area that has not seen the last clear holds nothing to keep */
	int stale = area->cleared_gen != __atomic_load_n(&h->clear_gen, __ATOMIC_ACQUIRE);

	/* Parents before children: the list is newest first, and a node's
	 * parent is older than the node.  Without memory for the order and the
	 * map, every record folds as a root (its path is lost, its function's
	 * figures are not). */
	for (map_len = 16; map_len < 2 * n * sizeof(*fm.slot); map_len *= 2)
		;
	if (n && (order = rec_map(order_len)) && (fm.slot = rec_map(map_len)))
		fm.mask = map_len / sizeof(*fm.slot) - 1;
	for (uint64_t off = area->records; order && fm.slot && off && k < n;
	     off = ((struct ppf_record *)seg_ptr(off))->next)
		order[n - 1 - k++] = seg_ptr(off);

	seg_process_lock();
	rec_clear_process_area();
	__atomic_store_n(&h->fold_seq, h->fold_seq + 1, __ATOMIC_RELEASE);
	for (uint64_t i = n - k; !stale && order && fm.slot && i < n; i++) {
		const struct ppf_record *r = order[i];
		struct ppf_record *parent = NULL;

		if (r->parent && !(r->flags & PPF_REC_CUT))
			parent = *fold_slot(&fm, seg_ptr(r->parent));
		*fold_slot(&fm, r) = process_node(r, parent);
	}
	for (uint64_t off = area->records; off; off = ((struct ppf_record *)seg_ptr(off))->next) {
		struct ppf_record *r = seg_ptr(off), *m;

		if (r->flags & PPF_REC_FOLDED)
			continue;
		if (r->calls && !stale) {
			m = fm.slot ? *fold_slot(&fm, r) : NULL;
			if (!m)
				m = process_node(r, NULL);
			if (!m) {
				complete = 0;
				continue;
			}
			merge_record(m, r);
		}
		zero_record(r, PPF_REC_FOLDED | (r->flags & (PPF_REC_CUT | PPF_REC_CPU)));
		r->depth = 0;
	}
	__atomic_store_n(&h->fold_seq, h->fold_seq + 1, __ATOMIC_RELEASE);
	seg_process_unlock();
	if (order)
		munmap(order, order_len);
	if (fm.slot)
		munmap(fm.slot, map_len);
	return complete;
}

void rec_forget(void)
{
	for (unsigned i = 0; rec_priv && i < REC_AREA_MAX; i++) {
		if (rec_priv[i].tab)
			munmap(rec_priv[i].tab, (rec_priv[i].mask + 1) * sizeof(struct slot));
		rec_priv[i].tab = NULL;
		rec_priv[i].count = 0;
		rec_priv[i].owner = NULL;
	}
}
