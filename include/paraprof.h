/* paraprof.h - the public C API of libparaprof
 *
 * Everything public is prefixed paraprof_ / PARAPROF_.  Functions return 0 or
 * a negative error code from the one table below (PARAPROF_ERRNO_MAP), which
 * generates both the enum and paraprof_strerror(); arguments are checked
 * first and bad ones give PARAPROF_EINVAL, never a crash.  Handles are opaque
 * and used through functions only.  See libparaprof(3).
 */
#ifndef PARAPROF_H
#define PARAPROF_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PARAPROF_API_ begins the prototype of every function of the list
 * PARAPROF_FUNCTIONS (see "without the library" at the end): in the library
 * an external function; in a program a static inline wrapper, defined at the
 * end, that calls the library's function when it is there. */
#ifdef PARAPROF_BUILDING_LIBRARY
#define PARAPROF_API_
#else
#define PARAPROF_API_ static inline __attribute__((no_instrument_function, unused))
#endif

/* ==== error codes ======================================================== *
 *
 * One table, in the libuv manner: XX(name, value, message).  The values are
 * the negated Linux errno numbers, so a code can also be handed to strerror()
 * after negation.  The table generates the enum (PARAPROF_<name>) and the
 * messages of paraprof_strerror() / names of paraprof_err_name().
 */
#define PARAPROF_ERRNO_MAP(XX)						\
	XX(EINVAL, -EINVAL, "invalid argument")				\
	XX(ENOMEM, -ENOMEM, "out of memory")				\
	XX(ENOENT, -ENOENT, "no such entry")				\
	XX(E2BIG, -E2BIG, "value larger than the byte limit")		\
	XX(ERANGE, -ERANGE, "buffer too small for the value")		\
	XX(ENOSYS, -ENOSYS, "profiling is off (libparaprof not loaded, or no segment)")

enum paraprof_errno {
#define PARAPROF_ERRNO_ENUM_(name, value, msg) PARAPROF_##name = (value),
	PARAPROF_ERRNO_MAP(PARAPROF_ERRNO_ENUM_)
#undef PARAPROF_ERRNO_ENUM_
};

/* The message of an error code ("invalid argument"); "unknown error" for a
 * value not in the table.  The string is static: never free it. */
PARAPROF_API_ const char *paraprof_strerror(int err);

/* The name of an error code ("EINVAL"); "UNKNOWN" for a value not in the
 * table.  The string is static. */
PARAPROF_API_ const char *paraprof_err_name(int err);

/* ==== profiling: control, regions, spans, statistics ===================== *
 *
 * Code built with -finstrument-functions is profiled with no call at all.
 * These functions add what the hooks cannot see (a part of a function, code
 * built without the flag, work that begins on one thread and ends on
 * another), switch recording on and off, and read the statistics from
 * inside the program.  They are safe from any thread.  While recording is
 * disabled, regions and spans are not counted (and return 0); when
 * profiling is off altogether they return PARAPROF_ENOSYS.
 */

/* Starts (again) recording: calls that begin from now on are counted.
 * Frames begun before it are dropped, never counted with disabled time in
 * them.  Returns 0 or PARAPROF_ENOSYS. */
PARAPROF_API_ int paraprof_enable(void);

/* Stops recording: calls that end from now on are not counted.  Returns 0
 * or PARAPROF_ENOSYS. */
PARAPROF_API_ int paraprof_disable(void);

/* 1 when recording, 0 when disabled, PARAPROF_ENOSYS when profiling is off. */
PARAPROF_API_ int paraprof_is_enabled(void);

/* Zeroes every statistic of the process.  Never tears a record another
 * thread is writing; every call that ends after it returns is counted.
 * Each thread applies it at its next call; readers (paraprof_get_stats,
 * paraprof-report) already see that thread's statistics as zero.  Returns 0
 * or PARAPROF_ENOSYS. */
PARAPROF_API_ int paraprof_clear_stats(void);

/* Region flag: read /proc/self/statm exactly at the region's begin and end
 * (two system calls) for its memory figures, instead of the sampler's
 * latest value. */
#define PARAPROF_MEMORY 0x1u

/*
 * Times the code up to the matching paraprof_region_end() as a call of a
 * region called `name` (a string that stays valid, usually a literal),
 * nested with the instrumented functions on this thread's stack: it is a
 * callee of the function it is in, and the functions it calls are its
 * callees.  flags: 0 or PARAPROF_MEMORY.  Returns 0, PARAPROF_EINVAL (NULL
 * name, unknown flag) or PARAPROF_ENOSYS.
 */
PARAPROF_API_ int paraprof_region_begin(const char *name, unsigned flags);

/* Ends the innermost region of this thread (instrumented frames still open
 * inside it count as abandoned).  Returns 0 or PARAPROF_ENOSYS. */
PARAPROF_API_ int paraprof_region_end(void);

/* Times the rest of the enclosing block as region `name`:
 *	{ PARAPROF_REGION("parse"); ... }	(the region ends with the block) */
#define PARAPROF_REGION(name) PARAPROF_REGION_FLAGS((name), 0)
#define PARAPROF_REGION_FLAGS(name, flags)					\
	int PARAPROF_CAT_(paraprof_region_, __LINE__)				\
		__attribute__((cleanup(paraprof_region_cleanup_), unused)) =	\
		paraprof_region_begin((name), (flags))
#define PARAPROF_CAT2_(a, b) a##b
#define PARAPROF_CAT_(a, b) PARAPROF_CAT2_(a, b)

/* An async span: begun by paraprof_span_begin(), ended by
 * paraprof_span_end() on any thread (callbacks, thread pools, event loops).
 * A plain value: copy it, store it, hand it over; nothing to free.  Spans
 * do not nest with the call stack. */
typedef struct paraprof_span {
	uint64_t start;		/* clock ticks at the begin; 0: not recorded */
	const char *name;	/* the span's name, NULL when not recorded */
} paraprof_span_t;

/* Begins a span called `name` (a string that stays valid until the span
 * ends).  When recording is disabled or off it returns a span that
 * paraprof_span_end() ignores. */
PARAPROF_API_ paraprof_span_t paraprof_span_begin(const char *name);

/* Ends `span` on the calling thread and counts its duration.  Returns 0
 * (also for a span begun while disabled) or PARAPROF_ENOSYS. */
PARAPROF_API_ int paraprof_span_end(paraprof_span_t span);

enum paraprof_kind {
	PARAPROF_KIND_FUNCTION = 1,	/* an instrumented function */
	PARAPROF_KIND_REGION = 2,	/* PARAPROF_REGION, paraprof_region_begin */
	PARAPROF_KIND_SPAN = 3,		/* paraprof_span_begin */
	PARAPROF_KIND_ENDPOINT = 4,	/* request profiling */
};

/* One function, region, span or endpoint,
 * summed over every thread of the process.  Times in nanoseconds. */
struct paraprof_stats {
	const char *name;	/* see paraprof_get_stats / paraprof_foreach_stats */
	int kind;		/* enum paraprof_kind */
	uint64_t calls;
	uint64_t total_ns;	/* inclusive time (a recursive function's outermost frames) */
	uint64_t self_ns;	/* total minus the time in instrumented callees */
	uint64_t avg_ns;	/* mean duration of a call */
	uint64_t min_ns, max_ns;
	uint64_t p50_ns, p95_ns, p99_ns;	/* within 0.78 % (nearest rank) */
	double memory_avg_mb;	/* RSS at the calls' ends, MiB (average) */
	double memory_max_mb;
};

/*
 * Fills `stats` for the instrumented function (symbol name, mangled or
 * demangled), region, span or endpoint called `name`, looked for in that
 * order.  stats->name is `name`.  Returns 0, PARAPROF_ENOENT when nothing of
 * that name has been counted, PARAPROF_EINVAL or PARAPROF_ENOSYS.
 */
PARAPROF_API_ int paraprof_get_stats(const char *name, struct paraprof_stats *stats);

/*
 * Calls fn(stats, ctx) once for every function, region, span and endpoint
 * counted so far (stats->name is valid during the call only).  Stops when fn
 * returns non-zero and returns that value; else returns 0, or
 * PARAPROF_EINVAL, PARAPROF_ENOMEM, PARAPROF_ENOSYS.
 */
PARAPROF_API_ int paraprof_foreach_stats(int (*fn)(const struct paraprof_stats *stats, void *ctx),
					 void *ctx);

/* ==== request profiling ================================================== *
 *
 * Request (endpoint) profiling for C servers: the server calls
 * paraprof_request_begin() when a request arrives and paraprof_request_end()
 * when its response is sent.  Each request is counted under its endpoint,
 * "METHOD /route", with its duration and HTTP status: count, average,
 * p50/p95/p99, min, max, responses by status class and slow requests, kept
 * in the profiling segment (paraprof-report --pid reads them live, the dump
 * keeps them, the Endpoints section of the report shows them).
 *
 * Routes: the path loses its query string and fragment, then either matches
 * a template registered with paraprof_request_route() (segment by segment;
 * a "{x}" segment matches any non-empty segment; the first registered that
 * matches wins) or has each id segment replaced by "{id}": all digits, a
 * UUID (8-4-4-4-12 hex digits), 16 or more hex digits.  So GET /api/agents/42
 * and GET /api/agents/43 are one endpoint, "GET /api/agents/{id}".  Bytes
 * that are not printable ASCII become '?'; a name longer than
 * PARAPROF_ROUTE_MAX - 1 bytes is cut and ends with "...".
 *
 * Bound: a process keeps at most 256 distinct endpoints (for its lifetime;
 * clearing the statistics does not free them); the requests of any further
 * endpoint are counted under the one endpoint "OTHER (overflow)".
 *
 * Slow requests: a request that takes longer than the threshold (1.0 s by
 * default; PARAPROF_SLOW_THRESHOLD in seconds, read at the first request; an
 * invalid value gets one warning and the default;
 * paraprof_request_set_slow_threshold()) is counted as slow and gets one
 * line on stderr, or on the descriptor set by paraprof_request_set_log_fd(),
 * written with one write():
 *	paraprof: slow request GET /api/agents/{id} 1.234 s (threshold 1.000 s)
 * At most 10 such lines a second are written (a token bucket: a burst of 10,
 * then one every 100 ms); the others are counted, and the next line that is
 * written ends with " (N more slow requests not shown)"; a count still
 * pending at exit gets a line of its own.  PARAPROF_QUIET silences the lines
 * on stderr, not those on a log descriptor.
 *
 * Threads: every function is safe from any thread, and a request may end on
 * another thread than the one that began it (it is recorded on the thread
 * that ends it).  While recording is disabled, requests are still counted in
 * X-Request-Count and timed for X-Process-Time and still warned about when
 * slow, but not recorded (begun while disabled, or ended while disabled).
 */

#define PARAPROF_ROUTE_MAX 128	/* bytes of an endpoint name, NUL included */

/* One request in progress: a plain value (no allocation, nothing to free)
 * that the server keeps until the response is sent.  Read start, number and
 * route freely; the fields ending in _ are the library's. */
typedef struct paraprof_request {
	uint64_t start;		/* clock ticks at the begin; 0: not begun */
	uint64_t duration_ns;	/* set by paraprof_request_end(); 0 before */
	uint64_t number;	/* requests begun in the process, this one included:
				   its X-Request-Count */
	const void *endpoint_;	/* the library's endpoint; NULL: not recorded */
	uint32_t state_;	/* 0 not begun, 1 begun, 2 ended */
	uint32_t reserved_;
	char route[PARAPROF_ROUTE_MAX];	/* "METHOD /route", NUL-terminated */
} paraprof_request_t;

/*
 * Begins a request for `method` ("GET") and `path` ("/api/agents/42?x=1", as
 * it came in the request line): times it from now, normalises its route
 * into req.route and counts it (header.requests, X-Request-Count).  Returns
 * the handle; with a NULL method or path, a handle that is not begun (state
 * 0: paraprof_request_end() returns PARAPROF_EINVAL).  When profiling is off
 * the handle still gives the elapsed time and the count.
 */
PARAPROF_API_ paraprof_request_t paraprof_request_begin(const char *method, const char *path);

/*
 * Ends *req with the HTTP `status` of its response (its class is counted:
 * 1xx to 5xx, anything else as "other"), on the calling thread: records its
 * duration under its endpoint, sets req->duration_ns, and warns when it was
 * slow.  Returns 0 (also when recording is disabled), PARAPROF_EINVAL (NULL,
 * not begun, or ended already: nothing is recorded twice) or
 * PARAPROF_ENOSYS (profiling is off: not recorded, but timed and warned).
 */
PARAPROF_API_ int paraprof_request_end(paraprof_request_t *req, int status);

/* Seconds since *req began (its duration once it has ended): the value of
 * X-Process-Time.  0.0 for NULL or a request not begun. */
PARAPROF_API_ double paraprof_request_elapsed(const paraprof_request_t *req);

/* Requests begun in the process so far (not reset by clearing the
 * statistics). */
PARAPROF_API_ uint64_t paraprof_request_count(void);

/*
 * Formats the two response headers of *req: X-Process-Time, the seconds
 * elapsed so far with 6 decimals ("0.001234"), into process_time
 * (time_cap bytes), and X-Request-Count, req->number ("42"), into
 * request_count (count_cap bytes).  Either buffer may be NULL (skipped).
 * Returns 0, PARAPROF_ERANGE when a value does not fit its buffer (the
 * buffer then holds ""), PARAPROF_EINVAL for a NULL or not begun request.
 */
PARAPROF_API_ int paraprof_request_headers(const paraprof_request_t *req, char *process_time,
					   size_t time_cap, char *request_count, size_t count_cap);

/*
 * Registers the route template `path_template` ("/api/agents/{name}/tools":
 * starts with '/', printable ASCII without '?' or '#', shorter than
 * PARAPROF_ROUTE_MAX - 17 bytes), tried before the id rules on the path of
 * every request begun afterwards, for every method.  Registering the same
 * template again does nothing.  Returns 0, PARAPROF_EINVAL, or
 * PARAPROF_ENOMEM when 64 templates are registered already.
 */
PARAPROF_API_ int paraprof_request_route(const char *path_template);

/* Sets the slow-request threshold, in seconds (> 0 and at most 1e9), for
 * the requests that end from now on, and stores it in the segment's header.
 * Returns 0 or PARAPROF_EINVAL. */
PARAPROF_API_ int paraprof_request_set_slow_threshold(double seconds);

/* Writes the slow-request lines to descriptor fd (the caller keeps it open
 * while requests may end) instead of stderr; -1 goes back to stderr.
 * Returns 0, or PARAPROF_EINVAL when fd is below -1 or not open. */
PARAPROF_API_ int paraprof_request_set_log_fd(int fd);

/* One endpoint's statistics, summed over every thread.  Times in ns. */
struct paraprof_endpoint_stats {
	const char *endpoint;	/* "METHOD /route"; see the query functions */
	uint64_t count;		/* requests ended and recorded */
	uint64_t avg_ns;
	uint64_t min_ns, max_ns;
	uint64_t p50_ns, p95_ns, p99_ns;	/* within 0.78 % (nearest rank) */
	uint64_t status_1xx, status_2xx, status_3xx, status_4xx, status_5xx;
	uint64_t status_other;	/* statuses outside 100-599 */
	uint64_t errors;	/* 4xx and 5xx */
	uint64_t slow;		/* requests over the slow threshold */
};

/*
 * One endpoint's statistics: fills *stats for
 * `endpoint` (a name as the routes make it: "GET /api/agents/{id}");
 * stats->endpoint is `endpoint`.  Returns 0, PARAPROF_ENOENT when no
 * request of it has been recorded (since the last clear), PARAPROF_EINVAL,
 * PARAPROF_ENOMEM or PARAPROF_ENOSYS.
 */
PARAPROF_API_ int paraprof_request_stats(const char *endpoint, struct paraprof_endpoint_stats *stats);

/*
 * Calls fn(stats, ctx) for every endpoint with recorded requests, in no
 * particular order (stats->endpoint is valid during the call only).  Stops
 * when fn returns non-zero and returns that value; else returns 0,
 * PARAPROF_EINVAL, PARAPROF_ENOMEM or PARAPROF_ENOSYS.
 */
PARAPROF_API_ int paraprof_request_foreach(int (*fn)(const struct paraprof_endpoint_stats *stats, void *ctx),
					   void *ctx);

/* The same as paraprof_clear_stats(), one clear
 * for the whole segment, so it zeroes EVERY statistic (functions, regions,
 * spans, endpoints), not only the endpoints'.  The request count and the
 * endpoints known (the bound) stay.  Returns 0 or PARAPROF_ENOSYS. */
PARAPROF_API_ int paraprof_request_clear_stats(void);

/* ==== end of request profiling =========================================== */

/* ==== cache ============================================================== *
 *
 * A thread-safe key/value cache with least-recently-used eviction at a fixed
 * number of entries, a per-entry time to live, hit/miss statistics and
 * single-flight memoization.  Keys and values are byte strings.
 *
 * Ownership: COPY semantics.  paraprof_cache_set() copies the key and value
 * bytes in; paraprof_cache_get() copies the value out into the caller's
 * memory (paraprof_cache_get_alloc() into a malloc'ed block the caller
 * frees).  Nothing the caller holds ever points into the cache, so a value a
 * caller got stays valid whatever the cache does afterwards.
 *
 * Time: CLOCK_MONOTONIC, in nanoseconds; TTLs are given in seconds (double).
 * A TTL of 0 means "never expires", a negative TTL "the cache's default".
 * An expired entry is a miss; its memory is reclaimed when a lookup or delete
 * finds it, or when a set or an eviction meets it at the old end of its
 * shard (until then it still counts in size and bytes).
 *
 * Eviction: the cache never holds more than max_size entries once every
 * paraprof_cache_set() in progress has returned (while sets run, at most one
 * more per set).  Entries are split by key hash over shards -- one per 32
 * entries of max_size, rounded down to a power of two, 1 to 65536 -- and a set
 * that needs room evicts the least recently used entry of its own shard (of
 * the shard whose oldest entry is oldest, when its own holds nothing else).
 * With one shard (max_size < 64) that is the cache's least recently used
 * entry; with more, an approximation of it.  To keep lookups from writing to
 * memory that other cores read, a use is recorded only when it moves the
 * entry's last recorded use by more than 1/8 of the age of its shard's oldest
 * entry, so the evicted entry may have been used later than another entry of
 * its shard by at most that much; uses in the same nanosecond tie.  The byte
 * limit (keys plus values) evicts the same way until the bytes fit.
 *
 * Threads: every function may be called from any thread.  Lookups take no
 * lock and do not wait for one another (they take the shard's mutex while a
 * change is under way in that shard, and in threads beyond the 128th); sets,
 * deletes and evictions take the mutex of one shard and wait for the lookups
 * in that shard to finish.  Not async-signal-safe.  After fork() the child
 * may use a cache only when no other thread of the parent was inside a
 * function of that cache; its caches are no longer published (the parent's
 * profile does not count the child's lookups).  A compute function
 * (memoization) must not look up its own key: it would wait for itself.
 *
 * Statistics: a cache created with a name publishes its counters in the
 * profiling segment (its creation makes the segment, as an instrumented call
 * would), and paraprof-report shows them in its Caches section.  There,
 * hits and misses are brought up to date every few hundred lookups, and
 * exactly by paraprof_cache_stats(), paraprof_cache_free() and at exit.
 */

typedef struct paraprof_cache paraprof_cache_t;

struct paraprof_cache_stats {
	uint64_t hits;		/* lookups that found a live entry */
	uint64_t misses;	/* lookups that did not (expired ones included) */
	double hit_rate;	/* hits / (hits + misses); 0 before any lookup */
	uint64_t size;		/* entries now (expired, not yet reclaimed included) */
	uint64_t max_size;	/* entry limit */
	uint64_t evictions;	/* entries removed to make room (LRU) */
	uint64_t expirations;	/* entries removed because their TTL had passed */
	uint64_t sets;		/* successful paraprof_cache_set() and stores */
	uint64_t deletes;	/* entries removed by paraprof_cache_delete() */
	uint64_t bytes;		/* bytes of keys and values now */
	uint64_t max_bytes;	/* byte limit, 0 = none */
};

/*
 * Creates a cache of at most max_size entries whose entries live
 * default_ttl_s seconds unless set says otherwise (0 = no expiry).  A non-NULL
 * name (copied) publishes the statistics under that name; NULL keeps them
 * private.  Returns the cache, which the caller frees with
 * paraprof_cache_free(), or NULL with errno set: EINVAL when max_size is 0 or
 * default_ttl_s is negative or not a number, ENOMEM when out of memory.
 */
PARAPROF_API_ paraprof_cache_t *paraprof_cache_new(const char *name, size_t max_size,
						   double default_ttl_s);

/*
 * Frees the cache and every entry.  No other thread may use the cache during
 * or after the call.  Its published statistics stay in the segment, marked
 * freed.  NULL is a no-op.
 */
PARAPROF_API_ void paraprof_cache_free(paraprof_cache_t *cache);

/*
 * Looks key up.  On a hit copies the value into buf (cap bytes), stores its
 * length in *len (when len is not NULL), makes the entry the most recently
 * used and returns 0.  Returns PARAPROF_ENOENT on a miss (absent or expired),
 * PARAPROF_ERANGE when the value is longer than cap (nothing copied; *len gets
 * the length needed; counted as neither hit nor miss, so the retry counts
 * once), PARAPROF_EINVAL when cache or key is NULL or buf is NULL with cap > 0.
 */
PARAPROF_API_ int paraprof_cache_get(paraprof_cache_t *cache, const void *key, size_t key_len,
				     void *buf, size_t cap, size_t *len);

/*
 * Like paraprof_cache_get(), but on a hit stores in *value a malloc'ed copy
 * of the value (the caller frees it; a zero-length value still gets a
 * 1-byte block) and its length in *len.  Returns 0, PARAPROF_ENOENT,
 * PARAPROF_ENOMEM (no copy could be made; counted as neither hit nor miss),
 * or PARAPROF_EINVAL.  *value is NULL whenever the return is not 0.
 */
PARAPROF_API_ int paraprof_cache_get_alloc(paraprof_cache_t *cache, const void *key,
					   size_t key_len, void **value, size_t *len);

/*
 * Stores a copy of value (value_len bytes; value may be NULL when value_len is
 * 0) under a copy of key, replacing any previous value, as the most recently
 * used entry.  ttl_s: seconds to live, 0 = never expires, negative = the
 * cache's default.  Evicts least recently used entries when the cache is at
 * max_size or over its byte limit.  Returns 0; PARAPROF_EINVAL for a NULL
 * cache or key or a TTL that is not a number; PARAPROF_E2BIG when key_len +
 * value_len exceeds the byte limit; PARAPROF_ENOMEM when out of memory.  On
 * error the previous value, if any, is still there.
 */
PARAPROF_API_ int paraprof_cache_set(paraprof_cache_t *cache, const void *key, size_t key_len,
				     const void *value, size_t value_len, double ttl_s);

/* Removes key.  Returns 0, PARAPROF_ENOENT when it was absent or had expired,
 * or PARAPROF_EINVAL. */
PARAPROF_API_ int paraprof_cache_delete(paraprof_cache_t *cache, const void *key,
					size_t key_len);

/* Removes every entry (statistics other than size and bytes are kept).
 * Returns 0 or PARAPROF_EINVAL. */
PARAPROF_API_ int paraprof_cache_clear(paraprof_cache_t *cache);

/* Fills *stats with the cache's statistics.  Each counter is exact; they are
 * read one after the other, not as one snapshot.  Returns 0 or
 * PARAPROF_EINVAL. */
PARAPROF_API_ int paraprof_cache_stats(paraprof_cache_t *cache,
				       struct paraprof_cache_stats *stats);

/*
 * Sets a limit on the bytes of keys plus values (entry overhead not counted;
 * 0 = no limit) and evicts least recently used entries until the cache is
 * within it.  Returns 0 or PARAPROF_EINVAL.
 */
PARAPROF_API_ int paraprof_cache_set_max_bytes(paraprof_cache_t *cache, size_t max_bytes);

/*
 * For tests: makes the cache read the time from now_ns(ctx) (nanoseconds,
 * must not go backwards) instead of CLOCK_MONOTONIC; NULL restores the
 * monotonic clock.  Call it before the cache is shared between threads.
 * Returns 0 or PARAPROF_EINVAL.
 */
PARAPROF_API_ int paraprof_cache_set_clock(paraprof_cache_t *cache,
					   uint64_t (*now_ns)(void *ctx), void *ctx);

/*
 * The process-wide cache "global" (max_size 1000, default TTL 300 s),
 * created on first use, thread-safe.  Never free it.  Returns NULL only when
 * it could not be created (out of memory); a later call tries again.
 */
PARAPROF_API_ paraprof_cache_t *paraprof_get_cache(void);

/*
 * Builds a key snprintf-style into buf (cap bytes): returns its length
 * (without the terminating NUL, which is written too), PARAPROF_ERANGE when it
 * does not fit, PARAPROF_EINVAL when buf or fmt is NULL.
 */
int paraprof_cache_key(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- memoization ---- *
 *
 * Single flight: when several threads miss the same key at once, the first
 * computes and the others wait (on a condition variable of that key) and then
 * receive the value it computed.  When the computation fails, its error is
 * returned to the computing thread and to every thread that waited for it;
 * nothing is cached, and the next call computes again.  A value computed but
 * not storable (over the byte limit, out of memory) is still returned to the
 * computing thread and the waiters.  Threads that waited count as misses.
 */

/*
 * Computes a value into out (cap bytes): returns 0 and stores its length in
 * *len, or a negative error code (PARAPROF_ERANGE when cap is too small, or
 * one of the caller's own).
 */
typedef int (*paraprof_compute_fn)(void *ctx, const void *key, size_t key_len,
				   void *out, size_t cap, size_t *len);

/*
 * Returns the value of key: from the cache on a hit; otherwise computed by
 * compute(ctx, key, key_len, out, cap, len) -- once across concurrent callers
 * -- and stored with ttl_s (as in paraprof_cache_set()).  The value is copied
 * into out and its length into *len.  Returns 0, the compute function's
 * error, PARAPROF_ERANGE (cap too small for a cached or computed value; *len
 * gets the length needed), PARAPROF_ENOMEM, or PARAPROF_EINVAL.
 */
PARAPROF_API_ int paraprof_cache_memoize(paraprof_cache_t *cache, const void *key,
					 size_t key_len, double ttl_s,
					 paraprof_compute_fn compute, void *ctx,
					 void *out, size_t cap, size_t *len);

/*
 * The two halves of a memoized lookup, for callers (and PARAPROF_CACHED) that
 * compute inline.  paraprof_cache_begin() returns 0 when the value was copied
 * into buf (hit, or another thread computed it), PARAPROF_COMPUTE when the
 * caller must compute it and then call paraprof_cache_finish() with *flight
 * (exactly once, also when computing fails: pass the error as rc), or an
 * error code (as paraprof_cache_get(), or the computing thread's error).
 * paraprof_cache_finish() stores the value (when rc is 0), wakes the
 * waiters, releases the flight and returns rc.
 */
#define PARAPROF_COMPUTE 1
typedef struct paraprof_flight paraprof_flight_t;

PARAPROF_API_ int paraprof_cache_begin(paraprof_cache_t *cache, const void *key,
				       size_t key_len, void *buf, size_t cap, size_t *len,
				       paraprof_flight_t **flight);
PARAPROF_API_ int paraprof_cache_finish(paraprof_flight_t *flight, const void *value,
					size_t value_len, double ttl_s, int rc);

/*
 * PARAPROF_CACHED(cache, ttl_s, key, key_len, var, expr): the C spelling of
 * @cached(ttl=...).  Sets the object var from the cache, or evaluates expr
 * (once across concurrent callers), assigns it to var and caches its
 * sizeof(var) bytes.  Evaluates to 0 or a negative error code (var is then
 * unchanged; PARAPROF_ERANGE when the cached value under key is not
 * sizeof(var) bytes long).  A GNU C statement expression (gcc, clang).
 *
 *	char key[32];
 *	double r;
 *	int klen = paraprof_cache_key(key, sizeof key, "fib:%d", n);
 *	int rc = PARAPROF_CACHED(paraprof_get_cache(), 300, key, klen, r, fib(n));
 */
#define PARAPROF_CACHED(cache, ttl_s, key, key_len, var, expr) __extension__ ({\
	paraprof_flight_t *pp_flight_;					\
	size_t pp_len_ = 0;						\
	__typeof__(var) pp_val_;					\
	int pp_rc_ = paraprof_cache_begin((cache), (key), (key_len),	\
					  &pp_val_, sizeof(pp_val_),	\
					  &pp_len_, &pp_flight_);	\
	if (pp_rc_ == PARAPROF_COMPUTE) {				\
		pp_val_ = (expr);					\
		pp_len_ = sizeof(pp_val_);				\
		pp_rc_ = paraprof_cache_finish(pp_flight_, &pp_val_,	\
					       sizeof(pp_val_), (ttl_s), 0);\
	}								\
	if (pp_rc_ == 0 && pp_len_ != sizeof(pp_val_))			\
		pp_rc_ = PARAPROF_ERANGE;				\
	if (pp_rc_ == 0)						\
		(var) = pp_val_;					\
	pp_rc_;								\
})

/* ==== end of cache ======================================================= */

/* ==== without the library ================================================ *
 *
 * A program that uses this API builds, links and runs unchanged without
 * libparaprof: every function is referenced weakly, and every call goes
 * through a wrapper (a static inline function, never instrumented; a macro
 * for paraprof_cache_key) that makes it only when the function is there
 * (preloaded, or linked with -lparaprof) and otherwise does nothing and
 * yields: PARAPROF_ENOSYS for int results, NULL for pointers (errno ENOSYS
 * for paraprof_cache_new), an ignored span, a request not begun (state 0),
 * 0.0 from paraprof_request_elapsed(), 0 from paraprof_request_count(),
 * snprintf()'s result for paraprof_cache_key(), "libparaprof is not loaded"
 * and "ENOSYS" from paraprof_strerror() and paraprof_err_name(), and
 * "compute it yourself" for paraprof_cache_begin()
 * so that PARAPROF_CACHED still produces its value.  (The library itself is
 * built with PARAPROF_BUILDING_LIBRARY.)  Weak references to a library that
 * is preloaded need a position-independent executable (gcc's default on
 * Debian); a -no-pie program links -lparaprof instead.
 *
 * PARAPROF_FUNCTIONS is the one list of the functions above (save
 * paraprof_cache_key, variadic, whose wrapper is written out below): a new
 * function is documented above with PARAPROF_API_ and added here, nowhere
 * else.  F(type, name, (parameters), (arguments), value without the library)
 * for a function that returns a value, V(name, (parameters), (arguments))
 * for one that returns nothing.  In a program the list defines each function
 * as a static inline wrapper that calls the library's function through a
 * weak reference when it is there; in the library it only checks that the
 * list agrees with the prototypes.  tests/integration/api_exports.sh checks
 * that the list and the symbols libparaprof.so exports agree.
 */
#define PARAPROF_FUNCTIONS(F, V)						\
	F(const char *, paraprof_strerror, (int err), (err),			\
	  "libparaprof is not loaded")						\
	F(const char *, paraprof_err_name, (int err), (err), "ENOSYS")		\
	F(int, paraprof_enable, (void), (), PARAPROF_ENOSYS)			\
	F(int, paraprof_disable, (void), (), PARAPROF_ENOSYS)			\
	F(int, paraprof_is_enabled, (void), (), PARAPROF_ENOSYS)		\
	F(int, paraprof_clear_stats, (void), (), PARAPROF_ENOSYS)		\
	F(int, paraprof_region_begin, (const char *name, unsigned flags),	\
	  (name, flags), PARAPROF_ENOSYS)					\
	F(int, paraprof_region_end, (void), (), PARAPROF_ENOSYS)		\
	F(paraprof_span_t, paraprof_span_begin, (const char *name), (name),	\
	  PARAPROF_SPAN_NONE_)							\
	F(int, paraprof_span_end, (paraprof_span_t span), (span),		\
	  PARAPROF_ENOSYS)							\
	F(int, paraprof_get_stats,						\
	  (const char *name, struct paraprof_stats *stats), (name, stats),	\
	  PARAPROF_ENOSYS)							\
	F(int, paraprof_foreach_stats,						\
	  (int (*fn)(const struct paraprof_stats *stats, void *ctx), void *ctx),\
	  (fn, ctx), PARAPROF_ENOSYS)						\
	F(paraprof_request_t, paraprof_request_begin,				\
	  (const char *method, const char *path), (method, path),		\
	  PARAPROF_REQUEST_NONE_)						\
	F(int, paraprof_request_end, (paraprof_request_t *req, int status),	\
	  (req, status), PARAPROF_ENOSYS)					\
	F(double, paraprof_request_elapsed, (const paraprof_request_t *req),	\
	  (req), 0.0)								\
	F(uint64_t, paraprof_request_count, (void), (), 0)			\
	F(int, paraprof_request_headers,					\
	  (const paraprof_request_t *req, char *process_time, size_t time_cap,	\
	   char *request_count, size_t count_cap),				\
	  (req, process_time, time_cap, request_count, count_cap),		\
	  PARAPROF_ENOSYS)							\
	F(int, paraprof_request_route, (const char *path_template),		\
	  (path_template), PARAPROF_ENOSYS)					\
	F(int, paraprof_request_set_slow_threshold, (double seconds),		\
	  (seconds), PARAPROF_ENOSYS)						\
	F(int, paraprof_request_set_log_fd, (int fd), (fd), PARAPROF_ENOSYS)	\
	F(int, paraprof_request_stats,						\
	  (const char *endpoint, struct paraprof_endpoint_stats *stats),	\
	  (endpoint, stats), PARAPROF_ENOSYS)					\
	F(int, paraprof_request_foreach,					\
	  (int (*fn)(const struct paraprof_endpoint_stats *stats, void *ctx),	\
	   void *ctx), (fn, ctx), PARAPROF_ENOSYS)				\
	F(int, paraprof_request_clear_stats, (void), (), PARAPROF_ENOSYS)	\
	F(paraprof_cache_t *, paraprof_cache_new,				\
	  (const char *name, size_t max_size, double default_ttl_s),		\
	  (name, max_size, default_ttl_s),					\
	  PARAPROF_NOSYS_PTR_(paraprof_cache_t *))				\
	V(paraprof_cache_free, (paraprof_cache_t *cache), (cache))		\
	F(int, paraprof_cache_get,						\
	  (paraprof_cache_t *cache, const void *key, size_t key_len, void *buf,	\
	   size_t cap, size_t *len),						\
	  (cache, key, key_len, buf, cap, len), PARAPROF_ENOSYS)		\
	F(int, paraprof_cache_get_alloc,					\
	  (paraprof_cache_t *cache, const void *key, size_t key_len,		\
	   void **value, size_t *len),						\
	  (cache, key, key_len, value, len), PARAPROF_ENOSYS)			\
	F(int, paraprof_cache_set,						\
	  (paraprof_cache_t *cache, const void *key, size_t key_len,		\
	   const void *value, size_t value_len, double ttl_s),			\
	  (cache, key, key_len, value, value_len, ttl_s), PARAPROF_ENOSYS)	\
	F(int, paraprof_cache_delete,						\
	  (paraprof_cache_t *cache, const void *key, size_t key_len),		\
	  (cache, key, key_len), PARAPROF_ENOSYS)				\
	F(int, paraprof_cache_clear, (paraprof_cache_t *cache), (cache),	\
	  PARAPROF_ENOSYS)							\
	F(int, paraprof_cache_stats,						\
	  (paraprof_cache_t *cache, struct paraprof_cache_stats *stats),	\
	  (cache, stats), PARAPROF_ENOSYS)					\
	F(int, paraprof_cache_set_max_bytes,					\
	  (paraprof_cache_t *cache, size_t max_bytes), (cache, max_bytes),	\
	  PARAPROF_ENOSYS)							\
	F(int, paraprof_cache_set_clock,					\
	  (paraprof_cache_t *cache, uint64_t (*now_ns)(void *ctx), void *ctx),	\
	  (cache, now_ns, ctx), PARAPROF_ENOSYS)				\
	F(paraprof_cache_t *, paraprof_get_cache, (void), (),			\
	  PARAPROF_NOSYS_PTR_(paraprof_cache_t *))				\
	F(int, paraprof_cache_memoize,						\
	  (paraprof_cache_t *cache, const void *key, size_t key_len,		\
	   double ttl_s, paraprof_compute_fn compute, void *ctx, void *out,	\
	   size_t cap, size_t *len),						\
	  (cache, key, key_len, ttl_s, compute, ctx, out, cap, len),		\
	  PARAPROF_ENOSYS)							\
	F(int, paraprof_cache_begin,						\
	  (paraprof_cache_t *cache, const void *key, size_t key_len, void *buf,	\
	   size_t cap, size_t *len, paraprof_flight_t **flight),		\
	  (cache, key, key_len, buf, cap, len, flight), PARAPROF_COMPUTE)	\
	F(int, paraprof_cache_finish,						\
	  (paraprof_flight_t *flight, const void *value, size_t value_len,	\
	   double ttl_s, int rc),						\
	  (flight, value, value_len, ttl_s, rc), 0)

#ifdef PARAPROF_BUILDING_LIBRARY
/* The list and the prototypes above must agree: a redeclaration that does
 * not match them is an error. */
#define PARAPROF_CHECK_F_(type, fn, params, args, otherwise) type fn params;
#define PARAPROF_CHECK_V_(fn, params, args) void fn params;
PARAPROF_FUNCTIONS(PARAPROF_CHECK_F_, PARAPROF_CHECK_V_)
#undef PARAPROF_CHECK_F_
#undef PARAPROF_CHECK_V_
#else
#include <stdio.h>

/* The library's function `fn`, referenced weakly under its own symbol: its
 * address is 0 when the library is not there.  The wrapper, called fn in C,
 * gets the symbol fn_inline_, or the reference would bind to it. */
#define PARAPROF_LIB_(fn) fn##_lib_
#define PARAPROF_WEAK_(type, fn, params)					\
	PARAPROF_API_ type fn params __asm__(#fn "_inline_");			\
	extern type PARAPROF_LIB_(fn) params __asm__(#fn) __attribute__((weak));
#define PARAPROF_NOSYS_PTR_(type) (errno = ENOSYS, (type)0)
#define PARAPROF_SPAN_NONE_ ((paraprof_span_t){ 0, 0 })
#define PARAPROF_REQUEST_NONE_ ((paraprof_request_t){ 0, 0, 0, 0, 0, 0, { 0 } })
#define PARAPROF_WRAP_F_(type, fn, params, args, otherwise)			\
	PARAPROF_WEAK_(type, fn, params)					\
	PARAPROF_API_ type fn params						\
	{									\
		return PARAPROF_LIB_(fn) ? PARAPROF_LIB_(fn) args : (otherwise);\
	}
#define PARAPROF_WRAP_V_(fn, params, args)					\
	PARAPROF_WEAK_(void, fn, params)					\
	PARAPROF_API_ void fn params						\
	{									\
		if (PARAPROF_LIB_(fn))						\
			PARAPROF_LIB_(fn) args;					\
	}
PARAPROF_FUNCTIONS(PARAPROF_WRAP_F_, PARAPROF_WRAP_V_)

/* paraprof_cache_key, variadic, cannot be wrapped by a function: a macro
 * calls it, or snprintf() without the library. */
#pragma weak paraprof_cache_key
#define paraprof_cache_key(...) ((paraprof_cache_key) ?			\
	(paraprof_cache_key)(__VA_ARGS__) : snprintf(__VA_ARGS__))
#endif /* !PARAPROF_BUILDING_LIBRARY */

/* The cleanup of PARAPROF_REGION: ends the region if the library is there.
 * Never instrumented: in a program built with -finstrument-functions it is
 * the library's own code, not a function of the program. */
__attribute__((no_instrument_function))
static inline void paraprof_region_cleanup_(int *unused)
{
	(void)unused;
	paraprof_region_end();
}

#ifdef __cplusplus
}
#endif

#endif /* PARAPROF_H */
