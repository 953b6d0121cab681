/* cache.c - a sharded TTL + LRU cache with statistics and single flight
 *
 * A cache is 1 to 64 shards; a key's hash picks its shard.  Each shard has a
 * mutex, a chained hash table and a doubly linked LRU list (most recent
 * first), and owns its entries: one allocation each, holding a copy of the key
 * followed by a copy of the value.  Callers never see an entry: set copies in,
 * get copies out, so nothing a caller holds can dangle.
 *
 * Limits.  The entry count and the key+value bytes are global counters (the
 * `size` and `bytes` fields of the statistics).  A set that takes the count
 * past max_size evicts exactly one entry, the least recently used of its own
 * shard other than the new one, or, when its shard holds nothing else, of
 * another shard after it has let go of its own lock (locks are never nested).
 * So the count exceeds max_size only while sets are in progress, by at most
 * one per such set, and with one shard the eviction order is exact LRU.  The
 * byte limit works the same way, evicting until the bytes fit.
 *
 * Time.  An entry stores the monotonic time it expires at (0 = never).  A
 * lookup that finds an expired entry removes it and counts a miss and an
 * expiration; a set first reclaims up to two expired entries from the LRU end
 * of its shard; an eviction that picks an expired entry counts an expiration.
 *
 * Statistics.  Counters live in a struct ppf_cache: a slot of the profiling
 * segment for a named cache (so paraprof-report sees them), else one embedded
 * in the cache.  Rare events are added with relaxed atomic adds.  Hits and
 * misses, which every lookup makes, are first counted in the shard (under its
 * lock, in a cache line the thread already owns) and added to the shared
 * counters every CACHE_FLUSH_EVERY events, and whenever paraprof_cache_stats(),
 * clear or free runs, and at exit: a shared counter written by every lookup
 * would bounce between cores and cost more than the lookup itself.
 *
 * Single flight.  A shard also lists the keys being computed (struct
 * paraprof_flight).  A thread that misses a key someone is computing waits on
 * that flight's condition variable (with the shard's mutex) and takes the
 * value or the error from it; the last thread to leave frees it.
 *
 * The hash is the folded 128-bit multiply ("mum") of wyhash (public domain),
 * seeded per cache.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "cache.h"

/* Shared hit/miss counters are updated once per this many per shard. */
#define CACHE_FLUSH_EVERY 64
/* Buckets a shard starts with; the table doubles at load factor 1. */
#define CACHE_INITIAL_BUCKETS 8
/* Expired entries a set reclaims from its shard's LRU end. */
#define CACHE_REAP_PER_SET 2

/* ---- error table ---------------------------------------------------------- */

PP_EXPORT const char *paraprof_strerror(int err)
{
	switch (err) {
#define CACHE_ERR_MSG_(name, value, msg) case PARAPROF_##name: return msg;
	PARAPROF_ERRNO_MAP(CACHE_ERR_MSG_)
#undef CACHE_ERR_MSG_
	}
	return "unknown error";
}

PP_EXPORT const char *paraprof_err_name(int err)
{
	switch (err) {
#define CACHE_ERR_NAME_(name, value, msg) case PARAPROF_##name: return #name;
	PARAPROF_ERRNO_MAP(CACHE_ERR_NAME_)
#undef CACHE_ERR_NAME_
	}
	return "UNKNOWN";
}

/* ---- data structures ------------------------------------------------------ */

struct cache_link {
	struct cache_link *next;	/* toward less recently used */
	struct cache_link *prev;	/* toward more recently used */
};

struct cache_entry {
	struct cache_link lru;		/* first member: a link is its entry */
	struct cache_entry *hnext;	/* next in the hash chain */
	uint64_t hash;			/* of the key, seeded */
	uint64_t expires_ns;		/* monotonic time it expires at, 0 = never */
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

struct cache_shard {
	pthread_mutex_t lock;		/* guards everything below */
	struct cache_link lru;		/* lru.next = most recent, lru.prev = least */
	struct cache_entry **buckets;	/* nbuckets chains */
	size_t nbuckets;		/* power of two */
	size_t count;			/* entries */
	uint64_t bytes;			/* keys + values of the entries */
	struct paraprof_flight *flights;/* keys being computed */
	uint64_t pending_hits;		/* not yet added to stats->hits */
	uint64_t pending_misses;	/* not yet added to stats->misses */
} __attribute__((aligned(64)));

struct paraprof_cache {
	struct cache_shard *shards;	/* nshards of them, 64-byte aligned */
	void *shards_mem;		/* the allocation behind shards */
	unsigned nshards;		/* power of two */
	unsigned shard_shift;		/* shard = hash >> shard_shift & (nshards-1) */
	uint64_t seed;			/* of the hash */
	uint64_t max_size;		/* entries */
	uint64_t default_ttl_ns;	/* 0 = never expires */
	uint64_t (*now_ns)(void *ctx);	/* the clock, ns */
	void *now_ctx;
	struct ppf_cache *stats;	/* published counters: segment slot or &own */
	char *name;			/* owned copy, or NULL */
	paraprof_cache_t *reg_next;	/* registry of published caches */
	paraprof_cache_t **reg_pprev;
	struct ppf_cache own;		/* the counters when not published */
};

/* ---- allocation ----------------------------------------------------------- */

static void *(*cache_alloc_fn)(size_t size, void *ctx);
static void *cache_alloc_ctx;

void cache_set_alloc_hook(void *(*fn)(size_t size, void *ctx), void *ctx)
{
	__atomic_store_n(&cache_alloc_ctx, ctx, __ATOMIC_RELAXED);
	__atomic_store_n(&cache_alloc_fn, fn, __ATOMIC_RELEASE);
}

/* malloc(size), or the test hook's answer.  The result goes to free(). */
static void *cache_alloc(size_t size)
{
	void *(*fn)(size_t, void *) = __atomic_load_n(&cache_alloc_fn,
						      __ATOMIC_ACQUIRE);

	if (fn)
		return fn(size, __atomic_load_n(&cache_alloc_ctx, __ATOMIC_RELAXED));
	return malloc(size);
}

/* ---- small helpers -------------------------------------------------------- */

static inline void stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline uint64_t stat_load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static uint64_t cache_monotonic_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cache_now(const paraprof_cache_t *c)
{
	return c->now_ns(c->now_ctx);
}

/*
 * Converts a TTL in seconds to ns: negative = the default, 0 or beyond ~570
 * years = never (0); a positive TTL is at least 1 ns.  EINVAL for NaN.
 */
static int cache_ttl_ns(const paraprof_cache_t *c, double ttl_s, uint64_t *ttl_ns)
{
	if (isnan(ttl_s))
		return PARAPROF_EINVAL;
	if (ttl_s < 0) {
		*ttl_ns = c ? c->default_ttl_ns : 0;
		return 0;
	}
	if (ttl_s == 0 || ttl_s >= 1.8e10) {
		*ttl_ns = 0;
		return 0;
	}
	*ttl_ns = (uint64_t)(ttl_s * 1e9);
	if (*ttl_ns == 0)
		*ttl_ns = 1;
	return 0;
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
static uint64_t cache_hash(uint64_t seed, const void *key, size_t len)
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

static inline struct cache_shard *cache_shard_of(const paraprof_cache_t *c,
						 uint64_t hash)
{
	return &c->shards[(hash >> c->shard_shift) & (c->nshards - 1)];
}

/* ---- shard operations (shard locked) --------------------------------------- */

static inline void lru_unlink(struct cache_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static inline void lru_push_front(struct cache_link *head, struct cache_link *l)
{
	l->next = head->next;
	l->prev = head;
	head->next->prev = l;
	head->next = l;
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

/* Counts a hit; the shared counter gets them in batches. */
static inline void shard_hit(paraprof_cache_t *c, struct cache_shard *sh)
{
	if (++sh->pending_hits >= CACHE_FLUSH_EVERY) {
		stat_add(&c->stats->hits, sh->pending_hits);
		sh->pending_hits = 0;
	}
}

static inline void shard_miss(paraprof_cache_t *c, struct cache_shard *sh)
{
	if (++sh->pending_misses >= CACHE_FLUSH_EVERY) {
		stat_add(&c->stats->misses, sh->pending_misses);
		sh->pending_misses = 0;
	}
}

/* Adds the shard's pending hits and misses to the shared counters. */
static void shard_flush(paraprof_cache_t *c, struct cache_shard *sh)
{
	if (sh->pending_hits)
		stat_add(&c->stats->hits, sh->pending_hits);
	if (sh->pending_misses)
		stat_add(&c->stats->misses, sh->pending_misses);
	sh->pending_hits = sh->pending_misses = 0;
}

/* Doubles the hash table.  When no memory can be had the table stays as it
 * is: chains get longer, nothing is lost. */
static void shard_grow(struct cache_shard *sh)
{
	size_t n = sh->nbuckets * 2, i;
	struct cache_entry **b;

	if (n > SIZE_MAX / sizeof(*b) || !(b = cache_alloc(n * sizeof(*b))))
		return;
	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < sh->nbuckets; i++) {
		struct cache_entry *e = sh->buckets[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(sh->buckets);
	sh->buckets = b;
	sh->nbuckets = n;
}

/* Links e (not in the table) as the shard's most recent entry and counts it
 * in size and bytes.  Returns the size before. */
static uint64_t shard_link(paraprof_cache_t *c, struct cache_shard *sh,
			   struct cache_entry *e)
{
	struct cache_entry **bucket;

	if (sh->count >= sh->nbuckets)
		shard_grow(sh);
	bucket = &sh->buckets[e->hash & (sh->nbuckets - 1)];
	e->hnext = *bucket;
	*bucket = e;
	lru_push_front(&sh->lru, &e->lru);
	sh->count++;
	sh->bytes += e->key_len + e->value_len;
	stat_add(&c->stats->bytes, e->key_len + e->value_len);
	return __atomic_fetch_add(&c->stats->size, 1, __ATOMIC_RELAXED);
}

/* Unlinks e from the shard and uncounts it; the caller frees it. */
static void shard_unlink(paraprof_cache_t *c, struct cache_shard *sh,
			 struct cache_entry *e)
{
	struct cache_entry **pp = &sh->buckets[e->hash & (sh->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(&e->lru);
	sh->count--;
	sh->bytes -= e->key_len + e->value_len;
	__atomic_fetch_sub(&c->stats->bytes, e->key_len + e->value_len,
			   __ATOMIC_RELAXED);
	__atomic_fetch_sub(&c->stats->size, 1, __ATOMIC_RELAXED);
}

/*
 * Unlinks the least recently used entry of the shard other than keep and
 * returns it for the caller to free (after unlocking), or NULL when there is
 * none.  Counts an expiration when it had expired, else an eviction.
 */
static struct cache_entry *shard_evict(paraprof_cache_t *c,
				       struct cache_shard *sh,
				       const struct cache_entry *keep,
				       uint64_t now)
{
	struct cache_link *l = sh->lru.prev;
	struct cache_entry *e;

	if (l != &sh->lru && (struct cache_entry *)l == keep)
		l = l->prev;
	if (l == &sh->lru)
		return NULL;
	e = (struct cache_entry *)l;
	shard_unlink(c, sh, e);
	stat_add(entry_expired(e, now) ? &c->stats->expirations
				       : &c->stats->evictions, 1);
	return e;
}

static inline bool cache_over_bytes(const paraprof_cache_t *c)
{
	uint64_t max_bytes = stat_load(&c->stats->max_bytes);

	return max_bytes != 0 && stat_load(&c->stats->bytes) > max_bytes;
}

static void free_chain(struct cache_entry *e)
{
	struct cache_entry *next;

	for (; e; e = next) {
		next = e->hnext;
		free(e);
	}
}

/*
 * Evicts LRU entries of the shards other than `home`, one shard locked at a
 * time, until `count` entries are gone and the bytes are within the limit (or
 * nothing is left to evict).
 */
static void cache_evict_elsewhere(paraprof_cache_t *c, unsigned home,
				  uint64_t count, uint64_t now)
{
	unsigned i;

	for (i = 1; i < c->nshards && (count || cache_over_bytes(c)); i++) {
		struct cache_shard *sh = &c->shards[(home + i) & (c->nshards - 1)];
		struct cache_entry *victims = NULL, *v;

		pthread_mutex_lock(&sh->lock);
		while ((count || cache_over_bytes(c)) &&
		       (v = shard_evict(c, sh, NULL, now))) {
			v->hnext = victims;
			victims = v;
			if (count)
				count--;
		}
		pthread_mutex_unlock(&sh->lock);
		free_chain(victims);
	}
}

/* ---- creation and destruction --------------------------------------------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static paraprof_cache_t *registry;	/* published caches */
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

/* Adds every pending hit and miss to the shared counters.  At exit a shard
 * whose lock is busy is skipped rather than waited for. */
static void cache_flush(paraprof_cache_t *c, bool at_exit)
{
	unsigned i;

	for (i = 0; i < c->nshards; i++) {
		struct cache_shard *sh = &c->shards[i];

		if (at_exit) {
			if (pthread_mutex_trylock(&sh->lock) != 0)
				continue;
		} else {
			pthread_mutex_lock(&sh->lock);
		}
		shard_flush(c, sh);
		pthread_mutex_unlock(&sh->lock);
	}
}

/* atexit handler: brings the published counters up to date before the
 * runtime writes its dump (registered after the runtime's own exit work, so
 * it runs first). */
static void cache_flush_all(void)
{
	paraprof_cache_t *c;

	if (pthread_mutex_trylock(&registry_lock) != 0)
		return;
	for (c = registry; c; c = c->reg_next)
		cache_flush(c, true);
	pthread_mutex_unlock(&registry_lock);
}

static void cache_registry_init(void)
{
	atexit(cache_flush_all);
}

static void cache_register(paraprof_cache_t *c)
{
	pthread_once(&registry_once, cache_registry_init);
	pthread_mutex_lock(&registry_lock);
	c->reg_next = registry;
	if (registry)
		registry->reg_pprev = &c->reg_next;
	c->reg_pprev = &registry;
	registry = c;
	pthread_mutex_unlock(&registry_lock);
}

static void cache_unregister(paraprof_cache_t *c)
{
	if (!c->reg_pprev)
		return;
	pthread_mutex_lock(&registry_lock);
	*c->reg_pprev = c->reg_next;
	if (c->reg_next)
		c->reg_next->reg_pprev = c->reg_pprev;
	pthread_mutex_unlock(&registry_lock);
	c->reg_pprev = NULL;
}

/* Frees what cache_new_sharded() allocated, for a cache never published. */
static void cache_destroy(paraprof_cache_t *c, unsigned shards_ready)
{
	unsigned i;

	for (i = 0; i < shards_ready; i++) {
		struct cache_shard *sh = &c->shards[i];
		struct cache_link *l, *next;

		for (l = sh->lru.next; l != &sh->lru; l = next) {
			next = l->next;
			free(l);
		}
		free(sh->buckets);
		pthread_mutex_destroy(&sh->lock);
	}
	free(c->shards_mem);
	free(c->name);
	free(c);
}

paraprof_cache_t *cache_new_sharded(const char *name, size_t max_size,
				    double default_ttl_s, unsigned nshards)
{
	pthread_mutexattr_t attr;
	paraprof_cache_t *c;
	struct ppf_cache *slot;
	unsigned i;

	if (max_size == 0 || isnan(default_ttl_s) || default_ttl_s < 0 ||
	    nshards == 0 || nshards > CACHE_MAX_SHARDS ||
	    (nshards & (nshards - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	c = cache_alloc(sizeof(*c));
	if (!c)
		goto nomem;
	memset(c, 0, sizeof(*c));
	c->nshards = nshards;
	c->shard_shift = 58;	/* the top 6 bits; buckets use the low bits */
	c->max_size = max_size;
	cache_ttl_ns(NULL, default_ttl_s, &c->default_ttl_ns);
	c->now_ns = cache_monotonic_ns;
	c->seed = cache_mum((uint64_t)(uintptr_t)c ^ 0x2d358dccaa6c78a5ull,
			    cache_monotonic_ns(NULL) ^ 0x8bb84b93962eacc9ull);
	if (name) {
		size_t n = strlen(name) + 1;

		if (!(c->name = cache_alloc(n)))
			goto nomem;
		memcpy(c->name, name, n);
	}
	c->shards_mem = cache_alloc(nshards * sizeof(struct cache_shard) + 63);
	if (!c->shards_mem)
		goto nomem;
	c->shards = (struct cache_shard *)(((uintptr_t)c->shards_mem + 63) &
					   ~(uintptr_t)63);

	pthread_mutexattr_init(&attr);
	/* Critical sections are a few dozen ns: spin briefly before sleeping. */
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	for (i = 0; i < nshards; i++) {
		struct cache_shard *sh = &c->shards[i];

		memset(sh, 0, sizeof(*sh));
		sh->buckets = cache_alloc(CACHE_INITIAL_BUCKETS * sizeof(*sh->buckets));
		if (!sh->buckets) {
			pthread_mutexattr_destroy(&attr);
			cache_destroy(c, i);
			errno = ENOMEM;
			return NULL;
		}
		memset(sh->buckets, 0, CACHE_INITIAL_BUCKETS * sizeof(*sh->buckets));
		sh->nbuckets = CACHE_INITIAL_BUCKETS;
		sh->lru.next = sh->lru.prev = &sh->lru;
		pthread_mutex_init(&sh->lock, &attr);
	}
	pthread_mutexattr_destroy(&attr);

	/* Last, because a segment slot cannot be given back. */
	slot = name ? seg_cache_slot(name) : NULL;
	if (slot) {
		c->stats = slot;
		cache_register(c);
	} else {
		c->stats = &c->own;
		c->own.state = 1;
	}
	__atomic_store_n(&c->stats->max_size, (uint64_t)max_size, __ATOMIC_RELAXED);
	__atomic_store_n(&c->stats->max_bytes, 0, __ATOMIC_RELAXED);
	return c;

nomem:
	if (c) {
		free(c->name);
		free(c->shards_mem);
		free(c);
	}
	errno = ENOMEM;
	return NULL;
}

PP_EXPORT paraprof_cache_t *paraprof_cache_new(const char *name, size_t max_size,
					       double default_ttl_s)
{
	unsigned nshards = 1;

	while (nshards < CACHE_MAX_SHARDS &&
	       max_size / CACHE_SHARD_ENTRIES >= nshards * 2)
		nshards *= 2;
	return cache_new_sharded(name, max_size, default_ttl_s, nshards);
}

unsigned cache_shard_count(const paraprof_cache_t *cache)
{
	return cache ? cache->nshards : 0;
}

PP_EXPORT void paraprof_cache_free(paraprof_cache_t *c)
{
	unsigned i;

	if (!c)
		return;
	cache_flush(c, false);
	cache_unregister(c);
	for (i = 0; i < c->nshards; i++) {
		struct paraprof_flight *f, *next;

		/* Flights left by callers that never called finish. */
		for (f = c->shards[i].flights; f; f = next) {
			next = f->next;
			pthread_cond_destroy(&f->done_cv);
			free(f->value);
			free(f);
		}
	}
	/* Size and bytes are left as they were: the last state, for the report. */
	__atomic_store_n(&c->stats->state, 2, __ATOMIC_RELEASE);
	cache_destroy(c, c->nshards);
}

/* ---- lookups -------------------------------------------------------------- */

/*
 * Finds key's live entry in sh (locked).  An expired one is unlinked, counted
 * and left in *expired for the caller to free after unlocking.
 */
static inline struct cache_entry *cache_find_live(paraprof_cache_t *c,
						  struct cache_shard *sh,
						  uint64_t hash, const void *key,
						  size_t key_len,
						  struct cache_entry **expired)
{
	struct cache_entry *e = shard_find(sh, hash, key, key_len);

	if (e && e->expires_ns != 0 && cache_now(c) >= e->expires_ns) {
		shard_unlink(c, sh, e);
		stat_add(&c->stats->expirations, 1);
		*expired = e;
		return NULL;
	}
	return e;
}

/* Marks e most recently used. */
static inline void shard_touch(struct cache_shard *sh, struct cache_entry *e)
{
	if (sh->lru.next != &e->lru) {
		lru_unlink(&e->lru);
		lru_push_front(&sh->lru, &e->lru);
	}
}

PP_EXPORT int paraprof_cache_get(paraprof_cache_t *c, const void *key,
				 size_t key_len, void *buf, size_t cap,
				 size_t *len)
{
	struct cache_entry *e, *expired = NULL;
	struct cache_shard *sh;
	uint64_t hash;
	int rc = 0;

	if (unlikely(!c || !key || (!buf && cap)))
		return PARAPROF_EINVAL;
	hash = cache_hash(c->seed, key, key_len);
	sh = cache_shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	e = cache_find_live(c, sh, hash, key, key_len, &expired);
	if (unlikely(!e)) {
		shard_miss(c, sh);
		rc = PARAPROF_ENOENT;
	} else if (unlikely(e->value_len > cap)) {
		if (len)
			*len = e->value_len;
		rc = PARAPROF_ERANGE;
	} else {
		memcpy(buf, e->data + e->key_len, e->value_len);
		if (len)
			*len = e->value_len;
		shard_touch(sh, e);
		shard_hit(c, sh);
	}
	pthread_mutex_unlock(&sh->lock);
	free(expired);
	return rc;
}

PP_EXPORT int paraprof_cache_get_alloc(paraprof_cache_t *c, const void *key,
				       size_t key_len, void **value, size_t *len)
{
	struct cache_entry *e, *expired = NULL;
	struct cache_shard *sh;
	uint64_t hash;
	int rc = 0;

	if (value)
		*value = NULL;
	if (!c || !key || !value)
		return PARAPROF_EINVAL;
	hash = cache_hash(c->seed, key, key_len);
	sh = cache_shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	e = cache_find_live(c, sh, hash, key, key_len, &expired);
	if (!e) {
		shard_miss(c, sh);
		rc = PARAPROF_ENOENT;
	} else if (!(*value = cache_alloc(e->value_len ? e->value_len : 1))) {
		rc = PARAPROF_ENOMEM;
	} else {
		memcpy(*value, e->data + e->key_len, e->value_len);
		if (len)
			*len = e->value_len;
		shard_touch(sh, e);
		shard_hit(c, sh);
	}
	pthread_mutex_unlock(&sh->lock);
	free(expired);
	return rc;
}

/* ---- stores --------------------------------------------------------------- */

/* A new unlinked entry holding copies of key and value, or NULL. */
static struct cache_entry *entry_new(uint64_t hash, const void *key,
				     size_t key_len, const void *value,
				     size_t value_len, uint64_t expires_ns)
{
	struct cache_entry *e;

	if (key_len > SIZE_MAX - sizeof(*e) ||
	    value_len > SIZE_MAX - sizeof(*e) - key_len)
		return NULL;
	e = cache_alloc(sizeof(*e) + key_len + value_len);
	if (!e)
		return NULL;
	e->hash = hash;
	e->expires_ns = expires_ns;
	e->key_len = key_len;
	e->value_len = value_len;
	memcpy(e->data, key, key_len);
	if (value_len)
		memcpy(e->data + key_len, value, value_len);
	return e;
}

PP_EXPORT int paraprof_cache_set(paraprof_cache_t *c, const void *key,
				 size_t key_len, const void *value,
				 size_t value_len, double ttl_s)
{
	struct cache_entry *e, *old, *victims = NULL, *v;
	struct cache_shard *sh;
	uint64_t hash, ttl_ns, now, max_bytes, evict_elsewhere = 0;
	unsigned i;
	int rc;

	if (!c || !key || (!value && value_len))
		return PARAPROF_EINVAL;
	if ((rc = cache_ttl_ns(c, ttl_s, &ttl_ns)) != 0)
		return rc;
	max_bytes = stat_load(&c->stats->max_bytes);
	if (key_len + value_len < key_len ||
	    (max_bytes && key_len + value_len > max_bytes))
		return PARAPROF_E2BIG;
	hash = cache_hash(c->seed, key, key_len);
	now = cache_now(c);
	e = entry_new(hash, key, key_len, value, value_len,
		      ttl_ns == 0 ? 0 : now + ttl_ns < now ? UINT64_MAX : now + ttl_ns);
	if (!e)
		return PARAPROF_ENOMEM;

	sh = cache_shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < CACHE_REAP_PER_SET; i++) {
		struct cache_link *l = sh->lru.prev;

		if (l == &sh->lru || !entry_expired((struct cache_entry *)l, now))
			break;
		v = (struct cache_entry *)l;
		shard_unlink(c, sh, v);
		stat_add(&c->stats->expirations, 1);
		v->hnext = victims;
		victims = v;
	}
	if ((old = shard_find(sh, hash, key, key_len)) != NULL) {
		shard_unlink(c, sh, old);
		old->hnext = victims;
		victims = old;
	}
	if (shard_link(c, sh, e) >= c->max_size) {
		/* This set took the count past max_size: it evicts one. */
		if ((v = shard_evict(c, sh, e, now)) != NULL) {
			v->hnext = victims;
			victims = v;
		} else {
			evict_elsewhere = 1;
		}
	}
	while (cache_over_bytes(c)) {
		if (!(v = shard_evict(c, sh, e, now))) {
			evict_elsewhere |= 2;
			break;
		}
		v->hnext = victims;
		victims = v;
	}
	stat_add(&c->stats->sets, 1);
	pthread_mutex_unlock(&sh->lock);

	free_chain(victims);
	if (evict_elsewhere)
		cache_evict_elsewhere(c, (unsigned)(sh - c->shards),
				      evict_elsewhere & 1, now);
	return 0;
}

PP_EXPORT int paraprof_cache_delete(paraprof_cache_t *c, const void *key,
				    size_t key_len)
{
	struct cache_entry *e, *expired = NULL;
	struct cache_shard *sh;
	uint64_t hash;

	if (!c || !key)
		return PARAPROF_EINVAL;
	hash = cache_hash(c->seed, key, key_len);
	sh = cache_shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	e = cache_find_live(c, sh, hash, key, key_len, &expired);
	if (e) {
		shard_unlink(c, sh, e);
		stat_add(&c->stats->deletes, 1);
	}
	pthread_mutex_unlock(&sh->lock);
	free(expired);
	free(e);
	return e ? 0 : PARAPROF_ENOENT;
}

PP_EXPORT int paraprof_cache_clear(paraprof_cache_t *c)
{
	unsigned i;

	if (!c)
		return PARAPROF_EINVAL;
	for (i = 0; i < c->nshards; i++) {
		struct cache_shard *sh = &c->shards[i];
		struct cache_link *l, *next;

		pthread_mutex_lock(&sh->lock);
		l = sh->lru.next;
		sh->lru.prev->next = NULL;	/* detach the list: l .. NULL */
		sh->lru.next = sh->lru.prev = &sh->lru;
		memset(sh->buckets, 0, sh->nbuckets * sizeof(*sh->buckets));
		__atomic_fetch_sub(&c->stats->size, sh->count, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&c->stats->bytes, sh->bytes, __ATOMIC_RELAXED);
		sh->count = 0;
		sh->bytes = 0;
		shard_flush(c, sh);
		pthread_mutex_unlock(&sh->lock);
		if (l == &sh->lru)
			continue;
		for (; l; l = next) {
			next = l->next;
			free(l);
		}
	}
	return 0;
}

PP_EXPORT int paraprof_cache_stats(paraprof_cache_t *c,
				   struct paraprof_cache_stats *out)
{
	const struct ppf_cache *st;
	uint64_t lookups;

	if (!c || !out)
		return PARAPROF_EINVAL;
	cache_flush(c, false);
	st = c->stats;
	out->hits = stat_load(&st->hits);
	out->misses = stat_load(&st->misses);
	lookups = out->hits + out->misses;
	out->hit_rate = lookups ? (double)out->hits / (double)lookups : 0.0;
	out->size = stat_load(&st->size);
	out->max_size = c->max_size;
	out->evictions = stat_load(&st->evictions);
	out->expirations = stat_load(&st->expirations);
	out->sets = stat_load(&st->sets);
	out->deletes = stat_load(&st->deletes);
	out->bytes = stat_load(&st->bytes);
	out->max_bytes = stat_load(&st->max_bytes);
	return 0;
}

PP_EXPORT int paraprof_cache_set_max_bytes(paraprof_cache_t *c, size_t max_bytes)
{
	if (!c)
		return PARAPROF_EINVAL;
	__atomic_store_n(&c->stats->max_bytes, (uint64_t)max_bytes,
			 __ATOMIC_RELAXED);
	if (cache_over_bytes(c))
		cache_evict_elsewhere(c, c->nshards - 1, 0, cache_now(c));
	/* cache_evict_elsewhere() skips its home shard: do that one too. */
	if (cache_over_bytes(c)) {
		struct cache_shard *sh = &c->shards[c->nshards - 1];
		struct cache_entry *victims = NULL, *v;
		uint64_t now = cache_now(c);

		pthread_mutex_lock(&sh->lock);
		while (cache_over_bytes(c) && (v = shard_evict(c, sh, NULL, now))) {
			v->hnext = victims;
			victims = v;
		}
		pthread_mutex_unlock(&sh->lock);
		free_chain(victims);
	}
	return 0;
}

PP_EXPORT int paraprof_cache_set_clock(paraprof_cache_t *c,
				       uint64_t (*now_ns)(void *ctx), void *ctx)
{
	if (!c)
		return PARAPROF_EINVAL;
	c->now_ctx = now_ns ? ctx : NULL;
	c->now_ns = now_ns ? now_ns : cache_monotonic_ns;
	return 0;
}

/* ---- the global cache ----------------------------------------------------- */

static paraprof_cache_t *global_cache;
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

PP_EXPORT paraprof_cache_t *paraprof_get_cache(void)
{
	paraprof_cache_t *c = __atomic_load_n(&global_cache, __ATOMIC_ACQUIRE);

	if (likely(c))
		return c;
	/* A mutex rather than pthread_once, so that a failure can be retried. */
	pthread_mutex_lock(&global_lock);
	c = global_cache;
	if (!c) {
		c = paraprof_cache_new("global", 1000, 300.0);
		if (c)
			__atomic_store_n(&global_cache, c, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&global_lock);
	return c;
}

/* ---- memoization ---------------------------------------------------------- */

PP_EXPORT int paraprof_cache_key(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf || !fmt)
		return PARAPROF_EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PARAPROF_EINVAL;
	return (size_t)n < cap ? n : PARAPROF_ERANGE;
}

static void flight_free(struct paraprof_flight *f)
{
	pthread_cond_destroy(&f->done_cv);
	free(f->value);
	free(f);
}

PP_EXPORT int paraprof_cache_begin(paraprof_cache_t *c, const void *key,
				   size_t key_len, void *buf, size_t cap,
				   size_t *len, paraprof_flight_t **flight)
{
	struct cache_entry *e, *expired = NULL;
	struct paraprof_flight *f;
	struct cache_shard *sh;
	uint64_t hash;
	int rc = 0;

	if (!flight)
		return PARAPROF_EINVAL;
	*flight = NULL;
	if (!c || !key || (!buf && cap))
		return PARAPROF_EINVAL;
	hash = cache_hash(c->seed, key, key_len);
	sh = cache_shard_of(c, hash);
	pthread_mutex_lock(&sh->lock);
	e = cache_find_live(c, sh, hash, key, key_len, &expired);
	if (e) {
		if (len)
			*len = e->value_len;
		if (e->value_len > cap) {
			rc = PARAPROF_ERANGE;
		} else {
			memcpy(buf, e->data + e->key_len, e->value_len);
			shard_touch(sh, e);
			shard_hit(c, sh);
		}
		pthread_mutex_unlock(&sh->lock);
		free(expired);
		return rc;
	}
	shard_miss(c, sh);
	for (f = sh->flights; f; f = f->next)
		if (f->hash == hash && f->key_len == key_len &&
		    memcmp(f->key, key, key_len) == 0)
			break;
	if (f) {
		bool last;

		f->refs++;
		while (!f->done)
			pthread_cond_wait(&f->done_cv, &sh->lock);
		rc = f->rc;
		if (rc == 0) {
			if (len)
				*len = f->value_len;
			if (f->value_len > cap)
				rc = PARAPROF_ERANGE;
			else if (f->value_len)
				memcpy(buf, f->value, f->value_len);
		}
		last = --f->refs == 0;
		pthread_mutex_unlock(&sh->lock);
		if (last)
			flight_free(f);
		free(expired);
		return rc;
	}
	if (key_len > SIZE_MAX - sizeof(*f) ||
	    !(f = cache_alloc(sizeof(*f) + key_len))) {
		pthread_mutex_unlock(&sh->lock);
		free(expired);
		return PARAPROF_ENOMEM;
	}
	memset(f, 0, sizeof(*f));
	pthread_cond_init(&f->done_cv, NULL);
	f->cache = c;
	f->shard = sh;
	f->hash = hash;
	f->refs = 1;
	f->key_len = key_len;
	memcpy(f->key, key, key_len);
	f->next = sh->flights;
	sh->flights = f;
	pthread_mutex_unlock(&sh->lock);
	free(expired);
	*flight = f;
	return PARAPROF_COMPUTE;
}

PP_EXPORT int paraprof_cache_finish(paraprof_flight_t *f, const void *value,
				    size_t value_len, double ttl_s, int rc)
{
	struct paraprof_flight **pp;
	struct cache_shard *sh;
	bool last;

	if (!f)
		return PARAPROF_EINVAL;
	if (rc == 0 && !value && value_len)
		rc = PARAPROF_EINVAL;
	if (rc == 0 && isnan(ttl_s))
		rc = PARAPROF_EINVAL;
	/* Not storable (E2BIG, ENOMEM): the value is still handed out. */
	if (rc == 0)
		(void)paraprof_cache_set(f->cache, f->key, f->key_len, value,
					 value_len, ttl_s);

	sh = f->shard;
	pthread_mutex_lock(&sh->lock);
	for (pp = &sh->flights; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	f->rc = rc;
	if (rc == 0 && f->refs > 1 && value_len) {
		f->value = cache_alloc(value_len);
		if (f->value) {
			memcpy(f->value, value, value_len);
			f->value_len = value_len;
		} else {
			f->rc = PARAPROF_ENOMEM;
		}
	}
	f->done = 1;
	pthread_cond_broadcast(&f->done_cv);
	last = --f->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (last)
		flight_free(f);
	return rc;
}

PP_EXPORT int paraprof_cache_memoize(paraprof_cache_t *c, const void *key,
				     size_t key_len, double ttl_s,
				     paraprof_compute_fn compute, void *ctx,
				     void *out, size_t cap, size_t *len)
{
	paraprof_flight_t *f;
	size_t n = 0;
	int rc;

	if (!compute || isnan(ttl_s))
		return PARAPROF_EINVAL;
	rc = paraprof_cache_begin(c, key, key_len, out, cap, &n, &f);
	if (rc == PARAPROF_COMPUTE) {
		rc = compute(ctx, key, key_len, out, cap, &n);
		if (rc == 0 && n > cap)
			rc = PARAPROF_EINVAL;	/* compute claimed more than out holds */
		rc = paraprof_cache_finish(f, out, n, ttl_s, rc);
	}
	if (len && (rc == 0 || rc == PARAPROF_ERANGE))
		*len = n;
	return rc;
}
