/* test_cache.c - unit tests of the cache (cache/): its entries
 *
 * LRU order and eviction, TTL expiry and per-entry TTLs with an injected
 * clock (no sleeps), statistics arithmetic, clear and delete, byte limits,
 * bad input, and allocation failure injected at every allocation of a
 * scripted sequence.  Named caches publish into the profiling segment, which
 * a named cache creates: those tests run in a forked child that removes its
 * segment and leaves with _exit(), so that the test process writes no dump.
 * Memoization, single flight and the concurrent stress test are in
 * test_cache_flight.c.
 */
#include "cache_test.h"

/* ---- LRU -------------------------------------------------------------------- */

static void test_cache_lru_order_and_eviction(void **state)
{
	struct test_clock clk = { 0, 1000 };
	paraprof_cache_t *c = paraprof_cache_new(NULL, 3, 0);
	char buf[16];

	(void)state;
	assert_non_null(c);
	assert_int_equal(cache_shard_count(c), 1);
	paraprof_cache_set_clock(c, test_clock_read, &clk);
	assert_int_equal(set_str(c, "a", "A", -1), 0);
	assert_int_equal(set_str(c, "b", "B", -1), 0);
	assert_int_equal(set_str(c, "c", "C", -1), 0);
	/* a is used: b becomes the least recently used */
	assert_int_equal(paraprof_cache_get(c, "a", 1, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "A");
	assert_int_equal(set_str(c, "d", "D", -1), 0);
	assert_int_equal(stats_of(c).evictions, 1);
	assert_int_equal(stats_of(c).size, 3);
	assert_false(has(c, "b"));
	/* order of use now: d (set), c, a */
	assert_true(has(c, "c"));
	assert_true(has(c, "a"));
	assert_int_equal(set_str(c, "e", "E", -1), 0);
	assert_false(has(c, "d"));
	assert_true(has(c, "c"));
	assert_true(has(c, "a"));
	assert_true(has(c, "e"));
	/* replacing a value is a use, and no eviction */
	assert_true(has(c, "c"));
	assert_int_equal(set_str(c, "a", "A2", -1), 0);	/* order: e, c, a */
	assert_int_equal(stats_of(c).evictions, 2);
	assert_int_equal(set_str(c, "f", "F", -1), 0);
	assert_false(has(c, "e"));
	assert_int_equal(paraprof_cache_get(c, "a", 1, buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "A2");
	assert_int_equal(stats_of(c).evictions, 3);
	assert_int_equal(stats_of(c).size, 3);
	paraprof_cache_free(c);
}

/* A random order of use: the EXTRA least recently used of N entries are the
 * ones evicted by EXTRA new ones.  The uses are far enough apart for the
 * recording resolution (1/8 of the oldest entry's age) to keep them apart. */
static void lru_permutation(int N, int EXTRA)
{
	struct test_clock clk = { 0, 1000 };
	paraprof_cache_t *c = cache_new_sharded(NULL, (size_t)N, 0, 1, 0);
	int *order = malloc((size_t)N * sizeof(*order)), i, round;
	unsigned seed = 12345;

	assert_non_null(c);
	assert_non_null(order);
	paraprof_cache_set_clock(c, test_clock_read, &clk);
	for (round = 0; round < 3; round++) {
		char key[16];

		assert_int_equal(paraprof_cache_clear(c), 0);
		for (i = 0; i < N; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			assert_int_equal(set_str(c, key, key, -1), 0);
			order[i] = i;
		}
		for (i = N - 1; i > 0; i--) {	/* Fisher-Yates */
			int j = (int)(rand_r(&seed) % (unsigned)(i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < N; i++) {
			snprintf(key, sizeof(key), "k%d", order[i]);
			assert_true(has(c, key));
		}
		for (i = 0; i < EXTRA; i++) {
			snprintf(key, sizeof(key), "new%d", i);
			assert_int_equal(set_str(c, key, key, -1), 0);
		}
		for (i = 0; i < N; i++) {
			snprintf(key, sizeof(key), "k%d", order[i]);
			if (has(c, key) != (i >= EXTRA))
				fail_msg("round %d: k%d, used %dth, is %s", round,
					 order[i], i, i >= EXTRA ? "gone" : "kept");
		}
		assert_int_equal(stats_of(c).size, N);
	}
	paraprof_cache_free(c);
	free(order);
}

static void test_cache_lru_permutation(void **state)
{
	(void)state;
	lru_permutation(60, 20);
	lru_permutation(500, 100);
}

/* Many shards: the count never ends above max_size and a working set that
 * fits is never evicted. */
static void test_cache_sharded_limits(void **state)
{
	paraprof_cache_t *c = paraprof_cache_new(NULL, 1000, 0);
	struct paraprof_cache_stats st;
	char key[32];
	int i, round;

	(void)state;
	assert_non_null(c);
	assert_int_equal(cache_shard_count(c), 16);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		assert_int_equal(set_str(c, key, "v", -1), 0);
		assert_true(stats_of(c).size <= 1000);
	}
	st = stats_of(c);
	assert_int_equal(st.size, 1000);
	assert_int_equal(st.evictions, 4000);
	assert_int_equal(st.sets, 5000);
	assert_int_equal(paraprof_cache_clear(c), 0);
	/* 900 keys in 1000 places, used over and over: all hits after the first */
	for (round = 0; round < 5; round++)
		for (i = 0; i < 900; i++) {
			snprintf(key, sizeof(key), "ws-%d", i);
			if (!has(c, key))
				assert_int_equal(set_str(c, key, "v", -1), 0);
		}
	st = stats_of(c);
	assert_int_equal(st.misses, 900);
	assert_int_equal(st.hits, 4 * 900);
	assert_int_equal(st.evictions, 4000);
	paraprof_cache_free(c);
}

/* ---- TTL ---------------------------------------------------------------------- */

static void test_cache_ttl_expiry(void **state)
{
	struct test_clock clk = { 1000 * SEC, 0 };
	paraprof_cache_t *c = paraprof_cache_new(NULL, 10, 10.0);
	struct paraprof_cache_stats st;

	(void)state;
	assert_non_null(c);
	paraprof_cache_set_clock(c, test_clock_read, &clk);
	assert_int_equal(set_str(c, "k", "value", -1), 0);
	clk.now += 10 * SEC - 1;
	assert_true(has(c, "k"));
	clk.now += 1;		/* exactly the TTL: expired */
	assert_false(has(c, "k"));
	st = stats_of(c);
	assert_int_equal(st.expirations, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.size, 0);	/* reclaimed */
	assert_int_equal(st.bytes, 0);
	/* a delete of an expired entry is ENOENT, and reclaims it too */
	assert_int_equal(set_str(c, "k", "value", -1), 0);
	clk.now += 11 * SEC;
	assert_int_equal(paraprof_cache_delete(c, "k", 1), PARAPROF_ENOENT);
	st = stats_of(c);
	assert_int_equal(st.expirations, 2);
	assert_int_equal(st.deletes, 0);
	assert_int_equal(st.size, 0);
	paraprof_cache_free(c);
}

static void test_cache_per_entry_ttl(void **state)
{
	struct test_clock clk = { 5 * SEC, 0 };
	paraprof_cache_t *c = paraprof_cache_new(NULL, 10, 5.0);

	(void)state;
	assert_non_null(c);
	paraprof_cache_set_clock(c, test_clock_read, &clk);
	assert_int_equal(set_str(c, "one", "1", 1.0), 0);
	assert_int_equal(set_str(c, "never", "0", 0), 0);
	assert_int_equal(set_str(c, "default", "5", -1), 0);
	assert_int_equal(set_str(c, "inf", "i", INFINITY), 0);
	assert_int_equal(set_str(c, "tiny", "t", 1e-12), 0);	/* >= 1 ns */
	clk.now += 1;
	assert_false(has(c, "tiny"));
	clk.now += SEC / 2;
	assert_true(has(c, "one"));
	clk.now += SEC / 2;
	assert_false(has(c, "one"));
	assert_true(has(c, "default"));
	clk.now += 4 * SEC;
	assert_false(has(c, "default"));
	clk.now += 1000000 * SEC;
	assert_true(has(c, "never"));
	assert_true(has(c, "inf"));
	assert_int_equal(stats_of(c).expirations, 3);
	assert_int_equal(stats_of(c).size, 2);
	paraprof_cache_free(c);
}

/* Expired entries nobody looks up are reclaimed by later sets and counted as
 * expirations, not evictions. */
static void test_cache_ttl_reclaimed_by_set(void **state)
{
	struct test_clock clk = { SEC, 0 };
	paraprof_cache_t *c = paraprof_cache_new(NULL, 4, 1.0);
	struct paraprof_cache_stats st;
	char key[8];
	int i;

	(void)state;
	assert_non_null(c);
	paraprof_cache_set_clock(c, test_clock_read, &clk);
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "old%d", i);
		assert_int_equal(set_str(c, key, "x", -1), 0);
	}
	clk.now += 2 * SEC;
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "new%d", i);
		assert_int_equal(set_str(c, key, "y", 0), 0);
	}
	st = stats_of(c);
	assert_int_equal(st.expirations, 4);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.size, 4);
	assert_int_equal(st.misses, 0);
	paraprof_cache_free(c);
}

/* ---- statistics, delete, clear, byte limit ---------------------------------- */

static void test_cache_stats_arithmetic(void **state)
{
	paraprof_cache_t *c = paraprof_cache_new(NULL, 100, 0);
	struct paraprof_cache_stats st;
	char key[16];
	int i, hits = 0, misses = 0;

	(void)state;
	assert_non_null(c);
	st = stats_of(c);
	assert_int_equal(st.hits + st.misses, 0);
	assert_true(st.hit_rate == 0.0);
	assert_int_equal(st.max_size, 100);
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(paraprof_cache_set(c, key, strlen(key), &i,
						    sizeof(i), -1), 0);
	}
	/* 1000 lookups (past several publishing batches): k0..k49 hit */
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i % 80);
		if (has(c, key))
			hits++;
		else
			misses++;
	}
	assert_int_equal(hits, 12 * 50 + 40);	/* i 960..999: k0..k39 */
	st = stats_of(c);
	assert_int_equal(st.hits, (uint64_t)hits);
	assert_int_equal(st.misses, (uint64_t)misses);
	assert_true(fabs(st.hit_rate - (double)hits / 1000.0) < 1e-12);
	assert_int_equal(st.sets, 50);
	assert_int_equal(st.size, 50);
	assert_int_equal(st.bytes, (uint64_t)(10 * (2 + 4) + 40 * (3 + 4)));
	assert_int_equal(st.evictions + st.expirations + st.deletes, 0);
	paraprof_cache_free(c);
}

static void test_cache_delete_and_clear(void **state)
{
	paraprof_cache_t *c = paraprof_cache_new(NULL, 10, 0);
	struct paraprof_cache_stats st;

	(void)state;
	assert_non_null(c);
	assert_int_equal(set_str(c, "a", "1", -1), 0);
	assert_int_equal(set_str(c, "b", "22", -1), 0);
	assert_int_equal(set_str(c, "c", "333", -1), 0);
	assert_int_equal(paraprof_cache_delete(c, "b", 1), 0);
	assert_int_equal(paraprof_cache_delete(c, "b", 1), PARAPROF_ENOENT);
	assert_false(has(c, "b"));
	assert_true(has(c, "a"));
	st = stats_of(c);
	assert_int_equal(st.deletes, 1);
	assert_int_equal(st.size, 2);
	assert_int_equal(st.bytes, (1 + 2) + (1 + 4));
	assert_int_equal(paraprof_cache_clear(c), 0);
	st = stats_of(c);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.hits, 1);	/* kept */
	assert_int_equal(st.misses, 1);
	assert_false(has(c, "a"));
	assert_false(has(c, "c"));
	/* usable after clear */
	assert_int_equal(set_str(c, "a", "x", -1), 0);
	assert_true(has(c, "a"));
	paraprof_cache_free(c);
}

static void test_cache_max_bytes(void **state)
{
	struct test_clock clk = { 0, 1000 };
	paraprof_cache_t *c = paraprof_cache_new(NULL, 50, 0);
	char value[100], key[8];
	int i;

	(void)state;
	assert_non_null(c);
	assert_int_equal(cache_shard_count(c), 1);	/* exact LRU order */
	paraprof_cache_set_clock(c, test_clock_read, &clk);
	memset(value, 'v', sizeof(value));
	for (i = 0; i < 10; i++) {	/* 10 x (2 + 98) = 1000 bytes */
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(paraprof_cache_set(c, key, 2, value, 98, -1), 0);
	}
	assert_int_equal(stats_of(c).bytes, 1000);
	assert_true(has(c, "k0"));	/* k1 is now the least recently used */
	assert_int_equal(paraprof_cache_set_max_bytes(c, 750), 0);
	assert_int_equal(stats_of(c).bytes, 700);
	assert_int_equal(stats_of(c).max_bytes, 750);
	assert_false(has(c, "k1"));
	assert_false(has(c, "k2"));
	assert_false(has(c, "k3"));
	assert_true(has(c, "k0"));
	/* a value over the limit: E2BIG, the old value stays */
	assert_int_equal(paraprof_cache_set(c, "k0", 2, value, 749, -1), PARAPROF_E2BIG);
	assert_true(has(c, "k0"));
	/* a big one that fits evicts as many as needed */
	assert_int_equal(paraprof_cache_set(c, "kb", 2, value, 448, -1), 0);
	assert_true(stats_of(c).bytes <= 750);
	assert_true(has(c, "kb"));
	assert_int_equal(stats_of(c).evictions, 3 + 4);
	/* no limit again */
	assert_int_equal(paraprof_cache_set_max_bytes(c, 0), 0);
	assert_int_equal(paraprof_cache_set(c, "huge", 4, value, 100, -1), 0);
	paraprof_cache_free(c);
}

static void test_cache_values(void **state)
{
	paraprof_cache_t *c = paraprof_cache_new(NULL, 10, 0);
	char small[4], big[64];
	size_t len = 0;
	void *copy;

	(void)state;
	assert_non_null(c);
	assert_int_equal(set_str(c, "k", "a longer value", -1), 0);
	/* too small: ERANGE with the size needed, not a hit */
	assert_int_equal(paraprof_cache_get(c, "k", 1, small, sizeof(small), &len),
			 PARAPROF_ERANGE);
	assert_int_equal(len, 15);
	assert_int_equal(paraprof_cache_get(c, "k", 1, NULL, 0, &len), PARAPROF_ERANGE);
	assert_int_equal(stats_of(c).hits + stats_of(c).misses, 0);
	assert_int_equal(paraprof_cache_get(c, "k", 1, big, sizeof(big), &len), 0);
	assert_int_equal(len, 15);
	assert_string_equal(big, "a longer value");
	/* a copy the caller owns outlives the entry */
	assert_int_equal(paraprof_cache_get_alloc(c, "k", 1, &copy, &len), 0);
	assert_int_equal(paraprof_cache_delete(c, "k", 1), 0);
	assert_int_equal(set_str(c, "k", "other", -1), 0);
	assert_string_equal(copy, "a longer value");
	free(copy);
	assert_int_equal(paraprof_cache_get_alloc(c, "nope", 4, &copy, &len),
			 PARAPROF_ENOENT);
	assert_null(copy);
	/* empty values and empty keys are values and keys */
	assert_int_equal(paraprof_cache_set(c, "", 0, NULL, 0, -1), 0);
	assert_int_equal(paraprof_cache_get(c, "", 0, NULL, 0, &len), 0);
	assert_int_equal(len, 0);
	/* binary keys: embedded NULs are part of the key */
	assert_int_equal(paraprof_cache_set(c, "a\0b", 3, "1", 1, -1), 0);
	assert_int_equal(paraprof_cache_get(c, "a\0c", 3, big, 1, &len), PARAPROF_ENOENT);
	assert_int_equal(paraprof_cache_get(c, "a\0b", 3, big, 1, &len), 0);
	paraprof_cache_free(c);
}

/* ---- bad input and allocation failure ----------------------------------------- */

static void test_cache_bad_input(void **state)
{
	paraprof_cache_t *c;
	struct paraprof_cache_stats st;
	paraprof_flight_t *f = (paraprof_flight_t *)1;
	char buf[8], big[8];
	size_t len;
	void *copy = (void *)1;
	int calls = 0;

	(void)state;
	errno = 0;
	assert_null(paraprof_cache_new("x", 0, 10));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(paraprof_cache_new(NULL, 10, -1));
	assert_int_equal(errno, EINVAL);
	assert_null(paraprof_cache_new(NULL, 10, NAN));
	assert_null(cache_new_sharded(NULL, 10, 0, 3, 0));
	assert_null(cache_new_sharded(NULL, 10, 0, 2 * CACHE_MAX_SHARDS, 0));
	assert_null(cache_new_sharded(NULL, 10, 0, 1, 0x80));

	assert_int_equal(paraprof_cache_get(NULL, "k", 1, buf, 8, &len), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_set(NULL, "k", 1, "v", 1, 0), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_delete(NULL, "k", 1), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_clear(NULL), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_stats(NULL, &st), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_set_max_bytes(NULL, 1), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_set_clock(NULL, NULL, NULL), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_get_alloc(NULL, "k", 1, &copy, &len),
			 PARAPROF_EINVAL);
	assert_null(copy);
	paraprof_cache_free(NULL);

	c = paraprof_cache_new(NULL, 4, 0);
	assert_non_null(c);
	assert_int_equal(paraprof_cache_get(c, NULL, 1, buf, 8, &len), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_get(c, "k", 1, NULL, 8, &len), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_get_alloc(c, "k", 1, NULL, &len), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_set(c, NULL, 1, "v", 1, 0), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_set(c, "k", 1, NULL, 1, 0), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_set(c, "k", 1, "v", 1, NAN), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_set(c, "k", SIZE_MAX, "v", 2, 0), PARAPROF_E2BIG);
	assert_int_equal(paraprof_cache_set(c, "k", SIZE_MAX - 64, "v", 2, 0),
			 PARAPROF_ENOMEM);
	assert_int_equal(paraprof_cache_delete(c, NULL, 0), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_stats(c, NULL), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_memoize(c, "k", 1, 0, NULL, NULL, buf, 8, &len),
			 PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_memoize(c, "k", 1, NAN, echo_compute, &calls,
						buf, 8, &len), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_memoize(c, NULL, 1, 0, echo_compute, &calls,
						buf, 8, &len), PARAPROF_EINVAL);
	assert_int_equal(calls, 0);
	assert_int_equal(paraprof_cache_begin(c, "k", 1, buf, 8, &len, NULL),
			 PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_begin(NULL, "k", 1, buf, 8, &len, &f),
			 PARAPROF_EINVAL);
	assert_null(f);
	assert_int_equal(paraprof_cache_finish(NULL, "v", 1, 0, 0), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_key(NULL, 8, "x"), PARAPROF_EINVAL);
	assert_int_equal(paraprof_cache_key(big, sizeof(big), "%s", "12345678"),
			 PARAPROF_ERANGE);
	assert_int_equal(paraprof_cache_key(big, sizeof(big), "%d", 1234567), 7);
	st = stats_of(c);
	assert_int_equal(st.size + st.sets + st.hits + st.misses, 0);
	paraprof_cache_free(c);

	/* the error table: every code has its own message and name */
	assert_string_equal(paraprof_strerror(PARAPROF_EINVAL), "invalid argument");
	assert_string_equal(paraprof_err_name(PARAPROF_ERANGE), "ERANGE");
	assert_true(strcmp(paraprof_strerror(PARAPROF_ENOENT),
			   paraprof_strerror(PARAPROF_ENOMEM)) != 0);
	assert_true(strcmp(paraprof_strerror(PARAPROF_E2BIG),
			   paraprof_strerror(PARAPROF_ERANGE)) != 0);
	assert_string_equal(paraprof_strerror(-99999), "unknown error");
	assert_string_equal(paraprof_strerror(0), "unknown error");
	assert_string_equal(paraprof_err_name(1), "UNKNOWN");
	assert_int_equal(PARAPROF_ENOMEM, -ENOMEM);
}

/* Fails the fail_at-th allocation; counts them all. */
struct alloc_plan {
	int count;
	int fail_at;
};

static void *plan_alloc(size_t size, void *ctx)
{
	struct alloc_plan *p = ctx;

	if (++p->count == p->fail_at)
		return NULL;
	return malloc(size);
}

/*
 * A fixed script of operations, run once per allocation it makes, with that
 * allocation failing: every call returns 0 or the expected error, and
 * afterwards the cache agrees with itself.
 */
static void test_cache_alloc_failure(void **state)
{
	struct alloc_plan plan = { 0, 0 };
	int total, fail_at;

	(void)state;
	for (fail_at = 0; ; fail_at++) {
		paraprof_cache_t *c;
		struct paraprof_cache_stats st;
		unsigned char buf[32];
		char key[16];
		size_t len;
		void *copy = NULL;
		paraprof_flight_t *f;
		uint64_t present = 0;
		int i, rc, calls = 0;

		plan.count = 0;
		plan.fail_at = fail_at;
		cache_set_alloc_hook(plan_alloc, &plan);
		c = paraprof_cache_new(NULL, 16, 0);
		if (!c) {
			assert_int_equal(errno, ENOMEM);
			assert_true(fail_at >= 1);
			cache_set_alloc_hook(NULL, NULL);
			continue;
		}
		for (i = 0; i < 20; i++) {	/* grows the table, evicts */
			snprintf(key, sizeof(key), "k%d", i);
			rc = paraprof_cache_set(c, key, strlen(key), key, strlen(key), -1);
			assert_true(rc == 0 || rc == PARAPROF_ENOMEM);
		}
		rc = paraprof_cache_get_alloc(c, "k19", 3, &copy, &len);
		assert_true(rc == 0 || rc == PARAPROF_ENOMEM || rc == PARAPROF_ENOENT);
		free(copy);
		rc = paraprof_cache_memoize(c, "m", 1, 0, echo_compute, &calls, buf,
					    sizeof(buf), &len);
		assert_true(rc == 0 || rc == PARAPROF_ENOMEM);
		rc = paraprof_cache_begin(c, "b", 1, buf, sizeof(buf), &len, &f);
		assert_true(rc == PARAPROF_COMPUTE || rc == PARAPROF_ENOMEM);
		if (rc == PARAPROF_COMPUTE)
			assert_int_equal(paraprof_cache_finish(f, "B", 1, 0, 0), 0);
		total = plan.count;
		cache_set_alloc_hook(NULL, NULL);

		/* consistent: size is what can be found, all of it correct */
		for (i = 0; i < 20; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			rc = paraprof_cache_get(c, key, strlen(key), buf, sizeof(buf), &len);
			if (rc == 0) {
				present++;
				assert_memory_equal(buf, key, len);
			}
		}
		present += paraprof_cache_get(c, "m", 1, buf, sizeof(buf), &len) == 0;
		present += paraprof_cache_get(c, "b", 1, buf, sizeof(buf), &len) == 0;
		st = stats_of(c);
		assert_int_equal(st.size, present);
		assert_true(st.size <= 16);
		/* and it works again */
		assert_int_equal(paraprof_cache_set(c, "after", 5, "x", 1, -1), 0);
		assert_int_equal(paraprof_cache_get(c, "after", 5, buf, sizeof(buf), &len), 0);
		paraprof_cache_free(c);
		if (fail_at > total)
			break;	/* the script ran without a failure: all covered */
	}
	assert_true(fail_at > 25);
}

/* ---- the segment (in a child process) ---------------------------------------- */

static int child_failures;

static void child_check(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	child_failures++;
	va_start(ap, fmt);
	fprintf(stderr, "child: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* The segment's cache record called `name` (the last one), or NULL. */
static struct ppf_cache *segment_cache(const char *name)
{
	struct ppf_header *h = seg_header();
	struct ppf_cache *found = NULL;
	uint32_t i, n;

	if (!h)
		return NULL;
	n = __atomic_load_n(&h->cache_count, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++) {
		struct ppf_cache *pc = (struct ppf_cache *)(seg_base + h->cache_off) + i;

		if (strcmp(seg_base + h->strtab_off + pc->name, name) == 0)
			found = pc;
	}
	return found;
}

static void *global_thread(void *arg)
{
	(void)arg;
	return paraprof_get_cache();
}

/* A fork child uses an inherited published cache: it works, and the
 * parent's segment (still mapped in the child) does not count its lookups. */
static void child_fork(paraprof_cache_t *c, struct ppf_cache *pc)
{
	struct paraprof_cache_stats st;
	uint64_t before;
	pid_t pid;
	int status = -1;

	paraprof_cache_stats(c, &st);	/* publishes */
	before = pc->hits;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char v[8];
		int i, ok = 1;

		for (i = 0; i < 1000; i++)
			ok &= paraprof_cache_get(c, "g", 1, v, sizeof(v), NULL) == 0;
		ok &= paraprof_cache_set(c, "h", 1, "2", 1, -1) == 0;
		paraprof_cache_stats(c, &st);
		ok &= st.hits >= before + 1000;
		paraprof_cache_free(c);
		_exit(ok ? 0 : 1);
	}
	child_check(pid > 0 && waitpid(pid, &status, 0) == pid, "fork failed");
	child_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the fork child's cache did not work (status %d)", status);
	child_check(pc->hits == before && pc->state == 1 && pc->sets == 1,
		    "the fork child counted in the parent's segment: hits %llu -> %llu,"
		    " state %u, sets %llu", (unsigned long long)before,
		    (unsigned long long)pc->hits, pc->state,
		    (unsigned long long)pc->sets);
}

static void child_publishes(void)
{
	paraprof_cache_t *c = paraprof_cache_new("test.sessions", 100, 0);
	struct paraprof_cache_stats st;
	struct ppf_cache *pc;
	pthread_t tid[4];
	void *got[4];
	char key[16];
	int i;

	child_check(c != NULL, "named cache not created");
	if (!c)
		return;
	pc = segment_cache("test.sessions");
	child_check(pc != NULL, "no segment record for test.sessions");
	if (!pc)
		return;
	child_check(pc->state == 1 && pc->max_size == 100, "state %u max_size %llu",
		    pc->state, (unsigned long long)pc->max_size);
	for (i = 0; i < 1000; i++) {	/* 1000 lookups: 700 hits */
		snprintf(key, sizeof(key), "k%d", i % 10);
		if (paraprof_cache_get(c, key, strlen(key), NULL, 0, NULL) == PARAPROF_ENOENT)
			paraprof_cache_set(c, key, strlen(key), NULL, 0, 0);
	}
	/* published in batches while running: never above the truth */
	child_check(pc->hits <= 990 && pc->misses <= 10, "hits %llu misses %llu",
		    (unsigned long long)pc->hits, (unsigned long long)pc->misses);
	child_check(pc->size == 10 && pc->sets == 10, "size %llu sets %llu",
		    (unsigned long long)pc->size, (unsigned long long)pc->sets);
	paraprof_cache_delete(c, "k1", 2);
	paraprof_cache_stats(c, &st);
	child_check(st.hits == 990 && st.misses == 10, "stats hits %llu misses %llu",
		    (unsigned long long)st.hits, (unsigned long long)st.misses);
	child_check(pc->hits == 990 && pc->misses == 10 && pc->deletes == 1 &&
		    pc->size == 9 && pc->bytes == 18,
		    "segment after stats: hits %llu misses %llu deletes %llu size %llu bytes %llu",
		    (unsigned long long)pc->hits, (unsigned long long)pc->misses,
		    (unsigned long long)pc->deletes, (unsigned long long)pc->size,
		    (unsigned long long)pc->bytes);
	paraprof_cache_get(c, "k2", 2, NULL, 0, NULL);
	paraprof_cache_free(c);
	child_check(pc->state == 2 && pc->hits == 991,
		    "after free: state %u hits %llu", pc->state,
		    (unsigned long long)pc->hits);

	/* the global cache: one, named "global", from any thread */
	for (i = 0; i < 4; i++)
		pthread_create(&tid[i], NULL, global_thread, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], &got[i]);
	child_check(got[0] != NULL && got[0] == got[1] && got[1] == got[2] &&
		    got[2] == got[3] && got[0] == paraprof_get_cache(),
		    "paraprof_get_cache() not one cache");
	if (!got[0])
		return;
	paraprof_cache_stats(got[0], &st);
	child_check(st.max_size == 1000, "global max_size %llu",
		    (unsigned long long)st.max_size);
	pc = segment_cache("global");
	child_check(pc && pc->state == 1 && pc->max_size == 1000,
		    "global not published");
	/* the default TTL is 300 s: an entry set now is there, as is */
	child_check(paraprof_cache_set(got[0], "g", 1, "1", 1, -1) == 0 &&
		    paraprof_cache_get(got[0], "g", 1, key, sizeof(key), NULL) == 0,
		    "global set/get");
	if (pc)
		child_fork(got[0], pc);
}

/* The child: this program again, run with --segment-child (a fresh process
 * rather than a fork, so that nothing of the test process carries over). */
static int segment_child(void)
{
	char name[64];

	child_publishes();
	if (!seg_header())
		child_check(0, "no segment was made");
	snprintf(name, sizeof(name), PPF_SEGMENT_FMT, seg_header()->pid,
		 (unsigned long long)seg_header()->pidns_ino,
		 (unsigned long long)seg_header()->proc_start_ticks);
	shm_unlink(name);
	_exit(child_failures ? 1 : 0);
}

static void test_cache_publishes_to_segment(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test_cache", "--segment-child", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_lru_order_and_eviction),
		cmocka_unit_test(test_cache_lru_permutation),
		cmocka_unit_test(test_cache_sharded_limits),
		cmocka_unit_test(test_cache_ttl_expiry),
		cmocka_unit_test(test_cache_per_entry_ttl),
		cmocka_unit_test(test_cache_ttl_reclaimed_by_set),
		cmocka_unit_test(test_cache_stats_arithmetic),
		cmocka_unit_test(test_cache_delete_and_clear),
		cmocka_unit_test(test_cache_max_bytes),
		cmocka_unit_test(test_cache_values),
		cmocka_unit_test(test_cache_bad_input),
		cmocka_unit_test(test_cache_alloc_failure),
		cmocka_unit_test(test_cache_publishes_to_segment),
	};

	if (argc == 2 && strcmp(argv[1], "--segment-child") == 0)
		return segment_child();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
