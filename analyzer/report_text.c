/* report_text.c - the report as text: paraprof's "Performance Bottleneck
 * Analysis"
 *
 * Header, severity sections over the top N (hot paths under the CRITICAL,
 * HIGH and MEDIUM entries), the slowest-by-average list, the call graph
 * (--graph), endpoints, caches, recommendations and warnings; with --check,
 * the header and the target check only; with --callers or --callees, the
 * header and those.  Colours (ANSI) only when opts->color is set,
 * which main.c does for a terminal without --no-color or NO_COLOR.  Every
 * string that came from a dump (names, routes, command lines, module paths,
 * and the sentences that quote them) is printed through the escaper
 * (escape.h): a profiled program cannot drive the reader's terminal.
 *
 * Layout.  Every line fits the text width (report_text_width(): the
 * terminal's, at least 80 columns; --wide: no limit), counted in UTF-8
 * characters of what is printed, escapes included.  Each severity section
 * is a table: a header row, then per entry its name on a line of its own
 * (a long name cut in the middle with an ellipsis, so that both its scope
 * and its last part stay) and a row of aligned numbers under the header.
 * Each time column has one unit for the whole table (report_text_unit()), counts
 * have thousands separators.  Lines of "Key: value" pieces and sentences
 * wrap at the width, continuation lines indented.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "escape.h"
#include "report.h"
#include "samples.h"

#define RULE "================================================================================\n"
#define LINE "--------------------------------------------------------------------------------\n"

#define TEXT_MIN_WIDTH 80
#define TEXT_WIDE ((size_t)1 << 24)	/* --wide: a width nothing reaches */

static const char *sev_color(const struct report *r, enum report_severity s)
{
	static const char *const colors[] = { "\033[1;31m", "\033[31m", "\033[33m", "\033[36m" };

	return r->opts->color ? colors[s] : "";
}

static const char *bold(const struct report *r)
{
	return r->opts->color ? "\033[1m" : "";
}

static const char *reset(const struct report *r)
{
	return r->opts->color ? "\033[0m" : "";
}

static const char *sort_name(enum report_sort s)
{
	static const char *const names[] = { "total time", "self time", "average", "P95", "P99",
					     "calls" };
	return names[s];
}

/* ---- layout helpers (report.h: shared with report_hist.c) ---- */

size_t report_text_width(FILE *out, const struct report_opts *o)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	size_t w = 0;

	if (o->wide)
		return TEXT_WIDE;
	if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		w = ws.ws_col;
	else if (env && *env)
		w = strtoul(env, NULL, 10);
	/* narrower than 80 is taken as 80: the fixed parts (headings, the
	 * rules, the hot paths) are laid out for it */
	return w > TEXT_MIN_WIDTH && w < TEXT_WIDE ? w : TEXT_MIN_WIDTH;
}

size_t report_text_cols(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The escaped form of s, malloc'ed (NULL when memory runs out). */
static char *escaped(const char *s)
{
	size_t size = (s ? strlen(s) : 0) * 4 + 1;	/* \xHH per byte at worst */
	char *buf = malloc(size);

	return buf ? esc_str(buf, size, s) : NULL;
}

/* Byte offset of the character at column `col` of s (or its end). */
static size_t col_offset(const char *s, size_t col)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && col-- == 0)
			break;
	return i;
}

void report_text_fit(FILE *out, const char *s, size_t width, int utf8)
{
	const char *ell = utf8 ? "\u2026" : "...";
	size_t ell_cols = utf8 ? 1 : 3;
	char *e = escaped(s);
	size_t n;

	if (!e) {
		esc_fputs(s, out);
		return;
	}
	n = report_text_cols(e);
	if (n <= width || width <= ell_cols) {
		fputs(e, out);
	} else {
		size_t keep = width - ell_cols, head = (keep + 1) / 2, tail = keep - head;

		fwrite(e, 1, col_offset(e, head), out);
		fputs(ell, out);
		fputs(e + col_offset(e, n - tail), out);
	}
	free(e);
}

/* Prints text (raw: already escaped), word-wrapped at width: the first line
 * after `first` columns already printed, the others after `indent`.  A word
 * longer than a line is cut where the line ends. */
static void wrap_raw(FILE *out, char *text, size_t width, size_t first,
		     const char *indent)
{
	size_t col = first, ind = strlen(indent);
	char *p = text;

	while (*p) {
		char *w = p;
		size_t wcols, sp = 0;

		while (*w == ' ')
			w++, sp++;
		char *end = w;

		while (*end && *end != ' ')
			end++;
		if (end == w)
			break;
		char save = *end;

		*end = '\0';	/* text is our own copy */
		wcols = report_text_cols(w);
		*end = save;
		if (col > ind && col + sp + wcols > width) {
			fprintf(out, "\n%s", indent);
			col = ind;
			sp = 0;
		}
		fprintf(out, "%*s", (int)sp, "");
		col += sp;
		/* a word wider than the room left: cut it, line by line */
		while (col + wcols > width && width > col) {
			size_t room = width - col, off = col_offset(w, room);

			fwrite(w, 1, off, out);
			fprintf(out, "\n%s", indent);
			col = ind;
			w += off;
			wcols -= room;
		}
		fwrite(w, 1, (size_t)(end - w), out);
		col += wcols;
		p = end;
	}
	fputc('\n', out);
}

void report_text_wrap(FILE *out, const char *text, size_t width, size_t first,
		      const char *indent)
{
	char *e = escaped(text);

	if (!e) {
		esc_fputs(text, out);
		fputc('\n', out);
		return;
	}
	wrap_raw(out, e, width, first, indent);
	free(e);
}

/* A list of "Key: value" pieces printed on lines that start with `indent`,
 * " | " between pieces, a new line when the next would pass the width. */
struct pieces {
	FILE *out;
	size_t width, col;
	const char *indent;
	int any;
};

static void piece(struct pieces *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void piece(struct pieces *p, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = report_text_cols(text);
	if (!p->any) {
		fputs(p->indent, p->out);
		p->col = strlen(p->indent);
	} else if (p->col + 3 + n > p->width) {
		fprintf(p->out, "\n%s", p->indent);
		p->col = strlen(p->indent);
	} else {
		fputs(" | ", p->out);
		p->col += 3;
	}
	fputs(text, p->out);
	p->col += n;
	p->any = 1;
}

static void pieces_end(struct pieces *p)
{
	if (p->any)
		fputc('\n', p->out);
	p->any = 0;
}

const char *report_fmt_count(char buf[32], uint64_t v)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* ---- time columns ---- */


static const struct { uint64_t div; const char *name; } units[] = {
	{ 1, "ns" }, { 1000, "us" }, { 1000000, "ms" }, { 1000000000, "s" },
};

const char *report_unit_name(int u)
{
	return units[u].name;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The unit of a column of n durations: the one in which its median value
 * reads 1 to 999 (so that most of the column is in its own unit), then a
 * larger one as long as the column's largest value would need 100,000 or
 * more of it (a column stays under 10 characters).  Sorts v. */
int report_text_unit(uint64_t *v, size_t n)
{
	int u = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	while (u < 3 && v[(n - 1) / 2] >= units[u + 1].div)
		u++;
	while (u < 3 && v[n - 1] / units[u].div >= 100000)
		u++;
	return u;
}

/* ns in unit u: an integer count of ns, else two decimals; a duration
 * too small for them reads "<0.01". */
const char *report_fmt_in_unit(char buf[32], uint64_t ns, int u)
{
	char whole[32];
	uint64_t hundredths;

	if (u == 0)
		return report_fmt_count(buf, ns);
	hundredths = (uint64_t)((double)ns * 100 / (double)units[u].div + 0.5);
	if (!hundredths && ns) {
		strcpy(buf, "<0.01");
		return buf;
	}
	snprintf(buf, 32, "%s.%02u", report_fmt_count(whole, hundredths / 100),
		 (unsigned)(hundredths % 100));
	return buf;
}

/* ---- the severity tables ---- */

enum col { COL_CALLS, COL_AVG, COL_P50, COL_P95, COL_P99, COL_MAX, COL_TOTAL, COL_PCT,
	   NCOLS };

static const char *const col_title[NCOLS] = { "Calls", "Avg", "P50", "P95", "P99", "Max",
					      "Total", "Total%" };
/* When the columns do not fit, these leave the row first (for the line of
 * pieces under it), in this order. */
static const enum col col_drop[] = { COL_P50, COL_P99, COL_MAX, COL_P95 };

struct table {
	int unit[NCOLS];		/* time columns: index into units[] */
	size_t w[NCOLS];		/* 0: the column is left out */
	size_t width;			/* of the text */
};

static uint64_t col_ns(const struct report_row *row, enum col c)
{
	switch (c) {
	case COL_AVG: return row->st.avg_ns;
	case COL_P50: return row->st.p50_ns;
	case COL_P95: return row->st.p95_ns;
	case COL_P99: return row->st.p99_ns;
	case COL_MAX: return row->st.max_ns;
	case COL_TOTAL: return row->st.total_ns;
	default: return 0;
	}
}

static const char *cell(char buf[32], const struct report *r, const struct table *t,
			const struct report_row *row, enum col c)
{
	if (c == COL_CALLS)
		return report_fmt_count(buf, row->st.calls);
	if (c == COL_PCT) {
		snprintf(buf, 32, "%.1f%%", report_pct(row->st.total_ns, r->totals.profiled_ns));
		return buf;
	}
	return report_fmt_in_unit(buf, col_ns(row, c), t->unit[c]);
}

static void title(char buf[32], const struct table *t, enum col c)
{
	if (c == COL_CALLS || c == COL_PCT)
		snprintf(buf, 32, "%s", col_title[c]);
	else
		snprintf(buf, 32, "%s %s", col_title[c], units[t->unit[c]].name);
}

/* Chooses the units and widths of the table of rows[0..n) with severity s
 * (all of them when s < 0), dropping columns that do not fit. */
static int table_plan(struct table *t, const struct report *r, struct report_row *const *rows,
		      size_t n, int s)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));
	char buf[32];
	size_t total = 2;

	if (!v)
		return -1;
	memset(t->w, 0, sizeof(t->w));
	for (int c = 0; c < NCOLS; c++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (s < 0 || (int)rows[i]->severity == s)
				v[k++] = col_ns(rows[i], (enum col)c);
		t->unit[c] = report_text_unit(v, k);
	}
	free(v);
	for (int c = 0; c < NCOLS; c++) {
		title(buf, t, (enum col)c);
		t->w[c] = strlen(buf);
		for (size_t i = 0; i < n; i++) {
			if (s >= 0 && (int)rows[i]->severity != s)
				continue;
			size_t l = strlen(cell(buf, r, t, rows[i], (enum col)c));

			if (l > t->w[c])
				t->w[c] = l;
		}
		total += t->w[c] + (c ? 2 : 0);
	}
	for (size_t d = 0; d < sizeof(col_drop) / sizeof(col_drop[0]) && total > t->width; d++) {
		total -= t->w[col_drop[d]] + 2;
		t->w[col_drop[d]] = 0;
	}
	return 0;
}

static void table_header(FILE *out, const struct table *t)
{
	char buf[32];

	fputs(" ", out);
	for (int c = 0; c < NCOLS; c++) {
		if (!t->w[c])
			continue;
		title(buf, t, (enum col)c);
		fprintf(out, "%s%*s", c ? "  " : " ", (int)t->w[c], buf);
	}
	fputc('\n', out);
}

/* "Hooks' cost: ..." when a process measured it: what was taken out of
 * the times (or left in them with --raw), the range over processes. */
static void hooks_cost_line(FILE *out, const struct pp_profile *prof, size_t width)
{
	uint64_t lo = UINT64_MAX, hi = 0, self_lo = UINT64_MAX, self_hi = 0;
	size_t measured = 0, taken = 0;
	char call[48], self[48], tail[80], line[256];

	for (size_t i = 0; i < prof->nprocs; i++) {
		const struct pp_process *p = &prof->procs[i];

		if (!p->hook_call_ps)
			continue;
		measured++;
		taken += p->compensated;
		lo = p->hook_call_ps < lo ? p->hook_call_ps : lo;
		hi = p->hook_call_ps > hi ? p->hook_call_ps : hi;
		self_lo = p->hook_self_ps < self_lo ? p->hook_self_ps : self_lo;
		self_hi = p->hook_self_ps > self_hi ? p->hook_self_ps : self_hi;
	}
	if (!measured)
		return;
	if (hi - lo < 100)	/* the same to the tenth of a ns */
		snprintf(call, sizeof(call), "%.1f ns", (double)lo / 1000);
	else
		snprintf(call, sizeof(call), "%.1f-%.1f ns", (double)lo / 1000, (double)hi / 1000);
	if (self_hi - self_lo < 100)
		snprintf(self, sizeof(self), "%.1f ns", (double)self_lo / 1000);
	else
		snprintf(self, sizeof(self), "%.1f-%.1f ns", (double)self_lo / 1000,
			 (double)self_hi / 1000);
	if (taken == measured)
		snprintf(tail, sizeof(tail), "taken out of the times; --raw leaves it in");
	else if (!taken)
		snprintf(tail, sizeof(tail), "left in the times (--raw)");
	else
		snprintf(tail, sizeof(tail), "taken out of %zu of %zu processes' times", taken,
			 prof->nprocs);
	snprintf(line, sizeof(line), "Hooks' cost: %s a call (%s of it in the callee's own time), %s",
		 call, self, tail);
	report_text_wrap(out, line, width, 0, "  ");
}

/* Under an entry with CPU samples (PARAPROF_SAMPLE), one line of what
 * its self time is made of: its three largest parts, the rest as other. */
static void self_samples(FILE *out, const struct report *r, const struct report_row *row)
{
	struct samples_list l;
	char line[1024];

	if (samples_of(r->prof, row->e->index, &l))
		return;
	samples_line(line, sizeof(line), &l, 3);
	if (*line)
		fprintf(out, "  %s\n", line);
	samples_free(&l);
}

/* One entry: its name, its row of numbers, then a line (or more) of self
 * time, min, p99.9, memory and the columns that did not fit. */
static void entry(FILE *out, const struct report *r, const struct table *t,
		  const struct report_row *row)
{
	const struct pp_stats *st = &row->st;
	struct pieces p = { out, t->width, 0, "  ", 0 };
	char a[32], tag[32] = "";

	if (row->e->kind != PPF_KIND_FUNCTION)
		snprintf(tag, sizeof(tag), " [%s]", pp_kind_name(row->e->kind));
	fputs(bold(r), out);
	report_text_fit(out, row->name, t->width - strlen(tag), r->opts->utf8);
	fputs(reset(r), out);
	fprintf(out, "%s\n ", tag);
	for (int c = 0; c < NCOLS; c++)
		if (t->w[c])
			fprintf(out, "%s%*s", c ? "  " : " ", (int)t->w[c],
				cell(a, r, t, row, (enum col)c));
	fputc('\n', out);
	piece(&p, "Self: %s (%.1f%%)", report_fmt_ns(a, st->self_ns),
	      report_pct(st->self_ns, r->totals.profiled_ns));
	piece(&p, "Min: %s", report_fmt_ns(a, st->min_ns));
	for (int c = 0; c < NCOLS; c++)
		if (!t->w[c])
			piece(&p, "%s: %s", col_title[c], report_fmt_ns(a, col_ns(row, (enum col)c)));
	piece(&p, "P99.9: %s", report_fmt_ns(a, st->p999_ns));
	if (st->mem_max_kib)
		piece(&p, "Memory: avg %.1f MiB, max %.1f MiB", st->mem_avg_kib / 1024.0,
		      st->mem_max_kib / 1024.0);
	if (row->e->cpu_wall_ns) {
		/* of the calls whose CPU time was read (the long ones): said
		 * so when they are less than half of its time */
		double cpu = report_pct(row->e->cpu_ns, row->e->cpu_wall_ns);

		if (row->e->cpu_wall_ns >= row->e->sum_ns / 2)
			piece(&p, "On CPU: %.1f%%, waiting %.1f%%", cpu, 100.0 - cpu);
		else
			piece(&p, "Long calls on CPU: %.1f%%", cpu);
	}
	if (row->e->abandoned)
		piece(&p, "Abandoned: %s", report_fmt_count(a, row->e->abandoned));
	pieces_end(&p);
	if (row->e->sampled)
		self_samples(out, r, row);
	report_text_hot(out, r, row);
}

static void header(FILE *out, const struct report *r, size_t width)
{
	const struct pp_profile *prof = r->prof;
	char a[32], when[64], line[512];
	struct tm tm;

	localtime_r(&r->opts->now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "%sPerformance Bottleneck Analysis%s\n", bold(r), reset(r));
	fprintf(out, "Generated: %s\n", when);
	if (prof->nprocs == 1) {
		const struct pp_process *p = &prof->procs[0];
		char *cmd = escaped(p->cmdline);

		snprintf(line, sizeof(line), " (pid %u%s)", p->pid,
			 p->flags & PPF_FLAG_COMPLETE ? "" : p->live ? ", live segment" :
			 ", did not exit normally");
		fputs("Program:", out);
		if (cmd) {
			char *all = malloc(strlen(cmd) + strlen(line) + 2);

			if (all) {
				sprintf(all, " %s%s", cmd, line);
				wrap_raw(out, all, width, 8, "  ");
				free(all);
			}
			free(cmd);
		}
	} else {
		fprintf(out, "Programs: %zu processes\n", prof->nprocs);
		for (size_t i = 0; i < prof->nprocs; i++) {
			const struct pp_process *p = &prof->procs[i];
			char *cmd = escaped(p->cmdline);
			int n = fprintf(out, "  pid %u:", p->pid);

			snprintf(line, sizeof(line), " (wall %s%s)", report_fmt_ns(a, p->wall_ns),
				 p->flags & PPF_FLAG_COMPLETE ? "" : ", did not exit normally");
			if (cmd) {
				char *all = malloc(strlen(cmd) + strlen(line) + 2);

				if (all) {
					sprintf(all, " %s%s", cmd, line);
					wrap_raw(out, all, width, n > 0 ? (size_t)n : 0, "    ");
					free(all);
				}
				free(cmd);
			}
		}
	}
	if (r->opts->thread) {
		/* --thread: what follows is those threads' only */
		snprintf(line, sizeof(line), "Threads: only %s (%llu thread%s)", r->opts->thread,
			 (unsigned long long)prof->threads_matched,
			 prof->threads_matched == 1 ? "" : "s");
		report_text_wrap(out, line, width, 0, "  ");
	}
	fprintf(out, "Wall Time: %s\n", report_fmt_ns(a, r->totals.wall_ns));
	fprintf(out, "Total Profiled Time: %s\n", report_fmt_ns(a, r->totals.profiled_ns));
	hooks_cost_line(out, prof, width);
}

/* What the filters hide, after the header's count of entries:
 * " (3 below --min-calls 5, 1 not matching --filter)", or nothing when
 * they hide nothing; appended to s (size bytes). */
static void hidden_counts(char *s, size_t size, const struct report *r)
{
	const struct report_opts *o = r->opts;
	const char *sep = " (";
	char a[32];
	size_t len = strlen(s);

	/* len stays below size: a cut text ends there */
#define ADD(...) (len += (size_t)snprintf(s + len, size - len, __VA_ARGS__), \
		  len = len < size ? len : size - 1)
	for (int h = HIDE_MIN_CALLS; h < HIDE_N; h++) {
		if (!r->hidden[h])
			continue;
		ADD("%s%s ", sep, report_fmt_count(a, r->hidden[h]));
		switch ((enum report_hide)h) {
		case HIDE_MIN_CALLS:
			ADD("below --min-calls %llu", (unsigned long long)o->min_calls);
			break;
		case HIDE_MIN_TIME:
			ADD("below --min-time %s", report_fmt_limit(a, o->min_time_ns));
			break;
		case HIDE_FILTER:
			ADD("not matching --filter");
			break;
		case HIDE_EXCLUDE:
			ADD("matching --exclude");
			break;
		default:
			break;
		}
		sep = ", ";
	}
	if (*sep == ',')
		ADD(")");
#undef ADD
}

/* The hidden entries that hold much of the time, so that a main left out
 * by --min-calls is named: "Hidden: main (below --min-calls: 1 call, total
 * 1.20s = 98.5% of profiled time)"; nothing when none is that large. */
static void hidden_large(FILE *out, const struct report *r, size_t width)
{
	static const char *const why[] = { "", "below", "below", "not matching", "matching" };
	char a[32], b[32], *text;
	size_t size = 16, len = 0;

	if (!r->nhidden_large)
		return;
	for (size_t i = 0; i < r->nhidden_large; i++)
		size += strlen(r->hidden_large[i]->name) + 160;
	if (!(text = malloc(size)))
		return;
	len = (size_t)snprintf(text, size, "Hidden:");
	for (size_t i = 0; i < r->nhidden_large; i++) {
		const struct report_row *row = r->hidden_large[i];

		len += (size_t)snprintf(text + len, size - len, "%s%s (%s %s: %s call%s, total %s ="
					" %.1f%% of profiled time)", i ? "; " : " ", row->name,
					why[row->hidden], report_hide_option(row->hidden),
					report_fmt_count(b, row->st.calls),
					row->st.calls == 1 ? "" : "s",
					report_fmt_ns(a, row->st.total_ns),
					report_pct(row->st.total_ns, r->totals.profiled_ns));
	}
	report_text_wrap(out, text, width, 0, "  ");
	free(text);
}

static void sections(FILE *out, const struct report *r, size_t width)
{
	const struct report_opts *o = r->opts;
	const uint64_t limits[] = { o->critical_ns, o->high_ns, o->medium_ns };
	char a[32], line[512];

	if (!r->ntop) {
		snprintf(line, sizeof(line), "No entry to show: %zu of %zu hidden",
			 r->entries - r->eligible, r->entries);
		hidden_counts(line, sizeof(line), r);
		strncat(line, ".", sizeof(line) - strlen(line) - 1);
		fputc('\n', out);
		report_text_wrap(out, line, width, 0, "  ");
		return;
	}
	for (int s = SEV_CRITICAL; s <= SEV_LOW; s++) {
		struct table t = { .width = width };
		int any = 0;

		for (size_t i = 0; i < r->ntop; i++) {
			const struct report_row *row = r->top[i];

			if ((int)row->severity != s)
				continue;
			if (!any++) {
				fputc('\n', out);
				if (s == SEV_LOW)
					fprintf(out, "%sLOW Severity (<=%s avg)%s\n",
						sev_color(r, SEV_LOW), report_fmt_limit(a, o->medium_ns),
						reset(r));
				else
					fprintf(out, "%s%s Severity (>%s avg)%s\n",
						sev_color(r, (enum report_severity)s),
						report_severity_name((enum report_severity)s),
						report_fmt_limit(a, limits[s]), reset(r));
				fputs(LINE, out);
				if (table_plan(&t, r, r->top, r->ntop, s))
					return;
				table_header(out, &t);
			}
			entry(out, r, &t, row);
		}
	}
}

/* The name line of a list entry: prefix, then the name in the severity's
 * colour, fitted to the width with its kind tag (" [region]"). */
static void name_line(FILE *out, const struct report *r, const struct report_row *row,
		      const char *prefix, size_t width)
{
	char tag[32] = "";

	/* endpoints are listed apart: no tag */
	if (row->e->kind != PPF_KIND_FUNCTION && row->e->kind != PPF_KIND_ENDPOINT)
		snprintf(tag, sizeof(tag), " [%s]", pp_kind_name(row->e->kind));
	fprintf(out, "%s%s", prefix, sev_color(r, row->severity));
	report_text_fit(out, row->name, width - strlen(prefix) - strlen(tag), r->opts->utf8);
	fprintf(out, "%s%s\n", reset(r), tag);
}

static void slowest(FILE *out, const struct report *r, size_t width)
{
	char a[32], num[32];

	if (!r->nslowest)
		return;
	fprintf(out, "\nSlowest by Average (top %zu)\n" LINE, r->nslowest);
	for (size_t i = 0; i < r->nslowest; i++) {
		const struct report_row *row = r->slowest[i];
		struct pieces p = { out, width, 0, "    ", 0 };

		snprintf(num, sizeof(num), "%2zu. ", i + 1);
		name_line(out, r, row, num, width);
		piece(&p, "Average: %s", report_fmt_ns(a, row->st.avg_ns));
		piece(&p, "P95: %s", report_fmt_ns(a, row->st.p95_ns));
		piece(&p, "P99: %s", report_fmt_ns(a, row->st.p99_ns));
		piece(&p, "Max: %s", report_fmt_ns(a, row->st.max_ns));
		piece(&p, "Calls: %s", report_fmt_count(a, row->st.calls));
		pieces_end(&p);
	}
}

static void endpoints(FILE *out, const struct report *r, size_t width)
{
	char a[32], b[32], c[32], d[32], e6[6][32];

	if (!r->nendpoints)
		return;
	fprintf(out, "\nEndpoints (slowest first)\n" LINE);
	for (size_t i = 0; i < r->nendpoints; i++) {
		const struct report_row *row = r->endpoints[i];
		const struct pp_entry *e = row->e;
		struct pieces p = { out, width, 0, "  ", 0 };

		name_line(out, r, row, "", width);
		piece(&p, "Requests: %s", report_fmt_count(a, row->st.calls));
		piece(&p, "Average: %s", report_fmt_ns(a, row->st.avg_ns));
		piece(&p, "P95: %s", report_fmt_ns(b, row->st.p95_ns));
		piece(&p, "P99: %s", report_fmt_ns(c, row->st.p99_ns));
		piece(&p, "Max: %s", report_fmt_ns(d, row->st.max_ns));
		piece(&p, "Errors: %s (%.1f%%)", report_fmt_count(a, row->st.errors),
		      report_pct(row->st.errors, row->st.calls));
		piece(&p, "Slow: %s", report_fmt_count(a, e->slow));
		pieces_end(&p);
		piece(&p, "Status: 1xx %s", report_fmt_count(e6[0], e->status[1]));
		piece(&p, "2xx %s", report_fmt_count(e6[1], e->status[2]));
		piece(&p, "3xx %s", report_fmt_count(e6[2], e->status[3]));
		piece(&p, "4xx %s", report_fmt_count(e6[3], e->status[4]));
		piece(&p, "5xx %s", report_fmt_count(e6[4], e->status[5]));
		piece(&p, "other %s", report_fmt_count(e6[5], e->status[PPF_STATUS_OTHER]));
		pieces_end(&p);
	}
}

static void caches(FILE *out, const struct report *r, size_t width)
{
	const struct pp_profile *prof = r->prof;
	char a[32], b[32];

	if (!prof->ncaches)
		return;
	fprintf(out, "\nCaches\n" LINE);
	for (size_t i = 0; i < prof->ncaches; i++) {
		const struct pp_cache *c = &prof->caches[i];
		const char *freed = c->live ? "" : " (freed)";
		struct pieces p = { out, width, 0, "  ", 0 };

		fputs(bold(r), out);
		report_text_fit(out, c->name, width - strlen(freed), r->opts->utf8);
		fprintf(out, "%s%s\n", reset(r), freed);
		piece(&p, "Hits: %s", report_fmt_count(a, c->hits));
		piece(&p, "Misses: %s", report_fmt_count(a, c->misses));
		piece(&p, "Hit rate: %.1f%%", report_pct(c->hits, c->hits + c->misses));
		piece(&p, "Size: %s/%s", report_fmt_count(a, c->size),
		      report_fmt_count(b, c->max_size));
		piece(&p, "Evictions: %s", report_fmt_count(a, c->evictions));
		piece(&p, "Expirations: %s", report_fmt_count(a, c->expirations));
		pieces_end(&p);
	}
}

static void notes(FILE *out, const char *title_text, const struct report_note *n, size_t count,
		  size_t width)
{
	if (!count)
		return;
	fprintf(out, "\n%s:\n", title_text);
	for (size_t i = 0; i < count; i++) {
		fputs("- ", out);
		report_text_wrap(out, n[i].text, width, 2, "  ");
	}
}

int report_text(FILE *out, const struct report *r)
{
	size_t width = report_text_width(out, r->opts);
	char a[32], b[32], line[512];

	header(out, r, width);
	if (r->opts->check) {
		fputs(RULE "\n", out);
		return check_text(out, r);
	}
	if (r->opts->callers || r->opts->callees) {
		fputs(RULE, out);
		return report_text_calls(out, r, width);
	}
	snprintf(line, sizeof(line), "Sorted by %s: top %zu of %s entries",
		 sort_name(r->opts->sort), r->ntop, report_fmt_count(b, r->entries));
	hidden_counts(line, sizeof(line), r);
	report_text_wrap(out, line, width, 0, "  ");
	hidden_large(out, r, width);
	fputs(RULE, out);
	sections(out, r, width);
	slowest(out, r, width);
	report_text_graph(out, r, width);
	endpoints(out, r, width);
	caches(out, r, width);
	if (r->nrecs) {
		notes(out, "Recommendations", r->recs, r->nrecs, width);
	} else {
		snprintf(line, sizeof(line), "Nothing stands out: no entry is above %s on"
			 " average, called very often at a tiny cost, dominant in self time or"
			 " spread by outliers", report_fmt_limit(a, r->opts->medium_ns));
		fputs("\nRecommendations:\n- ", out);
		report_text_wrap(out, line, width, 2, "  ");
	}
	notes(out, "Warnings", r->warnings, r->nwarnings, width);
	if (r->opts->threads)
		report_text_threads(out, r, width);
	return ferror(out) ? -1 : 0;
}
