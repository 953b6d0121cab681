/* sample_self.c - an instrumented function whose self time is mostly an
 * uninstrumented library's (runtime_sample.sh, PARAPROF_SAMPLE)
 *
 * work() spends about 75 % of its CPU time in scan_count() of
 * libnoinst_scan.so (argv[1], dlopen()ed: built without
 * -finstrument-functions, so it is no entry of its own) and the rest in a
 * loop of its own; the phases are timed on the thread's CPU clock.
 * Usage: sample_self LIB [MS [own-sigprof]] (MS of CPU time in work(),
 * default 400).  With own-sigprof the program sets a SIGPROF handler of
 * its own first and prints what it was told the action had been and how
 * many SIGPROFs it received (it asks for none: the sampler must stop).
 * With sort, it then spends MS of CPU time in sorter(), which sorts with
 * qsort() and a comparison function built without instrumentation: the
 * samples land in the comparison and in qsort's insides, and are charged
 * to qsort, the function sorter called.
 * With exec N, it then execs itself with exec N-1, until 0: a SIGPROF
 * pending at an exec would kill the new program (its action is back to the
 * default), so the chain ends only if the library takes it first.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef size_t (*scan_fn)(const unsigned char *, size_t, unsigned char);

static volatile size_t sink;
static volatile sig_atomic_t profs;	/* SIGPROFs received (own-sigprof) */

static void on_prof(int sig)
{
	(void)sig;
	profs++;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int __attribute__((no_instrument_function)) cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* ms of CPU time in qsort() */
static void __attribute__((noinline)) sorter(double ms)
{
	static int v[4096];
	double t0 = cpu_ms();

	while (cpu_ms() - t0 < ms) {
		for (int i = 0; i < 4096; i++)
			v[i] = (i * 7919) % 4099;
		qsort(v, 4096, sizeof(v[0]), cmp_int);
	}
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
	if (argc > 3 && !strcmp(argv[3], "own-sigprof")) {
		struct sigaction sa, old;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_prof;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGPROF, &sa, &old) != 0)
			return 1;
		printf("old action %s\n", old.sa_handler == SIG_DFL ? "default" : "not default");
	}
	memset(buf, 'x', n);
	work(scan, buf, n, ms);
	if (argc > 3 && !strcmp(argv[3], "sort"))
		sorter(ms);
	printf("sigprof received %d\n", (int)profs);
	free(buf);		/* (LeakSanitizer, in the ASan stage) */
	dlclose(h);
	if (argc > 4 && !strcmp(argv[3], "exec") && atoi(argv[4]) > 0) {
		char next[16];
		char *args[] = { argv[0], argv[1], argv[2], argv[3], next, NULL };

		snprintf(next, sizeof(next), "%d", atoi(argv[4]) - 1);
		fflush(stdout);
		execv(argv[0], args);
		perror("execv");
		return 1;
	}
	printf("work done\n");
	return 0;
}
