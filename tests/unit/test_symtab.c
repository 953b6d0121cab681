/* test_symtab.c - in-process names of functions whose addresses another
 * module took after a dlclose (issue 9, item 12)
 *
 * The module table gets an unloaded entry "A" (this test program's file, as
 * if it had been loaded where libc is now), so that libc's getpid() and A's
 * test_marker_a() have the same runtime address.  Records are made by hand
 * with record.module set, as the hooks make them: each must be counted and
 * named from its own module, through query.c, symtab.c and the public API. */
#define PARAPROF_BUILDING_LIBRARY	/* strong references: link api.o */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "paraprof.h"
#include "internal.h"

__attribute__((noinline)) int test_marker_a(int x);
__attribute__((noinline)) int test_marker_a(int x)
{
	return x * 3 + 1;
}

static uintptr_t getpid_addr;		/* libc's getpid(), and A's test_marker_a() */
static uint32_t module_a, module_libc;	/* 1 + their index in the module table */

static struct ppf_module *module_entry(uint32_t i)
{
	return (struct ppf_module *)seg_ptr(seg_header()->module_off) + i;
}

/* A record of `calls` calls of the function at `key`, made in `module`. */
static void add_record(struct ppf_thread *area, uintptr_t key, uint32_t module, uint64_t calls)
{
	uint64_t off = seg_area_alloc(area, sizeof(struct ppf_record), 8);
	struct ppf_record *r = seg_ptr(off);

	assert_true(off != 0);
	r->key = key;
	r->kind = PPF_KIND_FUNCTION;
	r->size = sizeof(*r);
	r->module = module;
	r->calls = calls;
	r->sum_ns = r->inclusive_ns = r->self_ns = calls * 100;
	r->min_ns = r->max_ns = 100;
	r->next = area->records;
	area->records = off;
	area->record_count++;
}

static int setup(void **state)
{
	struct ppf_header *h;
	struct ppf_module *a;
	struct ppf_thread *area;
	uintptr_t marker_off = 0;
	unsigned idx;
	ssize_t n;

	(void)state;
	if (init_segment() < 0)
		return -1;
	h = seg_header();
	getpid_addr = (uintptr_t)dlsym(RTLD_DEFAULT, "getpid");
	module_libc = seg_cover(getpid_addr);
	if (!getpid_addr || !module_libc || h->module_count >= h->module_cap)
		return -1;
	/* this program is module 1 (the main program comes first) */
	marker_off = (uintptr_t)&test_marker_a - module_entry(0)->load_addr;
	a = module_entry(h->module_count);
	memset(a, 0, sizeof(*a));
	n = readlink("/proc/self/exe", a->path, sizeof(a->path) - 1);
	if (n <= 0)
		return -1;
	a->load_addr = getpid_addr - marker_off;
	a->lo = getpid_addr - 64;
	a->hi = getpid_addr + 4096;
	a->unloaded = 1;
	module_a = ++h->module_count;

	idx = seg_claim_area();
	if (!idx)
		return -1;
	area = seg_thread(idx);
	add_record(area, getpid_addr, module_a, 2000);
	add_record(area, getpid_addr, module_libc, 3000);
	area->cleared_gen = h->clear_gen;
	__atomic_store_n(&area->state, PPF_THREAD_ACTIVE, __ATOMIC_RELEASE);
	return 0;
}

static void test_symtab_keys_by_module(void **state)
{
	struct query_key *keys;
	size_t count, functions = 0;
	uint64_t calls_a = 0, calls_libc = 0;
	char name[256];

	(void)state;
	assert_int_equal(query_keys(&keys, &count), 0);
	for (size_t i = 0; i < count; i++) {
		struct query_result q;

		if (keys[i].kind != PPF_KIND_FUNCTION)
			continue;
		functions++;
		assert_int_equal(query_one(PPF_KIND_FUNCTION, keys[i].key, &q), 0);
		assert_int_equal(symtab_name((uintptr_t)keys[i].key, name, sizeof(name)), 1);
		if (!strcmp(name, "test_marker_a"))
			calls_a += q.calls;
		else if (strstr(name, "getpid"))
			calls_libc += q.calls;
		else
			fail_msg("unexpected name %s", name);
	}
	free(keys);
	assert_int_equal(functions, 2);
	assert_int_equal(calls_a, 2000);
	assert_int_equal(calls_libc, 3000);
}

struct seen {
	uint64_t a, libc;
	int other;
};

static int collect(const struct paraprof_stats *st, void *ctx)
{
	struct seen *s = ctx;

	if (st->kind != PPF_KIND_FUNCTION)
		return 0;
	if (!strcmp(st->name, "test_marker_a"))
		s->a += st->calls;
	else if (strstr(st->name, "getpid"))
		s->libc += st->calls;
	else
		s->other++;
	return 0;
}

static void test_symtab_foreach_names_each_module(void **state)
{
	struct seen s = { 0, 0, 0 };

	(void)state;
	assert_int_equal(paraprof_foreach_stats(collect, &s), 0);
	assert_int_equal(s.a, 2000);
	assert_int_equal(s.libc, 3000);
	assert_int_equal(s.other, 0);
}

static void test_symtab_get_stats_of_loaded_module(void **state)
{
	struct paraprof_stats st;

	(void)state;
	assert_int_equal(paraprof_get_stats("getpid", &st), 0);
	assert_int_equal(st.calls, 3000);
}

/* A key without a module (a record made where no module was known) is
 * named from the modules loaded now, not from the unloaded one. */
static void test_symtab_unknown_module_prefers_loaded(void **state)
{
	char name[256];

	(void)state;
	assert_int_equal(symtab_name(getpid_addr, name, sizeof(name)), 1);
	assert_non_null(strstr(name, "getpid"));
	assert_int_equal(test_marker_a(1), 4);	/* keep it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symtab_keys_by_module),
		cmocka_unit_test(test_symtab_foreach_names_each_module),
		cmocka_unit_test(test_symtab_get_stats_of_loaded_module),
		cmocka_unit_test(test_symtab_unknown_module_prefers_loaded),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
