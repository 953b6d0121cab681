/* control.h - enable, disable, clear: the steps on a segment's header
 *
 * Part of the common format layer (common/).  include/paraprof/format.h
 * states the control protocol (above PPF_FLAG_EPOCH_SHIFT); these are its
 * steps, in one place.  The library takes them for paraprof_enable(),
 * paraprof_disable() and paraprof_clear_stats() and after a dlopen() or
 * dlclose(); paraprof-report --enable, --disable and --clear take them from
 * outside, on its own mapping of a live segment's header.
 *
 * Each step is a few atomic read-modify-writes on the header, lock-free and
 * async-signal-safe.  None waits for the threads: each thread sees the new
 * flags word at its next hook (its gate no longer matches) and brings
 * itself up to date.  What the caller does around them (the library's own
 * area, its gate) stays with the caller.
 */
#ifndef PARAPROF_COMMON_CONTROL_H
#define PARAPROF_COMMON_CONTROL_H

#include "paraprof/format.h"

/* Starts recording: increments enable_gen, sets PPF_FLAG_ENABLED, adds
 * PPF_FLAG_EPOCH_ONE.  A thread drops the frames it had begun before (they
 * span a time it did not record). */
void ppc_control_enable(struct ppf_header *h);

/* Stops recording: clears PPF_FLAG_ENABLED. */
void ppc_control_disable(struct ppf_header *h);

/* Clears the statistics: increments clear_gen, adds PPF_FLAG_EPOCH_ONE.
 * Each thread zeroes its own records at its next call, so that no record is
 * torn, and until then readers skip its area (cleared_gen behind). */
void ppc_control_clear(struct ppf_header *h);

/* Adds PPF_FLAG_EPOCH_ONE alone: every thread looks again at its next call
 * (the library's generations that are not in the header, e.g. after a
 * dlclose, are to be incremented first). */
void ppc_control_bump_epoch(struct ppf_header *h);

#endif
