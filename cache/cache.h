/* cache.h - private interfaces of the cache (cache/) for the rest of the tree
 *
 * The public API is in include/paraprof.h.  What is here lets the unit test
 * inject allocation failures, lets bench/ build a one-shard cache (one
 * mutex, the same hash table) as its baseline, and gives the runtime's
 * lifecycle (preload/init.c) the cache's fork and exit hooks.  Not exported
 * from libparaprof.so.
 */
#ifndef PARAPROF_CACHE_H
#define PARAPROF_CACHE_H

#include <stddef.h>

#include "paraprof.h"

/* Most shards a cache has; a cache gets one shard per CACHE_SHARD_ENTRIES
 * entries of max_size, rounded down to a power of two, at least one.  Small
 * shards keep the walks of its ordered list short. */
#define CACHE_MAX_SHARDS 65536
#define CACHE_SHARD_ENTRIES 32

/* Threads that can read lock-free at once; more threads take the mutex. */
#define CACHE_READER_SLOTS 128

/*
 * Test hook: every allocation the cache makes (cache objects, entries,
 * flights, hash tables, copies given to callers) goes through fn(size, ctx)
 * when fn is not NULL; fn returns memory that free() accepts, or NULL to
 * simulate running out.  NULL restores malloc.  Process-wide; set it while
 * no other thread uses a cache.
 */
void cache_set_alloc_hook(void *(*fn)(size_t size, void *ctx), void *ctx);

/* Flags of cache_new_sharded(). */
#define CACHE_PLAIN_LOCK 0x1u	/* lookups take the shard's mutex too: no
				   lock-free read path (the bench's baseline) */

/*
 * paraprof_cache_new() with an explicit shard count (a power of two from 1 to
 * CACHE_MAX_SHARDS; anything else gives NULL/EINVAL) and CACHE_* flags.  For
 * benchmarks and tests.
 */
paraprof_cache_t *cache_new_sharded(const char *name, size_t max_size,
				    double default_ttl_s, unsigned nshards,
				    unsigned flags);

/* The number of shards of a cache. */
unsigned cache_shard_count(const paraprof_cache_t *cache);

/* ---- fork and exit (preload/init.c calls these) ---- */

/* fork() child (the last of the runtime's child handlers): resets the reader
 * slots and the cache's own mutexes, and stops publishing every cache (each
 * keeps counting in private memory from its values at the fork).  Nothing
 * to do when no cache was used. */
void cache_fork_child(void);

/* Raises every published cache's hits and misses in the segment to the
 * stripes' sums.  The runtime calls it at exit just before it writes the
 * dump; a thread holding the registry then is not waited for. */
void cache_publish_all(void);

#endif /* PARAPROF_CACHE_H */
