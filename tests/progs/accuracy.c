/* accuracy.c - programs of known cost, for the accuracy suite (issue 12, item 6)
 *
 * Each case times itself with CLOCK_MONOTONIC around the part the profiler
 * must report (never around a hook), and prints its own figures as
 * "key=value" lines for tests/integration/accuracy.sh and bench/accuracy.sh
 * to hold the report against:
 *
 *   busy  [CALLS [US]]     spin() busy-waits US (200) microseconds, CALLS (200) times
 *   sleep [CALLS [US]]     sleeper() sleeps US (2,000) in nanosleep, CALLS (50) times;
 *                          its own CPU time read around each call
 *   pipe  [READS [US]]     reader() reads READS (50) bytes one at a time that a
 *                          thread writes US (2,000) apart
 *   mutex [LOCKS [US]]     locker() takes a mutex LOCKS (20) times that a thread
 *                          holds US (2,000) more after locker() waits for it
 *   tiny  [CALLS [REPS]]   parent35() calls leaf35() (about 35 ns) CALLS (10^6)
 *                          times, parentdep() leafdep() (35 ns of one dependency
 *                          chain) and parent0() empty() as often, REPS (3)
 *                          times each
 *
 * The same file is built without -finstrument-functions as
 * progs/accuracy_noinst (the Makefile): the tiny case's figures of that
 * build are what the profile of the instrumented one should say once the
 * hooks' own cost is taken out.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "busywait.h"

/* Iterations of leaf35()'s loop (four independent one-cycle operations
 * each, some 500 instructions in all): about 35 ns on a quiet 3 GHz x86-64. */
#define LEAF_ITERS 56
/* Iterations of leafdep()'s dependent multiply-add chain (a 3-cycle multiply
 * and an add each): about 35 ns too, but only some 110 instructions, which
 * the CPU's reorder window holds whole: the exit hook's own instructions run
 * beside the chain, not after it, and the hooks time the leaf short. */
#define DEP_ITERS 28

void spin(long us, long *took_ns);
void sleeper(long us, long *slept_ns);
void *writer(void *arg);
void reader(int n, long *waited_ns);
void *holder(void *arg);
void locker(int n, long *waited_ns);
unsigned long leaf35(unsigned long x);
unsigned long leafdep(unsigned long x);
void empty(void);
unsigned long parent35(long n);
unsigned long parentdep(long n);
void parent0(long n);

/* argv[i] as a number, dflt when absent; 1 for one below 1 (no case runs
 * zero times). */
static long arg_or(int argc, char **argv, int i, long dflt)
{
	long v = argc > i ? atol(argv[i]) : dflt;

	return v < 1 ? 1 : v;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The thread's CPU time, ns (a system call: outside the timed functions). */
__attribute__((no_instrument_function)) static long cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Busy-waits us microseconds; *took_ns is how long the wait lasted, read by
 * the clock that ended it. */
void __attribute__((noinline)) spin(long us, long *took_ns)
{
	long t0 = now_ns(), t;

	do
		t = now_ns();
	while (t - t0 < us * 1000);
	*took_ns = t - t0;
}

/* Sleeps us microseconds in nanosleep; *slept_ns is the time nanosleep took. */
void __attribute__((noinline)) sleeper(long us, long *slept_ns)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };
	long t0 = now_ns();

	nanosleep(&ts, NULL);
	*slept_ns = now_ns() - t0;
}

static int pipefd[2];
static long pipe_writes, pipe_gap_us;

/* The pipe's writer: one byte every pipe_gap_us. */
void *writer(void *arg)
{
	struct timespec ts = { pipe_gap_us / 1000000, pipe_gap_us % 1000000 * 1000 };

	(void)arg;
	for (long i = 0; i < pipe_writes; i++) {
		nanosleep(&ts, NULL);
		if (write(pipefd[1], "x", 1) != 1)
			perror("accuracy: write");
	}
	return NULL;
}

/* Reads n bytes one at a time; *waited_ns is the time spent in read(). */
void __attribute__((noinline)) reader(int n, long *waited_ns)
{
	char c;

	*waited_ns = 0;
	for (int i = 0; i < n; i++) {
		long t0 = now_ns();

		if (read(pipefd[0], &c, 1) != 1)
			perror("accuracy: read");
		*waited_ns += now_ns() - t0;
	}
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long lock_rounds, lock_hold_us;
static int held, taken;		/* rounds the holder took the lock, locker() got it */

/*
 * The mutex's holder: each round it takes the lock, says so, waits until
 * locker() waits in the kernel for it (glibc's lock word is 2 with a waiter;
 * a bounded wait, as in libcalls.c), holds it lock_hold_us more, and gives
 * it up; then it waits for locker() to have taken and released it, so that
 * its own lock never waits (and is not recorded) and every one of
 * locker()'s does.
 */
void *holder(void *arg)
{
	struct timespec ts = { lock_hold_us / 1000000, lock_hold_us % 1000000 * 1000 };

	(void)arg;
	for (int i = 1; i <= lock_rounds; i++) {
		pthread_mutex_lock(&lock);
		__atomic_store_n(&held, i, __ATOMIC_RELEASE);
		for (long j = 0; j < 2000000 &&
		     __atomic_load_n(&lock.__data.__lock, __ATOMIC_RELAXED) != 2; j++)
			sched_yield();
		nanosleep(&ts, NULL);
		pthread_mutex_unlock(&lock);
		while (__atomic_load_n(&taken, __ATOMIC_ACQUIRE) < i)
			sched_yield();
	}
	return NULL;
}

/* Takes the lock n times, each time while holder() has it; *waited_ns is
 * the time spent in pthread_mutex_lock. */
void __attribute__((noinline)) locker(int n, long *waited_ns)
{
	*waited_ns = 0;
	for (int i = 1; i <= n; i++) {
		long t0;

		while (__atomic_load_n(&held, __ATOMIC_ACQUIRE) < i)
			sched_yield();
		t0 = now_ns();
		pthread_mutex_lock(&lock);
		*waited_ns += now_ns() - t0;
		pthread_mutex_unlock(&lock);
		__atomic_store_n(&taken, i, __ATOMIC_RELEASE);
	}
}

/* About 35 ns of work that the compiler can neither fold, vectorise nor
 * drop (the asm makes the four values opaque at each step), bound by how
 * many instructions the CPU retires: a leaf of ordinary code. */
unsigned long __attribute__((noinline)) leaf35(unsigned long x)
{
	unsigned long a = x, b = 1, c = 2, d = 3;

	for (int i = 0; i < LEAF_ITERS; i++) {
		a += (unsigned long)i;
		b ^= (unsigned long)i;
		c += 3;
		d ^= 5;
		__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
	}
	return a + b + c + d;
}

/* About 35 ns of one chain of dependent multiply-adds, bound by their
 * latency (DEP_ITERS says what the hooks make of it). */
unsigned long __attribute__((noinline)) leafdep(unsigned long x)
{
	for (int i = 0; i < DEP_ITERS; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

/* A call that does nothing: what is left of it is the call itself. */
void __attribute__((noinline)) empty(void)
{
	__asm__ volatile("" ::: "memory");
}

unsigned long __attribute__((noinline)) parent35(long n)
{
	unsigned long x = 1;

	for (long i = 0; i < n; i++)
		x = leaf35(x);
	return x;
}

unsigned long __attribute__((noinline)) parentdep(long n)
{
	unsigned long x = 1;

	for (long i = 0; i < n; i++)
		x = leafdep(x);
	return x;
}

void __attribute__((noinline)) parent0(long n)
{
	for (long i = 0; i < n; i++)
		empty();
}

/* The cases, each printing its own figures; 0, or 1 when one cannot run. */

static int case_busy(long calls, long us)
{
	long *took = calloc((size_t)calls, sizeof *took), sum = 0;

	if (!took)
		return 1;
	for (long i = 0; i < calls; i++) {
		spin(us, &took[i]);
		sum += took[i];
	}
	qsort(took, (size_t)calls, sizeof *took, cmp_long);
	printf("spin_calls=%ld\nspin_avg_ns=%ld\nspin_p50_ns=%ld\n", calls, sum / calls,
	       took[(calls - 1) / 2]);
	free(took);
	return 0;
}

static int case_sleep(long calls, long us)
{
	long slept = 0, wall = 0, cpu = 0;

	for (long i = 0; i < calls; i++) {
		long s, c0 = cpu_ns(), w0 = now_ns(), w1;

		/* the CPU clock's reads (a system call, microseconds on some
		 * virtual machines) outside the wall time's */
		sleeper(us, &s);
		w1 = now_ns();
		cpu += cpu_ns() - c0;
		wall += w1 - w0;
		slept += s;
	}
	printf("sleeper_calls=%ld\nsleeper_total_ns=%ld\nsleeper_cpu_ns=%ld\n"
	       "nanosleep_calls=%ld\nnanosleep_total_ns=%ld\n", calls, wall, cpu, calls, slept);
	return 0;
}

static int case_pipe(long reads, long us)
{
	pthread_t t;
	long waited;

	pipe_writes = reads;
	pipe_gap_us = us;
	if (pipe(pipefd) != 0 || pthread_create(&t, NULL, writer, NULL) != 0)
		return 1;
	reader((int)reads, &waited);
	pthread_join(t, NULL);
	printf("read_calls=%ld\nread_total_ns=%ld\n", reads, waited);
	return 0;
}

static int case_mutex(long rounds, long us)
{
	pthread_t t;
	long waited;

	lock_rounds = rounds;
	lock_hold_us = us;
	if (pthread_create(&t, NULL, holder, NULL) != 0)
		return 1;
	locker((int)rounds, &waited);
	pthread_join(t, NULL);
	printf("lock_calls=%ld\nlock_total_ns=%ld\n", rounds, waited);
	return 0;
}

/* The parents' times are their average over reps calls, as the profile's
 * average is; x is printed so that leaf35's work is used. */
static int case_tiny(long calls, long reps)
{
	long t35 = 0, tdep = 0, t0 = 0;
	unsigned long x = 0;

	for (long r = 0; r < reps; r++) {
		long a = now_ns();

		x += parent35(calls);
		t35 += now_ns() - a;
		a = now_ns();
		x += parentdep(calls);
		tdep += now_ns() - a;
		a = now_ns();
		parent0(calls);
		t0 += now_ns() - a;
	}
	printf("leaf_calls=%ld\nparent_calls=%ld\nparent35_avg_ns=%ld\nparentdep_avg_ns=%ld\n"
	       "parent0_avg_ns=%ld\nleaf35_ns=%.2f\nleafdep_ns=%.2f\nempty_ns=%.2f\n"
	       "checksum=%lu\n", calls * reps, reps, t35 / reps, tdep / reps, t0 / reps,
	       (double)t35 / (double)(calls * reps), (double)tdep / (double)(calls * reps),
	       (double)t0 / (double)(calls * reps), x);
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int rc = 2;

	if (!strcmp(what, "busy"))
		rc = case_busy(arg_or(argc, argv, 2, 200), arg_or(argc, argv, 3, 200));
	else if (!strcmp(what, "sleep"))
		rc = case_sleep(arg_or(argc, argv, 2, 50), arg_or(argc, argv, 3, 2000));
	else if (!strcmp(what, "pipe"))
		rc = case_pipe(arg_or(argc, argv, 2, 50), arg_or(argc, argv, 3, 2000));
	else if (!strcmp(what, "mutex"))
		rc = case_mutex(arg_or(argc, argv, 2, 20), arg_or(argc, argv, 3, 2000));
	else if (!strcmp(what, "tiny"))
		rc = case_tiny(arg_or(argc, argv, 2, 1000000), arg_or(argc, argv, 3, 3));
	else
		fprintf(stderr, "usage: accuracy busy|sleep|pipe|mutex|tiny [N [US|REPS]]\n");
	return rc;
}
