/* slowcmp.c - one slow call through a library callback (issue 11): qsort
 * (libc, not instrumented) calls the instrumented comparator cmp, whose
 * every call spins SPIN_NS of its thread's CPU time, except the 200th,
 * which spins 100 times as long.  Prints calls=N slow_ns=D.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 300
#define SPIN_NS 20000		/* 20 us: above PARAPROF_SLOW_CALL_US's default */
#define SLOW_CALL 200

int cmp(const void *a, const void *b);

static long calls;

static void spin(long ns)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ns);
}

__attribute__((noinline)) int cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	spin(++calls == SLOW_CALL ? 100L * SPIN_NS : SPIN_NS);
	return (x > y) - (x < y);
}

int main(void)
{
	int v[N];

	srand(1);
	for (int i = 0; i < N; i++)
		v[i] = rand();
	qsort(v, N, sizeof(v[0]), cmp);
	printf("calls=%ld slow_ns=%ld\n", calls, 100L * SPIN_NS);
	return 0;
}
