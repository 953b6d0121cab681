/* report_csv.c - the report as CSV (RFC 4180)
 *
 * A header row, then one row per reported entry: the top N functions,
 * regions and spans in report order, then every endpoint, then a row of
 * kind "hidden" for each option that left entries out (with --callers
 * or --callees: one row per caller or callee instead); with --threads, two
 * columns more, tid and thread, and each thread's rows after them.  Times in
 * nanoseconds, memory in KiB; a field holding a comma, a double quote, CR or
 * LF is quoted and its quotes doubled; lines end with CRLF as RFC 4180 says.
 */
#include <string.h>

#include "report.h"

#define U(x) ((unsigned long long)(x))

void report_csv_field(FILE *out, const char *s)
{
	if (!s)
		s = "";
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void report_csv_row(FILE *out, const struct report *r, const struct report_row *rw, size_t rank)
{
	const struct pp_stats *st = &rw->st;
	uint64_t whole = r->totals.profiled_ns;

	fprintf(out, "%zu,%s,", rank, pp_kind_name(rw->e->kind));
	report_csv_field(out, rw->name);
	fputc(',', out);
	report_csv_field(out, rw->module);
	fprintf(out, ",%s,%llu,%llu,%.2f,%llu,%.2f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,"
		"%llu,%llu,%llu,%llu,%llu", report_severity_name(rw->severity), U(st->calls),
		U(st->total_ns), report_pct(st->total_ns, whole), U(st->self_ns),
		report_pct(st->self_ns, whole), U(st->avg_ns), U(st->min_ns), U(st->max_ns),
		U(st->p50_ns), U(st->p95_ns), U(st->p99_ns), U(st->p999_ns), U(st->mem_avg_kib),
		U(st->mem_max_kib), U(rw->e->abandoned), U(st->errors), U(rw->e->slow),
		U(rw->e->cpu_ns), U(rw->e->cpu_wall_ns));
}

int report_csv(FILE *out, const struct report *r)
{
	if (r->opts->check)
		return check_csv(out, r);
	if (r->opts->callers || r->opts->callees)
		return report_csv_calls(out, r);
	fputs("rank,kind,name,module,severity,calls,total_ns,total_pct,self_ns,self_pct,avg_ns,"
	      "min_ns,max_ns,p50_ns,p95_ns,p99_ns,p999_ns,mem_avg_kib,mem_max_kib,abandoned,"
	      "errors,slow,cpu_ns,cpu_wall_ns", out);
	fputs(r->opts->threads ? ",tid,thread\r\n" : "\r\n", out);
	const char *end = r->opts->threads ? ",,\r\n" : "\r\n";	/* no tid, thread */

	for (size_t i = 0; i < r->ntop; i++) {
		report_csv_row(out, r, r->top[i], i + 1);
		fputs(end, out);
	}
	for (size_t i = 0; i < r->nendpoints; i++) {
		report_csv_row(out, r, r->endpoints[i], i + 1);
		fputs(end, out);
	}
	/* What the filters hide: a row of kind "hidden" per option that hides
	 * something, the option in name and the entries it hides in calls. */
	for (int h = HIDE_MIN_CALLS; h < HIDE_N; h++)
		if (r->hidden[h])
			fprintf(out, ",hidden,%s,,,%zu,,,,,,,,,,,,,,,,,,%s",
				report_hide_option((enum report_hide)h), r->hidden[h], end);
	if (r->opts->threads)
		report_csv_threads(out, r);
	return ferror(out) ? -1 : 0;
}

int check_csv(FILE *out, const struct report *r)
{
	fputs("target,limit_ns,worst_ns,worst_name,over,judged,judged_what,pass\r\n", out);
	for (int t = 0; t < 3; t++) {
		const struct report_target *tg = &r->targets[t];

		fprintf(out, "%s,%llu,%llu,", tg->name, U(tg->limit_ns), U(tg->worst_ns));
		report_csv_field(out, tg->worst ? tg->worst->name : "");
		fprintf(out, ",%llu,%zu,%s,%s\r\n", U(tg->over), r->judged, r->judged_what,
			tg->pass ? "true" : "false");
	}
	return ferror(out) ? -1 : 0;
}
