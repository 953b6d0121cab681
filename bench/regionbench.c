/* regionbench.c - what a region begin/end pair and a span begin/end pair
 * cost: N (default 1,000,000) pairs, best of 5 runs, in ns per pair.  Not
 * built with -finstrument-functions. */
#include <paraprof.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double region = 1e30, span = 1e30;

	for (int r = 0; r < 5; r++) {
		double t0 = bench_now_ns();

		for (long i = 0; i < n; i++) {
			paraprof_region_begin("bench", 0);
			paraprof_region_end();
		}
		double t1 = bench_now_ns();

		for (long i = 0; i < n; i++)
			paraprof_span_end(paraprof_span_begin("bench-span"));
		double t2 = bench_now_ns();

		if ((t1 - t0) / n < region)
			region = (t1 - t0) / n;
		if ((t2 - t1) / n < span)
			span = (t2 - t1) / n;
	}
	printf("region_pair_ns=%.2f span_pair_ns=%.2f\n", region, span);
	return 0;
}
