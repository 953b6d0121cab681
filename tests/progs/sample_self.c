/* sample_self.c - an instrumented function whose self time is mostly an
 * uninstrumented library's (runtime_sample.sh, PARAPROF_SAMPLE)
 *
 * work() spends about 75 % of its CPU time in scan_count() of
 * libnoinst_scan.so (argv[1], dlopen()ed: built without
 * -finstrument-functions, so it is no entry of its own) and the rest in a
 * loop of its own; the phases are timed on the thread's CPU clock.
 * Usage: sample_self LIB [MS] (MS of CPU time in work(), default 400).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef size_t (*scan_fn)(const unsigned char *, size_t, unsigned char);

static volatile size_t sink;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ms of CPU time: three quarters in scan, one quarter in its own loop */
static void __attribute__((noinline)) work(scan_fn scan, const unsigned char *buf, size_t n,
					   double ms)
{
	double t0 = cpu_ms();
	unsigned x = 1;

	while (cpu_ms() - t0 < 0.75 * ms)
		sink += scan(buf, n, 'x');
	while (cpu_ms() - t0 < ms) {
		for (int i = 0; i < 20000; i++)
			x = x * 1103515245u + 12345u;
		sink += x;
	}
}

int main(int argc, char **argv)
{
	double ms = argc > 2 ? atof(argv[2]) : 400;
	size_t n = 64 << 10;
	unsigned char *buf = malloc(n);
	void *h;
	scan_fn scan;

	if (argc < 2 || !buf || !(h = dlopen(argv[1], RTLD_NOW)) ||
	    !(scan = (scan_fn)dlsym(h, "scan_count"))) {
		fprintf(stderr, "usage: sample_self LIB [MS] (%s)\n", dlerror());
		return 2;
	}
	memset(buf, 'x', n);
	work(scan, buf, n, ms);
	printf("work done\n");
	return 0;
}
