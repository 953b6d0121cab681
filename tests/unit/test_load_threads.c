/* test_load_threads.c - the loader's per-thread figures (format version 4):
 * the thread info table and the EXITED state validated as untrusted input,
 * each thread's figures apart (per_thread), --thread's selection by name
 * and by tid, and older versions read without them
 *
 * The dumps are synthetic (synth.h): thread 1 "worker" runs f (10 calls),
 * thread 2 "alpha", exited, runs f (3) and g (7), area 0 a region.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "load.h"
#include "profile.h"
#include "synth.h"

#define PID 100

static struct synth *make(void)
{
	struct synth *s = synth_new(PID, "./app");
	struct ppf_header *h = synth_hdr(s);
	uint64_t r;

	h->thread_count = 3;
	h->threads_folded = 5;
	r = synth_func(s, 1, 0x1100);
	synth_calls(s, r, 1000, 10);
	synth_thread(s, 2)->state = PPF_THREAD_EXITED;
	synth_thread(s, 2)->tid = 4242;
	strcpy(synth_thread(s, 2)->name, "alpha");
	r = synth_func(s, 2, 0x1100);
	synth_calls(s, r, 2000, 3);
	r = synth_func(s, 2, 0x1200);
	synth_calls(s, r, 3000, 7);
	r = synth_record(s, 0, PPF_KIND_REGION, synth_string(s, "parse"));
	synth_calls(s, r, 5000, 2);
	synth_thread_info(s, 2)->start_ns = 1500000000;
	synth_thread_info(s, 2)->stop_ns = 1600000000;
	return s;
}

static struct pp_entry *find(struct pp_profile *p, unsigned kind, uint64_t off)
{
	for (size_t i = 0; i < p->nentries; i++)
		if (p->entries[i]->kind == kind && p->entries[i]->offset == off)
			return p->entries[i];
	return NULL;
}

static uint64_t calls(struct pp_profile *p, uint64_t off)
{
	struct pp_entry *e = find(p, PPF_KIND_FUNCTION, off);

	return e ? e->calls : 0;
}

static const struct pp_thread *thread(const struct pp_profile *p, uint32_t tid)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

/* Each thread's figures apart; the process's are the sum of every area. */
static void test_load_threads_apart(void **state)
{
	struct synth *s = make();
	struct pp_profile *prof = pp_profile_new();
	char err[256];
	const struct pp_thread *w, *a;

	(void)state;
	prof->per_thread = 1;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
	assert_int_equal(calls(prof, 0x1100), 13);
	assert_int_equal(calls(prof, 0x1200), 7);
	assert_int_equal(prof->procs[0].threads, 3);
	assert_int_equal(prof->nthreads, 2);
	assert_int_equal(prof->threads_folded, 5);
	w = thread(prof, PID + 1);
	a = thread(prof, 4242);
	assert_non_null(w);
	assert_non_null(a);
	assert_string_equal(w->name, "worker");
	assert_false(w->exited);
	assert_string_equal(a->name, "alpha");
	assert_true(a->exited);
	assert_int_equal(a->pid, PID);
	assert_int_equal(a->stop_ns - a->start_ns, 100000000);
	assert_int_equal(calls(w->prof, 0x1100), 10);
	assert_int_equal(calls(w->prof, 0x1200), 0);
	assert_int_equal(calls(a->prof, 0x1100), 3);
	assert_int_equal(calls(a->prof, 0x1200), 7);
	/* the process area's region is in no thread */
	assert_int_equal(w->prof->nentries + a->prof->nentries, 3);
	/* the histograms came along: p95 needs them */
	assert_int_equal(find(a->prof, PPF_KIND_FUNCTION, 0x1200)->hist.count, 7);
	pp_profile_free(prof);
	synth_free(s);
}

/* --thread: by name, by tid (all digits), nothing else; area 0 left out. */
static void test_load_threads_select(void **state)
{
	static const struct { const char *sel; uint64_t f, g, matched; } cases[] = {
		{ "alpha", 3, 7, 1 }, { "4242", 3, 7, 1 }, { "worker", 10, 0, 1 },
		{ "101", 10, 0, 1 }, { "alph", 0, 0, 0 }, { "42420", 0, 0, 0 },
		{ "99999999999999999999", 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct synth *s = make();
		struct pp_profile *prof = pp_profile_new();
		char err[256];

		prof->thread_select = cases[i].sel;
		assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
		if (calls(prof, 0x1100) != cases[i].f || calls(prof, 0x1200) != cases[i].g ||
		    prof->threads_matched != cases[i].matched)
			fail_msg("--thread %s: f %llu g %llu matched %llu", cases[i].sel,
				 (unsigned long long)calls(prof, 0x1100),
				 (unsigned long long)calls(prof, 0x1200),
				 (unsigned long long)prof->threads_matched);
		for (size_t k = 0; k < prof->nentries; k++)
			assert_int_not_equal(prof->entries[k]->kind, PPF_KIND_REGION);
		pp_profile_free(prof);
		synth_free(s);
	}
}

/* Damage to the thread info table, or an EXITED area in an older version,
 * refuses the dump with one line. */
static void test_load_threads_bad(void **state)
{
	static const struct { const char *what; int how; const char *message; } cases[] = {
		{ "info table past the end", 0, "thread info table at offset" },
		{ "info table misaligned", 1, "thread info table at offset" },
		{ "info table over the module table", 2, "thread info table overlaps the module" },
		{ "EXITED before version 4", 3, "thread 2: unknown state 3" },
		{ "state past EXITED", 4, "thread 2: unknown state 4" },
		{ "info offset wraps", 5, "thread info table at offset" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct synth *s = make();
		struct ppf_header *h = synth_hdr(s);
		struct pp_profile *prof = pp_profile_new();
		char err[256] = "";

		switch (cases[i].how) {
		case 0: h->thread_info_off = h->used_size - 16; break;
		case 1: h->thread_info_off += 4; break;
		case 2: h->thread_info_off = h->module_off; break;
		case 3: h->version = 3; break;
		case 4: synth_thread(s, 2)->state = 4; break;
		case 5: h->thread_info_off = UINT64_MAX - 7; break;
		}
		int rc = load_buffer(prof, s->buf, s->used, "t", err, sizeof(err));

		if (rc != -1 || !strstr(err, cases[i].message))
			fail_msg("%s: rc %d, \"%s\", expected \"%s\"", cases[i].what, rc, err,
				 cases[i].message);
		assert_null(strchr(err, '\n'));
		assert_int_equal(prof->nentries, 0);
		pp_profile_free(prof);
		synth_free(s);
	}
}

/* Untrusted times: a stop before the start reads as unknown (0); no info
 * table at all is allowed (times unknown). */
static void test_load_threads_times(void **state)
{
	struct synth *s = make();
	struct pp_profile *prof = pp_profile_new();
	char err[256];

	(void)state;
	synth_thread_info(s, 2)->stop_ns = 1;
	prof->per_thread = 1;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
	assert_int_equal(thread(prof, 4242)->stop_ns, 0);
	pp_profile_free(prof);

	synth_hdr(s)->thread_info_off = 0;
	prof = pp_profile_new();
	prof->per_thread = 1;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
	assert_int_equal(thread(prof, 4242)->start_ns, 0);
	assert_int_equal(calls(thread(prof, 4242)->prof, 0x1200), 7);
	pp_profile_free(prof);
	synth_free(s);
}

/* A version 3 dump has no per-thread figures: counted, none made; its
 * header's reserved words (threads_folded now) are not read. */
static void test_load_threads_old_version(void **state)
{
	struct synth *s = synth_new(PID, "./app");
	struct pp_profile *prof = pp_profile_new();
	char err[256];
	uint64_t r;

	(void)state;
	/* the version first: a version 3 record is shorter */
	synth_hdr(s)->version = 3;
	synth_hdr(s)->thread_count = 3;
	synth_hdr(s)->threads_folded = 5;
	r = synth_func(s, 1, 0x1100);
	synth_calls(s, r, 1000, 10);
	synth_thread(s, 2)->state = PPF_THREAD_ACTIVE;
	synth_thread(s, 2)->tid = 4242;
	r = synth_func(s, 2, 0x1100);
	synth_calls(s, r, 2000, 3);
	prof->per_thread = 1;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "t", err, sizeof(err)), 0);
	assert_int_equal(calls(prof, 0x1100), 13);
	assert_int_equal(prof->nthreads, 0);
	assert_int_equal(prof->threads_unknown, 1);
	assert_int_equal(prof->threads_folded, 0);
	pp_profile_free(prof);
	synth_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_threads_apart),
		cmocka_unit_test(test_load_threads_select),
		cmocka_unit_test(test_load_threads_bad),
		cmocka_unit_test(test_load_threads_times),
		cmocka_unit_test(test_load_threads_old_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
