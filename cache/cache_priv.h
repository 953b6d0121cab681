/* cache_priv.h - the cache's private part, shared by the files of cache/
 *
 * A sharded TTL + LRU cache with statistics and single flight.  The files:
 * lock.c (reader slots, shard locking, fork), shard.c (allocation, the
 * ordered lists, eviction), stats.c (counters and their publication),
 * flight.c (memoization and single flight), api.c (creation, lookups, stores,
 * the global cache).  The public API is in include/paraprof.h; cache.h holds
 * what tests, benchmarks and the runtime's lifecycle (fork, exit) use.  The
 * cache's one link to the profiler is cache_segment_slot()
 * (preload/cache_slot.c).
 *
 * A cache is 1 to 65536 shards; a key's hash picks its shard.  A shard has a
 * mutex, a chained hash table and a list of its entries ordered by the time
 * each was placed in it (newest first), and owns its entries: one allocation
 * each, a copy of the key followed by a copy of the value.  Callers never see
 * an entry: set copies in, get copies out, so nothing a caller holds dangles.
 *
 * Reading without writing.  A hit that took the shard's mutex and moved the
 * entry to the front of an LRU list would write three or four cache lines
 * that every other core also writes, and two threads would run no faster
 * than one.  So a lookup takes no lock: the thread announces the shard it
 * reads in its own reader slot (a cache line no one else writes) and checks
 * the shard's `writer` flag; anything that changes a shard takes its mutex,
 * raises `writer` and waits until no reader slot names the shard.  (A
 * distributed reader-writer lock, the idea of Linux's brlock and of BRAVO,
 * Dice & Kogan, 2019.)  Both sides use sequentially consistent store-then-load
 * on (slot, flag), so at least one of them sees the other: a reader that sees
 * `writer` set backs off to the mutex.  Entries are freed only after their
 * writer has drained the readers, so a reader never touches freed memory.
 *
 * LRU from recorded use times.  A hit cannot reorder the list, so it stores
 * the time of the use in the entry (`used_ns`, a relaxed atomic) -- and only
 * when that moves the recorded time by more than 1/8 of the age of the
 * shard's oldest entry, so that hot entries are not written on every hit.
 * Eviction looks at the oldest placed entry: if it was used after it was
 * placed, it is re-placed at its use time, in order, and the next oldest is
 * looked at.  An entry that was not used since it was placed has the least
 * recorded use of all (every other entry was placed, or used, no earlier), so
 * it is the one evicted.  Hence the guarantee: the evicted entry's last use is
 * older than any other entry's of its shard, or newer by at most 1/8 of the
 * age of the shard's oldest entry.  Uses in the same nanosecond tie.
 *
 * Limits.  The entry count and the key+value bytes are global counters (the
 * `size` and `bytes` statistics).  A set that takes the count past max_size
 * evicts exactly one entry: the least recently used of its own shard other
 * than the new one, or, when its shard holds nothing else, of another shard
 * after it has let go of its own mutex (mutexes are never nested).  So the
 * count exceeds max_size only while sets are in progress, by at most one per
 * set.  The byte limit works the same way, evicting until the bytes fit.
 *
 * Time.  An entry stores the monotonic time it expires at (0 = never).  A
 * lookup that finds an expired entry counts a miss and an expiration and
 * frees it; a set first reclaims up to two expired entries from the old end
 * of its shard; an eviction that picks an expired entry counts an expiration.
 *
 * Statistics.  Counters live in a struct ppf_cache: a slot of the profiling
 * segment for a named cache (so that paraprof-report shows them), else one
 * embedded in the cache.  Rare events are added to it with relaxed atomic
 * adds.  Hits and misses, which every lookup makes, go to one of 16 stripes of
 * the cache (a thread always uses the same stripe: its own cache line while
 * there are at most 16 threads), and the segment's counters are raised to the
 * stripes' sum every CACHE_PUBLISH_EVERY lookups of a stripe, and by
 * paraprof_cache_stats(), free, and cache_publish_all(), which the runtime
 * calls at exit just before it writes the dump (preload/init.c).
 *
 * Single flight.  A shard also lists the keys being computed (struct
 * paraprof_flight).  A thread that misses a key someone is computing waits on
 * that flight's condition variable (with the shard's mutex) and takes the
 * value or the error from it; the last thread to leave frees it.
 *
 * The hash is the folded 128-bit multiply ("mum") of wyhash (public domain),
 * seeded per cache.
 */
#ifndef PARAPROF_CACHE_PRIV_H
#define PARAPROF_CACHE_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "paraprof/format.h"
#include "cache.h"

#ifndef PP_EXPORT
#define PP_EXPORT __attribute__((visibility("default")))
#endif
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* A stripe raises the published hits/misses once per this many (power of 2). */
#define CACHE_PUBLISH_EVERY 256
/* Stripes of the hit/miss counters (power of 2). */
#define CACHE_STRIPES 16
/* Buckets a shard starts with; the table doubles at load factor 1. */
#define CACHE_INITIAL_BUCKETS 8
/* Expired entries a set reclaims from the old end of its shard. */
#define CACHE_REAP_PER_SET 2
/* cache_read_fast(): the mutex path must decide. */
#define CACHE_SLOW 2

/* ---- data structures ------------------------------------------------------ */

struct cache_link {
	struct cache_link *next;	/* toward older */
	struct cache_link *prev;	/* toward newer */
};

struct cache_entry {
	struct cache_link lru;		/* first member: a link is its entry */
	struct cache_entry *hnext;	/* next in the hash chain */
	uint64_t hash;			/* of the key, seeded */
	uint64_t expires_ns;		/* monotonic time it expires at, 0 = never */
	uint64_t placed_ns;		/* the time that orders it in the list */
	uint64_t used_ns;		/* last recorded use (atomic: readers write it) */
	size_t key_len;			/* bytes */
	size_t value_len;		/* bytes */
	unsigned char data[];		/* key_len bytes of key, then the value */
};

struct paraprof_flight {
	struct paraprof_flight *next;	/* in its shard's list while computing */
	paraprof_cache_t *cache;
	struct cache_shard *shard;
	pthread_cond_t done_cv;		/* broadcast when done is set */
	uint64_t hash;
	unsigned refs;			/* the computing thread + waiters */
	int done;			/* 1 once finished */
	int rc;				/* the outcome the waiters get */
	void *value;			/* copy for the waiters (owned), or NULL */
	size_t value_len;		/* bytes */
	size_t key_len;			/* bytes */
	unsigned char key[];
};

/* Everything but `writer` is read by lock-free readers only while `writer` is
 * 0, and written only by the mutex holder while it is 1. */
struct cache_shard {
	pthread_mutex_t lock;		/* serialises changes to the shard */
	int writer;			/* 1 while the mutex holder may change it */
	struct cache_link lru;		/* next = newest placed, prev = oldest */
	struct cache_entry **buckets;	/* nbuckets chains */
	size_t nbuckets;		/* power of two */
	size_t count;			/* entries */
	uint64_t bytes;			/* keys + values of the entries */
	uint64_t oldest_ns;		/* placed_ns of the oldest entry, or
					   UINT64_MAX when there is none
					   (atomic: cache_evict_elsewhere() peeks) */
	struct paraprof_flight *flights;/* keys being computed */
} __attribute__((aligned(64)));

/* Hits and misses counted by the threads that use this stripe. */
struct cache_stripe {
	uint64_t hits;
	uint64_t misses;
} __attribute__((aligned(64)));

struct paraprof_cache {
	struct cache_shard *shards;	/* nshards of them, 64-byte aligned */
	struct cache_stripe *stripes;	/* CACHE_STRIPES, after the shards */
	void *mem;			/* the allocation behind shards and stripes */
	unsigned nshards;		/* power of two */
	unsigned flags;			/* CACHE_* */
	uint64_t seed;			/* of the hash */
	uint64_t max_size;		/* entries */
	uint64_t default_ttl_ns;	/* 0 = never expires */
	uint64_t (*now_ns)(void *ctx);	/* the clock, ns */
	void *now_ctx;
	struct ppf_cache *stats;	/* published counters: segment slot or &own */
	char *name;			/* owned copy, or NULL */
	paraprof_cache_t *reg_next;	/* registry of published caches */
	paraprof_cache_t **reg_pprev;	/* NULL when not registered */
	struct ppf_cache own;		/* the counters when not published */
};

struct cache_reader {
	struct cache_shard *reading;	/* shard being read lock-free, or NULL */
	int owner;			/* 1 while a thread holds the slot */
} __attribute__((aligned(64)));

/* Where a lookup puts the value: the caller's buffer, or a new copy. */
struct cache_out {
	void *buf;		/* caller's buffer (cap bytes), when !alloc */
	size_t cap;		/* bytes */
	size_t len;		/* the value's length, after a hit or ERANGE */
	void *copy;		/* the malloc'ed copy, when alloc */
	bool alloc;
};

/* ---- the link to the profiler (preload/cache_slot.c) ---------------------- */

/*
 * A fresh statistics slot in the profiling segment for a cache called name,
 * making the segment first if there is none yet; NULL when there is no
 * segment or no free slot (the cache then keeps its counters to itself).
 */
struct ppf_cache *cache_segment_slot(const char *name);

/* ---- shard.c: allocation, entries, eviction ---- */

void *cache_alloc(size_t size);
uint64_t shard_link(paraprof_cache_t *c, struct cache_shard *sh,
		    struct cache_entry *e);
void shard_unlink(paraprof_cache_t *c, struct cache_shard *sh,
		  struct cache_entry *e);
struct cache_entry *shard_evict(paraprof_cache_t *c, struct cache_shard *sh,
				const struct cache_entry *keep, uint64_t now,
				uint64_t cutoff);
void free_chain(struct cache_entry *e);
void cache_evict_elsewhere(paraprof_cache_t *c, unsigned skip,
			   uint64_t count, uint64_t now);

/* ---- lock.c: reader slots, shard locking, fork ---- */

extern __thread struct cache_reader *cache_my_reader;
extern __thread int cache_reader_tried;
extern __thread unsigned cache_my_stripe;
extern unsigned cache_stripe_next;

struct cache_reader *cache_reader_claim(void);
void shard_lock(const paraprof_cache_t *c, struct cache_shard *sh);
void shard_unlock(const paraprof_cache_t *c, struct cache_shard *sh);
void shard_wait(const paraprof_cache_t *c, struct cache_shard *sh,
		pthread_cond_t *cv);

/* ---- stats.c: counters ---- */

void cache_count(const paraprof_cache_t *c, uint64_t *hits, uint64_t *misses);
void cache_publish(paraprof_cache_t *c);
void cache_register(paraprof_cache_t *c);
void cache_unregister(paraprof_cache_t *c);
/* fork() child: stops publishing every cache (see lock.c, cache_fork_child). */
void cache_stats_after_fork(void);

/* ---- api.c ---- */

struct cache_entry *cache_find_live(paraprof_cache_t *c,
				    struct cache_shard *sh, uint64_t hash,
				    const void *key, size_t key_len,
				    uint64_t now, struct cache_entry **expired);
/* Serves a live entry of a locked shard and unlocks it (api.c has the
 * contract). */
int cache_serve(paraprof_cache_t *c, struct cache_shard *sh,
		struct cache_entry *e, uint64_t now, struct cache_out *o,
		struct cache_entry *expired);
/* fork() child: the global cache's mutex is free again. */
void cache_global_after_fork(void);

/* ---- inline helpers of the hot path ---- */

static inline struct cache_reader *cache_reader(void)
{
	if (likely(cache_my_reader != NULL))
		return cache_my_reader;
	if (cache_reader_tried)
		return NULL;
	return cache_reader_claim();
}

static inline struct cache_stripe *cache_stripe(const paraprof_cache_t *c)
{
	if (unlikely(cache_my_stripe == 0))
		cache_my_stripe = 1 + (__atomic_fetch_add(&cache_stripe_next, 1,
							  __ATOMIC_RELAXED) &
				       (CACHE_STRIPES - 1));
	return &c->stripes[cache_my_stripe - 1];
}

static inline void stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline void stat_sub(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_sub(counter, n, __ATOMIC_RELAXED);
}

static inline uint64_t stat_load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static inline void cache_hit(paraprof_cache_t *c)
{
	if (unlikely((__atomic_add_fetch(&cache_stripe(c)->hits, 1,
					 __ATOMIC_RELAXED) &
		      (CACHE_PUBLISH_EVERY - 1)) == 0))
		cache_publish(c);
}

static inline void cache_miss(paraprof_cache_t *c)
{
	if (unlikely((__atomic_add_fetch(&cache_stripe(c)->misses, 1,
					 __ATOMIC_RELAXED) &
		      (CACHE_PUBLISH_EVERY - 1)) == 0))
		cache_publish(c);
}

static inline uint64_t cache_now(const paraprof_cache_t *c)
{
	return c->now_ns(c->now_ctx);
}

static inline bool entry_expired(const struct cache_entry *e, uint64_t now)
{
	return e->expires_ns != 0 && now >= e->expires_ns;
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t cache_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* 64-bit hash of key, wyhash-style: 16 bytes per multiply. */
static inline uint64_t cache_hash(uint64_t seed, const void *key, size_t len)
{
	const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
	const uint64_t k2 = 0x8ebc6af09c88c6e3ull;
	const unsigned char *p = key;
	uint64_t a = 0, b = 0, h = seed ^ k0;
	size_t n = len;

	while (n > 16) {
		h = cache_mum(load64(p) ^ k1 ^ seed, load64(p + 8) ^ h);
		p += 16;
		n -= 16;
	}
	if (n >= 8) {
		a = load64(p);
		b = load64(p + n - 8);
	} else if (n >= 4) {
		a = load32(p);
		b = load32(p + n - 4);
	} else if (n > 0) {
		a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
	}
	return cache_mum(k2 ^ len, cache_mum(a ^ k1 ^ seed, b ^ h));
}

/* The shard of a hash: bits 40 and up (the buckets use the low bits). */
static inline struct cache_shard *cache_shard_of(const paraprof_cache_t *c,
						 uint64_t hash)
{
	return &c->shards[(hash >> 40) & (c->nshards - 1)];
}

static inline bool cache_over_bytes(const paraprof_cache_t *c)
{
	uint64_t max_bytes = stat_load(&c->stats->max_bytes);

	return max_bytes != 0 && stat_load(&c->stats->bytes) > max_bytes;
}

static inline struct cache_entry *shard_find(const struct cache_shard *sh,
					     uint64_t hash, const void *key,
					     size_t key_len)
{
	struct cache_entry *e = sh->buckets[hash & (sh->nbuckets - 1)];

	for (; e; e = e->hnext)
		if (e->hash == hash && e->key_len == key_len &&
		    memcmp(e->data, key, key_len) == 0)
			return e;
	return NULL;
}

/*
 * Records a use of e at `now` -- unless the recorded use is less than 1/8 of
 * the age of the shard's oldest entry ago: skipping those keeps hits from
 * writing to lines other cores read (see the top of the file for what this
 * costs the LRU order).  Called by lock-free readers too.
 */
static inline void entry_used(const struct cache_shard *sh,
			      struct cache_entry *e, uint64_t now)
{
	uint64_t last = __atomic_load_n(&e->used_ns, __ATOMIC_RELAXED);
	uint64_t oldest = __atomic_load_n(&sh->oldest_ns, __ATOMIC_RELAXED);
	uint64_t age = now > oldest ? now - oldest : 0;

	if (now > last && now - last > age / 8)
		__atomic_store_n(&e->used_ns, now, __ATOMIC_RELAXED);
}

/* Copies e's value out.  Returns 0, PARAPROF_ERANGE or PARAPROF_ENOMEM. */
static inline int cache_copy_out(const struct cache_entry *e, struct cache_out *o)
{
	const unsigned char *value = e->data + e->key_len;

	o->len = e->value_len;
	if (o->alloc) {
		o->copy = cache_alloc(e->value_len ? e->value_len : 1);
		if (!o->copy)
			return PARAPROF_ENOMEM;
		memcpy(o->copy, value, e->value_len);
		return 0;
	}
	if (e->value_len > o->cap)
		return PARAPROF_ERANGE;
	if (e->value_len)
		memcpy(o->buf, value, e->value_len);
	return 0;
}

/*
 * The lock-free lookup.  Returns 0 (a hit, counted), PARAPROF_ERANGE or
 * PARAPROF_ENOMEM (from copying), PARAPROF_ENOENT (absent; not counted), or
 * CACHE_SLOW when the mutex path must decide: the thread has no reader slot,
 * a writer is in the shard, or the entry has expired and must be reclaimed.
 */
static inline int cache_read_fast(paraprof_cache_t *c, struct cache_shard *sh,
				  uint64_t hash, const void *key,
				  size_t key_len, struct cache_out *o)
{
	struct cache_reader *r;
	struct cache_entry *e;
	int rc = CACHE_SLOW;

	if (c->flags & CACHE_PLAIN_LOCK || !(r = cache_reader()))
		return CACHE_SLOW;
	__atomic_store_n(&r->reading, sh, __ATOMIC_SEQ_CST);
	if (likely(!__atomic_load_n(&sh->writer, __ATOMIC_SEQ_CST))) {
		e = shard_find(sh, hash, key, key_len);
		if (!e) {
			rc = PARAPROF_ENOENT;
		} else {
			uint64_t now = cache_now(c);

			if (likely(!entry_expired(e, now))) {
				rc = cache_copy_out(e, o);
				if (likely(rc == 0))
					entry_used(sh, e, now);
			}
		}
	}
	__atomic_store_n(&r->reading, NULL, __ATOMIC_RELEASE);
	if (rc == 0)
		cache_hit(c);
	return rc;
}

#endif /* PARAPROF_CACHE_PRIV_H */
