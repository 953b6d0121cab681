/* seed_prog.c - a small program whose dumps seed the loader's fuzzer
 *
 * Run under libparaprof.so it leaves real dumps with what the runtime
 * writes: several thread areas (two threads that exit, whose records are
 * folded into area 0, and the main thread), recursion, a child made with
 * fork (a second dump), a few octaves of durations per function.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

unsigned long seed_leaf(unsigned long x);
unsigned long seed_recurse(unsigned n);
void seed_sleep_us(long us);
void *seed_thread(void *arg);

__attribute__((noinline)) unsigned long seed_leaf(unsigned long x)
{
	return x * 2654435761u;
}

__attribute__((noinline)) unsigned long seed_recurse(unsigned n)
{
	return n < 2 ? seed_leaf(n) : seed_recurse(n - 1) + seed_recurse(n - 2);
}

__attribute__((noinline)) void seed_sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) void *seed_thread(void *arg)
{
	for (long i = 0; i < 20; i++) {
		sink += seed_recurse(8 + (unsigned)((long)arg & 3));
		seed_sleep_us(10 + i * 20);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	pid_t child;

	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, seed_thread, (void *)i);
	for (long i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	child = fork();
	if (child == 0) {
		sink += seed_recurse(10);
		seed_sleep_us(500);
		return 0;
	}
	sink += seed_recurse(12);
	if (child > 0)
		waitpid(child, NULL, 0);
	printf("seed_prog: %lu\n", sink);
	return 0;
}
