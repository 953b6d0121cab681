/* calltree.c - a known call tree (issue 11): main calls a and b; a calls c
 * 10 times, b calls c 5 times; c sleeps 1 ms per call in a thread of its
 * own.  rec calls itself DEPTH deep (argv[1], default 0), through rec_b
 * every other level when a later argument is "mutual".  Each thread's tree
 * merges into one: a worker thread runs a once more, unless an argument is
 * "noworker".  With "hold", it then prints "ready" and waits for the end of
 * its standard input before it exits (a live segment to read).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void a(void);
void b(void);
void c(void);
void rec(long n, int mutual);
void rec_b(long n, int mutual);

static volatile long sink;

__attribute__((noinline)) void c(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
	sink++;
}

__attribute__((noinline)) void a(void)
{
	for (int i = 0; i < 10; i++)
		c();
}

__attribute__((noinline)) void b(void)
{
	for (int i = 0; i < 5; i++)
		c();
}

__attribute__((noinline)) void rec_b(long n, int mutual)
{
	rec(n, mutual);
}

__attribute__((noinline)) void rec(long n, int mutual)
{
	if (n <= 0)
		return;
	if (mutual && n % 2)
		rec_b(n - 1, mutual);
	else
		rec(n - 1, mutual);
	sink++;
}

static void *worker(void *arg)
{
	(void)arg;
	a();
	return NULL;
}

/* 1 when one of argv[2..] is `word` (not instrumented: the tree stays as
 * described above) */
__attribute__((no_instrument_function))
static int has_arg(int argc, char **argv, const char *word)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], word) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t t;

	a();
	b();
	if (!has_arg(argc, argv, "noworker") &&
	    (pthread_create(&t, NULL, worker, NULL) != 0 || pthread_join(t, NULL) != 0))
		return 1;
	if (argc > 1)
		rec(atol(argv[1]), has_arg(argc, argv, "mutual"));
	if (has_arg(argc, argv, "hold")) {
		puts("ready");
		fflush(stdout);
		while (getchar() != EOF)
			;
	}
	return 0;
}
