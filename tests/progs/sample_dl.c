/* sample_dl.c - dlopen, dlclose and malloc in a loop, in two threads, while
 * the CPU-time sampler (PARAPROF_SAMPLE=1000) interrupts them
 * (runtime_sample.sh)
 *
 * The traps of looking at a stack in a signal handler are here: a sample
 * that lands inside dlopen or dlclose (the loader's locks held), inside
 * malloc (its arena locked), or in the library being unloaded.  The
 * program must end, with its samples counted.
 * Usage: sample_dl LIB [MS] (MS of CPU time per thread, default 300).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef size_t (*scan_fn)(const unsigned char *, size_t, unsigned char);

static const char *lib;
static double budget_ms = 300;
static volatile size_t sink;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One round: the library loaded, used and unloaded, with a few mallocs. */
static int __attribute__((noinline)) cycle(unsigned i)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	unsigned char *p;
	scan_fn scan;

	if (!h)
		return -1;
	scan = (scan_fn)dlsym(h, "scan_count");
	p = malloc(1024 + (i % 64) * 512);
	if (scan && p) {
		memset(p, 'x', 1024);
		sink += scan(p, 1024, 'x');
	}
	free(p);
	return dlclose(h);
}

static void *__attribute__((noinline)) loop(void *arg)
{
	double t0 = cpu_ms();
	unsigned i = 0;

	(void)arg;
	while (cpu_ms() - t0 < budget_ms)
		if (cycle(i++) != 0)
			return (void *)1;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *rc1, *rc2;

	if (argc < 2) {
		fprintf(stderr, "usage: sample_dl LIB [MS]\n");
		return 2;
	}
	lib = argv[1];
	if (argc > 2)
		budget_ms = atof(argv[2]);
	if (pthread_create(&t, NULL, loop, NULL) != 0)
		return 1;
	rc1 = loop(NULL);
	pthread_join(t, &rc2);
	if (rc1 || rc2) {
		fprintf(stderr, "dlopen or dlclose failed\n");
		return 1;
	}
	printf("dl done\n");
	return 0;
}
