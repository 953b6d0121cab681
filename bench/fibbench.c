/* fibbench.c - the hooks' cost per call: fib(N) (default 30, 2,692,537
 * calls) timed REPS times (default 7) inside the process, so start-up and
 * the dump at exit are not counted.  Prints the best run as ns per call, and
 * the process's peak RSS.
 *
 * probe_ns: the slower of the core's probes (clock.h) run right before and
 * right after the best run, which tells a slow process from a busy host. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "clock.h"

int fib(int n);

int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 30;
	int reps = argc > 2 ? atoi(argv[2]) : 7;
	double best = 1e30, calls = 0, probe_ns = 0, q0;
	long a = 0, b = 1;
	struct rusage ru;
	volatile int sink = 0;

	for (int i = 0; i < n + 1; i++) {	/* calls of fib(n) = 2*F(n+1) - 1 */
		long c = a + b;
		a = b;
		b = c;
	}
	calls = 2.0 * a - 1;
	q0 = bench_probe_ns();
	for (int r = 0; r < reps; r++) {
		double t0 = bench_now_ns();

		sink += fib(n);
		double t = bench_now_ns() - t0;
		double q = bench_probe_ns();

		if (t < best) {
			best = t;
			probe_ns = q > q0 ? q : q0;
		}
		q0 = q;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("calls=%.0f ns_per_call=%.3f maxrss_kib=%ld probe_ns=%.3f\n", calls, best / calls,
	       ru.ru_maxrss, probe_ns);
	return sink == -1;
}
