/* record.h - adding one record of the segment into a total
 *
 * Part of the common format layer (common/).  A total is itself a struct
 * ppf_record (followed by its struct ppf_endpoint_tail when it sums
 * endpoints), so that the runtime's fold of an exiting thread's records
 * into area 0 and paraprof_get_stats()'s sum over the live areas add in one
 * way.  Histograms are left to the callers: where they live differs.
 */
#ifndef PARAPROF_COMMON_RECORD_H
#define PARAPROF_COMMON_RECORD_H

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

#endif
