/* test_hist.c - the histogram's bucket bounds (include/paraprof/format.h)
 *
 * Every value below 2^22 and every 2^e + {-2..2} must fall into a bucket
 * whose bounds hold it, with bucket index monotonic in the value, and the
 * value the bucket reports within 1/128 of anything it holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "paraprof/format.h"

/* Checks the bucket of v and returns it. */
static unsigned check_value(uint64_t v)
{
	unsigned b = ppf_bucket(v);
	uint64_t lo, w, rep;

	if (b >= PPF_HIST_BUCKETS)
		fail_msg("value %llu: bucket %u out of range", (unsigned long long)v, b);
	lo = ppf_bucket_lower(b);
	w = ppf_bucket_width(b);
	if (v < lo || v - lo >= w)
		fail_msg("value %llu outside bucket %u [%llu, +%llu)", (unsigned long long)v, b,
			 (unsigned long long)lo, (unsigned long long)w);
	rep = ppf_bucket_value(b);
	/* |rep - v| <= v / 128, in integers: 128 * |rep - v| <= v */
	uint64_t diff = rep > v ? rep - v : v - rep;

	if (diff && (unsigned __int128)diff * 128 > v)
		fail_msg("value %llu reported as %llu: more than 1/128 off", (unsigned long long)v,
			 (unsigned long long)rep);
	return b;
}

static void test_hist_every_value_below_2_22(void **state)
{
	unsigned prev = 0;

	(void)state;
	for (uint64_t v = 0; v < (1u << 22); v++) {
		unsigned b = check_value(v);

		if (v && b != prev && b != prev + 1)
			fail_msg("bucket index jumps from %u to %u at %llu", prev, b,
				 (unsigned long long)v);
		prev = b;
	}
	/* values below 128 have a bucket each: exact */
	for (uint64_t v = 0; v < 128; v++)
		assert_int_equal(ppf_bucket_width(ppf_bucket(v)), 1);
}

static void test_hist_powers_of_two(void **state)
{
	(void)state;
	for (unsigned e = 0; e < 64; e++) {
		uint64_t p = (uint64_t)1 << e;

		for (int d = -2; d <= 2; d++) {
			uint64_t v = p + (uint64_t)(int64_t)d;

			if ((d < 0 && p < (uint64_t)-d) || (d > 0 && v < p))
				continue;	/* wrapped around */
			check_value(v);
		}
		if (e >= PPF_SUB_BITS + 1)	/* a power of two starts a bucket */
			assert_int_equal(ppf_bucket_lower(ppf_bucket(p)), p);
	}
	check_value(UINT64_MAX);
	assert_int_equal(ppf_bucket(UINT64_MAX), PPF_HIST_BUCKETS - 1);
}

static void test_hist_buckets_tile_the_line(void **state)
{
	(void)state;
	assert_int_equal(ppf_bucket_lower(0), 0);
	for (unsigned b = 0; b + 1 < PPF_HIST_BUCKETS; b++) {
		uint64_t lo = ppf_bucket_lower(b), w = ppf_bucket_width(b);

		assert_int_equal(ppf_bucket(lo), b);
		assert_int_equal(ppf_bucket(lo + w - 1), b);
		assert_true(ppf_bucket_lower(b + 1) == lo + w);	/* no gap, no overlap */
		/* relative width at most 1/64 once buckets are wider than 1 */
		assert_true(w == 1 || w * 64 <= lo);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_every_value_below_2_22),
		cmocka_unit_test(test_hist_powers_of_two),
		cmocka_unit_test(test_hist_buckets_tile_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
