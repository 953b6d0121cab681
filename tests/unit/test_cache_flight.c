/* test_cache_flight.c - unit tests of the cache (cache/): computing values
 *
 * Memoization (the macro and paraprof_cache_memoize), single flight with
 * several threads, errors of the compute function, and a concurrent stress
 * test whose invariants are checked at the end (run it under
 * ThreadSanitizer with `make check-tsan`).
 */
#include "cache_test.h"

/* ---- memoization -------------------------------------------------------------- */

static int fib_calls;

static long fib(int n)
{
	fib_calls++;
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void test_cache_memoize_macro(void **state)
{
	paraprof_cache_t *c = paraprof_cache_new(NULL, 100, 300);
	char key[32];
	long r = 0;
	int klen, calls;
	short wrong;

	(void)state;
	assert_non_null(c);
	klen = paraprof_cache_key(key, sizeof(key), "fib:%d", 20);
	assert_int_equal(klen, 6);
	fib_calls = 0;
	assert_int_equal(PARAPROF_CACHED(c, 300, key, (size_t)klen, r, fib(20)), 0);
	assert_int_equal(r, 6765);
	calls = fib_calls;
	assert_true(calls > 1);
	r = 0;
	assert_int_equal(PARAPROF_CACHED(c, 300, key, (size_t)klen, r, fib(20)), 0);
	assert_int_equal(r, 6765);
	assert_int_equal(fib_calls, calls);	/* not computed again */
	/* a value of another size under that key is not copied */
	wrong = 7;
	assert_int_equal(PARAPROF_CACHED(c, 300, key, (size_t)klen, wrong, (short)1),
			 PARAPROF_ERANGE);
	assert_int_equal(wrong, 7);
	assert_int_equal(stats_of(c).hits, 1);
	assert_int_equal(stats_of(c).misses, 1);
	paraprof_cache_free(c);
}

struct flight_test {
	paraprof_cache_t *cache;
	pthread_barrier_t start;
	int nthreads;
	int calls;		/* compute calls (atomic) */
	int fail_with;		/* compute returns this when not 0 */
};

/* Waits until every thread has missed (so that all are waiting on this
 * flight), then produces the value or the error. */
static int slow_compute(void *ctx, const void *key, size_t key_len, void *out,
			size_t cap, size_t *len)
{
	struct flight_test *ft = ctx;
	struct paraprof_cache_stats st;

	__atomic_fetch_add(&ft->calls, 1, __ATOMIC_SEQ_CST);
	do {
		sched_yield();
		paraprof_cache_stats(ft->cache, &st);
	} while (st.misses % (uint64_t)ft->nthreads != 0);
	if (ft->fail_with)
		return ft->fail_with;
	if (cap < key_len + 1)
		return PARAPROF_ERANGE;
	memcpy(out, key, key_len);
	((char *)out)[key_len] = '!';
	*len = key_len + 1;
	return 0;
}

static void *flight_thread(void *arg)
{
	struct flight_test *ft = arg;
	char out[32];
	size_t len = 0;
	intptr_t rc;

	pthread_barrier_wait(&ft->start);
	rc = paraprof_cache_memoize(ft->cache, "shared", 6, 300, slow_compute, ft,
				    out, sizeof(out), &len);
	if (rc == 0 && (len != 7 || memcmp(out, "shared!", 7) != 0))
		rc = 12345;	/* wrong value */
	return (void *)rc;
}

/* Runs nthreads memoize calls on one key at once; returns how many computed
 * and checks every thread got `want`. */
static int run_flight(struct flight_test *ft, int want)
{
	pthread_t tid[16];
	int i;

	ft->calls = 0;
	pthread_barrier_init(&ft->start, NULL, (unsigned)ft->nthreads);
	for (i = 0; i < ft->nthreads; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, flight_thread, ft), 0);
	for (i = 0; i < ft->nthreads; i++) {
		void *rc;

		pthread_join(tid[i], &rc);
		assert_int_equal((intptr_t)rc, want);
	}
	pthread_barrier_destroy(&ft->start);
	return ft->calls;
}

static void test_cache_single_flight(void **state)
{
	struct flight_test ft = { .nthreads = 8 };
	struct paraprof_cache_stats st;
	char out[32];
	size_t len;

	(void)state;
	ft.cache = paraprof_cache_new(NULL, 100, 300);
	assert_non_null(ft.cache);
	/* a failure reaches every waiter, and nothing is cached */
	ft.fail_with = -1000;
	assert_int_equal(run_flight(&ft, -1000), 1);
	assert_int_equal(stats_of(ft.cache).size, 0);
	/* then a success: computed once again, by one thread for all */
	ft.fail_with = 0;
	assert_int_equal(run_flight(&ft, 0), 1);
	st = stats_of(ft.cache);
	assert_int_equal(st.misses, 16);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.sets, 1);
	/* and now it is a hit for everyone */
	assert_int_equal(paraprof_cache_get(ft.cache, "shared", 6, out, sizeof(out),
					    &len), 0);
	assert_int_equal(len, 7);
	paraprof_cache_free(ft.cache);
}

/* The macro is single flight too. */
struct macro_flight {
	paraprof_cache_t *cache;
	pthread_barrier_t start;
	int calls;
};

static long macro_compute(struct macro_flight *mf)
{
	struct paraprof_cache_stats st;

	__atomic_fetch_add(&mf->calls, 1, __ATOMIC_SEQ_CST);
	do {
		sched_yield();
		paraprof_cache_stats(mf->cache, &st);
	} while (st.misses < 4);
	return 42;
}

static void *macro_thread(void *arg)
{
	struct macro_flight *mf = arg;
	long v = 0;
	int rc;

	pthread_barrier_wait(&mf->start);
	rc = PARAPROF_CACHED(mf->cache, 0, "m", 1, v, macro_compute(mf));
	return (void *)(intptr_t)(rc == 0 && v == 42);
}

static void test_cache_single_flight_macro(void **state)
{
	struct macro_flight mf = { 0 };
	pthread_t tid[4];
	int i;

	(void)state;
	mf.cache = paraprof_cache_new(NULL, 10, 0);
	assert_non_null(mf.cache);
	pthread_barrier_init(&mf.start, NULL, 4);
	for (i = 0; i < 4; i++)
		pthread_create(&tid[i], NULL, macro_thread, &mf);
	for (i = 0; i < 4; i++) {
		void *ok;

		pthread_join(tid[i], &ok);
		assert_true((intptr_t)ok);
	}
	pthread_barrier_destroy(&mf.start);
	assert_int_equal(mf.calls, 1);
	paraprof_cache_free(mf.cache);
}

static void test_cache_memoize_errors(void **state)
{
	paraprof_cache_t *c = paraprof_cache_new(NULL, 10, 0);
	paraprof_flight_t *f;
	char out[4];
	size_t len = 0;
	int calls = 0;

	(void)state;
	assert_non_null(c);
	/* the compute function's ERANGE and its size reach the caller */
	assert_int_equal(paraprof_cache_memoize(c, "longkey", 7, 0, echo_compute,
						&calls, out, sizeof(out), &len),
			 PARAPROF_ERANGE);
	assert_int_equal(len, 7);
	assert_int_equal(paraprof_cache_memoize(c, "abc", 3, 0, echo_compute,
						&calls, out, sizeof(out), &len), 0);
	assert_int_equal(paraprof_cache_memoize(c, "abc", 3, 0, echo_compute,
						&calls, out, sizeof(out), &len), 0);
	assert_int_equal(calls, 2);
	assert_memory_equal(out, "abc", 3);
	/* a value over the byte limit is returned but not stored */
	assert_int_equal(paraprof_cache_set_max_bytes(c, 5), 0);
	assert_int_equal(paraprof_cache_memoize(c, "wxyz", 4, 0, echo_compute,
						&calls, out, sizeof(out), &len), 0);
	assert_memory_equal(out, "wxyz", 4);
	assert_int_equal(calls, 3);
	assert_int_equal(paraprof_cache_get(c, "wxyz", 4, out, sizeof(out), &len),
			 PARAPROF_ENOENT);
	/* begin/finish by hand, with a failure */
	assert_int_equal(paraprof_cache_begin(c, "q", 1, out, sizeof(out), &len, &f),
			 PARAPROF_COMPUTE);
	assert_non_null(f);
	assert_int_equal(paraprof_cache_finish(f, NULL, 0, 0, PARAPROF_ENOMEM),
			 PARAPROF_ENOMEM);
	assert_int_equal(paraprof_cache_begin(c, "q", 1, out, sizeof(out), &len, &f),
			 PARAPROF_COMPUTE);
	assert_int_equal(paraprof_cache_finish(f, "Q", 1, 0, 0), 0);
	assert_int_equal(paraprof_cache_begin(c, "q", 1, out, sizeof(out), &len, &f), 0);
	assert_null(f);
	assert_int_equal(len, 1);
	paraprof_cache_free(c);
}

/* ---- concurrency -------------------------------------------------------------- */

#define STRESS_KEYS 1024
#define STRESS_THREADS 4

struct stress {
	paraprof_cache_t *cache;
	pthread_barrier_t start;
	int ops;			/* per thread */
};

struct stress_thread {
	struct stress *s;
	unsigned seed;
	uint64_t lookups;		/* gets and memoizes that returned 0 or ENOENT */
	uint64_t errors;		/* wrong values or unexpected codes */
	char what[128];			/* the first error */
};

/* The value of key k: its length and bytes follow from k, so a reader can
 * tell a torn or misplaced value. */
static size_t stress_value(int k, unsigned char *buf)
{
	size_t len = 8 + (size_t)(k % 57), i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(k * 31 + (int)i);
	return len;
}

static int stress_check(int k, const unsigned char *got, size_t len)
{
	unsigned char want[64];

	return len == stress_value(k, want) && memcmp(got, want, len) == 0;
}

static int stress_compute(void *ctx, const void *key, size_t key_len, void *out,
			  size_t cap, size_t *len)
{
	int k = atoi((const char *)key + 1);

	(void)ctx;
	(void)key_len;
	if (cap < 64)
		return PARAPROF_ERANGE;
	*len = stress_value(k, out);
	return 0;
}

static void stress_error(struct stress_thread *t, const char *fmt, int k, int rc)
{
	if (t->errors++ == 0)
		snprintf(t->what, sizeof(t->what), fmt, k, rc);
}

static void *stress_run(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	unsigned char buf[64];
	char key[16];
	int i;

	pthread_barrier_wait(&s->start);
	for (i = 0; i < s->ops; i++) {
		int k = (int)(rand_r(&t->seed) % STRESS_KEYS), op = (int)(rand_r(&t->seed) % 100);
		int klen = paraprof_cache_key(key, sizeof(key), "k%d", k), rc;
		size_t len = 0;

		if (op < 55) {
			rc = paraprof_cache_get(s->cache, key, (size_t)klen, buf,
						sizeof(buf), &len);
			if (rc == 0 || rc == PARAPROF_ENOENT)
				t->lookups++;
			if (rc == 0 && !stress_check(k, buf, len))
				stress_error(t, "get k%d: wrong value (%d)", k, rc);
			else if (rc && rc != PARAPROF_ENOENT)
				stress_error(t, "get k%d: %d", k, rc);
		} else if (op < 80) {
			len = stress_value(k, buf);
			/* some entries live 1 ms, so that expiry runs too */
			rc = paraprof_cache_set(s->cache, key, (size_t)klen, buf, len,
						k % 7 == 0 ? 0.001 : -1);
			if (rc)
				stress_error(t, "set k%d: %d", k, rc);
		} else if (op < 90) {
			rc = paraprof_cache_memoize(s->cache, key, (size_t)klen, -1,
						    stress_compute, NULL, buf,
						    sizeof(buf), &len);
			t->lookups++;
			if (rc || !stress_check(k, buf, len))
				stress_error(t, "memoize k%d: %d", k, rc);
		} else if (op < 98) {
			rc = paraprof_cache_delete(s->cache, key, (size_t)klen);
			if (rc && rc != PARAPROF_ENOENT)
				stress_error(t, "delete k%d: %d", k, rc);
		} else if (op < 99) {
			void *copy = NULL;

			rc = paraprof_cache_get_alloc(s->cache, key, (size_t)klen,
						      &copy, &len);
			if (rc == 0 || rc == PARAPROF_ENOENT)
				t->lookups++;
			if (rc == 0 && !stress_check(k, copy, len))
				stress_error(t, "get_alloc k%d: wrong value (%d)", k, rc);
			free(copy);
		} else {
			struct paraprof_cache_stats st;

			rc = paraprof_cache_stats(s->cache, &st);
			if (rc || st.size > st.max_size + STRESS_THREADS)
				stress_error(t, "stats: size over max (%d/%d)", (int)st.size, rc);
		}
	}
	return NULL;
}

/* Several threads, every operation, shared keys; at the end the counters
 * must add up to what the threads did and what the cache holds. */
static void test_cache_concurrent_stress(void **state)
{
	struct stress s = { .ops = 100000 };
	struct stress_thread t[STRESS_THREADS];
	struct paraprof_cache_stats st;
	pthread_t tid[STRESS_THREADS];
	uint64_t lookups = 0, present = 0, bytes = 0;
	unsigned char buf[64];
	char key[16];
	int i;

	(void)state;
	s.cache = paraprof_cache_new(NULL, 256, 5.0);
	assert_non_null(s.cache);
	assert_int_equal(cache_shard_count(s.cache), 8);
	pthread_barrier_init(&s.start, NULL, STRESS_THREADS);
	for (i = 0; i < STRESS_THREADS; i++) {
		t[i] = (struct stress_thread){ .s = &s, .seed = 7919u * (unsigned)(i + 1) };
		assert_int_equal(pthread_create(&tid[i], NULL, stress_run, &t[i]), 0);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(tid[i], NULL);
		if (t[i].errors)
			fail_msg("thread %d: %llu errors, first: %s", i,
				 (unsigned long long)t[i].errors, t[i].what);
		lookups += t[i].lookups;
	}
	pthread_barrier_destroy(&s.start);

	st = stats_of(s.cache);
	assert_int_equal(st.hits + st.misses, lookups);
	assert_true(st.size <= 256);
	assert_true(st.evictions > 0);
	assert_true(st.deletes > 0);
	/* every entry counted is there, and only those; bytes add up */
	for (i = 0; i < STRESS_KEYS; i++) {
		void *copy;
		size_t len;
		int klen = paraprof_cache_key(key, sizeof(key), "k%d", i);

		if (paraprof_cache_get_alloc(s.cache, key, (size_t)klen, &copy, &len) == 0) {
			present++;
			bytes += (size_t)klen + len;
			assert_true(stress_check(i, copy, len));
			free(copy);
		}
	}
	(void)buf;
	st = stats_of(s.cache);
	/* lookups may have reclaimed expired entries meanwhile: size counts them
	 * no more, and neither does the walk */
	assert_int_equal(st.size, present);
	assert_int_equal(st.bytes, bytes);
	paraprof_cache_free(s.cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_memoize_macro),
		cmocka_unit_test(test_cache_single_flight),
		cmocka_unit_test(test_cache_single_flight_macro),
		cmocka_unit_test(test_cache_memoize_errors),
		cmocka_unit_test(test_cache_concurrent_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
