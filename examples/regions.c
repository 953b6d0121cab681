/* regions.c - time parts of a function, in code built with or without
 * -finstrument-functions.
 *
 *   cc -O2 -Iinclude -o regions examples/regions.c
 *   build/paraprof -- ./regions          # regions appear in the report
 *   ./regions                            # runs the same without paraprof
 */
#include <paraprof.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double work(size_t n)
{
	double *v = malloc(n * sizeof(*v)), sum = 0;

	if (!v)
		return 0;
	{
		PARAPROF_REGION("fill");		/* ends with this block */
		for (size_t i = 0; i < n; i++)
			v[i] = (double)(i % 97) / 7.0;
	}
	/* a region that also reads /proc/self/statm at its begin and end */
	paraprof_region_begin("sum", PARAPROF_MEMORY);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	paraprof_region_end();
	free(v);
	return sum;
}

int main(void)
{
	double total = 0;

	for (int i = 0; i < 20; i++) {
		PARAPROF_REGION("iteration");
		total += work(200000);
	}
	printf("total %.1f\n", total);

	struct paraprof_stats st;

	if (paraprof_get_stats("fill", &st) == 0)
		printf("fill: %llu calls, avg %.3f ms, p95 %.3f ms\n", (unsigned long long)st.calls,
		       st.avg_ns / 1e6, st.p95_ns / 1e6);
	else
		printf("(not profiled: run it under paraprof for statistics)\n");
	return 0;
}
