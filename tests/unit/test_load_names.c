/* test_load_names.c - a dump's names table: used when sound, left out with
 * a note when not
 *
 * The base dump (synth.h) has two functions, at ELF offsets 0x1100 and
 * 0x1200 of /bin/fake, and a names table naming them.  A table that names
 * them is what the report shows, and two dumps whose functions moved
 * (a rebuild) still merge by name; then each field of the table is broken
 * in turn: the load still succeeds, with one note, and the functions are
 * left to the binaries (no symbol).  Last, random bytes of the table are
 * flipped many times: every load returns, which under ASan proves no bad
 * read.
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
#include "synth.h"

struct named {
	struct synth *s;
	uint64_t f, g;			/* records */
	uint64_t table;			/* offset of the names table */
};

/* Appends a names table of `n` entries naming ELF offsets off[i] of module 1
 * as sym[i] (dem[i] its demangled form, NULL = none). */
static void add_table(struct synth *s, unsigned n, const uint64_t *off, const char *const *sym,
		      const char *const *dem, uint64_t *table)
{
	static char pool[2 * PPF_NAME_MAX + 64];
	size_t used = 1;

	pool[0] = '\0';
	struct ppf_name ent[8];

	for (unsigned i = 0; i < n; i++) {
		ent[i] = (struct ppf_name){ .module = 1, .offset = off[i] };
		ent[i].symbol = (uint32_t)used;
		used += (size_t)sprintf(pool + used, "%s", sym[i]) + 1;
		if (dem[i]) {
			ent[i].demangled = (uint32_t)used;
			used += (size_t)sprintf(pool + used, "%s", dem[i]) + 1;
		}
	}
	*table = synth_alloc(s, n * sizeof(struct ppf_name) + used, 8);
	memcpy(s->buf + *table, ent, n * sizeof(struct ppf_name));
	memcpy(s->buf + *table + n * sizeof(struct ppf_name), pool, used);
	synth_hdr(s)->names_off = *table;
	synth_hdr(s)->names_count = n;
	synth_hdr(s)->names_bytes = n * sizeof(struct ppf_name) + used;
}

/* f (0x1100 + shift: 10 calls) and g (0x1200 + shift: 100 calls), named
 * parse_line and _Z3fooi (foo(int)). */
static void make_named(struct named *b, int64_t shift)
{
	static const char *const sym[] = { "parse_line", "_Z3fooi" };
	static const char *const dem[] = { NULL, "foo(int)" };
	uint64_t off[] = { 0x1100 + (uint64_t)shift, 0x1200 + (uint64_t)shift };

	b->s = synth_new(100, "./app");
	b->f = synth_func(b->s, 1, off[0]);
	synth_calls(b->s, b->f, 1000, 10);
	b->g = synth_func(b->s, 1, off[1]);
	synth_calls(b->s, b->g, 2000, 100);
	add_table(b->s, 2, off, sym, dem, &b->table);
}

static struct pp_entry *by_symbol(struct pp_profile *p, const char *sym)
{
	for (size_t i = 0; i < p->nentries; i++)
		if (p->entries[i]->symbol && strcmp(p->entries[i]->symbol, sym) == 0)
			return p->entries[i];
	return NULL;
}

static size_t unnamed_functions(const struct pp_profile *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nentries; i++)
		n += p->entries[i]->kind == PPF_KIND_FUNCTION && !p->entries[i]->symbol;
	return n;
}

/* Whether a note of prof contains `text`. */
static int noted(const struct pp_profile *p, const char *text)
{
	for (size_t i = 0; i < p->nnotes; i++)
		if (strstr(p->notes[i], text))
			return 1;
	return 0;
}

static void test_load_names_used(void **state)
{
	struct named b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();

	(void)state;
	make_named(&b, 0);
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "t.ppd", err, sizeof(err)), 0);
	assert_int_equal(prof->nnotes, 0);
	struct pp_entry *f = by_symbol(prof, "parse_line"), *g = by_symbol(prof, "_Z3fooi");

	assert_non_null(f);
	assert_non_null(g);
	assert_int_equal(f->calls, 10);
	assert_int_equal(f->offset, 0x1100);
	assert_null(f->demangled);
	assert_string_equal(f->modname, "fake");
	assert_int_equal(g->calls, 100);
	assert_string_equal(g->demangled, "foo(int)");
	assert_int_equal(unnamed_functions(prof), 0);
	pp_profile_free(prof);
	synth_free(b.s);
}

/* The same program rebuilt, every function moved: merged by name. */
static void test_load_names_merge_moved(void **state)
{
	struct named a, b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();
	struct ppf_module *m;

	(void)state;
	make_named(&a, 0);
	make_named(&b, 0x40);
	m = (struct ppf_module *)(b.s->buf + synth_hdr(b.s)->module_off);
	m->build_id_len = 4;
	memcpy(m->build_id, "\5\6\7\10", 4);	/* another build */
	assert_int_equal(load_buffer(prof, a.s->buf, a.s->used, "a.ppd", err, sizeof(err)), 0);
	assert_int_equal(load_buffer(prof, b.s->buf, b.s->used, "b.ppd", err, sizeof(err)), 0);
	assert_int_equal(prof->nmodules, 2);
	assert_int_equal(prof->nentries, 2);
	assert_int_equal(by_symbol(prof, "parse_line")->calls, 20);
	assert_int_equal(by_symbol(prof, "_Z3fooi")->calls, 200);
	assert_int_equal(by_symbol(prof, "_Z3fooi")->hist.count, 200);
	pp_profile_free(prof);
	synth_free(a.s);
	synth_free(b.s);
}

/* Two static functions of one name in one module (nth 0 and 1) stay two
 * entries; the second of another dump adds up with the second. */
static void test_load_names_same_symbol(void **state)
{
	struct named a, b;
	char err[256];
	struct pp_profile *prof = pp_profile_new();
	struct ppf_name *e;

	(void)state;
	make_named(&a, 0);
	make_named(&b, 0x80);
	for (int k = 0; k < 2; k++) {
		struct named *d = k ? &b : &a;

		e = (struct ppf_name *)(d->s->buf + d->table);
		e[1].symbol = e[0].symbol;	/* both "parse_line" */
		e[1].demangled = 0;
		e[1].nth = 1;
		assert_int_equal(load_buffer(prof, d->s->buf, d->s->used, k ? "b.ppd" : "a.ppd", err,
					     sizeof(err)), 0);
	}
	assert_int_equal(prof->nentries, 2);
	for (size_t i = 0; i < 2; i++) {
		struct pp_entry *f = prof->entries[i];

		assert_string_equal(f->symbol, "parse_line");
		assert_int_equal(f->calls, f->nth ? 200 : 20);
	}
	pp_profile_free(prof);
	synth_free(a.s);
	synth_free(b.s);
}

/* Loads b after `breakit` changed it: 0, a note containing `why`, both
 * functions there, their calls right; returns how many are unnamed. */
static size_t load_broken(struct named *b, const char *why)
{
	char err[256];
	struct pp_profile *prof = pp_profile_new();
	size_t unnamed;
	uint64_t calls = 0;

	assert_int_equal(load_buffer(prof, b->s->buf, b->s->used, "t.ppd", err, sizeof(err)), 0);
	if (!noted(prof, why)) {
		for (size_t i = 0; i < prof->nnotes; i++)
			print_message("note: %s\n", prof->notes[i]);
		fail_msg("no note saying '%s'", why);
	}
	for (size_t i = 0; i < prof->nentries; i++)
		calls += prof->entries[i]->calls;
	assert_int_equal(calls, 110);
	unnamed = unnamed_functions(prof);
	pp_profile_free(prof);
	return unnamed;
}

static void test_load_names_bad_table(void **state)
{
	struct named b;
	struct ppf_header *h;

	(void)state;
#define BROKEN(change, why) do {                                                   \
		make_named(&b, 0);                                                 \
		h = synth_hdr(b.s);                                                \
		change;                                                            \
		assert_int_equal(load_broken(&b, why), 2);                         \
		synth_free(b.s);                                                   \
	} while (0)
	BROKEN(h->names_off += 4, "is not 8-byte aligned");
	BROKEN(h->names_off = (b.s->used + 64) & ~7ull, "outside the data");
	BROKEN(h->names_off = UINT64_MAX - 7, "outside the data");
	BROKEN(h->names_bytes = UINT64_MAX, "a pool of");
	BROKEN(h->names_bytes += 8, "outside the data");
	BROKEN(h->names_count = (uint64_t)PPF_NAMES_MAX + 1, "more than");
	BROKEN(h->names_count = UINT64_MAX / 8, "more than");
	BROKEN(h->names_count = 1000, "do not fit");
	BROKEN(b.s->buf[h->names_off + h->names_bytes - 1] = 'x', "does not end with a NUL");
	BROKEN(h->names_off = h->module_off, "overlaps the module table");
	BROKEN(h->names_off = h->strtab_off, "overlaps the string table");
	BROKEN((h->names_bytes = (uint64_t)PPF_NAMES_POOL_MAX + 2 * sizeof(struct ppf_name) + 1),
	       "a pool of");
#undef BROKEN
}

static void test_load_names_bad_entries(void **state)
{
	struct named b;
	struct ppf_name *e;
	uint64_t pool;

	(void)state;
#define BROKEN(change, why, unnamed) do {                                          \
		make_named(&b, 0);                                                 \
		e = (struct ppf_name *)(b.s->buf + b.table);                       \
		pool = synth_hdr(b.s)->names_bytes - 2 * sizeof(*e);               \
		(void)pool;                                                        \
		change;                                                            \
		assert_int_equal(load_broken(&b, why), unnamed);                   \
		synth_free(b.s);                                                   \
	} while (0)
	BROKEN(e[0].module = 9, "module is not in the module table", 1);
	BROKEN(e[0].module = UINT32_MAX, "module is not in the module table", 1);
	BROKEN(e[1].symbol = (uint32_t)pool, "symbol is outside the pool", 1);
	BROKEN(e[1].symbol = UINT32_MAX, "symbol is outside the pool", 1);
	BROKEN(e[0].symbol = 0, "symbol is outside the pool", 1);
	BROKEN(e[1].demangled = (uint32_t)pool + 100, "demangled name is outside", 1);
	BROKEN((e[0].symbol = e[0].symbol + (uint32_t)strlen("parse_line")), "empty", 1);
	BROKEN((e[0].module = 9, e[1].symbol = 0), "2 entries of the names table left out", 2);
#undef BROKEN
}

/* A symbol longer than PPF_NAME_MAX is refused. */
static void test_load_names_long_symbol(void **state)
{
	static char longname[PPF_NAME_MAX + 2];
	const char *sym[] = { longname };
	const char *dem[] = { NULL };
	uint64_t off[] = { 0x1100 }, table;
	struct named b;

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	b.s = synth_new(100, "./app");
	b.f = synth_func(b.s, 1, 0x1100);
	synth_calls(b.s, b.f, 1000, 10);
	b.g = synth_func(b.s, 1, 0x1200);
	synth_calls(b.s, b.g, 2000, 100);
	add_table(b.s, 1, off, sym, dem, &table);
	assert_int_equal(load_broken(&b, "too long"), 2);
	synth_free(b.s);
}

/* Random bytes of the table (and its header fields) flipped: every load
 * returns, and the calls are never lost. */
static void test_load_names_random_damage(void **state)
{
	struct named b;
	unsigned seed = 13;

	(void)state;
	make_named(&b, 0);
	unsigned char *copy = malloc(b.s->used);
	uint64_t table_end = synth_hdr(b.s)->names_off + synth_hdr(b.s)->names_bytes;

	assert_non_null(copy);
	for (int round = 0; round < 3000; round++) {
		char err[256];
		struct pp_profile *prof = pp_profile_new();

		memcpy(copy, b.s->buf, b.s->used);
		for (int k = 0; k < 4; k++) {
			uint64_t at = round % 3 == 0 ?
				offsetof(struct ppf_header, names_off) + (uint64_t)rand_r(&seed) % 24 :
				b.table + (uint64_t)rand_r(&seed) % (table_end - b.table);

			copy[at] ^= (unsigned char)(1u << (rand_r(&seed) % 8));
		}
		assert_int_equal(load_buffer(prof, copy, b.s->used, "t.ppd", err, sizeof(err)), 0);
		uint64_t calls = 0;

		for (size_t i = 0; i < prof->nentries; i++)
			calls += prof->entries[i]->calls;
		assert_int_equal(calls, 110);
		pp_profile_free(prof);
	}
	free(copy);
	synth_free(b.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_names_used),
		cmocka_unit_test(test_load_names_merge_moved),
		cmocka_unit_test(test_load_names_same_symbol),
		cmocka_unit_test(test_load_names_bad_table),
		cmocka_unit_test(test_load_names_bad_entries),
		cmocka_unit_test(test_load_names_long_symbol),
		cmocka_unit_test(test_load_names_random_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
