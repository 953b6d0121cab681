/* exporter_metrics.c - one scrape: segments and dumps to exposition text
 *
 * Each process is loaded into a profile of its own with the analyzer's
 * loader, turned into rows (one per label set: entries whose escaped labels
 * coincide, such as two static functions of one name, are added together,
 * since a scrape must not repeat a series), cut to the top N by total time
 * with the rest summed per kind under function="(other)", and written into
 * one buffer per metric family; the buffers are joined at the end, because
 * both formats want a family's samples together.  Live segments are loaded
 * and formatted by two threads, each with a worker of its own (a copy of
 * the scrape with its own buffers), which add their text to the scrape in
 * the segments' order (export_live); a profile is freed once formatted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "exporter.h"
#include "load.h"
#include "profile.h"
#include "report.h"
#include "shm.h"
#include "symbols.h"

#define EXP_OTHER "(other)"

/* ---- metric families ---- */

enum fam {
	F_CALLS, F_SECONDS, F_SELF, F_ABANDONED, F_HIST, F_RESPONSES, F_SLOW, F_OTHER,
	F_CACHE_HITS, F_CACHE_MISSES, F_CACHE_EVICTIONS, F_CACHE_EXPIRATIONS, F_CACHE_ENTRIES,
	F_CACHE_MAX_ENTRIES, F_CACHE_BYTES,
	F_DROPPED_FUNCTIONS, F_STACK_OVERFLOWS, F_ABANDONED_FRAMES, F_UNMATCHED_EXITS,
	F_THREADS_DROPPED, F_HIST_DROPPED, F_STRINGS_DROPPED, F_RECORDS_DROPPED, F_REQUESTS,
	F_THREADS, F_RSS, F_RSS_PEAK, F_START_TIME,
	F_EXP_SCRAPES, F_EXP_SLOW, F_EXP_SKIPPED, F_EXP_HTTP, F_EXP_PROCESSES, F_EXP_DURATION,
	F_COUNT
};

enum fam_type { COUNTER, GAUGE, HISTOGRAM };

/* name: without "_total" for counters (OpenMetrics names the family so;
 * the text format names it as its samples are named). */
static const struct {
	const char *name;
	enum fam_type type;
	const char *help;
} fams[F_COUNT] = {
	[F_CALLS] = { "paraprof_calls", COUNTER, "Completed calls (abandoned ones included)." },
	[F_SECONDS] = { "paraprof_seconds", COUNTER,
			"Inclusive time: outermost frames only, so recursion counts once." },
	[F_SELF] = { "paraprof_self_seconds", COUNTER,
		     "Self time: inclusive time minus the time in instrumented callees." },
	[F_ABANDONED] = { "paraprof_abandoned_calls", COUNTER,
			  "Calls ended by longjmp, an exception, exit or pthread_exit." },
	[F_HIST] = { "paraprof_call_duration_seconds", HISTOGRAM,
		     "Duration of each call; le is the last nanosecond of a histogram bucket,"
		     " so the counts are exact." },
	[F_RESPONSES] = { "paraprof_responses", COUNTER,
			  "Endpoint responses by status class (other: outside 100-599)." },
	[F_SLOW] = { "paraprof_slow_requests", COUNTER,
		     "Endpoint requests over the slow-request threshold." },
	[F_OTHER] = { "paraprof_other_entries", GAUGE,
		      "Entries beyond --top summed under function=\"(other)\"." },
	[F_CACHE_HITS] = { "paraprof_cache_hits", COUNTER, "Cache lookups that hit." },
	[F_CACHE_MISSES] = { "paraprof_cache_misses", COUNTER, "Cache lookups that missed." },
	[F_CACHE_EVICTIONS] = { "paraprof_cache_evictions", COUNTER,
				"Entries evicted at the size or byte limit (LRU)." },
	[F_CACHE_EXPIRATIONS] = { "paraprof_cache_expirations", COUNTER,
				  "Entries found or reaped past their TTL." },
	[F_CACHE_ENTRIES] = { "paraprof_cache_entries", GAUGE, "Entries in the cache." },
	[F_CACHE_MAX_ENTRIES] = { "paraprof_cache_max_entries", GAUGE, "The cache's entry limit." },
	[F_CACHE_BYTES] = { "paraprof_cache_bytes", GAUGE, "Bytes of keys and values held." },
	[F_DROPPED_FUNCTIONS] = { "paraprof_dropped_functions", COUNTER,
				  "Calls of functions no record could be made for." },
	[F_STACK_OVERFLOWS] = { "paraprof_stack_overflows", COUNTER,
				"Calls deeper than the shadow stack could hold." },
	[F_ABANDONED_FRAMES] = { "paraprof_abandoned_frames", COUNTER,
				 "Frames left by longjmp, exceptions or exit." },
	[F_UNMATCHED_EXITS] = { "paraprof_unmatched_exits", COUNTER,
				"Exit hooks with no matching entry." },
	[F_THREADS_DROPPED] = { "paraprof_threads_dropped", COUNTER,
				"Threads that found no free area and were not recorded." },
	[F_HIST_DROPPED] = { "paraprof_hist_dropped", COUNTER,
			     "Calls missing from the histograms (no page could be had)." },
	[F_STRINGS_DROPPED] = { "paraprof_strings_dropped", COUNTER,
				"Names that did not fit the string table." },
	[F_RECORDS_DROPPED] = { "paraprof_records_dropped", COUNTER,
				"Damaged records the reader left out of this scrape." },
	[F_REQUESTS] = { "paraprof_requests", COUNTER, "Requests begun (request profiling)." },
	[F_THREADS] = { "paraprof_threads", GAUGE, "Thread areas in use." },
	[F_RSS] = { "paraprof_rss_bytes", GAUGE, "Resident set size at the latest sample." },
	[F_RSS_PEAK] = { "paraprof_rss_peak_bytes", GAUGE, "Largest resident set size sampled." },
	[F_START_TIME] = { "paraprof_process_start_time_seconds", GAUGE,
			   "Start of the process, seconds since the epoch." },
	[F_EXP_SCRAPES] = { "paraprof_exporter_scrapes", COUNTER, "Scrapes of /metrics begun." },
	[F_EXP_SLOW] = { "paraprof_exporter_slow_scrapes", COUNTER,
			 "Scrapes that took a second or more." },
	[F_EXP_SKIPPED] = { "paraprof_exporter_skipped", COUNTER,
			    "Segments and dumps left out of a scrape, by reason." },
	[F_EXP_HTTP] = { "paraprof_exporter_http_responses", COUNTER,
			 "The exporter's HTTP responses by status code." },
	[F_EXP_PROCESSES] = { "paraprof_exporter_processes", GAUGE,
			      "Processes in this scrape, by source (live segment or dump)." },
	[F_EXP_DURATION] = { "paraprof_exporter_scrape_duration_seconds", GAUGE,
			     "Time this scrape took to read and format, up to this line." },
};

static const char *const skip_names[EXP_SKIP_COUNT] = {
	[EXP_SKIP_VANISHED] = "vanished", [EXP_SKIP_UNREADABLE] = "unreadable",
	[EXP_SKIP_INVALID] = "invalid", [EXP_SKIP_FOREIGN] = "foreign",
	[EXP_SKIP_DUPLICATE] = "duplicate", [EXP_SKIP_NOMEM] = "nomem",
};
static const char *const http_codes[EXP_HTTP_COUNT] = { "200", "404", "405", "500" };
static const char *const status_class[PPF_STATUS_CLASSES] = { "other", "1xx", "2xx", "3xx",
							      "4xx", "5xx" };

/* A series already exported in this scrape, to refuse a second one. */
struct seen_proc {
	uint32_t pid;
	char *program;			/* escaped label text, malloc'ed */
};

/* Everything one scrape holds; freed by scrape_free(). */
struct scrape {
	const struct exp_config *cfg;
	struct exp_counters *ctr;
	int om;				/* OpenMetrics */
	struct exp_buf fam[F_COUNT];
	struct exp_buf txt;		/* a process's label texts (escaped), contiguous */
	struct exp_buf base;		/* pid="...",program="..." of the process, contiguous */
	struct exp_buf lab;		/* the labels of the row being written, contiguous */
	char pre[F_COUNT][5][64];	/* "name_total{" ...: see prepare() */
	size_t pre_len[F_COUNT][5];
	char le_txt[EXP_MAX_BOUNDS + 1][48]; /* ",le=\"0.000000999\"} " */
	size_t le_len[EXP_MAX_BOUNDS + 1];
	struct sym_cache *sc;		/* shared with the workers (worker_new) */
	pthread_mutex_t *sym_lock;	/* held around sym_lookup */
	pthread_mutex_t sym_mutex;	/* the scrape's: what sym_lock points at */
	unsigned char bucket_of[PPF_HIST_BUCKETS]; /* histogram bucket -> output bucket */
	struct seen_proc *seen;
	size_t nseen, seen_cap;
	uint64_t processes[2];		/* exported: [0] live, [1] dumps */
};

/* One label set of a process: the entries whose labels coincide, summed. */
struct row {
	size_t fn, mod;			/* offsets of the escaped texts in s->txt */
	uint16_t kind;
	uint8_t other;			/* beyond --top: summed under (other) */
	uint64_t calls, incl_ns, self_ns, sum_ns, abandoned, slow, hcount;
	uint64_t status[PPF_STATUS_CLASSES];
	uint64_t *bk;			/* nle + 1 bucket counts, not cumulative */
};

/* ---- samples ---- */

enum pre { PRE_PLAIN, PRE_TOTAL, PRE_BUCKET, PRE_SUM, PRE_COUNT, PRE_KINDS };

/* Prepares what every sample line repeats: each family's name with each
 * suffix and "{", and each bucket's ",le=\"...\"} ". */
static void prepare(struct scrape *s)
{
	static const char *const suffix[PRE_KINDS] = { "{", "_total{", "_bucket{", "_sum{",
						       "_count{" };

	for (int f = 0; f < F_COUNT; f++)
		for (int k = 0; k < PRE_KINDS; k++)
			s->pre_len[f][k] = (size_t)snprintf(s->pre[f][k], sizeof(s->pre[f][k]),
							    "%s%s", fams[f].name, suffix[k]);
	for (size_t k = 0; k <= s->cfg->nle; k++) {
		struct exp_buf t = { .contiguous = 1 };

		exp_put_str(&t, ",le=\"");
		if (k < s->cfg->nle)
			exp_put_seconds(&t, s->cfg->le_ns[k]);
		else
			exp_put_str(&t, "+Inf");
		exp_put_str(&t, "\"} ");
		s->le_len[k] = (size_t)snprintf(s->le_txt[k], sizeof(s->le_txt[k]), "%s",
						exp_buf_str(&t));
		exp_buf_free(&t);
	}
}

/* Starts a line of family f: its name with suffix `pre`, '{', and the
 * labels in `lab`. */
static struct exp_buf *start(struct scrape *s, enum fam f, enum pre pre,
			     const struct exp_buf *lab)
{
	struct exp_buf *b = &s->fam[f];

	exp_buf_add(b, s->pre[f][pre], s->pre_len[f][pre]);
	exp_buf_add(b, exp_buf_str(lab), lab->len);
	return b;
}

/* A per-process sample with an integer value: name{base} v. */
static void proc_u64(struct scrape *s, enum fam f, uint64_t v)
{
	struct exp_buf *b = start(s, f, fams[f].type == COUNTER ? PRE_TOTAL : PRE_PLAIN,
				  &s->base);

	exp_buf_add(b, "} ", 2);
	exp_put_u64_nl(b, v);
}

/* The labels of a row into s->lab: the process's, function, kind, module. */
static void row_labels(struct scrape *s, const struct row *r)
{
	const char *t = exp_buf_str(&s->txt);

	exp_buf_reset(&s->lab);
	exp_buf_add(&s->lab, exp_buf_str(&s->base), s->base.len);
	exp_put_str(&s->lab, ",function=\"");
	exp_put_str(&s->lab, t + r->fn);
	exp_put_str(&s->lab, "\",kind=\"");
	exp_put_str(&s->lab, pp_kind_name(r->kind));
	exp_put_str(&s->lab, "\",module=\"");
	exp_put_str(&s->lab, t + r->mod);
	exp_buf_add(&s->lab, "\"", 1);
}

static void row_u64(struct scrape *s, enum fam f, enum pre pre, uint64_t v)
{
	struct exp_buf *b = start(s, f, pre, &s->lab);

	exp_buf_add(b, "} ", 2);
	exp_put_u64_nl(b, v);
}

static void row_seconds(struct scrape *s, enum fam f, enum pre pre, uint64_t ns)
{
	struct exp_buf *b = start(s, f, pre, &s->lab);

	exp_buf_add(b, "} ", 2);
	exp_put_seconds(b, ns);
	exp_buf_add(b, "\n", 1);
}

/* Every series of one row. */
static void emit_row(struct scrape *s, const struct row *r)
{
	uint64_t cum = 0;

	row_labels(s, r);
	row_u64(s, F_CALLS, PRE_TOTAL, r->calls);
	row_seconds(s, F_SECONDS, PRE_TOTAL, r->incl_ns);
	row_seconds(s, F_SELF, PRE_TOTAL, r->self_ns);
	row_u64(s, F_ABANDONED, PRE_TOTAL, r->abandoned);
	for (size_t k = 0; k <= s->cfg->nle; k++) {
		struct exp_buf *b = start(s, F_HIST, PRE_BUCKET, &s->lab);

		cum += r->bk[k];
		exp_buf_add(b, s->le_txt[k], s->le_len[k]);
		exp_put_u64_nl(b, cum);
	}
	row_seconds(s, F_HIST, PRE_SUM, r->sum_ns);
	row_u64(s, F_HIST, PRE_COUNT, cum);
	if (r->kind != PPF_KIND_ENDPOINT)
		return;
	for (int c = 0; c < PPF_STATUS_CLASSES; c++) {
		struct exp_buf *b = start(s, F_RESPONSES, PRE_TOTAL, &s->lab);

		exp_put_str(b, ",class=\"");
		exp_put_str(b, status_class[c]);
		exp_buf_add(b, "\"} ", 3);
		exp_put_u64_nl(b, r->status[c]);
	}
	row_u64(s, F_SLOW, PRE_TOTAL, r->slow);
}

/* ---- one process ---- */

/* Appends the escaped label text of `raw` to s->txt; returns its offset. */
static size_t add_text(struct scrape *s, const char *raw)
{
	size_t at = s->txt.len;

	exp_put_label_value(&s->txt, raw);
	exp_buf_add(&s->txt, "", 1);	/* keep the NUL: texts follow each other */
	return at;
}

/* "module+0xOFFSET" of a function no symbol names, as paraprof-report
 * names it. */
static size_t add_fallback_name(struct scrape *s, const struct pp_profile *prof,
				const struct pp_entry *e)
{
	char buf[REPORT_FALLBACK_MAX];

	return add_text(s, report_fallback_text(buf, sizeof(buf), prof, e));
}

static void row_add(struct row *dst, const struct row *src, size_t nb)
{
	dst->calls = pp_sat_add(dst->calls, src->calls);
	dst->incl_ns = pp_sat_add(dst->incl_ns, src->incl_ns);
	dst->self_ns = pp_sat_add(dst->self_ns, src->self_ns);
	dst->sum_ns = pp_sat_add(dst->sum_ns, src->sum_ns);
	dst->abandoned = pp_sat_add(dst->abandoned, src->abandoned);
	dst->slow = pp_sat_add(dst->slow, src->slow);
	dst->hcount = pp_sat_add(dst->hcount, src->hcount);
	for (int c = 0; c < PPF_STATUS_CLASSES; c++)
		dst->status[c] = pp_sat_add(dst->status[c], src->status[c]);
	for (size_t k = 0; k < nb; k++)
		dst->bk[k] = pp_sat_add(dst->bk[k], src->bk[k]);
}

/* By label set: kind, module, function.  A qsort_r() comparator (ctx: the
 * label texts). */
static int cmp_labels(const void *a, const void *b, void *ctx)
{
	const struct row *x = a, *y = b;
	const char *t = ctx;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(t + x->mod, t + y->mod)))
		return c;
	return strcmp(t + x->fn, t + y->fn);
}

/* By total (inclusive) time, then calls, descending; then by labels. */
static int cmp_total(const void *a, const void *b, void *ctx)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;

	if (x->incl_ns != y->incl_ns)
		return x->incl_ns < y->incl_ns ? 1 : -1;
	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return cmp_labels(x, y, ctx);
}

/* The program label: argv[0]'s basename from the command line. */
static void program_of(const char *cmdline, char *out, size_t size)
{
	size_t n = strcspn(cmdline, " ");
	const char *slash = memrchr(cmdline, '/', n);
	const char *start = slash ? slash + 1 : cmdline;

	n -= (size_t)(start - cmdline);
	if (n >= size)
		n = size - 1;
	memcpy(out, start, n);
	out[n] = '\0';
}

/* 1 when (pid, program) was exported already in this scrape (else it is
 * remembered); -1 when memory runs out. */
static int seen_before(struct scrape *s, uint32_t pid, const char *program)
{
	for (size_t i = 0; i < s->nseen; i++)
		if (s->seen[i].pid == pid && strcmp(s->seen[i].program, program) == 0)
			return 1;
	if (s->nseen == s->seen_cap) {
		size_t cap = s->seen_cap ? 2 * s->seen_cap : 64;
		struct seen_proc *p = realloc(s->seen, cap * sizeof(*p));

		if (!p)
			return -1;
		s->seen = p;
		s->seen_cap = cap;
	}
	char *copy = strdup(program);

	if (!copy)
		return -1;
	s->seen[s->nseen++] = (struct seen_proc){ pid, copy };
	return 0;
}

/* Where a skipped input goes: counted, and said on stderr with -v. */
static void skip(struct scrape *s, enum exp_skip why, const char *what, const char *reason)
{
	s->ctr->skipped[why]++;
	if (s->cfg->verbose) {
		char line[1024];

		snprintf(line, sizeof(line), "%s: skipped (%s): %s", what, skip_names[why], reason);
		fputs("paraprof-exporter: ", stderr);
		esc_fputs(line, stderr);
		fputc('\n', stderr);
	}
}

/* The rows of `prof` (one process) into *rows (malloc'ed, *nrows; their
 * bucket counts in *bks, malloc'ed), merged by label set.  0, or -1 when
 * memory runs out. */
static int make_rows(struct scrape *s, const struct pp_profile *prof, struct row **rows,
		     size_t *nrows, uint64_t **bks)
{
	const size_t nb = s->cfg->nle + 1, n = prof->nentries;
	struct row *r = calloc(n ? n : 1, sizeof(*r));
	uint64_t *bk = calloc((n ? n : 1) * nb, sizeof(*bk));
	/* each module's path is escaped once, not once per function */
	size_t *mod_txt = malloc((prof->nmodules ? prof->nmodules : 1) * sizeof(*mod_txt));
	size_t empty = add_text(s, ""), k = 0;

	*rows = r;
	*bks = bk;
	if (!r || !bk || !mod_txt) {
		free(mod_txt);
		return -1;
	}
	for (size_t m = 0; m < prof->nmodules; m++)
		mod_txt[m] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct pp_entry *e = prof->entries[i];
		struct row *w = &r[i];

		w->kind = e->kind;
		w->mod = empty;
		if (e->kind == PPF_KIND_FUNCTION) {
			const struct pp_module *m = e->module >= 0 ? &prof->modules[e->module] : NULL;
			/* a dump's own name first: the binary may have been
			 * rebuilt since */
			const char *name = e->demangled ? e->demangled : e->symbol;

			if (m && !name) {
				pthread_mutex_lock(s->sym_lock);
				name = sym_lookup(s->sc, m->path, m->build_id, m->build_id_len,
						  e->offset);
				pthread_mutex_unlock(s->sym_lock);
			}

			w->fn = name ? add_text(s, name) : add_fallback_name(s, prof, e);
			if (m && mod_txt[e->module] == SIZE_MAX)
				mod_txt[e->module] = add_text(s, m->path);
			if (m)
				w->mod = mod_txt[e->module];
		} else {
			w->fn = add_text(s, e->name);
		}
		w->calls = e->calls;
		w->incl_ns = e->inclusive_ns;
		w->self_ns = e->self_ns;
		w->sum_ns = e->sum_ns;
		w->abandoned = e->abandoned;
		w->slow = e->slow;
		memcpy(w->status, e->status, sizeof(w->status));
		w->bk = bk + i * nb;
		/* the buckets of the histogram's present pages, mapped */
		unsigned slot = 0;

		for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
			if (!(e->hist.page_mask >> p & 1))
				continue;
			const uint64_t *c = e->hist.pages[slot++];

			for (unsigned j = 0; j < PPF_SUB; j++)
				if (c[j])
					w->bk[s->bucket_of[p * PPF_SUB + j]] =
						pp_sat_add(w->bk[s->bucket_of[p * PPF_SUB + j]], c[j]);
		}
	}
	free(mod_txt);
	if (s->txt.oom)
		return -1;
	/* one row per label set: sort by labels, add neighbours together
	 * (the bucket arrays stay where they are: rows point at them) */
	qsort_r(r, n, sizeof(*r), cmp_labels, (void *)exp_buf_str(&s->txt));
	for (size_t i = 0; i < n; i++) {
		if (k && cmp_labels(&r[k - 1], &r[i], (void *)exp_buf_str(&s->txt)) == 0)
			row_add(&r[k - 1], &r[i], nb);
		else
			r[k++] = r[i];
	}
	*nrows = k;
	return 0;
}

/* The series of one loaded process (prof->procs[0]), into the families of
 * s (a worker's: see struct formatted), and its pid and program labels into
 * s->base.  0, or -1 when memory runs out. */
static int format_process(struct scrape *s, const struct pp_profile *prof)
{
	const struct pp_process *p = &prof->procs[0];
	const size_t nb = s->cfg->nle + 1;
	char program[256];
	struct row *rows = NULL, **order = NULL;
	struct row other[PPF_KIND_MAX + 1] = { { 0 } };	/* per kind (1..PPF_KIND_MAX) */
	uint64_t *bks = NULL, *other_bk = NULL, beyond = 0;
	size_t nrows = 0;
	int rc = -1;

	exp_buf_reset(&s->txt);
	exp_buf_reset(&s->base);
	program_of(p->cmdline ? p->cmdline : "", program, sizeof(program));
	exp_put_str(&s->base, "pid=\"");
	exp_put_u64(&s->base, p->pid);
	exp_put_str(&s->base, "\",program=\"");
	exp_put_label_value(&s->base, program);
	exp_put_str(&s->base, "\"");
	if (s->base.oom)
		return -1;
	if (make_rows(s, prof, &rows, &nrows, &bks))
		goto out;
	order = malloc((nrows ? nrows : 1) * sizeof(*order));
	other_bk = calloc((PPF_KIND_MAX + 1) * nb, sizeof(*other_bk));
	if (!order || !other_bk)
		goto out;
	for (size_t i = 0; i < nrows; i++)
		order[i] = &rows[i];
	qsort_r(order, nrows, sizeof(*order), cmp_total, (void *)exp_buf_str(&s->txt));
	/* the top N by total time keep their names; a row already named
	 * "(other)" (a region may be) joins the sum, or it would repeat it */
	size_t kept = 0;

	for (size_t i = 0; i < nrows; i++) {
		struct row *r = order[i];

		if (strcmp(exp_buf_str(&s->txt) + r->fn, EXP_OTHER) == 0 ||
		    (s->cfg->top && kept >= s->cfg->top)) {
			r->other = 1;
			continue;
		}
		kept++;
	}
	size_t other_fn = add_text(s, EXP_OTHER), empty = add_text(s, "");

	if (s->txt.oom)
		goto out;
	for (unsigned kind = PPF_KIND_FUNCTION; kind <= PPF_KIND_MAX; kind++)
		other[kind] = (struct row){ .fn = other_fn, .mod = empty, .kind = (uint16_t)kind,
					    .bk = other_bk + kind * nb };
	for (size_t i = 0; i < nrows; i++) {
		if (!rows[i].other) {
			emit_row(s, &rows[i]);
		} else if (rows[i].kind >= PPF_KIND_FUNCTION && rows[i].kind <= PPF_KIND_MAX) {
			row_add(&other[rows[i].kind], &rows[i], nb);
			other[rows[i].kind].other = 2;	/* holds something */
			beyond++;
		}
	}
	for (unsigned kind = PPF_KIND_FUNCTION; kind <= PPF_KIND_MAX; kind++)
		if (other[kind].other == 2)
			emit_row(s, &other[kind]);
	proc_u64(s, F_OTHER, beyond);

	for (size_t i = 0; i < prof->ncaches; i++) {
		const struct pp_cache *c = &prof->caches[i];
		static const enum fam cf[] = { F_CACHE_HITS, F_CACHE_MISSES, F_CACHE_EVICTIONS,
					       F_CACHE_EXPIRATIONS, F_CACHE_ENTRIES,
					       F_CACHE_MAX_ENTRIES, F_CACHE_BYTES };
		const uint64_t v[] = { c->hits, c->misses, c->evictions, c->expirations, c->size,
				       c->max_size, c->bytes };

		for (size_t k = 0; k < sizeof(cf) / sizeof(cf[0]); k++) {
			struct exp_buf *b = start(s, cf[k], fams[cf[k]].type == COUNTER ?
						  PRE_TOTAL : PRE_PLAIN, &s->base);

			exp_put_str(b, ",cache=\"");
			exp_put_label_value(b, c->name);
			exp_buf_add(b, "\"} ", 3);
			exp_put_u64(b, v[k]);
			exp_buf_add(b, "\n", 1);
		}
	}
	proc_u64(s, F_DROPPED_FUNCTIONS, p->dropped_functions);
	proc_u64(s, F_STACK_OVERFLOWS, p->stack_overflows);
	proc_u64(s, F_ABANDONED_FRAMES, p->abandoned_frames);
	proc_u64(s, F_UNMATCHED_EXITS, p->unmatched_exits);
	proc_u64(s, F_THREADS_DROPPED, p->threads_dropped);
	proc_u64(s, F_HIST_DROPPED, p->hist_dropped);
	proc_u64(s, F_STRINGS_DROPPED, p->strings_dropped);
	proc_u64(s, F_RECORDS_DROPPED, p->records_dropped);
	proc_u64(s, F_REQUESTS, p->requests);
	proc_u64(s, F_THREADS, p->threads);
	proc_u64(s, F_RSS, p->rss_kib * 1024);
	proc_u64(s, F_RSS_PEAK, p->rss_peak_kib * 1024);
	struct exp_buf *b = start(s, F_START_TIME, PRE_PLAIN, &s->base);

	exp_buf_add(b, "} ", 2);
	exp_put_seconds(b, p->start_realtime_ns);
	exp_buf_add(b, "\n", 1);
	rc = 0;
	for (int f = 0; f < F_COUNT; f++)
		if (s->fam[f].oom)
			rc = -1;
out:
	free(rows);
	free(order);
	free(bks);
	free(other_bk);
	return rc;
}

/* What a worker made of one input: its series are in the worker's
 * families and its labels in the worker's base until committed. */
struct formatted {
	int state;			/* FMT_* */
	char err[512];			/* FMT_FAILED: why */
	uint32_t pid;
};

enum { FMT_NONE, FMT_DONE, FMT_FAILED, FMT_NOMEM };

/* A scrape's copy for one thread that formats processes: the scrape's
 * settings, tables and symbol cache (under sym_lock), buffers of its own,
 * kept from one process to the next. */
static struct scrape *worker_new(const struct scrape *s)
{
	struct scrape *w = malloc(sizeof(*w));

	if (!w)
		return NULL;
	memcpy(w, s, sizeof(*w));
	for (int f = 0; f < F_COUNT; f++)
		w->fam[f] = (struct exp_buf){ .contiguous = 1 };
	w->txt = w->base = w->lab = (struct exp_buf){ .contiguous = 1 };
	w->seen = NULL;
	w->nseen = w->seen_cap = 0;
	return w;
}

static void worker_free(struct scrape *w)
{
	if (!w)
		return;
	for (int f = 0; f < F_COUNT; f++)
		exp_buf_free(&w->fam[f]);
	exp_buf_free(&w->txt);
	exp_buf_free(&w->base);
	exp_buf_free(&w->lab);
	free(w);
}

/* Loads the live segment open on `fd` (consistently, under its seqlocks),
 * or when fd < 0 the dump `path`, into a profile of its own and formats it
 * with worker w (NULL: out of memory); the profile is freed. */
static void format_input(struct scrape *w, int fd, const char *path, struct formatted *o)
{
	struct pp_profile *prof = w ? pp_profile_new() : NULL;

	*o = (struct formatted){ 0 };
	if (!prof) {
		o->state = FMT_NOMEM;
		return;
	}
	prof->flat = 1;		/* metrics per function: no call paths */
	prof->raw = w->cfg->raw;
	for (int f = 0; f < F_COUNT; f++)
		exp_buf_reset(&w->fam[f]);
	if (fd >= 0 ? load_fd(prof, fd, path, o->err, sizeof(o->err)) :
		      load_file(prof, path, o->err, sizeof(o->err)))
		o->state = strcmp(o->err, "out of memory") == 0 ? FMT_NOMEM : FMT_FAILED;
	else if (prof->nprocs != 1)
		o->state = FMT_NONE;
	else if (format_process(w, prof))
		o->state = FMT_NOMEM;
	else
		o->state = FMT_DONE;
	o->pid = o->state == FMT_DONE ? prof->procs[0].pid : 0;
	pp_profile_free(prof);
}

/* Adds what worker w made of input `source` to the scrape, or counts why
 * not (a second series of one pid and program is refused).  One thread at
 * a time, in the inputs' order.  0, or -1 when memory runs out. */
static int commit(struct scrape *s, const struct scrape *w, const struct formatted *o,
		  const char *source, int is_dump)
{
	int dup;

	switch (o->state) {
	case FMT_NOMEM:
		skip(s, EXP_SKIP_NOMEM, source, "out of memory");
		return -1;
	case FMT_FAILED:
		skip(s, EXP_SKIP_INVALID, source, o->err);
		return 0;
	case FMT_DONE:
		dup = seen_before(s, o->pid, exp_buf_str(&w->base));
		if (dup < 0)
			return -1;
		if (dup) {
			skip(s, EXP_SKIP_DUPLICATE, source,
			     "the same pid and program as one exported before");
			return 0;
		}
		for (int f = 0; f < F_COUNT; f++)
			exp_buf_add(&s->fam[f], exp_buf_str(&w->fam[f]), w->fam[f].len);
		s->processes[is_dump]++;
		return 0;
	}
	return 0;
}

/*
 * Live segments are loaded and formatted by up to LOADERS threads, each
 * with a worker of its own, which commit what they made in the segments'
 * order: the copy, the merge and the formatting of a segment are a scrape's
 * work, and a scrape of many processes should not take a core's time per
 * process in a row.  A thread takes its next segment once it committed the
 * last, so a scrape holds LOADERS processes at a time beyond its output.
 */
#define LOADERS 2

struct live_job {
	struct shm_seg *g;
};

struct live_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct scrape *s;
	struct live_job *jobs;
	size_t njobs, next, written;	/* next: the first job no thread took */
	int rc;				/* -1 once memory ran out: the rest is skipped */
};

static void *live_loader(void *arg)
{
	struct live_pool *pool = arg;
	struct scrape *w = worker_new(pool->s);
	struct formatted o;

	pthread_mutex_lock(&pool->lock);
	while (pool->next < pool->njobs) {
		size_t i = pool->next++;
		struct live_job *j = &pool->jobs[i];
		int stop = pool->rc;

		pthread_mutex_unlock(&pool->lock);
		if (!stop)
			format_input(w, j->g->fd, j->g->path, &o);
		pthread_mutex_lock(&pool->lock);
		while (pool->written != i)
			pthread_cond_wait(&pool->cond, &pool->lock);
		/* the scrape is this thread's until `written` moves on */
		if (!pool->rc && commit(pool->s, w, &o, j->g->path, 0))
			pool->rc = -1;
		shm_close_seg(j->g);
		pool->written = i + 1;
		pthread_cond_broadcast(&pool->cond);
	}
	pthread_mutex_unlock(&pool->lock);
	worker_free(w);
	return NULL;
}

/* Every live segment of our user whose process runs.  0, or -1 with err
 * when /dev/shm cannot be read or memory runs out. */
static int export_live(struct scrape *s, char *err, size_t errlen)
{
	struct live_pool pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, s, NULL,
				  0, 0, 0, 0 };
	pthread_t tid[LOADERS];
	unsigned started = 0;
	struct shm_seg *segs;
	size_t n;
	int rc = 0;

	if (shm_scan(0, &segs, &n, err, errlen))
		return -1;
	pool.jobs = calloc(n ? n : 1, sizeof(*pool.jobs));
	if (!pool.jobs) {
		shm_free(segs, n);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct shm_seg *g = &segs[i];

		shm_open_seg(g, O_RDONLY);
		if (g->fd < 0 && strcmp(g->err, strerror(ENOENT)) == 0) {
			skip(s, EXP_SKIP_VANISHED, g->path, g->err);
			continue;
		}
		/* what dead processes left is --gc's, not a scrape's: only a
		 * running process's entry counts when it cannot be read */
		if (g->state != SHM_RUNNING) {
			shm_close_seg(g);
			continue;
		}
		if (g->fd >= 0 && g->st.st_uid != geteuid()) {
			skip(s, EXP_SKIP_FOREIGN, g->path, "another user's segment");
			shm_close_seg(g);
			continue;
		}
		if (!g->usable) {
			skip(s, EXP_SKIP_UNREADABLE, g->path, g->err);
			shm_close_seg(g);
			continue;
		}
		/* a private copy, consistent under the seqlocks: the program
		 * is never waited for, nor written to */
		pool.jobs[pool.njobs++].g = g;
	}
	while (pool.njobs > 1 && started < LOADERS &&
	       pthread_create(&tid[started], NULL, live_loader, &pool) == 0)
		started++;
	if (!started)
		live_loader(&pool);	/* this thread, alone */
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	rc = pool.rc;
	free(pool.jobs);
	shm_free(segs, n);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.ppd of cfg->dir, in name order.  A directory that cannot be read
 * is counted as one unreadable input, not a failed scrape (it may come
 * back).  0, or -1 when memory runs out. */
static int export_dumps(struct scrape *s, char *err, size_t errlen)
{
	DIR *dir = opendir(s->cfg->dir);
	char **names = NULL, path[PATH_MAX];
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		skip(s, EXP_SKIP_UNREADABLE, s->cfg->dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name), sl = strlen(PPF_DUMP_SUFFIX);

		if (de->d_name[0] == '.' || len <= sl ||
		    strcmp(de->d_name + len - sl, PPF_DUMP_SUFFIX) != 0)
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*names));

			if (!p) {
				rc = -1;
				break;
			}
			names = p;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(dir);
	if (!rc && n)
		qsort(names, n, sizeof(*names), cmp_names);
	struct scrape *w = n ? worker_new(s) : NULL;

	for (size_t i = 0; i < n && !rc; i++) {
		struct formatted o;

		snprintf(path, sizeof(path), "%s/%s", s->cfg->dir, names[i]);
		format_input(w, -1, path, &o);
		rc = commit(s, w, &o, path, 1);
	}
	worker_free(w);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* The exporter's own series. */
static void export_self(struct scrape *s, uint64_t t0)
{
	struct exp_buf *b;
	struct timespec ts;

	exp_buf_reset(&s->base);
	b = &s->fam[F_EXP_SCRAPES];
	exp_put_str(b, "paraprof_exporter_scrapes_total ");
	exp_put_u64(b, s->ctr->scrapes);
	exp_put_str(b, "\n");
	b = &s->fam[F_EXP_SLOW];
	exp_put_str(b, "paraprof_exporter_slow_scrapes_total ");
	exp_put_u64(b, s->ctr->slow_scrapes);
	exp_put_str(b, "\n");
	for (int k = 0; k < EXP_SKIP_COUNT; k++) {
		b = &s->fam[F_EXP_SKIPPED];
		exp_put_str(b, "paraprof_exporter_skipped_total{reason=\"");
		exp_put_str(b, skip_names[k]);
		exp_put_str(b, "\"} ");
		exp_put_u64(b, s->ctr->skipped[k]);
		exp_put_str(b, "\n");
	}
	for (int k = 0; k < EXP_HTTP_COUNT; k++) {
		b = &s->fam[F_EXP_HTTP];
		exp_put_str(b, "paraprof_exporter_http_responses_total{code=\"");
		exp_put_str(b, http_codes[k]);
		exp_put_str(b, "\"} ");
		exp_put_u64(b, s->ctr->http[k]);
		exp_put_str(b, "\n");
	}
	for (int k = 0; k < 2; k++) {
		b = &s->fam[F_EXP_PROCESSES];
		exp_put_str(b, k ? "paraprof_exporter_processes{source=\"dump\"} " :
			"paraprof_exporter_processes{source=\"live\"} ");
		exp_put_u64(b, s->processes[k]);
		exp_put_str(b, "\n");
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	b = &s->fam[F_EXP_DURATION];
	exp_put_str(b, "paraprof_exporter_scrape_duration_seconds ");
	exp_put_seconds(b, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - t0);
	exp_put_str(b, "\n");
}

/* Joins the families into out: HELP, TYPE, samples; "# EOF" in OpenMetrics. */
static void join(struct scrape *s, struct exp_buf *out)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	for (int f = 0; f < F_COUNT; f++) {
		const char *total = fams[f].type == COUNTER && !s->om ? "_total" : "";

		if (!s->fam[f].len)
			continue;
		exp_put_str(out, "# HELP ");
		exp_put_str(out, fams[f].name);
		exp_put_str(out, total);
		exp_put_str(out, " ");
		exp_put_str(out, fams[f].help);
		exp_put_str(out, "\n# TYPE ");
		exp_put_str(out, fams[f].name);
		exp_put_str(out, total);
		exp_put_str(out, " ");
		exp_put_str(out, types[fams[f].type]);
		exp_put_str(out, "\n");
		exp_buf_splice(out, &s->fam[f]);
	}
	if (s->om)
		exp_put_str(out, "# EOF\n");
}

static void scrape_free(struct scrape *s)
{
	for (int f = 0; f < F_COUNT; f++)
		exp_buf_free(&s->fam[f]);
	exp_buf_free(&s->txt);
	exp_buf_free(&s->base);
	exp_buf_free(&s->lab);
	sym_cache_free(s->sc);
	if (s->sym_lock)
		pthread_mutex_destroy(s->sym_lock);
	for (size_t i = 0; i < s->nseen; i++)
		free(s->seen[i].program);
	free(s->seen);
	free(s);
}

int exp_scrape(const struct exp_config *cfg, struct exp_counters *ctr, int openmetrics,
	       struct exp_buf *out, char *err, size_t errlen)
{
	struct timespec ts;
	struct scrape *s = calloc(1, sizeof(*s));
	int rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t t0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;

	ctr->scrapes++;
	if (!s || !(s->sc = sym_cache_new())) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	s->cfg = cfg;
	s->ctr = ctr;
	s->om = openmetrics;
	s->txt.contiguous = s->base.contiguous = s->lab.contiguous = 1;
	pthread_mutex_init(&s->sym_mutex, NULL);
	s->sym_lock = &s->sym_mutex;
	prepare(s);
	/* bucket i goes to the first bound its last nanosecond is <= to; the
	 * bounds are bucket ends (exp_snap_bound), so no bucket straddles one */
	for (unsigned i = 0, k = 0; i < PPF_HIST_BUCKETS; i++) {
		uint64_t end = ppf_bucket_lower(i) + ppf_bucket_width(i) - 1;

		while (k < cfg->nle && cfg->le_ns[k] < end)
			k++;
		s->bucket_of[i] = (unsigned char)k;
	}
	if (export_live(s, err, errlen))
		goto out;
	if (cfg->dir && export_dumps(s, err, errlen))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - t0 >= EXP_SLOW_SCRAPE_NS)
		ctr->slow_scrapes++;
	export_self(s, t0);
	join(s, out);
	if (out->oom) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc)
		exp_buf_free(out);
	if (s)
		scrape_free(s);
	return rc;
}
