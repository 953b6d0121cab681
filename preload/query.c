/* query.c - statistics read inside the profiled process
 *
 * paraprof_get_stats() and paraprof_foreach_stats() read the segment the way
 * paraprof-report does, while every other thread keeps recording: each
 * record and its histogram pages are copied under the record's seqlock and
 * the copy retried when a writer was at work; a fold of an exiting thread's
 * records (header.fold_seq) restarts the walk; areas that have not applied
 * the last clear and records already folded are skipped.  Quantiles are
 * nearest-rank over the merged histogram (format.h gives the error bound).
 *
 * A function is known by its address and by the module it was in when its
 * record was made (record.module): after a dlclose() another library may
 * take the same addresses, and its functions are others.  The key of a
 * function that query_keys() hands out carries the module in its top bits
 * (QKEY_MODULE_SHIFT), and symtab.c names it from that module.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "common/record.h"

#define RETRIES 1000


/* The key query_keys() gives record `r`. */
static uint64_t key_of(const struct ppf_record *r)
{
	if (r->kind != PPF_KIND_FUNCTION || !r->module || r->key > QKEY_ADDR_MASK ||
	    r->module >= (1u << (64 - QKEY_MODULE_SHIFT)))
		return r->key;
	return r->key | (uint64_t)r->module << QKEY_MODULE_SHIFT;
}

/* Whether record `r` is one of (kind, key): for a function with a module in
 * the key, a record of that module or of none (made where no module was
 * known); without one, a record without a module. */
static int matches(const struct ppf_record *r, unsigned kind, uint64_t key)
{
	uint32_t module;

	if (r->kind != kind)
		return 0;
	if (kind != PPF_KIND_FUNCTION)
		return r->key == key;
	module = (uint32_t)(key >> QKEY_MODULE_SHIFT);
	if (r->key != (key & QKEY_ADDR_MASK))
		return 0;
	return module ? r->module == module || r->module == 0 : key_of(r) == key;
}

/* ppc_record_copy's `more`: the copy's histogram pages into the scratch
 * array `ctx` (PPF_HIST_BUCKETS counts). */
static int copy_pages(void *ctx, struct ppf_record *copy)
{
	uint64_t *scratch = ctx;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		if (copy->pages[p])
			memcpy(scratch + p * PPF_SUB,
			       seg_ptr((uint64_t)copy->pages[p] * PPF_PAGE_BYTES), PPF_PAGE_BYTES);
	return 0;
}

/* Copies record `r` (with its tail when it is an endpoint) into `copy` and
 * adds its histogram into the dense array hist[PPF_HIST_BUCKETS],
 * consistently.  Returns 0, or -1 when a writer kept it busy for RETRIES
 * tries (it is then skipped). */
static int read_record(const struct ppf_record *r, struct ppc_record_buf *copy, uint64_t *hist,
		       uint64_t *scratch)
{
	size_t size = r->kind == PPF_KIND_ENDPOINT && r->size >= sizeof(*copy) ?
		      sizeof(*copy) : sizeof(copy->rec);

	if (ppc_record_copy(&copy->rec, r, size, copy_pages, scratch, RETRIES) != 0)
		return -1;
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		if (copy->rec.pages[p])
			for (unsigned i = 0; i < PPF_SUB; i++)
				hist[p * PPF_SUB + i] += scratch[p * PPF_SUB + i];
	if (copy->rec.pending && copy->rec.pending <= PPF_HIST_BUCKETS)
		hist[copy->rec.pending - 1]++;
	return 0;
}

static int live_area(const struct ppf_header *h, unsigned i)
{
	const struct ppf_thread *t = seg_thread(i);
	uint32_t state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);

	return state != PPF_THREAD_FREE &&
	       __atomic_load_n(&t->cleared_gen, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&h->clear_gen, __ATOMIC_ACQUIRE);
}

int query_one(unsigned kind, uint64_t key, struct query_result *out)
{
	struct ppf_header *h = seg_header();
	size_t bytes = 2 * PPF_HIST_BUCKETS * sizeof(uint64_t);
	uint64_t *hist, *scratch;
	struct ppc_record_buf total;

	memset(out, 0, sizeof(*out));
	if (!h)
		return -1;
	hist = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hist == MAP_FAILED)
		return -1;
	scratch = hist + PPF_HIST_BUCKETS;
	memset(&total, 0, sizeof(total));	/* when no walk gets through */
	for (int walk = 0; walk < RETRIES; walk++) {
		uint64_t fold = __atomic_load_n(&h->fold_seq, __ATOMIC_ACQUIRE);
		uint32_t areas = __atomic_load_n(&h->thread_count, __ATOMIC_ACQUIRE);

		if (fold & 1)
			continue;
		memset(&total, 0, sizeof(total));
		total.rec.size = sizeof(total);
		total.rec.min_ns = UINT64_MAX;
		memset(hist, 0, PPF_HIST_BUCKETS * sizeof(uint64_t));
		for (unsigned i = 0; i < areas; i++) {
			uint64_t off, n = 0;

			if (!live_area(h, i))
				continue;
			off = __atomic_load_n(&seg_thread(i)->records, __ATOMIC_ACQUIRE);
			for (; off && n < seg_thread(i)->record_count; n++) {
				const struct ppf_record *r = seg_ptr(off);
				struct ppc_record_buf c = { .tail = { { 0 }, 0, 0 } };

				off = r->next;
				if (!matches(r, kind, key))
					continue;
				if (read_record(r, &c, hist, scratch) < 0 ||
				    (c.rec.flags & PPF_REC_FOLDED))
					continue;
				ppc_record_add(&total.rec, &c.rec);
			}
		}
		pp_rmb();
		if (__atomic_load_n(&h->fold_seq, __ATOMIC_RELAXED) == fold)
			break;
	}
	out->calls = total.rec.calls;
	out->sum_ns = total.rec.sum_ns;
	out->inclusive_ns = total.rec.inclusive_ns;
	out->self_ns = total.rec.self_ns;
	out->min_ns = total.rec.calls ? total.rec.min_ns : 0;
	out->max_ns = total.rec.max_ns;
	out->rss_sum_kib = total.rec.rss_sum_kib;
	out->rss_max_kib = total.rec.rss_max_kib;
	memcpy(out->status, total.tail.status, sizeof(out->status));
	out->slow = total.tail.slow;
	uint64_t n = 0;

	for (unsigned i = 0; i < PPF_HIST_BUCKETS; i++)
		n += hist[i];
	out->p50_ns = ppc_hist_quantile(hist, n, 500000, out->min_ns, out->max_ns);
	out->p95_ns = ppc_hist_quantile(hist, n, 950000, out->min_ns, out->max_ns);
	out->p99_ns = ppc_hist_quantile(hist, n, 990000, out->min_ns, out->max_ns);
	munmap(hist, bytes);
	return 0;
}

int query_keys(struct query_key **keys, size_t *count)
{
	struct ppf_header *h = seg_header();
	struct query_key *k = NULL;
	size_t n = 0, cap = 0;

	*keys = NULL;
	*count = 0;
	if (!h)
		return -1;
	for (unsigned i = 0; i < __atomic_load_n(&h->thread_count, __ATOMIC_ACQUIRE); i++) {
		uint64_t off, seen = 0;

		if (!live_area(h, i))
			continue;
		off = __atomic_load_n(&seg_thread(i)->records, __ATOMIC_ACQUIRE);
		for (; off && seen < seg_thread(i)->record_count; seen++) {
			const struct ppf_record *r = seg_ptr(off);
			size_t j;

			off = r->next;
			if (!r->calls || (r->flags & PPF_REC_FOLDED) || r->kind == PPF_KIND_SAMPLE)
				continue;
			for (j = 0; j < n; j++)
				if (k[j].kind == r->kind && k[j].key == key_of(r))
					break;
			if (j < n)
				continue;
			if (n == cap) {
				struct query_key *more = realloc(k, (cap ? cap * 2 : 64) * sizeof(*k));

				if (!more) {
					free(k);
					return -1;
				}
				k = more;
				cap = cap ? cap * 2 : 64;
			}
			k[n].kind = r->kind;
			k[n].key = key_of(r);
			n++;
		}
	}
	*keys = k;
	*count = n;
	return 0;
}
