/* request.c - request profiling: per-endpoint latency, slow-request warnings
 *
 * The request half of the public C API (include/paraprof.h), and request
 * profiling's link to the profiler: a server begins a request when it
 * arrives and ends it when the response is sent.  The handle is a plain
 * value holding the start ticks, the request's number (X-Request-Count) and
 * its endpoint name "METHOD /route" (route.c).  Ending it adds one call to
 * the calling thread's PPF_KIND_ENDPOINT record of that name (hooks_api.c:
 * lock-free, per thread; readers sum over threads), with the status class
 * and whether it was slow, and writes a warning line for a slow request
 * when the token bucket (limiter.c) lets it through.
 *
 * Endpoints: a process-wide open-addressing set of at most
 * REQUEST_ENDPOINTS_MAX names in twice as many slots.  A slot is published
 * by a release store of its hash after its name is written, and never
 * changes or goes away after that, so lookups take no lock and the name's
 * address is a stable key for hooks_record_named(..., by_pointer = 1).
 * Inserts, template registration and the rate limiter share one mutex,
 * taken only on those rare paths (and around fork: request_fork_*, called
 * by preload/init.c, which owns the library's lifecycle).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../preload/internal.h"
#include "paraprof.h"
#include "request.h"

/* ---- process-wide state ---- */

#define ENDPOINT_SLOTS (2 * REQUEST_ENDPOINTS_MAX)	/* a power of two */
#define WARN_RATE 10		/* slow-request lines a second ... */
#define WARN_BURST 10		/* ... and at once */

struct endpoint {
	uint64_t hash;			/* of name, never 0; 0: free slot.  Stored
					   last, with release: then name is final */
	char name[PARAPROF_ROUTE_MAX];	/* "METHOD /route" */
};

static struct endpoint endpoints[ENDPOINT_SLOTS];
static unsigned endpoint_count;		/* slots used; under `lock` */
static struct endpoint overflow_endpoint = { 1, REQUEST_OVERFLOW };

static char templates[REQUEST_TEMPLATES_MAX][PARAPROF_ROUTE_MAX];
static const char *template_ptr[REQUEST_TEMPLATES_MAX];	/* into templates[] */
static unsigned template_count;		/* published with release, under `lock` */

/* Serialises endpoint inserts, template registration and the limiter. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct request_limiter limiter;	/* under `lock` */
static int limiter_ready;		/* under `lock` */

static uint64_t threshold_ns = ENV_SLOW_THRESHOLD_NS;	/* nanoseconds; atomic */
static int log_fd = -1;			/* atomic; -1: stderr */
static uint64_t private_requests;	/* requests begun while profiling is off */
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

/* PARAPROF_SLOW_THRESHOLD is read at the first request (as documented: a
 * program may set it before), by env.c, which reads every setting. */
static void read_settings(void)
{
	__atomic_store_n(&threshold_ns, env_slow_threshold_ns(), __ATOMIC_RELAXED);
}

static void settings(void)
{
	pthread_once(&settings_once, read_settings);
}

/* The segment, made now if the program has not recorded anything yet. */
static struct ppf_header *header(void)
{
	if (!seg_base && init_segment() < 0)
		return NULL;
	return seg_header();
}

/* A 64-bit hash of len bytes of s, never 0: words of 8 bytes, multiplied
 * and folded (names are short; this is not for adversaries, and a
 * collision only costs a strcmp). */
static uint64_t route_hash(const char *s, size_t len)
{
	const uint64_t m = 0x9E3779B97F4A7C15ull;
	uint64_t h = (uint64_t)len * m, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * m;
	h ^= h >> 32;
	return h | 1;
}

/* The slot of `name` (hash h) or the free slot where it would go. */
static struct endpoint *probe(const char *name, uint64_t h)
{
	unsigned i = (unsigned)(h >> 40) & (ENDPOINT_SLOTS - 1);

	for (;; i = (i + 1) & (ENDPOINT_SLOTS - 1)) {
		struct endpoint *e = &endpoints[i];
		uint64_t eh = __atomic_load_n(&e->hash, __ATOMIC_ACQUIRE);

		/* never full: at most half the slots are used */
		if (!eh || (eh == h && !strcmp(e->name, name)))
			return e;
	}
}

/* The endpoint called `name` (len bytes), added when it is new and there is
 * room, else the overflow endpoint.  Never NULL; the result lives as long
 * as the process. */
static const struct endpoint *endpoint_of(const char *name, size_t len)
{
	uint64_t h = route_hash(name, len);
	struct endpoint *e = probe(name, h);

	if (__atomic_load_n(&e->hash, __ATOMIC_ACQUIRE))
		return e;
	pthread_mutex_lock(&lock);
	e = probe(name, h);		/* another thread may have added it */
	if (!e->hash) {
		if (endpoint_count >= REQUEST_ENDPOINTS_MAX) {
			e = &overflow_endpoint;
		} else {
			memcpy(e->name, name, len + 1);
			endpoint_count++;
			__atomic_store_n(&e->hash, h, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&lock);
	return e;
}

/* 1 when p is an endpoint this file handed out (a handle may be garbage). */
static int endpoint_valid(const void *p)
{
	const struct endpoint *e = p;

	return e == &overflow_endpoint ||
	       (e >= endpoints && e < endpoints + ENDPOINT_SLOTS &&
		(size_t)((const char *)e - (const char *)endpoints) % sizeof(*e) == 0);
}

/* Writes the warning for a slow request of dur_ns, when the rate limit lets
 * it through; one write(), its result ignored (a log that fails must not
 * fail the request). */
static void warn_slow(const char *route, uint64_t dur_ns, uint64_t limit_ns)
{
	int fd = __atomic_load_n(&log_fd, __ATOMIC_RELAXED);
	uint64_t dropped = 0;
	char line[PARAPROF_ROUTE_MAX + 160];
	int ok, n;

	if (fd < 0) {
		if (env.quiet)
			return;
		fd = STDERR_FILENO;
	}
	pthread_mutex_lock(&lock);
	if (!limiter_ready) {
		request_limiter_init(&limiter, WARN_RATE, WARN_BURST, clock_mono_ns());
		limiter_ready = 1;
	}
	ok = request_limiter_take(&limiter, clock_mono_ns(), &dropped);
	pthread_mutex_unlock(&lock);
	if (!ok)
		return;
	n = snprintf(line, sizeof(line), "paraprof: slow request %.*s %.3f s (threshold %.3f s)",
		     (int)strnlen(route, PARAPROF_ROUTE_MAX - 1), route, (double)dur_ns / 1e9,
		     (double)limit_ns / 1e9);
	if (dropped)
		n += snprintf(line + n, sizeof(line) - (size_t)n,
			      " (%llu more slow requests not shown)", (unsigned long long)dropped);
	line[n++] = '\n';	/* sizeof(line) leaves room: the route is bounded */
	if (write(fd, line, (size_t)n) < 0)
		return;
}

/* ---- the public functions ---- */

PP_EXPORT paraprof_request_t paraprof_request_begin(const char *method, const char *path)
{
	paraprof_request_t req;
	struct ppf_header *h;
	size_t len;

	req.duration_ns = 0;
	req.endpoint_ = NULL;
	req.reserved_ = 0;
	if (!method || !path) {
		req.start = 0;
		req.number = 0;
		req.state_ = 0;
		req.route[0] = '\0';
		return req;
	}
	settings();
	h = header();
	req.start = clock_now();
	len = request_normalise(method, path, template_ptr,
				__atomic_load_n(&template_count, __ATOMIC_ACQUIRE),
				req.route, sizeof(req.route));
	if (h) {
		uint64_t limit = __atomic_load_n(&threshold_ns, __ATOMIC_RELAXED);

		req.number = __atomic_add_fetch(&h->requests, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&h->slow_threshold_ns, __ATOMIC_RELAXED) != limit)
			__atomic_store_n(&h->slow_threshold_ns, limit, __ATOMIC_RELAXED);
		if (__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & PPF_FLAG_ENABLED)
			req.endpoint_ = endpoint_of(req.route, len);
	} else {
		req.number = __atomic_add_fetch(&private_requests, 1, __ATOMIC_RELAXED);
	}
	req.state_ = 1;
	return req;
}

PP_EXPORT int paraprof_request_end(paraprof_request_t *req, int status)
{
	uint64_t now = clock_now(), dur, limit;
	int slow, rc = 0;

	if (!req || req->state_ != 1)
		return PARAPROF_EINVAL;
	req->state_ = 2;
	dur = now > req->start ? clock_to_ns(now - req->start) : 0;
	req->duration_ns = dur;
	limit = __atomic_load_n(&threshold_ns, __ATOMIC_RELAXED);
	slow = dur > limit;
	if (!seg_base) {
		rc = PARAPROF_ENOSYS;
	} else if (req->endpoint_ && endpoint_valid(req->endpoint_)) {
		const struct endpoint *e = req->endpoint_;

		hooks_record_named(PPF_KIND_ENDPOINT, e->name, 1, dur, status, slow);
	}
	if (slow)
		warn_slow(req->route, dur, limit);
	return rc;
}

PP_EXPORT double paraprof_request_elapsed(const paraprof_request_t *req)
{
	uint64_t now;

	if (!req)
		return 0.0;
	if (req->state_ == 2)
		return (double)req->duration_ns / 1e9;
	if (req->state_ != 1)
		return 0.0;
	now = clock_now();
	return now > req->start ? (double)clock_to_ns(now - req->start) / 1e9 : 0.0;
}

PP_EXPORT uint64_t paraprof_request_count(void)
{
	if (seg_base)
		return __atomic_load_n(&seg_header()->requests, __ATOMIC_RELAXED);
	return __atomic_load_n(&private_requests, __ATOMIC_RELAXED);
}

/* Writes v in decimal, at least `digits` digits (zero-padded), backwards
 * from `end` (the caller has 20 + digits bytes before it); returns where it
 * begins. */
static char *decimal(char *end, uint64_t v, int digits)
{
	char *p = end;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
		digits--;
	} while (v || digits > 0);
	return p;
}

/* Copies the NUL-terminated text [p, end) into buf (cap bytes).  0, or
 * PARAPROF_ERANGE (buf then holds "" when cap > 0). */
static int copy_out(char *buf, size_t cap, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (n >= cap) {
		if (cap)
			buf[0] = '\0';
		return PARAPROF_ERANGE;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

PP_EXPORT int paraprof_request_headers(const paraprof_request_t *req, char *process_time,
				       size_t time_cap, char *request_count, size_t count_cap)
{
	char scratch[48], *end = scratch + sizeof(scratch), *p;
	int rc = 0;

	if (!req || (req->state_ != 1 && req->state_ != 2))
		return PARAPROF_EINVAL;
	if (process_time) {
		/* "%.6f" of the seconds, from integer microseconds (snprintf of a
		 * double costs more than the rest of a request's profiling) */
		uint64_t ns = req->duration_ns, us;

		if (req->state_ == 1) {
			uint64_t now = clock_now();

			ns = now > req->start ? clock_to_ns(now - req->start) : 0;
		}
		us = ns / 1000 + (ns % 1000 >= 500);
		p = decimal(end, us % 1000000, 6);
		*--p = '.';
		p = decimal(p, us / 1000000, 1);
		rc = copy_out(process_time, time_cap, p, end);
	}
	if (request_count) {
		p = decimal(end, req->number, 1);
		if (copy_out(request_count, count_cap, p, end) < 0)
			rc = PARAPROF_ERANGE;
	}
	return rc;
}

PP_EXPORT int paraprof_request_route(const char *path_template)
{
	unsigned n;
	int rc = 0;

	if (!request_template_valid(path_template, PARAPROF_ROUTE_MAX - REQUEST_METHOD_MAX - 1))
		return PARAPROF_EINVAL;
	pthread_mutex_lock(&lock);
	n = template_count;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(templates[i], path_template))
			goto out;
	if (n == REQUEST_TEMPLATES_MAX) {
		rc = PARAPROF_ENOMEM;
		goto out;
	}
	strcpy(templates[n], path_template);
	template_ptr[n] = templates[n];
	__atomic_store_n(&template_count, n + 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

PP_EXPORT int paraprof_request_set_slow_threshold(double seconds)
{
	uint64_t ns;

	if (env_threshold_ns(seconds, &ns) < 0)
		return PARAPROF_EINVAL;
	settings();		/* the environment must not override this later */
	__atomic_store_n(&threshold_ns, ns, __ATOMIC_RELAXED);
	if (seg_base)
		__atomic_store_n(&seg_header()->slow_threshold_ns, ns, __ATOMIC_RELAXED);
	return 0;
}

PP_EXPORT int paraprof_request_set_log_fd(int fd)
{
	if (fd < -1 || (fd >= 0 && fcntl(fd, F_GETFD) < 0))
		return PARAPROF_EINVAL;
	__atomic_store_n(&log_fd, fd, __ATOMIC_RELAXED);
	return 0;
}

/* Fills the public statistics of endpoint `name` from a query result. */
static void fill(struct paraprof_endpoint_stats *st, const char *name,
		 const struct query_result *q)
{
	memset(st, 0, sizeof(*st));
	st->endpoint = name;
	st->count = q->calls;
	QUERY_SET_LATENCY(st, q);
	st->status_other = q->status[PPF_STATUS_OTHER];
	st->status_1xx = q->status[1];
	st->status_2xx = q->status[2];
	st->status_3xx = q->status[3];
	st->status_4xx = q->status[4];
	st->status_5xx = q->status[5];
	st->errors = q->status[4] + q->status[5];
	st->slow = q->slow;
}

PP_EXPORT int paraprof_request_stats(const char *endpoint, struct paraprof_endpoint_stats *stats)
{
	struct query_result q;
	uint32_t off;

	if (!endpoint || !stats)
		return PARAPROF_EINVAL;
	memset(stats, 0, sizeof(*stats));
	stats->endpoint = endpoint;
	if (!header())
		return PARAPROF_ENOSYS;
	off = seg_find_name(endpoint);
	if (!off)
		return PARAPROF_ENOENT;
	if (query_one(PPF_KIND_ENDPOINT, off, &q) < 0)
		return PARAPROF_ENOMEM;
	if (!q.calls)
		return PARAPROF_ENOENT;
	fill(stats, endpoint, &q);
	return 0;
}

PP_EXPORT int paraprof_request_foreach(int (*fn)(const struct paraprof_endpoint_stats *stats,
						 void *ctx),
				       void *ctx)
{
	const struct ppf_header *h;
	struct query_key *keys;
	size_t count;
	int rc = 0;

	if (!fn)
		return PARAPROF_EINVAL;
	if (!(h = header()))
		return PARAPROF_ENOSYS;
	if (query_keys(&keys, &count) < 0)
		return PARAPROF_ENOMEM;
	for (size_t i = 0; i < count && !rc; i++) {
		struct paraprof_endpoint_stats st;
		struct query_result q;
		char name[PARAPROF_ROUTE_MAX];
		uint32_t used = __atomic_load_n(&h->strtab_used, __ATOMIC_ACQUIRE);

		if (keys[i].kind != PPF_KIND_ENDPOINT || keys[i].key >= used)
			continue;
		snprintf(name, sizeof(name), "%s", (const char *)seg_ptr(h->strtab_off) + keys[i].key);
		if (query_one(PPF_KIND_ENDPOINT, keys[i].key, &q) < 0) {
			rc = PARAPROF_ENOMEM;
			break;
		}
		if (!q.calls)
			continue;
		fill(&st, name, &q);
		rc = fn(&st, ctx);
	}
	free(keys);
	return rc;
}

PP_EXPORT int paraprof_request_clear_stats(void)
{
	return paraprof_clear_stats();
}

/* ---- fork and exit (preload/init.c calls these) ---- */

void request_fork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

void request_fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

void request_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
}

void request_exit(void)
{
	int fd = __atomic_load_n(&log_fd, __ATOMIC_RELAXED);
	uint64_t dropped;
	char line[160];
	int n;

	pthread_mutex_lock(&lock);
	dropped = limiter.dropped;
	limiter.dropped = 0;
	pthread_mutex_unlock(&lock);
	if (!dropped)
		return;
	if (fd < 0) {
		if (env.quiet)
			return;
		fd = STDERR_FILENO;
	}
	n = snprintf(line, sizeof(line), "paraprof: %llu more slow requests not shown "
		     "(at most %d slow-request lines a second)\n", (unsigned long long)dropped,
		     WARN_RATE);
	if (write(fd, line, (size_t)n) < 0)
		return;
}
