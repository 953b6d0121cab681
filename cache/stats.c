/* stats.c - the cache's counters and their publication
 *
 * Counters live in a struct ppf_cache: a slot of the profiling segment for a
 * named cache, else one embedded in the cache.  Hits and misses go to
 * per-thread stripes and are raised into the published counters every
 * CACHE_PUBLISH_EVERY lookups of a stripe, by paraprof_cache_stats(), free,
 * and at exit (cache_publish_all(), called by the runtime just before it
 * writes the dump).  The registry lists the published caches.
 */
#include <pthread.h>
#include <string.h>

#include "cache_priv.h"

/* ---- counters ------------------------------------------------------------- */

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
void cache_count(const paraprof_cache_t *c, uint64_t *hits,
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
void cache_publish(paraprof_cache_t *c)
{
	uint64_t hits, misses;

	cache_count(c, &hits, &misses);
	stat_raise(&c->stats->hits, hits);
	stat_raise(&c->stats->misses, misses);
}

/* ---- the registry of published caches ------------------------------------ */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static paraprof_cache_t *registry;	/* published caches */

/* Called by the runtime at exit (preload/init.c, init_exit()), just before
 * it writes the dump, on every way out that writes it.  trylock: a thread
 * that holds the registry (making or freeing a cache) as the process exits
 * is not waited for; those counters then stay as last published. */
void cache_publish_all(void)
{
	paraprof_cache_t *c;

	if (pthread_mutex_trylock(&registry_lock) != 0)
		return;
	for (c = registry; c; c = c->reg_next)
		cache_publish(c);
	pthread_mutex_unlock(&registry_lock);
}

void cache_register(paraprof_cache_t *c)
{
	pthread_mutex_lock(&registry_lock);
	c->reg_next = registry;
	if (registry)
		registry->reg_pprev = &c->reg_next;
	c->reg_pprev = &registry;
	registry = c;
	pthread_mutex_unlock(&registry_lock);
}

void cache_unregister(paraprof_cache_t *c)
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

void cache_stats_after_fork(void)
{
	paraprof_cache_t *c, *next;

	pthread_mutex_init(&registry_lock, NULL);
	for (c = registry; c; c = next) {
		next = c->reg_next;
		memcpy(&c->own, c->stats, sizeof(c->own));
		c->own.state = PPF_CACHE_LIVE;
		c->stats = &c->own;
		c->reg_next = NULL;
		c->reg_pprev = NULL;
	}
	registry = NULL;
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
