/* clock.h - the benchmarks' clock: CLOCK_MONOTONIC in nanoseconds
 *
 * Header-only, as each benchmark is one file built alone (fibbench with
 * -finstrument-functions, regionbench and requestbench without).  A double
 * keeps the ns of a run exact for 104 days and divides without casts.
 */
#ifndef PARAPROF_BENCH_CLOCK_H
#define PARAPROF_BENCH_CLOCK_H

#include <time.h>

__attribute__((no_instrument_function)) static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * A probe of the core: ns per iteration of a loop of 6 independent integer
 * operations and a load and store in a 24 KiB array (the L1 cache the hooks'
 * data lives in), bound by the core's throughput as the hooks are, not by
 * latency as a chain of rdtsc is.  On a virtual machine whose core is at
 * times busy with another guest (most likely a hyperthread on the same
 * physical core), the probe slows down with the hooks (20 % to 2 times)
 * while the floor (floor.c) hardly does: a benchmark prints it next to its
 * figure, to tell a busy core from a slow build.
 */
__attribute__((no_instrument_function)) static inline double bench_probe_ns(void)
{
	static unsigned long buf[3072];
	unsigned long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;
	double t0 = bench_now_ns();

	for (long i = 0; i < 3000000; i++) {
		a += (unsigned long)i;
		b ^= a;
		c += b >> 1;
		d ^= (unsigned long)i << 2;
		e += d;
		f ^= e + c;
		buf[(unsigned long)i * 8 % 3072] += a;	/* a new cache line each time */
		__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f));
	}
	return (bench_now_ns() - t0) / 3e6;
}

#endif /* PARAPROF_BENCH_CLOCK_H */
