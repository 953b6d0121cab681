/* busy.c - spin() busy-waits N microseconds (default 2000), called 50 times. */
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
	long us = argc > 1 ? atol(argv[1]) : 2000;

	for (int i = 0; i < 50; i++)
		spin(us);
	return 0;
}
