/* clock.h - the benchmarks' clock: CLOCK_MONOTONIC in nanoseconds
 *
 * Header-only, as each benchmark is one file built alone (fibbench with
 * -finstrument-functions, regionbench and requestbench without).  A double
 * keeps the ns of a run exact for 104 days and divides without casts.
 */
#ifndef PARAPROF_BENCH_CLOCK_H
#define PARAPROF_BENCH_CLOCK_H

#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#endif /* PARAPROF_BENCH_CLOCK_H */
