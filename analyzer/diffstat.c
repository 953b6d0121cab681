/* diffstat.c - is the new side slower than the base? Two tests on histograms
 *
 * The gate of --check --baseline and the diff's "significantly slower or
 * faster" ask whether one sample of call durations is slower than another,
 * knowing only the two log-linear histograms (format.h): every call's bucket,
 * not its duration.  Calls in one bucket are therefore ties, in both tests:
 *
 * - The average: Welch's t test.  The means are exact (sum / calls); each
 *   side's variance comes from its buckets, each call at its bucket's value
 *   plus the variance of a value spread evenly over the bucket (w^2 / 12).
 *   t = (mean_b - mean_a) / sqrt(s_a^2 / m + s_b^2 / n) with the
 *   Welch-Satterthwaite degrees of freedom; one-sided p = P(T >= t) of
 *   Student's t.  A few calls preempted for milliseconds move an average a
 *   lot but widen its error as much: they do not make it significant.
 *
 * - The whole distribution (the diff's "slower"/"faster"): the Mann-Whitney
 *   U test.
 *   U counts the pairs (base call, new call) where the new one is longer, a
 *   tie counting half; under "same distribution" its mean is m n / 2 and its
 *   variance, with t_b the calls in bucket b, m n / 12 ((N + 1) -
 *   sum (t_b^3 - t_b) / (N (N - 1))), N = m + n (the usual tie correction).
 *   z = (U - m n / 2 - 1/2) / sigma (continuity correction); one-sided p =
 *   P(Z >= z) of the standard normal.
 *
 * - A quantile q (p50, p95, p99): an exceedance test.  Pool both
 *   histograms and take the bucket of the pooled q-quantile; K calls of
 *   the pool lie above it, x of them from the new side.  The quantile's own
 *   bucket may hold most calls: it is tried on both sides of the split and
 *   the smaller p taken, doubled (Bonferroni) when both splits could tell.  Were both
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

/* The regularized incomplete beta function I_x(a, b), by its continued
 * fraction evaluated with the modified Lentz method (the fraction converges
 * fast for x < (a + 1) / (a + b + 2); otherwise the symmetry I_x(a, b) =
 * 1 - I_{1-x}(b, a) is used). */
static double incomplete_beta(double a, double b, double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	if (x > (a + 1) / (a + b + 2))
		return 1 - incomplete_beta(b, a, 1 - x);
	const double tiny = 1e-300;
	double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)) / a;
	double f = 1, c = 1, dd = 0;

	for (int i = 0; i <= 400; i++) {
		int m = i / 2;
		double num;

		if (i == 0)
			num = 1;
		else if (i % 2 == 0)
			num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		else
			num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		dd = 1 + num * dd;
		dd = fabs(dd) < tiny ? 1 / tiny : 1 / dd;
		c = 1 + num / c;
		if (fabs(c) < tiny)
			c = tiny;
		double delta = c * dd;

		f *= delta;
		if (fabs(delta - 1) < 1e-15)
			break;
	}
	return front * (f - 1);
}

double diff_student_upper(double t, double df)
{
	if (!(df > 0))
		return 1.0;
	double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));

	return t >= 0 ? tail : 1 - tail;
}

/* The mean (ns) and the variance (ns^2) of the durations in h around
 * `mean`, each call at its bucket's value, plus the spread within a
 * bucket (w^2 / 12). */
static long double hist_variance(const struct pp_hist *h, long double mean)
{
	long double ss = 0;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		const uint64_t *c = hist_page(h, p);

		if (!c)
			continue;
		for (unsigned i = 0; i < PPF_SUB; i++) {
			if (!c[i])
				continue;
			unsigned bucket = p * PPF_SUB + i;
			long double v = (long double)ppf_bucket_value(bucket) - mean;
			long double w = (long double)ppf_bucket_width(bucket);

			ss += (long double)c[i] * (v * v + w * w / 12);
		}
	}
	return h->count > 1 ? ss / (long double)(h->count - 1) : 0;
}

double diff_welch(const struct pp_hist *a, double mean_a, const struct pp_hist *b,
		  double mean_b, double *t_out)
{
	if (t_out)
		*t_out = 0;
	if (a->count < 2 || b->count < 2)
		return 1.0;
	long double m = (long double)a->count, n = (long double)b->count;
	long double va = hist_variance(a, mean_a) / m, vb = hist_variance(b, mean_b) / n;
	long double se2 = va + vb;

	if (!(se2 > 0))
		return mean_b > mean_a ? 0.0 : 1.0;
	double t = (double)(((long double)mean_b - (long double)mean_a) / sqrtl(se2));
	double df = (double)(se2 * se2 / (va * va / (m - 1) + vb * vb / (n - 1)));

	if (t_out)
		*t_out = t;
	return diff_student_upper(t, df);
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
	if ((long double)x <= n * K / N) {
		/* at or below the mean the tail is most of the mass, and its
		 * first term may underflow to 0 far below it: 1 - P(X <= x - 1),
		 * summed down from x - 1, where the terms fall;
		 * P(k - 1) / P(k) = k (N - K - n + k) / ((K - k + 1)(n - k + 1)) */
		uint64_t k = x - 1;
		long double t = expl(log_choose(K, (long double)k) +
				     log_choose(N - K, n - (long double)k) - log_choose(N, n));
		long double low = 0;

		for (;;) {
			long double kk = (long double)k;

			low += t;
			if (k == lo || t < low * 1e-18L)
				break;
			t *= kk * (N - K - n + kk) / ((K - kk + 1) * (n - kk + 1));
			k--;
		}
		return low >= 1 ? 0.0 : (double)(1 - low);
	}
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
	uint64_t N = a->count + b->count, seen = 0;
	uint64_t below = 0, at = 0, below_b = 0, at_b = 0;	/* pooled; b's */
	uint64_t mask = a->page_mask | b->page_mask;
	int found = 0;

	if (!a->count || !b->count)
		return 1.0;
	uint64_t rank = ppc_quantile_rank(N, q_ppm);

	for (unsigned p = 0; p < PPF_HIST_PAGES && !found; p++) {
		if (!(mask >> p & 1))
			continue;
		const uint64_t *ca = hist_page(a, p), *cb = hist_page(b, p);

		for (unsigned i = 0; i < PPF_SUB && !found; i++) {
			uint64_t ai = ca ? ca[i] : 0, bi = cb ? cb[i] : 0;

			if (seen + ai + bi >= rank) {
				found = 1;	/* the pooled quantile's bucket */
				at = ai + bi;
				at_b = bi;
			} else {
				below_b += bi;
			}
			seen += ai + bi;
		}
	}
	below = seen - at;
	/* The quantile's bucket may hold most calls (all of a quick side's, say):
	 * it can go either way, above or not.  Both splits are tested and the
	 * smaller p taken, doubled (Bonferroni) when both could tell anything; a
	 * split with every call or none above tells nothing and is skipped. */
	uint64_t above[2] = { N - below - at, N - below };
	uint64_t above_b[2] = { b->count - below_b - at_b, b->count - below_b };
	double best = 1.0;
	int tried = 0;

	for (int k = 0; k < 2; k++) {
		if (above[k] == 0 || above[k] == N || (k == 1 && at == 0))
			continue;
		double p = diff_hypergeom_upper(N, above[k], b->count, above_b[k]);

		tried++;
		if (p < best)
			best = p;
	}
	best *= tried > 1 ? 2 : 1;
	return best > 1 ? 1.0 : best;
}
