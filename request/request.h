/* request.h - request profiling's private interfaces (request/)
 *
 * Private to the library (and its unit tests); the public paraprof_request_*
 * functions are in include/paraprof.h.  request/ is three files: route.c
 * (request_normalise() turns a method and a raw path into the endpoint name
 * "METHOD /route"), limiter.c (the token bucket that decides which
 * slow-request warnings are written) and request.c (the public functions,
 * built on those two and on the profiler's segment and hooks).  route.c and
 * limiter.c read no clock, take no lock and touch no segment, so each is
 * tested alone (tests/unit/test_route.c, test_limiter.c).  The last section
 * is what the library's lifecycle (preload/init.c) calls.
 */
#ifndef PARAPROF_REQUEST_H
#define PARAPROF_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define REQUEST_METHOD_MAX 16		/* bytes of a method kept in a route */
#define REQUEST_TEMPLATES_MAX 64	/* templates paraprof_request_route() keeps */
#define REQUEST_ENDPOINTS_MAX 256	/* distinct endpoints; the rest: overflow */
#define REQUEST_OVERFLOW "OTHER (overflow)"

/* ---- route.c: endpoint names ---- */

/*
 * Writes the endpoint name of a request, "METHOD /route", into out (cap
 * bytes, always NUL-terminated when cap > 0) and returns its length.  The
 * route is the path without its query string or fragment (and without the
 * scheme and authority of an absolute URI); then either the first of the
 * ntemplates templates that matches it segment by segment (a template
 * segment "{x}" matches any non-empty segment, any other segment only
 * itself) or the path with every id segment replaced by "{id}": all
 * digits, a UUID (8-4-4-4-12 hex digits) or 16 or more hex digits.  Bytes
 * that are not printable ASCII, in the method or the path, become '?'; an
 * empty method becomes "-", a method is cut at REQUEST_METHOD_MAX bytes.  A
 * name longer than cap - 1 is cut and ends with "...".  method and path must
 * not be NULL; templates may be NULL when ntemplates is 0.
 */
size_t request_normalise(const char *method, const char *path,
			 const char *const *templates, unsigned ntemplates,
			 char *out, size_t cap);

/* 1 when the segment s[0..len) is an id that request_normalise() replaces
 * by "{id}", else 0. */
int request_is_id(const char *s, size_t len);

/* 1 when `tpl` can be registered as a template: starts with '/', printable
 * ASCII with no '?' or '#', shorter than `max` bytes; else 0. */
int request_template_valid(const char *tpl, size_t max);

/* ---- limiter.c: the token bucket ---- */

/*
 * A token bucket: at most `burst` lines at once and `rate` lines a second
 * over time.  Each line costs interval_ns = 1e9 / rate of credit; the credit
 * grows with the time that passes, up to burst lines' worth.  The caller
 * serialises the calls (request.c holds a mutex).
 */
struct request_limiter {
	uint64_t interval_ns;	/* credit one line costs: 1e9 / rate */
	uint64_t capacity_ns;	/* credit of a full bucket: burst * interval_ns */
	uint64_t credit_ns;	/* credit now */
	uint64_t last_ns;	/* the clock at the previous call (ns, monotonic) */
	uint64_t dropped;	/* lines refused since the last one let through */
	uint64_t dropped_total;	/* lines refused ever */
};

/* A full bucket of `burst` lines refilled at `rate` lines a second, starting
 * at now_ns.  rate and burst of 0 are taken as 1. */
void request_limiter_init(struct request_limiter *l, unsigned rate, unsigned burst,
			  uint64_t now_ns);

/*
 * Asks for one line at now_ns (a clock that does not go backwards; a value
 * below the previous one counts as no time passing).  Returns 1 when the
 * line may be written, with *dropped_before set to the lines refused since
 * the previous line that got through (then reset to 0); returns 0 when it
 * is refused, and counts it.
 */
int request_limiter_take(struct request_limiter *l, uint64_t now_ns, uint64_t *dropped_before);

/* ---- request.c: fork and exit (called by preload/init.c only) ---- */

/* fork(): the prepare handler takes the lock of endpoints, templates and
 * the limiter, the parent's handler releases it, the child's makes it anew
 * (the child's state is the parent's at the fork, consistent). */
void request_fork_prepare(void);
void request_fork_parent(void);
void request_fork_child(void);

/* exit() (not _exit()): writes one line for the slow-request warnings the
 * limiter refused since the last line written, when there are any, on the
 * log descriptor or stderr (nothing on stderr under PARAPROF_QUIET). */
void request_exit(void);

#endif /* PARAPROF_REQUEST_H */
