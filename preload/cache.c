/* cache.c - a sharded TTL + LRU cache with statistics and single flight
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
 * paraprof_cache_stats(), free, and an atexit handler, which runs before the
 * runtime's destructor writes the dump.
 *
 * Single flight.  A shard also lists the keys being computed (struct
 * paraprof_flight).  A thread that misses a key someone is computing waits on
 * that flight's condition variable (with the shard's mutex) and takes the
 * value or the error from it; the last thread to leave frees it.
 *
 * The hash is the folded 128-bit multiply ("mum") of wyhash (public domain),
 * seeded per cache.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "cache.h"

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

/* ---- reader slots --------------------------------------------------------- */

struct cache_reader {
	struct cache_shard *reading;	/* shard being read lock-free, or NULL */
	int owner;			/* 1 while a thread holds the slot */
} __attribute__((aligned(64)));

static struct cache_reader cache_readers[CACHE_READER_SLOTS];
static unsigned cache_reader_hwm;	/* slots [0, hwm) were ever claimed */
static pthread_key_t cache_reader_key;	/* releases a slot at thread exit */
static int cache_reader_key_ok;
static pthread_once_t cache_reader_once = PTHREAD_ONCE_INIT;
static __thread struct cache_reader *cache_my_reader;
static __thread int cache_reader_tried;	/* 1: asked for a slot already */
static __thread unsigned cache_my_stripe;	/* 1 + stripe index, 0 = none yet */
static unsigned cache_stripe_next;

static void cache_reader_release(void *arg)
{
	struct cache_reader *r = arg;

	cache_my_reader = NULL;	/* later calls of this thread take the mutex */
	cache_reader_tried = 1;
	__atomic_store_n(&r->owner, 0, __ATOMIC_RELEASE);
}

static pthread_once_t cache_fork_once = PTHREAD_ONCE_INIT;
static void cache_fork_init(void);

static void cache_reader_init(void)
{
	cache_reader_key_ok = pthread_key_create(&cache_reader_key,
						 cache_reader_release) == 0;
	pthread_once(&cache_fork_once, cache_fork_init);
}

/* Claims a reader slot for the calling thread, once; NULL when all are
 * taken (the thread then always takes the mutex). */
static struct cache_reader *cache_reader_claim(void)
{
	unsigned i;

	cache_reader_tried = 1;
	pthread_once(&cache_reader_once, cache_reader_init);
	if (!cache_reader_key_ok)
		return NULL;
	for (i = 0; i < CACHE_READER_SLOTS; i++) {
		struct cache_reader *r = &cache_readers[i];
		int free_owner = 0;
		unsigned hwm;

		if (__atomic_load_n(&r->owner, __ATOMIC_RELAXED) != 0 ||
		    !__atomic_compare_exchange_n(&r->owner, &free_owner, 1, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			continue;
		/* Writers scan [0, hwm): raise it before the first read. */
		hwm = __atomic_load_n(&cache_reader_hwm, __ATOMIC_SEQ_CST);
		while (hwm < i + 1 &&
		       !__atomic_compare_exchange_n(&cache_reader_hwm, &hwm, i + 1,
						    false, __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST))
			;
		if (pthread_setspecific(cache_reader_key, r) != 0) {
			__atomic_store_n(&r->owner, 0, __ATOMIC_RELEASE);
			return NULL;
		}
		cache_my_reader = r;
		return r;
	}
	return NULL;
}

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

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ---- small helpers -------------------------------------------------------- */

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

/* Raises *counter to v unless it is higher already. */
static void stat_raise(uint64_t *counter, uint64_t v)
{
	uint64_t cur = stat_load(counter);

	while (cur < v && !__atomic_compare_exchange_n(counter, &cur, v, true,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

/* Sums the stripes into *hits and *misses. */
static void cache_count(const paraprof_cache_t *c, uint64_t *hits,
			uint64_t *misses)
{
	unsigned i;

	*hits = *misses = 0;
	for (i = 0; i < CACHE_STRIPES; i++) {
		*hits += stat_load(&c->stripes[i].hits);
		*misses += stat_load(&c->stripes[i].misses);
	}
}

/*
 * Raises the published hits and misses to the stripes' sums.  Each sum is at
 * most the true count when it is read, and the published value only rises,
 * so it never overtakes the truth and equals it once lookups stop.
 */
static void cache_publish(paraprof_cache_t *c)
{
	uint64_t hits, misses;

	cache_count(c, &hits, &misses);
	stat_raise(&c->stats->hits, hits);
	stat_raise(&c->stats->misses, misses);
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
 * years (infinity included) = never (0); a positive TTL is at least 1 ns.
 * EINVAL for NaN.
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

/* The shard of a hash: bits 40 and up (the buckets use the low bits). */
static inline struct cache_shard *cache_shard_of(const paraprof_cache_t *c,
						 uint64_t hash)
{
	return &c->shards[(hash >> 40) & (c->nshards - 1)];
}

/* ---- shard locking -------------------------------------------------------- */

/* Raises the shard's writer flag and waits until no lock-free reader is in
 * it.  The mutex is held. */
static void shard_drain(struct cache_shard *sh)
{
	unsigned i, n;

	__atomic_store_n(&sh->writer, 1, __ATOMIC_SEQ_CST);
	n = __atomic_load_n(&cache_reader_hwm, __ATOMIC_SEQ_CST);
	for (i = 0; i < n; i++) {
		unsigned spins = 0;

		while (__atomic_load_n(&cache_readers[i].reading,
				       __ATOMIC_SEQ_CST) == sh) {
			/* A reader holds it for tens of ns, unless preempted. */
			if (++spins % 128 == 0)
				sched_yield();
			else
				cpu_relax();
		}
	}
}

/* Notes the placed time of the oldest entry, for entry_used(). */
static inline void shard_note_oldest(struct cache_shard *sh)
{
	struct cache_link *oldest = sh->lru.prev;

	__atomic_store_n(&sh->oldest_ns, oldest == &sh->lru ? UINT64_MAX
			 : ((struct cache_entry *)oldest)->placed_ns,
			 __ATOMIC_RELAXED);
}

/* Lowers the writer flag: readers see everything done before. */
static void shard_undrain(struct cache_shard *sh)
{
	shard_note_oldest(sh);
	__atomic_store_n(&sh->writer, 0, __ATOMIC_RELEASE);
}

/* Takes the shard for changing it: its mutex, and no reader inside. */
static void shard_lock(const paraprof_cache_t *c, struct cache_shard *sh)
{
	pthread_mutex_lock(&sh->lock);
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_drain(sh);
}

static void shard_unlock(const paraprof_cache_t *c, struct cache_shard *sh)
{
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_undrain(sh);
	else
		shard_note_oldest(sh);
	pthread_mutex_unlock(&sh->lock);
}

/* Waits on cv, letting readers in meanwhile. */
static void shard_wait(const paraprof_cache_t *c, struct cache_shard *sh,
		       pthread_cond_t *cv)
{
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_undrain(sh);
	pthread_cond_wait(cv, &sh->lock);
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_drain(sh);
}

/* ---- shard operations (shard locked) --------------------------------------- */

static inline void lru_unlink(struct cache_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static inline uint64_t link_placed(const struct cache_link *l)
{
	return ((const struct cache_entry *)l)->placed_ns;
}

/*
 * Puts e into the list in placed_ns order (newest first), walking from the
 * end nearer to its time: new entries and entries used lately go in at the
 * front, entries used only soon after they were placed near the back, so
 * walks are short; and a shard holds few entries (CACHE_SHARD_ENTRIES on
 * average, for caches of up to 2M entries).
 */
static void shard_place(struct cache_shard *sh, struct cache_entry *e)
{
	struct cache_link *head = &sh->lru, *n;
	uint64_t t = e->placed_ns;

	if (head->next == head || t >= link_placed(head->next)) {
		n = head->next;		/* the newest: at the front */
	} else if (t <= link_placed(head->prev)) {
		n = head;		/* the oldest: at the back */
	} else if (t - link_placed(head->prev) < link_placed(head->next) - t) {
		for (n = head->prev; n != head && link_placed(n) <= t; n = n->prev)
			;
		n = n->next;		/* from the back: before the first newer one */
	} else {
		for (n = head->next; n != head && link_placed(n) > t; n = n->next)
			;
	}
	e->lru.next = n;
	e->lru.prev = n->prev;
	n->prev->next = &e->lru;
	n->prev = &e->lru;
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

/* Links e (not in the table) into the shard and counts it in size and
 * bytes.  Returns the size before. */
static uint64_t shard_link(paraprof_cache_t *c, struct cache_shard *sh,
			   struct cache_entry *e)
{
	struct cache_entry **bucket;

	if (sh->count >= sh->nbuckets)
		shard_grow(sh);
	bucket = &sh->buckets[e->hash & (sh->nbuckets - 1)];
	e->hnext = *bucket;
	*bucket = e;
	shard_place(sh, e);
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
	stat_sub(&c->stats->bytes, e->key_len + e->value_len);
	stat_sub(&c->stats->size, 1);
}

/*
 * Unlinks the least recently used entry of the shard other than keep and
 * returns it for the caller to free (after unlocking), or NULL when there is
 * none, or none placed (or last used) at `cutoff` or before.  Entries used
 * since they were placed are re-placed at their use time first (each at most
 * once per call).  Counts an expiration when the victim had expired, else an
 * eviction.
 */
static struct cache_entry *shard_evict(paraprof_cache_t *c,
				       struct cache_shard *sh,
				       const struct cache_entry *keep,
				       uint64_t now, uint64_t cutoff)
{
	size_t replaces = sh->count;

	for (;;) {
		struct cache_link *l = sh->lru.prev;
		struct cache_entry *e;
		uint64_t used;

		if (keep && l == &keep->lru)
			l = l->prev;
		if (l == &sh->lru)
			return NULL;
		e = (struct cache_entry *)l;
		used = __atomic_load_n(&e->used_ns, __ATOMIC_RELAXED);
		if (used > e->placed_ns && replaces > 0 && !entry_expired(e, now)) {
			replaces--;
			lru_unlink(l);
			e->placed_ns = used;
			shard_place(sh, e);
			continue;
		}
		if (e->placed_ns > cutoff && !entry_expired(e, now))
			return NULL;
		shard_unlink(c, sh, e);
		stat_add(entry_expired(e, now) ? &c->stats->expirations
					       : &c->stats->evictions, 1);
		return e;
	}
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

/* True while an eviction elsewhere still has work: entries owed, or bytes
 * over the limit. */
static inline bool cache_needs_room(const paraprof_cache_t *c, uint64_t count)
{
	return count != 0 || cache_over_bytes(c);
}

/*
 * Evicts by age across the shards other than `skip`: pass after pass, every
 * entry placed (or last used) before a cutoff that advances by 1/64 of the
 * oldest entry's age each pass, until enough is gone.  O(shards + evicted)
 * per pass, for evicting many entries at once.
 */
static void cache_evict_by_age(paraprof_cache_t *c, unsigned skip,
			       uint64_t count, uint64_t now)
{
	uint64_t oldest = UINT64_MAX, step, cutoff;
	unsigned i;

	for (i = 0; i < c->nshards; i++) {
		uint64_t t = __atomic_load_n(&c->shards[i].oldest_ns, __ATOMIC_RELAXED);

		if (i != skip && t < oldest)
			oldest = t;
	}
	if (oldest == UINT64_MAX)
		return;
	step = now > oldest ? (now - oldest) / 64 + 1 : 1;
	for (cutoff = oldest; cache_needs_room(c, count); ) {
		bool left = false;

		for (i = 0; i < c->nshards && cache_needs_room(c, count); i++) {
			struct cache_shard *sh = &c->shards[i];
			struct cache_entry *victims = NULL, *v;
			uint64_t t = __atomic_load_n(&sh->oldest_ns, __ATOMIC_RELAXED);

			if (i == skip || t == UINT64_MAX)
				continue;
			left = true;
			if (t > cutoff)
				continue;
			shard_lock(c, sh);
			while (cache_needs_room(c, count) &&
			       (v = shard_evict(c, sh, NULL, now, cutoff)) != NULL) {
				v->hnext = victims;
				victims = v;
				if (count)
					count--;
			}
			shard_unlock(c, sh);
			free_chain(victims);
		}
		if (!left || cutoff == UINT64_MAX)
			return;
		cutoff = cutoff > now || UINT64_MAX - cutoff < step ? UINT64_MAX
								  : cutoff + step;
	}
}

/*
 * Evicts entries from the shards other than `skip` (pass c->nshards to skip
 * none) until `count` entries are gone and the bytes are within the limit,
 * or nothing is left: from the shard whose oldest entry is the oldest (its
 * oldest_ns peeked at without its lock, so a hint), as long as it holds the
 * oldest entries; one shard locked at a time.  After a few rounds (many
 * entries to evict), by age in passes over all shards.
 */
static void cache_evict_elsewhere(paraprof_cache_t *c, unsigned skip,
				  uint64_t count, uint64_t now)
{
	unsigned round;

	for (round = 0; cache_needs_room(c, count); round++) {
		struct cache_shard *sh = NULL;
		struct cache_entry *victims = NULL, *v;
		uint64_t best = UINT64_MAX, second = UINT64_MAX;
		unsigned i;

		if (round == 4) {
			cache_evict_by_age(c, skip, count, now);
			return;
		}
		for (i = 0; i < c->nshards; i++) {
			uint64_t oldest = __atomic_load_n(&c->shards[i].oldest_ns,
							  __ATOMIC_RELAXED);

			if (i == skip || oldest == UINT64_MAX)
				continue;
			if (oldest < best) {
				second = best;
				best = oldest;
				sh = &c->shards[i];
			} else if (oldest < second) {
				second = oldest;
			}
		}
		if (!sh)
			return;
		shard_lock(c, sh);
		while (cache_needs_room(c, count) &&
		       (v = shard_evict(c, sh, NULL, now, UINT64_MAX)) != NULL) {
			v->hnext = victims;
			victims = v;
			if (count)
				count--;
			if (sh->lru.prev == &sh->lru || link_placed(sh->lru.prev) > second)
				break;
		}
		shard_unlock(c, sh);
		free_chain(victims);
	}
}

/* ---- creation and destruction --------------------------------------------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static paraprof_cache_t *registry;	/* published caches */
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

/* atexit handler: brings the published counters up to date.  Registered
 * after the runtime's constructor, so it runs before the destructor that
 * writes the dump. */
static void cache_publish_all(void)
{
	paraprof_cache_t *c;

	if (pthread_mutex_trylock(&registry_lock) != 0)
		return;
	for (c = registry; c; c = c->reg_next)
		cache_publish(c);
	pthread_mutex_unlock(&registry_lock);
}

static void cache_registry_init(void)
{
	atexit(cache_publish_all);
	pthread_once(&cache_fork_once, cache_fork_init);
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

/* Frees the entries, tables and memory of c and its first `shards_ready`
 * shards. */
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
	free(c->mem);
	free(c->name);
	free(c);
}

paraprof_cache_t *cache_new_sharded(const char *name, size_t max_size,
				    double default_ttl_s, unsigned nshards,
				    unsigned flags)
{
	pthread_mutexattr_t attr;
	paraprof_cache_t *c;
	struct ppf_cache *slot = NULL;
	size_t shards_bytes;
	unsigned i;

	if (max_size == 0 || isnan(default_ttl_s) || default_ttl_s < 0 ||
	    nshards == 0 || nshards > CACHE_MAX_SHARDS ||
	    (nshards & (nshards - 1)) != 0 || (flags & ~CACHE_PLAIN_LOCK)) {
		errno = EINVAL;
		return NULL;
	}
	c = cache_alloc(sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->nshards = nshards;
	c->flags = flags;
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
	shards_bytes = nshards * sizeof(struct cache_shard);
	c->mem = cache_alloc(shards_bytes +
			     CACHE_STRIPES * sizeof(struct cache_stripe) + 63);
	if (!c->mem)
		goto nomem;
	c->shards = (struct cache_shard *)(((uintptr_t)c->mem + 63) &
					   ~(uintptr_t)63);
	c->stripes = (struct cache_stripe *)((char *)c->shards + shards_bytes);
	memset(c->stripes, 0, CACHE_STRIPES * sizeof(struct cache_stripe));

	pthread_mutexattr_init(&attr);
	/* Changes hold the mutex for well under a microsecond: spin a little
	 * before sleeping. */
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
		sh->oldest_ns = UINT64_MAX;
		pthread_mutex_init(&sh->lock, &attr);
	}
	pthread_mutexattr_destroy(&attr);

	/* Last, because a segment slot cannot be given back.  A cache API call
	 * makes the segment, as an instrumented call would. */
	if (name && (seg_base || init_segment() == 0))
		slot = seg_cache_slot(name);
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
	free(c->name);
	free(c);
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
	return cache_new_sharded(name, max_size, default_ttl_s, nshards, 0);
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
	cache_publish(c);
	cache_unregister(c);
	for (i = 0; i < c->nshards; i++) {
		struct paraprof_flight *f, *next;

		/* Flights of callers that never called finish. */
		for (f = c->shards[i].flights; f; f = next) {
			next = f->next;
			pthread_cond_destroy(&f->done_cv);
			free(f->value);
			free(f);
		}
	}
	/* Size and bytes stay as they were: the last state, for the report. */
	__atomic_store_n(&c->stats->state, 2, __ATOMIC_RELEASE);
	cache_destroy(c, c->nshards);
}

/* ---- lookups -------------------------------------------------------------- */

/* Where a lookup puts the value: the caller's buffer, or a new copy. */
struct cache_out {
	void *buf;		/* caller's buffer (cap bytes), when !alloc */
	size_t cap;		/* bytes */
	size_t len;		/* the value's length, after a hit or ERANGE */
	void *copy;		/* the malloc'ed copy, when alloc */
	bool alloc;
};

/* Copies e's value out.  Returns 0, PARAPROF_ERANGE or PARAPROF_ENOMEM. */
static int cache_copy_out(const struct cache_entry *e, struct cache_out *o)
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

/*
 * Finds key's live entry in sh (locked).  An expired one is unlinked, counted
 * and left in *expired for the caller to free after unlocking.
 */
static struct cache_entry *cache_find_live(paraprof_cache_t *c,
					   struct cache_shard *sh, uint64_t hash,
					   const void *key, size_t key_len,
					   uint64_t now, struct cache_entry **expired)
{
	struct cache_entry *e = shard_find(sh, hash, key, key_len);

	if (e && entry_expired(e, now)) {
		shard_unlink(c, sh, e);
		stat_add(&c->stats->expirations, 1);
		*expired = e;
		return NULL;
	}
	return e;
}

/* The lookup under the mutex; counts hits and misses. */
static int cache_read_locked(paraprof_cache_t *c, struct cache_shard *sh,
			     uint64_t hash, const void *key, size_t key_len,
			     struct cache_out *o)
{
	struct cache_entry *e, *expired = NULL;
	uint64_t now;
	int rc;

	shard_lock(c, sh);
	now = cache_now(c);
	e = cache_find_live(c, sh, hash, key, key_len, now, &expired);
	if (!e) {
		rc = PARAPROF_ENOENT;
	} else {
		rc = cache_copy_out(e, o);
		if (rc == 0)
			entry_used(sh, e, now);
	}
	shard_unlock(c, sh);
	free(expired);
	if (rc == 0)
		cache_hit(c);
	else if (rc == PARAPROF_ENOENT)
		cache_miss(c);
	return rc;
}

static int cache_read(paraprof_cache_t *c, const void *key, size_t key_len,
		      struct cache_out *o)
{
	uint64_t hash = cache_hash(c->seed, key, key_len);
	struct cache_shard *sh = cache_shard_of(c, hash);
	int rc = cache_read_fast(c, sh, hash, key, key_len, o);

	if (likely(rc != CACHE_SLOW)) {
		if (rc == PARAPROF_ENOENT)
			cache_miss(c);
		return rc;
	}
	return cache_read_locked(c, sh, hash, key, key_len, o);
}

PP_EXPORT int paraprof_cache_get(paraprof_cache_t *c, const void *key,
				 size_t key_len, void *buf, size_t cap,
				 size_t *len)
{
	struct cache_out o = { .buf = buf, .cap = cap };
	int rc;

	if (unlikely(!c || !key || (!buf && cap)))
		return PARAPROF_EINVAL;
	rc = cache_read(c, key, key_len, &o);
	if (len && (rc == 0 || rc == PARAPROF_ERANGE))
		*len = o.len;
	return rc;
}

PP_EXPORT int paraprof_cache_get_alloc(paraprof_cache_t *c, const void *key,
				       size_t key_len, void **value, size_t *len)
{
	struct cache_out o = { .alloc = true };
	int rc;

	if (value)
		*value = NULL;
	if (!c || !key || !value)
		return PARAPROF_EINVAL;
	rc = cache_read(c, key, key_len, &o);
	if (rc == 0) {
		*value = o.copy;
		if (len)
			*len = o.len;
	}
	return rc;
}

/* ---- stores --------------------------------------------------------------- */

/* A new unlinked entry holding copies of key and value, or NULL. */
static struct cache_entry *entry_new(uint64_t hash, const void *key,
				     size_t key_len, const void *value,
				     size_t value_len)
{
	struct cache_entry *e;

	if (key_len > SIZE_MAX - sizeof(*e) ||
	    value_len > SIZE_MAX - sizeof(*e) - key_len)
		return NULL;
	e = cache_alloc(sizeof(*e) + key_len + value_len);
	if (!e)
		return NULL;
	e->hash = hash;
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
	bool bytes_elsewhere = false;
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
	if (key_len + value_len > SIZE_MAX - sizeof(*e))
		return PARAPROF_ENOMEM;
	hash = cache_hash(c->seed, key, key_len);
	e = entry_new(hash, key, key_len, value, value_len);
	if (!e)
		return PARAPROF_ENOMEM;

	sh = cache_shard_of(c, hash);
	shard_lock(c, sh);
	now = cache_now(c);
	e->placed_ns = e->used_ns = now;
	e->expires_ns = ttl_ns == 0 ? 0
			: now + ttl_ns < now ? UINT64_MAX : now + ttl_ns;
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
		if ((v = shard_evict(c, sh, e, now, UINT64_MAX)) != NULL) {
			v->hnext = victims;
			victims = v;
		} else {
			evict_elsewhere = 1;
		}
	}
	while (cache_over_bytes(c)) {
		if (!(v = shard_evict(c, sh, e, now, UINT64_MAX))) {
			bytes_elsewhere = true;
			break;
		}
		v->hnext = victims;
		victims = v;
	}
	stat_add(&c->stats->sets, 1);
	shard_unlock(c, sh);

	free_chain(victims);
	if (evict_elsewhere || bytes_elsewhere)
		cache_evict_elsewhere(c, (unsigned)(sh - c->shards),
				      evict_elsewhere, now);
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
	shard_lock(c, sh);
	e = cache_find_live(c, sh, hash, key, key_len, cache_now(c), &expired);
	if (e) {
		shard_unlink(c, sh, e);
		stat_add(&c->stats->deletes, 1);
	}
	shard_unlock(c, sh);
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

		shard_lock(c, sh);
		l = sh->lru.next;
		sh->lru.prev->next = NULL;	/* detach the list: l .. NULL */
		sh->lru.next = sh->lru.prev = &sh->lru;
		memset(sh->buckets, 0, sh->nbuckets * sizeof(*sh->buckets));
		stat_sub(&c->stats->size, sh->count);
		stat_sub(&c->stats->bytes, sh->bytes);
		sh->count = 0;
		sh->bytes = 0;
		shard_unlock(c, sh);
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
	cache_count(c, &out->hits, &out->misses);
	stat_raise(&c->stats->hits, out->hits);
	stat_raise(&c->stats->misses, out->misses);
	lookups = out->hits + out->misses;
	out->hit_rate = lookups ? (double)out->hits / (double)lookups : 0.0;
	st = c->stats;
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
		cache_evict_elsewhere(c, c->nshards, 0, cache_now(c));
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

	if (likely(c != NULL))
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

/* ---- fork ----------------------------------------------------------------- */

/*
 * fork() child: only the forking thread is left, and it is not inside a
 * cache function.  So no reader slot is in use but its own (a slot left
 * naming a shard would make the child's writers wait forever), and the
 * module's own mutexes are free.  The parent's segment stays mapped and
 * shared in the child: a published cache that went on counting into it would
 * count the child's lookups in the parent's profile, so in the child every
 * cache keeps its counters in private memory (from their values at the fork)
 * and is published no more.
 */
static void cache_after_fork(void)
{
	paraprof_cache_t *c, *next;
	unsigned i;

	for (i = 0; i < CACHE_READER_SLOTS; i++) {
		cache_readers[i].reading = NULL;
		cache_readers[i].owner = &cache_readers[i] == cache_my_reader;
	}
	pthread_mutex_init(&registry_lock, NULL);
	pthread_mutex_init(&global_lock, NULL);
	for (c = registry; c; c = next) {
		next = c->reg_next;
		memcpy(&c->own, c->stats, sizeof(c->own));
		c->own.state = 1;
		c->stats = &c->own;
		c->reg_next = NULL;
		c->reg_pprev = NULL;
	}
	registry = NULL;
}

static void cache_fork_init(void)
{
	pthread_atfork(NULL, NULL, cache_after_fork);
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
	struct cache_out o = { .buf = buf, .cap = cap };
	struct cache_entry *e, *expired = NULL;
	struct paraprof_flight *f;
	struct cache_shard *sh;
	uint64_t hash, now;
	int rc;

	if (!flight)
		return PARAPROF_EINVAL;
	*flight = NULL;
	if (!c || !key || (!buf && cap))
		return PARAPROF_EINVAL;
	hash = cache_hash(c->seed, key, key_len);
	sh = cache_shard_of(c, hash);
	rc = cache_read_fast(c, sh, hash, key, key_len, &o);
	if (rc == 0 || rc == PARAPROF_ERANGE) {
		if (len)
			*len = o.len;
		return rc;
	}

	/* A miss, or undecided: look again with the mutex, then at flights. */
	shard_lock(c, sh);
	now = cache_now(c);
	e = cache_find_live(c, sh, hash, key, key_len, now, &expired);
	if (e) {
		rc = cache_copy_out(e, &o);
		if (rc == 0)
			entry_used(sh, e, now);
		shard_unlock(c, sh);
		free(expired);
		if (rc == 0)
			cache_hit(c);
		if (len)
			*len = o.len;
		return rc;
	}
	cache_miss(c);
	for (f = sh->flights; f; f = f->next)
		if (f->hash == hash && f->key_len == key_len &&
		    memcmp(f->key, key, key_len) == 0)
			break;
	if (f) {
		bool last;

		f->refs++;
		while (!f->done)
			shard_wait(c, sh, &f->done_cv);
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
		shard_unlock(c, sh);
		if (last)
			flight_free(f);
		free(expired);
		return rc;
	}
	if (key_len > SIZE_MAX - sizeof(*f) ||
	    !(f = cache_alloc(sizeof(*f) + key_len))) {
		shard_unlock(c, sh);
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
	shard_unlock(c, sh);
	free(expired);
	*flight = f;
	return PARAPROF_COMPUTE;
}

PP_EXPORT int paraprof_cache_finish(paraprof_flight_t *f, const void *value,
				    size_t value_len, double ttl_s, int rc)
{
	struct paraprof_flight **pp;
	paraprof_cache_t *c;
	struct cache_shard *sh;
	bool last;

	if (!f)
		return PARAPROF_EINVAL;
	c = f->cache;
	sh = f->shard;
	if (rc == 0 && ((!value && value_len) || isnan(ttl_s)))
		rc = PARAPROF_EINVAL;
	/* Not storable (E2BIG, ENOMEM): the value is still handed out. */
	if (rc == 0)
		(void)paraprof_cache_set(c, f->key, f->key_len, value, value_len,
					 ttl_s);

	shard_lock(c, sh);
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
	shard_unlock(c, sh);
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
