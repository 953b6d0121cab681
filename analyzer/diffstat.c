/* diffstat.c - is the new side slower than the base? Two tests on histograms
 *
 * The gate of --check --baseline and the diff's "significantly slower or
 * faster" ask whether one sample of call durations is slower than another,
 * knowing only the two log-linear histograms (format.h): every call's bucket,
 * not its duration.  Calls in one bucket are therefore ties, in both tests:
 *
 * - The whole distribution (the average's test): the Mann-Whitney U test.
 *   U counts the pairs (base call, new call) where the new one is longer, a
 *   tie counting half; under "same distribution" its mean is m n / 2 and its
 *   variance, with t_b the calls in bucket b, m n / 12 ((N + 1) -
 *   sum (t_b^3 - t_b) / (N (N - 1))), N = m + n (the usual tie correction).
 *   z = (U - m n / 2 - 1/2) / sigma (continuity correction); one-sided p =
 *   P(Z >= z) of the standard normal.
 *
 * - A quantile q (p50, p95, p99): an exceedance test.  Pool both
 *   histograms and take the bucket of the pooled q-quantile; K calls of
 *   the pool lie in later buckets, x of them from the new side.  Were both
 *   sides one distribution, each of the N pooled calls would be equally
 *   likely to be one of the n new ones, so x follows the hypergeometric law
 *   (N, K, n): Fisher's exact test, one-sided p = P(X >= x).  A slower q
 *   quantile puts more than n K / N new calls above the pooled one.  Exact:
 *   a few calls never look significant.
 *
 * Ties (a bucket's calls) only ever hide differences, never make one: both
 * tests count a bucket's calls as equal, which is what the bucket lets us
 * know.  The error of a quantile's value (half a bucket, 1/128 relative) is
 * the gate's business (diff.c), not the tests'.
 */
#include <math.h>

#include "common/record.h"
#include "diff.h"

/* The count array of page p of h, or NULL when h has none of it. */
static const uint64_t *hist_page(const struct pp_hist *h, unsigned p)
{
	if (!(h->page_mask >> p & 1))
		return NULL;
	/* pages are stored in ascending page order: the slot is the number of
	 * present pages below p */
	return h->pages[__builtin_popcountll(h->page_mask & ((1ull << p) - 1))];
}

double diff_mann_whitney(const struct pp_hist *a, const struct pp_hist *b, double *z_out)
{
	long double m = (long double)a->count, n = (long double)b->count, N = m + n;
	long double u = 0, ties = 0, below_a = 0;
	uint64_t mask = a->page_mask | b->page_mask;

	if (z_out)
		*z_out = 0;
	if (!a->count || !b->count)
		return 1.0;
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		if (!(mask >> p & 1))
			continue;
		const uint64_t *ca = hist_page(a, p), *cb = hist_page(b, p);

		for (unsigned i = 0; i < PPF_SUB; i++) {
			long double ai = ca ? (long double)ca[i] : 0, bi = cb ? (long double)cb[i] : 0;
			long double t = ai + bi;

			u += bi * (below_a + ai / 2);
			ties += t * t * t - t;
			below_a += ai;
		}
	}
	long double var = m * n / 12 * ((N + 1) - ties / (N * (N - 1)));

	if (!(var > 0))		/* every call in one bucket: nothing to tell */
		return 1.0;
	long double z = (u - m * n / 2 - 0.5L) / sqrtl(var);

	if (z_out)
		*z_out = (double)z;
	return (double)(0.5L * erfcl(z / sqrtl(2)));
}

/* log of the binomial coefficient C(n, k) */
static long double log_choose(long double n, long double k)
{
	return lgammal(n + 1) - lgammal(k + 1) - lgammal(n - k + 1);
}

double diff_hypergeom_upper(uint64_t total, uint64_t successes, uint64_t draws, uint64_t x)
{
	long double N = (long double)total, K = (long double)successes, n = (long double)draws;
	uint64_t hi = successes < draws ? successes : draws;

	if (successes > total || draws > total)
		return 1.0;
	/* the least x can be: the draws beyond the failures */
	uint64_t lo = draws > total - successes ? draws - (total - successes) : 0;

	if (x <= lo)
		return 1.0;
	if (x > hi)
		return 0.0;
	long double logp = log_choose(K, (long double)x) +
			   log_choose(N - K, n - (long double)x) - log_choose(N, n);
	long double term = expl(logp), sum = 0;

	/* P(k + 1) / P(k) = (K - k)(n - k) / ((k + 1)(N - K - n + k + 1)); the
	 * terms fall once past the mode, so stop when they no longer count */
	for (uint64_t k = x; k <= hi; k++) {
		sum += term;
		if (k == hi)
			break;
		long double kk = (long double)k;

		term *= (K - kk) * (n - kk) / ((kk + 1) * (N - K - n + kk + 1));
		if (term < sum * 1e-18L && kk > n * K / N)
			break;
	}
	return sum > 1 ? 1.0 : (double)sum;
}

double diff_quantile_test(const struct pp_hist *a, const struct pp_hist *b, uint32_t q_ppm)
{
	uint64_t N = a->count + b->count, seen = 0, above = 0, above_b = 0;
	uint64_t mask = a->page_mask | b->page_mask;
	int found = 0;

	if (!a->count || !b->count)
		return 1.0;
	uint64_t rank = ppc_quantile_rank(N, q_ppm);

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		if (!(mask >> p & 1))
			continue;
		const uint64_t *ca = hist_page(a, p), *cb = hist_page(b, p);

		for (unsigned i = 0; i < PPF_SUB; i++) {
			uint64_t ai = ca ? ca[i] : 0, bi = cb ? cb[i] : 0;

			if (found) {
				above += ai + bi;
				above_b += bi;
			} else if ((seen += ai + bi) >= rank) {
				found = 1;	/* the pooled quantile's bucket */
			}
		}
	}
	return diff_hypergeom_upper(N, above, b->count, above_b);
}
