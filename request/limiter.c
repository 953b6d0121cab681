/* limiter.c - the token bucket that rate-limits slow-request warnings
 *
 * Pure code (tests/unit/test_limiter.c links this file alone): the caller
 * passes the time and serialises the calls.  Credit is kept in nanoseconds,
 * so that a call only adds, compares and subtracts (the one division is at
 * init).
 */
#include <string.h>

#include "request.h"

void request_limiter_init(struct request_limiter *l, unsigned rate, unsigned burst,
			  uint64_t now_ns)
{
	memset(l, 0, sizeof(*l));
	l->interval_ns = 1000000000ull / (rate ? rate : 1);
	l->capacity_ns = l->interval_ns * (burst ? burst : 1);
	l->credit_ns = l->capacity_ns;
	l->last_ns = now_ns;
}

int request_limiter_take(struct request_limiter *l, uint64_t now_ns, uint64_t *dropped_before)
{
	if (now_ns > l->last_ns) {
		uint64_t gain = now_ns - l->last_ns;

		/* written so that a long pause cannot overflow the credit */
		l->credit_ns = gain >= l->capacity_ns - l->credit_ns ? l->capacity_ns
								     : l->credit_ns + gain;
		l->last_ns = now_ns;
	}
	if (l->credit_ns < l->interval_ns) {
		l->dropped++;
		l->dropped_total++;
		return 0;
	}
	l->credit_ns -= l->interval_ns;
	*dropped_before = l->dropped;
	l->dropped = 0;
	return 1;
}
