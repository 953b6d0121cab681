/* test_diff.c - the statistics of --diff and of the regression gate, and
 * their options
 *
 * Known values first (the hypergeometric tail and Student's t against
 * textbook numbers, the U test on a small exact case), then the behaviour
 * the gate relies on: identical histograms are never significant, a 30 %
 * shift of a thousand calls always is, in the right direction only, and a
 * handful of calls never is, however far apart.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diff.h"
#include "options.h"
#include "profile.h"
#include "report.h"

/* n durations spread over [lo, lo * 1.2) in ns, deterministic */
static void fill(struct pp_hist *h, size_t n, uint64_t lo)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pp_hist_add_value(h, lo + lo / 5 * ((i * 7919) % n) / n, 1), 0);
}

static double mean_of(size_t n, uint64_t lo)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (double)(lo + lo / 5 * ((i * 7919) % n) / n);
	return s / (double)n;
}

static void test_diff_known_values(void **state)
{
	(void)state;
	/* 5 of 10 succeed, 5 drawn: P(X >= 5) = 1 / C(10, 5) */
	assert_true(fabs(diff_hypergeom_upper(10, 5, 5, 5) - 1.0 / 252) < 1e-12);
	assert_true(fabs(diff_hypergeom_upper(10, 5, 5, 4) - 26.0 / 252) < 1e-12);
	assert_true(diff_hypergeom_upper(10, 5, 5, 0) == 1.0);
	assert_true(diff_hypergeom_upper(10, 5, 5, 6) == 0.0);
	/* below the mean P(X >= x) is near 1 even where P(X = x) underflows
	 * (mean 750,500 here: x is 500 standard deviations below it) */
	assert_true(diff_hypergeom_upper(20000000, 1501000, 10000000, 501000) > 0.999);
	assert_true(fabs(diff_hypergeom_upper(10, 5, 5, 2) - (1 - 26.0 / 252)) < 1e-12);
	/* Student's t: the 97.5 % point of 10 degrees of freedom is 2.228,
	 * of very many the normal's 1.960 */
	assert_true(fabs(diff_student_upper(2.228, 10) - 0.025) < 2e-4);
	assert_true(fabs(diff_student_upper(1.96, 1e7) - 0.025) < 2e-4);
	assert_true(fabs(diff_student_upper(0, 5) - 0.5) < 1e-12);
	assert_true(fabs(diff_student_upper(-2.228, 10) - 0.975) < 2e-4);

	/* U test, values under 128 ns (exact buckets): {1,2,3} against
	 * {4,5,6}: U = 9 of 9, sigma^2 = 9 * 7 / 12, z = (9 - 4.5 - 0.5) /
	 * sigma = 1.746, one-sided p = 0.0404 */
	struct pp_hist a = { 0 }, b = { 0 };
	double z;

	for (uint64_t v = 1; v <= 3; v++) {
		assert_int_equal(pp_hist_add_value(&a, v, 1), 0);
		assert_int_equal(pp_hist_add_value(&b, v + 3, 1), 0);
	}
	double p = diff_mann_whitney(&a, &b, &z);

	assert_true(fabs(z - 1.7461) < 1e-3);
	assert_true(fabs(p - 0.0404) < 1e-3);
	free(a.pages);
	free(b.pages);
}

static void test_diff_identical_not_significant(void **state)
{
	struct pp_hist a = { 0 }, b = { 0 };

	(void)state;
	fill(&a, 1000, 10000);
	fill(&b, 1000, 10000);
	double m = mean_of(1000, 10000);

	assert_true(diff_mann_whitney(&a, &b, NULL) > 0.4);
	assert_true(diff_mann_whitney(&b, &a, NULL) > 0.4);
	assert_true(diff_welch(&a, m, &b, m, NULL) >= 0.5 - 1e-9);
	assert_true(diff_quantile_test(&a, &b, 500000) > 0.3);
	assert_true(diff_quantile_test(&a, &b, 950000) > 0.3);
	assert_true(diff_quantile_test(&a, &b, 990000) > 0.3);
	free(a.pages);
	free(b.pages);
}

static void test_diff_shift_significant(void **state)
{
	struct pp_hist a = { 0 }, b = { 0 };

	(void)state;
	fill(&a, 1000, 10000);
	fill(&b, 1000, 13000);		/* every call 30 % slower */
	double ma = mean_of(1000, 10000), mb = mean_of(1000, 13000);

	assert_true(diff_mann_whitney(&a, &b, NULL) < 1e-6);
	assert_true(diff_welch(&a, ma, &b, mb, NULL) < 1e-6);
	assert_true(diff_quantile_test(&a, &b, 100000) < 1e-6);
	assert_true(diff_quantile_test(&a, &b, 500000) < 1e-6);
	assert_true(diff_quantile_test(&a, &b, 950000) < 1e-6);
	/* and not the other way round */
	assert_true(diff_mann_whitney(&b, &a, NULL) > 0.99);
	assert_true(diff_welch(&b, mb, &a, ma, NULL) > 0.99);
	assert_true(diff_quantile_test(&b, &a, 500000) > 0.99);
	free(a.pages);
	free(b.pages);
}

/* Only the tail moved: 5 % of the calls ten times longer.  The quantile
 * test at p99 sees it; the median does not move. */
static void test_diff_tail_only(void **state)
{
	struct pp_hist a = { 0 }, b = { 0 };

	(void)state;
	fill(&a, 1000, 10000);
	fill(&b, 950, 10000);
	fill(&b, 50, 100000);
	assert_true(diff_quantile_test(&a, &b, 990000) < 1e-6);
	assert_true(diff_quantile_test(&a, &b, 500000) > 0.01);
	free(a.pages);
	free(b.pages);
}

/* The quick side's calls all in one bucket (a tight loop): the p10 bucket
 * holds every base call.  The split that puts that bucket above tells
 * nothing (every call is above); the other still sees the shift. */
static void test_diff_one_bucket(void **state)
{
	struct pp_hist a = { 0 }, b = { 0 };

	(void)state;
	assert_int_equal(pp_hist_add_value(&a, 28200, 500), 0);
	fill(&a, 500, 40000);
	fill(&b, 1000, 36700);
	assert_true(diff_quantile_test(&a, &b, 100000) < 1e-6);
	assert_true(diff_quantile_test(&b, &a, 100000) > 0.5);
	/* both sides in that one bucket: nothing to tell */
	struct pp_hist c = { 0 };

	assert_int_equal(pp_hist_add_value(&c, 28200, 300), 0);
	struct pp_hist d = { 0 };

	assert_int_equal(pp_hist_add_value(&d, 28210, 300), 0);
	assert_true(diff_quantile_test(&c, &d, 100000) == 1.0);
	assert_true(diff_mann_whitney(&c, &d, NULL) == 1.0);
	free(a.pages);
	free(b.pages);
	free(c.pages);
	free(d.pages);
}

static void test_diff_tiny_not_significant(void **state)
{
	struct pp_hist a = { 0 }, b = { 0 };

	(void)state;
	/* three calls each, wholly apart: at best 1 in 20 by chance */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pp_hist_add_value(&a, 10000 + 100 * (uint64_t)i, 1), 0);
		assert_int_equal(pp_hist_add_value(&b, 50000 + 100 * (uint64_t)i, 1), 0);
	}
	assert_true(diff_mann_whitney(&a, &b, NULL) > 0.01);
	assert_true(diff_quantile_test(&a, &b, 500000) > 0.01);
	assert_true(diff_quantile_test(&a, &b, 950000) > 0.01);
	free(a.pages);
	free(b.pages);
	/* one call each: no variance to judge by */
	a = (struct pp_hist){ 0 };
	b = (struct pp_hist){ 0 };
	assert_int_equal(pp_hist_add_value(&a, 10000, 1), 0);
	assert_int_equal(pp_hist_add_value(&b, 90000, 1), 0);
	assert_true(diff_welch(&a, 10000, &b, 90000, NULL) == 1.0);
	/* empty sides */
	struct pp_hist e = { 0 };

	assert_true(diff_mann_whitney(&e, &b, NULL) == 1.0);
	assert_true(diff_quantile_test(&a, &e, 500000) == 1.0);
	free(a.pages);
	free(b.pages);
}

static void test_diff_parse_limits(void **state)
{
	struct diff_opts d;
	char err[256];

	(void)state;
	diff_opts_default(&d);
	assert_true(d.limits[DIFF_P10].set && !d.limits[DIFF_P10].absolute);
	assert_true(fabs(d.limits[DIFF_P10].rel - 0.10) < 1e-12);
	assert_false(d.limits[DIFF_P50].set || d.limits[DIFF_P95].set || d.limits[DIFF_AVG].set);
	assert_true(fabs(d.confidence - 0.99) < 1e-12);

	assert_int_equal(diff_parse_limits("p95=10%,avg=+2ms", &d, err, sizeof(err)), 0);
	assert_true(d.limits[DIFF_P95].set && fabs(d.limits[DIFF_P95].rel - 0.10) < 1e-12);
	assert_true(d.limits[DIFF_AVG].set && d.limits[DIFF_AVG].absolute);
	assert_int_equal(d.limits[DIFF_AVG].abs_ns, 2000000);
	assert_false(d.limits[DIFF_P10].set);	/* replaced, not added to */

	static const char *const bad[] = { "", "p95", "p96=10%", "p95=abc", "p95=10", "p95=%",
					   "p95=10%%", "avg=-2ms", "p95=10%,", NULL };

	for (int i = 0; bad[i]; i++) {
		err[0] = '\0';
		int rc = diff_parse_limits(bad[i], &d, err, sizeof(err));

		/* "p95=10%," is a list with an empty last item: strtok skips it */
		if (!strcmp(bad[i], "p95=10%,"))
			continue;
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, "--max-regression"));
	}
	assert_int_equal(diff_parse_confidence("99.9%", &d, err, sizeof(err)), 0);
	assert_true(fabs(d.confidence - 0.999) < 1e-12);
	assert_int_equal(diff_parse_confidence("100", &d, err, sizeof(err)), -1);
	assert_int_equal(diff_parse_confidence("x", &d, err, sizeof(err)), -1);
	assert_int_equal(diff_parse_confidence("-99", &d, err, sizeof(err)), -1);
}

/* Parses a command line; returns opt_parse()'s result. */
static int parse(struct opt_cmdline *cl, char *err, size_t errlen, int argc, ...)
{
	static char *argv[16];
	va_list ap;

	va_start(ap, argc);
	argv[0] = (char *)"paraprof-report";
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	return opt_parse(argc, argv, cl, err, errlen);
}

static void test_diff_cmdline(void **state)
{
	struct opt_cmdline cl;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cl, err, sizeof(err), 7, "--diff", "a.ppd", "b.ppd", "--",
			       "c.ppd", "-n5"), 0);
	assert_int_equal(cl.diff.nbase, 2);
	assert_string_equal(cl.diff.base[1], "b.ppd");
	/* after "--" everything is a file, even what looks like an option */
	assert_int_equal(cl.nfiles, 2);
	assert_string_equal(cl.files[0], "c.ppd");
	assert_string_equal(cl.files[1], "-n5");
	opt_free(&cl);

	assert_int_equal(parse(&cl, err, sizeof(err), 7, "--check", "--baseline", "a.ppd",
			       "--baseline", "b.ppd", "c.ppd"), 0);
	assert_int_equal(cl.diff.nbase, 2);
	assert_int_equal(cl.nfiles, 1);
	opt_free(&cl);

	/* a plain report: files before and after "--" alike */
	assert_int_equal(parse(&cl, err, sizeof(err), 4, "a.ppd", "--", "b.ppd"), 0);
	assert_int_equal(cl.diff.nbase, 0);
	assert_int_equal(cl.nfiles, 2);
	opt_free(&cl);

	static const struct { int argc; const char *a[4]; const char *why; } bad[] = {
		{ 3, { "--diff", "a.ppd" }, "no '--'" },
		{ 4, { "--diff", "--", "b.ppd" }, "base side is empty" },
		{ 4, { "--diff", "a.ppd", "--" }, "new side is empty" },
		{ 4, { "--max-regression", "p95=10%", "a.ppd" }, "go with --baseline" },
		{ 4, { "--baseline", "a.ppd", "--graph" }, "comparison" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = bad[i].argc == 3 ?
			 parse(&cl, err, sizeof(err), 3, bad[i].a[0], bad[i].a[1]) :
			 parse(&cl, err, sizeof(err), 4, bad[i].a[0], bad[i].a[1], bad[i].a[2]);

		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, bad[i].why));
		opt_free(&cl);
	}
}


/* Adds calls of ns each to the path node (parent + 1 or 0, region `name`),
 * its entry too, as the loader sums them; returns the node's index + 1. */
static uint32_t node(struct pp_profile *prof, uint32_t parent, const char *name,
		     uint64_t calls, uint64_t ns)
{
	struct pp_entry *e = pp_profile_entry(prof, PPF_KIND_REGION, -1, 0, name);
	struct pp_entry s = { .calls = calls, .sum_ns = calls * ns, .inclusive_ns = calls * ns,
			      .self_ns = calls * ns, .min_ns = ns, .max_ns = ns };
	struct pp_path *p;

	assert_non_null(e);
	assert_int_equal(pp_hist_add_value(&s.hist, ns, calls), 0);
	p = pp_profile_path(prof, parent, e->index, 0);
	assert_non_null(p);
	assert_int_equal(pp_path_add(p, &s), 0);
	assert_int_equal(pp_entry_merge(e, &s), 0);
	free(s.hist.pages);
	return p->index + 1;
}

/* A chain f0 > f1 > ... > f(depth - 1), and g under f0 (base) or h under
 * f0 (new); f(depth - 1) takes leaf_ns a call. */
static struct pp_profile *chain(int depth, uint64_t leaf_ns, const char *other)
{
	struct pp_profile *prof = pp_profile_new();
	uint32_t parent = 0, f0 = 0;
	char name[16];

	assert_non_null(prof);
	for (int i = 0; i < depth; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		parent = node(prof, parent, name, 100, i == depth - 1 ? leaf_ns : 1000);
		if (!i)
			f0 = parent;
	}
	node(prof, f0, other, 100, 500);
	return prof;
}

/* Call paths match by the names along them; their names print root first,
 * cut at the start when long. */
static void test_diff_paths(void **state)
{
	struct pp_profile *base = chain(300, 10000, "g"), *new = chain(300, 13000, "h");
	struct report_opts ro;
	struct diff_opts dopts;
	struct diff d;
	const size_t ninputs[2] = { 1, 1 };
	char big[DIFF_PATH_NAME_MAX], small[DIFF_PATH_NAME_MIN];

	(void)state;
	report_opts_default(&ro);
	diff_opts_default(&dopts);
	assert_int_equal(diff_build(&d, base, new, ninputs, &ro, &dopts, NULL), 0);
	/* 300 chain nodes matched, g vanished, h new */
	assert_int_equal(d.npaths, 302);
	size_t matched = 0, news = 0, gone = 0;
	const struct diff_row *leaf = NULL;

	for (size_t i = 0; i < d.npaths; i++) {
		const struct diff_row *r = &d.paths[i];

		matched += r->base && r->new;
		news += !r->base;
		gone += !r->new;
		if (r->base && r->new && !strcmp(r->name, "f299"))
			leaf = r;
	}
	assert_int_equal(matched, 300);
	assert_int_equal(news, 1);
	assert_int_equal(gone, 1);
	/* the slowed leaf is the path with the largest effect: 100 x 3 us */
	assert_ptr_equal(leaf, &d.paths[0]);
	assert_int_equal(leaf->effect_ns, 300000);
	const char *full = diff_path_name(&d, leaf, big, sizeof(big));

	assert_int_equal(strncmp(full, "f0 > f1 > f2 > ", 15), 0);
	assert_string_equal(full + strlen(full) - 11, "f298 > f299");
	const char *cut = diff_path_name(&d, leaf, small, sizeof(small));

	assert_int_equal(strncmp(cut, "... > ", 6), 0);
	assert_int_equal(strcmp(cut + strlen(cut) - 11, "f298 > f299"), 0);
	assert_true(strlen(cut) < sizeof(small));
	for (size_t i = 0; i < d.npaths; i++)
		if (!d.paths[i].base)
			assert_string_equal(diff_path_name(&d, &d.paths[i], big, sizeof(big)),
					    "f0 > h");
	/* entries: f0..f299 matched, g vanished, h new */
	assert_int_equal(d.nmatched, 300);
	assert_int_equal(d.nnew, 1);
	assert_int_equal(d.nvanished, 1);
	diff_free(&d);
	pp_profile_free(base);
	pp_profile_free(new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_known_values),
		cmocka_unit_test(test_diff_identical_not_significant),
		cmocka_unit_test(test_diff_shift_significant),
		cmocka_unit_test(test_diff_tail_only),
		cmocka_unit_test(test_diff_one_bucket),
		cmocka_unit_test(test_diff_tiny_not_significant),
		cmocka_unit_test(test_diff_parse_limits),
		cmocka_unit_test(test_diff_cmdline),
		cmocka_unit_test(test_diff_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
