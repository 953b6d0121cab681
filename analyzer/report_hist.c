/* report_hist.c - --histogram FUNC: a function's duration distribution,
 * drawn in the terminal
 *
 * The histogram's 3776 log-linear buckets are grouped into rows of a 1-2-5
 * series ([1us, 2us), [2us, 5us), [5us, 10us), ...): log-scaled, with
 * round bounds.  A bucket goes to the row of its lower bound; a bucket
 * straddles a row bound by at most 1/128 of its value (format.h), so a
 * call may be drawn one row low by that much.  Rows run from the fastest
 * call's to the slowest's, empty ones included so that gaps show; past
 * HIST_MAX_ROWS rows, neighbours merge.  Bars are scaled to the largest
 * row; p50, p95 and p99 are marked on the rows that hold them (the row of
 * the bucket each quantile falls in, as stats.c finds it).
 */
#include <stdlib.h>
#include <string.h>

#include "callgraph.h"
#include "report.h"

#define HIST_SERIES 60		/* 1-2-5 steps from 1 ns past 2^64 ns */
#define HIST_MAX_ROWS 24
#define HIST_MAX_BAR 60		/* bar columns, however wide the text */

/* Lower bound (ns) of step k of the 1-2-5 series; UINT64_MAX past 2^64. */
static uint64_t series(unsigned k)
{
	static const uint64_t m[3] = { 1, 2, 5 };
	uint64_t v = m[k % 3];

	for (unsigned i = 0; i < k / 3; i++)
		if (__builtin_mul_overflow(v, 10, &v))
			return UINT64_MAX;
	return v;
}

/* The step of the series that holds v (0 for v = 0). */
static unsigned step_of(uint64_t v)
{
	unsigned k = 0;

	while (k + 1 < HIST_SERIES && series(k + 1) <= v)
		k++;
	return k;
}

long report_hist_find(const struct pp_profile *prof, const char *func, char *err,
		      size_t errlen)
{
	char why[400];
	uint32_t e;

	if (cg_find(prof, func, &e, why, sizeof(why))) {
		snprintf(err, errlen, "--histogram: %s", why);
		return -1;
	}
	return e;
}

int report_hist(FILE *out, const struct report *r, size_t entry)
{
	const struct pp_entry *e = r->prof->entries[entry];
	size_t width = report_text_width(out, r->opts);
	uint64_t count[HIST_SERIES] = { 0 }, rows[HIST_MAX_ROWS + 1] = { 0 }, most = 0;
	unsigned lo = HIST_SERIES, hi = 0, group, nrows;
	struct pp_stats st;
	char a[32], b[32], c[32], d[32], f[32], g[32];

	stats_compute(e, &st);
	if (width > HIST_MAX_BAR + 40)
		width = HIST_MAX_BAR + 40;
	fputs("Duration distribution of ", out);
	report_text_fit(out, e->name, width - 25, r->opts->utf8);
	fputc('\n', out);
	for (unsigned i = 0; i < PPF_HIST_BUCKETS; i++) {
		uint64_t n = pp_hist_bucket(&e->hist, i);
		unsigned k;

		if (!n)
			continue;
		k = step_of(ppf_bucket_lower(i));
		count[k] = pp_sat_add(count[k], n);
		lo = k < lo ? k : lo;
		hi = k > hi ? k : hi;
	}
	fprintf(out, "%s call%s: min %s, p50 %s, p95 %s, p99 %s, max %s\n",
		report_fmt_count(g, st.calls), st.calls == 1 ? "" : "s", report_fmt_ns(a, st.min_ns),
		report_fmt_ns(b, st.p50_ns), report_fmt_ns(c, st.p95_ns),
		report_fmt_ns(d, st.p99_ns), report_fmt_ns(f, st.max_ns));
	if (lo > hi) {
		fputs("(no duration in its histogram)\n", out);
		return ferror(out) ? -1 : 0;
	}
	group = (hi - lo) / HIST_MAX_ROWS + 1;
	nrows = (hi - lo) / group + 1;
	for (unsigned k = lo; k <= hi; k++) {
		uint64_t *row = &rows[(k - lo) / group];

		*row = pp_sat_add(*row, count[k]);
	}
	for (unsigned i = 0; i < nrows; i++)
		most = rows[i] > most ? rows[i] : most;

	/* the quantiles' rows, as their buckets' lower bounds fall */
	const uint64_t q[3] = { st.p50_ns, st.p95_ns, st.p99_ns };
	unsigned qrow[3];

	for (int j = 0; j < 3; j++) {
		unsigned k = step_of(ppf_bucket_lower(ppf_bucket(q[j])));

		k = k < lo ? lo : k > hi ? hi : k;
		qrow[j] = (k - lo) / group;
	}

	size_t cw = strlen(report_fmt_count(a, most)), lw = 0;
	char label[HIST_MAX_ROWS + 1][48];

	for (unsigned i = 0; i < nrows; i++) {
		unsigned k0 = lo + i * group, k1 = k0 + group;

		snprintf(label[i], sizeof(label[i]), "%6s - %-6s", report_fmt_limit(a, series(k0)),
			 k1 < HIST_SERIES && series(k1) != UINT64_MAX ?
			 report_fmt_limit(b, series(k1)) : "max");
		if (strlen(label[i]) > lw)
			lw = strlen(label[i]);
	}
	if (cw < 5)
		cw = 5;
	/* label, 2 spaces, bar, 2 spaces, count, then " p50 p95 p99" at most */
	size_t fixed = lw + 2 + 2 + cw + 12, bar = width > fixed + 10 ? width - fixed : 10;

	if (bar > HIST_MAX_BAR)
		bar = HIST_MAX_BAR;
	fprintf(out, "%-*s  %-*s  %*s\n", (int)lw, "Duration", (int)bar, "", (int)cw, "Calls");
	for (unsigned i = 0; i < nrows; i++) {
		size_t len = most ? (size_t)((double)rows[i] * (double)bar / (double)most + 0.5) : 0;

		if (rows[i] && !len)
			len = 1;	/* a row with calls is never drawn empty */
		fprintf(out, "%-*s  ", (int)lw, label[i]);
		for (size_t j = 0; j < bar; j++)
			fputs(j >= len ? " " : r->opts->utf8 ? "\u2588" : "#", out);
		fprintf(out, "  %*s", (int)cw, report_fmt_count(a, rows[i]));
		if (qrow[0] == i)
			fputs(" p50", out);
		if (qrow[1] == i)
			fputs(" p95", out);
		if (qrow[2] == i)
			fputs(" p99", out);
		fputc('\n', out);
	}
	if (e->hist_dropped)
		fprintf(out, "(%s call%s not in the histogram: no page could be had)\n",
			report_fmt_count(a, e->hist_dropped), e->hist_dropped == 1 ? "" : "s");
	return ferror(out) ? -1 : 0;
}
