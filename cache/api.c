/* api.c - the cache's public API: creation, lookups, stores, the global cache
 *
 * Each function checks its arguments and calls the shard, lock and stats
 * code; cache_priv.h describes the design.  A lookup first tries the
 * lock-free path (cache_read_fast()) and falls back to the shard's mutex.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_priv.h"

/* ---- time ------------------------------------------------------------------ */

static uint64_t cache_monotonic_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

/* ---- creation and destruction --------------------------------------------- */

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
	if (name)
		slot = cache_segment_slot(name);
	if (slot) {
		c->stats = slot;
		cache_register(c);
	} else {
		c->stats = &c->own;
		c->own.state = PPF_CACHE_LIVE;
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
	__atomic_store_n(&c->stats->state, PPF_CACHE_FREED, __ATOMIC_RELEASE);
	cache_destroy(c, c->nshards);
}

/* ---- lookups -------------------------------------------------------------- */

/*
 * Finds key's live entry in sh (locked).  An expired one is unlinked, counted
 * and left in *expired for the caller to free after unlocking.
 */
struct cache_entry *cache_find_live(paraprof_cache_t *c,
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

/*
 * Serves live entry e, found at `now` in sh, which the caller has locked:
 * copies its value out, records the use, unlocks sh, frees `expired` (what
 * cache_find_live() reclaimed, or NULL) and counts a hit.  Returns 0, or
 * PARAPROF_ERANGE or PARAPROF_ENOMEM from the copy (no hit counted then).
 */
int cache_serve(paraprof_cache_t *c, struct cache_shard *sh,
		struct cache_entry *e, uint64_t now, struct cache_out *o,
		struct cache_entry *expired)
{
	int rc = cache_copy_out(e, o);

	if (rc == 0)
		entry_used(sh, e, now);
	shard_unlock(c, sh);
	free(expired);
	if (rc == 0)
		cache_hit(c);
	return rc;
}

/* The lookup under the mutex; counts hits and misses. */
static int cache_read_locked(paraprof_cache_t *c, struct cache_shard *sh,
			     uint64_t hash, const void *key, size_t key_len,
			     struct cache_out *o)
{
	struct cache_entry *e, *expired = NULL;
	uint64_t now;

	shard_lock(c, sh);
	now = cache_now(c);
	e = cache_find_live(c, sh, hash, key, key_len, now, &expired);
	if (e)
		return cache_serve(c, sh, e, now, o, expired);
	shard_unlock(c, sh);
	free(expired);
	cache_miss(c);
	return PARAPROF_ENOENT;
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

void cache_global_after_fork(void)
{
	pthread_mutex_init(&global_lock, NULL);
}

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
