/* exporter.h - paraprof-exporter: profiles as Prometheus metrics
 *
 * A scrape (exp_scrape) finds every live segment of our user in /dev/shm
 * whose process runs, and every dump of --dir, reads each with the
 * analyzer's loader (libpp_analyzer.a: safe opening, the consistent copy
 * under the seqlocks, validation), one process at a time, and writes its
 * metrics in the Prometheus text format or OpenMetrics.  What a scrape
 * allocates is freed before it returns; the one state kept between scrapes
 * is struct exp_counters, of fixed size.
 *
 * Histogram buckets.  An `le` of the output is always the last nanosecond
 * of a bucket of the log-linear histogram (format.h), so the cumulative
 * counts are exact: a call counts under le when its recorded duration, a
 * whole number of ns, is <= le.  A requested boundary is moved to the
 * nearest such value (exp_snap_bound), by at most half a bucket's width,
 * i.e. 1/128 of it (exact below 128 ns).
 */
#ifndef PARAPROF_EXPORTER_H
#define PARAPROF_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

/* Why a segment or dump was left out of a scrape (the reason label of
 * paraprof_exporter_skipped_total). */
enum exp_skip {
	EXP_SKIP_VANISHED,		/* gone between the listing and the opening */
	EXP_SKIP_UNREADABLE,		/* not a regular file, not a segment, sparse, ... */
	EXP_SKIP_INVALID,		/* its header or tables did not validate */
	EXP_SKIP_FOREIGN,		/* another user's segment */
	EXP_SKIP_DUPLICATE,		/* same pid and program as one already exported */
	EXP_SKIP_NOMEM,			/* memory ran out while reading it */
	EXP_SKIP_COUNT
};

/* The exporter's own HTTP responses, by status. */
enum exp_http {
	EXP_HTTP_200, EXP_HTTP_404, EXP_HTTP_405, EXP_HTTP_500, EXP_HTTP_COUNT
};

/* Kept between scrapes: counters only, a fixed size. */
struct exp_counters {
	uint64_t scrapes;		/* scrapes begun */
	uint64_t skipped[EXP_SKIP_COUNT];
	uint64_t http[EXP_HTTP_COUNT];
	uint64_t slow_scrapes;		/* scrapes over EXP_SLOW_SCRAPE_NS */
};

#define EXP_SLOW_SCRAPE_NS 1000000000ull	/* a scrape this long is counted slow */
#define EXP_MAX_BOUNDS 64			/* --buckets: at most this many */

struct exp_config {
	const char *dir;		/* --dir: dumps to export, NULL = none */
	uint64_t top;			/* entries per process; the rest is "(other)"; 0 = all */
	uint64_t le_ns[EXP_MAX_BOUNDS];	/* bucket bounds, ns, ascending, snapped */
	size_t nle;
	int verbose;			/* say on stderr why each skipped segment was */
	int raw;			/* --raw: the hooks' own cost left in the times */
};

/* Output text in a chain of chunks, so that it grows without being copied
 * and can be sent as it is (an iovec per chunk); `oom` once an append
 * failed (the rest is dropped).  A contiguous buffer is one chunk that
 * grows by realloc and stays NUL-terminated (exp_buf_str). */
struct exp_chunk {
	struct exp_chunk *next;
	size_t len, cap;		/* bytes used, bytes of data[] */
	char data[];
};

struct exp_buf {
	struct exp_chunk *head, *tail;
	size_t len;			/* bytes in every chunk */
	int oom;
	int contiguous;
};

#define EXP_CHUNK_BYTES (256u << 10)	/* data of one chunk of a chained buffer */

/* Appends n bytes of s. */
void exp_buf_add(struct exp_buf *b, const char *s, size_t n);

/* Frees every chunk and zeroes b (keeping `contiguous`). */
void exp_buf_free(struct exp_buf *b);

/* The text of a contiguous buffer ("" when empty). */
const char *exp_buf_str(const struct exp_buf *b);

/* Empties a contiguous buffer, keeping its memory. */
void exp_buf_reset(struct exp_buf *b);

/* Moves the chunks of `from` to the end of `to` (no copy); from is left
 * empty. */
void exp_buf_splice(struct exp_buf *to, struct exp_buf *from);

/* Appenders: a string; an integer; an integer and a newline; ns as
 * seconds in exact decimal ("12", "0.000000999"); an untrusted string as
 * the inside of a label value (escape.h's escaping, then the format's). */
void exp_put_str(struct exp_buf *b, const char *s);
void exp_put_u64(struct exp_buf *b, uint64_t v);
void exp_put_u64_nl(struct exp_buf *b, uint64_t v);
void exp_put_seconds(struct exp_buf *b, uint64_t ns);
void exp_put_label_value(struct exp_buf *b, const char *s);

/* The default bounds: 1-2-5 from 1 us to 10 s, snapped. */
void exp_default_bounds(struct exp_config *cfg);

/* The last nanosecond of a histogram bucket nearest to `ns` (ns >= 1; ties
 * go to the smaller). */
uint64_t exp_snap_bound(uint64_t ns);

/* Parses --buckets "1ms,10ms,100ms,1s" (times as paraprof-report takes
 * them, ascending) into cfg->le_ns, snapped.  0, or -1 with the reason in
 * err (cfg unchanged). */
int exp_parse_bounds(const char *list, struct exp_config *cfg, char *err, size_t errlen);

/*
 * Writes the metrics of every exportable process into *out (a chained
 * buffer, appended to; OpenMetrics when `openmetrics`, ending in "# EOF";
 * the caller frees it with exp_buf_free), counting what was
 * skipped in *ctr.  Returns 0, or -1 with the reason in err when nothing
 * useful can be said (/dev/shm unreadable, memory gone): out is then
 * freed.  A damaged, hostile or vanishing segment or dump is never an
 * error of the scrape: it is left out and counted.
 */
int exp_scrape(const struct exp_config *cfg, struct exp_counters *ctr, int openmetrics,
	       struct exp_buf *out, char *err, size_t errlen);

#endif /* PARAPROF_EXPORTER_H */
