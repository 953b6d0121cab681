/* report.c - from a loaded profile to the rows every format prints
 *
 * Selection rule (the man page says the same): entries with fewer than
 * --min-calls calls, with less total time than --min-time, whose name and
 * module match no --filter (when there is one) or whose name or module
 * matches an --exclude are left out, each counted under the first of these
 * that hides it; the rest are sorted by the sort key and the
 * first --top N are reported, each in the section of its average (CRITICAL,
 * HIGH, MEDIUM, or LOW for the rest of the top N), so a program of fast
 * functions still gets its hot spots under LOW.  Endpoints have a section of
 * their own.  Recommendations and warnings are sentences built from the
 * numbers; a rule that has no data behind it says nothing.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cxxname.h"
#include "report.h"
#include "samples.h"

void report_opts_default(struct report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = FORMAT_TEXT;
	o->sort = SORT_TOTAL;
	o->top = 20;
	o->min_calls = 5;
	o->critical_ns = 2000000000;
	o->high_ns = 1000000000;
	o->medium_ns = 500000000;
	o->target_p95_ns = 500000000;
	o->target_p99_ns = 1000000000;
	o->target_avg_ns = 100000000;
	o->now = time(NULL);
}

const char *report_fmt_ns(char buf[32], uint64_t ns)
{
	if (ns >= 1000000000)
		snprintf(buf, 32, "%.2fs", ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, 32, "%.2fms", ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, 32, "%.2fus", ns / 1e3);
	else
		snprintf(buf, 32, "%uns", (unsigned)ns);
	return buf;
}

const char *report_fmt_limit(char buf[32], uint64_t ns)
{
	static const struct { uint64_t div; const char *unit; } units[] = {
		{ 1000000000, "s" }, { 1000000, "ms" }, { 1000, "us" }, { 1, "ns" },
	};
	int u = 0;

	while (u < 3 && ns < units[u].div)
		u++;
	uint64_t whole = ns / units[u].div, rest = ns % units[u].div;
	int n = snprintf(buf, 32, "%llu", (unsigned long long)whole);

	if (rest) {
		/* up to 3 decimals, trailing zeros dropped */
		unsigned frac = (unsigned)((rest * 1000 + units[u].div / 2) / units[u].div);

		if (frac >= 1000)
			frac = 999;
		if (frac) {
			char f[8];
			int len = snprintf(f, sizeof(f), "%03u", frac);

			while (len > 0 && f[len - 1] == '0')
				f[--len] = '\0';
			n += snprintf(buf + n, (size_t)(32 - n), ".%s", f);
		}
	}
	snprintf(buf + n, (size_t)(32 - n), "%s", units[u].unit);
	return buf;
}

const char *report_severity_name(enum report_severity s)
{
	static const char *const names[] = { "CRITICAL", "HIGH", "MEDIUM", "LOW" };

	return names[s];
}

double report_pct(uint64_t share, uint64_t whole)
{
	return whole ? 100.0 * (double)share / (double)whole : 0.0;
}

const char *report_fallback_text(char *buf, size_t size, const struct pp_profile *prof,
				 const struct pp_entry *e)
{
	if (e->module < 0) {
		snprintf(buf, size, "0x%llx", (unsigned long long)e->offset);
	} else {
		const char *path = prof->modules[e->module].path, *base = strrchr(path, '/');

		snprintf(buf, size, "%s+0x%llx", base ? base + 1 : path,
			 (unsigned long long)e->offset);
	}
	return buf;
}

const char *report_hide_option(enum report_hide h)
{
	static const char *const names[] = { "", "--min-calls", "--min-time", "--filter",
					     "--exclude" };

	return h < HIDE_N ? names[h] : "";
}

int report_patterns_match(const struct report_pattern *p, size_t n,
			  const struct report_row *row)
{
	for (size_t i = 0; i < n; i++)
		if (regexec(&p[i].re, row->name, 0, NULL, 0) == 0 ||
		    (row->e && row->e->full_name && row->e->full_name != row->name &&
		     regexec(&p[i].re, row->e->full_name, 0, NULL, 0) == 0) ||
		    (row->module && regexec(&p[i].re, row->module, 0, NULL, 0) == 0))
			return 1;
	return 0;
}

/* Why the options leave row out of the selection, HIDE_NONE when they do
 * not: the first reason in the order of enum report_hide. */
enum report_hide report_hide_reason(const struct report_opts *o, const struct report_row *row)
{
	if (row->st.calls < o->min_calls || !row->st.calls)
		return HIDE_MIN_CALLS;
	if (row->st.total_ns < o->min_time_ns)
		return HIDE_MIN_TIME;
	if (o->nfilters && !report_patterns_match(o->filters, o->nfilters, row))
		return HIDE_FILTER;
	if (report_patterns_match(o->excludes, o->nexcludes, row))
		return HIDE_EXCLUDE;
	return HIDE_NONE;
}

/* Keeps row in r->hidden_large when it is among the REPORT_HIDDEN_NAMED
 * hidden rows with the most total time, at REPORT_HIDDEN_PCT % of the
 * profiled time or more: an insertion into a short sorted list. */
static void note_hidden(struct report *r, struct report_row *row)
{
	size_t i;

	if (report_pct(row->st.total_ns, r->totals.profiled_ns) < REPORT_HIDDEN_PCT)
		return;
	for (i = r->nhidden_large; i > 0; i--) {
		const struct report_row *prev = r->hidden_large[i - 1];

		if (prev->st.total_ns > row->st.total_ns ||
		    (prev->st.total_ns == row->st.total_ns && strcmp(prev->name, row->name) <= 0))
			break;
		if (i < REPORT_HIDDEN_NAMED)
			r->hidden_large[i] = r->hidden_large[i - 1];
	}
	if (i < REPORT_HIDDEN_NAMED) {
		r->hidden_large[i] = row;
		if (r->nhidden_large < REPORT_HIDDEN_NAMED)
			r->nhidden_large++;
	}
}

static uint64_t sort_value(const struct report_row *row, enum report_sort s)
{
	switch (s) {
	case SORT_TOTAL: return row->st.total_ns;
	case SORT_SELF: return row->st.self_ns;
	case SORT_AVG: return row->st.avg_ns;
	case SORT_P95: return row->st.p95_ns;
	case SORT_P99: return row->st.p99_ns;
	case SORT_CALLS: return row->st.calls;
	}
	return 0;
}

/* Descending by the key (*sort), then by total, then by name: a stable
 * order.  A qsort_r() comparator. */
static int cmp_rows(const void *a, const void *b, void *sort)
{
	const struct report_row *x = *(const struct report_row *const *)a;
	const struct report_row *y = *(const struct report_row *const *)b;
	enum report_sort key = *(const enum report_sort *)sort;
	uint64_t vx = sort_value(x, key), vy = sort_value(y, key);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->st.total_ns != y->st.total_ns)
		return x->st.total_ns < y->st.total_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

void report_sort_rows(struct report_row **rows, size_t n, enum report_sort s)
{
	qsort_r(rows, n, sizeof(*rows), cmp_rows, &s);
}

/* Appends the note (kind, the sentence fmt makes of ap, count) to *notes, n
 * long.  0, or -1 when memory runs out (*n is then unchanged, and the
 * report is given up: report_free() frees what is there). */
static int add_note(struct report_note **notes, size_t *n, const char *kind, uint64_t count,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int add_note(struct report_note **notes, size_t *n, const char *kind, uint64_t count,
		    const char *fmt, va_list ap)
{
	char *text;
	void *p = realloc(*notes, (*n + 1) * sizeof(**notes));

	if (!p)
		return -1;
	*notes = p;
	if (vasprintf(&text, fmt, ap) < 0)
		return -1;
	(*notes)[(*n)++] = (struct report_note){ kind, text, count };
	return 0;
}

/* A recommendation of rule `kind`; 0, or -1 when memory runs out. */
static int recommend_note(struct report *r, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int recommend_note(struct report *r, const char *kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int rc = add_note(&r->recs, &r->nrecs, kind, 0, fmt, ap);

	va_end(ap);
	return rc;
}

/* A warning about counter `kind` of value `count`; 0, or -1 when memory
 * runs out. */
static int warn(struct report *r, const char *kind, uint64_t count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int warn(struct report *r, const char *kind, uint64_t count, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int rc = add_note(&r->warnings, &r->nwarnings, kind, count, fmt, ap);

	va_end(ap);
	return rc;
}

/* Thresholds of the recommendation rules. */
#define TINY_AVG_NS 1000		/* "tiny" average: 1 us ... */
#define TINY_MIN_CALLS 10000		/* ... over at least this many calls ... */
#define TINY_MIN_SHARE 1.0		/* ... costing >= 1 % of the profiled time */
#define SELF_SHARE 20.0			/* self time >= 20 % of the profiled time */
#define OUTLIER_RATIO 5			/* p99 >= 5 x p50 ... */
#define OUTLIER_MIN_CALLS 20		/* ... over enough calls to have a tail ... */
#define OUTLIER_MIN_GAP_NS 10000	/* ... and 10 us apart (not clock noise) */
#define MEM_GROWTH_PCT 25		/* last quarter's RSS >= 1.25 x the first's ... */
#define MEM_GROWTH_MIN_KIB 1024		/* ... and 1 MiB more */
#define CACHE_LOW_HIT_PCT 50.0		/* hit rate below this ... */
#define CACHE_MIN_LOOKUPS 20		/* ... over this many lookups */
#define WAIT_SHARE 50.0			/* % of an entry's time in libc calls */
#define MAX_PER_RULE 3
#define STD_SHARE 50.0			/* % of the self time in std:: internals */

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_calls(const void *a, const void *b)
{
	return cmp_u64_desc((*(const struct report_row *const *)a)->st.calls,
			    (*(const struct report_row *const *)b)->st.calls);
}

static int cmp_self(const void *a, const void *b)
{
	return cmp_u64_desc((*(const struct report_row *const *)a)->st.self_ns,
			    (*(const struct report_row *const *)b)->st.self_ns);
}

static int cmp_ratio(const void *a, const void *b)
{
	const struct pp_stats *x = &(*(const struct report_row *const *)a)->st;
	const struct pp_stats *y = &(*(const struct report_row *const *)b)->st;
	double rx = (double)x->p99_ns / (double)x->p50_ns, ry = (double)y->p99_ns / (double)y->p50_ns;

	return rx < ry ? 1 : rx > ry ? -1 : 0;
}

/*
 * The recommendation rules, in the order the report lists them.  Each
 * returns 0, or -1 when memory runs out.
 */

/* The share of a row's time spent in the libc calls it made. */
static double wait_pct(const struct report_row *row)
{
	return report_pct(row->wait_ns, row->st.total_ns);
}

/* " (it waits 99.9% of it in nanosleep [libc])" for a row that waits
 * WAIT_SHARE % or more of its time, else "", in buf. */
static const char *wait_clause(char *buf, size_t size, const struct report *r,
			       const struct report_row *row)
{
	buf[0] = 0;
	if (row->wait_in >= 0 && wait_pct(row) >= WAIT_SHARE)
		snprintf(buf, size, "; it waits %.1f%% of it in %s [libc]", wait_pct(row),
			 r->rows[row->wait_in].name);
	return buf;
}

/* Severity: where to start (not in a libc call: in the function that made
 * it, which the report says waits). */
static int rule_severity(struct report *r)
{
	char a[32], b[32], w[256];

	for (size_t i = 0; i < r->ntop; i++) {
		const struct report_row *row = r->top[i];

		if (row->severity > SEV_HIGH || row->e->kind == PPF_KIND_LIBCALL)
			continue;
		size_t k = 0;

		for (size_t j = 0; j < r->ntop; j++)
			k += r->top[j]->severity == row->severity &&
			     r->top[j]->e->kind != PPF_KIND_LIBCALL;
		return recommend_note(r, "severity", "Start with %s: %s, average %s over %llu"
				      " calls, %s in total (%.1f%% of profiled time)%s; %zu %s entr%s"
				      " in all", row->name, report_severity_name(row->severity),
				      report_fmt_ns(a, row->st.avg_ns),
				      (unsigned long long)row->st.calls,
				      report_fmt_ns(b, row->st.total_ns),
				      report_pct(row->st.total_ns, r->totals.profiled_ns),
				      wait_clause(w, sizeof(w), r, row), k,
				      report_severity_name(row->severity), k == 1 ? "y" : "ies");
	}
	return 0;
}

/* One libc call node's time, under the entry of its parent node. */
struct wait_pair {
	uint32_t entry, libc;
	uint64_t ns, calls;
};

static int cmp_wait_pair(const void *a, const void *b)
{
	const struct wait_pair *x = a, *y = b;

	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	return (x->libc > y->libc) - (x->libc < y->libc);
}

/*
 * Each row's time in the libc calls it made (row.wait_ns) and the call it
 * waited in most (row.wait_in), from the call paths: a libc call's node is
 * a child of the node of the function that made it.  Its inclusive time
 * is its time (libc calls never nest).  0, or -1 when memory runs out.
 */
static int report_waits(struct report *r)
{
	const struct pp_profile *prof = r->prof;
	struct wait_pair *w;
	size_t n = 0;

	for (size_t i = 0; i < r->nrows; i++)
		r->rows[i].wait_in = -1;
	for (size_t i = 0; i < prof->npaths; i++)
		n += prof->paths[i]->st.kind == PPF_KIND_LIBCALL && prof->paths[i]->parent;
	if (!n)
		return 0;
	if (!(w = malloc(n * sizeof(*w))))
		return -1;
	n = 0;
	for (size_t i = 0; i < prof->npaths; i++) {
		const struct pp_path *p = prof->paths[i];

		if (p->st.kind == PPF_KIND_LIBCALL && p->parent)
			w[n++] = (struct wait_pair){ prof->paths[p->parent - 1]->entry, p->entry,
						     p->st.inclusive_ns, p->st.calls };
	}
	qsort(w, n, sizeof(*w), cmp_wait_pair);
	/* by entry, then by libc call: each run of one pair summed */
	for (size_t i = 0, j; i < n; ) {
		struct report_row *row = &r->rows[w[i].entry];	/* rows[k]: entries[k] */
		uint64_t best = 0;

		for (; i < n && &r->rows[w[i].entry] == row; i = j) {
			uint64_t sum = 0, calls = 0;

			for (j = i; j < n && w[j].entry == w[i].entry && w[j].libc == w[i].libc; j++) {
				sum = pp_sat_add(sum, w[j].ns);
				calls = pp_sat_add(calls, w[j].calls);
			}
			row->wait_ns = pp_sat_add(row->wait_ns, sum);
			if (sum > best || row->wait_in < 0) {
				best = sum;
				row->wait_in = w[i].libc;
				row->wait_in_calls = calls;
			}
		}
	}
	free(w);
	return 0;
}

/* A rule that ranks rows: the rows of the pool it `takes`, sorted by `cmp`,
 * and the sentence it `says` of each of the first MAX_PER_RULE (0, or -1
 * when memory runs out). */
struct ranked_rule {
	int (*takes)(const struct report *r, const struct report_row *row);
	int (*cmp)(const void *a, const void *b);
	int (*says)(struct report *r, const struct report_row *row);
};

/* Many calls with a tiny average: the call itself is the cost.  Its share
 * is of the inclusive time, which counts a recursive function's nested
 * frames once (their durations summed would overlap). */
static int inline_takes(const struct report *r, const struct report_row *row)
{
	const struct pp_stats *st = &row->st;

	return row->e->kind == PPF_KIND_FUNCTION && st->calls >= TINY_MIN_CALLS &&
	       st->avg_ns <= TINY_AVG_NS &&
	       report_pct(st->total_ns, r->totals.profiled_ns) >= TINY_MIN_SHARE;
}

static int inline_says(struct report *r, const struct report_row *row)
{
	char a[32], b[32];

	return recommend_note(r, "inline", "%s is called %llu times at %s on average (%s in all,"
			      " %.1f%% of profiled time): inline it or batch its work to save"
			      " the per-call overhead", row->name,
			      (unsigned long long)row->st.calls, report_fmt_ns(a, row->st.avg_ns),
			      report_fmt_ns(b, row->st.total_ns),
			      report_pct(row->st.total_ns, r->totals.profiled_ns));
}

/* The share of a row's long calls spent off CPU (waiting), when their CPU
 * time was read for half of its time or more; -1 when not (short calls,
 * or a few long ones among many short). */
static double off_cpu_pct(const struct report_row *row)
{
	if (!row->e->cpu_wall_ns || row->e->cpu_wall_ns < row->e->sum_ns / 2)
		return -1;
	return 100.0 - report_pct(row->e->cpu_ns, row->e->cpu_wall_ns);
}

/* A large share of all the time spent in one body, on CPU (a body that
 * mostly waits is the wait rule's). */
static int self_takes(const struct report *r, const struct report_row *row)
{
	return row->e->kind <= PPF_KIND_REGION &&
	       report_pct(row->st.self_ns, r->totals.profiled_ns) >= SELF_SHARE &&
	       off_cpu_pct(row) < WAIT_SHARE;
}

static int self_says(struct report *r, const struct report_row *row)
{
	char a[32], b[32];
	struct samples_list l = { 0 };

	/* CPU samples (PARAPROF_SAMPLE) that find most of its self time in
	 * a function it calls that is not instrumented: that is what to look
	 * at, not its body */
	if (row->e->sampled && samples_of(r->prof, row->e->index, &l) == 0 && l.n &&
	    !l.v[0].own && l.v[0].samples * 2 > l.samples) {
		uint64_t own = 0;
		int rc;

		for (size_t i = 0; i < l.n; i++)
			own += l.v[i].own ? l.v[i].samples : 0;
		rc = recommend_note(r, "self", "%s spends %.1f%% of all profiled time in its self"
				    " time (self %s of %s total), %.1f%% of it in %s%s%s%s by CPU"
				    " samples and %.1f%% in its own code: look at what it asks of"
				    " %s before its body", row->name,
				    report_pct(row->st.self_ns, r->totals.profiled_ns),
				    report_fmt_ns(a, row->st.self_ns), report_fmt_ns(b, row->st.total_ns),
				    100.0 * (double)l.v[0].samples / (double)l.samples, l.v[0].name,
				    *l.v[0].module ? " [" : "", l.v[0].module, *l.v[0].module ? "]" : "",
				    100.0 * (double)own / (double)l.samples, l.v[0].name);
		samples_free(&l);
		return rc;
	}
	samples_free(&l);
	return recommend_note(r, "self", "%s spends %.1f%% of all profiled time in its own code"
			      " (self %s of %s total): optimise its body before its callees",
			      row->name, report_pct(row->st.self_ns, r->totals.profiled_ns),
			      report_fmt_ns(a, row->st.self_ns), report_fmt_ns(b, row->st.total_ns));
}

/* A long tail: p99 far above the median. */
static int outliers_takes(const struct report *r, const struct report_row *row)
{
	const struct pp_stats *st = &row->st;

	return st->calls >= OUTLIER_MIN_CALLS && st->calls >= r->opts->min_calls && st->p50_ns &&
	       st->p99_ns / OUTLIER_RATIO >= st->p50_ns &&
	       st->p99_ns - st->p50_ns >= OUTLIER_MIN_GAP_NS;
}

static int outliers_says(struct report *r, const struct report_row *row)
{
	char a[32], b[32], c[32];

	return recommend_note(r, "outliers", "%s has outliers: p99 %s is %.1fx its median %s (max"
			      " %s): look at what its slowest calls wait for (locks, I/O, cold"
			      " caches)", row->name, report_fmt_ns(a, row->st.p99_ns),
			      (double)row->st.p99_ns / (double)row->st.p50_ns,
			      report_fmt_ns(b, row->st.p50_ns), report_fmt_ns(c, row->st.max_ns));
}

/* A large share of all the time, most of it spent waiting: in the libc
 * calls it made, or off CPU (its CPU time says so) in its own body (its
 * self time is most of its time: a caller of functions that wait is off
 * CPU too, and they are named themselves). */
static int wait_takes(const struct report *r, const struct report_row *row)
{
	return row->e->kind <= PPF_KIND_REGION &&
	       ((row->wait_in >= 0 && wait_pct(row) >= WAIT_SHARE) ||
		(off_cpu_pct(row) >= WAIT_SHARE &&
		 report_pct(row->st.self_ns, row->st.total_ns) >= WAIT_SHARE)) &&
	       report_pct(row->st.total_ns, r->totals.profiled_ns) >= SELF_SHARE;
}

static int cmp_wait(const void *a, const void *b)
{
	const struct report_row *x = *(const struct report_row *const *)a;
	const struct report_row *y = *(const struct report_row *const *)b;

	return cmp_u64_desc(x->wait_ns, y->wait_ns);
}

static int wait_says(struct report *r, const struct report_row *row)
{
	const struct report_row *in;
	char a[32], b[32], c[32];

	if (row->wait_in < 0 || wait_pct(row) < WAIT_SHARE)
		return recommend_note(r, "wait", "%s is off CPU %.1f%% of its time (%s in all): it"
				      " waits, in no libc call paraprof records (a system call"
				      " of its own, page faults, another thread's lock), or the"
				      " machine is busy; look at what it waits for before its"
				      " code", row->name, off_cpu_pct(row),
				      report_fmt_ns(a, row->st.total_ns));
	in = &r->rows[row->wait_in];
	return recommend_note(r, "wait", "%s waits %.1f%% of its time (%s of %s) in libc calls,"
			      " most in %s (%llu calls; p95 of all its calls %s): its time is"
			      " waiting, not its own code; look at what it waits for", row->name,
			      wait_pct(row), report_fmt_ns(a, row->wait_ns),
			      report_fmt_ns(b, row->st.total_ns), in->name,
			      (unsigned long long)row->wait_in_calls, report_fmt_ns(c, in->st.p95_ns));
}

static const struct ranked_rule ranked_rules[] = {
	{ inline_takes, cmp_calls, inline_says },
	{ self_takes, cmp_self, self_says },
	{ wait_takes, cmp_wait, wait_says },
	{ outliers_takes, cmp_ratio, outliers_says },
};

/* Applies `rule` to the pool, collecting its rows in pick (room for npool). */
static int rule_ranked(struct report *r, const struct ranked_rule *rule,
		       struct report_row **pool, size_t npool, struct report_row **pick)
{
	size_t n = 0;

	for (size_t i = 0; i < npool; i++)
		if (rule->takes(r, pool[i]))
			pick[n++] = pool[i];
	qsort(pick, n, sizeof(*pick), rule->cmp);
	for (size_t i = 0; i < n && i < MAX_PER_RULE; i++)
		if (rule->says(r, pick[i]))
			return -1;
	return 0;
}

/* Memory that grows over the run. */
static int rule_memory(struct report *r, struct report_row **pool, size_t npool)
{
	for (size_t i = 0; i < r->prof->nprocs; i++) {
		const struct pp_process *p = &r->prof->procs[i];
		uint64_t first, last;
		int rc;

		if (!stats_memory_trend(p, &first, &last) ||
		    last < first + first * MEM_GROWTH_PCT / 100 || last < first + MEM_GROWTH_MIN_KIB)
			continue;
		const struct report_row *top_mem = NULL;

		for (size_t j = 0; j < npool; j++)
			if (!top_mem || pool[j]->st.mem_max_kib > top_mem->st.mem_max_kib)
				top_mem = pool[j];
		if (top_mem && top_mem->st.mem_max_kib)
			rc = recommend_note(r, "memory", "Memory grows in pid %u (%s): RSS %.1f MiB"
					    " in the first quarter of the run, %.1f MiB in the last"
					    " (peak %.1f MiB); the highest RSS at a return, %.1f MiB,"
					    " was seen by %s: look for leaks or unbounded caches",
					    p->pid, p->cmdline, first / 1024.0, last / 1024.0,
					    p->rss_peak_kib / 1024.0,
					    top_mem->st.mem_max_kib / 1024.0, top_mem->name);
		else
			rc = recommend_note(r, "memory", "Memory grows in pid %u (%s): RSS %.1f MiB"
					    " in the first quarter of the run, %.1f MiB in the last"
					    " (peak %.1f MiB): look for leaks or unbounded caches",
					    p->pid, p->cmdline, first / 1024.0, last / 1024.0,
					    p->rss_peak_kib / 1024.0);
		if (rc)
			return -1;
	}
	return 0;
}

/* Caches that miss. */
static int rule_caches(struct report *r)
{
	for (size_t i = 0; i < r->prof->ncaches; i++) {
		const struct pp_cache *pc = &r->prof->caches[i];
		uint64_t lookups = pc->hits + pc->misses;
		double rate = report_pct(pc->hits, lookups);
		int rc;

		if (lookups < CACHE_MIN_LOOKUPS || rate >= CACHE_LOW_HIT_PCT)
			continue;
		if (pc->evictions > pc->expirations)
			rc = recommend_note(r, "cache", "Cache %s hits only %.1f%% of %llu lookups"
					    " and evicted %llu entries at its limit of %llu: raise"
					    " its max size", pc->name, rate,
					    (unsigned long long)lookups,
					    (unsigned long long)pc->evictions,
					    (unsigned long long)pc->max_size);
		else if (pc->expirations)
			rc = recommend_note(r, "cache", "Cache %s hits only %.1f%% of %llu lookups"
					    " and %llu entries expired: raise its TTL if the data"
					    " changes less often", pc->name, rate,
					    (unsigned long long)lookups,
					    (unsigned long long)pc->expirations);
		else
			rc = recommend_note(r, "cache", "Cache %s hits only %.1f%% of %llu lookups"
					    " with no eviction or expiry: its keys rarely repeat, so"
					    " it may not be worth keeping", pc->name, rate,
					    (unsigned long long)lookups);
		if (rc)
			return -1;
	}
	return 0;
}

/* Endpoints that fail or are slow. */
static int rule_endpoints(struct report *r)
{
	char a[32];

	for (size_t i = 0; i < r->nendpoints; i++) {
		const struct report_row *row = r->endpoints[i];

		if (row->st.errors &&
		    recommend_note(r, "errors", "%s: %llu of %llu requests (%.1f%%) failed with"
				   " 4xx/5xx", row->name, (unsigned long long)row->st.errors,
				   (unsigned long long)row->st.calls,
				   report_pct(row->st.errors, row->st.calls)))
			return -1;
		if (row->e->slow &&
		    recommend_note(r, "slow", "%s: %llu requests over the slow-request threshold"
				   " (p99 %s)", row->name, (unsigned long long)row->e->slow,
				   report_fmt_ns(a, row->st.p99_ns)))
			return -1;
	}
	return 0;
}

/* Most of the functions' self time in the standard library's templates
 * (std::sort's helpers, std::vector's members): what the program's own code
 * costs is hidden in them, and their hooks cost time of their own.  One
 * line, whatever the selection shows. */
static int rule_std(struct report *r)
{
	uint64_t self = 0, std = 0;

	for (size_t i = 0; i < r->nrows; i++) {
		const struct report_row *row = &r->rows[i];

		if (row->e->kind != PPF_KIND_FUNCTION)
			continue;
		self += row->st.self_ns;
		if (cxxname_is_std(row->e->full_name))
			std += row->st.self_ns;
	}
	if (!std || report_pct(std, self) <= STD_SHARE)
		return 0;
	return recommend_note(r, "std", "%.1f%% of the functions' self time is in std::"
			      " internals: build with -finstrument-functions-exclude-file-list="
			      "/usr/include (see the README) to leave them out and count their"
			      " time in their callers", report_pct(std, self));
}

/* Every rule over `pool`, the eligible rows.  0, or -1 when memory runs out. */
static int recommend(struct report *r, struct report_row **pool, size_t npool)
{
	struct report_row **pick = malloc((npool ? npool : 1) * sizeof(*pick));
	int rc;

	if (!pick)
		return -1;
	rc = rule_severity(r);
	for (size_t i = 0; !rc && i < sizeof(ranked_rules) / sizeof(ranked_rules[0]); i++)
		rc = rule_ranked(r, &ranked_rules[i], pool, npool, pick);
	free(pick);
	if (rc || rule_memory(r, pool, npool) || rule_caches(r) || rule_endpoints(r) ||
	    rule_std(r))
		return -1;
	return 0;
}

/* The warnings: each counter of the processes' headers that is not 0, torn
 * records, and what the loader left out or saw unfinished, per process.  0,
 * or -1 when memory runs out. */
static int warn_counters(struct report *r)
{
	const struct pp_totals *t = &r->totals;
	/* each sentence follows the counter's value */
	const struct { const char *kind; uint64_t count; const char *text; } counters[] = {
		{ "dropped_functions", t->dropped_functions, "calls were not counted: the segment"
		  " or /dev/shm was full (raise PARAPROF_SHM_SIZE, or free /dev/shm), or they were"
		  " made in a signal handler inside another's hook, or by a raw clone() child" },
		{ "stack_overflows", t->stack_overflows, "calls deeper than the shadow stack could"
		  " grow (no memory) were not timed" },
		{ "abandoned_frames", t->abandoned_frames, "frames were left by longjmp,"
		  " exceptions or exit: they end where the stack was unwound" },
		{ "unmatched_exits", t->unmatched_exits, "function exits had no matching entry" },
		{ "threads_dropped", t->threads_dropped, "threads found no free area and were not"
		  " profiled" },
		{ "hist_dropped", t->hist_dropped, "durations are missing from the histograms:"
		  " percentiles leave them out" },
		{ "strings_dropped", t->strings_dropped, "region or span names did not fit the"
		  " string table" },
	};
	uint64_t torn = 0;

	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if (counters[i].count &&
		    warn(r, counters[i].kind, counters[i].count, "%llu %s",
			 (unsigned long long)counters[i].count, counters[i].text))
			return -1;
	for (size_t i = 0; i < r->prof->nentries; i++)
		torn += r->prof->entries[i]->torn;
	if (r->prof->paths_cut &&
	    warn(r, "paths_cut", r->prof->paths_cut, "%llu call path%s past PARAPROF_MAX_PATHS"
		 " %s under %s: %s callers are not known, function totals stay exact",
		 (unsigned long long)r->prof->paths_cut, r->prof->paths_cut == 1 ? "" : "s",
		 r->prof->paths_cut == 1 ? "is" : "are", PP_MORE_PATHS,
		 r->prof->paths_cut == 1 ? "its" : "their"))
		return -1;
	if (torn && warn(r, "torn_records", torn, "%llu record%s caught in the middle of an"
			 " update (%s off by one)", (unsigned long long)torn,
			 torn == 1 ? " was" : "s were",
			 torn == 1 ? "its counts may be" : "their counts may be"))
		return -1;
	for (size_t i = 0; i < r->prof->nprocs; i++) {
		const struct pp_process *p = &r->prof->procs[i];

		if ((p->records_dropped || p->lists_cut) &&
		    warn(r, "damaged_records", p->records_dropped + p->lists_cut, "%s of pid %u"
			 " (%s): %llu damaged record%s left out, %llu record list%s cut short"
			 " (stderr names each): what they counted is missing from this report",
			 p->source, p->pid, p->cmdline, (unsigned long long)p->records_dropped,
			 p->records_dropped == 1 ? "" : "s", (unsigned long long)p->lists_cut,
			 p->lists_cut == 1 ? "" : "s"))
			return -1;
		if (!(p->flags & PPF_FLAG_COMPLETE) &&
		    warn(r, "incomplete", 1, "pid %u (%s) had not exited normally when this was"
			 " read (%s): its wall time runs to its last memory sample", p->pid,
			 p->cmdline, p->live ? "still running, or killed" : "killed or crashed"))
			return -1;
	}
	return 0;
}

int report_build(struct report *r, struct pp_profile *prof, const struct report_opts *o,
		 struct sym_cache *sc)
{
	memset(r, 0, sizeof(*r));
	r->opts = o;
	r->prof = prof;
	stats_totals(prof, &r->totals);
	r->rows = calloc(prof->nentries ? prof->nentries : 1, sizeof(*r->rows));
	r->top = calloc(prof->nentries ? prof->nentries : 1, sizeof(*r->top));
	r->endpoints = calloc(prof->nentries ? prof->nentries : 1, sizeof(*r->endpoints));
	if (!r->rows || !r->top || !r->endpoints)
		return -1;
	/* every function's name, in every format and export, is made here */
	if (cxxname_assign(prof, sc, o->full_names))
		return -1;
	size_t neligible = 0;

	for (size_t i = 0; i < prof->nentries; i++) {
		struct pp_entry *e = prof->entries[i];
		struct report_row *row = &r->rows[r->nrows++];

		row->e = e;
		if (e->kind == PPF_KIND_FUNCTION)
			row->module = e->module >= 0 ? prof->modules[e->module].path : NULL;
		row->name = e->name;
		stats_compute(e, &row->st);
		row->severity = row->st.avg_ns > o->critical_ns ? SEV_CRITICAL :
				row->st.avg_ns > o->high_ns ? SEV_HIGH :
				row->st.avg_ns > o->medium_ns ? SEV_MEDIUM : SEV_LOW;
		if (e->kind == PPF_KIND_ENDPOINT) {
			r->endpoints[r->nendpoints++] = row;
			continue;
		}
		r->entries++;
		row->hidden = report_hide_reason(o, row);
		if (row->hidden == HIDE_NONE) {
			r->top[neligible++] = row;
		} else {
			r->hidden[row->hidden]++;
			note_hidden(r, row);
		}
	}
	r->eligible = neligible;
	r->below_min_calls = r->hidden[HIDE_MIN_CALLS];
	report_sort_rows(r->endpoints, r->nendpoints, SORT_AVG);
	if (o->slowest) {
		r->slowest = malloc((neligible ? neligible : 1) * sizeof(*r->slowest));
		if (!r->slowest)
			return -1;
		memcpy(r->slowest, r->top, neligible * sizeof(*r->slowest));
		report_sort_rows(r->slowest, neligible, SORT_AVG);
		r->nslowest = neligible < o->slowest ? neligible : (size_t)o->slowest;
	}
	/* The recommendations look at every eligible row, not only the top N:
	 * the sort is stable, so take the pool before cutting. */
	report_sort_rows(r->top, neligible, o->sort);
	r->ntop = o->top && o->top < neligible ? (size_t)o->top : neligible;
	if (report_waits(r) || recommend(r, r->top, neligible) || warn_counters(r) || check_evaluate(r) ||
	    report_paths_build(r) || (o->threads && report_threads_build(r)))
		return -1;
	return 0;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nrecs; i++)
		free(r->recs[i].text);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i].text);
	free(r->recs);
	free(r->warnings);
	free(r->rows);
	free(r->top);
	free(r->slowest);
	free(r->endpoints);
	free(r->offenders);
	report_paths_free(r);
	report_threads_free(r);
	memset(r, 0, sizeof(*r));
}
