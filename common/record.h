/* record.h - a record of the segment: added into a total, copied
 * consistently while it is live, and its quantiles
 *
 * Part of the common format layer (common/).  A total is itself a struct
 * ppf_record (followed by its struct ppf_endpoint_tail when it sums
 * endpoints), so that the runtime's fold of an exiting thread's records
 * into area 0 and paraprof_get_stats()'s sum over the live areas add in one
 * way.  Histograms are left to the callers (where they live differs); the
 * nearest-rank quantile of a dense histogram is here.
 */
#ifndef PARAPROF_COMMON_RECORD_H
#define PARAPROF_COMMON_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "paraprof/format.h"

/* A record and its endpoint tail, one after the other as in the segment. */
struct ppc_record_buf {
	struct ppf_record rec;
	struct ppf_endpoint_tail tail;
};

/*
 * Adds the scalar statistics of `rec` into `total`: the sums (calls,
 * sum_ns, inclusive_ns, self_ns, abandoned, rss_sum_kib, hist_dropped; they
 * wrap at 2^64, as the runtime's counters do), min_ns when rec has calls,
 * max_ns and rss_max_kib; and, when both are endpoint-sized (size covers a
 * struct ppf_endpoint_tail after the record) and rec is an endpoint, the
 * status classes and slow requests of the tails.  Neither seq, flags nor
 * the histogram (pages, pending) is touched.
 */
void ppc_record_add(struct ppf_record *total, const struct ppf_record *rec);

/* The first read of a seqlock's counter (acquire). */
static inline uint64_t ppc_seq_begin(const uint64_t *seq)
{
	return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}

/* The second read of a seqlock's counter: the copy made before it must not
 * move past it, hence the acquire fence (ThreadSanitizer does not model
 * fences, so a TSAN=1 build uses a sequentially consistent load instead). */
static inline uint64_t ppc_seq_end(const uint64_t *seq)
{
#ifdef __SANITIZE_THREAD__
	return __atomic_load_n(seq, __ATOMIC_SEQ_CST);
#else
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(seq, __ATOMIC_RELAXED);
#endif
}

/*
 * Copies `size` bytes of the live record `src` into `dst` consistently: under
 * the record's seqlock, retried while a writer is at work, at most `tries`
 * times (yielding the processor now and then).  After each copy and before
 * the seqlock's second read, `more` (when not NULL) copies what belongs to
 * the record elsewhere (its histogram pages, from dst->pages); a non-zero
 * return from it ends the copy with that value.  Returns 0 when the copy is
 * consistent, -1 when a writer kept the record busy `tries` times (dst then
 * holds the last, possibly torn, copy, or is unchanged when the seqlock was
 * never even), or what `more` returned.
 */
int ppc_record_copy(struct ppf_record *dst, const struct ppf_record *src, size_t size,
		    int (*more)(void *ctx, struct ppf_record *copy), void *ctx,
		    unsigned tries);

/* The nearest rank of the q_ppm / 1e6 quantile (e.g. 950000 for p95) of
 * n values: ceil(n * q_ppm / 1e6), at least 1, in 128-bit integers so that
 * no floating-point rounding moves it into the neighbouring bucket. */
uint64_t ppc_quantile_rank(uint64_t n, uint32_t q_ppm);

/* The nearest-rank q_ppm / 1e6 quantile of the dense histogram `hist`
 * (PPF_HIST_BUCKETS counts, `n` their sum): its bucket's value, clamped to
 * [min, max].  0 when n is 0; max when the buckets hold fewer than the
 * rank. */
uint64_t ppc_hist_quantile(const uint64_t *hist, uint64_t n, uint32_t q_ppm, uint64_t min,
			   uint64_t max);

#endif
