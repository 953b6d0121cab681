/* deeprec.c - recursion a million deep (issue 9, item 11)
 *
 * deeprec [N]: on a thread with a 1 GiB stack, down(N) recurses N deep
 * (N + 1 frames of down, the last at depth N + 3 counting main and the
 * thread's function) and each level calls leaf() twice, before and after
 * going deeper: N + 1 calls of down and 2 (N + 1) of leaf, 3 (N + 1) in
 * all (3,000,003 for the default N = 1,000,000).  Then after() is called
 * 1000 times at depth 2.  Prints "down=... leaf=... after=...".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define STACK_BYTES (1ul << 30)

static volatile long leaf_calls, down_calls, after_calls;

long down(long n);
void leaf(void);
void after(void);

void __attribute__((noinline)) leaf(void)
{
	leaf_calls++;
}

void __attribute__((noinline)) after(void)
{
	after_calls++;
}

long __attribute__((noinline)) down(long n)
{
	long r;

	down_calls++;
	leaf();
	r = n ? down(n - 1) + 1 : 0;	/* not a tail call: every frame stays */
	leaf();
	return r;
}

static void *deep_thread(void *arg)
{
	long n = *(long *)arg;

	if (down(n) != n)
		abort();
	for (int i = 0; i < 1000; i++)
		after();
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	pthread_attr_t attr;
	pthread_t th;

	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, STACK_BYTES) != 0 ||
	    pthread_create(&th, &attr, deep_thread, &n) != 0) {
		perror("deeprec: a thread with a 1 GiB stack");
		return 1;
	}
	pthread_join(th, NULL);
	printf("down=%ld leaf=%ld after=%ld\n", down_calls, leaf_calls, after_calls);
	return 0;
}
