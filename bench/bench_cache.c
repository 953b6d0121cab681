/* bench_cache.c - hit cost and two-thread scaling of the paraprof cache
 *
 * Measures, in one run, the sharded cache (paraprof_cache_new) against a
 * baseline that is the same code with one shard: one pthread mutex around
 * the same hash table and LRU list.  Every lookup is a hit on a key chosen at
 * random from a fixed set that both threads share; values are 8 bytes and
 * entries have a TTL (the seed's default, 300 s), so every hit also reads the
 * clock.  Prints ns per hit on one thread, hits per second on one and on two
 * threads (each pinned to its own CPU) and their ratio.  One- and two-thread
 * runs alternate; each figure is the best of several runs (other work on the
 * machine only ever makes a run slower), and the ratio of the medians is
 * printed too.  A measurement to read, not a test: it never fails on a slow
 * machine.
 *
 * Usage: bench_cache [keys [hits_per_thread [runs]]]  (defaults 4096 2000000 7)
 */
/* Linked with the library's objects: call them directly, not through the
 * weak-reference wrappers paraprof.h gives programs. */
#define PARAPROF_BUILDING_LIBRARY
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "paraprof.h"
#include "cache.h"

#define KEY_MAX 24
#define MAX_THREADS 2
#define MAX_RUNS 15

struct bench {
	paraprof_cache_t *cache;
	char (*keys)[KEY_MAX];	/* nkeys keys */
	int *key_lens;		/* bytes */
	unsigned nkeys;		/* power of two */
	uint64_t hits;		/* lookups per thread */
	pthread_barrier_t start;
};

struct worker {
	struct bench *b;
	int cpu;		/* to pin to, -1 = no pinning */
	uint64_t seed;
	uint64_t ns;		/* wall time of its loop */
	uint64_t failures;	/* lookups that did not hit (must stay 0) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	uint64_t x = w->seed, i, value, t0;
	size_t len;

	pin(w->cpu);
	pthread_barrier_wait(&b->start);
	t0 = now_ns();
	for (i = 0; i < b->hits; i++) {
		unsigned k;

		/* xorshift64: a different random key order per thread */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (unsigned)x & (b->nkeys - 1);
		if (paraprof_cache_get(b->cache, b->keys[k], (size_t)b->key_lens[k],
				       &value, sizeof(value), &len) != 0)
			w->failures++;
	}
	w->ns = now_ns() - t0;
	return NULL;
}

/* Runs nthreads workers once; returns hits per second over all threads. */
static double run_once(struct bench *b, int nthreads, uint64_t *failures)
{
	pthread_t tid[MAX_THREADS];
	struct worker w[MAX_THREADS];
	uint64_t max_ns = 0;
	int i, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	pthread_barrier_init(&b->start, NULL, (unsigned)nthreads);
	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .b = b, .cpu = ncpu >= nthreads ? i : -1,
					.seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) };
		pthread_create(&tid[i], NULL, worker_run, &w[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(tid[i], NULL);
		if (w[i].ns > max_ns)
			max_ns = w[i].ns;
		*failures += w[i].failures;
	}
	pthread_barrier_destroy(&b->start);
	return (double)b->hits * nthreads / ((double)max_ns / 1e9);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}


/* Fills the cache with every key; returns 0 or an error code. */
static int fill(struct bench *b)
{
	unsigned i;

	for (i = 0; i < b->nkeys; i++) {
		uint64_t value = i;
		int rc = paraprof_cache_set(b->cache, b->keys[i],
					    (size_t)b->key_lens[i], &value,
					    sizeof(value), -1);
		if (rc)
			return rc;
	}
	return 0;
}

static int measure(const char *label, struct bench *b, int runs)
{
	uint64_t failures = 0;
	double one[MAX_RUNS], two[MAX_RUNS];
	int rc, i;

	if ((rc = fill(b)) != 0) {
		fprintf(stderr, "bench_cache: %s: filling: %s\n", label,
			paraprof_strerror(rc));
		return 1;
	}
	for (i = 0; i < runs; i++) {
		one[i] = run_once(b, 1, &failures);
		two[i] = run_once(b, 2, &failures);
	}
	qsort(one, (size_t)runs, sizeof(one[0]), cmp_double);
	qsort(two, (size_t)runs, sizeof(two[0]), cmp_double);
	printf("%-20s %6u %8.1f %13.0f %13.0f %6.2f %7.2f\n", label,
	       cache_shard_count(b->cache), 1e9 / one[runs - 1], one[runs - 1],
	       two[runs - 1], two[runs - 1] / one[runs - 1],
	       two[runs / 2] / one[runs / 2]);
	if (failures) {
		fprintf(stderr, "bench_cache: %s: %llu lookups missed\n", label,
			(unsigned long long)failures);
		return 1;
	}
	return 0;
}

/* Other processes take CPUs from the two-thread runs: say how busy the
 * machine was. */
static void print_load(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double load;

	if (!f)
		return;
	if (fscanf(f, "%lf", &load) == 1)
		printf("load average %.2f%s\n", load, load > 0.5 ?
		       ": other processes are running, the 2-thread figures suffer most"
		       : "");
	fclose(f);
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	unsigned nkeys = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 4096;
	int runs = argc > 3 ? atoi(argv[3]) : 7;
	unsigned i;
	int rc = 0;

	b.hits = argc > 2 ? strtoull(argv[2], NULL, 0) : 2000000;
	if (nkeys < 2 || (nkeys & (nkeys - 1)) || runs < 1 || runs > MAX_RUNS ||
	    b.hits == 0) {
		fprintf(stderr, "usage: bench_cache [keys (power of two) "
			"[hits_per_thread [runs (1-%d)]]]\n", MAX_RUNS);
		return 2;
	}
	b.nkeys = nkeys;
	b.keys = calloc(nkeys, KEY_MAX);
	b.key_lens = calloc(nkeys, sizeof(*b.key_lens));
	if (!b.keys || !b.key_lens)
		return 1;
	for (i = 0; i < nkeys; i++)
		b.key_lens[i] = paraprof_cache_key(b.keys[i], KEY_MAX,
						   "user:%u:profile", i);

	printf("paraprof cache: %u keys, 8-byte values, TTL 300 s, %llu hits per "
	       "thread, best of %d runs, %ld CPUs\n", nkeys,
	       (unsigned long long)b.hits, runs, sysconf(_SC_NPROCESSORS_ONLN));
	print_load();
	printf("%-20s %6s %8s %13s %13s %6s %7s\n", "cache", "shards", "ns/hit",
	       "hits/s 1 thr", "hits/s 2 thr", "2/1", "median");

	b.cache = cache_new_sharded(NULL, 2 * (size_t)nkeys, 300, 1, CACHE_PLAIN_LOCK);
	if (!b.cache)
		return 1;
	rc |= measure("baseline (1 mutex)", &b, runs);
	paraprof_cache_free(b.cache);

	b.cache = paraprof_cache_new(NULL, 2 * (size_t)nkeys, 300);
	if (!b.cache)
		return 1;
	rc |= measure("paraprof_cache", &b, runs);
	paraprof_cache_free(b.cache);

	free(b.keys);
	free(b.key_lens);
	return rc;
}
