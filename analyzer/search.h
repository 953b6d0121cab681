/* search.h - the first element of a sorted array whose address field is above
 * a given address
 *
 * The loader's module ranges and the symbolizer's symbols are arrays sorted
 * by a uint64_t address; both look for the nearest entry at or below an
 * address by finding the first one above it.
 */
#ifndef PARAPROF_SEARCH_H
#define PARAPROF_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The index of the first of the `n` elements of `size` bytes at `base`
 * whose uint64_t at byte `key_off` is above `addr` (n when none is), the
 * array being sorted by that field.  The entry at or below addr, if any, is
 * the one before it. */
static inline size_t search_above(const void *base, size_t n, size_t size, size_t key_off,
				  uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t key;

		memcpy(&key, (const char *)base + mid * size + key_off, sizeof(key));
		if (key <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
