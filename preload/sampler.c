/* sampler.c - the memory sampler
 *
 * No thread of its own (a thread the program did not make changes what the
 * program may do: unshare(CLONE_NEWUSER) fails in a multi-threaded process).
 * Instead the exit hook, which reads the clock anyway, compares it with
 * sampler_due and, once the interval has passed, calls sampler_tick(): one
 * caller wins a compare-exchange that moves sampler_due on, reads
 * /proc/self/statm (open, pread, close: no descriptor is kept for the
 * program to close or reuse) and publishes header.rss_kib, where every exit
 * hook picks it up with one load, and the peak.  The trade-off: a program
 * that makes no instrumented call for a while takes no sample meanwhile
 * (the exit of the call that spans that time takes one).
 *
 * It also keeps a bounded timeline of the process's RSS: when the timeline
 * is full, every other sample is dropped and the interval between kept
 * samples doubles, so it always spans the whole run in at most timeline_cap
 * samples.  The timeline has one writer at a time, the holder of `busy`; a
 * tick that finds it taken (another thread, or a signal handler that
 * interrupted the holder) returns at once: nothing here waits or locks, so
 * it is async-signal-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "internal.h"

volatile uint64_t sampler_due = UINT64_MAX;
volatile uint64_t sampler_rss_kib;

static int busy;			/* the timeline's writer (atomic flag) */
static uint64_t interval_ticks;		/* env.mem_interval_ns in clock ticks */
static uint64_t page_kib = 4;

/* Resident pages from /proc/self/statm, in KiB; 0 when it cannot be read.
 * Async-signal-safe; errno is left as it was. */
static uint64_t read_rss_kib(void)
{
	char buf[128], *p = buf;
	uint64_t resident = 0;
	ssize_t n;
	int fd, saved_errno = errno;

	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errno = saved_errno;
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	errno = saved_errno;
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "size resident shared ...": skip the first number */
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != ' ')
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		resident = resident * 10 + (uint64_t)(*p - '0');
	return resident * page_kib;
}

/* Publishes `rss` as the latest sample and raises the peak (lock-free:
 * several threads may publish at once). */
static void publish(struct ppf_header *h, uint64_t rss)
{
	uint64_t peak = __atomic_load_n(&h->rss_peak_kib, __ATOMIC_RELAXED);

	__atomic_store_n(&h->rss_kib, rss, __ATOMIC_RELAXED);
	__atomic_store_n(&sampler_rss_kib, rss, __ATOMIC_RELAXED);
	while (rss > peak && !__atomic_compare_exchange_n(&h->rss_peak_kib, &peak, rss, 1,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Appends a sample to the timeline; the caller holds `busy`. */
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

/* Reads statm and publishes it, with a timeline entry; the caller holds
 * `busy`. */
static void take_sample(struct ppf_header *h)
{
	uint64_t rss = read_rss_kib(), now = clock_mono_ns();

	publish(h, rss);
	__atomic_store_n(&h->last_ns, now, __ATOMIC_RELAXED);
	timeline_add(h, now, rss);
}

void sampler_tick(uint64_t now)
{
	struct ppf_header *h = seg_header();
	uint64_t due = __atomic_load_n(&sampler_due, __ATOMIC_RELAXED);

	if (!h || now < due)
		return;
	/* `busy` first: a signal handler that interrupted the holder, or
	 * another thread while the holder is at work, returns here */
	if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
		return;
	if (__atomic_compare_exchange_n(&sampler_due, &due, now + interval_ticks, 0,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		take_sample(h);
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}

void sampler_sample(void)
{
	struct ppf_header *h = seg_header();

	if (!h)
		return;
	/* at exit: the holder may be another thread about to finish, or the
	 * very code this signal handler interrupted; wait a little, then
	 * publish without a timeline entry rather than wait for ever */
	for (int tries = 0; tries < 1000; tries++) {
		if (!__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE)) {
			take_sample(h);
			__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
			return;
		}
		sched_yield();
	}
	publish(h, read_rss_kib());
	__atomic_store_n(&h->last_ns, clock_mono_ns(), __ATOMIC_RELAXED);
}

uint64_t sampler_read(void)
{
	struct ppf_header *h = seg_header();
	uint64_t rss = read_rss_kib();

	if (h)
		publish(h, rss);
	return rss;
}

void sampler_start(void)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page > 0)
		page_kib = (uint64_t)page / 1024;
	interval_ticks = (uint64_t)((unsigned __int128)env.mem_interval_ns * clock_ticks_per_sec /
				    1000000000u);
	if (!interval_ticks)
		interval_ticks = 1;
	sampler_sample();
	__atomic_store_n(&sampler_due, clock_now() + interval_ticks, __ATOMIC_RELAXED);
}

void sampler_forget(void)
{
	/* the child after fork: no sample until its own segment is made
	 * (sampler_start), and a flag a vanished thread held is released */
	__atomic_store_n(&sampler_due, UINT64_MAX, __ATOMIC_RELAXED);
	__atomic_store_n(&sampler_rss_kib, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&busy, 0, __ATOMIC_RELAXED);
}
