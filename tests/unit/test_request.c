/* test_request.c - request profiling's API and its link to the profiler
 *
 * request/request.c in-process on the real segment: the header values,
 * exact counts and status classes per endpoint, the slow warning's format
 * on a log pipe, the rate limit on a storm and the line at exit
 * (request_exit), the threshold setting (env.c), and the bound on distinct
 * endpoints.  Routes and the rate limiter alone: test_route.c and
 * test_limiter.c. */
/* Linked with the library's objects: call them directly, not through the
 * weak-reference wrappers paraprof.h gives programs (a weak reference pulls
 * no object out of libpp_preload.a). */
#define PARAPROF_BUILDING_LIBRARY
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

/* Begins 30 requests of GET `path`, waits `ms`, then ends them all. */
static void storm_of_30(const char *path, unsigned ms)
{
	paraprof_request_t storm[30];

	for (int i = 0; i < 30; i++)
		storm[i] = paraprof_request_begin("GET", path);
	sleep_ms(ms);
	for (int i = 0; i < 30; i++)
		assert_int_equal(paraprof_request_end(&storm[i], 200), 0);
}

/* The sum of the counts of the " (N more slow requests not shown)" that end
 * lines of `out`. */
static int not_shown(const char *out)
{
	int sum = 0;

	for (const char *p = out; (p = strstr(p, " more slow requests not shown)\n")); p++) {
		const char *d = p;

		while (d > out && d[-1] >= '0' && d[-1] <= '9')
			d--;
		sum += atoi(d);
	}
	return sum;
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
	int shown, more;

	storm_of_30("/api/storm", 6);
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
	more = not_shown(out);
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

/* The threshold: PARAPROF_SLOW_THRESHOLD as env.c reads it, and the one
 * conversion that it and paraprof_request_set_slow_threshold() share. */
static void test_request_threshold_setting(void **state)
{
	uint64_t ns = 7;

	(void)state;
	assert_int_equal(env_threshold_ns(0.0, &ns), -1);
	assert_int_equal(env_threshold_ns(-1.0, &ns), -1);
	assert_int_equal(env_threshold_ns(__builtin_nan(""), &ns), -1);
	assert_int_equal(env_threshold_ns(1e9 * 1.000001, &ns), -1);
	assert_int_equal(ns, 7);		/* unchanged on error */
	assert_int_equal(env_threshold_ns(1e9, &ns), 0);
	assert_int_equal(ns, 1000000000ull * 1000000000ull);
	assert_int_equal(env_threshold_ns(0.0025, &ns), 0);
	assert_int_equal(ns, 2500000);
	assert_int_equal(env_threshold_ns(1e-12, &ns), 0);	/* above 0: taken, as 0 ns */
	assert_int_equal(ns, 0);

	assert_int_equal(unsetenv("PARAPROF_SLOW_THRESHOLD"), 0);
	assert_int_equal(env_slow_threshold_ns(), ENV_SLOW_THRESHOLD_NS);
	assert_int_equal(ENV_SLOW_THRESHOLD_NS, 1000000000ull);	/* documented: 1.0 s */
	assert_int_equal(setenv("PARAPROF_SLOW_THRESHOLD", "2.5", 1), 0);
	assert_int_equal(env_slow_threshold_ns(), 2500000000ull);
	assert_int_equal(setenv("PARAPROF_SLOW_THRESHOLD", "abc", 1), 0);
	assert_int_equal(env_slow_threshold_ns(), ENV_SLOW_THRESHOLD_NS);
	assert_int_equal(setenv("PARAPROF_SLOW_THRESHOLD", "0", 1), 0);
	assert_int_equal(env_slow_threshold_ns(), ENV_SLOW_THRESHOLD_NS);
	assert_int_equal(setenv("PARAPROF_SLOW_THRESHOLD", "", 1), 0);
	assert_int_equal(env_slow_threshold_ns(), ENV_SLOW_THRESHOLD_NS);
	assert_int_equal(unsetenv("PARAPROF_SLOW_THRESHOLD"), 0);
}

/* Slow requests the limiter refused after the last line it let through get
 * one line at exit (request_exit, called by init.c's destructor), once. */
static void test_request_exit_reports_refused(void **state)
{
	static char out[1 << 16];
	unsigned long long pending = 0;
	int fds[2], shown, inline_more;

	(void)state;
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	assert_int_equal(paraprof_request_set_log_fd(fds[1]), 0);
	assert_int_equal(paraprof_request_set_slow_threshold(0.001), 0);
	request_exit();		/* what earlier tests left pending */
	drain(fds[0], out, sizeof(out));
	storm_of_30("/exit/storm", 3);
	drain(fds[0], out, sizeof(out));
	shown = count_lines(out, "paraprof: slow request GET /exit/storm ");
	inline_more = not_shown(out);
	/* at most a burst of 10 lines (fewer when earlier tests used the
	 * credit); the rest waits for the next line, or the exit */
	assert_true(shown + inline_more <= 30);
	request_exit();
	drain(fds[0], out, sizeof(out));
	if (shown + inline_more < 30) {
		assert_int_equal(sscanf(out, "paraprof: %llu more slow requests not shown "
					"(at most 10 slow-request lines a second)\n", &pending), 1);
		assert_int_equal(count_lines(out, "paraprof: "), 1);
	} else {
		assert_string_equal(out, "");	/* a machine so slow that all got through */
	}
	assert_int_equal((unsigned long long)(shown + inline_more) + pending, 30);
	/* reported once: nothing more at a second call */
	request_exit();
	assert_int_equal(drain(fds[0], out, sizeof(out)), 0);

	assert_int_equal(paraprof_request_set_log_fd(-1), 0);
	assert_int_equal(paraprof_request_set_slow_threshold(1.0), 0);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_header_format),
		cmocka_unit_test(test_request_api_counts_and_classes),
		cmocka_unit_test(test_request_api_slow_warning_and_limit),
		cmocka_unit_test(test_request_api_threads_fold),
		cmocka_unit_test(test_request_api_endpoint_bound),
		cmocka_unit_test(test_request_threshold_setting),
		cmocka_unit_test(test_request_exit_reports_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
