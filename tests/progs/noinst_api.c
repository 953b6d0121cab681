/* noinst_api.c - the C API in a program NOT built with -finstrument-functions
 *
 *   noinst_api regions    outer x10, each: 100 us own work + inner x3 of 200 us
 *   noinst_api spans      100 spans begun on one thread, ended on another 1 ms later
 *   noinst_api disabled   region "off" x50 while disabled, region "on" x20 after enable
 *   noinst_api clear      4 threads record "work" while main clears; then each
 *                         records exactly 1000 more after a second clear
 *   noinst_api firstcall  one thread makes the segment while 7 others spin,
 *                         waiting to see it; then 100 regions each
 *   noinst_api forkfirst  fork before any call; the child records 5, the parent 3
 *   noinst_api nolib      what the calls return without the library
 * Each mode prints what paraprof_get_stats() says, as "name calls= total_ns=
 * self_ns= avg_ns= p50_ns=". */
#include <paraprof.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void busy(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static void show(const char *name)
{
	struct paraprof_stats st;
	int rc = paraprof_get_stats(name, &st);

	if (rc < 0) {
		printf("%s rc=%d\n", name, rc);
		return;
	}
	printf("%s calls=%llu total_ns=%llu self_ns=%llu avg_ns=%llu p50_ns=%llu kind=%d\n", name,
	       (unsigned long long)st.calls, (unsigned long long)st.total_ns,
	       (unsigned long long)st.self_ns, (unsigned long long)st.avg_ns,
	       (unsigned long long)st.p50_ns, st.kind);
}

static void regions(void)
{
	/* the program's own clock just outside and just inside each inner region:
	 * what paraprof reports must lie between the two sums */
	uint64_t own_outside = 0, own_inside = 0;

	for (int i = 0; i < 10; i++) {
		PARAPROF_REGION("outer");
		busy(100000);
		for (int j = 0; j < 3; j++) {
			uint64_t t0 = now_ns(), t1, t2;

			paraprof_region_begin("inner", 0);
			t1 = now_ns();
			busy(200000);
			t2 = now_ns();
			paraprof_region_end();
			own_outside += now_ns() - t0;
			own_inside += t2 - t1;
		}
	}
	show("outer");
	show("inner");
	printf("own outside_ns=%llu inside_ns=%llu\n", (unsigned long long)own_outside,
	       (unsigned long long)own_inside);
}

/* ---- spans: a one-slot hand-over from the begin thread to the end thread */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static paraprof_span_t slot;
/* the program's own clock just outside and just inside each span */
static uint64_t slot_t0, slot_t1, own_outside, own_inside;
static int full, done_spans;

static void *ender(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		paraprof_span_t s;

		pthread_mutex_lock(&lock);
		while (!full)
			pthread_cond_wait(&cond, &lock);
		s = slot;
		uint64_t t0 = slot_t0, t1 = slot_t1, t2;

		full = 0;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
		busy(1000000);
		t2 = now_ns();
		paraprof_span_end(s);
		own_outside += now_ns() - t0;
		own_inside += t2 - t1;
		pthread_mutex_lock(&lock);
		done_spans++;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void spans(void)
{
	pthread_t th;

	pthread_create(&th, NULL, ender, NULL);
	for (int i = 0; i < 100; i++) {
		uint64_t t0 = now_ns();
		paraprof_span_t s = paraprof_span_begin("job");
		uint64_t t1 = now_ns();

		pthread_mutex_lock(&lock);
		slot_t0 = t0;
		slot_t1 = t1;
		while (full)
			pthread_cond_wait(&cond, &lock);
		slot = s;
		full = 1;
		pthread_cond_broadcast(&cond);
		while (done_spans <= i)		/* one span at a time: ~1 ms each */
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
	}
	pthread_join(th, NULL);
	show("job");
	printf("own outside_ns=%llu inside_ns=%llu\n", (unsigned long long)own_outside,
	       (unsigned long long)own_inside);
}

static void disabled(void)
{
	printf("enabled=%d\n", paraprof_is_enabled());
	paraprof_disable();
	printf("enabled=%d\n", paraprof_is_enabled());
	for (int i = 0; i < 50; i++) {
		PARAPROF_REGION("off");
	}
	paraprof_enable();
	for (int i = 0; i < 20; i++) {
		PARAPROF_REGION("on");
	}
	show("off");
	show("on");
}

/* ---- clear under concurrent recording ---- */
static volatile int phase;
static pthread_barrier_t stop, go;

static void *worker(void *arg)
{
	(void)arg;
	while (phase == 0) {
		PARAPROF_REGION("work");
	}
	pthread_barrier_wait(&stop);
	pthread_barrier_wait(&go);
	for (int i = 0; i < 1000; i++) {
		PARAPROF_REGION("work");
	}
	return NULL;
}

static void clear(void)
{
	pthread_t th[4];

	pthread_barrier_init(&stop, NULL, 5);
	pthread_barrier_init(&go, NULL, 5);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	busy(20000000);
	for (int i = 0; i < 20; i++) {	/* clears while every thread records */
		paraprof_clear_stats();
		busy(1000000);
	}
	show("work");			/* whatever it is, it is consistent */
	phase = 1;
	pthread_barrier_wait(&stop);	/* every worker idle, areas not yet cleared */
	paraprof_clear_stats();
	show("work");			/* 0: idle threads' areas read as cleared */
	pthread_barrier_wait(&go);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	show("work");			/* exactly 4000 */
}

/* ---- the first calls, made by many threads at once ---- */
static pthread_barrier_t start, firsts_done;

static void *first_caller(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&start);
	if (i == 0) {
		paraprof_clear_stats();		/* makes the segment */
	} else {
		/* paraprof_region_end() does not make the segment: it says
		 * ENOSYS until seg_base is set, then records (here, an
		 * unmatched end).  Spinning on it, these threads look at the
		 * segment the moment it is published: it must be complete. */
		uint64_t give_up = now_ns() + 2000000000ull;

		while (paraprof_region_end() == PARAPROF_ENOSYS && now_ns() < give_up)
			;
		paraprof_clear_stats();
		paraprof_enable();
	}
	pthread_barrier_wait(&firsts_done);	/* no clear comes after this */
	for (int k = 0; k < 100; k++) {
		PARAPROF_REGION("first");
	}
	return NULL;
}

static void firstcall(void)
{
	pthread_t th[8];

	pthread_barrier_init(&start, NULL, 8);
	pthread_barrier_init(&firsts_done, NULL, 8);
	for (long i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, first_caller, (void *)i);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	show("first");
}

/* fork before the process has made its segment: the child makes its own */
static void forkfirst(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (int i = 0; i < 5; i++) {
			PARAPROF_REGION("child");
		}
		show("child");
		exit(0);	/* writes the child's dump */
	}
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 3; i++) {
		PARAPROF_REGION("parent");
	}
	show("parent");
}

static void nolib(void)
{
	struct paraprof_stats st;
	paraprof_span_t s = paraprof_span_begin("x");

	printf("enable=%d region=%d end=%d span=%d get=%d clear=%d\n", paraprof_enable(),
	       paraprof_region_begin("x", 0), paraprof_region_end(), paraprof_span_end(s),
	       paraprof_get_stats("x", &st), paraprof_clear_stats());
	{
		PARAPROF_REGION("scoped");
	}
	printf("ENOSYS=%d\n", PARAPROF_ENOSYS);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "regions";

	if (!strcmp(mode, "regions"))
		regions();
	else if (!strcmp(mode, "spans"))
		spans();
	else if (!strcmp(mode, "disabled"))
		disabled();
	else if (!strcmp(mode, "clear"))
		clear();
	else if (!strcmp(mode, "firstcall"))
		firstcall();
	else if (!strcmp(mode, "forkfirst"))
		forkfirst();
	else if (!strcmp(mode, "nolib"))
		nolib();
	return 0;
}
