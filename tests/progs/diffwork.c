/* diffwork.c - a workload whose one function can be made slower, for the
 * comparison tests (tests/integration/report_diff.sh)
 *
 * diffwork PCT [CALLS]: work() runs PCT % of its base loop (100: the base,
 * 130: 30 % slower) and steady() its fixed loop, CALLS times each (default
 * 1500), both pure computation (no clock, no system call), so their times
 * move with the machine's load as a real program's do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORK_ITERS 16000	/* work() at 100 %: about 30 us on the dev machine */
#define STEADY_ITERS 2000

uint64_t work(long iters, uint64_t x);
uint64_t steady(uint64_t x);

/* xorshift64 steps: the compiler cannot fold them away; inlined and not
 * instrumented, so that the time is work()'s and steady()'s own */
static inline __attribute__((always_inline, no_instrument_function)) uint64_t spin(long iters, uint64_t x)
{
	for (long i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

uint64_t work(long iters, uint64_t x)
{
	return spin(iters, x);
}

uint64_t steady(uint64_t x)
{
	return spin(STEADY_ITERS, x);
}

int main(int argc, char **argv)
{
	long pct = argc > 1 ? atol(argv[1]) : 100, calls = argc > 2 ? atol(argv[2]) : 1500;
	long iters = WORK_ITERS * pct / 100;
	uint64_t x = 88172645463325252ull;

	if (pct <= 0 || calls <= 0) {
		fprintf(stderr, "usage: diffwork PCT [CALLS]\n");
		return 2;
	}
	for (long i = 0; i < calls; i++) {
		x = work(iters, x);
		x = steady(x);
	}
	printf("%llu\n", (unsigned long long)(x & 0xff));
	return 0;
}
