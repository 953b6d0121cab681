/* control.c - enable, disable, clear: the steps on a segment's header
 *
 * See control.h.  Ordering: a generation is incremented before the flags
 * word changes, each step with release semantics, so that a thread that
 * sees the new word (the hooks compare it whole) also sees the generation
 * it is to catch up with.
 */
#include "control.h"

void ppc_control_enable(struct ppf_header *h)
{
	__atomic_fetch_add(&h->enable_gen, 1, __ATOMIC_RELEASE);
	__atomic_fetch_or(&h->flags, PPF_FLAG_ENABLED, __ATOMIC_RELEASE);
	ppc_control_bump_epoch(h);
}

void ppc_control_disable(struct ppf_header *h)
{
	__atomic_fetch_and(&h->flags, ~PPF_FLAG_ENABLED, __ATOMIC_RELEASE);
}

void ppc_control_clear(struct ppf_header *h)
{
	__atomic_fetch_add(&h->clear_gen, 1, __ATOMIC_RELEASE);
	ppc_control_bump_epoch(h);
}

void ppc_control_bump_epoch(struct ppf_header *h)
{
	__atomic_fetch_add(&h->flags, PPF_FLAG_EPOCH_ONE, __ATOMIC_RELEASE);
}
