/* test_request.c - request profiling: routes, the rate limiter, the API
 *
 * The pure parts first (request_normalise, request_is_id, the token bucket
 * driven by a clock the test sets), then the public functions in-process on
 * the real segment: exact counts and status classes per endpoint, the slow
 * warning's format on a log pipe, the rate limit on a storm, and the bound
 * on distinct endpoints. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"
#include "paraprof.h"
#include "request.h"

#define MS 1000000ull

/* request_normalise with no templates into a 128-byte buffer. */
static const char *norm(const char *method, const char *path)
{
	static char buf[PARAPROF_ROUTE_MAX];
	size_t n = request_normalise(method, path, NULL, 0, buf, sizeof(buf));

	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_request_numeric_ids_merge(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/api/agents/42"), "GET /api/agents/{id}");
	assert_string_equal(norm("GET", "/api/agents/43"), "GET /api/agents/{id}");
	assert_string_equal(norm("GET", "/api/agents/0/runs/77"), "GET /api/agents/{id}/runs/{id}");
	assert_string_equal(norm("DELETE", "/1"), "DELETE /{id}");
	/* words and mixed segments stay */
	assert_string_equal(norm("GET", "/api/v1/agents"), "GET /api/v1/agents");
	assert_string_equal(norm("GET", "/api/agents/a42"), "GET /api/agents/a42");
	assert_string_equal(norm("GET", "/api/agents/-42"), "GET /api/agents/-42");
}

static void test_request_uuid_and_hex_ids(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/a/123e4567-e89b-12d3-a456-426614174000/b"),
			    "GET /a/{id}/b");
	assert_string_equal(norm("GET", "/a/123E4567-E89B-12D3-A456-426614174000"), "GET /a/{id}");
	/* dashes in the wrong places, a non-hex digit, one digit short: kept */
	assert_string_equal(norm("GET", "/a/123e4567e-89b-12d3-a456-42661417400"),
			    "GET /a/123e4567e-89b-12d3-a456-42661417400");
	assert_string_equal(norm("GET", "/a/123e4567-e89b-12d3-a456-42661417400g"),
			    "GET /a/123e4567-e89b-12d3-a456-42661417400g");
	assert_string_equal(norm("GET", "/a/123e4567-e89b-12d3-a456-42661417400"),
			    "GET /a/123e4567-e89b-12d3-a456-42661417400");
	/* 16 hex digits and more are an id, 15 are not, nor a hex word */
	assert_string_equal(norm("GET", "/blob/deadbeefcafef00d"), "GET /blob/{id}");
	assert_string_equal(norm("GET", "/blob/DEADBEEFCAFEF00D1234"), "GET /blob/{id}");
	assert_string_equal(norm("GET", "/blob/deadbeefcafef00"), "GET /blob/deadbeefcafef00");
	assert_string_equal(norm("GET", "/blob/cafe"), "GET /blob/cafe");

	assert_true(request_is_id("7", 1));
	assert_true(request_is_id("00000000-0000-0000-0000-000000000000", 36));
	assert_false(request_is_id("", 0));
	assert_false(request_is_id("12x", 3));
	assert_true(request_is_id("12x", 2));	/* only len bytes count */
}

static void test_request_query_fragment_and_uri(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/api/agents/42?verbose=1&x=/7"), "GET /api/agents/{id}");
	assert_string_equal(norm("GET", "/docs#section/3"), "GET /docs");
	assert_string_equal(norm("GET", "http://example.org:8080/api/9?q"), "GET /api/{id}");
	assert_string_equal(norm("GET", "HTTPS://example.org"), "GET /");
	assert_string_equal(norm("GET", ""), "GET /");
	assert_string_equal(norm("GET", "?only=query"), "GET /");
	assert_string_equal(norm("OPTIONS", "*"), "OPTIONS /*");
	/* empty segments and a trailing slash are kept: they are other URLs */
	assert_string_equal(norm("GET", "/api/agents/"), "GET /api/agents/");
	assert_string_equal(norm("GET", "//x//5"), "GET //x//{id}");
}

static void test_request_unprintable_bytes_and_method(void **state)
{
	(void)state;
	assert_string_equal(norm("GET", "/a b/c\nd\t/\x01\x7f\xc3\xa9"), "GET /a?b/c?d?/????");
	assert_string_equal(norm("GE T", "/"), "GE?T /");
	assert_string_equal(norm("", "/x"), "- /x");
	/* a method is cut at 16 bytes */
	assert_string_equal(norm("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "/x"), "ABCDEFGHIJKLMNOP /x");
}

static void test_request_long_names_are_cut(void **state)
{
	char path[400], buf[PARAPROF_ROUTE_MAX], small[12];
	size_t n;

	(void)state;
	memset(path, 'x', sizeof(path) - 1);	/* not hex: no id */
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	n = request_normalise("GET", path, NULL, 0, buf, sizeof(buf));
	assert_int_equal(n, sizeof(buf) - 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "GET /xxx", 8);
	assert_string_equal(buf + n - 3, "...");

	n = request_normalise("GET", "/api/agents/42", NULL, 0, small, sizeof(small));
	assert_string_equal(small, "GET /api...");
	assert_int_equal(n, sizeof(small) - 1);
	n = request_normalise("GET", "/x", NULL, 0, small, 1);
	assert_int_equal(n, 0);
	assert_string_equal(small, "");
	small[0] = 'z';
	assert_int_equal(request_normalise("GET", "/x", NULL, 0, small, 0), 0);
	assert_int_equal(small[0], 'z');	/* nothing written */
	/* exactly full is not cut */
	n = request_normalise("GET", "/abcdef", NULL, 0, small, sizeof(small));
	assert_string_equal(small, "GET /abcdef");
	assert_int_equal(n, 11);
}

static void test_request_templates_match_first(void **state)
{
	const char *const tpl[] = { "/api/agents/{name}/tools", "/api/agents/{x}", "/files/{p}/raw",
				    "/api/{a}/{b}/tools" };
	char buf[PARAPROF_ROUTE_MAX];

	(void)state;
	request_normalise("GET", "/api/agents/bob/tools?all=1", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/{name}/tools");
	request_normalise("POST", "/api/agents/42/tools", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "POST /api/agents/{name}/tools");	/* the first, not the id rule */
	request_normalise("GET", "/api/agents/bob", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/{x}");
	request_normalise("GET", "/api/other/bob/tools", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/{a}/{b}/tools");
	/* an empty segment does not match {x}; more or fewer segments do not match */
	request_normalise("GET", "/api/agents//tools", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents//tools");
	request_normalise("GET", "/api/agents/bob/tools/extra", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/bob/tools/extra");
	request_normalise("GET", "/api/agents", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents");
	request_normalise("GET", "/files/7/raw/", tpl, 4, buf, sizeof(buf));
	assert_string_equal(buf, "GET /files/{id}/raw/");
	/* without templates the id rules apply */
	request_normalise("GET", "/api/agents/42/tools", tpl, 0, buf, sizeof(buf));
	assert_string_equal(buf, "GET /api/agents/{id}/tools");

	assert_true(request_template_valid("/api/{x}", 111));
	assert_false(request_template_valid(NULL, 111));
	assert_false(request_template_valid("api/{x}", 111));
	assert_false(request_template_valid("/a b", 111));
	assert_false(request_template_valid("/a?b", 111));
	assert_false(request_template_valid("/a#b", 111));
	assert_false(request_template_valid("/abcd", 5));
	assert_true(request_template_valid("/abc", 5));
}

static void test_request_limiter_burst_then_rate(void **state)
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

static void test_request_limiter_storm(void **state)
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

static void test_request_limiter_clock_backwards(void **state)
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

/* ---- the API, in this process ---- */

/* The header values of an ended request, for chosen durations and numbers. */
static void test_request_header_format(void **state)
{
	static const struct { uint64_t ns, number; const char *time, *count; } cases[] = {
		{ 0, 1, "0.000000", "1" },
		{ 499, 9, "0.000000", "9" },
		{ 500, 10, "0.000001", "10" },
		{ 1234567, 42, "0.001235", "42" },
		{ 999999500, 1000000, "1.000000", "1000000" },
		{ 1200184999, 123456789, "1.200185", "123456789" },
		{ 12345678901234, UINT64_MAX, "12345.678901", "18446744073709551615" },
	};
	paraprof_request_t req;
	char t[32], c[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&req, 0, sizeof(req));
		req.state_ = 2;		/* ended: the values come from the handle */
		req.duration_ns = cases[i].ns;
		req.number = cases[i].number;
		assert_int_equal(paraprof_request_headers(&req, t, sizeof(t), c, sizeof(c)), 0);
		assert_string_equal(t, cases[i].time);
		assert_string_equal(c, cases[i].count);
		/* the same as printf's %.6f of the seconds */
		snprintf(c, sizeof(c), "%.6f", (double)((cases[i].ns + 500) / 1000) / 1e6);
		assert_string_equal(t, c);
	}
	/* exactly fitting buffers, and one byte short */
	req.duration_ns = 1234567;
	req.number = 42;
	assert_int_equal(paraprof_request_headers(&req, t, 9, c, 3), 0);
	assert_string_equal(t, "0.001235");
	assert_string_equal(c, "42");
	assert_int_equal(paraprof_request_headers(&req, t, 8, NULL, 0), PARAPROF_ERANGE);
	assert_string_equal(t, "");
	assert_int_equal(paraprof_request_headers(&req, NULL, 0, c, 2), PARAPROF_ERANGE);
	assert_string_equal(c, "");
	assert_int_equal(paraprof_request_headers(&req, NULL, 0, NULL, 0), 0);
	assert_int_equal(paraprof_request_headers(NULL, t, sizeof(t), c, sizeof(c)),
			 PARAPROF_EINVAL);
}


static void sleep_ms(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_request_api_counts_and_classes(void **state)
{
	struct paraprof_endpoint_stats st;
	paraprof_request_t req;
	char pt[32], rc[32];
	uint64_t before = paraprof_request_count();
	static const int statuses[] = { 200, 201, 204, 301, 404, 404, 500, 503, 99, 700 };

	(void)state;
	assert_int_equal(paraprof_request_clear_stats(), 0);
	for (int i = 0; i < 10; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/api/things/%d?i=%d", 1000 + i, i);
		req = paraprof_request_begin("GET", path);
		assert_string_equal(req.route, "GET /api/things/{id}");
		assert_int_equal(req.number, before + 1 + (uint64_t)i);
		assert_int_equal(paraprof_request_end(&req, statuses[i]), 0);
		/* ended once only */
		assert_int_equal(paraprof_request_end(&req, 200), PARAPROF_EINVAL);
	}
	assert_int_equal(paraprof_request_count(), before + 10);
	assert_int_equal(paraprof_request_stats("GET /api/things/{id}", &st), 0);
	assert_int_equal(st.count, 10);
	assert_int_equal(st.status_2xx, 3);
	assert_int_equal(st.status_3xx, 1);
	assert_int_equal(st.status_4xx, 2);
	assert_int_equal(st.status_5xx, 2);
	assert_int_equal(st.status_other, 2);
	assert_int_equal(st.status_1xx, 0);
	assert_int_equal(st.errors, 4);
	assert_int_equal(st.slow, 0);
	assert_true(st.min_ns <= st.p50_ns && st.p50_ns <= st.p95_ns && st.p95_ns <= st.p99_ns &&
		    st.p99_ns <= st.max_ns);
	assert_int_equal(paraprof_request_stats("GET /api/none", &st), PARAPROF_ENOENT);
	assert_int_equal(paraprof_request_stats(NULL, &st), PARAPROF_EINVAL);

	/* the header values */
	req = paraprof_request_begin("POST", "/api/things");
	sleep_ms(3);
	assert_int_equal(paraprof_request_headers(&req, pt, sizeof(pt), rc, sizeof(rc)), 0);
	assert_true(strtod(pt, NULL) >= 0.003 && strtod(pt, NULL) < 1.0);
	assert_int_equal(strtoull(rc, NULL, 10), req.number);
	assert_int_equal(paraprof_request_headers(&req, pt, 3, NULL, 0), PARAPROF_ERANGE);
	assert_string_equal(pt, "");
	assert_int_equal(paraprof_request_end(&req, 201), 0);
	assert_true(req.duration_ns >= 3 * MS);
	assert_true(paraprof_request_elapsed(&req) == (double)req.duration_ns / 1e9);

	/* not begun */
	req = paraprof_request_begin(NULL, "/x");
	assert_int_equal(req.state_, 0);
	assert_int_equal(paraprof_request_end(&req, 200), PARAPROF_EINVAL);
	assert_true(paraprof_request_elapsed(&req) == 0.0);
	assert_int_equal(paraprof_request_headers(&req, pt, sizeof(pt), NULL, 0), PARAPROF_EINVAL);
	assert_int_equal(paraprof_request_end(NULL, 200), PARAPROF_EINVAL);

	/* clear: every statistic goes, the count stays */
	assert_int_equal(paraprof_request_clear_stats(), 0);
	assert_int_equal(paraprof_request_stats("GET /api/things/{id}", &st), PARAPROF_ENOENT);
	assert_int_equal(paraprof_request_count(), before + 11);
}

/* Reads what is in the pipe now. */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static int count_lines(const char *s, const char *prefix)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, prefix)); p++)
		n++;
	return n;
}

static void test_request_api_slow_warning_and_limit(void **state)
{
	struct paraprof_endpoint_stats st;
	paraprof_request_t req;
	static char out[1 << 16];
	int fds[2];
	double secs;
	char expect[128];
	uint64_t first_line_ns;

	(void)state;
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	assert_int_equal(paraprof_request_set_log_fd(fds[1]), 0);
	assert_int_equal(paraprof_request_set_log_fd(-2), PARAPROF_EINVAL);
	assert_int_equal(paraprof_request_set_log_fd(10000), PARAPROF_EINVAL);
	assert_int_equal(paraprof_request_set_slow_threshold(0), PARAPROF_EINVAL);
	assert_int_equal(paraprof_request_set_slow_threshold(-1), PARAPROF_EINVAL);
	assert_int_equal(paraprof_request_set_slow_threshold(__builtin_nan("")), PARAPROF_EINVAL);
	assert_int_equal(paraprof_request_set_slow_threshold(0.005), 0);
	assert_int_equal(seg_header()->slow_threshold_ns, 5 * MS);

	/* a fast one: no line */
	req = paraprof_request_begin("GET", "/api/slowish/1");
	assert_int_equal(paraprof_request_end(&req, 200), 0);
	assert_int_equal(drain(fds[0], out, sizeof(out)), 0);

	/* a slow one: the documented line */
	req = paraprof_request_begin("GET", "/api/slowish/2");
	sleep_ms(8);
	assert_int_equal(paraprof_request_end(&req, 200), 0);
	first_line_ns = clock_mono_ns();
	drain(fds[0], out, sizeof(out));
	assert_int_equal(sscanf(out, "paraprof: slow request GET /api/slowish/{id} %lf s "
				"(threshold 0.005 s)\n", &secs), 1);
	snprintf(expect, sizeof(expect), "paraprof: slow request GET /api/slowish/{id} %.3f s "
		 "(threshold 0.005 s)\n", (double)req.duration_ns / 1e9);
	assert_string_equal(out, expect);
	assert_true(secs >= 0.008);

	/* a storm of 30 slow requests within much less than 100 ms: the rest of
	 * the burst (9) gets through, then the next line reports the others.
	 * On a machine so busy that 100 ms passed since the first line, a line
	 * more may get through: then only what holds anyway is checked. */
	paraprof_request_t storm[30];
	int shown, more = 0;
	const char *p;

	for (int i = 0; i < 30; i++)
		storm[i] = paraprof_request_begin("GET", "/api/storm");
	sleep_ms(6);
	for (int i = 0; i < 30; i++)
		assert_int_equal(paraprof_request_end(&storm[i], 200), 0);
	drain(fds[0], out, sizeof(out));
	shown = count_lines(out, "paraprof: slow request GET /api/storm ");
	if (clock_mono_ns() - first_line_ns < 90 * MS) {
		assert_int_equal(shown, 9);
		assert_null(strstr(out, "not shown"));
	} else {
		assert_true(shown >= 9 && shown <= 30);
	}
	sleep_ms(110);		/* one line's credit */
	req = paraprof_request_begin("GET", "/api/storm");
	sleep_ms(6);
	assert_int_equal(paraprof_request_end(&req, 200), 0);
	drain(fds[0], out, sizeof(out));
	assert_int_equal(count_lines(out, "paraprof: slow request"), 1);
	p = strstr(out, " more slow requests not shown)\n");
	if (p) {
		while (p > out && p[-1] >= '0' && p[-1] <= '9')
			p--;
		more = atoi(p);
	}
	assert_int_equal(shown + more, 30);	/* each line shown or reported */
	if (shown == 9)
		assert_non_null(strstr(out, " (21 more slow requests not shown)\n"));

	/* every slow request is counted, shown or not */
	assert_int_equal(paraprof_request_stats("GET /api/storm", &st), 0);
	assert_int_equal(st.count, 31);
	assert_int_equal(st.slow, 31);
	assert_int_equal(paraprof_request_stats("GET /api/slowish/{id}", &st), 0);
	assert_int_equal(st.count, 2);
	assert_int_equal(st.slow, 1);

	assert_int_equal(paraprof_request_set_log_fd(-1), 0);
	assert_int_equal(paraprof_request_set_slow_threshold(1.0), 0);
	close(fds[0]);
	close(fds[1]);
}

/* Requests ended on threads that then exit: their records fold into the
 * process area, status classes and slow counts included. */
static void *short_lived(void *arg)
{
	int i = (int)(intptr_t)arg;
	paraprof_request_t req = paraprof_request_begin("GET", "/fold/1");

	if (i % 4 == 3)
		sleep_ms(3);	/* over the 2 ms threshold */
	paraprof_request_end(&req, i % 2 ? 200 : 404);
	return NULL;
}

static void test_request_api_threads_fold(void **state)
{
	struct paraprof_endpoint_stats st;
	pthread_t th[16];

	(void)state;
	assert_int_equal(paraprof_request_set_slow_threshold(0.002), 0);
	assert_int_equal(paraprof_request_set_log_fd(open("/dev/null", O_WRONLY)), 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 16; i++)
			assert_int_equal(pthread_create(&th[i], NULL, short_lived,
							(void *)(intptr_t)i), 0);
		for (int i = 0; i < 16; i++)
			pthread_join(th[i], NULL);
	}
	assert_int_equal(paraprof_request_stats("GET /fold/{id}", &st), 0);
	assert_int_equal(st.count, 32);
	assert_int_equal(st.status_2xx, 16);
	assert_int_equal(st.status_4xx, 16);
	assert_int_equal(st.errors, 16);
	assert_int_equal(st.slow, 8);
	assert_true(st.max_ns >= 3 * MS);
	assert_int_equal(paraprof_request_set_log_fd(-1), 0);
	assert_int_equal(paraprof_request_set_slow_threshold(1.0), 0);
}

static int sum_endpoints(const struct paraprof_endpoint_stats *st, void *ctx)
{
	uint64_t *v = ctx;

	v[0]++;
	v[1] += st->count;
	if (!strcmp(st->endpoint, "OTHER (overflow)"))
		v[2] = st->count;
	return 0;
}

static void test_request_api_endpoint_bound(void **state)
{
	uint64_t v[3] = { 0, 0, 0 };
	struct paraprof_endpoint_stats st;
	paraprof_request_t req;

	(void)state;
	assert_int_equal(paraprof_request_route("/tpl/{x}/y"), 0);
	assert_int_equal(paraprof_request_route("/tpl/{x}/y"), 0);	/* again: nothing */
	assert_int_equal(paraprof_request_route("no-slash"), PARAPROF_EINVAL);
	assert_int_equal(paraprof_request_route(NULL), PARAPROF_EINVAL);
	req = paraprof_request_begin("PUT", "/tpl/abc/y");
	assert_string_equal(req.route, "PUT /tpl/{x}/y");
	paraprof_request_end(&req, 200);

	assert_int_equal(paraprof_request_clear_stats(), 0);
	/* 400 distinct routes: the first ones up to the bound get their own
	 * endpoint, the rest one overflow endpoint */
	for (int i = 0; i < 400; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/bound/r%d", i);
		req = paraprof_request_begin("GET", path);
		assert_int_equal(paraprof_request_end(&req, 200), 0);
	}
	assert_int_equal(paraprof_request_foreach(sum_endpoints, v), 0);
	assert_int_equal(v[1], 400);			/* every request counted */
	assert_true(v[2] > 0);				/* some under the overflow */
	assert_true(v[0] <= 256 + 1);			/* never more than the bound */
	assert_int_equal(v[0] - 1 + v[2], 400);		/* one each, the rest overflow */
	assert_int_equal(paraprof_request_stats("OTHER (overflow)", &st), 0);
	assert_int_equal(st.count, v[2]);
	/* a known endpoint still gets its own counts */
	req = paraprof_request_begin("GET", "/bound/r0");
	paraprof_request_end(&req, 200);
	assert_int_equal(paraprof_request_stats("GET /bound/r0", &st), 0);
	assert_int_equal(st.count, 2);
	assert_int_equal(paraprof_request_foreach(NULL, v), PARAPROF_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_numeric_ids_merge),
		cmocka_unit_test(test_request_uuid_and_hex_ids),
		cmocka_unit_test(test_request_query_fragment_and_uri),
		cmocka_unit_test(test_request_unprintable_bytes_and_method),
		cmocka_unit_test(test_request_long_names_are_cut),
		cmocka_unit_test(test_request_templates_match_first),
		cmocka_unit_test(test_request_limiter_burst_then_rate),
		cmocka_unit_test(test_request_limiter_storm),
		cmocka_unit_test(test_request_limiter_clock_backwards),
		cmocka_unit_test(test_request_header_format),
		cmocka_unit_test(test_request_api_counts_and_classes),
		cmocka_unit_test(test_request_api_slow_warning_and_limit),
		cmocka_unit_test(test_request_api_threads_fold),
		cmocka_unit_test(test_request_api_endpoint_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
