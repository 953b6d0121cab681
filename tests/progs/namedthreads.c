/* namedthreads.c - threads with names and known call counts, for --threads
 *
 * Usage: namedthreads SHORT [stay]
 * First SHORT unnamed threads, 4 at a time, each calls tick() once; then
 * "alpha" calls f() 1000 times and "beta" calls g() 2000 times, each naming
 * itself with pthread_setname_np after its first instrumented call (so the
 * name the runtime took at the claim is the program's).  With "stay", alpha
 * and beta wait after their calls, main renames beta "beta2" (a name only
 * /proc has), prints "ready" and sleeps, for a reader of the live segment;
 * the test kills it.
 */
#define _GNU_SOURCE		/* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long sink;
static int stay;
static pthread_barrier_t ready;

void tick(void);
void f(void);
void g(void);
void *short_main(void *arg);
void *alpha_main(void *arg);
void *beta_main(void *arg);

void tick(void) { sink++; }
void f(void) { sink += 2; }
void g(void) { sink += 3; }

void *short_main(void *arg)
{
	(void)arg;
	tick();
	return NULL;
}

/* A named thread: name, then n calls of fn, then (stay) wait forever. */
static void named(const char *name, void (*fn)(void), int n)
{
	pthread_setname_np(pthread_self(), name);
	for (int i = 0; i < n; i++)
		fn();
	if (stay) {
		pthread_barrier_wait(&ready);
		for (;;)
			pause();
	}
}

void *alpha_main(void *arg)
{
	(void)arg;
	named("alpha", f, 1000);
	return NULL;
}

void *beta_main(void *arg)
{
	(void)arg;
	named("beta", g, 2000);
	return NULL;
}

int main(int argc, char **argv)
{
	long nshort = argc > 1 ? atol(argv[1]) : 200;
	pthread_t th[4], a, b;

	stay = argc > 2 && !strcmp(argv[2], "stay");
	pthread_barrier_init(&ready, NULL, 3);
	for (long i = 0; i < nshort; i += 4) {
		int k = nshort - i < 4 ? (int)(nshort - i) : 4;

		for (int j = 0; j < k; j++)
			pthread_create(&th[j], NULL, short_main, NULL);
		for (int j = 0; j < k; j++)
			pthread_join(th[j], NULL);
	}
	pthread_create(&a, NULL, alpha_main, NULL);
	if (!stay)
		pthread_join(a, NULL);	/* alpha exits before beta starts */
	pthread_create(&b, NULL, beta_main, NULL);
	if (stay) {
		pthread_barrier_wait(&ready);
		/* named by another thread: the live report reads it in /proc */
		pthread_setname_np(b, "beta2");
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	pthread_join(b, NULL);
	return 0;
}
