/* exitrace.c - exit() while other threads keep entering new functions
 * (issue 9, item 6): the dump written at exit must be whole.
 *
 * exitrace [THREADS]: THREADS threads (default 4) walk through 4096
 * distinct instrumented functions, 200 calls each, so that each keeps
 * meeting new ones (a record and its histogram pages are made while the
 * dump is being written), and every 64 calls start a short thread of their
 * own (a thread-per-request server: each fold into the process area races
 * with the exit); main lets them run 5 ms, then calls exit(0) with all of
 * them still at work.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

#define F(n) static void __attribute__((noinline)) f##n(unsigned long x) { sink += x * (n + 1); }
#define F8(n) F(n##0) F(n##1) F(n##2) F(n##3) F(n##4) F(n##5) F(n##6) F(n##7)
#define F64(n) F8(n##0) F8(n##1) F8(n##2) F8(n##3) F8(n##4) F8(n##5) F8(n##6) F8(n##7)
#define F512(n) F64(n##0) F64(n##1) F64(n##2) F64(n##3) F64(n##4) F64(n##5) F64(n##6) F64(n##7)
F512(1) F512(2) F512(3) F512(4) F512(5) F512(6) F512(7) F512(8)

#define R(n) f##n,
#define R8(n) R(n##0) R(n##1) R(n##2) R(n##3) R(n##4) R(n##5) R(n##6) R(n##7)
#define R64(n) R8(n##0) R8(n##1) R8(n##2) R8(n##3) R8(n##4) R8(n##5) R8(n##6) R8(n##7)
#define R512(n) R64(n##0) R64(n##1) R64(n##2) R64(n##3) R64(n##4) R64(n##5) R64(n##6) R64(n##7)
static void (*const fns[4096])(unsigned long) = {
	R512(1) R512(2) R512(3) R512(4) R512(5) R512(6) R512(7) R512(8)
};

static void *request(void *arg)
{
	fns[(unsigned long)arg & 4095]((unsigned long)arg);
	return NULL;
}

static void *worker(void *arg)
{
	unsigned long i = (unsigned long)arg * 7919;

	for (;; i++) {
		fns[(i / 200) & 4095](i);
		if ((i & 63) == 0) {
			pthread_t t;

			if (pthread_create(&t, NULL, request, (void *)i) == 0)
				pthread_detach(t);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	struct timespec pause = { 0, 5 * 1000 * 1000 };

	for (int i = 0; i < n; i++) {
		pthread_t t;

		pthread_create(&t, NULL, worker, (void *)(unsigned long)i);
	}
	nanosleep(&pause, NULL);
	exit(0);
}
