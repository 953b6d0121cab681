/* flight.c - memoization with single flight
 *
 * A shard lists the keys being computed (struct paraprof_flight).  A thread
 * that misses a key someone is computing waits on that flight's condition
 * variable (with the shard's mutex) and takes the value or the error from it;
 * the last thread to leave frees it.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_priv.h"

/* ---- memoization ---------------------------------------------------------- */

PP_EXPORT int paraprof_cache_key(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf || !fmt)
		return PARAPROF_EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PARAPROF_EINVAL;
	return (size_t)n < cap ? n : PARAPROF_ERANGE;
}

static void flight_free(struct paraprof_flight *f)
{
	pthread_cond_destroy(&f->done_cv);
	free(f->value);
	free(f);
}

PP_EXPORT int paraprof_cache_begin(paraprof_cache_t *c, const void *key,
				   size_t key_len, void *buf, size_t cap,
				   size_t *len, paraprof_flight_t **flight)
{
	struct cache_out o = { .buf = buf, .cap = cap };
	struct cache_entry *e, *expired = NULL;
	struct paraprof_flight *f;
	struct cache_shard *sh;
	uint64_t hash, now;
	int rc;

	if (!flight)
		return PARAPROF_EINVAL;
	*flight = NULL;
	if (!c || !key || (!buf && cap))
		return PARAPROF_EINVAL;
	hash = cache_hash(c->seed, key, key_len);
	sh = cache_shard_of(c, hash);
	rc = cache_read_fast(c, sh, hash, key, key_len, &o);
	if (rc == 0 || rc == PARAPROF_ERANGE) {
		if (len)
			*len = o.len;
		return rc;
	}

	/* A miss, or undecided: look again with the mutex, then at flights. */
	shard_lock(c, sh);
	now = cache_now(c);
	e = cache_find_live(c, sh, hash, key, key_len, now, &expired);
	if (e) {
		rc = cache_serve(c, sh, e, now, &o, expired);
		if (len)
			*len = o.len;
		return rc;
	}
	cache_miss(c);
	for (f = sh->flights; f; f = f->next)
		if (f->hash == hash && f->key_len == key_len &&
		    memcmp(f->key, key, key_len) == 0)
			break;
	if (f) {
		bool last;

		f->refs++;
		while (!f->done)
			shard_wait(c, sh, &f->done_cv);
		rc = f->rc;
		if (rc == 0) {
			if (len)
				*len = f->value_len;
			if (f->value_len > cap)
				rc = PARAPROF_ERANGE;
			else if (f->value_len)
				memcpy(buf, f->value, f->value_len);
		}
		last = --f->refs == 0;
		shard_unlock(c, sh);
		if (last)
			flight_free(f);
		free(expired);
		return rc;
	}
	if (key_len > SIZE_MAX - sizeof(*f) ||
	    !(f = cache_alloc(sizeof(*f) + key_len))) {
		shard_unlock(c, sh);
		free(expired);
		return PARAPROF_ENOMEM;
	}
	memset(f, 0, sizeof(*f));
	pthread_cond_init(&f->done_cv, NULL);
	f->cache = c;
	f->shard = sh;
	f->hash = hash;
	f->refs = 1;
	f->key_len = key_len;
	memcpy(f->key, key, key_len);
	f->next = sh->flights;
	sh->flights = f;
	shard_unlock(c, sh);
	free(expired);
	*flight = f;
	return PARAPROF_COMPUTE;
}

PP_EXPORT int paraprof_cache_finish(paraprof_flight_t *f, const void *value,
				    size_t value_len, double ttl_s, int rc)
{
	struct paraprof_flight **pp;
	paraprof_cache_t *c;
	struct cache_shard *sh;
	bool last;

	if (!f)
		return PARAPROF_EINVAL;
	c = f->cache;
	sh = f->shard;
	if (rc == 0 && ((!value && value_len) || isnan(ttl_s)))
		rc = PARAPROF_EINVAL;
	/* Not storable (E2BIG, ENOMEM): the value is still handed out. */
	if (rc == 0)
		(void)paraprof_cache_set(c, f->key, f->key_len, value, value_len,
					 ttl_s);

	shard_lock(c, sh);
	for (pp = &sh->flights; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	f->rc = rc;
	if (rc == 0 && f->refs > 1 && value_len) {
		f->value = cache_alloc(value_len);
		if (f->value) {
			memcpy(f->value, value, value_len);
			f->value_len = value_len;
		} else {
			f->rc = PARAPROF_ENOMEM;
		}
	}
	f->done = 1;
	pthread_cond_broadcast(&f->done_cv);
	last = --f->refs == 0;
	shard_unlock(c, sh);
	if (last)
		flight_free(f);
	return rc;
}

PP_EXPORT int paraprof_cache_memoize(paraprof_cache_t *c, const void *key,
				     size_t key_len, double ttl_s,
				     paraprof_compute_fn compute, void *ctx,
				     void *out, size_t cap, size_t *len)
{
	paraprof_flight_t *f;
	size_t n = 0;
	int rc;

	if (!compute || isnan(ttl_s))
		return PARAPROF_EINVAL;
	rc = paraprof_cache_begin(c, key, key_len, out, cap, &n, &f);
	if (rc == PARAPROF_COMPUTE) {
		rc = compute(ctx, key, key_len, out, cap, &n);
		if (rc == 0 && n > cap)
			rc = PARAPROF_EINVAL;	/* compute claimed more than out holds */
		rc = paraprof_cache_finish(f, out, n, ttl_s, rc);
	}
	if (len && (rc == 0 || rc == PARAPROF_ERANGE))
		*len = n;
	return rc;
}
