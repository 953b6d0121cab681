/* clock.c - the hooks' clock
 *
 * Where the CPU says its time-stamp counter is invariant (constant rate,
 * running in every power state), the hooks read rdtsc: a few nanoseconds and
 * no system call.  Its rate is calibrated against CLOCK_MONOTONIC once at
 * start-up.  Elsewhere the hooks read CLOCK_MONOTONIC (through the vDSO).
 *
 * Durations are converted to nanoseconds when they are recorded, with one
 * multiply and shift (ns = ticks * clock_mult >> 32, no division), so that
 * every histogram in every process has the same bucket bounds and merges
 * exactly.  A child after fork keeps its parent's calibration.
 */
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "internal.h"

int clock_tsc;
uint64_t clock_mult = 1ull << 32;
uint64_t clock_ticks_per_sec = 1000000000ull;

uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
static int tsc_is_invariant(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return 0;
	__get_cpuid(0x80000007, &a, &b, &c, &d);
	return (d >> 8) & 1;
}

/* Reads the TSC and CLOCK_MONOTONIC as close together as it can: of three
 * tries, the pair whose TSC reads bracket the clock read most tightly. */
static void read_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = ~0ull;

	for (int i = 0; i < 3; i++) {
		uint64_t t0 = __builtin_ia32_rdtsc();
		uint64_t n = clock_mono_ns();
		uint64_t t1 = __builtin_ia32_rdtsc();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = n;
		}
	}
}
#endif

void clock_init(void)
{
	if (clock_ticks_per_sec != 1000000000ull || clock_tsc)
		return;		/* already calibrated (a child after fork) */
#if defined(__x86_64__) || defined(__i386__)
	if (tsc_is_invariant()) {
		uint64_t t0, n0, t1, n1;
		struct timespec pause = { 0, 5 * 1000000 };

		read_pair(&t0, &n0);
		nanosleep(&pause, NULL);
		read_pair(&t1, &n1);
		if (t1 > t0 && n1 > n0 + 1000000) {
			/* ticks/s to within the pair jitter (< 100 ns in 5 ms: 2e-5) */
			unsigned __int128 tps = (unsigned __int128)(t1 - t0) * 1000000000u / (n1 - n0);

			clock_ticks_per_sec = (uint64_t)tps;
			clock_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / tps);
			clock_tsc = 1;
		}
	}
#endif
}
