/* test_profile.c - the profile's one sum (pp_entry_add) and the merge of two
 * profiles
 *
 * pp_entry_add() is what the loader adds every record through and what
 * pp_profile_merge_entries() adds every entry through, so its rules are
 * checked here once: counts saturate instead of wrapping, an entry without
 * calls moves neither min nor max, maxima stay maxima, and responses add by
 * class.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile.h"

static void test_profile_entry_add_sums(void **state)
{
	struct pp_entry e = { .min_ns = UINT64_MAX };
	struct pp_entry s = {
		.records = 1, .torn = 1, .calls = 3, .sum_ns = 30, .inclusive_ns = 20,
		.self_ns = 10, .min_ns = 5, .max_ns = 15, .abandoned = 1, .rss_sum_kib = 300,
		.rss_max_kib = 120, .hist_dropped = 2, .slow = 1,
	};

	(void)state;
	s.status[PPF_STATUS_OTHER] = 1;
	s.status[2] = 2;
	pp_entry_add(&e, &s);
	s.min_ns = 2;
	s.max_ns = 9;
	s.rss_max_kib = 100;
	pp_entry_add(&e, &s);
	assert_int_equal(e.records, 2);
	assert_int_equal(e.torn, 2);
	assert_int_equal(e.calls, 6);
	assert_int_equal(e.sum_ns, 60);
	assert_int_equal(e.inclusive_ns, 40);
	assert_int_equal(e.self_ns, 20);
	assert_int_equal(e.min_ns, 2);
	assert_int_equal(e.max_ns, 15);
	assert_int_equal(e.abandoned, 2);
	assert_int_equal(e.rss_sum_kib, 600);
	assert_int_equal(e.rss_max_kib, 120);
	assert_int_equal(e.hist_dropped, 4);
	assert_int_equal(e.status[PPF_STATUS_OTHER], 2);
	assert_int_equal(e.status[2], 4);
	assert_int_equal(e.status[5], 0);
	assert_int_equal(e.slow, 2);
}

static void test_profile_entry_add_saturates(void **state)
{
	struct pp_entry e = { .calls = UINT64_MAX - 1, .sum_ns = UINT64_MAX, .min_ns = 7,
			      .max_ns = 7 };
	struct pp_entry s = { .calls = 5, .sum_ns = 1, .min_ns = UINT64_MAX, .max_ns = 0 };

	(void)state;
	e.status[4] = UINT64_MAX - 2;
	s.status[4] = 3;
	pp_entry_add(&e, &s);
	assert_true(e.calls == UINT64_MAX);
	assert_true(e.sum_ns == UINT64_MAX);
	assert_true(e.status[4] == UINT64_MAX);
	/* s has no min or max (as an entry without calls): e keeps its own */
	assert_int_equal(e.min_ns, 7);
	assert_int_equal(e.max_ns, 7);
}

static void test_profile_merge_entries(void **state)
{
	struct pp_profile *a = pp_profile_new(), *b = pp_profile_new();
	const uint8_t id[2] = { 0xab, 0xcd };

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	int ma = pp_profile_module(a, "/bin/x", id, 2), mb = pp_profile_module(b, "/bin/x", id, 2);

	assert_int_equal(ma, mb);
	struct pp_entry *f = pp_profile_entry(a, PPF_KIND_FUNCTION, ma, 0x10, NULL);
	struct pp_entry *g = pp_profile_entry(b, PPF_KIND_FUNCTION, mb, 0x10, NULL);
	struct pp_entry *ep = pp_profile_entry(b, PPF_KIND_ENDPOINT, -1, 0, "GET /x");

	assert_non_null(f);
	assert_non_null(g);
	assert_non_null(ep);
	f->calls = 2;
	f->min_ns = 100;
	f->max_ns = 300;
	assert_int_equal(pp_hist_add_value(&f->hist, 100, 1), 0);
	assert_int_equal(pp_hist_add_value(&f->hist, 300, 1), 0);
	g->calls = 1;
	g->min_ns = g->max_ns = 50000;
	assert_int_equal(pp_hist_add_value(&g->hist, 50000, 1), 0);
	ep->calls = 4;
	ep->min_ns = ep->max_ns = 10;
	ep->status[2] = 3;
	ep->status[5] = 1;
	assert_int_equal(pp_hist_add_value(&ep->hist, 10, 4), 0);

	assert_int_equal(pp_profile_merge_entries(a, b), 0);
	assert_int_equal(a->nentries, 2);
	assert_ptr_equal(pp_profile_entry(a, PPF_KIND_FUNCTION, ma, 0x10, NULL), f);
	assert_int_equal(f->calls, 3);
	assert_int_equal(f->min_ns, 100);
	assert_int_equal(f->max_ns, 50000);
	assert_int_equal(f->hist.count, 3);
	assert_int_equal(pp_hist_bucket(&f->hist, ppf_bucket(50000)), 1);

	struct pp_entry *e2 = pp_profile_entry(a, PPF_KIND_ENDPOINT, -1, 0, "GET /x");

	assert_int_equal(e2->calls, 4);
	assert_int_equal(e2->status[2], 3);
	assert_int_equal(e2->status[5], 1);
	assert_int_equal(e2->hist.count, 4);
	pp_profile_free(a);
	pp_profile_free(b);
}

/* Path nodes: one per (parent, entry, cut), children after parents, and a
 * merge that adds each node into the node of the same path in the other
 * profile, whatever the entry indices there. */
static void test_profile_paths_merge(void **state)
{
	struct pp_profile *a = pp_profile_new(), *b = pp_profile_new();
	struct pp_entry add = { .records = 1, .calls = 10, .sum_ns = 100, .inclusive_ns = 100,
				.self_ns = 40, .min_ns = 5, .max_ns = 20 };
	struct pp_path *pa, *pc, *again, *cut;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* a: main -> a -> c */
	assert_non_null(pp_profile_entry(a, PPF_KIND_FUNCTION, 0, 0x100, NULL));	/* main */
	assert_non_null(pp_profile_entry(a, PPF_KIND_FUNCTION, 0, 0x200, NULL));	/* a */
	assert_non_null(pp_profile_entry(a, PPF_KIND_FUNCTION, 0, 0x300, NULL));	/* c */
	pa = pp_profile_path(a, 0, 0, 0);
	assert_non_null(pa);
	pa = pp_profile_path(a, pa->index + 1, 1, 0);
	assert_non_null(pa);
	pc = pp_profile_path(a, pa->index + 1, 2, 0);
	assert_non_null(pc);
	assert_int_equal(pc->depth, 2);
	assert_int_equal(pc->parent, pa->index + 1);
	again = pp_profile_path(a, pa->index + 1, 2, 0);
	assert_ptr_equal(again, pc);
	assert_null(pp_profile_path(a, 1, 2, 1));	/* a cut node has no parent */
	assert_null(pp_profile_path(a, 0, 3, 0));	/* no such entry */
	assert_null(pp_profile_path(a, 9, 0, 0));	/* no such parent */
	cut = pp_profile_path(a, 0, 2, 1);
	assert_non_null(cut);
	assert_ptr_not_equal(cut, pp_profile_path(a, 0, 2, 0));
	assert_int_equal(pp_hist_add_value(&add.hist, 10, 10), 0);
	assert_int_equal(pp_path_add(pc, &add), 0);
	assert_int_equal(pc->st.calls, 10);
	assert_int_equal(pc->st.hist.count, 10);
	assert_int_equal(a->npaths, 5);

	/* b has the entries in another order: c first */
	assert_non_null(pp_profile_entry(b, PPF_KIND_FUNCTION, 0, 0x300, NULL));
	assert_int_equal(pp_profile_merge_entries(b, a), 0);
	assert_int_equal(pp_profile_merge_entries(b, a), 0);
	assert_int_equal(b->npaths, 5);
	for (size_t i = 0; i < b->npaths; i++) {
		const struct pp_path *p = b->paths[i];

		if (p->depth == 2) {
			assert_int_equal(p->st.calls, 20);
			assert_int_equal(p->st.hist.count, 20);
			assert_int_equal(p->st.offset, 0x300);
			assert_int_equal(b->paths[p->parent - 1]->st.offset, 0x200);
			assert_int_equal(b->paths[b->paths[p->parent - 1]->parent - 1]->st.offset,
					 0x100);
		}
		if (p->parent)
			assert_true(p->parent - 1 < i);
	}
	free(add.hist.pages);
	pp_profile_free(a);
	pp_profile_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_entry_add_sums),
		cmocka_unit_test(test_profile_entry_add_saturates),
		cmocka_unit_test(test_profile_merge_entries),
		cmocka_unit_test(test_profile_paths_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
