/* load.c - reading dumps and live segments into a profile
 *
 * Nothing in a dump is trusted.  Before a field is used the loader checks:
 * magic, version (PPF_VERSION_MIN..PPF_VERSION), header_size, used_size
 * against the bytes there are; every table (modules, threads, strings,
 * timeline, caches) for count <= capacity, alignment, bounds and overlap
 * with the header and the other tables; module paths, thread names, cache
 * names and the command line for their NUL.  A dump whose header or tables
 * fail is refused (load_buffer() returns -1 with the reason).
 *
 * Records are salvaged one by one.  Every record list is walked with its
 * links checked for alignment and bounds, against the area's record_count,
 * and against a bitmap of the records already met (so a list that loops
 * never counts a record twice, and no walk takes more than used_size /
 * record size steps): a link that fails ends the walk of that area with one
 * note, the records before it kept.  Each record is checked for its kind and
 * size, every histogram page offset, its name offset into the string table,
 * min <= max, and its histogram against its call count (buckets + (pending
 * != 0) + hist_dropped == calls, off by one allowed when its seqlock was
 * odd, i.e. it was torn by a crash; kept, and counted as torn, when it
 * passes); a record that fails any check is left out whole, with one note
 * ("SOURCE: record of <what> (thread T, at OFF) dropped: <why>"), and
 * everything else is kept.  The notes go to the profile (prof->notes,
 * LOAD_MAX_NOTES per dump, then one that counts the rest) and the counts to
 * the process (records_dropped, lists_cut) for the report's Warnings.
 *
 * Areas that are FREE, or not yet brought up to the header's clear_gen, and
 * records flagged PPF_REC_FOLDED are skipped, as format.h says.
 *
 * A dump is validated and merged in one pass over its records, for speed
 * (a dump of 1.6 M records is read once); a record is fully checked before
 * any of it is added.  Memory used is O(len): the visited bitmap (len/64),
 * the entries, each made from a record of at least 360 bytes, and their
 * histogram pages, each made from a page of the dump.
 *
 * A live segment is first copied into private memory: the whole used part,
 * then each record again under its seqlock (with its pages) until two reads
 * of seq agree and are even; the whole copy is redone when fold_seq or
 * timeline_seq moved.  Records that never settle are made consistent in the
 * copy (calls := what the histogram holds) and taken as torn.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/names.h"
#include "common/record.h"
#include "escape.h"
#include "load.h"
#include "profile.h"
#include "shm.h"

#define REC_SIZE sizeof(struct ppf_record)
#define EP_SIZE (sizeof(struct ppf_record) + sizeof(struct ppf_endpoint_tail))

/* What one pass over a dump needs. */
struct dump {
	const unsigned char *buf;
	uint64_t used;			/* header.used_size, <= the bytes at buf */
	const struct ppf_header *h;
	char *err;			/* why the dump is refused (fail()) */
	size_t errlen;
	const char *source;		/* the file or segment, in notes */
	struct pp_profile *notes;	/* where notes go; NULL: none are made */
	uint64_t *seen;			/* during a walk: bit off/8 set once the
					   record at off was met */
	uint64_t *budget;		/* during a walk: records it may still visit */
	uint64_t dropped;		/* records left out */
	uint64_t cut;			/* record lists whose walk ended early */
	uint64_t listed, unlisted;	/* notes made, and not made (past the cap) */
};

static int fail(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct dump *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1 when [off, off + size) lies inside the data after the header. */
static int in_data(const struct dump *d, uint64_t off, uint64_t size)
{
	return off >= sizeof(struct ppf_header) && off <= d->used && size <= d->used - off;
}

struct table {
	const char *what;
	uint64_t off, bytes;
};

/* Checks one table of `cap` elements of `size` bytes at `off`, `count` used. */
static int check_table(struct dump *d, struct table *t, const char *what, uint64_t off,
		       uint32_t cap, uint32_t count, size_t size, unsigned align)
{
	t->what = what;
	t->off = off;
	t->bytes = (uint64_t)cap * size;
	if (count > cap)
		return fail(d, "%s table: count %" PRIu32 " exceeds its capacity %" PRIu32,
			    what, count, cap);
	if (cap == 0)
		return 0;
	if (off % align)
		return fail(d, "%s table at offset %#" PRIx64 " is not %u-byte aligned",
			    what, off, align);
	if (!in_data(d, off, t->bytes))
		return fail(d, "%s table at offset %#" PRIx64 " (%" PRIu64
			    " bytes) is outside the data (%" PRIu64 " bytes after the header)",
			    what, off, t->bytes, d->used - sizeof(struct ppf_header));
	return 0;
}

/* The NUL-terminated name at string-table offset `off`, or NULL with the
 * reason in why. */
static const char *name_at(const struct dump *d, uint64_t off, char *why, size_t whylen)
{
	const struct ppf_header *h = d->h;

	if (off >= h->strtab_used) {
		snprintf(why, whylen, "name offset %" PRIu64 " is outside the string table (%"
			 PRIu32 " bytes)", off, h->strtab_used);
		return NULL;
	}
	const char *s = (const char *)d->buf + h->strtab_off + off;

	if (!memchr(s, '\0', h->strtab_used - off)) {
		snprintf(why, whylen, "name at string offset %" PRIu64 " is not NUL-terminated",
			 off);
		return NULL;
	}
	return s;
}

/* Checks everything but the records; fills the header pointer. */
static int check_header(struct dump *d, size_t len)
{
	const struct ppf_header *h = (const struct ppf_header *)d->buf;

	if (len < PPF_MAGIC_LEN || memcmp(h->magic, PPF_MAGIC, PPF_MAGIC_LEN) != 0)
		return fail(d, "not a paraprof dump (bad magic)");
	if (len < 16)
		return fail(d, "truncated: %zu bytes, the header needs %zu", len,
			    sizeof(struct ppf_header));
	if (h->version < PPF_VERSION_MIN || h->version > PPF_VERSION)
		return fail(d, "unsupported format version %" PRIu32 " (this paraprof reads %d"
			    " to %d)", h->version, PPF_VERSION_MIN, PPF_VERSION);
	if (len < sizeof(*h))
		return fail(d, "truncated: %zu bytes, the header needs %zu", len, sizeof(*h));
	if (h->header_size != sizeof(*h))
		return fail(d, "header_size %" PRIu32 ", version %d has %zu", h->header_size,
			    PPF_VERSION, sizeof(*h));
	if (h->used_size < sizeof(*h))
		return fail(d, "used_size %" PRIu64 " is smaller than the header (%zu)",
			    h->used_size, sizeof(*h));
	if (h->used_size > len)
		return fail(d, "truncated: %zu bytes, the header says %" PRIu64, len,
			    h->used_size);
	d->h = h;
	d->used = h->used_size;
	if (!memchr(h->cmdline, '\0', sizeof(h->cmdline)))
		return fail(d, "command line is not NUL-terminated");

	struct table t[5];

	if (check_table(d, &t[0], "module", h->module_off, h->module_cap, h->module_count,
			sizeof(struct ppf_module), 8) ||
	    check_table(d, &t[1], "thread", h->thread_off, h->thread_cap, h->thread_count,
			sizeof(struct ppf_thread), 8) ||
	    check_table(d, &t[2], "string", h->strtab_off, h->strtab_cap, h->strtab_used, 1, 1) ||
	    check_table(d, &t[3], "timeline", h->timeline_off, h->timeline_cap,
			h->timeline_count, sizeof(struct ppf_mem_sample), 8) ||
	    check_table(d, &t[4], "cache", h->cache_off, h->cache_cap, h->cache_count,
			sizeof(struct ppf_cache), 8))
		return -1;
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (t[i].bytes && t[j].bytes && t[i].off < t[j].off + t[j].bytes &&
			    t[j].off < t[i].off + t[i].bytes)
				return fail(d, "%s table overlaps the %s table", t[i].what,
					    t[j].what);

	const struct ppf_module *mods = (const void *)(d->buf + h->module_off);

	for (uint32_t i = 0; i < h->module_count; i++) {
		if (!memchr(mods[i].path, '\0', sizeof(mods[i].path)))
			return fail(d, "module %" PRIu32 ": path is not NUL-terminated", i);
		if (mods[i].build_id_len > PPF_BUILD_ID_MAX)
			return fail(d, "module %" PRIu32 ": build_id_len %" PRIu32 " exceeds %d",
				    i, mods[i].build_id_len, PPF_BUILD_ID_MAX);
	}
	const struct ppf_thread *thr = (const void *)(d->buf + h->thread_off);

	for (uint32_t i = 0; i < h->thread_count; i++) {
		if (thr[i].state > PPF_THREAD_PROCESS)
			return fail(d, "thread %" PRIu32 ": unknown state %" PRIu32, i,
				    thr[i].state);
		if (!memchr(thr[i].name, '\0', sizeof(thr[i].name)))
			return fail(d, "thread %" PRIu32 ": name is not NUL-terminated", i);
	}
	const struct ppf_cache *caches = (const void *)(d->buf + h->cache_off);

	for (uint32_t i = 0; i < h->cache_count; i++) {
		if (caches[i].state > 2)
			return fail(d, "cache %" PRIu32 ": unknown state %" PRIu32, i,
				    caches[i].state);
		char why[128];

		if (caches[i].state && !name_at(d, caches[i].name, why, sizeof(why)))
			return fail(d, "cache %" PRIu32 ": %s", i, why);
	}
	return 0;
}

/* Whether the records of an area count: not FREE, and brought up to the
 * latest clear (an area whose cleared_gen lags holds only what was recorded
 * before paraprof_clear_stats(); its thread zeroes it at its next call). */
static int area_in_use(const struct ppf_header *h, const struct ppf_thread *t)
{
	return t->state != PPF_THREAD_FREE && t->cleared_gen == h->clear_gen;
}

/* Lines kept per dump (and per walker); past it they are counted and one
 * last line says how many more there were. */
#define LOAD_MAX_NOTES 50

/* Appends "SOURCE: <fmt>" to the notes when there is room.  0, or -1 (err
 * set) when memory runs out.  Silent when d->notes is NULL. */
static int note(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int note(struct dump *d, const char *fmt, ...)
{
	char line[640];
	va_list ap;
	int n;

	if (!d->notes)
		return 0;
	if (d->listed >= LOAD_MAX_NOTES) {
		d->unlisted++;
		return 0;
	}
	n = snprintf(line, sizeof(line), "%s: ", d->source);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	d->listed++;
	if (pp_profile_note(d->notes, line))
		return fail(d, "out of memory");
	return 0;
}

/* 1 the first time the record at `off` is met in this walk (the bitmap is
 * shared by the two walkers of a big dump, hence the atomic or). */
static int first_visit(struct dump *d, uint64_t off)
{
	uint64_t bit = 1ull << (off / 8 % 64);

	return !(__atomic_fetch_or(&d->seen[off / 8 / 64], bit, __ATOMIC_RELAXED) & bit);
}

/*
 * Calls `fn` for every record of the thread areas first, first + stride, ...
 * in use.  `fn` returns 0 when it took the record, 1 when it left it out
 * (having said why), -1 on a fatal error (err set).
 *
 * A link that cannot be followed (misaligned, outside the data, back to a
 * record met already, past the area's record_count) ends the walk of that
 * area with one note; the records read so far stay.  A record of an unknown
 * kind or a wrong size is left out with a note and the walk goes on with
 * its `next`.  Every record is visited at most once (a bitmap of offsets,
 * d->seen), so a list that loops never counts a record twice, and no walk
 * takes more than used_size / record size steps in all (d->budget).
 * Returns 0, or -1 when fn failed.
 */
typedef int (*record_fn)(struct dump *d, uint32_t thread, uint64_t off, void *ctx);

static int walk_records(struct dump *d, record_fn fn, void *ctx, unsigned first,
			unsigned stride)
{
	const struct ppf_header *h = d->h;
	const struct ppf_thread *thr = (const void *)(d->buf + h->thread_off);

	for (uint32_t t = first; t < h->thread_count; t += stride) {
		uint64_t n = 0;

		if (!area_in_use(h, &thr[t]))
			continue;
		for (uint64_t off = thr[t].records; off;) {
			const char *why = NULL;

			if (off % 8)
				why = "not 8-byte aligned";
			else if (!in_data(d, off, REC_SIZE))
				why = "outside the data";
			else if (n >= thr[t].record_count)
				why = "the list is longer than its record_count";
			else if (!first_visit(d, off))
				why = "the list loops back to a record read already";
			if (why) {
				d->cut++;
				if (note(d, "thread %" PRIu32 ": record list cut at offset %#" PRIx64
					 ": %s (%" PRIu64 " bytes of data, record_count %" PRIu64
					 "); %" PRIu64 " records of the list read", t, off, why,
					 d->used, thr[t].record_count, n))
					return -1;
				break;
			}
			/* (two walkers share the budget: one that takes it below 0
			 * puts it back to 0, and the other may meanwhile take one
			 * record more; the bound holds within one record) */
			if (__atomic_fetch_sub(d->budget, 1, __ATOMIC_RELAXED) == 0) {
				__atomic_store_n(d->budget, 0, __ATOMIC_RELAXED);
				d->cut++;
				return note(d, "thread %" PRIu32 ": more records than %" PRIu64
					    " bytes can hold: the walk stops", t, d->used);
			}
			n++;
			const struct ppf_record *r = (const void *)(d->buf + off);
			size_t want = r->kind == PPF_KIND_ENDPOINT ? EP_SIZE : REC_SIZE;

			if (r->kind < PPF_KIND_FUNCTION || r->kind > PPF_KIND_ENDPOINT) {
				d->dropped++;
				if (note(d, "record of kind %u, key %#" PRIx64 " (thread %" PRIu32
					 ", at %#" PRIx64 ") dropped: unknown kind %u", r->kind,
					 r->key, t, off, r->kind))
					return -1;
			} else if (r->size != want || !in_data(d, off, want)) {
				d->dropped++;
				if (note(d, "record of kind %u, key %#" PRIx64 " (thread %" PRIu32
					 ", at %#" PRIx64 ") dropped: %s%u, a kind %u record has %zu",
					 r->kind, r->key, t, off, r->size == want ?
					 "it runs past the end of the data; size " : "size ",
					 r->size, r->kind, want))
					return -1;
			} else {
				__builtin_prefetch(d->buf + (r->next < d->used ? r->next : 0));
				if (fn && fn(d, t, off, ctx) < 0)
					return -1;
			}
			off = r->next;
		}
	}
	return 0;
}

/* Walks every area with a visited-bitmap and a budget of its own. */
static int walk_all(struct dump *d, record_fn fn, void *ctx)
{
	uint64_t budget = d->used / REC_SIZE;
	int rc;

	d->seen = calloc(d->used / 8 / 64 + 1, sizeof(uint64_t));
	if (!d->seen)
		return fail(d, "out of memory");
	d->budget = &budget;
	rc = walk_records(d, fn, ctx, 0, 1);
	free(d->seen);
	d->seen = NULL;
	d->budget = NULL;
	return rc;
}

/* ---- merging ---- */

struct mod_range {
	uint64_t lo, hi, load_addr;	/* runtime addresses */
	int index;			/* in the profile's modules[] */
	uint32_t entry;			/* in the dump's module table */
	uint32_t unloaded;		/* dlclose()d: another may have its range */
};

struct merge_ctx {
	struct pp_profile *prof;
	struct pp_process *proc;
	struct mod_range *mods;		/* with an executable range, sorted by lo */
	uint32_t nmods;
	struct mod_range *entries;	/* [i]: module-table entry i */
	uint32_t nentries;
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
	uint32_t lo = 0, hi = m->nmods;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->mods[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
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

static const char *kind_name(unsigned kind)
{
	return kind == PPF_KIND_FUNCTION ? "function" : kind == PPF_KIND_REGION ? "region" :
	       kind == PPF_KIND_SPAN ? "span" : kind == PPF_KIND_ENDPOINT ? "endpoint" : "?";
}

/* Leaves the record at `off` out: one note naming it and what was wrong.
 * Returns 1, or -1 when memory runs out. */
static int drop(struct dump *d, const struct merge_ctx *m, uint32_t thread, uint64_t off,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int drop(struct dump *d, const struct merge_ctx *m, uint32_t thread, uint64_t off,
		const char *fmt, ...)
{
	const struct ppf_record *r = (const void *)(d->buf + off);
	char what[300], who[400], why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->kind == PPF_KIND_FUNCTION) {
		int module;
		uint64_t offset;

		if (func_place(m, r, &module, &offset) == 0 && module >= 0) {
			const char *path = m->prof->modules[module].path, *base = strrchr(path, '/');

			snprintf(who, sizeof(who), "function %s+%#" PRIx64, base ? base + 1 : path,
				 offset);
		} else {
			snprintf(who, sizeof(who), "function at %#" PRIx64, r->key);
		}
	} else {
		const char *name = name_at(d, r->key, why, sizeof(why));

		if (name)
			snprintf(who, sizeof(who), "%s \"%.200s\"", kind_name(r->kind), name);
		else
			snprintf(who, sizeof(who), "%s with name offset %" PRIu64,
				 kind_name(r->kind), r->key);
	}
	d->dropped++;
	if (note(d, "record of %s (thread %" PRIu32 ", at %#" PRIx64 ") dropped: %s", who,
		 thread, off, what))
		return -1;
	return 1;
}

/*
 * Checks the record at `off` and adds it to its entry.  Every check comes
 * before anything is added, so a record that fails one is left out whole
 * (drop(): 1); 0 when it was added (or skipped: folded), -1 when memory
 * runs out.
 */
static int merge_record(struct dump *d, uint32_t thread, uint64_t off, void *ctx)
{
	struct merge_ctx *m = ctx;
	const struct ppf_record *r = (const void *)(d->buf + off);
	int torn = (int)(r->seq & 1);
	const char *name = NULL;
	int module = -1;
	uint64_t offset = 0;
	char why[128];

	if (r->flags & PPF_REC_FOLDED)
		return 0;

	/* page offsets are checked before any page is read */
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t poff = (uint64_t)r->pages[p] * PPF_PAGE_BYTES;

		if (!r->pages[p])
			continue;
		if (!in_data(d, poff, PPF_PAGE_BYTES))
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
	if (r->kind == PPF_KIND_FUNCTION) {
		if (func_place(m, r, &module, &offset)) {
			if (r->module > m->nentries)
				return drop(d, m, thread, off, "module %" PRIu32 " is not in the"
					    " module table (%" PRIu32 " entries)", r->module - 1,
					    m->nentries);
			return drop(d, m, thread, off, "its address is outside module %" PRIu32
				    " (%s)", r->module - 1,
				    m->prof->modules[m->entries[r->module - 1].index].path);
		}
	} else if (!(name = name_at(d, r->key, why, sizeof(why))))
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

	struct pp_entry *e = r->kind == PPF_KIND_FUNCTION ?
		pp_profile_entry(m->prof, PPF_KIND_FUNCTION, module, offset, NULL) :
		pp_profile_entry(m->prof, r->kind, -1, 0, name);

	if (!e)
		return fail(d, "out of memory");
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		if (r->pages[p] && pp_hist_add_page(&e->hist, p, (const void *)(d->buf +
				(uint64_t)r->pages[p] * PPF_PAGE_BYTES), NULL))
			return fail(d, "out of memory");
	if (r->pending && pp_hist_add_value(&e->hist, ppf_bucket_lower(r->pending - 1), 1))
		return fail(d, "out of memory");
	e->records++;
	e->torn += (uint64_t)torn;
	e->calls = pp_sat_add(e->calls, r->calls);
	e->sum_ns = pp_sat_add(e->sum_ns, r->sum_ns);
	e->inclusive_ns = pp_sat_add(e->inclusive_ns, r->inclusive_ns);
	e->self_ns = pp_sat_add(e->self_ns, r->self_ns);
	if (r->calls) {
		if (r->min_ns < e->min_ns)
			e->min_ns = r->min_ns;
		if (r->max_ns > e->max_ns)
			e->max_ns = r->max_ns;
	}
	e->abandoned = pp_sat_add(e->abandoned, r->abandoned);
	e->rss_sum_kib = pp_sat_add(e->rss_sum_kib, r->rss_sum_kib);
	if (r->rss_max_kib > e->rss_max_kib)
		e->rss_max_kib = r->rss_max_kib;
	e->hist_dropped = pp_sat_add(e->hist_dropped, r->hist_dropped);
	if (r->kind == PPF_KIND_ENDPOINT) {
		const struct ppf_endpoint_tail *tail = (const void *)(r + 1);

		for (int i = 0; i < 6; i++)
			e->status[i] = pp_sat_add(e->status[i], tail->status[i]);
		e->slow = pp_sat_add(e->slow, tail->slow);
	}
	return 0;
}

/* Big dumps are merged by two threads, each walking every other thread
 * area into a profile of its own; then the helper's entries are added to
 * the main profile.  The walk waits on memory more than it computes, so two
 * walkers on two cores take about half the time. */
size_t load_parallel_min = 64u << 20;

struct walker {
	struct dump d;			/* own copy: own error buffer, notes, counts */
	struct merge_ctx m;		/* m.prof: the walker's own profile */
	char err[256];
	int rc;
};

static void *walker_main(void *arg)
{
	struct walker *w = arg;

	w->rc = walk_records(&w->d, merge_record, &w->m, 1, 2);
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

static int walk_parallel(struct dump *d, struct merge_ctx *m)
{
	uint64_t budget = d->used / REC_SIZE;
	struct walker w;
	pthread_t tid;
	int rc;

	d->seen = calloc(d->used / 8 / 64 + 1, sizeof(uint64_t));
	if (!d->seen)
		return fail(d, "out of memory");
	d->budget = &budget;
	w = (struct walker){ .d = *d, .m = *m };
	w.d.err = w.err;
	w.d.errlen = sizeof(w.err);
	w.m.prof = pp_profile_new();
	if (!w.m.prof) {
		rc = fail(d, "out of memory");
		goto out;
	}
	/* the walker's notes go to its own profile, so the two never race */
	w.d.notes = d->notes ? w.m.prof : NULL;
	if (pthread_create(&tid, NULL, walker_main, &w) != 0) {
		pp_profile_free(w.m.prof);
		rc = walk_records(d, merge_record, m, 0, 1);
		goto out;
	}
	rc = walk_records(d, merge_record, m, 0, 2);
	pthread_join(tid, NULL);
	if (!rc && w.rc) {
		snprintf(d->err, d->errlen, "%s", w.err);
		rc = -1;
	}
	if (!rc && (pp_profile_merge_entries(m->prof, w.m.prof) ||
		    (d->notes && move_notes(d->notes, w.m.prof))))
		rc = fail(d, "out of memory");
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

/* Adds the process, its modules, timeline and caches; then the records. */
static int merge_dump(struct dump *d, struct pp_profile *prof, const char *name, int live)
{
	const struct ppf_header *h = d->h;
	struct merge_ctx m = { .prof = prof };
	struct pp_process *p = pp_profile_add_process(prof);

	if (!p)
		return fail(d, "out of memory");
	p->live = (uint32_t)live;
	p->source = pp_profile_strndup(prof, name, strlen(name));
	p->cmdline = pp_profile_strndup(prof, h->cmdline, strlen(h->cmdline));
	if (!p->source || !p->cmdline)
		return fail(d, "out of memory");
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
		p->threads += area_in_use(h, &thr[t]);
	if (h->timeline_count) {
		p->timeline = malloc(h->timeline_count * sizeof(*p->timeline));
		if (!p->timeline)
			return fail(d, "out of memory");
		memcpy(p->timeline, d->buf + h->timeline_off,
		       h->timeline_count * sizeof(*p->timeline));
		p->timeline_count = h->timeline_count;
	}

	const struct ppf_cache *caches = (const void *)(d->buf + h->cache_off);

	for (uint32_t i = 0; i < h->cache_count; i++) {
		const struct ppf_cache *c = &caches[i];

		if (!c->state)
			continue;
		struct pp_cache *pc = pp_profile_cache(prof, (const char *)d->buf +
						       h->strtab_off + c->name);
		if (!pc)
			return fail(d, "out of memory");
		pc->live |= c->state == 1;
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
				!(m.entries = malloc(h->module_count * sizeof(*m.entries))))) {
		fail(d, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < h->module_count; i++) {
		int idx = pp_profile_module(prof, mods[i].path, mods[i].build_id,
					    mods[i].build_id_len);

		if (idx < 0) {
			fail(d, "out of memory");
			goto out;
		}
		m.entries[i] = (struct mod_range){ mods[i].lo, mods[i].hi, mods[i].load_addr, idx,
						   i, mods[i].unloaded != 0 };
		if (mods[i].lo < mods[i].hi)
			m.mods[m.nmods++] = m.entries[i];
	}
	m.nentries = h->module_count;
	if (m.nmods)
		qsort(m.mods, m.nmods, sizeof(*m.mods), cmp_range);
	m.proc = p;
	d->source = p->source;
	d->notes = prof;
	if (d->used >= load_parallel_min && h->thread_count >= 2)
		rc = walk_parallel(d, &m);
	else
		rc = walk_all(d, merge_record, &m);
	/* (p may have moved: the walkers add no process, but be plain) */
	p = &prof->procs[prof->nprocs - 1];
	p->records_dropped = d->dropped;
	p->lists_cut = d->cut;
	if (!rc && d->unlisted) {
		char line[400];

		snprintf(line, sizeof(line), "%s: %" PRIu64 " more notes like these (records"
			 " dropped or lists cut) are not listed", p->source, d->unlisted);
		if (pp_profile_note(prof, line))
			rc = fail(d, "out of memory");
	}
out:
	free(m.mods);
	free(m.entries);
	return rc;
}

/* Validates and merges an 8-byte-aligned buffer. */
static int load_aligned(struct pp_profile *prof, const unsigned char *buf, size_t len,
			const char *name, int live, char *err, size_t errlen)
{
	struct dump d = { .buf = buf, .err = err, .errlen = errlen };

	if (check_header(&d, len))
		return -1;
	return merge_dump(&d, prof, name, live);
}

int load_buffer(struct pp_profile *prof, const void *buf, size_t len, const char *name,
		char *err, size_t errlen)
{
	if (((uintptr_t)buf & 7) == 0)
		return load_aligned(prof, buf, len, name, 0, err, errlen);

	/* The records are read in place, so they must be aligned. */
	void *copy = malloc(len ? len : 1);

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, buf, len);
	int rc = load_aligned(prof, copy, len, name, 0, err, errlen);

	free(copy);
	return rc;
}

int load_file(struct pp_profile *prof, const char *path, char *err, size_t errlen)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO named as a dump is refused, not waited on */
	int fd = shm_open_regular(AT_FDCWD, path, O_RDONLY, 0, &st, err, errlen);

	if (fd < 0)
		return -1;
	if (st.st_size == 0) {
		close(fd);
		snprintf(err, errlen, "empty file (not a paraprof dump)");
		return -1;
	}
	size_t len = (size_t)st.st_size;
	/* MAP_POPULATE: the kernel maps the cached pages in one go instead of
	 * taking a fault per page (a 2.7 GiB dump is 700,000 pages).  Not for
	 * a sparse file: its holes would be populated too, gigabytes of them
	 * for a hostile one; there only the pages validation reaches are read. */
	int populate = (uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size ? MAP_POPULATE : 0;
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | populate, fd, 0);

	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "cannot map: %s", strerror(errno));
		return -1;
	}
	int rc = load_aligned(prof, map, len, path, 0, err, errlen);

	munmap(map, len);
	return rc;
}

/* ---- live segments ---- */

#define LIVE_TRIES 50		/* whole copies before giving up on a moving segment */
#define RECORD_TRIES 1000	/* seqlock reads of one record before taking it as torn */

struct live_ctx {
	const unsigned char *map;	/* the shared segment */
	unsigned char *copy;		/* our copy, d->used bytes */
	int grew;			/* a record points past the copy: redo */
	int last;			/* last whole attempt: settle for what is there */
};

/* What settle_pages needs. */
struct settle_ctx {
	struct dump *d;
	struct live_ctx *lc;
};

/* ppc_record_copy's `more`: the pages of a record just copied, from the
 * live segment into our copy.  Returns 1 when one lies past our copy and
 * this is not the last attempt (lc->grew: the whole copy is redone). */
static int settle_pages(void *ctx, struct ppf_record *r)
{
	struct settle_ctx *sc = ctx;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t poff = (uint64_t)r->pages[p] * PPF_PAGE_BYTES;

		if (!r->pages[p])
			continue;
		if (!in_data(sc->d, poff, PPF_PAGE_BYTES)) {
			if (!sc->lc->last) {
				sc->lc->grew = 1;
				return 1;
			}
			r->pages[p] = 0;	/* allocated after our copy: drop */
			continue;
		}
		memcpy(sc->lc->copy + poff, sc->lc->map + poff, PPF_PAGE_BYTES);
	}
	return 0;
}

/* Re-reads one record and its pages from the live segment under its seqlock. */
static int settle_record(struct dump *d, uint32_t thread, uint64_t off, void *ctx)
{
	struct live_ctx *lc = ctx;
	struct ppf_record *r = (struct ppf_record *)(lc->copy + off);
	const struct ppf_record *src = (const void *)(lc->map + off);
	struct settle_ctx sc = { d, lc };

	(void)thread;
	if (ppc_record_copy(r, src, r->size, settle_pages, &sc, RECORD_TRIES) >= 0)
		return 0;	/* consistent, or lc->grew */
	/* Still moving (or its writer died mid-update): make the copy agree
	 * with itself and mark it torn. */
	uint64_t in_hist = 0;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		uint64_t poff = (uint64_t)r->pages[p] * PPF_PAGE_BYTES;

		if (!r->pages[p])
			continue;
		if (!in_data(d, poff, PPF_PAGE_BYTES)) {
			r->pages[p] = 0;
			continue;
		}
		const uint64_t *c = (const void *)(lc->copy + poff);

		for (unsigned i = 0; i < PPF_SUB; i++)
			in_hist = pp_sat_add(in_hist, c[i]);
	}
	if (r->pending > PPF_HIST_BUCKETS)
		r->pending = 0;
	r->calls = pp_sat_add(pp_sat_add(in_hist, r->pending != 0), r->hist_dropped);
	r->seq |= 1;
	return 0;
}

/* The used size the segment's header says now, 0 when it cannot be read. */
static uint64_t peek_used(int fd)
{
	uint64_t used;

	if (pread(fd, &used, sizeof(used), offsetof(struct ppf_header, used_size)) !=
	    (ssize_t)sizeof(used))
		return 0;
	return used;
}

/*
 * Copies the live segment open on `fd` consistently into *copy (malloc'ed,
 * *used bytes, its header's used_size set to *used; the caller frees it) and
 * validates its header and tables into *d (d->buf = *copy).  Memory and time
 * are bounded by what the file holds: before anything is mapped or copied,
 * the used size the header claims is checked against the file's size and
 * blocks (shm_check_backed), and only the used part is mapped; a segment
 * that grows while it is read is mapped again.  Returns 0, or -1 with the
 * reason in d->err (*copy is then NULL).
 */
static int live_copy(struct dump *d, int fd, unsigned char **copy, uint64_t *used_out)
{
	const long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int rc = -1;
	unsigned char *map = MAP_FAILED, *buf = NULL;
	size_t maplen = 0;
	struct live_ctx lc = { 0 };

	for (int attempt = 0; attempt < LIVE_TRIES; attempt++) {
		/* used_size first, then the blocks: the library allocates a
		 * range before it counts it as used, so a segment that grows
		 * meanwhile still passes */
		uint64_t claimed = peek_used(fd);

		if (fstat(fd, &st) < 0) {
			fail(d, "%s", strerror(errno));
			goto out;
		}
		if ((size_t)st.st_size < sizeof(struct ppf_header)) {
			fail(d, "truncated: %zu bytes, the header needs %zu",
			     (size_t)st.st_size, sizeof(struct ppf_header));
			goto out;
		}
		if (claimed > sizeof(struct ppf_header) &&
		    shm_check_backed(claimed, &st, d->err, d->errlen))
			goto out;
		/* map what is used, a little more for growth, within the file */
		uint64_t want = claimed < sizeof(struct ppf_header) ? sizeof(struct ppf_header) :
				claimed;

		want = (want + (uint64_t)page * 16 - 1) & ~((uint64_t)page - 1);
		if (want > (uint64_t)st.st_size)
			want = (uint64_t)st.st_size;
		if (want > maplen) {
			if (map != MAP_FAILED)
				munmap(map, maplen);
			maplen = (size_t)want;
			map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, 0);
			if (map == MAP_FAILED) {
				fail(d, "cannot map: %s", strerror(errno));
				goto out;
			}
		}
		const struct ppf_header *lh = (const void *)map;
		uint64_t fold = ppc_seq_begin(&lh->fold_seq), tl = ppc_seq_begin(&lh->timeline_seq);

		if ((fold | tl) & 1) {
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
			continue;
		}
		uint64_t used = __atomic_load_n(&lh->used_size, __ATOMIC_ACQUIRE);

		if (used > maplen && attempt < LIVE_TRIES - 1)
			continue;	/* it grew since the peek: check and map again */
		if (used > maplen)
			used = maplen;	/* validation says what is wrong, if anything */
		if (used < sizeof(struct ppf_header))
			used = sizeof(struct ppf_header);
		free(buf);
		buf = malloc(used);
		if (!buf) {
			fail(d, "out of memory");
			goto out;
		}
		memcpy(buf, map, used);
		((struct ppf_header *)buf)->used_size = used;
		d->buf = buf;
		if (check_header(d, used))
			goto out;
		lc = (struct live_ctx){ .map = map, .copy = buf,
					.last = attempt == LIVE_TRIES - 1 };
		d->notes = NULL;	/* the merge walk says what is wrong */
		if (walk_all(d, settle_record, &lc))
			goto out;
		if (!lc.last && (lc.grew || ppc_seq_end(&lh->fold_seq) != fold ||
				 ppc_seq_end(&lh->timeline_seq) != tl))
			continue;
		*copy = buf;
		*used_out = used;
		buf = NULL;
		rc = 0;
		goto out;
	}
	fail(d, "the segment kept changing while it was read");
out:
	free(buf);
	if (rc)
		d->buf = NULL;
	if (map != MAP_FAILED)
		munmap(map, maplen);
	return rc;
}

/* Reads the live segment open on `fd` (at `path`) as load_pid() says. */
static int load_live(struct pp_profile *prof, int fd, const char *path, char *err,
		     size_t errlen)
{
	struct dump d = { .err = err, .errlen = errlen };
	unsigned char *copy;
	uint64_t used;
	int rc;

	if (live_copy(&d, fd, &copy, &used))
		return -1;
	rc = merge_dump(&d, prof, path, 1);
	free(copy);
	return rc;
}

int load_snapshot(int fd, void **buf, size_t *len, char *err, size_t errlen)
{
	struct dump d = { .err = err, .errlen = errlen };
	unsigned char *copy;
	uint64_t used;

	*buf = NULL;
	*len = 0;
	if (live_copy(&d, fd, &copy, &used))
		return -1;
	*buf = copy;
	*len = (size_t)used;
	return 0;
}

int load_pid(struct pp_profile *prof, pid_t pid, struct load_source *src, char *err,
	     size_t errlen)
{
	struct shm_seg *segs;
	size_t n;
	long k;
	int fd, rc;

	ppc_segment_glob(src->path, sizeof(src->path), (long)pid);
	src->note[0] = '\0';
	if (shm_scan((uint32_t)pid, &segs, &n, err, errlen))
		return -1;
	if (!n) {
		snprintf(err, errlen, "no segment for pid %ld", (long)pid);
		free(segs);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		shm_open_seg(&segs[i], O_RDONLY);
	k = shm_choose(segs, n, 0, src->note, sizeof(src->note));
	if (k < 0) {
		/* none can be read: say why of the first, name the others */
		snprintf(src->path, sizeof(src->path), "%s", segs[0].path);
		snprintf(err, errlen, "%s", segs[0].err);
		shm_choose(segs + 1, n - 1, 0, src->note, sizeof(src->note));
		shm_free(segs, n);
		return -1;
	}
	snprintf(src->path, sizeof(src->path), "%s", segs[k].path);
	fd = segs[k].fd;
	segs[k].fd = -1;
	shm_free(segs, n);
	rc = load_live(prof, fd, src->path, err, errlen);
	close(fd);
	return rc;
}

/* ---- --list ---- */

int load_list(FILE *out, char *err, size_t errlen)
{
	struct shm_seg *segs;
	size_t n;

	if (shm_scan(0, &segs, &n, err, errlen))
		return -1;
	fprintf(out, "%-8s %-8s %-9s %10s  %-40s %s\n", "PID", "PROCESS", "STATE", "SIZE",
		"SEGMENT", "COMMAND");
	for (size_t i = 0; i < n; i++) {
		struct shm_seg *s = &segs[i];
		struct ppf_header *h = &s->h;
		const char *state = "?";

		shm_open_seg(s, O_RDONLY);
		shm_close_seg(s);
		if (s->usable)
			state = h->flags & PPF_FLAG_COMPLETE ? "complete" :
				h->flags & PPF_FLAG_ENABLED ? "recording" : "disabled";
		fprintf(out, "%-8" PRIu32 " %-8s %-9s %10" PRIu64 "  %-40s ", s->id.pid,
			shm_state_name(s->state), state, s->usable ? h->used_size : 0, s->name);
		if (s->usable) {
			h->cmdline[sizeof(h->cmdline) - 1] = '\0';
			esc_fputs(h->cmdline, out);
		} else {
			fprintf(out, "(%s)", s->err);
		}
		fputc('\n', out);
	}
	shm_free(segs, n);
	return (int)n;
}
