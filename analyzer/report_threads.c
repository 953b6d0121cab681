/* report_threads.c - each thread's table (--threads), in every format
 *
 * The loader keeps the figures of each thread a dump of format version 4
 * holds apart (a live thread, or an exited one the runtime had not folded
 * into its process area: format.h) in a profile of its own
 * (struct pp_thread).  Here each becomes a list of rows named as the
 * process report names the same entries, selected with the same options
 * (--top, --min-calls, --min-time, --filter, --exclude, --sort), and
 * printed after the process report: as a short table per thread in text
 * (calls, total, self, average and p95, each time column in one unit, the
 * name on a line of its own, as the severity tables do), as "threads" in
 * JSON, as rows with a tid and a thread column in CSV.  Threads the
 * runtime folded (past PARAPROF_MAX_THREADS) and inputs of an older format
 * are counted, never silently missing.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define LINE "--------------------------------------------------------------------------------\n"
#define U(x) ((unsigned long long)(x))

/* Threads by pid, then by start, then by tid: the order they began in. */
static int cmp_threads(const void *a, const void *b)
{
	const struct report_thread *x = a, *y = b;

	if (x->th->pid != y->th->pid)
		return x->th->pid < y->th->pid ? -1 : 1;
	if (x->th->start_ns != y->th->start_ns)
		return x->th->start_ns < y->th->start_ns ? -1 : 1;
	return (x->th->tid > y->th->tid) - (x->th->tid < y->th->tid);
}

/* The rows of thread th into rt: one per entry of its profile that the
 * process report has (endpoints are the process area's), named as there.
 * 0, or -1 when memory runs out. */
static int thread_rows(struct report *r, struct report_thread *rt, const struct pp_thread *th)
{
	const struct report_opts *o = r->opts;
	const struct pp_profile *tp = th->prof;
	size_t n = tp->nentries ? tp->nentries : 1, shown = 0;

	rt->th = th;
	rt->rows = calloc(n, sizeof(*rt->rows));
	rt->top = calloc(n, sizeof(*rt->top));
	if (!rt->rows || !rt->top)
		return -1;
	for (size_t i = 0; i < tp->nentries; i++) {
		struct pp_entry *e = tp->entries[i];
		const struct pp_entry *me = pp_profile_find(r->prof, e);
		struct report_row *row;

		if (!me || me->kind == PPF_KIND_ENDPOINT || me->index >= r->nrows)
			continue;
		row = &rt->rows[rt->nrows++];
		/* the process report's names, so that both say the same */
		e->name = me->name;
		e->full_name = me->full_name;
		row->e = e;
		row->name = r->rows[me->index].name;
		row->module = r->rows[me->index].module;
		stats_compute(e, &row->st);
		row->severity = row->st.avg_ns > o->critical_ns ? SEV_CRITICAL :
				row->st.avg_ns > o->high_ns ? SEV_HIGH :
				row->st.avg_ns > o->medium_ns ? SEV_MEDIUM : SEV_LOW;
		rt->entries++;
		rt->calls = pp_sat_add(rt->calls, row->st.calls);
		rt->self_ns = pp_sat_add(rt->self_ns, row->st.self_ns);
		row->hidden = report_hide_reason(o, row);
		if (row->hidden == HIDE_NONE)
			rt->top[shown++] = row;
	}
	report_sort_rows(rt->top, shown, o->sort);
	rt->ntop = o->top && o->top < shown ? (size_t)o->top : shown;
	return 0;
}

int report_threads_build(struct report *r)
{
	const struct pp_profile *prof = r->prof;

	r->threads = calloc(prof->nthreads ? prof->nthreads : 1, sizeof(*r->threads));
	if (!r->threads)
		return -1;
	for (size_t i = 0; i < prof->nthreads; i++) {
		if (thread_rows(r, &r->threads[r->nthreads++], &prof->threads[i]))
			return -1;
	}
	qsort(r->threads, r->nthreads, sizeof(*r->threads), cmp_threads);
	return 0;
}

void report_threads_free(struct report *r)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		free(r->threads[i].rows);
		free(r->threads[i].top);
	}
	free(r->threads);
	r->threads = NULL;
	r->nthreads = 0;
}

/* ---- text ---- */

enum tcol { T_CALLS, T_TOTAL, T_SELF, T_AVG, T_P95, T_NCOLS };

static const char *const tcol_title[T_NCOLS] = { "Calls", "Total", "Self", "Avg", "P95" };

static uint64_t tcol_ns(const struct report_row *row, enum tcol c)
{
	switch (c) {
	case T_TOTAL: return row->st.total_ns;
	case T_SELF: return row->st.self_ns;
	case T_AVG: return row->st.avg_ns;
	case T_P95: return row->st.p95_ns;
	default: return row->st.calls;
	}
}

static const char *tcell(char buf[32], const struct report_row *row, enum tcol c, int unit)
{
	return c == T_CALLS ? report_fmt_count(buf, row->st.calls) :
			      report_fmt_in_unit(buf, tcol_ns(row, c), unit);
}

/* The heading of a thread: "Thread TID NAME (pid P, exited after 1.20ms)". */
static void thread_heading(FILE *out, const struct report_thread *rt, size_t width)
{
	const struct pp_thread *th = rt->th;
	char line[256], a[32], b[32], c[32];
	const char *state = th->exited ? "exited" : "running";

	if (th->start_ns && th->stop_ns)
		snprintf(a, sizeof(a), " after %s", report_fmt_ns(c, th->stop_ns - th->start_ns));
	else
		a[0] = '\0';
	snprintf(line, sizeof(line), "Thread %u %s (pid %u, %s%s): %s calls; top %zu of %s entries",
		 th->tid, th->name, th->pid, state, a, report_fmt_count(b, rt->calls), rt->ntop,
		 report_fmt_count(c, rt->entries));
	fputc('\n', out);
	report_text_wrap(out, line, width, 0, "  ");
	fputs(LINE, out);
}

/* One thread's table: a header row, then per row its name on a line of
 * its own and its numbers under the header. */
static void thread_table(FILE *out, const struct report *r, const struct report_thread *rt,
			 size_t width)
{
	int unit[T_NCOLS] = { 0 };
	size_t w[T_NCOLS];
	uint64_t *v = malloc((rt->ntop ? rt->ntop : 1) * sizeof(*v));
	char buf[32];

	if (!v || !rt->ntop) {
		free(v);
		return;		/* (the heading says "top 0 of N") */
	}
	for (int c = T_TOTAL; c < T_NCOLS; c++) {
		for (size_t i = 0; i < rt->ntop; i++)
			v[i] = tcol_ns(rt->top[i], (enum tcol)c);
		unit[c] = report_text_unit(v, rt->ntop);
	}
	free(v);
	for (int c = 0; c < T_NCOLS; c++) {
		if (c == T_CALLS)
			snprintf(buf, sizeof(buf), "%s", tcol_title[c]);
		else
			snprintf(buf, sizeof(buf), "%s %s", tcol_title[c], report_unit_name(unit[c]));
		w[c] = strlen(buf);
		for (size_t i = 0; i < rt->ntop; i++) {
			size_t l = strlen(tcell(buf, rt->top[i], (enum tcol)c, unit[c]));

			w[c] = l > w[c] ? l : w[c];
		}
	}
	/* (five columns of at most 11 characters: always inside 80) */
	fputs(" ", out);
	for (int c = 0; c < T_NCOLS; c++) {
		if (c == T_CALLS)
			snprintf(buf, sizeof(buf), "%s", tcol_title[c]);
		else
			snprintf(buf, sizeof(buf), "%s %s", tcol_title[c], report_unit_name(unit[c]));
		fprintf(out, "%s%*s", c ? "  " : " ", (int)w[c], buf);
	}
	fputc('\n', out);
	for (size_t i = 0; i < rt->ntop; i++) {
		const struct report_row *row = rt->top[i];
		char tag[32] = "";

		if (row->e->kind != PPF_KIND_FUNCTION)
			snprintf(tag, sizeof(tag), " [%s]", pp_kind_name(row->e->kind));
		report_text_fit(out, row->name, width - strlen(tag), r->opts->utf8);
		fprintf(out, "%s\n ", tag);
		for (int c = 0; c < T_NCOLS; c++)
			fprintf(out, "%s%*s", c ? "  " : " ", (int)w[c],
				tcell(buf, row, (enum tcol)c, unit[c]));
		fputc('\n', out);
	}
}

void report_text_threads(FILE *out, const struct report *r, size_t width)
{
	const struct pp_profile *prof = r->prof;
	char line[400], a[32];

	snprintf(line, sizeof(line), "Threads: %zu with figures of their own", r->nthreads);
	if (prof->threads_folded)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "; %s more exited"
			 " past PARAPROF_MAX_THREADS and count only in the process figures",
			 report_fmt_count(a, prof->threads_folded));
	if (prof->threads_unknown)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "; %zu input%s of"
			 " format version 3 or older, which %s no per-thread figures",
			 prof->threads_unknown, prof->threads_unknown == 1 ? "" : "s",
			 prof->threads_unknown == 1 ? "has" : "have");
	fputs("\n", out);
	report_text_wrap(out, line, width, 0, "  ");
	for (size_t i = 0; i < r->nthreads; i++) {
		thread_heading(out, &r->threads[i], width);
		thread_table(out, r, &r->threads[i], width);
	}
}

/* ---- JSON and CSV ---- */

void report_json_threads(FILE *out, const struct report *r)
{
	fputs("  \"threads\": [", out);
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct report_thread *rt = &r->threads[i];
		const struct pp_thread *th = rt->th;

		fprintf(out, "%s    {\"pid\": %u, \"tid\": %u, \"name\": ", i ? ",\n" : "\n",
			th->pid, th->tid);
		report_json_string(out, th->name);
		fprintf(out, ", \"exited\": %s, \"start_ns\": %llu, \"stop_ns\": %llu,"
			" \"calls\": %llu, \"self_ns\": %llu, \"entries\": %zu, \"functions\": [",
			th->exited ? "true" : "false", U(th->start_ns), U(th->stop_ns),
			U(rt->calls), U(rt->self_ns), rt->entries);
		for (size_t k = 0; k < rt->ntop; k++) {
			fputs(k ? ",\n" : "\n", out);
			report_json_row(out, r, rt->top[k], k + 1, "      ");
		}
		fputs(rt->ntop ? "\n    ]}" : "]}", out);
	}
	fputs(r->nthreads ? "\n  ],\n" : "],\n", out);
	fprintf(out, "  \"threads_folded\": %llu,\n  \"threads_unknown\": %zu,\n",
		U(r->prof->threads_folded), r->prof->threads_unknown);
}

void report_csv_threads(FILE *out, const struct report *r)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct report_thread *rt = &r->threads[i];

		for (size_t k = 0; k < rt->ntop; k++) {
			report_csv_row(out, r, rt->top[k], k + 1);
			fprintf(out, ",%u,", rt->th->tid);
			report_csv_field(out, rt->th->name);
			fputs("\r\n", out);
		}
	}
}
