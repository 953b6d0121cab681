/* busy.c - spin() busy-waits N microseconds (default 2000), called 50 times;
 * prints the program's own measurement of the 50 calls. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void spin(long us);

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

void spin(long us)
{
	long end = now_us() + us;

	while (now_us() < end)
		;
}

int main(int argc, char **argv)
{
	long us = argc > 1 ? atol(argv[1]) : 2000, own = 0;

	for (int i = 0; i < 50; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		spin(us);
		clock_gettime(CLOCK_MONOTONIC, &b);
		own += (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
	}
	/* the program's own clock around each call: what the calls really took */
	printf("own_ns=%ld\n", own);
	return 0;
}
