/* report_json.c - the report as one JSON document
 *
 * Everything the text shows, as numbers in nanoseconds and KiB rather than
 * rounded text, plus "format_version" (bumped when a field changes meaning
 * or goes away; new fields may appear without a bump).  Strings come from
 * dumps and symbol tables, so the escaper handles every control character
 * and replaces bytes that are not valid UTF-8 with U+FFFD: the output is
 * always valid JSON.
 */
#include <string.h>

#include "escape.h"
#include "report.h"
#include "samples.h"

#define JSON_FORMAT_VERSION 1

void report_json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	fputc('"', out);
	while (*s) {
		int n = esc_utf8_len(s);

		if (n == 0) {
			fputs("\\ufffd", out);
			s++;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, (size_t)n, out);
			s += n;
			continue;
		}
		switch (*s) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				fprintf(out, "\\u%04x", *s);
			else
				fputc(*s, out);
		}
		s++;
	}
	fputc('"', out);
}

static const char *sort_key(enum report_sort s)
{
	static const char *const names[] = { "total", "self", "avg", "p95", "p99", "calls" };

	return names[s];
}

#define U(x) ((unsigned long long)(x))

/* The shares of a row's CPU samples (PARAPROF_SAMPLE): "self_samples":
 * [{"name", "module", "own", "samples", "ns", "share"}, ...], most first;
 * nothing when memory runs out. */
static void self_samples(FILE *out, const struct report *r, const struct report_row *rw)
{
	struct samples_list l;

	if (samples_of(r->prof, rw->e->index, &l) || !l.n)
		return;
	fputs(", \"self_samples\": [", out);
	for (size_t i = 0; i < l.n; i++) {
		fputs(i ? ", {\"name\": " : "{\"name\": ", out);
		report_json_string(out, l.v[i].name);
		fputs(", \"module\": ", out);
		report_json_string(out, l.v[i].module);
		fprintf(out, ", \"own\": %s, \"samples\": %llu, \"ns\": %llu, \"share\": %.4f}",
			l.v[i].own ? "true" : "false", U(l.v[i].samples), U(l.v[i].ns),
			(double)l.v[i].samples / (double)l.samples);
	}
	fputc(']', out);
	samples_free(&l);
}

void report_json_row(FILE *out, const struct report *r, const struct report_row *rw, size_t rank,
		     const char *indent)
{
	const struct pp_stats *st = &rw->st;
	uint64_t whole = r->totals.profiled_ns;

	fprintf(out, "%s{\"rank\": %zu, \"name\": ", indent, rank);
	report_json_string(out, rw->name);
	fprintf(out, ", \"kind\": \"%s\", \"module\": ", pp_kind_name(rw->e->kind));
	if (rw->module)
		report_json_string(out, rw->module);
	else
		fputs("null", out);
	if (rw->e->kind == PPF_KIND_FUNCTION) {
		/* the name shortened or not (cxxname.h), the demangled one */
		fprintf(out, ", \"offset\": %llu, \"full_name\": ", U(rw->e->offset));
		report_json_string(out, rw->e->full_name ? rw->e->full_name : rw->name);
	}
	fprintf(out, ", \"severity\": \"%s\", \"calls\": %llu, \"total_ns\": %llu,"
		" \"total_pct\": %.2f, \"self_ns\": %llu, \"self_pct\": %.2f, \"sum_ns\": %llu,"
		" \"avg_ns\": %llu, \"min_ns\": %llu, \"max_ns\": %llu, \"p50_ns\": %llu,"
		" \"p95_ns\": %llu, \"p99_ns\": %llu, \"p999_ns\": %llu, \"mem_avg_kib\": %llu,"
		" \"mem_max_kib\": %llu, \"abandoned\": %llu, \"hist_dropped\": %llu,"
		" \"cpu_ns\": %llu, \"cpu_wall_ns\": %llu",
		report_severity_name(rw->severity), U(st->calls), U(st->total_ns),
		report_pct(st->total_ns, whole), U(st->self_ns), report_pct(st->self_ns, whole),
		U(st->sum_ns), U(st->avg_ns), U(st->min_ns), U(st->max_ns), U(st->p50_ns),
		U(st->p95_ns), U(st->p99_ns), U(st->p999_ns), U(st->mem_avg_kib),
		U(st->mem_max_kib), U(rw->e->abandoned), U(rw->e->hist_dropped),
		U(rw->e->cpu_ns), U(rw->e->cpu_wall_ns));
	report_json_hot(out, rw);
	if (rw->e->sampled)
		self_samples(out, r, rw);
	if (rw->e->kind == PPF_KIND_ENDPOINT) {
		const struct pp_entry *e = rw->e;
		const char *sp = strchr(rw->name, ' ');

		fputs(", \"method\": ", out);
		if (sp) {
			char method[32];
			size_t n = (size_t)(sp - rw->name) < sizeof(method) - 1 ?
				   (size_t)(sp - rw->name) : sizeof(method) - 1;

			memcpy(method, rw->name, n);
			method[n] = '\0';
			report_json_string(out, method);
			fputs(", \"route\": ", out);
			report_json_string(out, sp + 1);
		} else {
			fputs("null, \"route\": ", out);
			report_json_string(out, rw->name);
		}
		fprintf(out, ", \"errors\": %llu, \"slow\": %llu, \"status\": {\"1xx\": %llu,"
			" \"2xx\": %llu, \"3xx\": %llu, \"4xx\": %llu, \"5xx\": %llu,"
			" \"other\": %llu}", U(st->errors), U(e->slow), U(e->status[1]),
			U(e->status[2]), U(e->status[3]), U(e->status[4]), U(e->status[5]),
			U(e->status[PPF_STATUS_OTHER]));
	}
	fputc('}', out);
}

static void rows(FILE *out, const struct report *r, const char *key,
		 struct report_row *const *list, size_t n)
{
	fprintf(out, "  \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", out);
		report_json_row(out, r, list[i], i + 1, "    ");
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
}

static void notes(FILE *out, const char *key, const struct report_note *n, size_t count,
		  int with_count)
{
	fprintf(out, "  \"%s\": [", key);
	for (size_t i = 0; i < count; i++) {
		fprintf(out, "%s    {\"kind\": ", i ? ",\n" : "\n");
		report_json_string(out, n[i].kind);
		if (with_count)
			fprintf(out, ", \"count\": %llu", U(n[i].count));
		fputs(", \"text\": ", out);
		report_json_string(out, n[i].text);
		fputc('}', out);
	}
	fputs(count ? "\n  ],\n" : "],\n", out);
}

/* ", \"KEY\": [\"pattern\", ...]" of --filter or --exclude. */
static void patterns(FILE *out, const char *key, const struct report_pattern *p, size_t n)
{
	fprintf(out, ", \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		report_json_string(out, p[i].src);
	}
	fputc(']', out);
}

int report_json(FILE *out, const struct report *r)
{
	const struct report_opts *o = r->opts;
	const struct pp_profile *prof = r->prof;
	const struct pp_totals *t = &r->totals;
	char when[64];
	struct tm tm;

	localtime_r(&o->now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	fprintf(out, "{\n  \"format_version\": %d,\n  \"generated_at\": \"%s\",\n",
		JSON_FORMAT_VERSION, when);
	fprintf(out, "  \"wall_ns\": %llu,\n  \"profiled_ns\": %llu,\n", U(t->wall_ns),
		U(t->profiled_ns));
	fputs("  \"processes\": [", out);
	for (size_t i = 0; i < prof->nprocs; i++) {
		const struct pp_process *p = &prof->procs[i];

		fprintf(out, "%s    {\"pid\": %u, \"ppid\": %u, \"command\": ", i ? ",\n" : "\n",
			p->pid, p->ppid);
		report_json_string(out, p->cmdline);
		fputs(", \"source\": ", out);
		report_json_string(out, p->source);
		fprintf(out, ", \"live\": %s, \"complete\": %s, \"start_realtime_ns\": %llu,"
			" \"wall_ns\": %llu, \"threads\": %u, \"rss_kib\": %llu,"
			" \"rss_peak_kib\": %llu, \"requests\": %llu, \"hook_call_ps\": %llu,"
			" \"hook_self_ps\": %llu, \"compensated\": %s}", p->live ? "true" : "false",
			p->flags & PPF_FLAG_COMPLETE ? "true" : "false", U(p->start_realtime_ns),
			U(p->wall_ns), p->threads, U(p->rss_kib), U(p->rss_peak_kib), U(p->requests),
			U(p->hook_call_ps), U(p->hook_self_ps), p->compensated ? "true" : "false");
	}
	fputs(prof->nprocs ? "\n  ],\n" : "],\n", out);
	fprintf(out, "  \"options\": {\"sort\": \"%s\", \"top\": %llu, \"min_calls\": %llu,"
		" \"min_time_ns\": %llu, \"slowest\": %llu, \"severity\": {\"critical_ns\": %llu,"
		" \"high_ns\": %llu, \"medium_ns\": %llu}", sort_key(o->sort), U(o->top),
		U(o->min_calls), U(o->min_time_ns), U(o->slowest), U(o->critical_ns),
		U(o->high_ns), U(o->medium_ns));
	patterns(out, "filter", o->filters, o->nfilters);
	patterns(out, "exclude", o->excludes, o->nexcludes);
	fputs(", \"thread\": ", out);
	if (o->thread)
		report_json_string(out, o->thread);
	else
		fputs("null", out);
	fputs("},\n", out);
	fprintf(out, "  \"entries\": %zu,\n  \"entries_eligible\": %zu,\n"
		"  \"entries_below_min_calls\": %zu,\n", r->entries, r->eligible,
		r->below_min_calls);
	fprintf(out, "  \"entries_hidden\": {\"min_calls\": %zu, \"min_time\": %zu,"
		" \"filter\": %zu, \"exclude\": %zu},\n", r->hidden[HIDE_MIN_CALLS],
		r->hidden[HIDE_MIN_TIME], r->hidden[HIDE_FILTER], r->hidden[HIDE_EXCLUDE]);
	fputs("  \"hidden_large\": [", out);
	for (size_t i = 0; i < r->nhidden_large; i++) {
		const struct report_row *rw = r->hidden_large[i];

		fprintf(out, "%s{\"name\": ", i ? ", " : "");
		report_json_string(out, rw->name);
		fprintf(out, ", \"kind\": \"%s\", \"hidden_by\": \"%s\", \"calls\": %llu,"
			" \"total_ns\": %llu, \"total_pct\": %.2f}", pp_kind_name(rw->e->kind),
			report_hide_option(rw->hidden), U(rw->st.calls), U(rw->st.total_ns),
			report_pct(rw->st.total_ns, r->totals.profiled_ns));
	}
	fputs("],\n", out);
	rows(out, r, "functions", r->top, r->ntop);
	rows(out, r, "slowest", r->slowest, r->nslowest);
	rows(out, r, "endpoints", r->endpoints, r->nendpoints);
	fputs("  \"caches\": [", out);
	for (size_t i = 0; i < prof->ncaches; i++) {
		const struct pp_cache *c = &prof->caches[i];

		fprintf(out, "%s    {\"name\": ", i ? ",\n" : "\n");
		report_json_string(out, c->name);
		fprintf(out, ", \"live\": %s, \"hits\": %llu, \"misses\": %llu, \"hit_rate_pct\": %.2f,"
			" \"sets\": %llu, \"deletes\": %llu, \"size\": %llu, \"max_size\": %llu,"
			" \"bytes\": %llu, \"max_bytes\": %llu, \"evictions\": %llu,"
			" \"expirations\": %llu}", c->live ? "true" : "false", U(c->hits),
			U(c->misses), report_pct(c->hits, c->hits + c->misses), U(c->sets),
			U(c->deletes), U(c->size), U(c->max_size), U(c->bytes), U(c->max_bytes),
			U(c->evictions), U(c->expirations));
	}
	fputs(prof->ncaches ? "\n  ],\n" : "],\n", out);
	report_json_paths(out, r);
	if (o->threads)
		report_json_threads(out, r);
	notes(out, "recommendations", r->recs, r->nrecs, 0);
	notes(out, "warnings", r->warnings, r->nwarnings, 1);
	fprintf(out, "  \"counters\": {\"dropped_functions\": %llu, \"stack_overflows\": %llu,"
		" \"abandoned_frames\": %llu, \"unmatched_exits\": %llu, \"threads_dropped\": %llu,"
		" \"threads_seen\": %llu, \"hist_dropped\": %llu, \"strings_dropped\": %llu},\n",
		U(t->dropped_functions), U(t->stack_overflows), U(t->abandoned_frames),
		U(t->unmatched_exits), U(t->threads_dropped), U(t->threads_seen),
		U(t->hist_dropped), U(t->strings_dropped));
	fprintf(out, "  \"check\": {\"judged_what\": \"%s\", \"judged\": %zu, \"pass\": %s,"
		" \"targets\": [", r->judged_what, r->judged, r->check_pass ? "true" : "false");
	for (int i = 0; i < 3; i++) {
		const struct report_target *tg = &r->targets[i];

		fprintf(out, "%s\n    {\"name\": \"%s\", \"limit_ns\": %llu, \"worst_ns\": %llu,"
			" \"worst\": ", i ? "," : "", tg->name, U(tg->limit_ns), U(tg->worst_ns));
		if (tg->worst)
			report_json_string(out, tg->worst->name);
		else
			fputs("null", out);
		fprintf(out, ", \"over\": %llu, \"pass\": %s}", U(tg->over),
			tg->pass ? "true" : "false");
	}
	fputs("\n  ], \"offenders\": [", out);
	for (size_t i = 0; i < r->noffenders; i++) {
		fputs(i ? ", " : "", out);
		report_json_string(out, r->offenders[i]->name);
	}
	fputs("]}\n}\n", out);
	return ferror(out) ? -1 : 0;
}
