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
	XX(ERANGE, -ERANGE, "buffer too small for the value")

enum paraprof_errno {
#define PARAPROF_ERRNO_ENUM_(name, value, msg) PARAPROF_##name = (value),
	PARAPROF_ERRNO_MAP(PARAPROF_ERRNO_ENUM_)
#undef PARAPROF_ERRNO_ENUM_
};

/* The message of an error code ("invalid argument"); "unknown error" for a
 * value not in the table.  The string is static: never free it. */
const char *paraprof_strerror(int err);

/* The name of an error code ("EINVAL"); "UNKNOWN" for a value not in the
 * table.  The string is static. */
const char *paraprof_err_name(int err);

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
 * entries of max_size, rounded down to a power of two, 1 to 64 -- and a set
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
 * in that shard to finish.  Not
 * async-signal-safe.  After fork() the child may use a cache only when no
 * other thread of the parent was inside a function of that cache.
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
paraprof_cache_t *paraprof_cache_new(const char *name, size_t max_size,
				     double default_ttl_s);

/*
 * Frees the cache and every entry.  No other thread may use the cache during
 * or after the call.  Its published statistics stay in the segment, marked
 * freed.  NULL is a no-op.
 */
void paraprof_cache_free(paraprof_cache_t *cache);

/*
 * Looks key up.  On a hit copies the value into buf (cap bytes), stores its
 * length in *len (when len is not NULL), makes the entry the most recently
 * used and returns 0.  Returns PARAPROF_ENOENT on a miss (absent or expired),
 * PARAPROF_ERANGE when the value is longer than cap (nothing copied; *len gets
 * the length needed; counted as neither hit nor miss, so the retry counts
 * once), PARAPROF_EINVAL when cache or key is NULL or buf is NULL with cap > 0.
 */
int paraprof_cache_get(paraprof_cache_t *cache, const void *key, size_t key_len,
		       void *buf, size_t cap, size_t *len);

/*
 * Like paraprof_cache_get(), but on a hit stores in *value a malloc'ed copy
 * of the value (the caller frees it; a zero-length value still gets a
 * 1-byte block) and its length in *len.  Returns 0, PARAPROF_ENOENT,
 * PARAPROF_ENOMEM (no copy could be made; counted as neither hit nor miss),
 * or PARAPROF_EINVAL.  *value is NULL whenever the return is not 0.
 */
int paraprof_cache_get_alloc(paraprof_cache_t *cache, const void *key,
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
int paraprof_cache_set(paraprof_cache_t *cache, const void *key, size_t key_len,
		       const void *value, size_t value_len, double ttl_s);

/* Removes key.  Returns 0, PARAPROF_ENOENT when it was absent or had expired,
 * or PARAPROF_EINVAL. */
int paraprof_cache_delete(paraprof_cache_t *cache, const void *key,
			  size_t key_len);

/* Removes every entry (statistics other than size and bytes are kept).
 * Returns 0 or PARAPROF_EINVAL. */
int paraprof_cache_clear(paraprof_cache_t *cache);

/* Fills *stats with the cache's statistics.  Each counter is exact; they are
 * read one after the other, not as one snapshot.  Returns 0 or
 * PARAPROF_EINVAL. */
int paraprof_cache_stats(paraprof_cache_t *cache,
			 struct paraprof_cache_stats *stats);

/*
 * Sets a limit on the bytes of keys plus values (entry overhead not counted;
 * 0 = no limit) and evicts least recently used entries until the cache is
 * within it.  Returns 0 or PARAPROF_EINVAL.
 */
int paraprof_cache_set_max_bytes(paraprof_cache_t *cache, size_t max_bytes);

/*
 * For tests: makes the cache read the time from now_ns(ctx) (nanoseconds,
 * must not go backwards) instead of CLOCK_MONOTONIC; NULL restores the
 * monotonic clock.  Call it before the cache is shared between threads.
 * Returns 0 or PARAPROF_EINVAL.
 */
int paraprof_cache_set_clock(paraprof_cache_t *cache,
			     uint64_t (*now_ns)(void *ctx), void *ctx);

/*
 * The process-wide cache "global" (max_size 1000, default TTL 300 s),
 * created on first use, thread-safe.  Never free it.  Returns NULL only when
 * it could not be created (out of memory); a later call tries again.
 */
paraprof_cache_t *paraprof_get_cache(void);

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
int paraprof_cache_memoize(paraprof_cache_t *cache, const void *key,
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

int paraprof_cache_begin(paraprof_cache_t *cache, const void *key,
			 size_t key_len, void *buf, size_t cap, size_t *len,
			 paraprof_flight_t **flight);
int paraprof_cache_finish(paraprof_flight_t *flight, const void *value,
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

#ifdef __cplusplus
}
#endif

#endif /* PARAPROF_H */
