/* threads.c - 8 threads, thread i calls work() 1000*(i+1) times.
 * Usage: threads exit   threads finish and exit (their records are folded)
 *        threads stay   threads block; main exits the process while they live */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 8

static pthread_barrier_t done;
static int stay;
static volatile unsigned long sink;

void work(unsigned long i);
void *thread_main(void *arg);

void work(unsigned long i)
{
	sink += i;
}

void *thread_main(void *arg)
{
	unsigned long n = 1000 * ((unsigned long)arg + 1);

	for (unsigned long i = 0; i < n; i++)
		work(i);
	if (stay) {
		pthread_barrier_wait(&done);
		for (;;)
			pause();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];

	stay = argc > 1 && !strcmp(argv[1], "stay");
	pthread_barrier_init(&done, NULL, NTHREADS + 1);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, thread_main, (void *)i);
	if (stay) {
		pthread_barrier_wait(&done);
		return 0;	/* exit() with the threads still alive */
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
