/* test_sampler.c - the memory sampler without a thread (issue 9, item 15)
 *
 * sampler_tick() is what the exit hook calls once sampler_due has passed;
 * here the test calls it itself, from one thread, from several, and from a
 * signal handler that interrupts it, while the process grows. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"
#include "threads.h"

#define MS 1000000ull

/* Makes the segment with a 1 ms sampling interval. */
static int setup(void **state)
{
	(void)state;
	env.mem_interval_ns = 1 * MS;
	return init_segment() == 0 ? 0 : -1;
}

/* Calls sampler_tick() with the hooks' clock for `ns`. */
static void tick_for(uint64_t ns)
{
	uint64_t end = clock_mono_ns() + ns;

	while (clock_mono_ns() < end)
		sampler_tick(clock_now());
}

static void test_sampler_no_thread(void **state)
{
	(void)state;
	assert_non_null(seg_header());
	assert_int_equal(proc_thread_count(), 1);
	assert_true(sampler_due != UINT64_MAX);
}

static void test_sampler_tick_sees_growth(void **state)
{
	struct ppf_header *h = seg_header();
	size_t mib = 1 << 20, total = 48 * mib;
	char *mem = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t rss0, last0 = h->last_ns;
	uint32_t tl0 = h->timeline_count;

	(void)state;
	assert_true(mem != MAP_FAILED);
	tick_for(3 * MS);
	rss0 = h->rss_kib;
	assert_true(rss0 > 0);
	for (size_t off = 0; off < total; off += mib) {
		memset(mem + off, 1, mib);
		tick_for(2 * MS);
	}
	/* every page of the 48 MiB is resident now, and a sample saw it */
	assert_true(h->rss_kib >= rss0 + 40 * 1024);
	assert_true(h->rss_peak_kib >= h->rss_kib);
	assert_true(h->last_ns > last0);
	assert_true(h->timeline_count >= tl0 + 20);
	struct ppf_mem_sample *tl = seg_ptr(h->timeline_off);
	uint32_t n = h->timeline_count;

	assert_true(tl[n - 1].rss_kib >= tl[tl0].rss_kib + 40 * 1024);
	for (uint32_t i = 1; i < n; i++)
		assert_true(tl[i].t_ns >= tl[i - 1].t_ns);
	munmap(mem, total);
}

static void test_sampler_tick_waits_until_due(void **state)
{
	struct ppf_header *h = seg_header();
	uint64_t due, last;

	(void)state;
	tick_for(2 * MS);
	due = sampler_due;
	last = h->last_ns;
	sampler_tick(due - 1);
	assert_int_equal(h->last_ns, last);
	assert_int_equal(sampler_due, due);
	sampler_tick(due);
	assert_true(h->last_ns > last);
	assert_true(sampler_due > due);
}

static void test_sampler_tick_keeps_errno(void **state)
{
	uint64_t due;

	(void)state;
	tick_for(2 * MS);
	due = sampler_due;
	errno = 1234;
	sampler_tick(due);
	assert_int_equal(errno, 1234);
	assert_true(sampler_due > due);
}

/* Several threads tick at once: one wins each interval; the timeline stays
 * ordered and spaced by at least its interval. */
static void *ticker(void *arg)
{
	(void)arg;
	tick_for(60 * MS);
	return NULL;
}

static void test_sampler_tick_threads(void **state)
{
	struct ppf_header *h = seg_header();
	pthread_t th[4];
	uint32_t tl0 = h->timeline_count;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, ticker, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	struct ppf_mem_sample *tl = seg_ptr(h->timeline_off);

	assert_true(h->timeline_count > tl0 + 10);
	for (uint32_t i = tl0 + 1; i < h->timeline_count; i++)
		assert_true(tl[i].t_ns - tl[i - 1].t_ns >= h->timeline_interval_ns);
}

/* A signal handler ticks too, every 100 us, interrupting the main thread's
 * ticks at any instant: nothing deadlocks, errno is kept, samples go on. */
static volatile uint64_t handler_calls;
static volatile int handler_errno_bad;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	errno = 4321;
	sampler_tick(clock_now());
	if (errno != 4321)
		handler_errno_bad = 1;
	handler_calls++;
	errno = saved;
}

static void test_sampler_tick_in_signal_handler(void **state)
{
	struct ppf_header *h = seg_header();
	struct sigaction sa;
	struct itimerval every = { { 0, 100 }, { 0, 100 } }, off = { { 0, 0 }, { 0, 0 } };
	uint64_t last0 = h->last_ns;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
	tick_for(100 * MS);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	assert_true(handler_calls > 50);
	assert_false(handler_errno_bad);
	assert_true(h->last_ns > last0);
	/* the flag is free again: a due tick takes its sample */
	uint64_t due = sampler_due, last = h->last_ns;

	sampler_tick(due);
	assert_true(h->last_ns > last);
}

/* sampler_read() (PARAPROF_MEMORY regions) and sampler_sample() (exit) */
static void test_sampler_read_and_sample(void **state)
{
	struct ppf_header *h = seg_header();
	uint64_t last = h->last_ns, rss;

	(void)state;
	rss = sampler_read();
	assert_true(rss > 0);
	assert_int_equal(h->rss_kib, rss);
	assert_true(h->rss_peak_kib >= rss);
	sampler_sample();
	assert_true(h->last_ns > last);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sampler_no_thread),
		cmocka_unit_test(test_sampler_tick_sees_growth),
		cmocka_unit_test(test_sampler_tick_waits_until_due),
		cmocka_unit_test(test_sampler_tick_keeps_errno),
		cmocka_unit_test(test_sampler_tick_threads),
		cmocka_unit_test(test_sampler_tick_in_signal_handler),
		cmocka_unit_test(test_sampler_read_and_sample),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
