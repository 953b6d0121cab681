/* stats.c - per-entry statistics and quantiles from sparse histograms
 *
 * Ranks come from ppc_quantile_rank (common/record.c): the runtime's
 * paraprof_get_stats() and the analyzer rank alike.
 */
#include "common/record.h"
#include "stats.h"

uint64_t stats_quantile(const struct pp_hist *h, uint32_t q_ppm, uint64_t min_ns,
			uint64_t max_ns)
{
	if (!h->count)
		return 0;
	uint64_t rank = ppc_quantile_rank(h->count, q_ppm), seen = 0;
	unsigned slot = 0;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		if (!(h->page_mask >> p & 1))
			continue;
		const uint64_t *c = h->pages[slot++];

		for (unsigned i = 0; i < PPF_SUB; i++) {
			seen += c[i];
			if (seen >= rank) {
				uint64_t v = ppf_bucket_value(p * PPF_SUB + i);

				if (v < min_ns)
					v = min_ns;
				if (v > max_ns)
					v = max_ns;
				return v;
			}
		}
	}
	return max_ns;	/* unreachable while count is the sum of the buckets */
}

/* p50, p95, p99 and p99.9 in one pass over the buckets. */
static void quantiles4(const struct pp_hist *h, uint64_t min_ns, uint64_t max_ns,
		       uint64_t out[4])
{
	static const uint32_t q_ppm[4] = { 500000, 950000, 990000, 999000 };
	uint64_t rank[4], seen = 0;
	unsigned k = 0, slot = 0;

	if (!h->count) {
		out[0] = out[1] = out[2] = out[3] = 0;
		return;
	}
	for (int i = 0; i < 4; i++) {
		rank[i] = ppc_quantile_rank(h->count, q_ppm[i]);
		out[i] = max_ns;
	}
	for (unsigned p = 0; p < PPF_HIST_PAGES && k < 4; p++) {
		if (!(h->page_mask >> p & 1))
			continue;
		const uint64_t *c = h->pages[slot++];

		for (unsigned i = 0; i < PPF_SUB && k < 4; i++) {
			seen += c[i];
			while (k < 4 && seen >= rank[k]) {
				uint64_t v = ppf_bucket_value(p * PPF_SUB + i);

				out[k++] = v < min_ns ? min_ns : v > max_ns ? max_ns : v;
			}
		}
	}
}

void stats_compute(const struct pp_entry *e, struct pp_stats *st)
{
	uint64_t min = e->calls ? e->min_ns : 0, max = e->calls ? e->max_ns : 0;

	if (min > max)		/* torn record */
		min = max;
	st->calls = e->calls;
	st->total_ns = e->inclusive_ns;
	st->self_ns = e->self_ns;
	st->sum_ns = e->sum_ns;
	st->avg_ns = e->calls ? e->sum_ns / e->calls : 0;
	st->min_ns = min;
	st->max_ns = max;
	uint64_t q[4];

	quantiles4(&e->hist, min, max, q);
	st->p50_ns = q[0];
	st->p95_ns = q[1];
	st->p99_ns = q[2];
	st->p999_ns = q[3];
	st->mem_avg_kib = e->calls ? e->rss_sum_kib / e->calls : 0;
	st->mem_max_kib = e->rss_max_kib;
	st->errors = pp_sat_add(e->status[4], e->status[5]);
}

void stats_totals(const struct pp_profile *prof, struct pp_totals *t)
{
	*t = (struct pp_totals){ 0 };
	for (size_t i = 0; i < prof->nprocs; i++) {
		const struct pp_process *p = &prof->procs[i];

		if (p->wall_ns > t->wall_ns)
			t->wall_ns = p->wall_ns;
		if (p->rss_peak_kib > t->rss_peak_kib)
			t->rss_peak_kib = p->rss_peak_kib;
		if (!(p->flags & PPF_FLAG_COMPLETE))
			t->incomplete = 1;
		t->dropped_functions = pp_sat_add(t->dropped_functions, p->dropped_functions);
		t->stack_overflows = pp_sat_add(t->stack_overflows, p->stack_overflows);
		t->abandoned_frames = pp_sat_add(t->abandoned_frames, p->abandoned_frames);
		t->unmatched_exits = pp_sat_add(t->unmatched_exits, p->unmatched_exits);
		t->threads_dropped = pp_sat_add(t->threads_dropped, p->threads_dropped);
		t->threads_seen = pp_sat_add(t->threads_seen, p->threads_seen);
		t->hist_dropped = pp_sat_add(t->hist_dropped, p->hist_dropped);
		t->strings_dropped = pp_sat_add(t->strings_dropped, p->strings_dropped);
	}
	for (size_t i = 0; i < prof->nentries; i++) {
		const struct pp_entry *e = prof->entries[i];

		/* Functions, regions and libc calls sit on the shadow stack,
		 * so their self times partition each thread's instrumented
		 * time exactly; spans and endpoints overlap them and are left
		 * out. */
		if (e->kind == PPF_KIND_FUNCTION || e->kind == PPF_KIND_REGION ||
		    e->kind == PPF_KIND_LIBCALL)
			t->profiled_ns = pp_sat_add(t->profiled_ns, e->self_ns);
		t->endpoints += e->kind == PPF_KIND_ENDPOINT;
	}
}

int stats_memory_trend(const struct pp_process *p, uint64_t *first_kib, uint64_t *last_kib)
{
	uint32_t n = p->timeline_count, q = n / 4;
	unsigned __int128 a = 0, b = 0;

	if (n < 8)
		return 0;
	for (uint32_t i = 0; i < q; i++) {
		a += p->timeline[i].rss_kib;
		b += p->timeline[n - q + i].rss_kib;
	}
	*first_kib = (uint64_t)(a / q);
	*last_kib = (uint64_t)(b / q);
	return 1;
}
