/* watched.c - a program for paraprof-report --watch to watch: for SECONDS
 * (argument, default 5) it calls heavy() 20 times a second, each busy for
 * about 20 ms (the most time per second, few calls), and light() some
 * 50,000 times a second, each nearly free (the most calls per second). */
#include <stdlib.h>
#include <time.h>

void heavy(void);
void light(void);

static volatile unsigned long sink;

/* not instrumented: the table is to show heavy() and light() alone */
__attribute__((no_instrument_function)) static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

void heavy(void)
{
	long end = now_us() + 20000;

	while (now_us() < end)
		sink++;
}

void light(void)
{
	sink++;
}

int main(int argc, char **argv)
{
	long end = now_us() + (argc > 1 ? atol(argv[1]) : 5) * 1000000L;

	/* each round: 20 ms in heavy(), then 2,500 light() calls and a 30 ms
	 * sleep, so about 20 rounds a second */
	while (now_us() < end) {
		struct timespec nap = { 0, 30 * 1000000L };

		heavy();
		for (int i = 0; i < 2500; i++)
			light();
		nanosleep(&nap, NULL);
	}
	return 0;
}
