/* cached.c - memoization with the paraprof cache (`make example-cached`)
 *
 * slow_square(n) takes a millisecond.  PARAPROF_CACHED keeps its results in
 * the global cache (paraprof_get_cache(), default TTL 300 s), and four
 * threads ask for the same 50 numbers 200 times each: each number is computed
 * once -- also when several threads miss it at the same moment (single
 * flight) -- and every other call is a hit.  A second cache, "sessions", is
 * too small for the 400 session ids it is asked for, so it mostly misses:
 * paraprof-report shows both in its Caches section and recommends a larger
 * "sessions".  Each cache's statistics are also printed here.
 *
 * Build:  cc -O2 -g -finstrument-functions -Iinclude -o cached examples/cached.c \
 *             -Lbuild -Wl,--no-as-needed -lparaprof -Wl,--as-needed -lpthread
 * Run:    build/paraprof -- ./cached
 * Built without -lparaprof and run without paraprof, it still runs: nothing
 * is cached then (the API answers PARAPROF_ENOSYS) and every call computes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <paraprof.h>

#define THREADS 4

static int computed;	/* slow_square() calls */

long slow_square(long n);	/* external: the report shows it by name */

long slow_square(long n)
{
	struct timespec ms = { 0, 1000000 };

	__atomic_fetch_add(&computed, 1, __ATOMIC_RELAXED);
	nanosleep(&ms, NULL);
	return n * n;
}

static void *worker(void *arg)
{
	paraprof_cache_t *sessions = arg;
	unsigned seed = (unsigned)(size_t)pthread_self();

	for (int i = 0; i < 200; i++) {
		long n = i % 50, sq = 0;
		char key[32], user[64];
		int klen = paraprof_cache_key(key, sizeof(key), "square:%ld", n);

		if (PARAPROF_CACHED(paraprof_get_cache(), 300, key, (size_t)klen, sq,
				    slow_square(n)) != 0 || sq != n * n)
			fprintf(stderr, "cached: square(%ld) failed\n", n);

		/* a session cache that is too small for its users */
		klen = paraprof_cache_key(key, sizeof(key), "sid:%u", rand_r(&seed) % 400);
		if (paraprof_cache_get(sessions, key, (size_t)klen, user, sizeof(user),
				       NULL) == PARAPROF_ENOENT)
			paraprof_cache_set(sessions, key, (size_t)klen, "user", 5, -1);
	}
	return NULL;
}

static void print_stats(const char *name, paraprof_cache_t *c)
{
	struct paraprof_cache_stats st;

	if (paraprof_cache_stats(c, &st) == 0)
		printf("%-8s hits %4llu  misses %4llu  hit rate %5.1f%%  size %llu/%llu"
		       "  evictions %llu\n", name, (unsigned long long)st.hits,
		       (unsigned long long)st.misses, 100.0 * st.hit_rate,
		       (unsigned long long)st.size, (unsigned long long)st.max_size,
		       (unsigned long long)st.evictions);
}

int main(void)
{
	paraprof_cache_t *sessions = paraprof_cache_new("sessions", 50, 60);
	pthread_t tid[THREADS];

	if (!sessions && errno != ENOSYS) {
		perror("cached: paraprof_cache_new");
		return 1;
	}
	if (!sessions)
		printf("libparaprof is not loaded: nothing is cached\n");
	for (int i = 0; i < THREADS; i++)
		pthread_create(&tid[i], NULL, worker, sessions);
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	printf("slow_square computed %d times for %d calls\n", computed, THREADS * 200);
	print_stats("global", paraprof_get_cache());
	print_stats("sessions", sessions);
	paraprof_cache_free(sessions);
	return 0;
}
