/* diff.c - two sides of runs compared, and the regression gate
 *
 * Each side gets the report of its merged profile (report_build(): names,
 * statistics, --filter/--exclude), then the rows are matched by key (kind,
 * module basename, name) with a sort of both sides and a merge walk: two
 * entries of one side with one key (two static functions of one name in one
 * module) pair up in the order of their ELF addresses.
 *
 * The gate.  For an entry with at least --min-calls calls on both sides and
 * a metric M with a limit, the change of M counts only beyond what the
 * histograms can err: a quantile is reported as its bucket's midpoint, so
 * the true value lies within half a bucket width w/2 of it (at most 1/128
 * of the value, format.h); the least change the data allow is
 *     least = (after - w_after / 2) - (before + w_before / 2)
 * (the average is exact: sum / calls, no error).  M regressed when least is
 * over the limit (a relative limit is taken of the largest before value,
 * before + w_before / 2) *and* its test (diffstat.c: the exceedance test of
 * the quantile, Welch's t test for the average) is significant: one-sided p <
 * 1 - confidence.  Bucket error can thus never make a regression, and a few
 * unlucky calls cannot either.  Each entry and metric is tested on its own
 * (no correction for many entries): the limits keep noise of a large
 * program out.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "options.h"

static const char *const metric_names[DIFF_NMETRICS] = { "avg", "p10", "p50", "p95", "p99" };
static const uint32_t metric_ppm[DIFF_NMETRICS] = { 0, 100000, 500000, 950000, 990000 };

const char *diff_metric_name(enum diff_metric m)
{
	return m < DIFF_NMETRICS ? metric_names[m] : "?";
}

uint64_t diff_metric_value(const struct report_row *rw, enum diff_metric m)
{
	const struct pp_stats *st = &rw->st;

	switch (m) {
	case DIFF_AVG: return st->avg_ns;
	case DIFF_P10: return stats_quantile(&rw->e->hist, metric_ppm[DIFF_P10], st->min_ns,
					     st->max_ns);
	case DIFF_P50: return st->p50_ns;
	case DIFF_P95: return st->p95_ns;
	case DIFF_P99: return st->p99_ns;
	default: return 0;
	}
}

void diff_opts_default(struct diff_opts *d)
{
	char err[128];

	memset(d, 0, sizeof(*d));
	d->confidence = DIFF_DEFAULT_CONFIDENCE;
	diff_parse_limits(DIFF_DEFAULT_LIMITS, d, err, sizeof(err));
}

int diff_parse_limits(const char *s, struct diff_opts *d, char *err, size_t errlen)
{
	struct diff_limit lim[DIFF_NMETRICS] = { { 0 } };
	char buf[256];

	if (!*s || strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "--max-regression: %s value", *s ? "too long a" : "empty");
		return -1;
	}
	strcpy(buf, s);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *v, *end;
		int m;

		if (!eq) {
			snprintf(err, errlen, "--max-regression: '%s' is not KEY=LIMIT (e.g."
				 " p95=10%% or p95=+2ms)", tok);
			return -1;
		}
		*eq = '\0';
		for (m = 0; m < DIFF_NMETRICS && strcmp(metric_names[m], tok); m++)
			;
		if (m == DIFF_NMETRICS) {
			snprintf(err, errlen, "--max-regression: unknown key '%s' (avg, p10, p50,"
				 " p95 or p99)", tok);
			return -1;
		}
		v = eq + 1 + (eq[1] == '+');
		size_t len = strlen(v);

		if (len > 1 && v[len - 1] == '%' && strchr("0123456789.", *v)) {
			double pct = strtod(v, &end);

			if (end == v + len - 1 && pct >= 0 && pct <= 1e6) {
				lim[m] = (struct diff_limit){ 1, 0, pct / 100, 0 };
				continue;
			}
		} else if (opt_parse_time(v, &lim[m].abs_ns) == 0) {
			lim[m].set = lim[m].absolute = 1;
			continue;
		}
		snprintf(err, errlen, "--max-regression: '%s' is not a percentage (10%%) or a"
			 " time (+2ms)", eq + 1);
		return -1;
	}
	memcpy(d->limits, lim, sizeof(lim));
	return 0;
}

int diff_parse_confidence(const char *s, struct diff_opts *d, char *err, size_t errlen)
{
	char *end;
	double pct = strtod(s, &end);

	if (end == s || !strchr("0123456789.", *s) || (*end && strcmp(end, "%")) ||
	    !(pct >= 50 && pct <= 99.9999)) {
		snprintf(err, errlen, "--confidence: '%s' is not a percentage from 50 to 99.9999",
			 s);
		return -1;
	}
	d->confidence = pct / 100;
	return 0;
}

/* The match key of a row: kind, module basename, name. */
struct keyed {
	const struct report_row *row;
	const char *module;		/* basename, "" for named kinds */
	const char *name;		/* the full name when there is one */
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c;

	if (x->row->e->kind != y->row->e->kind)
		return x->row->e->kind < y->row->e->kind ? -1 : 1;
	if ((c = strcmp(x->module, y->module)) || (c = strcmp(x->name, y->name)))
		return c;
	return (x->row->e->offset > y->row->e->offset) - (x->row->e->offset < y->row->e->offset);
}

static int same_key(const struct keyed *x, const struct keyed *y)
{
	return x->row->e->kind == y->row->e->kind && !strcmp(x->module, y->module) &&
	       !strcmp(x->name, y->name);
}

/* The rows of report r that the filters keep, keyed and sorted; NULL when
 * memory runs out.  *n gets their number. */
static struct keyed *keyed_rows(const struct report *r, size_t *n)
{
	struct keyed *k = malloc((r->nrows ? r->nrows : 1) * sizeof(*k));

	*n = 0;
	if (!k)
		return NULL;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct report_row *row = &r->rows[i];
		const char *slash = row->module ? strrchr(row->module, '/') : NULL;

		if (row->hidden == HIDE_FILTER || row->hidden == HIDE_EXCLUDE || !row->e->calls)
			continue;
		k[(*n)++] = (struct keyed){ row, slash ? slash + 1 : row->module ? row->module : "",
					    row->e->full_name ? row->e->full_name : row->name };
	}
	qsort(k, *n, sizeof(*k), cmp_keyed);
	return k;
}

/* An entry's part of the profiled total: self time for functions and
 * regions, total time for spans and endpoints. */
static int64_t weight_ns(const struct report_row *row)
{
	if (!row)
		return 0;
	uint64_t v = row->e->kind == PPF_KIND_FUNCTION || row->e->kind == PPF_KIND_REGION ?
		     row->st.self_ns : row->st.total_ns;

	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Matched rows first, then new, then vanished; each by |effect|, largest
 * first, then by name. */
static int cmp_rows(const void *a, const void *b)
{
	const struct diff_row *x = a, *y = b;
	int gx = x->base && x->new ? 0 : x->new ? 1 : 2, gy = y->base && y->new ? 0 : y->new ? 1 : 2;

	if (gx != gy)
		return gx - gy;
	if (diff_abs(x->effect_ns) != diff_abs(y->effect_ns))
		return diff_abs(x->effect_ns) < diff_abs(y->effect_ns) ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Adds row (base b, new n; either may be NULL) to d. */
static void add_row(struct diff *d, const struct report_row *b, const struct report_row *n)
{
	struct diff_row *row = &d->rows[d->nrows++];
	double alpha = 1 - d->dopts->confidence;

	*row = (struct diff_row){ b, n, (n ? n : b)->name, (n ? n : b)->e->kind,
				  weight_ns(n) - weight_ns(b), 1.0, 1.0, 0 };
	if (b && n) {
		row->p_slower = diff_mann_whitney(&b->e->hist, &n->e->hist, NULL);
		row->p_faster = diff_mann_whitney(&n->e->hist, &b->e->hist, NULL);
		row->verdict = row->p_slower < alpha ? 1 : row->p_faster < alpha ? -1 : 0;
		d->nslower += row->verdict > 0;
		d->nfaster += row->verdict < 0;
		d->nmatched++;
	} else {
		*(n ? &d->nnew : &d->nvanished) += 1;
	}
}

/* Half the width of the bucket that value v (ns) is reported from: the
 * most a quantile can be off (0 for v = 0, an empty histogram). */
static uint64_t half_bucket(uint64_t v)
{
	return v ? ppf_bucket_width(ppf_bucket(v)) / 2 : 0;
}

/* The exact mean duration of a row, ns. */
static double mean_of(const struct report_row *rw)
{
	return rw->st.calls ? (double)rw->st.sum_ns / (double)rw->st.calls : 0;
}

/* The gate over d's matched rows: fills d->regs.  0 or -1 (memory). */
static int gate(struct diff *d)
{
	double alpha = 1 - d->dopts->confidence;
	uint64_t min_calls = d->ropts->min_calls;

	d->regs = malloc((d->nmatched ? d->nmatched : 1) * DIFF_NMETRICS * sizeof(*d->regs));
	if (!d->regs)
		return -1;
	for (size_t i = 0; i < d->nrows; i++) {
		const struct diff_row *row = &d->rows[i];

		if (!row->base || !row->new || row->base->st.calls < min_calls ||
		    row->new->st.calls < min_calls || !row->base->e->hist.count ||
		    !row->new->e->hist.count)
			continue;
		d->judged++;
		for (int m = 0; m < DIFF_NMETRICS; m++) {
			const struct diff_limit *lim = &d->dopts->limits[m];

			if (!lim->set)
				continue;
			uint64_t before = diff_metric_value(row->base, (enum diff_metric)m);
			uint64_t after = diff_metric_value(row->new, (enum diff_metric)m);
			uint64_t eb = m == DIFF_AVG ? 0 : half_bucket(before);
			uint64_t ea = m == DIFF_AVG ? 0 : half_bucket(after);
			/* |durations| < 2^63 ns (292 years): the differences fit */
			int64_t least = (int64_t)(after - ea) - (int64_t)(before + eb);
			int over = lim->absolute ? least > 0 && (uint64_t)least > lim->abs_ns :
				   (double)least > lim->rel * (double)(before + eb);

			if (!over)
				continue;
			double p = m == DIFF_AVG ?
				   diff_welch(&row->base->e->hist, mean_of(row->base),
					      &row->new->e->hist, mean_of(row->new), NULL) :
				   diff_quantile_test(&row->base->e->hist, &row->new->e->hist,
						      metric_ppm[m]);

			if (p < alpha)
				d->regs[d->nregs++] = (struct diff_regression){
					row, (enum diff_metric)m, before, after,
					(int64_t)after - (int64_t)before, least, p };
		}
	}
	return 0;
}


int diff_build(struct diff *d, struct pp_profile *base, struct pp_profile *new,
	       const size_t ninputs[2], const struct report_opts *ropts,
	       const struct diff_opts *dopts, struct sym_cache *sc)
{
	struct report_opts *so = malloc(sizeof(*so));
	struct keyed *k[2] = { NULL, NULL };
	size_t n[2] = { 0, 0 };
	int rc = -1;

	memset(d, 0, sizeof(*d));
	d->dopts = dopts;
	d->ropts = ropts;
	d->ninputs[0] = ninputs[0];
	d->ninputs[1] = ninputs[1];
	if (!so)
		return -1;
	/* every row, whatever the calls: the gate applies --min-calls itself,
	 * to both sides */
	*so = *ropts;
	so->min_calls = 0;
	so->min_time_ns = 0;
	so->top = 0;
	so->check = 0;
	so->graph = 0;
	so->slowest = 0;
	if (report_build(&d->side[0], base, so, sc) || report_build(&d->side[1], new, so, sc))
		goto out;
	for (int s = 0; s < 2; s++) {
		if (!(k[s] = keyed_rows(&d->side[s], &n[s])))
			goto out;
		for (size_t i = 0; i < n[s]; i++)
			if (k[s][i].row->e->kind == PPF_KIND_FUNCTION ||
			    k[s][i].row->e->kind == PPF_KIND_REGION)
				d->calls[s] = pp_sat_add(d->calls[s], k[s][i].row->st.calls);
	}
	if (!(d->rows = malloc((n[0] + n[1] + 1) * sizeof(*d->rows))))
		goto out;
	for (size_t i = 0, j = 0; i < n[0] || j < n[1];) {
		int c = i == n[0] ? 1 : j == n[1] ? -1 : cmp_keyed(&k[0][i], &k[1][j]);

		if (i < n[0] && j < n[1] && same_key(&k[0][i], &k[1][j]))
			add_row(d, k[0][i++].row, k[1][j++].row);
		else if (c < 0)
			add_row(d, k[0][i++].row, NULL);
		else
			add_row(d, NULL, k[1][j++].row);
	}
	qsort(d->rows, d->nrows, sizeof(*d->rows), cmp_rows);
	if (diff_paths_build(d) || gate(d))
		goto out;
	rc = 0;
out:
	free(k[0]);
	free(k[1]);
	/* the reports keep a pointer to their options: kept until diff_free() */
	d->side[0].opts = d->side[1].opts = so;
	return rc;
}

void diff_free(struct diff *d)
{
	const struct report_opts *so = d->side[0].opts;

	report_free(&d->side[0]);
	report_free(&d->side[1]);
	free((void *)so);
	diff_paths_free(d);
	free(d->rows);
	free(d->regs);
	memset(d, 0, sizeof(*d));
}
