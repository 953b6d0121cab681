/* report_mix.c - functions of known durations for paraprof-report's tests
 *
 *   slow_a 6 x 8 ms, slow_b 6 x 3 ms, slow_c 6 x 1.5 ms (busy waits)
 *   mixed  100 calls: 95 of 1 ms and 5 of 10 ms (every 20th)
 *   fast   1000 calls of almost nothing
 *
 * A busy wait lasts at least its time, more when the machine takes the CPU
 * away, so each function also measures itself (clock_gettime around its
 * body) and the program prints at exit "fn NAME CALLS TOTAL_NS" for each and
 * "mixed NS" for every call of mixed(): a test can then compute what the
 * report must say (sections, averages, exact quantiles) from what happened.
 * With "loop" as argument it calls tick() every millisecond until killed,
 * printing "ready" once the first call is made.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile int sink;
static long mixed_ns[100];
static long total_ns[3];	/* slow_a, slow_b, slow_c */

__attribute__((no_instrument_function)) static long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Busy-waits `us` microseconds; returns how long it really took (ns). */
__attribute__((no_instrument_function)) static long wait_us(long us)
{
	long t0 = now_ns(), t;

	do
		t = now_ns();
	while (t - t0 < us * 1000);
	return t - t0;
}

void slow_a(void);
void slow_b(void);
void slow_c(void);
void mixed(int i);
void fast(void);
void tick(void);

void slow_a(void) { total_ns[0] += wait_us(8000); }
void slow_b(void) { total_ns[1] += wait_us(3000); }
void slow_c(void) { total_ns[2] += wait_us(1500); }
void mixed(int i) { mixed_ns[i] = wait_us(i % 20 == 19 ? 10000 : 1000); }
void fast(void) { sink++; }
void tick(void) { sink++; }

int main(int argc, char **argv)
{
	long mixed_total = 0;

	if (argc > 1 && strcmp(argv[1], "loop") == 0) {
		struct timespec ms = { 0, 1000000 };

		tick();
		printf("ready\n");
		fflush(stdout);
		for (;;) {
			tick();
			nanosleep(&ms, NULL);
		}
	}
	for (int i = 0; i < 6; i++) {
		slow_a();
		slow_b();
		slow_c();
	}
	for (int i = 0; i < 100; i++)
		mixed(i);
	for (int i = 0; i < 1000; i++)
		fast();
	for (int i = 0; i < 100; i++) {
		printf("mixed %ld\n", mixed_ns[i]);
		mixed_total += mixed_ns[i];
	}
	printf("fn slow_a 6 %ld\nfn slow_b 6 %ld\nfn slow_c 6 %ld\nfn mixed 100 %ld\n",
	       total_ns[0], total_ns[1], total_ns[2], mixed_total);
	return 0;
}
