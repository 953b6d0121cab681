/* stats.h - per-entry statistics and quantiles from sparse histograms
 *
 * Quantiles are nearest-rank: the q-quantile of n calls is the smallest
 * duration v such that at least ceil(q * n) calls took <= v.  From a
 * histogram it is the value ppf_bucket_value() of the bucket where the
 * running count first reaches that rank, clamped to the exact [min, max] of
 * the entry; format.h derives the error bound (1/128 relative).
 */
#ifndef PARAPROF_STATS_H
#define PARAPROF_STATS_H

#include <stdint.h>

#include "profile.h"

struct pp_stats {
	uint64_t calls;
	uint64_t total_ns;		/* inclusive: outermost frames */
	uint64_t self_ns;
	uint64_t sum_ns;		/* every call's duration */
	uint64_t avg_ns;		/* sum_ns / calls, 0 when no calls */
	uint64_t min_ns, max_ns;	/* 0 when no calls */
	uint64_t p50_ns, p95_ns, p99_ns, p999_ns; /* 0 when the histogram is empty */
	uint64_t mem_avg_kib, mem_max_kib;	/* RSS at the calls' exits */
	uint64_t errors;		/* endpoints: 4xx + 5xx responses */
};

/* The nearest-rank quantile q_ppm / 1e6 (e.g. 950000 for p95) of `h`, as a
 * bucket value clamped to [min_ns, max_ns]; 0 when h is empty. */
uint64_t stats_quantile(const struct pp_hist *h, uint32_t q_ppm, uint64_t min_ns,
			uint64_t max_ns);

/* Fills `st` from `e`. */
void stats_compute(const struct pp_entry *e, struct pp_stats *st);

/* Facts about the whole profile. */
struct pp_totals {
	uint64_t wall_ns;		/* the longest wall time of the processes */
	uint64_t profiled_ns;		/* self time of functions and regions, summed:
					   the time spent inside instrumented code */
	uint64_t dropped_functions, stack_overflows, abandoned_frames, unmatched_exits;
	uint64_t threads_dropped, threads_seen, hist_dropped, strings_dropped;
	uint64_t rss_peak_kib;		/* largest over the processes */
	uint64_t endpoints;		/* entries of kind endpoint */
	int incomplete;			/* some process did not exit normally */
};

/* Sums the header counters and the entries of `prof` into `t`. */
void stats_totals(const struct pp_profile *prof, struct pp_totals *t);

/* Compares the mean RSS of the first and the last quarter of a process's
 * memory timeline.  Returns 1 and sets *first_kib, *last_kib when there are
 * at least 8 samples, else 0. */
int stats_memory_trend(const struct pp_process *p, uint64_t *first_kib, uint64_t *last_kib);

#endif /* PARAPROF_STATS_H */
