/* test_report.c - report building: selection, severities, sort keys,
 * recommendations from the data, the target check, and the three formats
 *
 * Profiles come from synthetic dumps with known durations, so every
 * expectation is computed from what was put in, never copied from output.
 * Function names are the unresolved "fake+0xOFFSET" (no symbol cache).
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"
#include "load.h"
#include "options.h"
#include "profile.h"
#include "report.h"
#include "synth.h"

#define MS 1000000ull
#define S 1000000000ull

/* crit 6 x 3 s, high 10 x 1.5 s, med 8 x 600 ms, low 100 x 1 ms, few 2 x 5 s,
 * region "parse" 19 x 100 us + 1 x 5 ms; cache "users" 10 hits / 90 misses
 * with 80 evictions; RSS growing from 10 to 40 MiB. */
static struct pp_profile *functions_profile(void)
{
	struct synth *s = synth_new(77, "./app run");
	struct pp_profile *prof = pp_profile_new();
	char err[256];

	synth_calls(s, synth_func(s, 1, 0x1000), 3 * S, 6);
	synth_calls(s, synth_func(s, 1, 0x2000), 1500 * MS, 10);
	synth_calls(s, synth_func(s, 1, 0x3000), 600 * MS, 8);
	synth_calls(s, synth_func(s, 1, 0x4000), 1 * MS, 100);
	synth_calls(s, synth_func(s, 1, 0x5000), 5 * S, 2);
	uint64_t r = synth_record(s, 0, PPF_KIND_REGION, synth_string(s, "parse"));

	synth_calls(s, r, 100000, 19);
	synth_calls(s, r, 5 * MS, 1);

	struct ppf_header *h = synth_hdr(s);
	struct ppf_cache *c = (struct ppf_cache *)(s->buf + h->cache_off);

	*c = (struct ppf_cache){ .name = synth_string(s, "users"), .state = PPF_CACHE_LIVE,
				 .hits = 10, .misses = 90, .evictions = 80, .size = 50,
				 .max_size = 50 };
	h->cache_count = 1;
	struct ppf_mem_sample *tl = (struct ppf_mem_sample *)(s->buf + h->timeline_off);

	for (int i = 0; i < 40; i++)
		tl[i] = (struct ppf_mem_sample){ (uint64_t)i, 10240 + (uint64_t)i * 800 };
	h->timeline_count = 40;
	h->rss_peak_kib = 41000;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "f.ppd", err, sizeof(err)), 0);
	synth_free(s);
	return prof;
}

static const struct report_row *row_named(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].name, name) == 0)
			return &r->rows[i];
	return NULL;
}

static int has_rec(const struct report *r, const char *kind, const char *text)
{
	for (size_t i = 0; i < r->nrecs; i++)
		if (strcmp(r->recs[i].kind, kind) == 0 && strstr(r->recs[i].text, text))
			return 1;
	return 0;
}

/* Prints with `fn` into a string (malloc'ed). */
static __attribute__((noinline)) char *render(int (*fn)(FILE *, const struct report *), const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(fn(f, r), 0);
	fclose(f);
	return buf;
}

static void test_report_severities_and_selection(void **state)
{
	struct pp_profile *prof = functions_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	report_opts_default(&o);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.nrows, 6);
	assert_int_equal(r.eligible, 5);		/* "few" has 2 < 5 calls */
	assert_int_equal(r.below_min_calls, 1);
	assert_int_equal(r.ntop, 5);
	assert_string_equal(r.top[0]->name, "fake+0x1000");	/* 18 s */
	assert_string_equal(r.top[1]->name, "fake+0x2000");	/* 15 s */
	assert_string_equal(r.top[2]->name, "fake+0x3000");	/* 4.8 s */
	assert_string_equal(r.top[3]->name, "fake+0x4000");	/* 100 ms */
	assert_string_equal(r.top[4]->name, "parse");		/* 6.9 ms */
	assert_int_equal(r.top[0]->severity, SEV_CRITICAL);
	assert_int_equal(r.top[1]->severity, SEV_HIGH);
	assert_int_equal(r.top[2]->severity, SEV_MEDIUM);
	assert_int_equal(r.top[3]->severity, SEV_LOW);
	assert_int_equal(row_named(&r, "fake+0x5000")->severity, SEV_CRITICAL);
	assert_int_equal(r.totals.profiled_ns, 18 * S + 15 * S + 4800 * MS + 100 * MS + 10 * S +
			 1900000 + 5 * MS);
	report_free(&r);

	/* thresholds moved: 3 s is HIGH, 1.5 s MEDIUM, 600 ms LOW */
	o.critical_ns = 10 * S;
	o.high_ns = 2 * S;
	o.medium_ns = 1 * S;
	o.min_calls = 1;
	o.top = 2;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.eligible, 6);
	assert_int_equal(r.ntop, 2);
	assert_int_equal(row_named(&r, "fake+0x1000")->severity, SEV_HIGH);
	assert_int_equal(row_named(&r, "fake+0x2000")->severity, SEV_MEDIUM);
	assert_int_equal(row_named(&r, "fake+0x3000")->severity, SEV_LOW);
	report_free(&r);

	/* sort keys */
	o.top = 0;
	o.sort = SORT_CALLS;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.ntop, 6);
	assert_string_equal(r.top[0]->name, "fake+0x4000");
	assert_string_equal(r.top[1]->name, "parse");
	report_free(&r);
	o.sort = SORT_AVG;
	o.slowest = 2;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_string_equal(r.top[0]->name, "fake+0x5000");
	assert_int_equal(r.nslowest, 2);
	assert_string_equal(r.slowest[0]->name, "fake+0x5000");
	assert_string_equal(r.slowest[1]->name, "fake+0x1000");
	report_free(&r);
	o.sort = SORT_P99;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_string_equal(r.top[0]->name, "fake+0x5000");
	assert_string_equal(r.top[r.ntop - 2]->name, "parse");		/* p99 5 ms */
	assert_string_equal(r.top[r.ntop - 1]->name, "fake+0x4000");	/* p99 1 ms */
	report_free(&r);
	pp_profile_free(prof);
}

/* opt_parse() of the arguments after argv[0] (a NULL ends them): getopt
 * permutes the pointers, never the strings, so literals are fine. */
static int parse_args(struct opt_cmdline *cl, char *err, size_t errlen, ...)
{
	static char *argv[16];
	const char *a;
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"paraprof-report";
	va_start(ap, errlen);
	while ((a = va_arg(ap, const char *)) && argc < 15)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return opt_parse(argc, argv, cl, err, errlen);
}

/* The filters of the command line (--filter, --exclude, --min-time) on
 * names and module paths, each hidden entry counted once, under the first
 * option that hides it, and the largest hidden entries named. */
static void test_report_filters_and_hidden(void **state)
{
	struct pp_profile *prof = functions_profile();
	struct opt_cmdline cl;
	struct report r;
	char err[256];

	(void)state;
	/* profiled 47.9 s: fake+0x5000 (10 s, 2 calls) is hidden and large */
	assert_int_equal(parse_args(&cl, err, sizeof(err), "f.ppd", NULL), 0);
	assert_int_equal(report_build(&r, prof, &cl.report, NULL), 0);
	assert_int_equal(r.entries, 6);
	assert_int_equal(r.eligible, 5);
	assert_int_equal(r.hidden[HIDE_MIN_CALLS], 1);
	assert_int_equal(r.nhidden_large, 1);
	assert_string_equal(r.hidden_large[0]->name, "fake+0x5000");
	assert_int_equal(r.hidden_large[0]->hidden, HIDE_MIN_CALLS);
	char *t = render(report_text, &r);

	/* the Hidden line wraps at 80 columns */
	assert_non_null(strstr(t, "Sorted by total time: top 5 of 6 entries (1 below --min-calls"
			       " 5)\nHidden: fake+0x5000 (below --min-calls: 2 calls, total 10.00s"
			       " = 20.9% of\n  profiled time)\n===="));
	free(t);
	report_free(&r);
	opt_free(&cl);

	/* 0x1000 kept; 0x2000 matches the filter and the exclude; 0x3000,
	 * 0x4000 and parse match no filter; 0x5000 is below --min-calls */
	assert_int_equal(parse_args(&cl, err, sizeof(err), "--filter", "^fake\\+0x[12]000$",
				    "--exclude", "2000", "--filter", "^nothing$", "--min-time", "5ms",
				    "f.ppd", NULL), 0);
	assert_int_equal(cl.report.nfilters, 2);
	assert_int_equal(cl.report.nexcludes, 1);
	assert_int_equal(cl.report.min_time_ns, 5 * MS);
	assert_int_equal(report_build(&r, prof, &cl.report, NULL), 0);
	assert_int_equal(r.eligible, 1);
	assert_int_equal(r.ntop, 1);
	assert_string_equal(r.top[0]->name, "fake+0x1000");
	assert_int_equal(r.hidden[HIDE_MIN_CALLS], 1);
	assert_int_equal(r.hidden[HIDE_MIN_TIME], 0);
	assert_int_equal(r.hidden[HIDE_FILTER], 3);
	assert_int_equal(r.hidden[HIDE_EXCLUDE], 1);
	/* 15 s, 10 s and 4.8 s (10.02 %) are at least 10 %; 100 ms is not */
	assert_int_equal(r.nhidden_large, 3);
	assert_string_equal(r.hidden_large[0]->name, "fake+0x2000");
	assert_int_equal(r.hidden_large[0]->hidden, HIDE_EXCLUDE);
	assert_string_equal(r.hidden_large[1]->name, "fake+0x5000");
	assert_string_equal(r.hidden_large[2]->name, "fake+0x3000");
	assert_int_equal(r.hidden_large[2]->hidden, HIDE_FILTER);
	report_free(&r);
	opt_free(&cl);

	/* the module path /bin/fake: every function, not the region */
	assert_int_equal(parse_args(&cl, err, sizeof(err), "--min-calls", "0", "--filter", "^/bin/",
				    "f.ppd", NULL), 0);
	assert_int_equal(report_build(&r, prof, &cl.report, NULL), 0);
	assert_int_equal(r.eligible, 5);
	assert_int_equal(r.hidden[HIDE_FILTER], 1);
	assert_int_equal(row_named(&r, "parse")->hidden, HIDE_FILTER);
	report_free(&r);
	opt_free(&cl);

	/* a bad pattern is a usage error naming it */
	assert_int_equal(parse_args(&cl, err, sizeof(err), "--exclude", "a(", "f.ppd", NULL), -1);
	assert_non_null(strstr(err, "--exclude: 'a(' is not a regular expression: "));
	opt_free(&cl);
	pp_profile_free(prof);
}

static void test_report_recommendations(void **state)
{
	struct pp_profile *prof = functions_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	report_opts_default(&o);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_true(has_rec(&r, "severity", "Start with fake+0x1000: CRITICAL, average 3.00s"));
	/* parse: p99 = the 5 ms call, median 100 us */
	assert_true(has_rec(&r, "outliers", "parse has outliers: p99 5.00ms is 50.0x its median"));
	assert_false(has_rec(&r, "outliers", "fake+0x4000"));
	assert_true(has_rec(&r, "cache", "Cache users hits only 10.0% of 100 lookups and evicted 80"));
	assert_true(has_rec(&r, "memory", "Memory grows in pid 77"));
	/* crit's self time is 18 s of 47.9 s = 37.6 % */
	assert_true(has_rec(&r, "self", "fake+0x1000 spends 37.6% of all profiled time"));
	assert_false(has_rec(&r, "inline", ""));
	assert_int_equal(r.nwarnings, 0);
	report_free(&r);
	pp_profile_free(prof);

	/* many tiny calls: 200,000 x 50 ns = 10 ms beside 10 x 1 ms */
	struct synth *s = synth_new(5, "tiny");
	char err[256];

	synth_calls(s, synth_func(s, 1, 0x1100), 50, 200000);
	synth_calls(s, synth_func(s, 1, 0x1200), 1 * MS, 10);
	/* recursive: 400,000 frames of 40 ns on average (16 ms summed) nest
	 * inside outermost calls of 4 ms in all */
	uint64_t rec = synth_func(s, 1, 0x1300);

	synth_calls(s, rec, 40, 400000);
	synth_rec(s, rec)->inclusive_ns = 4 * MS;
	synth_hdr(s)->stack_overflows = 12;
	synth_hdr(s)->flags &= ~PPF_FLAG_COMPLETE;
	prof = pp_profile_new();
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_true(has_rec(&r, "inline", "fake+0x1100 is called 200000 times at 50ns on"
			    " average (10.00ms in all, "));
	assert_false(has_rec(&r, "inline", "fake+0x1200"));
	/* the share of a recursive function is that of its outermost calls */
	assert_true(has_rec(&r, "inline", "fake+0x1300 is called 400000 times at 40ns on"
			    " average (4.00ms in all, "));
	assert_false(has_rec(&r, "severity", ""));
	assert_false(has_rec(&r, "memory", ""));
	assert_int_equal(r.nwarnings, 2);
	assert_string_equal(r.warnings[0].kind, "stack_overflows");
	assert_int_equal(r.warnings[0].count, 12);
	assert_string_equal(r.warnings[1].kind, "incomplete");
	report_free(&r);
	pp_profile_free(prof);
	synth_free(s);
}

static void test_report_check_functions(void **state)
{
	struct pp_profile *prof = functions_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	report_opts_default(&o);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_string_equal(r.judged_what, "functions");
	assert_int_equal(r.judged, 5);
	assert_false(r.check_pass);
	/* avg < 100 ms: crit, high, med over; worst crit */
	assert_int_equal(r.targets[2].over, 3);
	assert_string_equal(r.targets[2].worst->name, "fake+0x1000");
	assert_int_equal(r.targets[2].worst_ns, 3 * S);
	assert_int_equal(r.noffenders, 3);
	assert_string_equal(r.offenders[0]->name, "fake+0x1000");
	report_free(&r);
	/* raised above everything: passes */
	o.target_p95_ns = o.target_p99_ns = o.target_avg_ns = 4 * S;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_true(r.check_pass);
	assert_int_equal(r.noffenders, 0);
	/* the limit is exclusive: avg 3 s against 3 s fails */
	report_free(&r);
	o.target_avg_ns = 3 * S;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_false(r.check_pass);
	assert_true(r.targets[0].pass);
	assert_false(r.targets[2].pass);
	report_free(&r);
	pp_profile_free(prof);
}

/* Nothing with enough calls: every target holds, and the check says why. */
static void test_report_check_nothing_to_judge(void **state)
{
	struct pp_profile *prof = functions_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	report_opts_default(&o);
	o.min_calls = 1000;
	o.check = 1;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.judged, 0);
	assert_true(r.check_pass);
	assert_null(r.targets[0].worst);
	char *t = render(report_text, &r);

	assert_non_null(strstr(t, "[PASS] P95 < 500ms"));
	assert_non_null(strstr(t, "(nothing to judge)"));
	free(t);
	report_free(&r);
	pp_profile_free(prof);
}

static struct pp_profile *endpoints_profile(void)
{
	struct synth *s = synth_new(9, "./server");
	struct pp_profile *prof = pp_profile_new();
	char err[256];
	uint64_t fast = synth_record(s, 0, PPF_KIND_ENDPOINT, synth_string(s, "GET /fast"));
	uint64_t slow = synth_record(s, 0, PPF_KIND_ENDPOINT, synth_string(s, "POST /slow"));

	synth_calls(s, fast, 1 * MS, 100);
	((struct ppf_endpoint_tail *)(synth_rec(s, fast) + 1))->status[2] = 100;
	synth_calls(s, slow, 2 * S, 10);
	struct ppf_endpoint_tail *t = (struct ppf_endpoint_tail *)(synth_rec(s, slow) + 1);

	t->status[2] = 7;
	t->status[4] = 2;
	t->status[5] = 1;
	t->slow = 10;
	synth_calls(s, synth_func(s, 1, 0x1000), 5 * S, 10);	/* not judged */
	assert_int_equal(load_buffer(prof, s->buf, s->used, "e", err, sizeof(err)), 0);
	synth_free(s);
	return prof;
}

static void test_report_endpoints(void **state)
{
	struct pp_profile *prof = endpoints_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	report_opts_default(&o);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.nendpoints, 2);
	assert_string_equal(r.endpoints[0]->name, "POST /slow");
	assert_int_equal(r.endpoints[0]->st.errors, 3);
	assert_string_equal(r.judged_what, "endpoints");
	assert_int_equal(r.judged, 2);
	assert_false(r.check_pass);
	assert_string_equal(r.targets[0].worst->name, "POST /slow");
	assert_int_equal(r.targets[0].over, 1);
	assert_true(has_rec(&r, "errors", "POST /slow: 3 of 10 requests (30.0%) failed"));
	assert_true(has_rec(&r, "slow", "POST /slow: 10 requests over the slow-request"));

	char *text = render(report_text, &r);

	assert_non_null(strstr(text, "Endpoints (slowest first)"));
	assert_true(strstr(text, "POST /slow") < strstr(text, "GET /fast"));
	assert_non_null(strstr(text, "Requests: 10 | Average: 2.00s"));
	assert_non_null(strstr(text, "Errors: 3 (30.0%)"));
	free(text);
	report_free(&r);
	/* targets above the slow endpoint: pass, though a function takes 5 s */
	o.target_p95_ns = o.target_p99_ns = o.target_avg_ns = 3 * S;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_true(r.check_pass);
	report_free(&r);
	pp_profile_free(prof);
}

static void test_report_text(void **state)
{
	struct pp_profile *prof = functions_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	report_opts_default(&o);
	o.slowest = 1;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	char *t = render(report_text, &r);
	const char *crit = strstr(t, "CRITICAL Severity (>2s avg)");
	const char *high = strstr(t, "HIGH Severity (>1s avg)");
	const char *med = strstr(t, "MEDIUM Severity (>500ms avg)");
	const char *low = strstr(t, "LOW Severity (<=500ms avg)");

	assert_non_null(strstr(t, "Performance Bottleneck Analysis\nGenerated: "));
	assert_non_null(strstr(t, "Program: ./app run (pid 77)\n"));
	assert_non_null(strstr(t, "Wall Time: 2.00s\n"));
	assert_non_null(crit);
	assert_non_null(high);
	assert_non_null(med);
	assert_non_null(low);
	assert_true(crit < high && high < med && med < low);
	/* a table: the header with each time column's unit, the name, its row */
	assert_non_null(strstr(crit, "\n  Calls  Avg s  P50 s  P95 s  P99 s  Max s  Total s  Total%\n"
			       "fake+0x1000\n      6   3.00   3.00   3.00   3.00   3.00    18.00"
			       "   37.6%\n  Self: 18.00s (37.6%) | Min: 3.00s | P99.9: 3.00s\n"));
	/* one unit per column: 1,000.00 us beside 345.00 us, with a separator */
	assert_non_null(strstr(low, "\n  Calls    Avg us    P50 us    P95 us  P99 ms  Max ms"
			       "  Total ms  Total%\nfake+0x4000\n    100  1,000.00  1,000.00"));
	assert_non_null(strstr(low, "parse [region]\n"));
	assert_null(strstr(t, "fake+0x5000\n"));	/* below --min-calls */
	assert_non_null(strstr(t, "Slowest by Average (top 1)"));
	assert_non_null(strstr(t, "Caches\n"));
	assert_non_null(strstr(t, "Hits: 10 | Misses: 90 | Hit rate: 10.0% | Size: 50/50"));
	assert_non_null(strstr(t, "\nRecommendations:\n- Start with"));
	assert_null(strstr(t, "\033["));
	free(t);
	report_free(&r);

	o.check = 1;
	o.utf8 = 1;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	t = render(report_text, &r);
	assert_null(strstr(t, "CRITICAL Severity"));
	assert_non_null(strstr(t, "Performance Targets (over 5 functions with >= 5 calls)"));
	assert_non_null(strstr(t, "\u274c Average < 100ms"));
	assert_non_null(strstr(t, "\u2705 P95 < 500ms") == NULL ? strstr(t, "\u274c P95 < 500ms") :
			strstr(t, "\u2705 P95 < 500ms"));
	assert_non_null(strstr(t, "Result: FAIL (3 of 3 targets missed)"));
	free(t);
	report_free(&r);
	o.utf8 = 0;
	o.target_p95_ns = o.target_p99_ns = o.target_avg_ns = 10 * S;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	t = render(report_text, &r);
	assert_non_null(strstr(t, "[PASS] P95 < 10s"));
	assert_non_null(strstr(t, "Result: PASS"));
	free(t);
	report_free(&r);
	pp_profile_free(prof);
}

/* ---- a small JSON validator: enough to prove the output parses ---- */

static const char *js_value(const char *p);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *js_value(const char *p)
{
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';

		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (!(p = js_string(js_ws(p))))
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = js_value(p)))
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	const char *start = p;

	if (*p == '-')
		p++;
	while (isdigit((unsigned char)*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
	       *p == '-')
		p++;
	return p > start ? p : NULL;
}

static int json_valid(const char *s)
{
	const char *end = js_value(s);

	return end && *js_ws(end) == '\0';
}

static void test_report_json(void **state)
{
	struct pp_profile *prof = endpoints_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	assert_true(json_valid("{\"a\": [1, 2.5, \"x\\n\"], \"b\": null}"));
	assert_false(json_valid("{\"a\": [1, 2}"));
	assert_false(json_valid("{\"a\": \"\x01\"}"));
	report_opts_default(&o);
	o.slowest = 3;
	o.min_calls = 1;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	char *j = render(report_json, &r);

	assert_true(json_valid(j));
	assert_non_null(strstr(j, "\"format_version\": 1,"));
	assert_non_null(strstr(j, "\"method\": \"POST\", \"route\": \"/slow\", \"errors\": 3"));
	assert_non_null(strstr(j, "\"name\": \"fake+0x1000\", \"kind\": \"function\","
			       " \"module\": \"/bin/fake\""));
	assert_non_null(strstr(j, "\"severity\": \"CRITICAL\", \"calls\": 10, \"total_ns\": 50000000000"));
	assert_non_null(strstr(j, "\"judged_what\": \"endpoints\", \"judged\": 2, \"pass\": false"));
	free(j);
	report_free(&r);
	pp_profile_free(prof);

	prof = functions_profile();
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	j = render(report_json, &r);
	assert_true(json_valid(j));
	assert_non_null(strstr(j, "\"caches\": [\n    {\"name\": \"users\""));
	assert_non_null(strstr(j, "{\"kind\": \"outliers\", \"text\": \"parse has outliers"));
	free(j);
	report_free(&r);
	pp_profile_free(prof);
}

static void test_report_json_string(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	report_json_string(f, "a\"b\\c\n\t\x01\x7f \xc3\xa9 \xe2\x9c\x85 \xff\xc3 \xed\xa0\x80 end");
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f \xc3\xa9 \xe2\x9c\x85"
			    " \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd end\"");
	assert_true(json_valid(buf));
	free(buf);
}

/* A dump with a damaged record is still reported (the rest of it) and
 * says so under Warnings: how many records of which pid were left out. */
static void test_report_damaged_warning(void **state)
{
	struct synth *s = synth_new(41, "./hurt");
	struct pp_profile *prof = pp_profile_new();
	struct report_opts o;
	struct report r;
	char err[256];
	uint64_t bad;

	(void)state;
	synth_calls(s, synth_func(s, 1, 0x1000), MS, 10);
	bad = synth_func(s, 1, 0x2000);
	synth_calls(s, bad, MS, 10);
	synth_rec(s, bad)->calls = 12;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "h.ppd", err, sizeof(err)), 0);
	report_opts_default(&o);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.nrows, 1);
	assert_string_equal(r.rows[0].name, "fake+0x1000");
	assert_int_equal(r.nwarnings, 1);
	assert_string_equal(r.warnings[0].kind, "damaged_records");
	assert_int_equal(r.warnings[0].count, 1);
	assert_string_equal(r.warnings[0].text, "h.ppd of pid 41 (./hurt): 1 damaged record left"
			    " out, 0 record lists cut short (stderr names each): what they counted"
			    " is missing from this report");
	char *t = render(report_text, &r);

	assert_non_null(strstr(t, "\nWarnings:\n- h.ppd of pid 41 (./hurt): 1 damaged record"));
	free(t);
	report_free(&r);
	pp_profile_free(prof);
	synth_free(s);
}

/* The escaper of text output: printable UTF-8 passes; C0, DEL, C1,
 * invalid bytes and the controls that reorder text become \xHH; a
 * backslash doubles; a short buffer is cut at a whole escape. */
static void test_report_escape(void **state)
{
	char buf[256], small[8];

	(void)state;
	assert_string_equal(esc_str(buf, sizeof(buf), "plain name_1 (x) \xc3\xa9 \xe2\x9c\x85"),
			    "plain name_1 (x) \xc3\xa9 \xe2\x9c\x85");
	assert_string_equal(esc_str(buf, sizeof(buf), "a\x1b[2Jb\x07\x7f\n\t"),
			    "a\\x1b[2Jb\\x07\\x7f\\x0a\\x09");
	assert_string_equal(esc_str(buf, sizeof(buf), "c1 \xc2\x9b csi, lone \x9b, \xff\xc3"),
			    "c1 \\xc2\\x9b csi, lone \\x9b, \\xff\\xc3");
	/* U+202E (right-to-left override), U+2066 (isolate), U+2028 (line sep) */
	assert_string_equal(esc_str(buf, sizeof(buf), "\xe2\x80\xae \xe2\x81\xa6 \xe2\x80\xa8"),
			    "\\xe2\\x80\\xae \\xe2\\x81\\xa6 \\xe2\\x80\\xa8");
	assert_string_equal(esc_str(buf, sizeof(buf), "back\\slash"), "back\\\\slash");
	assert_string_equal(esc_str(buf, sizeof(buf), NULL), "");
	assert_string_equal(esc_str(small, sizeof(small), "ab\x1b\x1b"), "ab\\x1b");
	assert_string_equal(esc_str(small, sizeof(small), "\xe2\x9c\x85\xe2\x9c\x85x"),
			    "\xe2\x9c\x85\xe2\x9c\x85x");

	/* esc_fputs on a string longer than its pieces */
	char *out = NULL, in[400];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (int i = 0; i < 399; i++)
		in[i] = i % 3 == 0 ? '\x1b' : 'z';
	in[399] = '\0';
	assert_int_equal(esc_fputs(in, f), 0);
	fclose(f);
	assert_int_equal(strlen(out), 133 * 4 + 266);
	assert_null(strchr(out, '\x1b'));
	free(out);
}

/* Text output escapes what a dump holds: the command line, routes,
 * region and cache names, module paths (in fallback names), and the
 * recommendations that quote them. */
static void test_report_text_escapes(void **state)
{
	struct synth *s = synth_new(5, "./app \x1b]0;title\x07");
	struct pp_profile *prof = pp_profile_new();
	struct ppf_header *h = synth_hdr(s);
	struct ppf_module *m = (struct ppf_module *)(s->buf + h->module_off);
	struct report_opts o;
	struct report r;
	char err[256];

	(void)state;
	strcpy(m->path, "/tmp/ev\x1b[5mil");
	synth_calls(s, synth_func(s, 1, 0x1000), 3 * S, 6);
	synth_calls(s, synth_record(s, 0, PPF_KIND_REGION, synth_string(s, "reg\x1b[31m")), MS, 9);
	synth_calls(s, synth_record(s, 0, PPF_KIND_ENDPOINT, synth_string(s, "GET /\x1b[2J")), MS, 9);

	struct ppf_cache *c = (struct ppf_cache *)(s->buf + h->cache_off);

	*c = (struct ppf_cache){ .name = synth_string(s, "ca\xc2\x9b" "che"),
				 .state = PPF_CACHE_LIVE, .hits = 1, .misses = 90, .evictions = 80,
				 .max_size = 5 };
	h->cache_count = 1;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "e", err, sizeof(err)), 0);
	report_opts_default(&o);
	o.min_calls = 1;
	o.slowest = 5;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	char *t = render(report_text, &r);

	assert_null(strchr(t, '\x1b'));
	assert_null(strchr(t, '\x07'));
	assert_null(strstr(t, "\xc2\x9b"));
	assert_non_null(strstr(t, "Program: ./app \\x1b]0;title\\x07 (pid 5"));
	assert_non_null(strstr(t, "ev\\x1b[5mil+0x1000\n"));
	assert_non_null(strstr(t, "reg\\x1b[31m [region]"));
	assert_non_null(strstr(t, "GET /\\x1b[2J\n"));
	assert_non_null(strstr(t, "ca\\xc2\\x9bche\n"));
	assert_non_null(strstr(t, "- Start with ev\\x1b[5mil+0x1000: CRITICAL"));
	free(t);
	o.check = 1;
	report_free(&r);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	t = render(report_text, &r);
	assert_null(strchr(t, '\x1b'));
	assert_non_null(strstr(t, "worst: 1.00ms (GET /\\x1b[2J)"));
	free(t);
	report_free(&r);
	pp_profile_free(prof);
	synth_free(s);
}

static void test_report_csv(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	report_csv_field(f, "plain");
	fputc('|', f);
	report_csv_field(f, "foo(int, char)");
	fputc('|', f);
	report_csv_field(f, "say \"hi\"");
	fputc('|', f);
	report_csv_field(f, "two\nlines");
	fclose(f);
	assert_string_equal(buf, "plain|\"foo(int, char)\"|\"say \"\"hi\"\"\"|\"two\nlines\"");
	free(buf);

	struct pp_profile *prof = endpoints_profile();
	struct report_opts o;
	struct report r;

	report_opts_default(&o);
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	char *c = render(report_csv, &r);
	int lines = 0;

	for (char *p = c; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	assert_int_equal(lines, 1 + 1 + 2);	/* header, the function, 2 endpoints */
	assert_true(strncmp(c, "rank,kind,name,module,severity,calls,total_ns,", 46) == 0);
	assert_non_null(strstr(c, "\r\n1,function,fake+0x1000,/bin/fake,CRITICAL,10,50000000000,"));
	assert_non_null(strstr(c, "\r\n1,endpoint,POST /slow,,HIGH,10,"));
	free(c);
	report_free(&r);
	o.check = 1;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	c = render(report_csv, &r);
	assert_non_null(strstr(c, "p95,500000000,2000000000,POST /slow,1,2,endpoints,false\r\n"));
	free(c);
	report_free(&r);
	pp_profile_free(prof);
}

static void test_report_formatting(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(report_fmt_ns(b, 2450000000u), "2.45s");
	assert_string_equal(report_fmt_ns(b, 1200000), "1.20ms");
	assert_string_equal(report_fmt_ns(b, 1500), "1.50us");
	assert_string_equal(report_fmt_ns(b, 350), "350ns");
	assert_string_equal(report_fmt_ns(b, 0), "0ns");
	assert_string_equal(report_fmt_limit(b, 2000000000), "2s");
	assert_string_equal(report_fmt_limit(b, 500000000), "500ms");
	assert_string_equal(report_fmt_limit(b, 1500000), "1.5ms");
	assert_string_equal(report_fmt_limit(b, 1250), "1.25us");
	assert_string_equal(report_fmt_limit(b, 0), "0ns");
	assert_string_equal(report_fmt_limit(b, 999), "999ns");
}

/* The text layout's pieces: counts with separators, widths in UTF-8
 * characters, names cut in the middle to a width (escapes counted). */
static void test_report_text_layout(void **state)
{
	struct report_opts o;
	char b[32], *t;
	size_t size;
	FILE *out;

	(void)state;
	assert_string_equal(report_fmt_count(b, 0), "0");
	assert_string_equal(report_fmt_count(b, 999), "999");
	assert_string_equal(report_fmt_count(b, 1000), "1,000");
	assert_string_equal(report_fmt_count(b, 7154025), "7,154,025");
	assert_string_equal(report_fmt_count(b, UINT64_MAX), "18,446,744,073,709,551,615");
	assert_int_equal(report_text_cols("r\xc3\xa9sum\xc3\xa9\xe2\x80\xa6"), 7);

	out = open_memstream(&t, &size);
	report_text_fit(out, "abcdefghij", 10, 1);	/* fits: whole */
	fputc('|', out);
	report_text_fit(out, "abcdefghijk", 10, 1);	/* 5 + ellipsis + 4 */
	fputc('|', out);
	report_text_fit(out, "abcdefghijk", 10, 0);	/* 4 + ... + 3 */
	fputc('|', out);
	report_text_fit(out, "\x1b" "bcdefghijk", 10, 1);	/* the escape is 4 wide */
	fclose(out);
	assert_string_equal(t, "abcdefghij|abcde\u2026hijk|abcd...ijk|\\x1bb\u2026hijk");
	free(t);

	out = open_memstream(&t, &size);
	report_text_wrap(out, "one two three four", 10, 0, "  ");
	report_text_wrap(out, "abcdefghijklmnopqrstuvwxyz", 10, 2, "  ");	/* 2 printed */
	fclose(out);
	assert_string_equal(t, "one two\n  three\n  four\nabcdefgh\n  ijklmnop\n  qrstuvwx\n  yz\n");
	free(t);

	/* not a terminal: COLUMNS, never under 80; --wide: no limit */
	report_opts_default(&o);
	out = open_memstream(&t, &size);
	setenv("COLUMNS", "132", 1);
	assert_int_equal(report_text_width(out, &o), 132);
	setenv("COLUMNS", "20", 1);
	assert_int_equal(report_text_width(out, &o), 80);
	unsetenv("COLUMNS");
	assert_int_equal(report_text_width(out, &o), 80);
	o.wide = 1;
	assert_true(report_text_width(out, &o) > 100000);
	fclose(out);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_severities_and_selection),
		cmocka_unit_test(test_report_filters_and_hidden),
		cmocka_unit_test(test_report_recommendations),
		cmocka_unit_test(test_report_check_functions),
		cmocka_unit_test(test_report_check_nothing_to_judge),
		cmocka_unit_test(test_report_endpoints),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_json_string),
		cmocka_unit_test(test_report_damaged_warning),
		cmocka_unit_test(test_report_escape),
		cmocka_unit_test(test_report_text_escapes),
		cmocka_unit_test(test_report_csv),
		cmocka_unit_test(test_report_formatting),
		cmocka_unit_test(test_report_text_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
