/* shard.c - the cache's shards: memory, the ordered lists, eviction
 *
 * A shard owns its entries: a chained hash table and a list ordered by the
 * time each entry was placed (newest first).  Eviction re-places entries used
 * since they were placed and takes the least recently used; a set that finds
 * nothing to evict in its own shard evicts from the others, one shard locked
 * at a time.  The shard_*() functions run with the shard's mutex held;
 * cache_evict_elsewhere() takes the mutexes itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache_priv.h"

/* ---- allocation ----------------------------------------------------------- */

static void *(*cache_alloc_fn)(size_t size, void *ctx);
static void *cache_alloc_ctx;

void cache_set_alloc_hook(void *(*fn)(size_t size, void *ctx), void *ctx)
{
	__atomic_store_n(&cache_alloc_ctx, ctx, __ATOMIC_RELAXED);
	__atomic_store_n(&cache_alloc_fn, fn, __ATOMIC_RELEASE);
}

/* malloc(size), or the test hook's answer.  The result goes to free(). */
void *cache_alloc(size_t size)
{
	void *(*fn)(size_t, void *) = __atomic_load_n(&cache_alloc_fn,
						      __ATOMIC_ACQUIRE);

	if (fn)
		return fn(size, __atomic_load_n(&cache_alloc_ctx, __ATOMIC_RELAXED));
	return malloc(size);
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
uint64_t shard_link(paraprof_cache_t *c, struct cache_shard *sh,
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
void shard_unlink(paraprof_cache_t *c, struct cache_shard *sh,
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
struct cache_entry *shard_evict(paraprof_cache_t *c,
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


void free_chain(struct cache_entry *e)
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
void cache_evict_elsewhere(paraprof_cache_t *c, unsigned skip,
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
