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
 * and the sentences that quote them) is printed through esc_fputs(): a
 * profiled program cannot drive the reader's terminal.
 */
#include <string.h>

#include "escape.h"
#include "report.h"

#define RULE "================================================================================\n"
#define LINE "--------------------------------------------------------------------------------\n"

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

static void header(FILE *out, const struct report *r)
{
	const struct pp_profile *prof = r->prof;
	char a[32], when[64];
	struct tm tm;

	localtime_r(&r->opts->now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "%sPerformance Bottleneck Analysis%s\n", bold(r), reset(r));
	fprintf(out, "Generated: %s\n", when);
	if (prof->nprocs == 1) {
		const struct pp_process *p = &prof->procs[0];

		fputs("Program: ", out);
		esc_fputs(p->cmdline, out);
		fprintf(out, " (pid %u%s)\n", p->pid,
			p->flags & PPF_FLAG_COMPLETE ? "" : p->live ? ", live segment" :
			", did not exit normally");
	} else {
		fprintf(out, "Programs: %zu processes\n", prof->nprocs);
		for (size_t i = 0; i < prof->nprocs; i++) {
			const struct pp_process *p = &prof->procs[i];

			fprintf(out, "  pid %u: ", p->pid);
			esc_fputs(p->cmdline, out);
			fprintf(out, " (wall %s%s)\n",
				report_fmt_ns(a, p->wall_ns), p->flags & PPF_FLAG_COMPLETE ? "" :
				", did not exit normally");
		}
	}
	fprintf(out, "Wall Time: %s\n", report_fmt_ns(a, r->totals.wall_ns));
	fprintf(out, "Total Profiled Time: %s\n", report_fmt_ns(a, r->totals.profiled_ns));
}

/* What the filters hide, after the header's count of entries:
 * " (3 below --min-calls 5, 1 not matching --filter)", or nothing when
 * they hide nothing. */
static void hidden_counts(FILE *out, const struct report *r)
{
	const struct report_opts *o = r->opts;
	const char *sep = " (";
	char a[32];

	for (int h = HIDE_MIN_CALLS; h < HIDE_N; h++) {
		if (!r->hidden[h])
			continue;
		fprintf(out, "%s%zu ", sep, r->hidden[h]);
		switch ((enum report_hide)h) {
		case HIDE_MIN_CALLS:
			fprintf(out, "below --min-calls %llu", (unsigned long long)o->min_calls);
			break;
		case HIDE_MIN_TIME:
			fprintf(out, "below --min-time %s", report_fmt_limit(a, o->min_time_ns));
			break;
		case HIDE_FILTER:
			fputs("not matching --filter", out);
			break;
		case HIDE_EXCLUDE:
			fputs("matching --exclude", out);
			break;
		default:
			break;
		}
		sep = ", ";
	}
	if (*sep == ',')
		fputc(')', out);
}

/* The hidden entries that hold much of the time, so that a main left out
 * by --min-calls is named: "Hidden: main (below --min-calls: 1 call, total
 * 1.20s = 98.5% of profiled time)"; nothing when none is that large. */
static void hidden_large(FILE *out, const struct report *r)
{
	static const char *const why[] = { "", "below", "below", "not matching", "matching" };
	char a[32];

	if (!r->nhidden_large)
		return;
	fputs("Hidden:", out);
	for (size_t i = 0; i < r->nhidden_large; i++) {
		const struct report_row *row = r->hidden_large[i];

		fputs(i ? "; " : " ", out);
		esc_fputs(row->name, out);
		fprintf(out, " (%s %s: %llu call%s, total %s = %.1f%% of profiled time)",
			why[row->hidden], report_hide_option(row->hidden),
			(unsigned long long)row->st.calls, row->st.calls == 1 ? "" : "s",
			report_fmt_ns(a, row->st.total_ns),
			report_pct(row->st.total_ns, r->totals.profiled_ns));
	}
	fputc('\n', out);
}

/* One entry: its name, a line of average, max, percentiles, calls and
 * total, then a line of self time and the rest. */
static void entry(FILE *out, const struct report *r, const struct report_row *row)
{
	const struct pp_stats *st = &row->st;
	uint64_t whole = r->totals.profiled_ns;
	char a[32], b[32], c[32], d[32], e[32];

	fputs(bold(r), out);
	esc_fputs(row->name, out);
	fputs(reset(r), out);
	if (row->e->kind != PPF_KIND_FUNCTION)
		fprintf(out, " [%s]", pp_kind_name(row->e->kind));
	fputc('\n', out);
	fprintf(out, "  Average: %s | Max: %s | P95: %s | P99: %s | Calls: %llu | Total: %s (%.1f%%)\n",
		report_fmt_ns(a, st->avg_ns), report_fmt_ns(b, st->max_ns),
		report_fmt_ns(c, st->p95_ns), report_fmt_ns(d, st->p99_ns),
		(unsigned long long)st->calls, report_fmt_ns(e, st->total_ns),
		report_pct(st->total_ns, whole));
	fprintf(out, "  Self: %s (%.1f%%) | Min: %s | P50: %s | P99.9: %s",
		report_fmt_ns(a, st->self_ns), report_pct(st->self_ns, whole),
		report_fmt_ns(b, st->min_ns), report_fmt_ns(c, st->p50_ns),
		report_fmt_ns(d, st->p999_ns));
	if (st->mem_max_kib)
		fprintf(out, " | Memory: avg %.1f MiB, max %.1f MiB", st->mem_avg_kib / 1024.0,
			st->mem_max_kib / 1024.0);
	if (row->e->abandoned)
		fprintf(out, " | Abandoned: %llu", (unsigned long long)row->e->abandoned);
	fputc('\n', out);
	report_text_hot(out, r, row);
}

static void sections(FILE *out, const struct report *r)
{
	const struct report_opts *o = r->opts;
	const uint64_t limits[] = { o->critical_ns, o->high_ns, o->medium_ns };
	char a[32];

	if (!r->ntop) {
		fprintf(out, "\nNo entry to show: %zu of %zu hidden", r->entries - r->eligible,
			r->entries);
		hidden_counts(out, r);
		fputs(".\n", out);
		return;
	}
	for (int s = SEV_CRITICAL; s <= SEV_LOW; s++) {
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
			}
			entry(out, r, row);
		}
	}
}

static void slowest(FILE *out, const struct report *r)
{
	char a[32], b[32], c[32], d[32];

	if (!r->nslowest)
		return;
	fprintf(out, "\nSlowest by Average (top %zu)\n" LINE, r->nslowest);
	for (size_t i = 0; i < r->nslowest; i++) {
		const struct report_row *row = r->slowest[i];

		fprintf(out, "%2zu. %s", i + 1, sev_color(r, row->severity));
		esc_fputs(row->name, out);
		fprintf(out, "%s%s%s%s\n    Average: %s | P95: %s | P99: %s | Max: %s | Calls: %llu\n",
			reset(r), row->e->kind != PPF_KIND_FUNCTION ? " [" : "",
			row->e->kind != PPF_KIND_FUNCTION ? pp_kind_name(row->e->kind) : "",
			row->e->kind != PPF_KIND_FUNCTION ? "]" : "",
			report_fmt_ns(a, row->st.avg_ns), report_fmt_ns(b, row->st.p95_ns),
			report_fmt_ns(c, row->st.p99_ns), report_fmt_ns(d, row->st.max_ns),
			(unsigned long long)row->st.calls);
	}
}

static void endpoints(FILE *out, const struct report *r)
{
	char a[32], b[32], c[32], d[32];

	if (!r->nendpoints)
		return;
	fprintf(out, "\nEndpoints (slowest first)\n" LINE);
	for (size_t i = 0; i < r->nendpoints; i++) {
		const struct report_row *row = r->endpoints[i];
		const struct pp_entry *e = row->e;

		fputs(sev_color(r, row->severity), out);
		esc_fputs(row->name, out);
		fprintf(out, "%s\n  Requests: %llu | Average: %s | P95: %s | P99: %s | Max: %s"
			" | Errors: %llu (%.1f%%) | Slow: %llu\n",
			reset(r), (unsigned long long)row->st.calls,
			report_fmt_ns(a, row->st.avg_ns), report_fmt_ns(b, row->st.p95_ns),
			report_fmt_ns(c, row->st.p99_ns), report_fmt_ns(d, row->st.max_ns),
			(unsigned long long)row->st.errors, report_pct(row->st.errors, row->st.calls),
			(unsigned long long)e->slow);
		fprintf(out, "  Status: 1xx %llu | 2xx %llu | 3xx %llu | 4xx %llu | 5xx %llu"
			" | other %llu\n", (unsigned long long)e->status[1],
			(unsigned long long)e->status[2], (unsigned long long)e->status[3],
			(unsigned long long)e->status[4], (unsigned long long)e->status[5],
			(unsigned long long)e->status[PPF_STATUS_OTHER]);
	}
}

static void caches(FILE *out, const struct report *r)
{
	const struct pp_profile *prof = r->prof;

	if (!prof->ncaches)
		return;
	fprintf(out, "\nCaches\n" LINE);
	for (size_t i = 0; i < prof->ncaches; i++) {
		const struct pp_cache *c = &prof->caches[i];

		fputs(bold(r), out);
		esc_fputs(c->name, out);
		fprintf(out, "%s%s\n  Hits: %llu | Misses: %llu | Hit rate: %.1f%% | Size: %llu/%llu"
			" | Evictions: %llu | Expirations: %llu\n", reset(r),
			c->live ? "" : " (freed)", (unsigned long long)c->hits,
			(unsigned long long)c->misses, report_pct(c->hits, c->hits + c->misses),
			(unsigned long long)c->size, (unsigned long long)c->max_size,
			(unsigned long long)c->evictions, (unsigned long long)c->expirations);
	}
}

static void notes(FILE *out, const char *title, const struct report_note *n, size_t count)
{
	if (!count)
		return;
	fprintf(out, "\n%s:\n", title);
	for (size_t i = 0; i < count; i++)
	{
		fputs("- ", out);
		esc_fputs(n[i].text, out);
		fputc('\n', out);
	}
}

int report_text(FILE *out, const struct report *r)
{
	char a[32];

	header(out, r);
	if (r->opts->check) {
		fputs(RULE "\n", out);
		return check_text(out, r);
	}
	if (r->opts->callers || r->opts->callees) {
		fputs(RULE, out);
		return report_text_calls(out, r);
	}
	fprintf(out, "Sorted by %s: top %zu of %zu entries", sort_name(r->opts->sort), r->ntop,
		r->entries);
	hidden_counts(out, r);
	fputc('\n', out);
	hidden_large(out, r);
	fputs(RULE, out);
	sections(out, r);
	slowest(out, r);
	report_text_graph(out, r);
	endpoints(out, r);
	caches(out, r);
	if (r->nrecs)
		notes(out, "Recommendations", r->recs, r->nrecs);
	else
		fprintf(out, "\nRecommendations:\n- Nothing stands out: no entry is above %s on"
			" average, called very often at a tiny cost, dominant in self time or"
			" spread by outliers\n", report_fmt_limit(a, r->opts->medium_ns));
	notes(out, "Warnings", r->warnings, r->nwarnings);
	return ferror(out) ? -1 : 0;
}
