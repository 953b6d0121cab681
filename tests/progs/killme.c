/* killme.c - step() 5000 times, prints "checkpoint 5000", then step() 5000
 * more times slowly, prints "made 10000" and waits to be killed. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile int sink;

void step(void);

void step(void) { sink++; }

int main(void)
{
	struct timespec pause_ = { 0, 20000 };

	for (int i = 0; i < 5000; i++)
		step();
	printf("checkpoint 5000\n");
	fflush(stdout);
	for (int i = 0; i < 5000; i++) {
		step();
		nanosleep(&pause_, NULL);
	}
	printf("made 10000\n");
	fflush(stdout);
	for (;;)
		pause();
}
