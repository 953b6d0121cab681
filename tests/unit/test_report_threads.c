/* test_report_threads.c - each thread's table (--threads): rows named as
 * the process report names them, selected and sorted by the same options,
 * threads in the order they started; the text fits 80 columns and escapes a
 * hostile thread name; JSON and CSV carry the threads
 *
 * The profile comes from a synthetic version 4 dump (synth.h): thread 1
 * "worker" (started second) calls fake+0x1000 20 x 1 ms and fake+0x2000
 * 3 x 5 ms; thread 2, exited, named with an escape sequence, started first,
 * calls fake+0x1000 10 x 2 ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load.h"
#include "profile.h"
#include "report.h"
#include "synth.h"

#define MS 1000000ull
#define HOSTILE "\033[31mred"

static struct pp_profile *threads_profile(void)
{
	struct synth *s = synth_new(77, "./app");
	struct pp_profile *prof = pp_profile_new();
	char err[256];

	synth_hdr(s)->thread_count = 3;
	synth_hdr(s)->threads_folded = 9;
	synth_calls(s, synth_func(s, 1, 0x1000), 1 * MS, 20);
	synth_calls(s, synth_func(s, 1, 0x2000), 5 * MS, 3);
	synth_thread(s, 2)->state = PPF_THREAD_EXITED;
	synth_thread(s, 2)->tid = 5000;
	strcpy(synth_thread(s, 2)->name, HOSTILE);
	synth_calls(s, synth_func(s, 2, 0x1000), 2 * MS, 10);
	synth_thread_info(s, 1)->start_ns = 2000;
	synth_thread_info(s, 2)->start_ns = 1000;
	synth_thread_info(s, 2)->stop_ns = 1000 + 30 * MS;
	prof->per_thread = 1;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t.ppd", err, sizeof(err)), 0);
	synth_free(s);
	return prof;
}

/* The text of printer `fn`, malloc'ed. */
static char *printed(int (*fn)(FILE *, const struct report *), const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, r), 0);
	fclose(f);
	return buf;
}

static void test_report_threads_rows(void **state)
{
	struct pp_profile *prof = threads_profile();
	struct report_opts o;
	struct report r;

	(void)state;
	report_opts_default(&o);
	o.threads = 1;
	o.min_calls = 1;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.nthreads, 2);
	/* the one that started first comes first */
	assert_int_equal(r.threads[0].th->tid, 5000);
	assert_true(r.threads[0].th->exited);
	assert_int_equal(r.threads[1].th->tid, 78);
	assert_int_equal(r.threads[0].calls, 10);
	assert_int_equal(r.threads[1].calls, 23);
	assert_int_equal(r.threads[1].ntop, 2);
	/* by total time: 0x1000 (20 ms) before 0x2000 (15 ms); the names are
	 * the process report's */
	assert_int_equal(r.threads[1].top[0]->e->offset, 0x1000);
	assert_int_equal(r.threads[1].top[0]->st.calls, 20);
	assert_int_equal(r.threads[1].top[0]->st.p95_ns, 1 * MS);
	for (size_t i = 0; i < r.nrows; i++)
		if (r.rows[i].e->offset == 0x1000 && r.rows[i].e->kind == PPF_KIND_FUNCTION)
			assert_string_equal(r.threads[1].top[0]->name, r.rows[i].name);
	report_free(&r);

	/* the same options select: by calls, --top 1, --min-calls 15 */
	o.sort = SORT_CALLS;
	o.top = 1;
	o.min_calls = 15;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	assert_int_equal(r.threads[0].ntop, 0);		/* 10 calls: below */
	assert_int_equal(r.threads[0].entries, 1);
	assert_int_equal(r.threads[1].ntop, 1);
	assert_int_equal(r.threads[1].top[0]->st.calls, 20);
	report_free(&r);
	pp_profile_free(prof);
}

static void test_report_threads_formats(void **state)
{
	struct pp_profile *prof = threads_profile();
	struct report_opts o;
	struct report r;
	char *text, *json, *csv, *line, *save;

	(void)state;
	report_opts_default(&o);
	o.threads = 1;
	o.min_calls = 1;
	assert_int_equal(report_build(&r, prof, &o, NULL), 0);
	setenv("COLUMNS", "80", 1);
	text = printed(report_text, &r);
	assert_non_null(strstr(text, "Threads: 2 with figures of their own; 9 more exited"));
	assert_non_null(strstr(text, "\nThread 78 worker (pid 77, running): 23 calls"));
	assert_non_null(strstr(text, "\nThread 5000 \\x1b[31mred (pid 77, exited after 30.00ms)"));
	assert_null(strchr(text, '\033'));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > 80)
			fail_msg("a line of %zu columns: %s", strlen(line), line);
	json = printed(report_json, &r);
	assert_non_null(strstr(json, "\"threads\": [\n    {\"pid\": 77, \"tid\": 5000, \"name\": "
				    "\"\\u001b[31mred\", \"exited\": true"));
	assert_non_null(strstr(json, "\"threads_folded\": 9,"));
	csv = printed(report_csv, &r);
	assert_non_null(strstr(csv, ",slow,cpu_ns,cpu_wall_ns,tid,thread\r\n"));
	assert_non_null(strstr(csv, ",78,worker\r\n"));
	assert_non_null(strstr(csv, ",5000,\x1b[31mred\r\n"));
	free(text);
	free(json);
	free(csv);
	report_free(&r);
	pp_profile_free(prof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_threads_rows),
		cmocka_unit_test(test_report_threads_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
