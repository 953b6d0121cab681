/* report.h - what paraprof-report prints, in every format
 *
 * report_build() turns a loaded profile into a `struct report`: names
 * resolved, statistics computed, the rows selected and sorted (the top N by
 * the sort key among entries with at least min_calls calls, each with the
 * severity of its average), the slowest-by-average list, the endpoints
 * (slowest first), the recommendations and warnings (computed from the data)
 * and the target check.  The printers (report_text.c, report_json.c,
 * report_csv.c) only format it, so every format says the same thing.
 */
#ifndef PARAPROF_REPORT_H
#define PARAPROF_REPORT_H

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "profile.h"
#include "stats.h"

enum report_sort { SORT_TOTAL, SORT_SELF, SORT_AVG, SORT_P95, SORT_P99, SORT_CALLS };
enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV, FORMAT_FOLDED, FORMAT_SVG,
		     FORMAT_PPROF };
/* The value of a path in the exports (--weight): the node's inclusive
 * time, its self time or its calls; DEFAULT is self for folded, total for
 * svg (pprof carries all three). */
enum report_weight { WEIGHT_DEFAULT, WEIGHT_TOTAL, WEIGHT_SELF, WEIGHT_CALLS };
enum report_severity { SEV_CRITICAL, SEV_HIGH, SEV_MEDIUM, SEV_LOW };

/* Why an entry (function, region, span) is not in the selection: the
 * first of these, in this order, that leaves it out.  Each hidden entry is
 * counted once, so the counts add up to the entries minus the eligible. */
enum report_hide { HIDE_NONE, HIDE_MIN_CALLS, HIDE_MIN_TIME, HIDE_FILTER, HIDE_EXCLUDE,
		   HIDE_N };

/* A --filter or --exclude pattern: POSIX extended, compiled REG_NOSUB. */
struct report_pattern {
	const char *src;		/* as given, into argv */
	regex_t re;
};

struct report_opts {
	enum report_format format;
	enum report_sort sort;
	uint64_t top;			/* rows in the report, 0 = all */
	uint64_t min_calls;		/* entries with fewer calls are left out */
	uint64_t slowest;		/* length of the slowest-by-average list, 0 = none */
	uint64_t critical_ns, high_ns, medium_ns; /* severity: average above */
	uint64_t target_p95_ns, target_p99_ns, target_avg_ns; /* --check: below */
	enum report_weight weight;	/* folded, svg: --weight */
	int check;			/* print (text, csv) only the target check */
	const char *slowest_calls;	/* print only the kept calls of this function */
	int color;			/* ANSI colours in text */
	int utf8;			/* ✅/❌ rather than [PASS]/[FAIL] */
	time_t now;			/* "Generated:" */
	const char *callers, *callees;	/* --callers/--callees FUNC, NULL = none */
	int graph;			/* --graph: the call graph of the top entries */
	uint64_t min_time_ns;		/* entries with less total time are left out */
	/* --filter: an entry is kept when its name or module matches one of
	 * them (none: every entry); --exclude: left out when its name or module
	 * matches one.  Owned by the caller (opt_free()). */
	const struct report_pattern *filters, *excludes;
	size_t nfilters, nexcludes;
	int full_names;			/* --full-names: C++ names not shortened */
	int raw;			/* --raw: the hooks' own cost left in the times */
	int wide;			/* text: --wide, no line is cut or wrapped */
	const char *histogram;		/* --histogram FUNC, NULL = none */
	int threads;			/* --threads: each thread's table too */
	const char *thread;		/* --thread NAME|TID: only those threads' areas
					   are loaded (the loader does it), NULL = all */
};

/* Sets the documented defaults (top 20, min-calls 5, sort total, severity
 * 2 s / 1 s / 500 ms, targets 500 ms / 1 s / 100 ms, text, no colour). */
void report_opts_default(struct report_opts *o);

struct report_row {
	struct pp_entry *e;
	const char *name;		/* owned by the profile or the symbol cache */
	const char *module;		/* functions: module path, or NULL */
	struct pp_stats st;
	enum report_severity severity;
	const struct report_hot *hot;	/* CRITICAL..MEDIUM rows of the top N: its
					   heaviest call paths, nhot of them */
	uint32_t nhot;
	uint32_t more_paths;		/* its other paths, not in hot */
	enum report_hide hidden;	/* HIDE_NONE, or what left it out */
	uint64_t wait_ns;		/* time in the libc calls it made (call
					   paths: 0 without them) */
	int64_t wait_in;		/* the entry of the one it waited in most,
					   -1 = none */
	uint64_t wait_in_calls;		/* its calls from this entry */
};

/* Hidden entries named in the header: at most this many, each with at
 * least REPORT_HIDDEN_PCT % of the profiled time as total time. */
#define REPORT_HIDDEN_NAMED 3
#define REPORT_HIDDEN_PCT 10.0

/* ---- call paths (report_paths.c; the tree walking is callgraph.c's) ---- */

#define REPORT_HOT_PATHS 3		/* heaviest paths shown under an entry */

/* One of an entry's heaviest call paths. */
struct report_hot {
	uint32_t node;			/* index in prof->paths[] */
	struct pp_stats st;
	double share_pct;		/* of the entry's inclusive time */
};

struct cg_edge;

/* The callers or the callees of one entry, heaviest first. */
struct report_calls {
	const struct report_row *of;
	int callees;			/* 0: callers of `of`, 1: its callees */
	struct cg_edge *edges;		/* n, owned */
	struct pp_stats *st;		/* n: each edge's statistics, owned */
	size_t n;
};

struct report_note {
	const char *kind;		/* "inline", "self", "outliers", "memory", "cache", ... */
	char *text;			/* malloc'ed, one sentence */
	uint64_t count;			/* warnings: the counter's value */
};

struct report_target {
	const char *name;		/* "p95", "p99", "avg" */
	const char *label;		/* "P95", "P99", "Average" */
	uint64_t limit_ns;		/* holds when every judged value is below */
	uint64_t worst_ns;
	const struct report_row *worst;	/* NULL when nothing was judged */
	uint64_t over;			/* judged entries at or above the limit */
	int pass;
};

/* One thread's table (--threads; report_threads.c): its entries' rows,
 * named as the process report names them, and the ones shown, sorted. */
struct report_thread {
	const struct pp_thread *th;
	struct report_row *rows;	/* one per entry of th->prof; owned */
	struct report_row **top;	/* shown, by the sort key: ntop; owned */
	size_t nrows, ntop;
	size_t entries;			/* non-endpoint rows, shown or not */
	uint64_t calls;			/* of its functions, regions and spans */
	uint64_t self_ns;		/* likewise: its time in instrumented code */
};

struct report {
	const struct report_opts *opts;
	struct pp_profile *prof;
	struct pp_totals totals;
	struct report_row *rows;	/* every function, region, span and endpoint */
	size_t nrows;
	struct report_row **top;	/* the selection, sorted by the sort key */
	size_t ntop;
	size_t entries;			/* non-endpoint rows, shown or not */
	size_t eligible;		/* non-endpoint rows no filter hides */
	size_t below_min_calls;		/* = hidden[HIDE_MIN_CALLS] */
	size_t hidden[HIDE_N];		/* non-endpoint rows left out, by reason */
	struct report_row *hidden_large[REPORT_HIDDEN_NAMED]; /* the hidden rows
					   with the most total time, above
					   REPORT_HIDDEN_PCT, most first */
	size_t nhidden_large;
	struct report_row **slowest;	/* by average, opts->slowest at most */
	size_t nslowest;
	struct report_row **endpoints;	/* slowest (average) first */
	size_t nendpoints;
	struct report_note *recs, *warnings;
	size_t nrecs, nwarnings;
	struct report_target targets[3];
	const char *judged_what;	/* "endpoints" or "functions" */
	size_t judged;
	struct report_row **offenders;	/* rows missing a target, worst first, <= 5 */
	size_t noffenders;
	int check_pass;
	struct cg_tree *tree;		/* the calling-context tree, walkable */
	struct report_hot *hot;		/* what the rows' hot point into, nhot */
	size_t nhot;
	struct report_calls calls[2];	/* --callers, then --callees: ncalls */
	size_t ncalls;
	struct report_calls *graph;	/* --graph: callers and callees of each top
					   entry in turn, 2 * ntop */
	size_t ngraph;
	struct report_thread *threads;	/* --threads: by pid, then start; nthreads */
	size_t nthreads;
};

struct sym_cache;
struct cg_tree;

/* Builds the report of `prof` (function names resolved through `sc`; NULL
 * gives every function the name "module+0xOFFSET"; C++ names shortened
 * unless o->full_names, cxxname_assign()).  Returns 0, or -1 when
 * memory runs out.  The report points into prof and sc, which must outlive
 * it; report_free() releases what the report itself owns. */
int report_build(struct report *r, struct pp_profile *prof, const struct report_opts *o,
		 struct sym_cache *sc);
void report_free(struct report *r);

/* The name of a function no symbol names: "module+0xOFFSET" (the
 * module's basename and the ELF address), "0xADDRESS" when in no module;
 * written into buf (size bytes, REPORT_FALLBACK_MAX suffice), which it
 * returns.  report_build() names such functions so; paraprof-exporter too. */
#define REPORT_FALLBACK_MAX (PPF_PATH_MAX + 32)
const char *report_fallback_text(char *buf, size_t size, const struct pp_profile *prof,
				 const struct pp_entry *e);

/* Printers: 0, or -1 when writing failed (errno set by stdio). */
int report_text(FILE *out, const struct report *r);
int report_json(FILE *out, const struct report *r);
int report_csv(FILE *out, const struct report *r);

/* report_paths.c: the tree, hot paths and --graph (called by report_build;
 * 0, or -1 when memory runs out), then --callers/--callees, once the names
 * are known (0, or -1 with a one-line reason in err: a usage error) and what
 * report_free() calls. */
int report_paths_build(struct report *r);
int report_paths_find(struct report *r, char *err, size_t errlen);
void report_paths_free(struct report *r);

/* Printers of report_paths.c: the hot paths under a row; the callers and
 * callees of --callers/--callees (the text and CSV output then shows
 * nothing else); the call graph; in JSON, the keys "paths_cut", "paths",
 * "callers", "callees", "call_graph" (each line ends ",\n") and a row's
 * "hot_paths" (", \"hot_paths\": [...]" or nothing). */
void report_text_hot(FILE *out, const struct report *r, const struct report_row *row);
int report_text_calls(FILE *out, const struct report *r, size_t width);
void report_text_graph(FILE *out, const struct report *r, size_t width);
int report_csv_calls(FILE *out, const struct report *r);
void report_json_paths(FILE *out, const struct report *r);
void report_json_hot(FILE *out, const struct report_row *row);

/* The exports of the calling-context tree (every path, whatever --top and
 * --min-calls say): folded stacks (report_folded.c), an SVG flame graph
 * (report_svg.c), gzipped pprof profile.proto (report_pprof.c: binary). */
int report_folded(FILE *out, const struct report *r);
int report_svg(FILE *out, const struct report *r);
int report_pprof(FILE *out, const struct report *r);

/* check.c: evaluates the targets into r (called by report_build) and prints
 * the check in text or CSV. */
int check_evaluate(struct report *r);
int check_text(FILE *out, const struct report *r);
int check_csv(FILE *out, const struct report *r);

/* A JSON string, quoted and escaped (control characters as \uXXXX, bytes
 * that are not UTF-8 as U+FFFD); an RFC 4180 CSV field (NULL = empty). */
void report_json_string(FILE *out, const char *s);
void report_csv_field(FILE *out, const char *s);

/* report_threads.c: each thread's table (--threads; called by
 * report_build: 0, or -1 when memory runs out), what report_free() calls,
 * and the printers: after the text report; the JSON keys "threads",
 * "threads_folded" and "threads_unknown" (each line ends ",\n"); CSV rows
 * whose last columns, tid and thread, name the thread. */
int report_threads_build(struct report *r);
void report_threads_free(struct report *r);
void report_text_threads(FILE *out, const struct report *r, size_t width);
void report_json_threads(FILE *out, const struct report *r);
void report_csv_threads(FILE *out, const struct report *r);
/* One row of the JSON "functions" (rank, indent before it, no newline) and
 * of the CSV (no line end): what the thread printers share. */
void report_json_row(FILE *out, const struct report *r, const struct report_row *rw, size_t rank,
		     const char *indent);
void report_csv_row(FILE *out, const struct report *r, const struct report_row *rw, size_t rank);

/* Why row is hidden under o (HIDE_NONE: it is not); rows sorted by key s,
 * descending, then by total and name (report.c). */
enum report_hide report_hide_reason(const struct report_opts *o, const struct report_row *row);
void report_sort_rows(struct report_row **rows, size_t n, enum report_sort s);

/* The option that hides entries for reason h ("--min-calls", ...). */
const char *report_hide_option(enum report_hide h);
/* Whether pattern list p (n of them) matches the row's name or module. */
int report_patterns_match(const struct report_pattern *p, size_t n,
			  const struct report_row *row);

/* report_text.c's layout, shared with report_hist.c: the text width
 * (--wide: no limit; else stdout's terminal width, else $COLUMNS, never
 * under 80); the display columns of a string (its UTF-8 characters); a
 * string escaped and fitted to width columns (cut in the middle with an
 * ellipsis); a string escaped and word-wrapped at width, the first line
 * after `first` columns already printed, the others after `indent`. */
size_t report_text_width(FILE *out, const struct report_opts *o);
/* A time column's unit: the index (0 ns, 1 us, 2 ms, 3 s) of the one the
 * README describes for the n values v (sorted in place); its name; ns
 * written in unit u ("1,234" ns, else two decimals). */
int report_text_unit(uint64_t *v, size_t n);
const char *report_unit_name(int u);
const char *report_fmt_in_unit(char buf[32], uint64_t ns, int u);
size_t report_text_cols(const char *s);
void report_text_fit(FILE *out, const char *s, size_t width, int utf8);
void report_text_wrap(FILE *out, const char *text, size_t width, size_t first,
		      const char *indent);


/* report_hist.c: --histogram FUNC.  report_hist_find() returns FUNC's
 * entry index, or -1 with a one-line reason in err (a usage error);
 * report_hist() draws its duration distribution: 0, or -1 when writing
 * failed. */
long report_hist_find(const struct pp_profile *prof, const char *func, char *err,
		      size_t errlen);
int report_hist(FILE *out, const struct report *r, size_t entry);

/* A count with thousands separators: "7,154,025". */
const char *report_fmt_count(char buf[32], uint64_t v);

/* Shared formatting: a duration with its unit ("2.45s", "1.20ms", "350ns"),
 * and a compact one for thresholds ("2s", "500ms", "1.5ms"). */
const char *report_fmt_ns(char buf[32], uint64_t ns);
const char *report_fmt_limit(char buf[32], uint64_t ns);
const char *report_severity_name(enum report_severity s);
/* share / whole in percent, 0 when whole is 0 */
double report_pct(uint64_t share, uint64_t whole);

#endif /* PARAPROF_REPORT_H */
