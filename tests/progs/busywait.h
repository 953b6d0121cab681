/* busywait.h - waiting by the clock, for the test programs whose functions
 * must last a known time: not instrumented themselves, so the time is the
 * caller's.  A busy wait lasts at least `us`, more on a loaded machine. */
#ifndef PARAPROF_TESTS_BUSYWAIT_H
#define PARAPROF_TESTS_BUSYWAIT_H

#include <time.h>

__attribute__((no_instrument_function)) static inline long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

__attribute__((no_instrument_function)) static inline void wait_us(long us)
{
	long t0 = now_ns();

	while (now_ns() - t0 < us * 1000)
		;
}

#endif /* PARAPROF_TESTS_BUSYWAIT_H */
