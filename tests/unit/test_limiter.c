/* test_limiter.c - the slow-request token bucket (request/limiter.c), alone
 *
 * Linked with request/limiter.o and nothing else (Makefile, REQUEST_PURE);
 * the clock is the test's: the burst, then the rate, a storm, and a clock
 * that goes backwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "request.h"

#define MS 1000000ull

static void test_limiter_burst_then_rate(void **state)
{
	struct request_limiter l;
	uint64_t t0 = 5000 * MS, dropped = 99;

	(void)state;
	request_limiter_init(&l, 10, 10, t0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(request_limiter_take(&l, t0, &dropped), 1);
		assert_int_equal(dropped, 0);
	}
	assert_int_equal(request_limiter_take(&l, t0, &dropped), 0);
	assert_int_equal(request_limiter_take(&l, t0 + 99 * MS, &dropped), 0);
	/* one line's credit after 100 ms, with the two refused before it */
	assert_int_equal(request_limiter_take(&l, t0 + 100 * MS, &dropped), 1);
	assert_int_equal(dropped, 2);
	assert_int_equal(request_limiter_take(&l, t0 + 100 * MS, &dropped), 0);
	assert_int_equal(l.dropped, 1);
	assert_int_equal(l.dropped_total, 3);
	/* a long pause refills the bucket to its burst, no further */
	dropped = 0;
	for (int i = 0; i < 10; i++)
		assert_int_equal(request_limiter_take(&l, t0 + 3600000 * MS, &dropped), 1);
	assert_int_equal(request_limiter_take(&l, t0 + 3600000 * MS, &dropped), 0);
}

static void test_limiter_storm(void **state)
{
	struct request_limiter l;
	uint64_t t0 = 1, dropped, reported = 0, shown = 0;

	(void)state;
	/* one slow request a millisecond for 10 s: the burst, then 10 a second */
	request_limiter_init(&l, 10, 10, t0);
	for (uint64_t i = 0; i < 10000; i++)
		if (request_limiter_take(&l, t0 + i * MS, &dropped)) {
			shown++;
			reported += dropped;
		}
	assert_int_equal(shown, 10 + 99);	/* 10 at 0 ms, then at 100, 200, ... 9900 ms */
	assert_int_equal(shown + l.dropped_total, 10000);
	assert_int_equal(reported + l.dropped, l.dropped_total);	/* nothing lost */
}

static void test_limiter_clock_backwards(void **state)
{
	struct request_limiter l;
	uint64_t dropped;

	(void)state;
	request_limiter_init(&l, 0, 0, 1000 * MS);	/* taken as 1 a second, burst 1 */
	assert_int_equal(l.interval_ns, 1000 * MS);
	assert_int_equal(request_limiter_take(&l, 1000 * MS, &dropped), 1);
	assert_int_equal(request_limiter_take(&l, 10 * MS, &dropped), 0);	/* earlier */
	assert_int_equal(l.credit_ns, 0);
	assert_int_equal(request_limiter_take(&l, 1999 * MS, &dropped), 0);
	assert_int_equal(request_limiter_take(&l, 2000 * MS, &dropped), 1);
	assert_int_equal(dropped, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limiter_burst_then_rate),
		cmocka_unit_test(test_limiter_storm),
		cmocka_unit_test(test_limiter_clock_backwards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
