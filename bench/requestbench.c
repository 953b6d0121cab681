/* requestbench.c - what one paraprof_request_begin/end pair costs
 *
 * N pairs (default 1,000,000) in a tight loop, best of 5 runs, in ns per
 * pair: on one path, rotating over 8 paths of 4 endpoints (ids to merge),
 * and on two threads at once (they share the request counter); plus the
 * formatting of the two header values.  Run it under the library:
 *   LD_PRELOAD=build/libparaprof.so build/bench/requestbench [N]
 * Not built with -finstrument-functions.
 */
#include <paraprof.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

static long n_pairs;

/* ns per pair of n pairs on one path. */
static double one_path(long n)
{
	double t0 = bench_now_ns();

	for (long i = 0; i < n; i++) {
		paraprof_request_t req = paraprof_request_begin("GET", "/api/agents/42");

		paraprof_request_end(&req, 200);
	}
	return (bench_now_ns() - t0) / (double)n;
}

static double rotating(long n)
{
	static const char *const paths[8] = {
		"/api/health", "/api/agents/42", "/api/agents/123e4567-e89b-12d3-a456-426614174000",
		"/api/workflows/7/run", "/api/agents/43?verbose=1", "/api/health",
		"/api/workflows/nightly/run", "/api/agents/deadbeefcafef00d",
	};
	double t0 = bench_now_ns();

	for (long i = 0; i < n; i++) {
		paraprof_request_t req = paraprof_request_begin(i & 4 ? "POST" : "GET", paths[i & 7]);

		paraprof_request_end(&req, 200);
	}
	return (bench_now_ns() - t0) / (double)n;
}

static void *thread_main(void *arg)
{
	*(double *)arg = one_path(n_pairs);
	return NULL;
}

static double headers(long n)
{
	paraprof_request_t req = paraprof_request_begin("GET", "/api/health");
	char t[32], c[32];
	double t0 = bench_now_ns();

	for (long i = 0; i < n; i++)
		paraprof_request_headers(&req, t, sizeof(t), c, sizeof(c));
	t0 = (bench_now_ns() - t0) / (double)n;
	paraprof_request_end(&req, 200);
	return t0;
}

int main(int argc, char **argv)
{
	double best1 = 1e30, best8 = 1e30, best2 = 1e30, besth = 1e30;

	n_pairs = argc > 1 ? atol(argv[1]) : 1000000;
	/* without the library every call says PARAPROF_ENOSYS (the header's
	 * wrappers): there would be nothing to measure */
	if (n_pairs <= 0 || paraprof_is_enabled() == PARAPROF_ENOSYS) {
		fprintf(stderr, "requestbench: run it under libparaprof (LD_PRELOAD)\n");
		return 1;
	}
	for (int r = 0; r < 5; r++) {
		pthread_t th;
		double a = 0, b = 0, x;

		x = one_path(n_pairs);
		best1 = x < best1 ? x : best1;
		x = rotating(n_pairs);
		best8 = x < best8 ? x : best8;
		pthread_create(&th, NULL, thread_main, &a);
		b = one_path(n_pairs);
		pthread_join(th, NULL);
		x = a > b ? a : b;
		best2 = x < best2 ? x : best2;
		x = headers(n_pairs / 4 + 1);
		besth = x < besth ? x : besth;
	}
	printf("pair_ns=%.1f rotating_pair_ns=%.1f two_threads_pair_ns=%.1f headers_ns=%.1f\n",
	       best1, best8, best2, besth);
	return 0;
}
