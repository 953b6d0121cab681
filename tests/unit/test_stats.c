/* test_stats.c - quantiles, per-entry statistics, merging, and the parsers
 * of option values
 *
 * Quantiles are checked against the exact nearest-rank value of the same
 * data, sorted: the histogram's answer must be within 1/128 relative
 * (format.h derives the bound).  Merging is checked both ways: shards of a
 * histogram add up to the whole, and two dumps loaded into one profile give
 * the statistics of one dump holding both sets of calls.
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

#include "load.h"
#include "options.h"
#include "profile.h"
#include "stats.h"
#include "synth.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Exact nearest rank of sorted v[n]: v[ceil(q n) - 1]. */
static uint64_t exact(const uint64_t *v, size_t n, uint32_t q_ppm)
{
	size_t rank = (size_t)(((unsigned __int128)n * q_ppm + 999999) / 1000000);

	return v[rank ? rank - 1 : 0];
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
	return (double)(splitmix(s) >> 11) / 9007199254740992.0;
}

/* Checks p50, p95, p99, p99.9 of v[n] (any order) against the histogram. */
static void check_quantiles(const char *what, uint64_t *v, size_t n)
{
	static const uint32_t qs[] = { 500000, 950000, 990000, 999000, 1000000, 1 };
	struct pp_hist h = { 0 };
	uint64_t min = UINT64_MAX, max = 0;

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(pp_hist_add_value(&h, v[i], 1), 0);
		min = v[i] < min ? v[i] : min;
		max = v[i] > max ? v[i] : max;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	assert_int_equal(h.count, n);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint64_t want = exact(v, n, qs[k]), got = stats_quantile(&h, qs[k], min, max);
		double rel = fabs((double)got - (double)want) / (double)want;

		if (want < 128 ? got != want : rel > 1.0 / 128)
			fail_msg("%s: q=%u ppm: got %llu, exact %llu (%.4f%%)", what, qs[k],
				 (unsigned long long)got, (unsigned long long)want, rel * 100);
	}
	/* stats_compute() finds its four quantiles in one pass: the same */
	struct pp_entry e = { .kind = PPF_KIND_FUNCTION, .calls = n, .min_ns = min,
			      .max_ns = max, .hist = h };
	struct pp_stats st;

	stats_compute(&e, &st);
	assert_int_equal(st.p50_ns, stats_quantile(&h, 500000, min, max));
	assert_int_equal(st.p95_ns, stats_quantile(&h, 950000, min, max));
	assert_int_equal(st.p99_ns, stats_quantile(&h, 990000, min, max));
	assert_int_equal(st.p999_ns, stats_quantile(&h, 999000, min, max));
	free(h.pages);
}

static void test_stats_quantiles_distributions(void **state)
{
	enum { N = 20000 };
	uint64_t *v = malloc(N * sizeof(*v)), s = 42;

	(void)state;
	for (int i = 0; i < N; i++)	/* log-uniform, 10 ns .. 1 h */
		v[i] = (uint64_t)exp(log(10.0) + uniform01(&s) * (log(3.6e12) - log(10.0)));
	check_quantiles("log-uniform", v, N);
	for (int i = 0; i < N; i++) {	/* lognormal around 1 ms */
		double u1 = uniform01(&s) + 1e-12, u2 = uniform01(&s);
		double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

		v[i] = (uint64_t)exp(log(1e6) + z);
	}
	check_quantiles("lognormal", v, N);
	for (int i = 0; i < N; i++) {	/* values on bucket edges */
		unsigned b = (unsigned)(splitmix(&s) % 1500);

		v[i] = splitmix(&s) & 1 ? ppf_bucket_lower(b) : ppf_bucket_lower(b + 1) - 1;
	}
	check_quantiles("bucket edges", v, N);
	for (int i = 0; i < N; i++)	/* bimodal, 1 % tail */
		v[i] = i % 100 == 0 ? 50000000 + splitmix(&s) % 1000000 :
		       20000 + splitmix(&s) % 2000;
	check_quantiles("bimodal", v, N);
	for (int i = 0; i < N; i++)	/* tiny exact values */
		v[i] = splitmix(&s) % 100;
	check_quantiles("tiny", v, N);
	free(v);
}

/* The mix: 95 calls of 1 ms and 5 of 10 ms. */
static void test_stats_known_mix(void **state)
{
	struct pp_entry e = { .kind = PPF_KIND_FUNCTION, .min_ns = 1000000, .max_ns = 10000000 };
	struct pp_stats st;

	(void)state;
	assert_int_equal(pp_hist_add_value(&e.hist, 1000000, 95), 0);
	assert_int_equal(pp_hist_add_value(&e.hist, 10000000, 5), 0);
	e.calls = 100;
	e.sum_ns = 95 * 1000000ull + 5 * 10000000ull;
	e.inclusive_ns = e.sum_ns;
	e.self_ns = e.sum_ns / 2;
	e.rss_sum_kib = 100 * 2048;
	e.rss_max_kib = 4096;
	stats_compute(&e, &st);
	assert_int_equal(st.avg_ns, 1450000);
	assert_in_range(st.p50_ns, 1000000 - 1000000 / 128, 1000000 + 1000000 / 128);
	assert_in_range(st.p95_ns, 1000000 - 1000000 / 128, 1000000 + 1000000 / 128);
	assert_in_range(st.p99_ns, 10000000 - 10000000 / 128, 10000000);
	assert_int_equal(st.min_ns, 1000000);
	assert_int_equal(st.max_ns, 10000000);
	assert_int_equal(st.mem_avg_kib, 2048);
	assert_int_equal(st.mem_max_kib, 4096);
	free(e.hist.pages);
}

/* Quantiles are clamped to the exact extremes; no calls: all zero. */
static void test_stats_clamp_and_empty(void **state)
{
	struct pp_entry e = { .kind = PPF_KIND_FUNCTION, .min_ns = UINT64_MAX };
	struct pp_stats st;

	(void)state;
	stats_compute(&e, &st);
	assert_int_equal(st.avg_ns, 0);
	assert_int_equal(st.min_ns, 0);
	assert_int_equal(st.p99_ns, 0);
	/* one call of 1,000,003 ns: its bucket's midpoint is not the value */
	assert_int_equal(pp_hist_add_value(&e.hist, 1000003, 1), 0);
	e.calls = 1;
	e.sum_ns = e.min_ns = e.max_ns = 1000003;
	stats_compute(&e, &st);
	assert_int_equal(st.p50_ns, 1000003);
	assert_int_equal(st.p99_ns, 1000003);
	free(e.hist.pages);
}

/* Shards of one data set, merged page by page, equal the whole. */
static void test_stats_shards_merge(void **state)
{
	struct pp_hist whole = { 0 }, merged = { 0 }, shard[4] = { { 0 } };
	uint64_t s = 7;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t v = (uint64_t)exp(uniform01(&s) * 25);

		pp_hist_add_value(&whole, v, 1);
		pp_hist_add_value(&shard[i % 4], v, 1);
	}
	for (int k = 0; k < 4; k++) {
		for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
			uint64_t counts[PPF_SUB];

			for (unsigned i = 0; i < PPF_SUB; i++)
				counts[i] = pp_hist_bucket(&shard[k], p * PPF_SUB + i);
			if (shard[k].page_mask >> p & 1)
				assert_int_equal(pp_hist_add_page(&merged, p, counts, NULL), 0);
		}
		free(shard[k].pages);
	}
	assert_int_equal(merged.count, whole.count);
	assert_int_equal(merged.page_mask, whole.page_mask);
	for (unsigned i = 0; i < PPF_HIST_BUCKETS; i++)
		assert_int_equal(pp_hist_bucket(&merged, i), pp_hist_bucket(&whole, i));
	free(whole.pages);
	free(merged.pages);
}

/* Two dumps loaded into one profile = one dump with both sets of calls. */
static void test_stats_merge_profiles_equals_one(void **state)
{
	struct synth *a = synth_new(1, "a"), *b = synth_new(2, "b"), *c = synth_new(3, "c");
	uint64_t ra = synth_func(a, 1, 0x2000), rb = synth_func(b, 1, 0x2000);
	uint64_t rc1 = synth_func(c, 1, 0x2000);
	struct pp_profile *two = pp_profile_new(), *one = pp_profile_new();
	char err[256];

	(void)state;
	for (uint64_t i = 1; i <= 300; i++) {
		uint64_t ns = i * i * 37;

		synth_calls(i % 3 ? a : b, i % 3 ? ra : rb, ns, i % 5 + 1);
		synth_calls(c, rc1, ns, i % 5 + 1);
	}
	assert_int_equal(load_buffer(two, a->buf, a->used, "a", err, sizeof(err)), 0);
	assert_int_equal(load_buffer(two, b->buf, b->used, "b", err, sizeof(err)), 0);
	assert_int_equal(load_buffer(one, c->buf, c->used, "c", err, sizeof(err)), 0);
	assert_int_equal(two->nentries, 1);
	assert_int_equal(one->nentries, 1);

	struct pp_stats s2, s1;

	stats_compute(two->entries[0], &s2);
	stats_compute(one->entries[0], &s1);
	assert_memory_equal(&s2, &s1, sizeof(s1));
	assert_true(s1.calls > 300);
	pp_profile_free(two);
	pp_profile_free(one);
	synth_free(a);
	synth_free(b);
	synth_free(c);
}

/* Profiled time is the self time of functions and regions only. */
static void test_stats_totals(void **state)
{
	struct synth *s = synth_new(1, "t");
	struct pp_profile *prof = pp_profile_new();
	struct pp_totals t;
	char err[256];

	(void)state;
	synth_calls(s, synth_func(s, 1, 0x1000), 1000, 10);
	synth_calls(s, synth_record(s, 0, PPF_KIND_REGION, synth_string(s, "r")), 500, 4);
	synth_calls(s, synth_record(s, 0, PPF_KIND_SPAN, synth_string(s, "sp")), 99999, 4);
	synth_hdr(s)->dropped_functions = 3;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
	stats_totals(prof, &t);
	assert_int_equal(t.profiled_ns, 10000 + 2000);
	assert_int_equal(t.wall_ns, 2000000000);
	assert_int_equal(t.dropped_functions, 3);
	assert_int_equal(t.incomplete, 0);

	uint64_t first, last;
	struct pp_process *p = &prof->procs[0];
	struct ppf_mem_sample tl[12];

	for (int i = 0; i < 12; i++)
		tl[i] = (struct ppf_mem_sample){ (uint64_t)i, 100 + (uint64_t)i * 10 };
	p->timeline = malloc(sizeof(tl));
	memcpy(p->timeline, tl, sizeof(tl));
	p->timeline_count = 12;
	assert_int_equal(stats_memory_trend(p, &first, &last), 1);
	assert_int_equal(first, 110);	/* mean of 100, 110, 120 */
	assert_int_equal(last, 200);	/* mean of 190, 200, 210 */
	p->timeline_count = 7;
	assert_int_equal(stats_memory_trend(p, &first, &last), 0);
	pp_profile_free(prof);
	synth_free(s);
}

/* ---- option values ---- */

static void test_stats_parse_time(void **state)
{
	static const struct { const char *s; uint64_t ns; } good[] = {
		{ "100ns", 100 }, { "500us", 500000 }, { "1.5ms", 1500000 }, { "2s", 2000000000 },
		{ "0.5s", 500000000 }, { "1\xc2\xb5s", 1000 }, { "0ns", 0 }, { ".25s", 250000000 },
		{ "1.0000000001s", 1000000000 }, { "18446744073709551615ns", UINT64_MAX },
		{ "2.5us", 2500 },
	};
	static const char *const bad[] = {
		"500", "", "ms", "-1s", "1.5", "1e3s", "1 s", "1sec", "s1",
		"18446744073709551616ns", "20000000000s", "1.5m", ".s",
	};
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ns = 12345;
		if (opt_parse_time(good[i].s, &ns) || ns != good[i].ns)
			fail_msg("'%s': got %llu, want %llu", good[i].s, (unsigned long long)ns,
				 (unsigned long long)good[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (opt_parse_time(bad[i], &ns) == 0)
			fail_msg("'%s' accepted as %llu", bad[i], (unsigned long long)ns);
}

static void test_stats_parse_lists(void **state)
{
	struct report_opts o;
	char err[256];

	(void)state;
	report_opts_default(&o);
	assert_int_equal(opt_parse_severity("medium=100ms,critical=3s", &o, err, sizeof(err)), 0);
	assert_int_equal(o.critical_ns, 3000000000u);
	assert_int_equal(o.high_ns, 1000000000u);
	assert_int_equal(o.medium_ns, 100000000u);
	assert_int_equal(opt_parse_severity("high=5s", &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "critical >= high >= medium"));
	assert_int_equal(o.high_ns, 1000000000u);	/* unchanged on error */
	assert_int_equal(opt_parse_severity("low=1s", &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown key 'low'"));
	assert_int_equal(opt_parse_severity("critical=2", &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'2' is not a time"));
	assert_int_equal(opt_parse_severity("critical", &o, err, sizeof(err)), -1);
	assert_int_equal(opt_parse_targets("p99=2s,avg=1ms,p95=750us", &o, err, sizeof(err)), 0);
	assert_int_equal(o.target_p95_ns, 750000);
	assert_int_equal(o.target_p99_ns, 2000000000u);
	assert_int_equal(o.target_avg_ns, 1000000);
	assert_int_equal(opt_parse_targets("p90=1s", &o, err, sizeof(err)), -1);
}

static int parse(const char *line, struct opt_cmdline *cl, char *err)
{
	static char buf[512];
	static char *argv[32];	/* cl->files points into it */
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 31;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	free(cl->pids);
	cl->pids = NULL;
	return opt_parse(argc, argv, cl, err, 256);
}

static void test_stats_parse_cmdline(void **state)
{
	struct opt_cmdline cl = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(parse("pr --top 7 a.ppd --sort p99 --min-calls 1 b.ppd --format json"
			       " --slowest 3 --check --target p95=1ms --pid 42 --no-color", &cl, err), 0);
	assert_int_equal(cl.report.top, 7);
	assert_int_equal(cl.report.sort, SORT_P99);
	assert_int_equal(cl.report.min_calls, 1);
	assert_int_equal(cl.report.format, FORMAT_JSON);
	assert_int_equal(cl.report.slowest, 3);
	assert_int_equal(cl.report.check, 1);
	assert_int_equal(cl.report.target_p95_ns, 1000000);
	assert_int_equal(cl.nfiles, 2);
	assert_string_equal(cl.files[0], "a.ppd");
	assert_string_equal(cl.files[1], "b.ppd");
	assert_int_equal(cl.npids, 1);
	assert_int_equal(cl.pids[0], 42);
	assert_int_equal(cl.no_color, 1);

	assert_int_equal(parse("pr a.ppd", &cl, err), 0);
	assert_int_equal(cl.report.top, 20);
	assert_int_equal(cl.report.min_calls, 5);
	assert_int_equal(cl.report.sort, SORT_TOTAL);
	assert_int_equal(cl.report.critical_ns, 2000000000u);

	assert_int_equal(parse("pr --frobnicate a.ppd", &cl, err), -1);
	assert_string_equal(err, "unknown option '--frobnicate' (try --help)");
	assert_int_equal(parse("pr a.ppd --top", &cl, err), -1);
	assert_string_equal(err, "option '--top' needs an argument (try --help)");
	assert_int_equal(parse("pr --top many a.ppd", &cl, err), -1);
	assert_string_equal(err, "--top: 'many' is not a number");
	assert_int_equal(parse("pr --sort speed a.ppd", &cl, err), -1);
	assert_int_equal(parse("pr --format xml a.ppd", &cl, err), -1);
	assert_int_equal(parse("pr --pid 0", &cl, err), -1);
	assert_int_equal(parse("pr", &cl, err), -1);
	assert_non_null(strstr(err, "no input"));
	assert_int_equal(parse("pr --list", &cl, err), 0);
	assert_int_equal(cl.list, 1);
	assert_int_equal(parse("pr -n 3 -- --weird-name.ppd", &cl, err), 0);
	assert_int_equal(cl.report.top, 3);
	assert_string_equal(cl.files[0], "--weird-name.ppd");
	free(cl.pids);
}

/* The exports' options: the three formats, --weight, -o FILE with a report
 * (DIR with --gc), and what they do not go with. */
static void test_stats_parse_exports(void **state)
{
	struct opt_cmdline cl = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(parse("pr --format folded a.ppd", &cl, err), 0);
	assert_int_equal(cl.report.format, FORMAT_FOLDED);
	assert_int_equal(cl.report.weight, WEIGHT_DEFAULT);
	assert_null(cl.output);
	assert_int_equal(parse("pr -f svg --weight calls -o f.svg a.ppd", &cl, err), 0);
	assert_int_equal(cl.report.format, FORMAT_SVG);
	assert_int_equal(cl.report.weight, WEIGHT_CALLS);
	assert_string_equal(cl.output, "f.svg");
	assert_int_equal(parse("pr -f pprof --weight self a.ppd --weight total", &cl, err), 0);
	assert_int_equal(cl.report.format, FORMAT_PPROF);
	assert_int_equal(cl.report.weight, WEIGHT_TOTAL);
	assert_int_equal(parse("pr --gc -o dir", &cl, err), 0);
	assert_string_equal(cl.output, "dir");
	assert_int_equal(parse("pr --weight heavy a.ppd", &cl, err), -1);
	assert_string_equal(err, "--weight: 'heavy' is not total, self or calls");
	assert_int_equal(parse("pr --format flame a.ppd", &cl, err), -1);
	assert_string_equal(err, "--format: 'flame' is not text, json, csv, folded, svg or pprof");
	assert_int_equal(parse("pr --list -o x", &cl, err), -1);
	assert_int_equal(parse("pr --session 1f a.ppd", &cl, err), -1);
	assert_string_equal(err, "--session goes with --gc");
	free(cl.pids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_quantiles_distributions),
		cmocka_unit_test(test_stats_known_mix),
		cmocka_unit_test(test_stats_clamp_and_empty),
		cmocka_unit_test(test_stats_shards_merge),
		cmocka_unit_test(test_stats_merge_profiles_equals_one),
		cmocka_unit_test(test_stats_totals),
		cmocka_unit_test(test_stats_parse_time),
		cmocka_unit_test(test_stats_parse_lists),
		cmocka_unit_test(test_stats_parse_cmdline),
		cmocka_unit_test(test_stats_parse_exports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
