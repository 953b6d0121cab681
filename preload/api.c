/* api.c - the profiling half of the public C API (include/paraprof.h)
 *
 * Enable/disable, named regions, async spans and statistics queries: thin
 * checks of the arguments over what hooks.c, query.c and symtab.c do.  Every
 * call is safe from any thread; none of them is made from the hooks.  When
 * profiling is off (no segment could be made) they return PARAPROF_ENOSYS;
 * while it is disabled, regions and spans are not recorded and return 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "paraprof.h"

/* The public kinds are the segment's: a record's kind is handed out as is. */
_Static_assert((int)PARAPROF_KIND_FUNCTION == (int)PPF_KIND_FUNCTION, "kinds differ");
_Static_assert((int)PARAPROF_KIND_REGION == (int)PPF_KIND_REGION, "kinds differ");
_Static_assert((int)PARAPROF_KIND_SPAN == (int)PPF_KIND_SPAN, "kinds differ");
_Static_assert((int)PARAPROF_KIND_ENDPOINT == (int)PPF_KIND_ENDPOINT, "kinds differ");

/* The segment, made now if the program has not recorded anything yet. */
static struct ppf_header *header(void)
{
	if (!seg_base && init_segment() < 0)
		return NULL;
	return seg_header();
}

PP_EXPORT int paraprof_enable(void)
{
	if (!header())
		return PARAPROF_ENOSYS;
	hooks_enable(1);
	return 0;
}

PP_EXPORT int paraprof_disable(void)
{
	if (!header())
		return PARAPROF_ENOSYS;
	hooks_enable(0);
	return 0;
}

PP_EXPORT int paraprof_is_enabled(void)
{
	struct ppf_header *h = header();

	if (!h)
		return PARAPROF_ENOSYS;
	return (__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & PPF_FLAG_ENABLED) != 0;
}

PP_EXPORT int paraprof_clear_stats(void)
{
	if (!header())
		return PARAPROF_ENOSYS;
	hooks_clear();
	return 0;
}

PP_EXPORT int paraprof_region_begin(const char *name, unsigned flags)
{
	if (!name || (flags & ~PARAPROF_MEMORY))
		return PARAPROF_EINVAL;
	if (!header())
		return PARAPROF_ENOSYS;
	hooks_region_begin(name, flags, (uintptr_t)__builtin_dwarf_cfa());
	return 0;
}

PP_EXPORT int paraprof_region_end(void)
{
	if (!seg_base)
		return PARAPROF_ENOSYS;
	hooks_region_end();
	return 0;
}

PP_EXPORT paraprof_span_t paraprof_span_begin(const char *name)
{
	paraprof_span_t span = { 0, NULL };
	struct ppf_header *h = header();

	if (!name || !h || !(__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) & PPF_FLAG_ENABLED))
		return span;
	span.start = hooks_now();
	span.name = name;
	return span;
}

PP_EXPORT int paraprof_span_end(paraprof_span_t span)
{
	uint64_t now = hooks_now();

	if (!span.name)
		return 0;	/* begun while disabled or off: nothing to record */
	if (!seg_base)
		return PARAPROF_ENOSYS;
	hooks_record_named(PPF_KIND_SPAN, span.name, 1,
			   now > span.start ? clock_to_ns(now - span.start) : 0, 0, 0);
	return 0;
}

/* Fills the public statistics from a query result. */
static void fill(struct paraprof_stats *st, const char *name, unsigned kind,
		 const struct query_result *q)
{
	memset(st, 0, sizeof(*st));
	st->name = name;
	st->kind = (int)kind;
	st->calls = q->calls;
	st->total_ns = q->inclusive_ns;
	st->self_ns = q->self_ns;
	QUERY_SET_LATENCY(st, q);
	st->memory_avg_mb = q->calls ? (double)q->rss_sum_kib / (double)q->calls / 1024 : 0;
	st->memory_max_mb = (double)q->rss_max_kib / 1024;
}

PP_EXPORT int paraprof_get_stats(const char *name, struct paraprof_stats *stats)
{
	static const unsigned named[] = { PPF_KIND_REGION, PPF_KIND_SPAN, PPF_KIND_ENDPOINT };
	struct query_result q;
	uint32_t off;
	uintptr_t addr;

	if (!name || !stats)
		return PARAPROF_EINVAL;
	if (!header())
		return PARAPROF_ENOSYS;
	/* an instrumented function first, then regions, spans, endpoints */
	addr = symtab_addr(name);
	if (addr && query_one(PPF_KIND_FUNCTION, addr, &q) == 0 && q.calls) {
		fill(stats, name, PPF_KIND_FUNCTION, &q);
		return 0;
	}
	off = seg_find_name(name);
	for (unsigned i = 0; off && i < sizeof(named) / sizeof(named[0]); i++)
		if (query_one(named[i], off, &q) == 0 && q.calls) {
			fill(stats, name, named[i], &q);
			return 0;
		}
	memset(stats, 0, sizeof(*stats));
	stats->name = name;
	return PARAPROF_ENOENT;
}

PP_EXPORT int paraprof_foreach_stats(int (*fn)(const struct paraprof_stats *stats, void *ctx),
				     void *ctx)
{
	struct query_key *keys;
	size_t count;
	int rc = 0;

	if (!fn)
		return PARAPROF_EINVAL;
	if (!header())
		return PARAPROF_ENOSYS;
	if (query_keys(&keys, &count) < 0)
		return PARAPROF_ENOMEM;
	for (size_t i = 0; i < count && !rc; i++) {
		struct paraprof_stats st;
		struct query_result q;
		char name[512];
		const struct ppf_header *h = seg_header();

		if (keys[i].kind == PPF_KIND_FUNCTION) {
			if (!symtab_name((uintptr_t)keys[i].key, name, sizeof(name)))
				snprintf(name, sizeof(name), "%#llx",
					 (unsigned long long)(keys[i].key & QKEY_ADDR_MASK));
		} else if (keys[i].key < h->strtab_used) {
			snprintf(name, sizeof(name), "%s", (const char *)seg_ptr(h->strtab_off) + keys[i].key);
		} else {
			continue;
		}
		if (query_one(keys[i].kind, keys[i].key, &q) < 0 || !q.calls)
			continue;
		fill(&st, name, keys[i].kind, &q);
		rc = fn(&st, ctx);
	}
	free(keys);
	return rc;
}
