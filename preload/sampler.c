/* sampler.c - the memory sampler
 *
 * A thread of the library's own (never instrumented, every signal blocked)
 * reads /proc/self/statm every PARAPROF_MEM_INTERVAL_MS into header.rss_kib,
 * where the exit hook picks it up with one load: the hooks themselves never
 * make a system call for memory.  It also keeps a bounded timeline of the
 * process's RSS: when the timeline is full, every other sample is dropped
 * and the interval between kept samples doubles, so it always spans the
 * whole run in at most timeline_cap samples.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

volatile uint64_t sampler_due = UINT64_MAX;

void sampler_tick(uint64_t now)
{
	(void)now;
}

static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;
static int statm_fd = -1;
static uint64_t page_kib = 4;

/* Resident pages from /proc/self/statm, in KiB; 0 when it cannot be read. */
static uint64_t read_rss_kib(void)
{
	char buf[128], *p;
	ssize_t n;

	if (statm_fd < 0)
		return 0;
	n = pread(statm_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	strtoull(buf, &p, 10);			/* size */
	return strtoull(p, NULL, 10) * page_kib;	/* resident */
}

static void timeline_add(struct ppf_header *h, uint64_t now, uint64_t rss)
{
	struct ppf_mem_sample *tl = seg_ptr(h->timeline_off);
	uint32_t n = h->timeline_count;

	if (n && now - tl[n - 1].t_ns < h->timeline_interval_ns)
		return;
	if (n == h->timeline_cap) {
		__atomic_store_n(&h->timeline_seq, h->timeline_seq + 1, __ATOMIC_RELEASE);
		pp_wmb();
		for (uint32_t i = 0; i < n / 2; i++)
			tl[i] = tl[2 * i];
		n /= 2;
		h->timeline_count = n;
		h->timeline_interval_ns *= 2;
		pp_wmb();
		__atomic_store_n(&h->timeline_seq, h->timeline_seq + 1, __ATOMIC_RELEASE);
	}
	tl[n].t_ns = now;
	tl[n].rss_kib = rss;
	__atomic_store_n(&h->timeline_count, n + 1, __ATOMIC_RELEASE);
}

void sampler_sample(void)
{
	struct ppf_header *h = seg_header();
	uint64_t rss, now;

	if (!h)
		return;
	pthread_mutex_lock(&sample_lock);
	rss = read_rss_kib();
	now = clock_mono_ns();
	__atomic_store_n(&h->rss_kib, rss, __ATOMIC_RELAXED);
	if (rss > h->rss_peak_kib)
		__atomic_store_n(&h->rss_peak_kib, rss, __ATOMIC_RELAXED);
	__atomic_store_n(&h->last_ns, now, __ATOMIC_RELAXED);
	timeline_add(h, now, rss);
	pthread_mutex_unlock(&sample_lock);
}

uint64_t sampler_read(void)
{
	struct ppf_header *h = seg_header();
	uint64_t rss = read_rss_kib();

	if (h) {
		__atomic_store_n(&h->rss_kib, rss, __ATOMIC_RELAXED);
		if (rss > h->rss_peak_kib)
			__atomic_store_n(&h->rss_peak_kib, rss, __ATOMIC_RELAXED);
	}
	return rss;
}

static void *sampler_main(void *arg)
{
	struct timespec pause = {
		(time_t)(env.mem_interval_ns / 1000000000ull),
		(long)(env.mem_interval_ns % 1000000000ull)
	};

	(void)arg;
	for (;;) {
		sampler_sample();
		nanosleep(&pause, NULL);
	}
	return NULL;
}

void sampler_start(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	long page = sysconf(_SC_PAGESIZE);

	if (page > 0)
		page_kib = (uint64_t)page / 1024;
	if (statm_fd < 0)
		statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	sampler_sample();
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&th, &attr, sampler_main, NULL) != 0)
		env_warn("cannot start the memory sampler; memory is sampled at exit only");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

void sampler_forget(void)
{
	/* the child after fork: the sampler thread is the parent's */
	pthread_mutex_init(&sample_lock, NULL);
}
