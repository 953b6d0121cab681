/* test_load.c - the dump loader: valid dumps load and merge; every kind of
 * damage gets its own message
 *
 * Each table test builds the same valid synthetic dump (synth.h), breaks one
 * thing, and checks that load_buffer() fails with the message for that
 * thing.  A last test flips random bytes of a valid dump many times: every
 * load must return (0 or -1), which under ASan/UBSan also proves no bad read.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "load.h"
#include "profile.h"
#include "synth.h"

/* The base dump: thread 1 runs f (0x1100: 10 x 1 ms) and g (0x1200: 95 x 2 us
 * + 5 x 50 us); area 0 holds region "parse" (7 x 3 ms) and endpoint
 * "GET /api/x" (4 requests, one 5xx); one cache "agents". */
struct base {
	struct synth *s;
	uint64_t f, g, region, endpoint;
};

static void make_base(struct base *b, uint32_t pid, uint64_t load_addr)
{
	struct synth *s = synth_new(pid, "./app --flag");
	struct ppf_header *h = synth_hdr(s);
	struct ppf_module *m = (struct ppf_module *)(s->buf + h->module_off);

	/* another load address: the same ELF offsets must still merge */
	m->load_addr = load_addr;
	m->lo = load_addr + 0x1000;
	m->hi = load_addr + 0x100000;
	b->s = s;
	b->f = synth_record(s, 1, PPF_KIND_FUNCTION, load_addr + 0x1100);
	synth_calls(s, b->f, 1000000, 10);
	b->g = synth_record(s, 1, PPF_KIND_FUNCTION, load_addr + 0x1200);
	synth_calls(s, b->g, 2000, 95);
	synth_calls(s, b->g, 50000, 5);
	b->region = synth_record(s, 0, PPF_KIND_REGION, synth_string(s, "parse"));
	synth_calls(s, b->region, 3000000, 7);
	b->endpoint = synth_record(s, 0, PPF_KIND_ENDPOINT, synth_string(s, "GET /api/x"));
	synth_calls(s, b->endpoint, 400000, 4);
	struct ppf_endpoint_tail *tail = synth_tail(s, b->endpoint);

	tail->status[2] = 3;
	tail->status[5] = 1;

	struct ppf_cache *c = (struct ppf_cache *)(s->buf + h->cache_off);

	c->name = synth_string(s, "agents");
	c->state = PPF_CACHE_LIVE;
	c->hits = 30;
	c->misses = 70;
	c->max_size = 100;
	h->cache_count = 1;
	struct ppf_mem_sample *tl = (struct ppf_mem_sample *)(s->buf + h->timeline_off);

	for (int i = 0; i < 16; i++)
		tl[i] = (struct ppf_mem_sample){ h->start_ns + (uint64_t)i * 10000000,
						 1000 + (uint64_t)i * 1000 };
	h->timeline_count = 16;
}

static int load(struct synth *s, size_t len, char *err)
{
	struct pp_profile *prof = pp_profile_new();
	int rc;

	err[0] = '\0';
	rc = load_buffer(prof, s->buf, len, "t.ppd", err, 256);
	/* every note is one line about this dump */
	for (size_t i = 0; i < prof->nnotes; i++) {
		assert_null(strchr(prof->notes[i], '\n'));
		assert_true(strncmp(prof->notes[i], "t.ppd: ", 7) == 0);
	}
	pp_profile_free(prof);
	return rc;
}

static struct pp_entry *find_func(struct pp_profile *p, uint64_t off)
{
	for (size_t i = 0; i < p->nentries; i++)
		if (p->entries[i]->kind == PPF_KIND_FUNCTION && p->entries[i]->offset == off)
			return p->entries[i];
	return NULL;
}

static struct pp_entry *find_named(struct pp_profile *p, const char *name)
{
	for (size_t i = 0; i < p->nentries; i++)
		if (p->entries[i]->name && strcmp(p->entries[i]->name, name) == 0)
			return p->entries[i];
	return NULL;
}

static void test_load_valid(void **state)
{
	struct base b;
	char err[256] = "";
	struct pp_profile *prof = pp_profile_new();

	(void)state;
	make_base(&b, 100, SYNTH_LOAD);
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t.ppd", err, sizeof(err)), 0);
	assert_int_equal(prof->nprocs, 1);
	assert_string_equal(prof->procs[0].cmdline, "./app --flag");
	assert_int_equal(prof->procs[0].pid, 100);
	assert_int_equal(prof->procs[0].wall_ns, 2000000000);
	assert_int_equal(prof->procs[0].threads, 2);
	assert_int_equal(prof->procs[0].timeline_count, 16);
	assert_int_equal(prof->nmodules, 1);
	assert_string_equal(prof->modules[0].path, "/bin/fake");
	assert_int_equal(prof->nentries, 4);

	struct pp_entry *f = find_func(prof, 0x1100), *g = find_func(prof, 0x1200);

	assert_non_null(f);
	assert_non_null(g);
	assert_int_equal(f->module, 0);
	assert_int_equal(f->calls, 10);
	assert_int_equal(f->sum_ns, 10000000);
	assert_int_equal(f->hist.count, 10);
	assert_int_equal(g->calls, 100);
	assert_int_equal(g->min_ns, 2000);
	assert_int_equal(g->max_ns, 50000);

	struct pp_entry *r = find_named(prof, "parse"), *e = find_named(prof, "GET /api/x");

	assert_non_null(r);
	assert_int_equal(r->kind, PPF_KIND_REGION);
	assert_int_equal(r->calls, 7);
	assert_non_null(e);
	assert_int_equal(e->kind, PPF_KIND_ENDPOINT);
	assert_int_equal(e->status[2], 3);
	assert_int_equal(e->status[5], 1);
	assert_int_equal(prof->ncaches, 1);
	assert_string_equal(prof->caches[0].name, "agents");
	assert_int_equal(prof->caches[0].misses, 70);
	pp_profile_free(prof);
	synth_free(b.s);
}

/* Two processes with different load addresses: the same function adds up,
 * histograms bucket by bucket; min and max are the extremes. */
static void test_load_merge_processes(void **state)
{
	struct base a, b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();

	(void)state;
	make_base(&a, 100, SYNTH_LOAD);
	make_base(&b, 200, 0x7f0000000000ull);
	synth_calls(b.s, b.g, 900, 1);	/* a new minimum, another bucket */
	assert_int_equal(load_buffer(prof, a.s->buf, a.s->used, "a", err, sizeof(err)), 0);
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "b", err, sizeof(err)), 0);
	assert_int_equal(prof->nprocs, 2);
	assert_int_equal(prof->nmodules, 1);
	assert_int_equal(prof->nentries, 4);

	struct pp_entry *g = find_func(prof, 0x1200);

	assert_int_equal(g->calls, 201);
	assert_int_equal(g->records, 2);
	assert_int_equal(g->min_ns, 900);
	assert_int_equal(g->max_ns, 50000);
	assert_int_equal(pp_hist_bucket(&g->hist, ppf_bucket(2000)), 190);
	assert_int_equal(pp_hist_bucket(&g->hist, ppf_bucket(50000)), 10);
	assert_int_equal(pp_hist_bucket(&g->hist, ppf_bucket(900)), 1);
	assert_int_equal(find_named(prof, "GET /api/x")->status[5], 2);
	assert_int_equal(prof->caches[0].hits, 60);
	pp_profile_free(prof);
	synth_free(a.s);
	synth_free(b.s);
}

/* Folded records and FREE areas are skipped; a function outside every
 * module keeps its runtime address. */
static void test_load_skips(void **state)
{
	struct base b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();

	(void)state;
	make_base(&b, 100, SYNTH_LOAD);
	synth_rec(b.s, b.f)->flags |= PPF_REC_FOLDED;
	struct ppf_thread *t2 = synth_thread(b.s, 2);

	synth_hdr(b.s)->thread_count = 3;
	t2->state = PPF_THREAD_ACTIVE;
	uint64_t outside = synth_record(b.s, 2, PPF_KIND_FUNCTION, 0x400123);

	synth_calls(b.s, outside, 100, 3);
	t2->state = PPF_THREAD_FREE;
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t", err, sizeof(err)), 0);
	assert_null(find_func(prof, 0x1100));
	assert_null(find_func(prof, 0x400123));
	assert_int_equal(prof->procs[0].threads, 2);
	pp_profile_free(prof);

	t2->state = PPF_THREAD_ACTIVE;
	prof = pp_profile_new();
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t", err, sizeof(err)), 0);
	struct pp_entry *e = find_func(prof, 0x400123);

	assert_non_null(e);
	assert_int_equal(e->module, -1);
	assert_int_equal(e->calls, 3);
	pp_profile_free(prof);
	synth_free(b.s);
}

/* After a clear, an area whose cleared_gen lags is skipped. */
static void test_load_clear_gen(void **state)
{
	struct base b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();

	(void)state;
	make_base(&b, 100, SYNTH_LOAD);
	synth_hdr(b.s)->clear_gen = 3;
	synth_thread(b.s, 1)->cleared_gen = 3;
	synth_thread(b.s, 0)->cleared_gen = 2;
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t", err, sizeof(err)), 0);
	assert_non_null(find_func(prof, 0x1100));
	assert_null(find_named(prof, "parse"));
	assert_null(find_named(prof, "GET /api/x"));
	assert_int_equal(prof->procs[0].threads, 1);
	pp_profile_free(prof);
	synth_free(b.s);
}

/* ---- the table: one break, one message ---- */

struct bad_case {
	const char *what;
	void (*breakit)(struct base *b, size_t *len);
	const char *message;	/* a substring of err */
};

#define H(b) synth_hdr((b)->s)
#define R(b, off) synth_rec((b)->s, (off))

static void br_truncated(struct base *b, size_t *len) { (void)b; *len -= 1; }
static void br_short_header(struct base *b, size_t *len) { (void)b; *len = 100; }
static void br_empty(struct base *b, size_t *len) { (void)b; *len = 0; }
static void br_magic(struct base *b, size_t *len) { (void)len; H(b)->magic[0] = 'X'; }
static void br_version(struct base *b, size_t *len) { (void)len; H(b)->version = PPF_VERSION + 1; }
static void br_version_zero(struct base *b, size_t *len) { (void)len; H(b)->version = 0; }
static void br_header_size(struct base *b, size_t *len) { (void)len; H(b)->header_size = 64; }
static void br_used_small(struct base *b, size_t *len) { (void)len; H(b)->used_size = 16; }
static void br_used_big(struct base *b, size_t *len)
{
	(void)len;
	H(b)->used_size = UINT64_MAX;
}
static void br_cmdline(struct base *b, size_t *len)
{
	(void)len;
	memset(H(b)->cmdline, 'a', sizeof(H(b)->cmdline));
}
static void br_module_count(struct base *b, size_t *len) { (void)len; H(b)->module_count = 9; }
static void br_thread_off(struct base *b, size_t *len)
{
	(void)len;
	H(b)->thread_off = H(b)->used_size - 64;
}
static void br_thread_off_huge(struct base *b, size_t *len)
{
	(void)len;
	H(b)->thread_off = UINT64_MAX - 7;
}
static void br_module_align(struct base *b, size_t *len) { (void)len; H(b)->module_off += 4; }
static void br_strtab_used(struct base *b, size_t *len) { (void)len; H(b)->strtab_used = 5000; }
static void br_timeline_cap(struct base *b, size_t *len)
{
	(void)len;
	H(b)->timeline_cap = 0x10000000;
}
static void br_overlap(struct base *b, size_t *len)
{
	(void)len;
	H(b)->cache_off = H(b)->timeline_off + 16;
}
static void br_header_overlap(struct base *b, size_t *len) { (void)len; H(b)->module_off = 64; }
static void br_cycle(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->f)->next = b->g;	/* g -> f -> g */
	synth_thread(b->s, 1)->record_count = 1000;
}
static void br_self_loop_huge_count(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->g)->next = b->g;
	synth_thread(b->s, 1)->record_count = UINT64_MAX;
}
static void br_record_count(struct base *b, size_t *len)
{
	(void)len;
	synth_thread(b->s, 1)->record_count = 1;
}
static void br_record_align(struct base *b, size_t *len)
{
	(void)len;
	synth_thread(b->s, 1)->records += 4;
}
static void br_record_past_end(struct base *b, size_t *len)
{
	(void)len;
	synth_thread(b->s, 1)->records = H(b)->used_size - 8;
}
static void br_record_in_header(struct base *b, size_t *len)
{
	(void)len;
	synth_thread(b->s, 1)->records = 8;
}
static void br_kind(struct base *b, size_t *len) { (void)len; R(b, b->f)->kind = 9; }
static void br_size(struct base *b, size_t *len) { (void)len; R(b, b->f)->size = 32; }
static void br_page(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->f)->pages[3] = (uint32_t)(H(b)->used_size / PPF_PAGE_BYTES + 1);
}
static void br_page_huge(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->f)->pages[58] = UINT32_MAX;
}
static void br_sum(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->g)->calls += 1;
}
static void br_sum_torn_two(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->g)->seq = 7;
	R(b, b->g)->calls += 2;
}
static void br_bucket_overflow(struct base *b, size_t *len)
{
	(void)len;
	synth_page(b->s, b->g, ppf_bucket(2000) / PPF_SUB)[0] = UINT64_MAX;
}
static void br_pending(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->g)->pending = PPF_HIST_BUCKETS + 1;
	R(b, b->g)->calls += 1;
}
static void br_min_max(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->f)->min_ns = R(b, b->f)->max_ns + 1;
}
static void br_module_path(struct base *b, size_t *len)
{
	(void)len;
	struct ppf_module *m = (struct ppf_module *)(b->s->buf + H(b)->module_off);

	memset(m->path, 'p', sizeof(m->path));
}
static void br_build_id_len(struct base *b, size_t *len)
{
	(void)len;
	((struct ppf_module *)(b->s->buf + H(b)->module_off))->build_id_len = 33;
}
static void br_thread_state(struct base *b, size_t *len)
{
	(void)len;
	synth_thread(b->s, 1)->state = 7;
}
static void br_thread_name(struct base *b, size_t *len)
{
	(void)len;
	memset(synth_thread(b->s, 1)->name, 'n', 16);
}
static void br_name_offset(struct base *b, size_t *len)
{
	(void)len;
	R(b, b->region)->key = 4000;
}
static void br_name_unterminated(struct base *b, size_t *len)
{
	(void)len;
	/* the string table ends in the middle of "agents" */
	H(b)->strtab_used -= 3;
}
static void br_cache_state(struct base *b, size_t *len)
{
	(void)len;
	((struct ppf_cache *)(b->s->buf + H(b)->cache_off))->state = 5;
}

static const struct bad_case bad_cases[] = {
	{ "truncated by a byte", br_truncated, "truncated: " },
	{ "shorter than the header", br_short_header, "truncated: 100 bytes, the header needs" },
	{ "empty", br_empty, "bad magic" },
	{ "wrong magic", br_magic, "not a paraprof dump (bad magic)" },
	{ "future version", br_version, "unsupported format version 6 (this paraprof reads 1 to 5)" },
	{ "version 0", br_version_zero, "unsupported format version 0 (this paraprof reads 1 to 5)" },
	{ "header_size", br_header_size, "header_size 64" },
	{ "used_size below the header", br_used_small, "smaller than the header" },
	{ "used_size past the end", br_used_big, "truncated: " },
	{ "command line", br_cmdline, "command line is not NUL-terminated" },
	{ "module count", br_module_count, "module table: count 9 exceeds its capacity 8" },
	{ "thread table past the end", br_thread_off, "thread table at offset" },
	{ "thread offset wraps", br_thread_off_huge, "thread table at offset" },
	{ "module table misaligned", br_module_align, "not 8-byte aligned" },
	{ "strtab used > cap", br_strtab_used, "string table: count 5000 exceeds" },
	{ "timeline capacity", br_timeline_cap, "timeline table at offset" },
	{ "tables overlap", br_overlap, "timeline table overlaps the cache table" },
	{ "table over the header", br_header_overlap, "module table at offset 0x40" },
	{ "module path", br_module_path, "module 0: path is not NUL-terminated" },
	{ "build-id length", br_build_id_len, "build_id_len 33" },
	{ "thread state", br_thread_state, "thread 1: unknown state 7" },
	{ "thread name", br_thread_name, "thread 1: name is not NUL-terminated" },
	{ "name unterminated", br_name_unterminated, "cache 0: name at string offset" },
	{ "cache state", br_cache_state, "cache 0: unknown state 5" },
};

/* A dump whose header or tables are unusable is refused, with one line. */
static void test_load_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct base b;
		char err[256];
		size_t len;

		make_base(&b, 100, SYNTH_LOAD);
		len = b.s->used;
		assert_int_equal(load(b.s, len, err), 0);
		bad_cases[i].breakit(&b, &len);
		int rc = load(b.s, len, err);

		if (rc != -1 || !strstr(err, bad_cases[i].message))
			fail_msg("%s: rc %d, message \"%s\", expected \"%s\"", bad_cases[i].what,
				 rc, err, bad_cases[i].message);
		assert_null(strchr(err, '\n'));
		synth_free(b.s);
	}
}

/* ---- salvage: one bad record (or a cut list) among good ones ---- */

enum { F = 1, G = 2, REGION = 4, ENDPOINT = 8, ALL = 15 };

struct salvage_case {
	const char *what;
	void (*breakit)(struct base *b, size_t *len);
	const char *note;	/* a substring of the one note expected */
	unsigned kept;		/* what is reported, with its exact calls */
	int cut;		/* 1: a list was cut; 0: a record was dropped */
};

static const struct salvage_case salvage_cases[] = {
	{ "record list cycle", br_cycle, "t.ppd: thread 1: record list cut at offset 0x"
	  /* g -> f -> g: both read once, then the loop is seen */, ALL, 1 },
	{ "self loop, huge count", br_self_loop_huge_count,
	  ": the list loops back to a record read already", G | REGION | ENDPOINT, 1 },
	{ "record_count", br_record_count, ": the list is longer than its record_count",
	  G | REGION | ENDPOINT, 1 },
	{ "record misaligned", br_record_align, ": not 8-byte aligned", REGION | ENDPOINT, 1 },
	{ "record past the end", br_record_past_end, ": outside the data", REGION | ENDPOINT, 1 },
	{ "record in the header", br_record_in_header, ": outside the data", REGION | ENDPOINT,
	  1 },
	{ "unknown kind", br_kind, "t.ppd: record of kind 9, key 0x555555555100 (thread 1, at 0x",
	  G | REGION | ENDPOINT, 0 },
	{ "record size", br_size, ") dropped: size 32, a kind 1 record has 392",
	  G | REGION | ENDPOINT, 0 },
	{ "page past the end", br_page, "t.ppd: record of function fake+0x1100 (thread 1, at 0x",
	  G | REGION | ENDPOINT, 0 },
	{ "page offset huge", br_page_huge, ") dropped: histogram page 58 at offset",
	  G | REGION | ENDPOINT, 0 },
	{ "histogram sum", br_sum, "record of function fake+0x1200 (thread 1, at 0x",
	  F | REGION | ENDPOINT, 0 },
	{ "histogram sum, the words", br_sum,
	  ") dropped: histogram sum mismatch: 100 in buckets + 0 dropped, but 101 calls",
	  F | REGION | ENDPOINT, 0 },
	{ "torn by two", br_sum_torn_two, "dropped: histogram sum mismatch",
	  F | REGION | ENDPOINT, 0 },
	{ "bucket overflow", br_bucket_overflow, "dropped: histogram sum mismatch",
	  F | REGION | ENDPOINT, 0 },
	{ "pending bucket", br_pending, "dropped: pending bucket 3776 is out of range",
	  F | REGION | ENDPOINT, 0 },
	{ "min above max", br_min_max, "dropped: min_ns", G | REGION | ENDPOINT, 0 },
	{ "name offset", br_name_offset, "record of region with name offset 4000 (thread 0, at"
	  " 0x", F | G | ENDPOINT, 0 },
	{ "name offset, the words", br_name_offset,
	  "dropped: name offset 4000 is outside the string table", F | G | ENDPOINT, 0 },
};

/* A bad record is left out with one note, a bad link ends its list with
 * one note; everything else is kept, exactly; the load succeeds and the
 * process carries the counts. */
static void test_load_salvage(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(salvage_cases) / sizeof(salvage_cases[0]); i++) {
		const struct salvage_case *c = &salvage_cases[i];
		struct pp_profile *prof = pp_profile_new();
		struct base b;
		char err[256] = "";
		size_t len;

		make_base(&b, 100, SYNTH_LOAD);
		len = b.s->used;
		c->breakit(&b, &len);
		int rc = load_buffer(prof, b.s->buf, len, "t.ppd", err, sizeof(err));

		if (rc != 0 || prof->nnotes != 1 || !strstr(prof->notes[0], c->note))
			fail_msg("%s: rc %d (%s), %zu notes, first \"%s\", expected \"%s\"", c->what,
				 rc, err, prof->nnotes, prof->nnotes ? prof->notes[0] : "", c->note);
		assert_null(strchr(prof->notes[0], '\n'));
		assert_int_equal(prof->procs[0].records_dropped, !c->cut);
		assert_int_equal(prof->procs[0].lists_cut, c->cut);

		struct pp_entry *f = find_func(prof, 0x1100), *g = find_func(prof, 0x1200);
		struct pp_entry *r = find_named(prof, "parse"), *e = find_named(prof, "GET /api/x");
		const struct { unsigned bit; struct pp_entry *e; uint64_t calls; } want[] = {
			{ F, f, 10 }, { G, g, 100 }, { REGION, r, 7 }, { ENDPOINT, e, 4 },
		};

		for (int k = 0; k < 4; k++) {
			if (!(c->kept & want[k].bit)) {
				if (want[k].e)
					fail_msg("%s: entry %d should be left out", c->what, k);
				continue;
			}
			if (!want[k].e || want[k].e->calls != want[k].calls || want[k].e->records != 1)
				fail_msg("%s: entry %d: %s, calls %llu, expected %llu", c->what, k,
					 want[k].e ? "present" : "missing",
					 want[k].e ? (unsigned long long)want[k].e->calls : 0ull,
					 (unsigned long long)want[k].calls);
		}
		/* nothing made up: as many entries as kept */
		assert_int_equal(prof->nentries, __builtin_popcount(c->kept));
		pp_profile_free(prof);
		synth_free(b.s);
	}
}

/* Many bad records: LOAD_MAX_NOTES (50) notes, then one that counts the
 * rest; every record is still accounted for. */
static void test_load_salvage_many(void **state)
{
	struct synth *s = synth_new(7, "many");
	struct pp_profile *prof = pp_profile_new();
	char err[256];

	(void)state;
	for (uint64_t i = 0; i < 80; i++) {
		uint64_t off = synth_func(s, 1, 0x1000 + i * 16);

		synth_calls(s, off, 1000, 3);
		if (i % 4)
			synth_rec(s, off)->calls = 5;	/* 60 bad, 20 good */
	}
	assert_int_equal(load_buffer(prof, s->buf, s->used, "m.ppd", err, sizeof(err)), 0);
	assert_int_equal(prof->nentries, 20);
	assert_int_equal(prof->procs[0].records_dropped, 60);
	assert_int_equal(prof->nnotes, 51);
	assert_non_null(strstr(prof->notes[50], "m.ppd: 10 more notes like these"));
	pp_profile_free(prof);
	synth_free(s);
}

/* Format versions 1 (no record.module, session, pidns_ino: zeros there)
 * and 2 (no record.parent: records 8 bytes shorter, no call paths) are read
 * like version 3, without paths; an endpoint's tail where they put it. */
static void test_load_version_1(void **state)
{
	(void)state;
	for (unsigned v = 1; v <= 2; v++) {
		struct base b;
		char err[256];
		struct pp_profile *prof = pp_profile_new();

		synth_version = v;
		make_base(&b, 100, SYNTH_LOAD);
		synth_version = PPF_VERSION;
		assert_int_equal(H(&b)->version, v);
		assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "v1", err, sizeof(err)), 0);
		assert_int_equal(prof->nnotes, 0);
		assert_int_equal(find_func(prof, 0x1100)->calls, 10);
		assert_int_equal(find_named(prof, "parse")->calls, 7);
		assert_int_equal(find_named(prof, "GET /api/x")->status[2], 3);
		assert_int_equal(prof->npaths, 0);
		pp_profile_free(prof);
		synth_free(b.s);
	}
}

static const char *module_of(struct pp_profile *prof, const struct pp_entry *e)
{
	return e && e->module >= 0 ? prof->modules[e->module].path : "(none)";
}

/* dlopen A, dlclose A, dlopen B at the same address: each function record
 * is placed in the module it names (record.module), the unloaded one
 * included, so B's function is not taken for A's.  A record that names no
 * module (0) is looked up: the module still loaded there.  A record that
 * names an entry the table lacks, or one whose range does not hold it, is
 * dropped. */
static void test_load_modules_by_record(void **state)
{
	struct synth *s = synth_new(12, "dl");
	struct pp_profile *prof = pp_profile_new();
	const uint64_t base = 0x7f0000000000ull;
	char err[256];

	(void)state;
	uint32_t a = synth_module(s, "/lib/liba.so", base, 1);
	uint32_t b = synth_module(s, "/lib/libb.so", base, 0);
	uint64_t ra = synth_record(s, 1, PPF_KIND_FUNCTION, base + 0x1100);
	uint64_t rb = synth_record(s, 1, PPF_KIND_FUNCTION, base + 0x1100);
	uint64_t r0 = synth_record(s, 1, PPF_KIND_FUNCTION, base + 0x1200);
	uint64_t bad = synth_record(s, 1, PPF_KIND_FUNCTION, base + 0x1300);
	uint64_t outside = synth_record(s, 1, PPF_KIND_FUNCTION, base + 0x5000);

	synth_calls(s, ra, 1000, 3);
	synth_calls(s, rb, 1000, 3000);
	synth_calls(s, r0, 1000, 7);
	synth_calls(s, bad, 1000, 1);
	synth_calls(s, outside, 1000, 1);
	synth_rec(s, ra)->module = a;
	synth_rec(s, rb)->module = b;
	synth_rec(s, bad)->module = 8;
	synth_rec(s, outside)->module = a;
	assert_int_equal(load_buffer(prof, s->buf, s->used, "dl.ppd", err, sizeof(err)), 0);

	struct pp_entry *ea = NULL, *eb = NULL, *e0 = find_func(prof, 0x1200);

	for (size_t i = 0; i < prof->nentries; i++) {
		struct pp_entry *e = prof->entries[i];

		if (e->offset == 0x1100 && !strcmp(module_of(prof, e), "/lib/liba.so"))
			ea = e;
		if (e->offset == 0x1100 && !strcmp(module_of(prof, e), "/lib/libb.so"))
			eb = e;
	}
	assert_non_null(ea);
	assert_non_null(eb);
	assert_int_equal(ea->calls, 3);
	assert_int_equal(eb->calls, 3000);
	assert_non_null(e0);
	assert_string_equal(module_of(prof, e0), "/lib/libb.so");
	assert_int_equal(e0->calls, 7);
	assert_int_equal(prof->nentries, 3);
	assert_int_equal(prof->nnotes, 2);
	assert_non_null(strstr(prof->notes[0], "dropped: its address is outside module 1"
			       " (/lib/liba.so)"));
	assert_non_null(strstr(prof->notes[1], "dropped: module 7 is not in the module table"
			       " (3 entries)"));
	pp_profile_free(prof);
	synth_free(s);
}

/* A record whose seqlock was odd (torn by a crash) may be off by one. */
static void test_load_torn_off_by_one(void **state)
{
	struct base b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();

	(void)state;
	make_base(&b, 100, SYNTH_LOAD);
	R(&b, b.g)->seq = 5;
	R(&b, b.g)->calls += 1;
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t", err, sizeof(err)), 0);
	assert_int_equal(find_func(prof, 0x1200)->torn, 1);
	assert_int_equal(find_func(prof, 0x1200)->calls, 101);
	pp_profile_free(prof);
	synth_free(b.s);
}

/* The writer's pending bucket (one call not yet in the histogram) counts. */
static void test_load_pending(void **state)
{
	struct base b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();

	(void)state;
	make_base(&b, 100, SYNTH_LOAD);
	R(&b, b.g)->pending = ppf_bucket(777777) + 1;
	R(&b, b.g)->calls += 1;
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t", err, sizeof(err)), 0);
	struct pp_entry *g = find_func(prof, 0x1200);

	assert_int_equal(g->calls, 101);
	assert_int_equal(g->hist.count, 101);
	assert_int_equal(pp_hist_bucket(&g->hist, ppf_bucket(777777)), 1);
	assert_int_equal(g->torn, 0);
	pp_profile_free(prof);
	/* without the extra call, the sums disagree: g is left out */
	R(&b, b.g)->calls -= 1;
	prof = pp_profile_new();
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t", err, sizeof(err)), 0);
	assert_null(find_func(prof, 0x1200));
	assert_int_equal(prof->nnotes, 1);
	assert_non_null(strstr(prof->notes[0], "histogram sum mismatch"));
	pp_profile_free(prof);
	synth_free(b.s);
}

/* Two walkers (the path of big dumps) give what one gives. */
static void test_load_parallel_equals_serial(void **state)
{
	struct synth *s = synth_new(9, "par");
	struct pp_profile *one = pp_profile_new(), *two = pp_profile_new();
	char err[256];

	(void)state;
	synth_hdr(s)->thread_count = 6;
	for (unsigned t = 1; t < 6; t++) {
		synth_thread(s, t)->state = PPF_THREAD_ACTIVE;
		for (uint64_t f = 0; f < 40; f++)
			synth_calls(s, synth_func(s, t, 0x1000 + f * 16 * (t % 2 + 1)),
				    1000 * (f + 1) * t, t + f);
	}
	synth_calls(s, synth_record(s, 0, PPF_KIND_REGION, synth_string(s, "r")), 5000, 3);
	assert_int_equal(load_buffer(one, s->buf, s->used, "s", err, sizeof(err)), 0);
	load_parallel_min = 0;
	assert_int_equal(load_buffer(two, s->buf, s->used, "s", err, sizeof(err)), 0);
	/* a bad record met by the helper walker (odd areas) is reported, and
	 * a loop in an area of the main walker is cut, each once; the rest is
	 * what one walker keeps */
	struct pp_profile *three = pp_profile_new(), *four = pp_profile_new();

	synth_rec(s, synth_thread(s, 3)->records)->kind = 11;
	synth_rec(s, synth_thread(s, 2)->records)->next = synth_thread(s, 2)->records;
	assert_int_equal(load_buffer(three, s->buf, s->used, "s", err, sizeof(err)), 0);
	load_parallel_min = 64u << 20;
	assert_int_equal(load_buffer(four, s->buf, s->used, "s", err, sizeof(err)), 0);
	assert_int_equal(three->nnotes, 2);
	assert_int_equal(four->nnotes, 2);
	assert_int_equal(three->procs[0].records_dropped, 1);
	assert_int_equal(three->procs[0].lists_cut, 1);
	assert_int_equal(three->nentries, four->nentries);
	uint64_t all = 0, kept = 0;

	for (size_t i = 0; i < one->nentries; i++)
		all += one->entries[i]->calls;
	for (size_t i = 0; i < three->nentries; i++)
		kept += three->entries[i]->calls;
	assert_true(kept < all);
	for (size_t i = 0; i < 2; i++) {
		int kind = !!strstr(three->notes[i], "unknown kind 11");
		int loop = !!strstr(three->notes[i], "loops back");

		assert_int_equal(kind + loop, 1);
	}
	for (size_t i = 0; i < four->nentries; i++) {
		const struct pp_entry *a = four->entries[i];
		struct pp_entry *b = pp_profile_entry(three, a->kind, a->module, a->offset, a->name);

		assert_int_equal(a->calls, b->calls);
		assert_int_equal(a->records, b->records);
	}
	pp_profile_free(three);
	pp_profile_free(four);
	assert_int_equal(one->nentries, two->nentries);
	for (size_t i = 0; i < one->nentries; i++) {
		const struct pp_entry *a = one->entries[i];
		struct pp_entry *b = pp_profile_entry(two, a->kind, a->module, a->offset, a->name);

		assert_int_equal(a->calls, b->calls);
		assert_int_equal(a->sum_ns, b->sum_ns);
		assert_int_equal(a->min_ns, b->min_ns);
		assert_int_equal(a->records, b->records);
		assert_int_equal(a->hist.page_mask, b->hist.page_mask);
		for (unsigned k = 0; k < PPF_HIST_BUCKETS; k++)
			assert_int_equal(pp_hist_bucket(&a->hist, k), pp_hist_bucket(&b->hist, k));
	}
	pp_profile_free(one);
	pp_profile_free(two);
	synth_free(s);
}

/* The buffer need not be aligned. */
static void test_load_unaligned(void **state)
{
	struct base b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();
	unsigned char *odd = malloc(SYNTH_CAP + 1);

	(void)state;
	make_base(&b, 100, SYNTH_LOAD);
	memcpy(odd + 1, b.s->buf, b.s->used);
	assert_int_equal(load_buffer(prof, odd + 1, b.s->used, "t", err, sizeof(err)), 0);
	assert_int_equal(find_func(prof, 0x1100)->calls, 10);
	free(odd);
	pp_profile_free(prof);
	synth_free(b.s);
}

/* load_file: a missing file and an empty one. */
static void test_load_file_errors(void **state)
{
	char err[256], path[] = "/tmp/test_load.XXXXXX";
	struct pp_profile *prof = pp_profile_new();
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(load_file(prof, "/nonexistent/x.ppd", err, sizeof(err)), -1);
	assert_string_equal(err, "No such file or directory");
	assert_true(fd >= 0);
	assert_int_equal(load_file(prof, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));

	struct base b;

	make_base(&b, 100, SYNTH_LOAD);
	assert_int_equal(write(fd, b.s->buf, b.s->used), (ssize_t)b.s->used);
	assert_int_equal(load_file(prof, path, err, sizeof(err)), 0);
	assert_int_equal(prof->nprocs, 1);
	close(fd);
	unlink(path);
	synth_free(b.s);
	pp_profile_free(prof);
}

/* What write_calls does to a record of a live segment. */
struct writer {
	struct ppf_record *r;
	uint64_t *bucket;		/* the histogram counter of its calls */
	int stop;
	uint64_t done;			/* calls written */
};

/* Adds calls of 2 us to w->r as the hooks do, under its seqlock, until told
 * to stop: seq odd, the counters and the bucket, seq even; a call about
 * every microsecond (a record written back to back, nanoseconds apart, is
 * torn for any reader: load_live.c). */
static void *write_calls(void *arg)
{
	struct writer *w = arg;
	uint64_t seq = w->r->seq;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		__atomic_store_n(&w->r->seq, ++seq, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		__atomic_store_n(&w->r->calls, w->r->calls + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&w->r->sum_ns, w->r->sum_ns + 2000, __ATOMIC_RELAXED);
		__atomic_store_n(w->bucket, *w->bucket + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		__atomic_store_n(&w->r->seq, ++seq, __ATOMIC_RELAXED);
		w->done++;
		for (volatile int i = 0; i < 500; i++)
			;
	}
	return NULL;
}

/* A live segment read (load_fd) while a thread keeps writing one of its
 * records, whose histogram page lies a megabyte after it (one read of the
 * segment meets the record long before its page): every read is whole and
 * consistent (calls = what the histogram holds), the calls seen only grow,
 * and a read after the writer stopped has them all.  (A read may still
 * find the record torn, made consistent: when the writer is preempted
 * between its two stores of seq on a busy machine, the reader does not
 * wait for it.) */
static void test_load_live_writer(void **state)
{
	char err[256], path[] = "/tmp/test_load_live.XXXXXX";
	int fd = mkstemp(path);
	struct synth *s = synth_new(100, "live");
	uint64_t g = synth_func(s, 1, 0x1200);
	struct writer w = { 0 };
	pthread_t th;
	uint64_t last = 0;

	(void)state;
	assert_true(fd >= 0);
	for (uint64_t i = 0; i < 1200; i++)
		synth_calls(s, synth_func(s, 1, 0x2000 + 16 * i), 1000 + i, 1);
	synth_calls(s, g, 2000, 100);
	assert_int_equal(write(fd, s->buf, s->used), (ssize_t)s->used);
	unsigned char *map = mmap(NULL, s->used, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	assert_true(map != MAP_FAILED);
	w.r = (struct ppf_record *)(map + g);
	unsigned k = ppf_bucket(2000);
	uint64_t page = (uint64_t)w.r->pages[k / PPF_SUB] * PPF_PAGE_BYTES;

	assert_true(page > g + (1u << 20));
	w.bucket = (uint64_t *)(map + page) + k % PPF_SUB;
	assert_int_equal(pthread_create(&th, NULL, write_calls, &w), 0);
	for (int i = 0; i < 100; i++) {
		struct pp_profile *prof = pp_profile_new();

		assert_int_equal(load_fd(prof, fd, path, err, sizeof(err)), 0);
		struct pp_entry *e = find_func(prof, 0x1200);

		assert_non_null(e);
		assert_int_equal(e->calls, e->hist.count);
		assert_true(e->calls >= last);
		last = e->calls;
		assert_int_equal(prof->nentries, 1201);
		pp_profile_free(prof);
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	struct pp_profile *prof = pp_profile_new();

	assert_int_equal(load_fd(prof, fd, path, err, sizeof(err)), 0);
	assert_int_equal(find_func(prof, 0x1200)->calls, 100 + w.done);
	assert_true(w.done > 0);
	pp_profile_free(prof);
	munmap(map, s->used);
	close(fd);
	unlink(path);
	synth_free(s);
}

/* Random damage: every load returns, with a message when it fails. */
static void test_load_random_damage(void **state)
{
	struct base b;
	unsigned seed = 12345;
	int failed = 0;

	(void)state;
	make_base(&b, 100, SYNTH_LOAD);
	unsigned char *orig = malloc(b.s->used);

	memcpy(orig, b.s->buf, b.s->used);
	for (int i = 0; i < 3000; i++) {
		char err[256];
		int flips = 1 + (int)(rand_r(&seed) % 4);

		memcpy(b.s->buf, orig, b.s->used);
		for (int k = 0; k < flips; k++) {
			/* mostly the header and tables, where the structure is */
			size_t at = rand_r(&seed) % 4 ? (size_t)rand_r(&seed) % 0x2000 :
				    (size_t)rand_r(&seed) % b.s->used;

			b.s->buf[at] ^= (unsigned char)(1u << (rand_r(&seed) % 8));
		}
		if (load(b.s, b.s->used, err)) {
			failed++;
			assert_true(err[0] != '\0');
		}
	}
	assert_true(failed > 0);
	free(orig);
	synth_free(b.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_valid),
		cmocka_unit_test(test_load_merge_processes),
		cmocka_unit_test(test_load_skips),
		cmocka_unit_test(test_load_clear_gen),
		cmocka_unit_test(test_load_bad_inputs),
		cmocka_unit_test(test_load_salvage),
		cmocka_unit_test(test_load_salvage_many),
		cmocka_unit_test(test_load_version_1),
		cmocka_unit_test(test_load_modules_by_record),
		cmocka_unit_test(test_load_torn_off_by_one),
		cmocka_unit_test(test_load_pending),
		cmocka_unit_test(test_load_parallel_equals_serial),
		cmocka_unit_test(test_load_unaligned),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_load_live_writer),
		cmocka_unit_test(test_load_random_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
