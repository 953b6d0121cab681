/* internal.h - libparaprof's private interfaces
 *
 * Shared by the files of preload/ only; never included from analyzer/.  Every
 * non-static name here carries its module's prefix (seg_, clock_, hooks_,
 * sampler_, env_, cache_).
 */
#ifndef PARAPROF_INTERNAL_H
#define PARAPROF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "paraprof/format.h"

#define PP_EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- segment.c: the shared-memory segment ---- */

/* Base address of the mapped segment, NULL when profiling is off. */
extern char *seg_base;

/* The segment's header, or NULL when profiling is off. */
static inline struct ppf_header *seg_header(void)
{
	return (struct ppf_header *)seg_base;
}

/*
 * Returns a fresh slot in the segment's cache table for a cache called
 * `name` (interned in the string table), with state live; NULL when there is
 * no segment or the table is full.  The caller updates the counters with
 * atomic adds and sets state to 2 when the cache is freed.  Thread-safe.
 */
struct ppf_cache *seg_cache_slot(const char *name);

/*
 * Interns `name` in the segment's string table and returns its offset, or 0
 * when there is no segment or no room (counted in strings_dropped).  The same
 * name always gets the same offset.  Thread-safe; takes a lock.
 */
uint32_t seg_intern(const char *name);

/* ---- util: messages ---- */

/* Prints "paraprof: <fmt>\n" on stderr unless PARAPROF_QUIET is set. */
void env_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* PARAPROF_INTERNAL_H */
