/* cache_test.h - what the cache's unit tests share (test_cache.c,
 * test_cache_flight.c): the headers, an injected clock and small helpers
 * over the public functions.
 */
#ifndef PARAPROF_CACHE_TEST_H
#define PARAPROF_CACHE_TEST_H

/* Linked with the library's objects: call them directly, not through the
 * weak-reference wrappers paraprof.h gives programs. */
#define PARAPROF_BUILDING_LIBRARY

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "paraprof.h"
#include "cache.h"
#include "internal.h"

#define SEC 1000000000ull

/* ---- helpers -------------------------------------------------------------- */

/* An injected clock: each read advances it by `step` ns. */
struct test_clock {
	uint64_t now;	/* ns */
	uint64_t step;	/* ns per read */
};

static inline uint64_t test_clock_read(void *ctx)
{
	struct test_clock *t = ctx;

	t->now += t->step;
	return t->now;
}

static inline int set_str(paraprof_cache_t *c, const char *key, const char *value,
		   double ttl)
{
	return paraprof_cache_set(c, key, strlen(key), value, strlen(value) + 1, ttl);
}

/* 1 when key is present (a lookup: it counts and marks a use). */
static inline int has(paraprof_cache_t *c, const char *key)
{
	char buf[1024];
	int rc = paraprof_cache_get(c, key, strlen(key), buf, sizeof(buf), NULL);

	assert_true(rc == 0 || rc == PARAPROF_ENOENT);
	return rc == 0;
}

static inline struct paraprof_cache_stats stats_of(paraprof_cache_t *c)
{
	struct paraprof_cache_stats st;

	assert_int_equal(paraprof_cache_stats(c, &st), 0);
	return st;
}

/* A compute function that returns its key as the value, counting its calls
 * in *(int *)ctx. */
static inline int echo_compute(void *ctx, const void *key, size_t key_len, void *out,
			       size_t cap, size_t *len)
{
	(*(int *)ctx)++;
	if (cap < key_len) {
		*len = key_len;
		return PARAPROF_ERANGE;
	}
	memcpy(out, key, key_len);
	*len = key_len;
	return 0;
}

#endif
