/* report_mix.c - functions of known durations for paraprof-report's tests
 *
 *   slow_a 6 x 8 ms, slow_b 6 x 3 ms, slow_c 6 x 1.5 ms (busy waits)
 *   mixed  100 calls: 95 of 1 ms and 5 of 10 ms (every 20th)
 *   fast   1000 calls of almost nothing
 * It prints the duration of each call of mixed() as it measured it inside
 * ("mixed NS"), so that a test can compute the exact quantiles to compare
 * with the report's.  With "loop" as argument it calls tick() every millisecond until killed,
 * printing "ready" once the first call is made.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile int sink;

static long mixed_ns[100];

__attribute__((no_instrument_function)) static long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

__attribute__((no_instrument_function)) static void wait_us(long us)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

void slow_a(void);
void slow_b(void);
void slow_c(void);
void mixed(int i);
void fast(void);
void tick(void);

void slow_a(void) { wait_us(8000); }
void slow_b(void) { wait_us(3000); }
void slow_c(void) { wait_us(1500); }
void mixed(int i)
{
	long t0 = now_ns();

	wait_us(i % 20 == 19 ? 10000 : 1000);
	mixed_ns[i] = now_ns() - t0;
}
void fast(void) { sink++; }
void tick(void) { sink++; }

int main(int argc, char **argv)
{
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
	for (int i = 0; i < 100; i++)
		printf("mixed %ld\n", mixed_ns[i]);
	return 0;
}
