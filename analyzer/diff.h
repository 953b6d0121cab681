/* diff.h - two sides of runs compared: --diff and the gate of --check --baseline
 *
 * Each side is one or more dumps (or live segments), merged as a report
 * merges them.  Entries (functions, regions, spans, endpoints) are matched
 * across the sides by (kind, module basename, name as the report resolves
 * it: the full demangled name for C++), so a rebuild that moves functions
 * keeps them matched.  diff_build() computes, per matched entry, the figures
 * before and after, the effect on the total (the change of its self time:
 * self times partition the profiled time, so the effects add up to the
 * change of the total; spans and endpoints, which overlap the functions, the
 * change of their own total time) and whether it is significantly slower or
 * faster (diffstat.c); new and vanished entries are listed apart.  The gate
 * (diff_gate()) names the entries that got slower than a --max-regression
 * limit by more than the histogram can err, and significantly so.
 * Call paths are matched by the names along them (diff_paths.c) and compared
 * like entries, but not judged by the gate.
 */
#ifndef PARAPROF_DIFF_H
#define PARAPROF_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "report.h"

/* The figures a limit can name, in this order everywhere. */
enum diff_metric { DIFF_AVG, DIFF_P10, DIFF_P50, DIFF_P95, DIFF_P99, DIFF_NMETRICS };

/* One --max-regression limit: a regression is a change over rel (a
 * fraction: 0.10 for 10%) or over abs_ns, whichever was given. */
struct diff_limit {
	int set;			/* 0: the metric is not judged */
	int absolute;			/* 1: abs_ns, 0: rel */
	double rel;			/* fraction of the base value */
	uint64_t abs_ns;		/* nanoseconds */
};

/* What the command line says about a comparison (options.c fills it). */
struct diff_opts {
	struct diff_limit limits[DIFF_NMETRICS];
	double confidence;		/* 0.99: significant when p < 1 - confidence */
	char **base;			/* base side's dumps, into argv (malloc'ed array) */
	size_t nbase;
	int diff;			/* --diff given (BASE... -- NEW...) */
};

#define DIFF_DEFAULT_LIMITS "p10=10%"
#define DIFF_DEFAULT_CONFIDENCE 0.99

/* Sets the documented defaults: DIFF_DEFAULT_LIMITS at 99 %. */
void diff_opts_default(struct diff_opts *d);

/* Parses "p95=10%,avg=+2ms" (keys avg, p10, p50, p95, p99; a percentage or a
 * time, a leading + allowed) into d's limits, replacing all of them.  0, or
 * -1 with a one-line reason in err. */
int diff_parse_limits(const char *s, struct diff_opts *d, char *err, size_t errlen);

/* Parses --confidence: a percentage from 50 to 99.9999 ("99", "99.9%").
 * 0, or -1 with a one-line reason in err. */
int diff_parse_confidence(const char *s, struct diff_opts *d, char *err, size_t errlen);

/* ---- the statistics (diffstat.c) ---- */

/* The one-sided p-value of the Mann-Whitney U test that b's durations are
 * larger than a's, calls of one bucket tied, normal approximation with tie
 * and continuity corrections; 1 when a side is empty or every call shares
 * one bucket.  *z (may be NULL) gets the z score. */
double diff_mann_whitney(const struct pp_hist *a, const struct pp_hist *b, double *z);

/* The one-sided p-value of Welch's t test that b's mean (mean_b, ns) is
 * above a's, the variances from the histograms; 1 when a side has fewer
 * than 2 calls.  *t (may be NULL) gets the t statistic. */
double diff_welch(const struct pp_hist *a, double mean_a, const struct pp_hist *b,
		  double mean_b, double *t);

/* P(T >= t) for Student's t with df degrees of freedom (df > 0; else 1). */
double diff_student_upper(double t, double df);

/* The one-sided p-value that b's q_ppm / 1e6 quantile is above a's:
 * Fisher's exact test on the calls above the bucket of the pooled quantile;
 * 1 when a side is empty. */
double diff_quantile_test(const struct pp_hist *a, const struct pp_hist *b, uint32_t q_ppm);

/* P(X >= x) for X hypergeometric: `draws` taken without replacement from
 * `total` of which `successes` succeed. */
double diff_hypergeom_upper(uint64_t total, uint64_t successes, uint64_t draws, uint64_t x);

/* ---- the comparison (diff.c) ---- */

/* One entry of either side, or both. */
struct diff_row {
	const struct report_row *base, *new;	/* NULL: new / vanished entry */
	const char *name;		/* the report's name (owned by a side) */
	unsigned kind;			/* enum ppf_kind */
	int64_t effect_ns;		/* change of self (spans, endpoints: total) time */
	double p_slower, p_faster;	/* Mann-Whitney, each direction; 1 when unmatched */
	int verdict;			/* +1 significantly slower, -1 faster, 0 neither */
};

/* One regression the gate found: an entry's metric. */
struct diff_regression {
	const struct diff_row *row;
	enum diff_metric metric;
	uint64_t before_ns, after_ns;	/* the metric on each side */
	int64_t change_ns;		/* after - before */
	int64_t least_ns;		/* the least change the histograms allow */
	double p;			/* the test's one-sided p-value */
};

struct diff {
	const struct diff_opts *dopts;
	const struct report_opts *ropts;
	struct report side[2];		/* [0] base, [1] new: their reports */
	size_t ninputs[2];		/* dumps (and segments) on each side */
	struct diff_row *rows;		/* every entry: matched first, by |effect|,
					   then new, then vanished */
	size_t nrows, nmatched, nnew, nvanished;
	size_t nslower, nfaster;	/* matched rows significantly so */
	uint64_t calls[2];		/* of functions and regions, each side */
	struct diff_row *paths;		/* call paths matched by their names, by
					   |effect| (diff_paths.c); npaths */
	size_t npaths;
	struct report_row *path_rows[2]; /* each side's path nodes as rows, in
					   the order of prof->paths */
	size_t npath_rows[2];
	/* the gate */
	size_t judged;			/* matched rows with enough calls */
	struct diff_regression *regs;	/* in the order of rows (by effect), then of
					   the metrics (avg, p50, p95, p99) */
	size_t nregs;
};

/* Builds the comparison of profiles base and new (each merged from
 * ninputs[] sources; names resolved through sc, which must outlive d),
 * then, when dopts asks for it (check), the gate.  Row filters of ropts
 * (--filter, --exclude) apply; --min-calls is the gate's minimum on both
 * sides.  0, or -1 when memory runs out; diff_free() releases d either way. */
int diff_build(struct diff *d, struct pp_profile *base, struct pp_profile *new,
	       const size_t ninputs[2], const struct report_opts *ropts,
	       const struct diff_opts *dopts, struct sym_cache *sc);
void diff_free(struct diff *d);

/* diff_paths.c: matches the call paths of d's sides into d->paths (called
 * by diff_build(); 0, or -1 when memory runs out), and frees them. */
int diff_paths_build(struct diff *d);
void diff_paths_free(struct diff *d);

/* The names along path row `row` of d->paths, root first, " > " between:
 * written at the end of buf (size bytes, at least DIFF_PATH_NAME_MIN), the
 * start cut to "... > " when it is longer; returns where it begins. */
#define DIFF_PATH_NAME_MIN 64
#define DIFF_PATH_NAME_MAX 4096
const char *diff_path_name(const struct diff *d, const struct diff_row *row, char *buf,
			   size_t size);

/* |v| as an unsigned number (INT64_MIN too). */
static inline uint64_t diff_abs(int64_t v)
{
	return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

/* The metric's name ("avg", "p95") and its value for a row, ns (p10 from
 * the histogram, the others from the row's statistics). */
const char *diff_metric_name(enum diff_metric m);
uint64_t diff_metric_value(const struct report_row *rw, enum diff_metric m);

/* Printers (diff_print.c): the comparison, or with check the gate, in
 * ropts->format (text, json or csv).  0, or -1 when writing failed. */
int diff_print(FILE *out, const struct diff *d, int check);

#endif /* PARAPROF_DIFF_H */
