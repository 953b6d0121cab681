/* diff_print.c - the comparison and the gate as text, JSON and CSV
 *
 * Text fits the report's width (80 columns unless the terminal is wider;
 * --wide: no limit).  The comparison: a summary (total profiled time and
 * calls of each side, how many entries got significantly slower or
 * faster), then per entry, by effect on the total, its name and four rows
 * under one header (Calls, Avg, P50, P95, P99): base, new, the change in
 * time and in percent, then its effect; new and vanished entries follow in
 * sections of their own.  Each time column has one unit (report_text.c's
 * rule).  The gate: its limits, then each regression as a sentence, then
 * the result.  JSON has every entry and the gate; CSV one row per entry,
 * or with --check one per regression.  Times in nanoseconds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "escape.h"

#define U(x) ((unsigned long long)(x))
#define LINE "--------------------------------------------------------------------------------\n"
#define NCOLS 5				/* Calls, then the four metrics */

static const char *const col_titles[NCOLS] = { "Calls", "Avg", "P50", "P95", "P99" };
static const enum diff_metric col_metric[NCOLS] = { DIFF_AVG, DIFF_AVG, DIFF_P50, DIFF_P95,
						    DIFF_P99 };	/* [0]: calls */

/* The confidence of a one-sided p-value in percent, rounded down to two
 * decimals and at most 99.99, so that it never reads 100 %. */
static double confidence_pct(double p)
{
	double c = floor((1 - p) * 10000) / 100;

	return c > 99.99 ? 99.99 : c;
}

/* The same as text: "99.93%", "> 99.99%" when p < 0.0001. */
static const char *confidence_text(char buf[32], double p)
{
	if (p < 0.0001)
		snprintf(buf, 32, "> 99.99%%");
	else
		snprintf(buf, 32, "%.2f%%", confidence_pct(p));
	return buf;
}

static double change_pct(uint64_t before, uint64_t after)
{
	return before ? 100.0 * ((double)after - (double)before) / (double)before : 0;
}

/* The figures of a diff table: column units and widths. */
struct dtable {
	int unit[NCOLS];		/* [0] unused (calls) */
	size_t w[NCOLS];
	size_t width;			/* of the text */
};

static uint64_t col_value(const struct report_row *rw, int c)
{
	return c == 0 ? rw->st.calls : diff_metric_value(rw, col_metric[c]);
}

/* A signed difference in column c's unit: "+6.03", "-120", "+0". */
static const char *signed_cell(char buf[32], const struct dtable *t, int c, uint64_t before,
			       uint64_t after)
{
	char v[32];
	uint64_t mag = after >= before ? after - before : before - after;

	if (c == 0)
		report_fmt_count(v, mag);
	else
		report_fmt_in_unit(v, mag, t->unit[c]);
	snprintf(buf, 32, "%s%.30s", after >= before ? "+" : "-", v);
	return buf;
}

static const char *pct_cell(char buf[32], uint64_t before, uint64_t after)
{
	if (!before)
		snprintf(buf, 32, after ? "new" : "+0.0%%");
	else
		snprintf(buf, 32, "%+.1f%%", change_pct(before, after));
	return buf;
}

static const char *value_cell(char buf[32], const struct dtable *t, int c, uint64_t v)
{
	return c == 0 ? report_fmt_count(buf, v) : report_fmt_in_unit(buf, v, t->unit[c]);
}

/* Units and widths of the table of rows[0..n). */
static int plan(struct dtable *t, const struct diff_row *rows, size_t n)
{
	uint64_t *v = malloc((2 * n + 1) * sizeof(*v));
	char buf[32];

	if (!v)
		return -1;
	for (int c = 0; c < NCOLS; c++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			if (rows[i].base)
				v[k++] = col_value(rows[i].base, c);
			if (rows[i].new)
				v[k++] = col_value(rows[i].new, c);
		}
		t->unit[c] = c ? report_text_unit(v, k) : 0;
		snprintf(buf, sizeof(buf), c ? "%s %s" : "%s", col_titles[c],
			 report_unit_name(t->unit[c]));
		t->w[c] = strlen(buf);
		for (size_t i = 0; i < n; i++) {
			const struct report_row *b = rows[i].base, *nw = rows[i].new;
			size_t l[4] = { 0, 0, 0, 0 };

			if (b)
				l[0] = strlen(value_cell(buf, t, c, col_value(b, c)));
			if (nw)
				l[1] = strlen(value_cell(buf, t, c, col_value(nw, c)));
			if (b && nw) {
				l[2] = strlen(signed_cell(buf, t, c, col_value(b, c), col_value(nw, c)));
				l[3] = strlen(pct_cell(buf, col_value(b, c), col_value(nw, c)));
			}
			for (int j = 0; j < 4; j++)
				if (l[j] > t->w[c])
					t->w[c] = l[j];
		}
	}
	free(v);
	return 0;
}

static void table_header(FILE *out, const struct dtable *t)
{
	char buf[32];

	fprintf(out, "%-9s", "");
	for (int c = 0; c < NCOLS; c++) {
		snprintf(buf, sizeof(buf), c ? "%s %s" : "%s", col_titles[c],
			 report_unit_name(t->unit[c]));
		fprintf(out, "  %*s", (int)t->w[c], buf);
	}
	fputc('\n', out);
}

static void side_line(FILE *out, const struct dtable *t, const char *label,
		      const struct report_row *rw)
{
	char buf[32];

	fprintf(out, "  %-7s", label);
	for (int c = 0; c < NCOLS; c++)
		fprintf(out, "  %*s", (int)t->w[c], value_cell(buf, t, c, col_value(rw, c)));
	fputc('\n', out);
}

/* One entry (or, with path, one call path): name, its rows, its effect
 * (and verdict when matched). */
static void text_entry(FILE *out, const struct diff *d, const struct dtable *t,
		       const struct diff_row *row, int path)
{
	const struct report_opts *o = d->ropts;
	char tag[32] = "", a[32], line[256], name[DIFF_PATH_NAME_MAX];
	uint64_t whole = d->side[0].totals.profiled_ns;

	if (row->kind != PPF_KIND_FUNCTION && !path)
		snprintf(tag, sizeof(tag), " [%s]", pp_kind_name(row->kind));
	report_text_fit(out, path ? diff_path_name(d, row, name, sizeof(name)) : row->name,
			t->width - strlen(tag), o->utf8);
	fprintf(out, "%s\n", tag);
	if (row->base)
		side_line(out, t, "base", row->base);
	if (row->new)
		side_line(out, t, "new", row->new);
	if (row->base && row->new) {
		fprintf(out, "  %-7s", "change");
		for (int c = 0; c < NCOLS; c++)
			fprintf(out, "  %*s", (int)t->w[c], signed_cell(a, t, c, col_value(row->base, c),
									 col_value(row->new, c)));
		fprintf(out, "\n  %-7s", "change%");
		for (int c = 0; c < NCOLS; c++)
			fprintf(out, "  %*s", (int)t->w[c], pct_cell(a, col_value(row->base, c),
								      col_value(row->new, c)));
		fputc('\n', out);
	}
	report_fmt_ns(a, diff_abs(row->effect_ns));
	int n = snprintf(line, sizeof(line), "Effect: %s%s = %+.1f%% of the base total",
			 row->effect_ns < 0 ? "-" : "+", a,
			 whole ? 100.0 * (double)row->effect_ns / (double)whole : 0.0);

	if (row->base && row->new && n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, row->verdict ? " | %s at %s"
			 " confidence" : " | no significant change", row->verdict > 0 ? "slower" :
			 "faster", confidence_text(a, row->verdict > 0 ? row->p_slower : row->p_faster));
	fputs("  ", out);
	report_text_wrap(out, line, t->width, 2, "    ");
}

/* A section of rows[0..n), at most `top` of them (0 = all). */
static int text_section(FILE *out, const struct diff *d, const char *title,
			const struct diff_row *rows, size_t n, size_t width, int path)
{
	size_t shown = d->ropts->top && d->ropts->top < n ? (size_t)d->ropts->top : n;
	struct dtable t = { .width = width };

	if (!n)
		return 0;
	if (plan(&t, rows, shown))
		return -1;
	fprintf(out, "\n%s: ", title);
	if (shown < n)
		fprintf(out, "top %zu of %zu (--top)\n", shown, n);
	else
		fprintf(out, "%zu\n", n);
	fputs(LINE, out);
	table_header(out, &t);
	for (size_t i = 0; i < shown; i++)
		text_entry(out, d, &t, &rows[i], path);
	return 0;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "p95 +10%, avg +2ms" into buf. */
static const char *limits_text(char *buf, size_t size, const struct diff_opts *o)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int m = DIFF_NMETRICS - 1; m >= 0; m--) {
		const struct diff_limit *l = &o->limits[m];
		char a[32];

		if (!l->set)
			continue;
		if (l->absolute)
			report_fmt_limit(a, l->abs_ns);
		else
			snprintf(a, sizeof(a), "%g%%", l->rel * 100);
		len += (size_t)snprintf(buf + len, size - len, "%s%s +%s", len ? ", " : "",
					diff_metric_name((enum diff_metric)m), a);
		if (len >= size)
			break;
	}
	return buf;
}

static int text_diff(FILE *out, const struct diff *d)
{
	size_t width = report_text_width(out, d->ropts);
	uint64_t t0 = d->side[0].totals.profiled_ns, t1 = d->side[1].totals.profiled_ns;
	char a[32], b[32], c[32], e[32], line[512];

	fprintf(out, "Comparison of %zu %s (base) with %zu %s (new)\n", d->ninputs[0],
		plural(d->ninputs[0], "input", "inputs"), d->ninputs[1],
		plural(d->ninputs[1], "input", "inputs"));
	fputs("================================================================================\n",
	      out);
	snprintf(line, sizeof(line), "Total: %s -> %s (%+.1f%%) | Calls: %s -> %s (%+.1f%%)",
		 report_fmt_ns(a, t0), report_fmt_ns(b, t1), change_pct(t0, t1),
		 report_fmt_count(c, d->calls[0]), report_fmt_count(e, d->calls[1]),
		 change_pct(d->calls[0], d->calls[1]));
	report_text_wrap(out, line, width, 0, "  ");
	snprintf(line, sizeof(line), "Entries: %zu matched, %zu significantly slower, %zu"
		 " significantly faster (%g%% confidence); %zu new, %zu vanished", d->nmatched,
		 d->nslower, d->nfaster, d->dopts->confidence * 100, d->nnew, d->nvanished);
	report_text_wrap(out, line, width, 0, "  ");
	if (text_section(out, d, "Sorted by effect on the total", d->rows, d->nmatched, width,
			 0) ||
	    text_section(out, d, "New entries (not in the base)", d->rows + d->nmatched, d->nnew,
			 width, 0) ||
	    text_section(out, d, "Vanished entries (not in the new)",
			 d->rows + d->nmatched + d->nnew, d->nvanished, width, 0) ||
	    text_section(out, d, "Call paths by effect on the total (self time)", d->paths,
			 d->npaths, width, 1))
		return -1;
	return ferror(out) ? -1 : 0;
}

static int text_gate(FILE *out, const struct diff *d)
{
	const struct report_opts *o = d->ropts;
	size_t width = report_text_width(out, o);
	const char *bad = o->utf8 ? "\u274c " : "[FAIL] ";
	const char *red = o->color ? "\033[1;31m" : "", *green = o->color ? "\033[32m" : "";
	const char *reset = o->color ? "\033[0m" : "";
	char lim[160], line[1024], a[32], b[32], c[32];
	size_t entries = 0;

	snprintf(line, sizeof(line), "Regression check: %zu new %s against a baseline of %zu;"
		 " limits %s at %g%% confidence", d->ninputs[1],
		 plural(d->ninputs[1], "input", "inputs"), d->ninputs[0],
		 limits_text(lim, sizeof(lim), d->dopts), d->dopts->confidence * 100);
	report_text_wrap(out, line, width, 0, "  ");
	fputs(LINE, out);
	fprintf(out, "Judged: %zu %s with >= %llu calls on both sides\n", d->judged,
		plural(d->judged, "entry", "entries"), U(o->min_calls));
	for (size_t i = 0; i < d->nregs; i++) {
		const struct diff_regression *g = &d->regs[i];
		const struct diff_limit *l = &d->dopts->limits[g->metric];
		char least[48];

		entries += i == 0 || d->regs[i - 1].row != g->row;
		if (l->absolute)
			snprintf(least, sizeof(least), "at least +%s", report_fmt_ns(a, (uint64_t)g->least_ns));
		else
			snprintf(least, sizeof(least), "at least %+.1f%%",
				 g->before_ns ? 100.0 * (double)g->least_ns / (double)g->before_ns : 0);
		report_fmt_ns(a, g->before_ns);
		report_fmt_ns(b, g->after_ns);
		char tag[32] = "";

		if (g->row->kind != PPF_KIND_FUNCTION)
			snprintf(tag, sizeof(tag), " [%s]", pp_kind_name(g->row->kind));
		snprintf(line, sizeof(line), "%s%s%s: %s %s -> %s (%+.1f%%; %s given the"
			 " histograms' error; limit +%s), slower at %s confidence", bad,
			 g->row->name, tag, diff_metric_name(g->metric), a, b,
			 change_pct(g->before_ns, g->after_ns), least,
			 l->absolute ? report_fmt_limit(lim, l->abs_ns) :
			 (snprintf(lim, sizeof(lim), "%g%%", l->rel * 100), lim),
			 confidence_text(c, g->p));
		fputs(red, out);
		report_text_wrap(out, line, width, 0, "   ");
		fputs(reset, out);
	}
	if (d->nregs)
		fprintf(out, "\n%sResult: FAIL (%zu %s in %zu %s)%s\n", red, d->nregs,
			plural(d->nregs, "regression", "regressions"), entries,
			plural(entries, "entry", "entries"), reset);
	else
		fprintf(out, "\n%sResult: PASS (no regression)%s\n", green, reset);
	return ferror(out) ? -1 : 0;
}

/* ---- JSON ---- */

#define DIFF_JSON_VERSION 1

static void json_side(FILE *out, const struct report_row *rw)
{
	if (!rw) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"calls\": %llu, \"avg_ns\": %llu, \"p10_ns\": %llu, \"p50_ns\": %llu,"
		" \"p95_ns\": %llu, \"p99_ns\": %llu, \"self_ns\": %llu, \"total_ns\": %llu}",
		U(rw->st.calls), U(rw->st.avg_ns), U(diff_metric_value(rw, DIFF_P10)), U(rw->st.p50_ns), U(rw->st.p95_ns), U(rw->st.p99_ns),
		U(rw->st.self_ns), U(rw->st.total_ns));
}

static const char *status_name(const struct diff_row *row)
{
	return row->base && row->new ? "matched" : row->new ? "new" : "vanished";
}

static const char *verdict_name(const struct diff_row *row)
{
	return row->verdict > 0 ? "slower" : row->verdict < 0 ? "faster" : "same";
}

static const char *module_of(const struct diff_row *row)
{
	return (row->new ? row->new : row->base)->module;
}

/* The JSON array `key` of rows[0..n) (call paths with path), then ",\n". */
static void json_rows(FILE *out, const struct diff *d, const char *key,
		      const struct diff_row *rows, size_t n, int path)
{
	uint64_t whole = d->side[0].totals.profiled_ns;
	char name[DIFF_PATH_NAME_MAX];

	fprintf(out, "  \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		const struct diff_row *row = &rows[i];

		fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
		report_json_string(out, path ? diff_path_name(d, row, name, sizeof(name)) : row->name);
		fprintf(out, ", \"kind\": \"%s\", \"module\": ", pp_kind_name(row->kind));
		if (module_of(row))
			report_json_string(out, module_of(row));
		else
			fputs("null", out);
		fprintf(out, ", \"status\": \"%s\", \"base\": ", status_name(row));
		json_side(out, row->base);
		fputs(", \"new\": ", out);
		json_side(out, row->new);
		fprintf(out, ", \"effect_ns\": %lld, \"effect_pct\": %.3f, \"p_slower\": %.6g,"
			" \"p_faster\": %.6g, \"verdict\": \"%s\"}", (long long)row->effect_ns,
			whole ? 100.0 * (double)row->effect_ns / (double)whole : 0.0, row->p_slower,
			row->p_faster, verdict_name(row));
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
}

static int json(FILE *out, const struct diff *d, int check)
{
	fprintf(out, "{\n  \"format_version\": %d,\n  \"kind\": \"%s\",\n",
		DIFF_JSON_VERSION, check ? "regression_check" : "diff");
	for (int s = 0; s < 2; s++)
		fprintf(out, "  \"%s\": {\"inputs\": %zu, \"profiled_ns\": %llu, \"calls\": %llu},\n",
			s ? "new" : "base", d->ninputs[s], U(d->side[s].totals.profiled_ns),
			U(d->calls[s]));
	fprintf(out, "  \"confidence\": %g,\n  \"min_calls\": %llu,\n  \"limits\": {",
		d->dopts->confidence, U(d->ropts->min_calls));
	for (int m = 0, k = 0; m < DIFF_NMETRICS; m++) {
		const struct diff_limit *l = &d->dopts->limits[m];

		if (!l->set)
			continue;
		fprintf(out, "%s\"%s\": ", k++ ? ", " : "", diff_metric_name((enum diff_metric)m));
		if (l->absolute)
			fprintf(out, "{\"absolute_ns\": %llu}", U(l->abs_ns));
		else
			fprintf(out, "{\"relative\": %g}", l->rel);
	}
	fprintf(out, "},\n  \"summary\": {\"matched\": %zu, \"slower\": %zu, \"faster\": %zu,"
		" \"new\": %zu, \"vanished\": %zu},\n", d->nmatched, d->nslower,
		d->nfaster, d->nnew, d->nvanished);
	json_rows(out, d, "entries", d->rows, d->nrows, 0);
	json_rows(out, d, "paths", d->paths, d->npaths, 1);
	fprintf(out, "  \"check\": {\"judged\": %zu, \"pass\": %s, \"regressions\": [",
		d->judged, d->nregs ? "false" : "true");
	for (size_t i = 0; i < d->nregs; i++) {
		const struct diff_regression *g = &d->regs[i];

		fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
		report_json_string(out, g->row->name);
		fprintf(out, ", \"kind\": \"%s\", \"metric\": \"%s\", \"before_ns\": %llu,"
			" \"after_ns\": %llu, \"change_ns\": %lld, \"change_pct\": %.3f,"
			" \"least_change_ns\": %lld, \"p\": %.6g, \"confidence_pct\": %.2f}",
			pp_kind_name(g->row->kind), diff_metric_name(g->metric), U(g->before_ns),
			U(g->after_ns), (long long)g->change_ns, change_pct(g->before_ns, g->after_ns),
			(long long)g->least_ns, g->p, confidence_pct(g->p));
	}
	fprintf(out, "%s]}\n}\n", d->nregs ? "\n  " : "");
	return ferror(out) ? -1 : 0;
}

/* ---- CSV ---- */

static void csv_side(FILE *out, const struct report_row *rw, int m)
{
	if (rw)
		fprintf(out, ",%llu", U(m < 0 ? rw->st.calls :
				       diff_metric_value(rw, (enum diff_metric)m)));
	else
		fputc(',', out);
}

static int csv(FILE *out, const struct diff *d, int check)
{
	uint64_t whole = d->side[0].totals.profiled_ns;

	if (check) {
		fputs("name,kind,metric,before_ns,after_ns,change_ns,change_pct,least_change_ns,"
		      "p_value,confidence_pct\r\n", out);
		for (size_t i = 0; i < d->nregs; i++) {
			const struct diff_regression *g = &d->regs[i];

			report_csv_field(out, g->row->name);
			fprintf(out, ",%s,%s,%llu,%llu,%lld,%.3f,%lld,%.6g,%.2f\r\n",
				pp_kind_name(g->row->kind), diff_metric_name(g->metric),
				U(g->before_ns), U(g->after_ns), (long long)g->change_ns,
				change_pct(g->before_ns, g->after_ns), (long long)g->least_ns, g->p,
				confidence_pct(g->p));
		}
		return ferror(out) ? -1 : 0;
	}
	char name[DIFF_PATH_NAME_MAX];

	fputs("status,kind,name,module,base_calls,new_calls,base_avg_ns,new_avg_ns,base_p10_ns,"
	      "new_p10_ns,base_p50_ns,new_p50_ns,base_p95_ns,new_p95_ns,base_p99_ns,new_p99_ns,"
	      "effect_ns,effect_pct,p_slower,p_faster,verdict\r\n", out);
	/* the entries, then the call paths (kind "path", the names along it) */
	for (size_t i = 0; i < d->nrows + d->npaths; i++) {
		int path = i >= d->nrows;
		const struct diff_row *row = path ? &d->paths[i - d->nrows] : &d->rows[i];

		fprintf(out, "%s,%s,", status_name(row), path ? "path" : pp_kind_name(row->kind));
		report_csv_field(out, path ? diff_path_name(d, row, name, sizeof(name)) : row->name);
		fputc(',', out);
		report_csv_field(out, module_of(row));
		for (int m = -1; m < DIFF_NMETRICS; m++) {
			csv_side(out, row->base, m);
			csv_side(out, row->new, m);
		}
		fprintf(out, ",%lld,%.3f,%.6g,%.6g,%s\r\n", (long long)row->effect_ns,
			whole ? 100.0 * (double)row->effect_ns / (double)whole : 0.0, row->p_slower,
			row->p_faster, verdict_name(row));
	}
	return ferror(out) ? -1 : 0;
}

int diff_print(FILE *out, const struct diff *d, int check)
{
	switch (d->ropts->format) {
	case FORMAT_JSON: return json(out, d, check);
	case FORMAT_CSV: return csv(out, d, check);
	default: break;
	}
	return check ? text_gate(out, d) : text_diff(out, d);
}
