/* check.c - the performance targets of --check
 *
 * Three targets, by default P95 < 500 ms, P99 < 1000 ms and average < 100 ms
 * (--target sets them).  They are judged over the endpoints when the profile
 * has any (requests are what the targets are about), otherwise over every
 * function, region and span with at least --min-calls calls.  A target
 * holds when it holds for every judged entry; the report names the worst
 * one.  With nothing to judge every target holds (and the output says that
 * nothing was judged).
 */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"

static uint64_t metric(const struct report_row *row, int t)
{
	return t == 0 ? row->st.p95_ns : t == 1 ? row->st.p99_ns : row->st.avg_ns;
}

/* How far a row is over its worst target, in limit multiples (0 = none). */
static double overshoot(const struct report *r, const struct report_row *row)
{
	double worst = 0;

	for (int t = 0; t < 3; t++) {
		uint64_t lim = r->targets[t].limit_ns;
		double x = lim ? (double)metric(row, t) / (double)lim : (double)metric(row, t) + 1;

		if (metric(row, t) >= lim && x > worst)
			worst = x;
	}
	return worst;
}

/* Worst overshoot first; a qsort_r() comparator, `report` the report. */
static int cmp_overshoot(const void *a, const void *b, void *report)
{
	const struct report *r = report;
	double x = overshoot(r, *(const struct report_row *const *)a);
	double y = overshoot(r, *(const struct report_row *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

int check_evaluate(struct report *r)
{
	static const char *const names[] = { "p95", "p99", "avg" };
	static const char *const labels[] = { "P95", "P99", "Average" };
	const struct report_opts *o = r->opts;
	const uint64_t limits[] = { o->target_p95_ns, o->target_p99_ns, o->target_avg_ns };
	struct report_row **judged;
	size_t n;

	if (r->nendpoints) {
		judged = r->endpoints;
		n = r->nendpoints;
		r->judged_what = "endpoints";
	} else {
		judged = r->top;	/* every eligible row, sorted */
		n = r->eligible;
		r->judged_what = "functions";
	}
	r->judged = n;
	r->check_pass = 1;
	for (int t = 0; t < 3; t++) {
		struct report_target *tg = &r->targets[t];

		*tg = (struct report_target){ names[t], labels[t], limits[t], 0, NULL, 0, 1 };
		for (size_t i = 0; i < n; i++) {
			uint64_t v = metric(judged[i], t);

			if (!tg->worst || v > tg->worst_ns) {
				tg->worst = judged[i];
				tg->worst_ns = v;
			}
			if (v >= tg->limit_ns)
				tg->over++;
		}
		tg->pass = tg->over == 0;
		r->check_pass &= tg->pass;
	}
	r->offenders = malloc((n ? n : 1) * sizeof(*r->offenders));
	if (!r->offenders)
		return -1;
	r->noffenders = 0;
	for (size_t i = 0; i < n; i++)
		if (overshoot(r, judged[i]) > 0)
			r->offenders[r->noffenders++] = judged[i];
	qsort_r(r->offenders, r->noffenders, sizeof(*r->offenders), cmp_overshoot, r);
	if (r->noffenders > 5)
		r->noffenders = 5;
	return 0;
}

int check_text(FILE *out, const struct report *r)
{
	const struct report_opts *o = r->opts;
	const char *ok = o->utf8 ? "\u2705" : "[PASS]", *bad = o->utf8 ? "\u274c" : "[FAIL]";
	const char *green = o->color ? "\033[32m" : "", *red = o->color ? "\033[1;31m" : "";
	const char *reset = o->color ? "\033[0m" : "";
	char a[32], b[32], c[32];
	int missed = 0;

	if (!strcmp(r->judged_what, "endpoints"))
		fprintf(out, "Performance Targets (over %zu endpoint%s)\n", r->judged,
			r->judged == 1 ? "" : "s");
	else
		fprintf(out, "Performance Targets (over %zu function%s with >= %llu calls)\n",
			r->judged, r->judged == 1 ? "" : "s", (unsigned long long)o->min_calls);
	fprintf(out, "--------------------------------------------------------------------------------\n");
	for (int t = 0; t < 3; t++) {
		const struct report_target *tg = &r->targets[t];
		char label[48];

		snprintf(label, sizeof(label), "%s < %s", tg->label,
			 report_fmt_limit(a, tg->limit_ns));
		missed += !tg->pass;
		if (!tg->worst) {
			fprintf(out, "%s%s%s %-20s (nothing to judge)\n", green, ok, reset, label);
			continue;
		}
		fprintf(out, "%s%s%s %-20s worst: %s (", tg->pass ? green : red,
			tg->pass ? ok : bad, reset, label, report_fmt_ns(b, tg->worst_ns));
		esc_fputs(tg->worst->name, out);
		fputc(')', out);
		if (tg->over)
			fprintf(out, ", %llu of %zu over", (unsigned long long)tg->over, r->judged);
		fputc('\n', out);
	}
	if (r->noffenders) {
		fprintf(out, "\nWorst offenders:\n");
		for (size_t i = 0; i < r->noffenders; i++) {
			const struct report_row *row = r->offenders[i];

			fputs("  ", out);
			esc_fputs(row->name, out);
			fprintf(out, "\n    Average: %s | P95: %s | P99: %s | Calls: %llu\n",
				report_fmt_ns(a, row->st.avg_ns),
				report_fmt_ns(b, row->st.p95_ns), report_fmt_ns(c, row->st.p99_ns),
				(unsigned long long)row->st.calls);
		}
	}
	if (missed)
		fprintf(out, "\n%sResult: FAIL (%d of 3 targets missed)%s\n", red, missed, reset);
	else
		fprintf(out, "\n%sResult: PASS (all 3 targets met)%s\n", green, reset);
	return ferror(out) ? -1 : 0;
}
