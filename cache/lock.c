/* lock.c - the cache's locking: reader slots, shard locks, fork
 *
 * A lookup takes no lock: it announces the shard it reads in its thread's
 * reader slot (one cache line per thread) and checks the shard's `writer`
 * flag; a change takes the shard's mutex, raises `writer` and waits until no
 * reader slot names the shard (cache_priv.h has the whole argument).  A
 * fork() child resets the slots and stops publishing its caches
 * (cache_fork_child(), called by the runtime's fork handler, preload/init.c).
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "cache_priv.h"

/* ---- reader slots --------------------------------------------------------- */

static struct cache_reader cache_readers[CACHE_READER_SLOTS];
static unsigned cache_reader_hwm;	/* slots [0, hwm) were ever claimed */
static pthread_key_t cache_reader_key;	/* releases a slot at thread exit */
static int cache_reader_key_ok;
static pthread_once_t cache_reader_once = PTHREAD_ONCE_INIT;
__thread struct cache_reader *cache_my_reader;
__thread int cache_reader_tried;	/* 1: asked for a slot already */
__thread unsigned cache_my_stripe;	/* 1 + stripe index, 0 = none yet */
unsigned cache_stripe_next;

static void cache_reader_release(void *arg)
{
	struct cache_reader *r = arg;

	cache_my_reader = NULL;	/* later calls of this thread take the mutex */
	cache_reader_tried = 1;
	__atomic_store_n(&r->owner, 0, __ATOMIC_RELEASE);
}


static void cache_reader_init(void)
{
	cache_reader_key_ok = pthread_key_create(&cache_reader_key,
						 cache_reader_release) == 0;
}

/* Claims a reader slot for the calling thread, once; NULL when all are
 * taken (the thread then always takes the mutex). */
struct cache_reader *cache_reader_claim(void)
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

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
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
void shard_lock(const paraprof_cache_t *c, struct cache_shard *sh)
{
	pthread_mutex_lock(&sh->lock);
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_drain(sh);
}

void shard_unlock(const paraprof_cache_t *c, struct cache_shard *sh)
{
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_undrain(sh);
	else
		shard_note_oldest(sh);
	pthread_mutex_unlock(&sh->lock);
}

/* Waits on cv, letting readers in meanwhile. */
void shard_wait(const paraprof_cache_t *c, struct cache_shard *sh,
		       pthread_cond_t *cv)
{
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_undrain(sh);
	pthread_cond_wait(cv, &sh->lock);
	if (!(c->flags & CACHE_PLAIN_LOCK))
		shard_drain(sh);
}

/* ---- fork ----------------------------------------------------------------- */

/*
 * fork() child: only the forking thread is left, and it is not inside a
 * cache function (another thread may have been: every lock is reset, also
 * when no cache was made yet, as paraprof_get_cache() holds the global one
 * while it makes the first).  So no reader slot is in use but its own (a slot left
 * naming a shard would make the child's writers wait forever), and the
 * module's own mutexes are free.  The parent's segment stays mapped and
 * shared in the child: a published cache that went on counting into it would
 * count the child's lookups in the parent's profile, so in the child every
 * cache keeps its counters in private memory (from their values at the fork)
 * and is published no more.
 */
void cache_fork_child(void)
{
	unsigned i;

	for (i = 0; i < CACHE_READER_SLOTS; i++) {
		cache_readers[i].reading = NULL;
		cache_readers[i].owner = &cache_readers[i] == cache_my_reader;
	}
	cache_stats_after_fork();
	cache_global_after_fork();
}
