/* cache_slot.c - the cache's one link to the profiler: a statistics slot
 *
 * cache/ is a general key/value store; a named cache publishes its counters
 * in a slot of the profiling segment so that paraprof-report shows them.
 */
#include "internal.h"
#include "../cache/cache_priv.h"

/* A cache API call makes the segment, as an instrumented call would. */
struct ppf_cache *cache_segment_slot(const char *name)
{
	if (seg_base || init_segment() == 0)
		return seg_cache_slot(name);
	return NULL;
}
