/* test_dumpout.c - paraprof-report --merge -o: the merged dump reads back
 * as the profile it was made from; the names table writer
 *
 * Two synthetic dumps (synth.h) are loaded together, written as one dump by
 * dumpout_merge(), and the dump is loaded again: every entry must come back
 * with the same counts, times and histogram, bucket for bucket, and the
 * same call paths; inputs of format version 2 (no paths) give a flat dump
 * of version 2.  Then the names table: limits, and the bytes
 * ppc_names_write_file() lays out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/nametab.h"
#include "dumpout.h"
#include "load.h"
#include "profile.h"
#include "synth.h"

/* f (0x1100) and g (0x1200) in thread 1, region "parse" and endpoint
 * "GET /x" in area 0; calls scaled by k. */
static struct synth *make_dump(uint32_t pid, uint64_t k)
{
	struct synth *s = synth_new(pid, "./app");
	uint64_t r;

	r = synth_func(s, 1, 0x1100);
	synth_calls(s, r, 1000, 10 * k);
	synth_calls(s, r, 700000, k);
	r = synth_func(s, 1, 0x1200);
	synth_calls(s, r, 2000 + k, 95);
	r = synth_record(s, 0, PPF_KIND_REGION, synth_string(s, "parse"));
	synth_calls(s, r, 3000000, 7);
	r = synth_record(s, 0, PPF_KIND_ENDPOINT, synth_string(s, "GET /x"));
	synth_calls(s, r, 400000, 4);
	synth_tail(s, r)->status[2] = 3;
	synth_tail(s, r)->status[5] = 1;
	return s;
}

static struct pp_entry *same_key(const struct pp_profile *p, const struct pp_entry *e)
{
	for (size_t i = 0; i < p->nentries; i++) {
		const struct pp_entry *c = p->entries[i];

		if (c->kind == e->kind && (e->kind == PPF_KIND_FUNCTION ?
					   c->offset == e->offset : !strcmp(c->name, e->name)))
			return p->entries[i];
	}
	return NULL;
}

/* Every entry of a has its twin in b, equal in everything a report shows. */
static void assert_same_entries(const struct pp_profile *a, const struct pp_profile *b)
{
	assert_int_equal(a->nentries, b->nentries);
	for (size_t i = 0; i < a->nentries; i++) {
		const struct pp_entry *x = a->entries[i], *y = same_key(b, x);

		assert_non_null(y);
		assert_int_equal(x->calls, y->calls);
		assert_int_equal(x->sum_ns, y->sum_ns);
		assert_int_equal(x->inclusive_ns, y->inclusive_ns);
		assert_int_equal(x->self_ns, y->self_ns);
		assert_int_equal(x->min_ns, y->min_ns);
		assert_int_equal(x->max_ns, y->max_ns);
		assert_int_equal(x->rss_sum_kib, y->rss_sum_kib);
		assert_int_equal(x->hist_dropped, y->hist_dropped);
		assert_memory_equal(x->status, y->status, sizeof(x->status));
		assert_int_equal(x->hist.count, y->hist.count);
		for (unsigned k = 0; k < PPF_HIST_BUCKETS; k++)
			assert_int_equal(pp_hist_bucket(&x->hist, k), pp_hist_bucket(&y->hist, k));
	}
}

/* Loads the two dumps, merges them into a file, loads it: the profiles. */
static void merge_and_reload(struct synth *a, struct synth *b, struct pp_profile **in,
			     struct pp_profile **out, struct ppf_header *hdr)
{
	char path[] = "/tmp/test_dumpout.XXXXXX", err[256];
	int fd = mkstemp(path);
	struct stat st;
	FILE *f;

	assert_true(fd >= 0);
	close(fd);
	unlink(path);		/* --merge makes a new file */
	*in = pp_profile_new();
	*out = pp_profile_new();
	assert_int_equal(load_buffer(*in, a->buf, a->used, "a.ppd", err, sizeof(err)), 0);
	assert_int_equal(load_buffer(*in, b->buf, b->used, "b.ppd", err, sizeof(err)), 0);
	assert_int_equal(dumpout_merge(path, *in, NULL, err, sizeof(err)), 0);
	/* never over a file */
	assert_int_equal(dumpout_merge(path, *in, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(hdr, sizeof(*hdr), 1, f), 1);
	fclose(f);
	assert_int_equal(load_file(*out, path, err, sizeof(err)), 0);
	assert_int_equal((*out)->nnotes, 0);
	unlink(path);
}

static void test_dumpout_merge_round_trip(void **state)
{
	struct synth *a = make_dump(10, 1), *b = make_dump(20, 3);
	struct pp_profile *in, *out;
	struct ppf_header h;

	(void)state;
	merge_and_reload(a, b, &in, &out, &h);
	assert_int_equal(h.version, PPF_VERSION);
	assert_int_equal(h.pid, 0);
	assert_true(h.flags & PPF_FLAG_COMPLETE);
	assert_int_equal(h.stop_ns - h.start_ns, 2000000000);	/* the longest */
	assert_same_entries(in, out);
	assert_int_equal(out->nprocs, 1);
	assert_int_equal(in->npaths, out->npaths);
	for (size_t i = 0; i < in->npaths; i++) {
		assert_int_equal(in->paths[i]->parent, out->paths[i]->parent);
		assert_int_equal(in->paths[i]->st.calls, out->paths[i]->st.calls);
	}
	pp_profile_free(in);
	pp_profile_free(out);
	synth_free(a);
	synth_free(b);
}

/* An input of version 2 (no call paths): the merged dump is flat, version 2. */
static void test_dumpout_merge_flat(void **state)
{
	struct synth *a, *b;
	struct pp_profile *in, *out;
	struct ppf_header h;

	(void)state;
	synth_version = 2;
	a = make_dump(10, 1);
	synth_version = PPF_VERSION;
	b = make_dump(20, 2);
	merge_and_reload(a, b, &in, &out, &h);
	assert_int_equal(h.version, 2);
	assert_same_entries(in, out);
	assert_int_equal(out->npaths, 0);
	pp_profile_free(in);
	pp_profile_free(out);
	synth_free(a);
	synth_free(b);
}

/* The table as written: entries, pool, header fields; limits. */
static void test_dumpout_names_table(void **state)
{
	struct synth *s = make_dump(10, 1);
	struct ppc_names t;
	char path[] = "/tmp/test_names.XXXXXX", longname[PPF_NAME_MAX + 2];
	int fd = mkstemp(path);
	unsigned char *back;
	struct stat st;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	ppc_names_init(&t);
	assert_int_equal(ppc_names_add(&t, 1, 0x1100, "parse_line", NULL, 0), 0);
	assert_int_equal(ppc_names_add(&t, 1, 0x1200, "_Z3fooi", "foo(int)", 2), 0);
	assert_int_equal(ppc_names_add(&t, 1, 0x1300, "same", "same", 0), 0);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ppc_names_add(&t, 1, 0x1400, longname, NULL, 0), 0);
	assert_int_equal(ppc_names_add(&t, 1, 0x1500, "", NULL, 0), 0);
	assert_int_equal(t.n, 3);	/* the long and the empty one are not kept */
	assert_true(t.full);
	assert_int_equal(ppc_names_write_file(path, s->buf, s->used, &t), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_non_null(back = malloc((size_t)st.st_size));
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(back, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	const struct ppf_header *h = (const void *)back;
	const struct ppf_name *e = (const void *)(back + h->names_off);
	const char *pool = (const char *)(e + h->names_count);

	assert_int_equal(h->names_off % 8, 0);
	assert_true(h->names_off >= s->used);
	assert_int_equal(h->names_count, 3);
	assert_int_equal(h->used_size, (uint64_t)st.st_size);
	assert_int_equal(h->names_off + h->names_bytes, h->used_size);
	assert_int_equal(pool[0], '\0');
	assert_string_equal(pool + e[0].symbol, "parse_line");
	assert_int_equal(e[0].demangled, 0);
	assert_string_equal(pool + e[1].symbol, "_Z3fooi");
	assert_string_equal(pool + e[1].demangled, "foo(int)");
	assert_int_equal(e[1].nth, 2);
	assert_int_equal(e[1].offset, 0x1200);
	assert_int_equal(e[2].demangled, 0);	/* the same as the symbol: not stored */
	assert_memory_equal(back + sizeof(*h), s->buf + sizeof(*h), s->used - sizeof(*h));
	/* the dump with its table loads, the functions named by it */
	struct pp_profile *prof = pp_profile_new();
	char err[256];
	int named = 0;

	assert_int_equal(load_file(prof, path, err, sizeof(err)), 0);
	for (size_t i = 0; i < prof->nentries; i++)
		named += prof->entries[i]->symbol != NULL;
	assert_int_equal(named, 2);
	pp_profile_free(prof);
	free(back);
	unlink(path);
	ppc_names_free(&t);
	synth_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dumpout_merge_round_trip),
		cmocka_unit_test(test_dumpout_merge_flat),
		cmocka_unit_test(test_dumpout_names_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
