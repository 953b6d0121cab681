/* record.c - a record of the segment: added into a total, copied, its quantiles
 *
 * See record.h.
 */
#include <sched.h>
#include <stddef.h>
#include <string.h>

#include "record.h"

_Static_assert(offsetof(struct ppc_record_buf, tail) == sizeof(struct ppf_record),
	       "an endpoint's tail follows its record");
_Static_assert(offsetof(struct ppf_record, parent) == PPF_RECORD_SIZE_V2 &&
	       offsetof(struct ppf_record, cpu_ns) == PPF_RECORD_SIZE_V3 &&
	       offsetof(struct ppf_record, outer_calls) == PPF_RECORD_SIZE_V4 &&
	       sizeof(struct ppf_record) == PPF_RECORD_SIZE_V4 + sizeof(uint64_t),
	       "format 3 appends parent to the records of formats 1 and 2, format 4"
	       " cpu_ns and cpu_wall_ns, format 5 outer_calls");
_Static_assert(sizeof(struct ppf_header) == 936, "the header keeps its size");

void ppc_record_add(struct ppf_record *total, const struct ppf_record *rec)
{
	total->calls += rec->calls;
	total->sum_ns += rec->sum_ns;
	total->inclusive_ns += rec->inclusive_ns;
	total->self_ns += rec->self_ns;
	total->abandoned += rec->abandoned;
	total->rss_sum_kib += rec->rss_sum_kib;
	total->hist_dropped += rec->hist_dropped;
	total->cpu_ns += rec->cpu_ns;
	total->cpu_wall_ns += rec->cpu_wall_ns;
	total->outer_calls += rec->outer_calls;
	/* a record without calls has no shortest call (min_ns UINT64_MAX, or
	 * a first call's duration stored before its count, seen by a reader) */
	if (rec->calls && rec->min_ns < total->min_ns)
		total->min_ns = rec->min_ns;
	if (rec->max_ns > total->max_ns)
		total->max_ns = rec->max_ns;
	if (rec->rss_max_kib > total->rss_max_kib)
		total->rss_max_kib = rec->rss_max_kib;
	if (rec->kind == PPF_KIND_ENDPOINT &&
	    rec->size >= sizeof(*rec) + sizeof(struct ppf_endpoint_tail) &&
	    total->size >= sizeof(*total) + sizeof(struct ppf_endpoint_tail)) {
		const struct ppf_endpoint_tail *src = (const void *)(rec + 1);
		struct ppf_endpoint_tail *dst = (void *)(total + 1);

		for (unsigned i = 0; i < PPF_STATUS_CLASSES; i++)
			dst->status[i] += src->status[i];
		dst->slow += src->slow;
	}
}

int ppc_record_copy(struct ppf_record *dst, const struct ppf_record *src, size_t size,
		    int (*more)(void *ctx, struct ppf_record *copy), void *ctx,
		    unsigned tries)
{
	for (unsigned i = 0; i < tries; i++) {
		uint64_t seq = ppc_seq_begin(&src->seq);
		int rc;

		if (seq & 1) {
			if (i % 64 == 63)
				sched_yield();
			continue;
		}
		memcpy(dst, src, size);
		if (more && (rc = more(ctx, dst)) != 0)
			return rc;
		if (ppc_seq_end(&src->seq) == seq)
			return 0;
	}
	return -1;
}

uint64_t ppc_quantile_rank(uint64_t n, uint32_t q_ppm)
{
	unsigned __int128 r = ((unsigned __int128)n * q_ppm + 999999) / 1000000;

	return r ? (uint64_t)r : 1;
}

uint64_t ppc_hist_quantile(const uint64_t *hist, uint64_t n, uint32_t q_ppm, uint64_t min,
			   uint64_t max)
{
	uint64_t rank, seen = 0;

	if (!n)
		return 0;
	rank = ppc_quantile_rank(n, q_ppm);
	for (unsigned i = 0; i < PPF_HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= rank) {
			uint64_t v = ppf_bucket_value(i);

			return v < min ? min : v > max ? max : v;
		}
	}
	return max;
}
