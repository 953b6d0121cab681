/* load_merge.c - checking each record of a dump and adding it into a profile
 *
 * Records are salvaged one by one.  Each record is checked for every
 * histogram page offset, its name offset into the string table (functions:
 * its module), min <= max, and its histogram against its call count
 * (buckets + (pending != 0) + hist_dropped == calls, off by one allowed
 * when its seqlock was odd, i.e. it was torn by a crash; kept, and counted
 * as torn, when it passes); a record that fails any check is left out
 * whole, with one note ("SOURCE: record of <what> (thread T, at OFF)
 * dropped: <why>"), and everything else is kept.  Records flagged
 * PPF_REC_FOLDED are skipped, as format.h says.
 *
 * A dump is validated and merged in one pass over its records, for speed
 * (a dump of 1.6 M records is read once); a record is fully checked before
 * any of it is added, so only running out of memory stops a merge halfway.
 * Memory used is O(len): the visited bitmap (len/64), the entries, each
 * made from a record of at least 360 bytes, and as many call-path nodes at
 * most (a second walk adds each record into its path node), and their histogram pages, each
 * made from a page of the dump.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "load_priv.h"
#include "profile.h"
#include "search.h"
#include "symbols.h"

struct mod_range {
	uint64_t lo, hi, load_addr;	/* runtime addresses */
	int index;			/* in the profile's modules[] */
	uint32_t entry;			/* in the dump's module table */
	uint32_t unloaded;		/* dlclose()d: another may have its range */
};

struct path_memo;

struct merge_ctx {
	struct pp_profile *prof;
	struct pp_process *proc;
	struct mod_range *mods;		/* with an executable range, sorted by lo */
	int *module_index;		/* [i]: the profile's module of entry i */
	const struct pp_module *modules;/* the profile's (a walker's own profile
					   has none): none is added during a walk */
	uint32_t nmods;
	struct mod_range *entries;	/* [i]: module-table entry i */
	uint32_t nentries;
	struct load_names names;	/* the dump's names table (may be empty) */
	int paths;			/* the second walk: into path nodes */
	struct path_memo *memo;		/* of that walk */
	uint8_t *skip;			/* [thread_count], 1: an area --thread leaves
					   out; NULL: none is */
	struct pp_profile **thr;	/* [thread_count]: the profile each area's
					   records also go into (per thread); NULL */
	uint32_t *sel_tids;		/* --thread: the tids of the areas taken, for
					   the slowest calls; nsel of them */
	uint32_t nsel;
};

static int cmp_range(const void *a, const void *b)
{
	const struct mod_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The module whose executable range holds `addr`, or NULL.  When several
 * do (a library dlclose()d and another loaded at its address), the one
 * still loaded, else the newest entry. */
static const struct mod_range *find_module(const struct merge_ctx *m, uint64_t addr)
{
	const struct mod_range *best = NULL;
	uint32_t lo = (uint32_t)search_above(m->mods, m->nmods, sizeof(m->mods[0]),
					     offsetof(struct mod_range, lo), addr);

	/* lo is the first range starting above addr; ranges may nest or
	 * repeat after a dlopen refresh, so look back over the few candidates. */
	for (uint32_t i = lo; i-- > 0 && lo - i <= 8;) {
		const struct mod_range *c = &m->mods[i];

		if (addr < c->hi && (!best || (best->unloaded && !c->unloaded) ||
				     (best->unloaded == c->unloaded && c->entry > best->entry)))
			best = c;
	}
	return best;
}

/* Where a function record's key lies: *module (index in the profile's
 * modules, -1 = none) and *offset (ELF address, or the runtime address when
 * there is no module).  A record that says which module-table entry it was
 * made in (record.module, format version 2) is placed there, whether that
 * module was unloaded later or not: after a dlclose another library may
 * have the same addresses.  Returns 0, or -1 when record.module names no
 * entry or one whose range does not hold the key (the record is damaged). */
static int func_place(const struct merge_ctx *m, const struct ppf_record *r, int *module,
		      uint64_t *offset)
{
	const struct mod_range *mr;

	if (r->module) {
		if (r->module > m->nentries)
			return -1;
		mr = &m->entries[r->module - 1];
		if (r->key < mr->lo || r->key >= mr->hi)
			return -1;
	} else {
		mr = find_module(m, r->key);
	}
	*module = mr ? mr->index : -1;
	*offset = mr ? r->key - mr->load_addr : r->key;
	return 0;
}

/* The file name of a module path (what names are matched by, with the
 * symbol: the same program installed elsewhere is the same module). */
static const char *modname(const char *path)
{
	const char *base = strrchr(path, '/');

	return base ? base + 1 : path;
}

struct sym_cache *load_sym_cache;
static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;

/* The symbol of the function at `offset` of module `module` (of `modules`,
 * the profile's) in its file (load_sym_cache), *nth its number among the
 * file's functions of that name (format.h), *demangled its demangled
 * form; NULL when there is no cache, no module, or no symbol there.  The
 * strings live as long as the cache. */
static const char *binary_name(const struct pp_module *modules, int module, uint64_t offset,
			       uint32_t *nth, const char **demangled)
{
	const struct pp_module *pm;
	const char *sym = NULL;

	if (!load_sym_cache || module < 0)
		return NULL;
	pm = &modules[module];
	pthread_mutex_lock(&sym_lock);
	*demangled = sym_lookup_mangled(load_sym_cache, pm->path, pm->build_id, pm->build_id_len,
					offset, &sym);
	*nth = sym ? sym_nth(load_sym_cache, pm->path, offset) : 0;
	pthread_mutex_unlock(&sym_lock);
	return sym;
}

/* Leaves the record at `off` out: one note naming it and what was wrong.
 * Returns 1, or -1 when memory runs out. */
static int drop(struct load_dump *d, const struct merge_ctx *m, uint32_t thread, uint64_t off,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int drop(struct load_dump *d, const struct merge_ctx *m, uint32_t thread, uint64_t off,
		const char *fmt, ...)
{
	const struct ppf_record *r = (const void *)(d->buf + off);
	char what[300], who[400], why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->kind == PPF_KIND_FUNCTION || r->kind == PPF_KIND_SAMPLE) {
		int module;
		uint64_t offset;

		if (func_place(m, r, &module, &offset) == 0 && module >= 0) {
			const char *path = m->modules[module].path, *base = strrchr(path, '/');

			snprintf(who, sizeof(who), "%s %s+%#" PRIx64, pp_kind_name(r->kind),
				 base ? base + 1 : path, offset);
		} else {
			snprintf(who, sizeof(who), "%s at %#" PRIx64, pp_kind_name(r->kind), r->key);
		}
	} else {
		const char *name = load_name_at(d, r->key, why, sizeof(why));

		if (name)
			snprintf(who, sizeof(who), "%s \"%.200s\"", pp_kind_name(r->kind), name);
		else
			snprintf(who, sizeof(who), "%s with name offset %" PRIu64,
				 pp_kind_name(r->kind), r->key);
	}
	d->dropped++;
	if (load_note(d, "record of %s (thread %" PRIu32 ", at %#" PRIx64 ") dropped: %s", who,
		 thread, off, what))
		return -1;
	return 1;
}

/* The entry of the record `r` (created when new), or NULL when its key
 * cannot be placed (a function outside its module, a bad name offset) or
 * memory runs out (*oom set). */
static struct pp_entry *entry_of(struct load_dump *d, const struct merge_ctx *m,
				 const struct ppf_record *r, int *oom)
{
	struct pp_entry *e;
	char why[128];

	*oom = 0;
	if (r->kind == PPF_KIND_SAMPLE)
		return NULL;		/* no entry: what its parent's self time holds */
	if (r->kind == PPF_KIND_FUNCTION) {
		int module;
		uint64_t offset;

		const struct load_name *n;
		const char *sym, *dem;
		uint32_t nth;

		if (func_place(m, r, &module, &offset))
			return NULL;
		/* named by the dump (else by the binary): matched across dumps
		 * and builds by name */
		if ((n = load_names_find(&m->names, module, offset)))
			e = pp_profile_function(m->prof, module, offset,
						module >= 0 ? modname(m->modules[module].path) : "",
						n->symbol, n->nth, n->demangled);
		else if ((sym = binary_name(m->modules, module, offset, &nth, &dem)))
			e = pp_profile_function(m->prof, module, offset,
						modname(m->modules[module].path), sym, nth, dem);
		else
			e = pp_profile_entry(m->prof, PPF_KIND_FUNCTION, module, offset, NULL);
	} else {
		const char *name = load_name_at(d, r->key, why, sizeof(why));

		if (!name)
			return NULL;
		e = pp_profile_entry(m->prof, r->kind, -1, 0, name);
	}
	*oom = !e;
	return e;
}

/* Adds the record `r` (checked), its histogram and its endpoint tail, into
 * `e`.  0, or -1 when memory runs out. */
/* Adds the histogram of `r` to h, each call moved down by shift ns (the
 * middle of its bucket, less shift, never below 0). */
static int add_shifted(const struct load_dump *d, const struct ppf_record *r, uint64_t shift,
		       struct pp_hist *h)
{
	uint64_t counts[PPF_HIST_PAGES][PPF_SUB];
	uint64_t present = 0;

	memset(counts, 0, sizeof(counts));
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		const uint64_t *c = (const void *)(d->buf + (uint64_t)r->pages[p] * PPF_PAGE_BYTES);

		for (unsigned i = 0; r->pages[p] && i < PPF_SUB; i++) {
			uint64_t v = ppf_bucket_value(p * PPF_SUB + i);
			unsigned b = ppf_bucket(v > shift ? v - shift : 0);

			if (!c[i])
				continue;
			counts[b / PPF_SUB][b % PPF_SUB] = pp_sat_add(counts[b / PPF_SUB][b % PPF_SUB],
								    c[i]);
			present |= 1ull << (b / PPF_SUB);
		}
	}
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		if (present >> p & 1 && pp_hist_add_page(h, p, counts[p], NULL))
			return -1;
	return 0;
}

static uint64_t less(uint64_t v, uint64_t by)
{
	return v > by ? v - by : 0;
}

static int add_record(const struct load_dump *d, const struct ppf_record *r, int torn,
		      struct pp_entry *e)
{
	const struct load_comp_adj *adj = load_comp_find(d->comp,
							 (uint64_t)((const unsigned char *)r - d->buf));
	uint64_t shift = adj ? adj->shift_ns : 0;

	if (shift) {
		if (add_shifted(d, r, shift, &e->hist))
			return -1;
	} else {
		for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
			if (r->pages[p] && pp_hist_add_page(&e->hist, p, (const void *)(d->buf +
					(uint64_t)r->pages[p] * PPF_PAGE_BYTES), NULL))
				return -1;
	}
	if (r->pending && pp_hist_add_value(&e->hist, shift ?
					    less(ppf_bucket_value(r->pending - 1), shift) :
					    ppf_bucket_lower(r->pending - 1), 1))
		return -1;
	/* The record as an entry of its own (min and max only when it has
	 * calls: a record without any may hold anything there). */
	struct pp_entry add = {
		.records = 1, .torn = (uint64_t)torn, .calls = r->calls, .sum_ns = r->sum_ns,
		.inclusive_ns = r->inclusive_ns, .self_ns = r->self_ns,
		.min_ns = r->calls ? r->min_ns : UINT64_MAX, .max_ns = r->calls ? r->max_ns : 0,
		.abandoned = r->abandoned, .rss_sum_kib = r->rss_sum_kib,
		.rss_max_kib = r->rss_max_kib, .hist_dropped = r->hist_dropped,
	};

	add.outer_calls = d->rec_size >= sizeof(struct ppf_record) ?	/* version >= 5 */
			  (r->outer_calls < r->calls ? r->outer_calls : r->calls) : r->calls;
	if (adj) {
		add.inclusive_ns = less(add.inclusive_ns, adj->incl_ns);
		add.self_ns = less(add.self_ns, adj->self_ns);
		add.sum_ns = less(add.sum_ns, adj->sum_ns);
		if (r->calls) {
			add.min_ns = less(add.min_ns, shift);
			add.max_ns = less(add.max_ns, shift);
		}
	}
	if (d->rec_size >= PPF_RECORD_SIZE_V4) {	/* version >= 4 */
		/* within the calls' time, and CPU within that (a torn or
		 * hostile record may say more) */
		add.cpu_wall_ns = r->cpu_wall_ns < r->sum_ns ? r->cpu_wall_ns : r->sum_ns;
		add.cpu_ns = r->cpu_ns < add.cpu_wall_ns ? r->cpu_ns : add.cpu_wall_ns;
	}
	if (r->kind == PPF_KIND_ENDPOINT) {
		const struct ppf_endpoint_tail *tail = (const void *)((const char *)r +
								      d->rec_size);

		memcpy(add.status, tail->status, sizeof(add.status));
		add.slow = tail->slow;
	}
	pp_entry_add(e, &add);
	return 0;
}

static struct pp_path *path_of(struct load_dump *d, struct merge_ctx *m, uint64_t off,
			       struct pp_entry *e);

static const struct ppf_record *link_target(const struct load_dump *d, uint64_t off);

/*
 * A CPU sample record `r` (checked: its key is in its module) as a
 * pp_sample of its parent's entry: the parent's own code when it has the
 * parent's key (or is a part gcc split off the parent: a symbol of the
 * parent's name and a suffix, foo.cold), else the function of its key,
 * named by the dump's names table or the binary.  A sample whose parent is not a record (a cut one,
 * a damaged link) or is another sample is left out: its self time is no
 * one's.  0, or -1 when memory runs out.
 */
static int merge_sample(struct load_dump *d, struct merge_ctx *m, const struct ppf_record *r)
{
	const struct ppf_record *pr = (r->flags & PPF_REC_CUT) || !r->parent ? NULL :
				      link_target(d, r->parent);
	struct pp_sample s = { .samples = r->calls, .ns = r->sum_ns, .module = -1 };
	const struct load_name *n;
	const char *sym, *dem;
	struct pp_entry *owner;
	uint32_t nth;
	int oom = 0;

	if (!pr || !r->calls)
		return 0;
	if (!(owner = entry_of(d, m, pr, &oom)))
		return oom ? load_fail(d, "out of memory") : 0;
	s.entry = owner->index;
	if (pr->kind == PPF_KIND_FUNCTION && pr->key == r->key && pr->module == r->module) {
		s.own = 1;
	} else if (func_place(m, r, &s.module, &s.offset) == 0) {
		sym = dem = NULL;
		if ((n = load_names_find(&m->names, s.module, s.offset))) {
			sym = n->symbol;
			dem = n->demangled;
		} else {
			sym = binary_name(m->modules, s.module, s.offset, &nth, &dem);
		}
		s.name = dem ? dem : sym;
		/* a part gcc split off the function (foo.cold, foo.part.0) is
		 * its own code too */
		if (sym && owner->symbol && pr->kind == PPF_KIND_FUNCTION &&
		    !strncmp(sym, owner->symbol, strlen(owner->symbol)) &&
		    sym[strlen(owner->symbol)] == '.')
			s.own = 1;
	}
	return pp_profile_add_sample(m->prof, &s) ? load_fail(d, "out of memory") : 0;
}

/*
 * Checks the record at `off` and adds it to its entry (m->paths: to its
 * path node).  Every check comes before anything is added, so a record that
 * fails one is left out whole (drop(): 1); 0 when it was added (or skipped:
 * folded), -1 when memory runs out.
 */
static int merge_record(struct load_dump *d, uint32_t thread, uint64_t off, void *ctx)
{
	struct merge_ctx *m = ctx;
	const struct ppf_record *r = (const void *)(d->buf + off);
	int torn = (int)(r->seq & 1), oom = 0;
	char why[128];

	if ((r->flags & PPF_REC_FOLDED) || (m->skip && m->skip[thread]))
		return 0;

	/* page offsets are checked before any page is read */
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t poff = (uint64_t)r->pages[p] * PPF_PAGE_BYTES;

		if (!r->pages[p])
			continue;
		if (!load_in_data(d, poff, PPF_PAGE_BYTES))
			return drop(d, m, thread, off, "histogram page %u at offset %#" PRIx64
				    " is outside the data (%" PRIu64 " bytes)", p, poff, d->used);
		__builtin_prefetch(d->buf + poff);
		__builtin_prefetch(d->buf + poff + 256);
	}
	if (r->pending > PPF_HIST_BUCKETS)
		return drop(d, m, thread, off, "pending bucket %" PRIu32 " is out of range",
			    r->pending - 1);
	/* (a record torn mid-update may have its new min before its new max) */
	if (r->calls && r->min_ns > r->max_ns && !torn)
		return drop(d, m, thread, off, "min_ns %" PRIu64 " > max_ns %" PRIu64,
			    r->min_ns, r->max_ns);
	if (r->kind == PPF_KIND_FUNCTION || r->kind == PPF_KIND_SAMPLE) {
		int module;
		uint64_t offset;

		if (func_place(m, r, &module, &offset)) {
			if (r->module > m->nentries)
				return drop(d, m, thread, off, "module %" PRIu32 " is not in the"
					    " module table (%" PRIu32 " entries)", r->module - 1,
					    m->nentries);
			return drop(d, m, thread, off, "its address is outside module %" PRIu32
				    " (%s)", r->module - 1,
				    m->modules[m->entries[r->module - 1].index].path);
		}
	} else if (!load_name_at(d, r->key, why, sizeof(why)))
		return drop(d, m, thread, off, "%s", why);

	/* The writer adds a call's bucket at the record's next call and keeps
	 * it in `pending` (1 + bucket) meanwhile: it counts as one call.  A
	 * record torn by a crash (seq odd) may be one call off either way. */
	uint64_t in_hist = r->pending != 0;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		const uint64_t *c = (const void *)(d->buf + (uint64_t)r->pages[p] * PPF_PAGE_BYTES);

		if (r->pages[p])
			for (unsigned i = 0; i < PPF_SUB; i++)
				in_hist = pp_sat_add(in_hist, c[i]);
	}
	uint64_t accounted = pp_sat_add(in_hist, r->hist_dropped);

	if (accounted != r->calls && !(torn && (accounted + 1 == r->calls ||
						accounted == r->calls + 1)))
		return drop(d, m, thread, off, "histogram sum mismatch: %" PRIu64 " in buckets + %"
			    PRIu64 " dropped, but %" PRIu64 " calls", in_hist, r->hist_dropped,
			    r->calls);

	if (r->kind == PPF_KIND_SAMPLE)		/* in the paths walk only: its parent's */
		return m->paths && !m->prof->flat ? merge_sample(d, m, r) : 0;

	struct pp_entry *e = entry_of(d, m, r, &oom);

	if (e && m->paths) {
		struct pp_path *path = path_of(d, m, off, e);

		if (!path || !r->calls)
			return path ? 0 : load_fail(d, "out of memory");
		e = &path->st;
	}
	if (!e || add_record(d, r, torn, e))
		return load_fail(d, "out of memory");
	if (m->thr && m->thr[thread] && !m->paths) {
		/* its thread's figures: the same record into its own profile
		 * (the walkers of a big dump take different areas, so each
		 * thread's profile has one writer) */
		struct merge_ctx tm = *m;

		tm.prof = m->thr[thread];
		if (!(e = entry_of(d, &tm, r, &oom)) || add_record(d, r, torn, e))
			return load_fail(d, "out of memory");
	}
	return 0;
}

/* ---- call paths ---- *
 *
 * A second walk, after the records' entries are made, adds each record into
 * its path node: the node of its parent record's path (format.h), found by
 * following parent links up to a record whose node is known or to a root.
 * Links are untrusted: one that does not lead to a record of a known kind
 * and key inside the data, or that loops, makes the path a cut one ("[more
 * paths]"), as if the runtime had cut it. */

/* Record offset -> path index + 1: open addressing, at most half full. */
struct path_memo {
	uint64_t *off;
	uint32_t *path;
	size_t n, mask;
};

static uint32_t *memo_slot(struct path_memo *pm, uint64_t off)
{
	size_t i = (size_t)((off >> 3) * 0x9e3779b97f4a7c15ull >> 20) & pm->mask;

	while (pm->off[i] && pm->off[i] != off)
		i = (i + 1) & pm->mask;
	return &pm->path[i];
}

/* Makes room for one more; 0, or -1 when memory runs out. */
static int memo_reserve(struct path_memo *pm)
{
	if (pm->off && (pm->n + 1) * 2 <= pm->mask + 1)
		return 0;
	size_t slots = pm->off ? (pm->mask + 1) * 2 : 1024;
	struct path_memo big = { calloc(slots, sizeof(uint64_t)), calloc(slots, sizeof(uint32_t)),
				 pm->n, slots - 1 };

	if (!big.off || !big.path) {
		free(big.off);
		free(big.path);
		return -1;
	}
	for (size_t i = 0; pm->off && i <= pm->mask; i++)
		if (pm->off[i]) {
			uint32_t *s = memo_slot(&big, pm->off[i]);

			big.off[s - big.path] = pm->off[i];
			*s = pm->path[i];
		}
	free(pm->off);
	free(pm->path);
	*pm = big;
	return 0;
}

/* The record at `off` as a link target: NULL unless it is an aligned
 * record of a known kind (a sample is never a parent) and size inside the
 * data. */
static const struct ppf_record *link_target(const struct load_dump *d, uint64_t off)
{
	const struct ppf_record *r;

	if (off % 8 || !load_in_data(d, off, d->rec_size))
		return NULL;
	r = (const void *)(d->buf + off);
	if (r->kind < PPF_KIND_FUNCTION || r->kind > PPF_KIND_MAX || r->kind == PPF_KIND_SAMPLE ||
	    !load_in_data(d, off, r->size) ||
	    r->size != d->rec_size + (r->kind == PPF_KIND_ENDPOINT ?
				      sizeof(struct ppf_endpoint_tail) : 0))
		return NULL;
	return r;
}

#define MEMO_BUSY UINT32_MAX	/* a record of the chain being followed */

/* Records `path` (index + 1, or MEMO_BUSY) for the record at `off`; 0, or -1
 * when memory runs out. */
static int memo_put(struct path_memo *pm, uint64_t off, uint32_t path)
{
	uint32_t *slot;

	if (memo_reserve(pm))
		return -1;
	slot = memo_slot(pm, off);
	if (!pm->off[slot - pm->path]) {
		pm->off[slot - pm->path] = off;
		pm->n++;
	}
	*slot = path;
	return 0;
}

/* The path node of the record at `off`, whose entry is `e`; NULL when
 * memory runs out.  Each record's node is made once (m->memo), so the
 * walk of a dump follows each link once. */
static struct pp_path *path_of(struct load_dump *d, struct merge_ctx *m, uint64_t off,
			       struct pp_entry *e)
{
	struct path_memo *pm = m->memo;
	uint64_t *chain = NULL;		/* records whose node is still to make */
	size_t n = 0, cap = 0;
	uint32_t parent = 0, known;
	struct pp_path *p = NULL;
	int cut = 0, oom = 0;

	if (memo_reserve(pm))
		return NULL;
	known = *memo_slot(pm, off);
	if (known && known != MEMO_BUSY)
		return m->prof->paths[known - 1];
	/* up the links to a known node, a root, or a link that cannot be
	 * followed (damaged, or back into the chain: a loop) */
	for (uint64_t cur = off;;) {
		const struct ppf_record *r = (const void *)(d->buf + cur);
		uint64_t up = r->flags & PPF_REC_CUT ? 0 : r->parent;

		if (n == cap) {
			uint64_t *big = realloc(chain, (cap ? 2 * cap : 64) * sizeof(*big));

			if (!big)
				goto out;
			chain = big;
			cap = cap ? 2 * cap : 64;
		}
		chain[n++] = cur;
		if (memo_put(pm, cur, MEMO_BUSY))
			goto out;
		if (!up)
			break;
		known = link_target(d, up) ? *memo_slot(pm, up) : MEMO_BUSY;
		if (known == MEMO_BUSY) {
			cut = 1;
			break;
		}
		if (known) {
			parent = known;
			break;
		}
		cur = up;
	}
	/* down again, making each node */
	while (n > 0) {
		uint64_t cur = chain[--n];
		const struct ppf_record *r = (const void *)(d->buf + cur);
		struct pp_entry *ce = cur == off ? e : entry_of(d, m, r, &oom);

		if (!ce) {
			if (oom || memo_put(pm, cur, 0))
				goto out;
			parent = 0;	/* a record whose key is damaged: cut below it */
			cut = 1;
			continue;
		}
		cut |= (r->flags & PPF_REC_CUT) != 0;
		p = pp_profile_path(m->prof, cut ? 0 : parent, ce->index, cut);
		if (!p || memo_put(pm, cur, p->index + 1))
			goto out;
		parent = p->index + 1;
		cut = 0;
	}
out:
	free(chain);
	return n == 0 && p && p->entry == e->index ? p : NULL;
}

/* Big dumps are merged by two threads, each walking every other thread
 * area into a profile of its own; then the helper's entries are added to
 * the main profile.  The walk waits on memory more than it computes, so two
 * walkers on two cores take about half the time. */
size_t load_parallel_min = 64u << 20;

struct walker {
	struct load_dump d;			/* own copy: own error buffer, notes, counts */
	struct merge_ctx m;		/* m.prof: the walker's own profile */
	char err[256];
	int rc;
};

static void *walker_main(void *arg)
{
	struct walker *w = arg;

	w->rc = load_walk_records(&w->d, merge_record, &w->m, 1, 2);
	return NULL;
}

/* Moves the notes of `src` to the end of `dst`'s; 0, or -1 when memory runs
 * out. */
static int move_notes(struct pp_profile *dst, struct pp_profile *src)
{
	for (size_t i = 0; i < src->nnotes; i++)
		if (pp_profile_note(dst, src->notes[i]))
			return -1;
	return 0;
}

static int walk_parallel(struct load_dump *d, struct merge_ctx *m)
{
	uint64_t budget = d->used / LOAD_REC_MIN;
	struct walker w;
	pthread_t tid;
	int rc;

	d->seen = calloc(d->used / 8 / 64 + 1, sizeof(uint64_t));
	if (!d->seen)
		return load_fail(d, "out of memory");
	d->budget = &budget;
	w = (struct walker){ .d = *d, .m = *m };
	w.d.err = w.err;
	w.d.errlen = sizeof(w.err);
	w.m.prof = pp_profile_new();
	if (!w.m.prof) {
		rc = load_fail(d, "out of memory");
		goto out;
	}
	/* the walker's notes go to its own profile, so the two never race */
	w.d.notes = d->notes ? w.m.prof : NULL;
	if (pthread_create(&tid, NULL, walker_main, &w) != 0) {
		pp_profile_free(w.m.prof);
		rc = load_walk_records(d, merge_record, m, 0, 1);
		goto out;
	}
	rc = load_walk_records(d, merge_record, m, 0, 2);
	pthread_join(tid, NULL);
	if (!rc && w.rc) {
		snprintf(d->err, d->errlen, "%s", w.err);
		rc = -1;
	}
	if (!rc && (pp_profile_merge_entries(m->prof, w.m.prof) ||
		    (d->notes && move_notes(d->notes, w.m.prof))))
		rc = load_fail(d, "out of memory");
	d->dropped += w.d.dropped;
	d->cut += w.d.cut;
	d->unlisted += w.d.unlisted;
	pp_profile_free(w.m.prof);
out:
	free(d->seen);
	d->seen = NULL;
	d->budget = NULL;
	return rc;
}

static int tid_selected(const struct merge_ctx *m, uint32_t tid)
{
	for (uint32_t i = 0; i < m->nsel; i++)
		if (m->sel_tids[i] == tid)
			return 1;
	return 0;
}

/*
 * The threads of the checked dump `d` (format.h, version 4): with
 * prof->thread_select, which areas are left out (m->skip: area 0 and every
 * thread it does not name); with prof->per_thread, a pp_thread and its
 * profile for each area of a thread that is taken (m->thr).  Names and
 * times are untrusted: a name was checked for its NUL, a stop time before
 * the start is taken as unknown (0).  0, or -1 when memory runs out.
 */
static int merge_threads(struct load_dump *d, struct merge_ctx *m, struct pp_profile *prof,
			 const char *source)
{
	const struct ppf_header *h = d->h;
	const struct ppf_thread *thr = (const void *)(d->buf + h->thread_off);
	const struct ppf_thread_info *info = h->version >= 4 && h->thread_info_off ?
		(const void *)(d->buf + h->thread_info_off) : NULL;
	const char *sel = prof->thread_select;
	uint32_t n = h->thread_count;

	if (h->version >= 4)
		prof->threads_folded = pp_sat_add(prof->threads_folded, h->threads_folded);
	else if (prof->per_thread || sel)
		prof->threads_unknown++;
	if (!n || (!sel && (!prof->per_thread || h->version < 4)))
		return 0;
	if ((sel && (!(m->skip = calloc(n, 1)) || !(m->sel_tids = calloc(n, sizeof(uint32_t))))) ||
	    (prof->per_thread && !(m->thr = calloc(n, sizeof(*m->thr)))))
		return load_fail(d, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		int thread = thr[i].state == PPF_THREAD_ACTIVE || thr[i].state == PPF_THREAD_EXITED;

		if (sel && (!thread || !pp_thread_matches(sel, thr[i].tid, thr[i].name))) {
			m->skip[i] = 1;
			continue;
		}
		if (!load_area_in_use(h, &thr[i]) || !thread)
			continue;
		if (sel) {
			m->sel_tids[m->nsel++] = thr[i].tid;
			prof->threads_matched++;
		}
		if (!m->thr || h->version < 4)
			continue;
		struct pp_thread *t = pp_profile_add_thread(prof, h->pid, thr[i].tid, thr[i].name,
							    source);

		if (!t)
			return load_fail(d, "out of memory");
		t->exited = thr[i].state == PPF_THREAD_EXITED;
		if (info) {
			t->start_ns = info[i].start_ns;
			t->stop_ns = info[i].stop_ns >= info[i].start_ns ? info[i].stop_ns : 0;
		}
		m->thr[i] = t->prof;
	}
	return 0;
}

/*
 * The slowest calls the runtime kept (format.h), each placed on its record's
 * entry and path (m->memo: the paths walk is done) and its frames in their
 * modules.  An entry torn by a crash (seq odd), whose record is not a
 * record, or with more frames than there is room for, is left out with a
 * note.  0, or -1 when memory runs out.
 */
static int merge_slow_calls(struct load_dump *d, struct merge_ctx *m)
{
	const struct ppf_header *h = d->h;
	uint32_t n = h->slow_count < h->slow_cap ? h->slow_count : h->slow_cap;
	const struct ppf_slow_call *tab;
	uint64_t bytes = (uint64_t)n * sizeof(*tab);

	if (!h->slow_off || !n)
		return 0;
	if (h->slow_off % 8 || !load_in_data(d, h->slow_off, bytes))
		return load_note(d, "the table of slowest calls (%" PRIu32 " at offset %#" PRIx64
				 ") is outside the data: left out", n, h->slow_off);
	/* (the pointer only once the offset is known to be inside: an offset
	 * past the buffer is undefined behaviour even unread) */
	tab = (const void *)(d->buf + h->slow_off);
	for (uint32_t i = 0; i < n; i++) {
		const struct ppf_slow_call *s = &tab[i];
		const struct ppf_record *r = link_target(d, s->rec);
		struct pp_slow_call c = { .pid = h->pid, .tid = s->tid, .dur_ns = s->dur_ns,
					  .end_ns = s->end_ns, .start_ns = h->start_ns };
		struct pp_entry *e;
		struct pp_path *p;
		int oom = 0;

		if (m->skip && !tid_selected(m, s->tid))
			continue;	/* another thread's, and --thread names some */
		if ((s->seq & 1) || !r || s->nframes > PPF_SLOW_FRAMES) {
			if (load_note(d, "slowest call %" PRIu32 " left out: %s", i, s->seq & 1 ?
				      "it was being written" : !r ? "its record is not one" :
				      "too many frames"))
				return -1;
			continue;
		}
		if (!(e = entry_of(d, m, r, &oom))) {
			if (oom)
				return load_fail(d, "out of memory");
			continue;
		}
		c.entry = e->index;
		if (!(p = path_of(d, m, s->rec, e)))
			return load_fail(d, "out of memory");
		c.path = p->index + 1;
		for (uint32_t f = 0; f < s->nframes; f++) {
			const struct mod_range *mr = find_module(m, s->frames[f]);

			c.frames[f].module = mr ? mr->index : -1;
			c.frames[f].offset = mr ? s->frames[f] - mr->load_addr : s->frames[f];
		}
		c.nframes = s->nframes;
		if (pp_profile_add_slow(m->prof, &c))
			return load_fail(d, "out of memory");
	}
	return 0;
}

/* The second walk (call paths): the records' checks are made again, so
 * its notes and counts are not kept. */
static int merge_paths(struct load_dump *d, struct merge_ctx *m)
{
	struct path_memo pm = { 0 };
	struct pp_profile *notes = d->notes;
	uint64_t dropped = d->dropped, cut = d->cut, listed = d->listed,
		 unlisted = d->unlisted;
	int rc;

	d->notes = NULL;
	m->paths = 1;
	m->memo = &pm;
	rc = load_walk_all(d, merge_record, m);
	d->notes = notes;
	if (!rc)
		rc = merge_slow_calls(d, m);
	m->paths = 0;
	m->memo = NULL;
	free(pm.off);
	free(pm.path);
	d->notes = notes;
	d->dropped = dropped;
	d->cut = cut;
	d->listed = listed;
	d->unlisted = unlisted;
	m->prof->paths_cut = pp_sat_add(m->prof->paths_cut, d->h->paths_cut);
	return rc;
}

int load_merge_dump(struct load_dump *d, struct pp_profile *prof, const char *name, int live)
{
	const struct ppf_header *h = d->h;
	struct merge_ctx m = { .prof = prof };
	struct pp_process *p = pp_profile_add_process(prof);
	struct load_comp comp = { 0 };

	if (!p)
		return load_fail(d, "out of memory");
	p->live = (uint32_t)live;
	p->source = pp_profile_strndup(prof, name, strlen(name));
	p->cmdline = pp_profile_strndup(prof, h->cmdline, strlen(h->cmdline));
	if (!p->source || !p->cmdline)
		return load_fail(d, "out of memory");
	p->pid = h->pid;
	p->ppid = h->ppid;
	p->flags = h->flags;
	p->exec_gen = h->exec_gen;
	p->ticks_per_sec = h->ticks_per_sec;
	p->start_realtime_ns = h->start_realtime_ns;
	p->start_ns = h->start_ns;
	p->stop_ns = h->stop_ns;
	p->last_ns = h->last_ns;
	if (h->stop_ns && h->stop_ns >= h->start_ns)
		p->wall_ns = h->stop_ns - h->start_ns;
	else if (h->last_ns >= h->start_ns)
		p->wall_ns = h->last_ns - h->start_ns;
	p->dropped_functions = h->dropped_functions;
	p->stack_overflows = h->stack_overflows;
	p->abandoned_frames = h->abandoned_frames;
	p->unmatched_exits = h->unmatched_exits;
	p->threads_dropped = h->threads_dropped;
	p->threads_seen = h->threads_seen;
	p->hist_dropped = h->hist_dropped;
	p->strings_dropped = h->strings_dropped;
	p->rss_kib = h->rss_kib;
	p->rss_peak_kib = h->rss_peak_kib;
	p->requests = h->requests;
	p->slow_threshold_ns = h->slow_threshold_ns;
	const struct ppf_thread *thr = (const void *)(d->buf + h->thread_off);

	for (uint32_t t = 0; t < h->thread_count; t++)
		p->threads += load_area_in_use(h, &thr[t]);
	if (h->timeline_count) {
		p->timeline = malloc(h->timeline_count * sizeof(*p->timeline));
		if (!p->timeline)
			return load_fail(d, "out of memory");
		memcpy(p->timeline, d->buf + h->timeline_off,
		       h->timeline_count * sizeof(*p->timeline));
		p->timeline_count = h->timeline_count;
	}

	const struct ppf_cache *caches = (const void *)(d->buf + h->cache_off);

	for (uint32_t i = 0; i < h->cache_count; i++) {
		const struct ppf_cache *c = &caches[i];

		if (c->state == PPF_CACHE_UNUSED)
			continue;
		struct pp_cache *pc = pp_profile_cache(prof, (const char *)d->buf +
						       h->strtab_off + c->name);
		if (!pc)
			return load_fail(d, "out of memory");
		pc->live |= c->state == PPF_CACHE_LIVE;
		pc->hits = pp_sat_add(pc->hits, c->hits);
		pc->misses = pp_sat_add(pc->misses, c->misses);
		pc->sets = pp_sat_add(pc->sets, c->sets);
		pc->deletes = pp_sat_add(pc->deletes, c->deletes);
		pc->evictions = pp_sat_add(pc->evictions, c->evictions);
		pc->expirations = pp_sat_add(pc->expirations, c->expirations);
		pc->size = pp_sat_add(pc->size, c->size);
		pc->max_size = pp_sat_add(pc->max_size, c->max_size);
		pc->bytes = pp_sat_add(pc->bytes, c->bytes);
		pc->max_bytes = pp_sat_add(pc->max_bytes, c->max_bytes);
	}

	const struct ppf_module *mods = (const void *)(d->buf + h->module_off);
	int rc = -1;

	if (h->module_count && (!(m.mods = malloc(h->module_count * sizeof(*m.mods))) ||
				!(m.entries = malloc(h->module_count * sizeof(*m.entries))) ||
				!(m.module_index = malloc(h->module_count * sizeof(int))))) {
		load_fail(d, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < h->module_count; i++) {
		int idx = pp_profile_module(prof, mods[i].path, mods[i].build_id,
					    mods[i].build_id_len);

		if (idx < 0) {
			load_fail(d, "out of memory");
			goto out;
		}
		m.entries[i] = (struct mod_range){ mods[i].lo, mods[i].hi, mods[i].load_addr, idx,
						   i, mods[i].unloaded != 0 };
		m.module_index[i] = idx;
		if (mods[i].lo < mods[i].hi)
			m.mods[m.nmods++] = m.entries[i];
	}
	m.nentries = h->module_count;
	m.modules = prof->modules;
	if (m.nmods)
		qsort(m.mods, m.nmods, sizeof(*m.mods), cmp_range);
	m.proc = p;
	d->source = p->source;
	d->notes = prof;
	if ((rc = load_names_open(d, m.module_index, &m.names)))
		goto out;
	if (!prof->raw && (rc = load_comp_build(d, &comp)))
		goto out;
	d->comp = &comp;
	load_comp_figures(d, &p->hook_self_ps, &p->hook_call_ps);
	p->compensated = (uint32_t)comp.on;
	if ((rc = merge_threads(d, &m, prof, p->source)))
		goto out;
	p = &prof->procs[prof->nprocs - 1];
	if (d->used >= load_parallel_min && h->thread_count >= 2)
		rc = walk_parallel(d, &m);
	else
		rc = load_walk_all(d, merge_record, &m);
	if (!rc && h->version >= 3 && !prof->flat)
		rc = merge_paths(d, &m);
	/* (p may have moved: the walkers add no process, but be plain) */
	p = &prof->procs[prof->nprocs - 1];
	p->records_dropped = d->dropped;
	p->lists_cut = d->cut;
	if (!rc && d->unlisted) {
		char line[400];

		snprintf(line, sizeof(line), "%s: %" PRIu64 " more notes like these (records"
			 " dropped or lists cut) are not listed", p->source, d->unlisted);
		if (pp_profile_note(prof, line))
			rc = load_fail(d, "out of memory");
	}
out:
	d->comp = NULL;
	load_comp_free(&comp);
	load_names_close(&m.names);
	free(m.mods);
	free(m.entries);
	free(m.module_index);
	free(m.skip);
	free(m.thr);
	free(m.sel_tids);
	return rc;
}
