/* test_callgraph.c - the calling-context tree walked: children heaviest
 * first, edges summed over nodes with their histograms merged, names found,
 * paths fitted to a line, and the hot paths and edges of a report
 *
 * The tree is built by hand from regions (named entries need no symbols):
 * main > a > c (10 calls of 1 ms), main > b > c (5 of 2 ms), worker > a > c
 * (10 of 3 ms), and c on a cut node (2 calls of 4 ms, path unknown), so
 * every expectation is arithmetic on these numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callgraph.h"
#include "profile.h"
#include "report.h"
#include "stats.h"

#define MS 1000000ull

/* Adds `calls` calls of `ns` each to the node (parent, entry named `name`,
 * cut) and returns the node's index. */
static uint32_t node(struct pp_profile *prof, uint32_t parent, const char *name, int cut,
		     uint64_t calls, uint64_t ns)
{
	struct pp_entry *e = pp_profile_entry(prof, PPF_KIND_REGION, -1, 0, name);
	struct pp_entry s = { .calls = calls, .sum_ns = calls * ns, .inclusive_ns = calls * ns,
			      .self_ns = calls * ns, .min_ns = ns, .max_ns = ns };
	struct pp_path *p;

	assert_non_null(e);
	assert_int_equal(pp_hist_add_value(&s.hist, ns, calls), 0);
	p = pp_profile_path(prof, parent, e->index, cut);
	assert_non_null(p);
	assert_int_equal(pp_path_add(p, &s), 0);
	/* the entry is the sum of its nodes, as the loader makes it */
	assert_int_equal(pp_entry_merge(e, &s), 0);
	free(s.hist.pages);
	return p->index;
}

struct fixture {
	struct pp_profile *prof;
	uint32_t main_, a1, c1, b, c2, worker, a2, c3, ccut;	/* node indices */
	uint32_t e_main, e_a, e_b, e_c, e_worker;		/* entry indices */
};

/* main 25 ms > a 10 ms > c 10 x 1 ms; main > b 15 ms > c 5 x 3 ms;
 * worker 20 ms > a 20 ms > c 10 x 2 ms; c cut, 2 x 4 ms.  A parent's time
 * is its children's (the nodes' self times do not matter here). */
static struct fixture *tree(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pp_profile *prof = pp_profile_new();

	assert_non_null(f);
	assert_non_null(prof);
	f->prof = prof;
	f->main_ = node(prof, 0, "main", 0, 1, 25 * MS);
	f->a1 = node(prof, f->main_ + 1, "a", 0, 1, 10 * MS);
	f->c1 = node(prof, f->a1 + 1, "c", 0, 10, 1 * MS);
	f->b = node(prof, f->main_ + 1, "b", 0, 1, 15 * MS);
	f->c2 = node(prof, f->b + 1, "c", 0, 5, 3 * MS);
	f->worker = node(prof, 0, "worker", 0, 1, 20 * MS);
	f->a2 = node(prof, f->worker + 1, "a", 0, 1, 20 * MS);
	f->c3 = node(prof, f->a2 + 1, "c", 0, 10, 2 * MS);
	f->ccut = node(prof, 0, "c", 1, 2, 4 * MS);
	f->e_main = prof->paths[f->main_]->entry;
	f->e_a = prof->paths[f->a1]->entry;
	f->e_b = prof->paths[f->b]->entry;
	f->e_c = prof->paths[f->c1]->entry;
	f->e_worker = prof->paths[f->worker]->entry;
	return f;
}

static void tree_free(struct fixture *f)
{
	pp_profile_free(f->prof);
	free(f);
}

static void test_callgraph_children_heaviest_first(void **state)
{
	struct fixture *f = tree();
	struct cg_tree t;
	size_t n;
	const uint32_t *k;

	(void)state;
	assert_int_equal(cg_tree_build(&t, f->prof), 0);
	k = cg_children(&t, CG_ROOT, &n);
	assert_int_equal(n, 3);
	assert_int_equal(k[0], f->main_);	/* 25 ms */
	assert_int_equal(k[1], f->worker);	/* 20 ms */
	assert_int_equal(k[2], f->ccut);	/* 8 ms */
	k = cg_children(&t, f->main_, &n);
	assert_int_equal(n, 2);
	assert_int_equal(k[0], f->b);		/* 15 ms */
	assert_int_equal(k[1], f->a1);		/* 10 ms */
	k = cg_children(&t, f->c1, &n);
	assert_int_equal(n, 0);
	k = cg_nodes(&t, f->e_c, &n);
	assert_int_equal(n, 4);
	assert_int_equal(k[0], f->c3);		/* 20 ms */
	assert_int_equal(k[1], f->c2);		/* 15 ms */
	assert_int_equal(k[2], f->c1);		/* 10 ms */
	assert_int_equal(k[3], f->ccut);	/* 8 ms */
	assert_int_equal(cg_caller_of(&t, f->c1), f->e_a);
	assert_int_equal(cg_caller_of(&t, f->main_), CG_ROOT);
	assert_int_equal(cg_caller_of(&t, f->ccut), CG_MORE);
	assert_string_equal(cg_peer_name(f->prof, CG_ROOT), "[root]");
	assert_string_equal(cg_peer_name(f->prof, CG_MORE), PP_MORE_PATHS);
	cg_tree_free(&t);
	tree_free(f);
}

/* A histogram of `n1` calls of v1 and `n2` of v2, built directly. */
static void hist_of(struct pp_hist *h, uint64_t v1, uint64_t n1, uint64_t v2, uint64_t n2)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(pp_hist_add_value(h, v1, n1), 0);
	assert_int_equal(pp_hist_add_value(h, v2, n2), 0);
}

static void test_callgraph_edges_sum_nodes(void **state)
{
	struct fixture *f = tree();
	struct cg_tree t;
	struct cg_edge *e;
	struct pp_hist want;
	size_t n;

	(void)state;
	assert_int_equal(cg_tree_build(&t, f->prof), 0);

	/* callers of c: a (c1 + c3), b (c2), [more paths] (the cut node) */
	assert_int_equal(cg_edges(&t, f->e_c, 0, &e, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(e[0].peer, f->e_a);
	assert_int_equal(e[0].st.calls, 20);
	assert_int_equal(e[0].st.inclusive_ns, 30 * MS);
	assert_int_equal(e[0].st.min_ns, 1 * MS);
	assert_int_equal(e[0].st.max_ns, 2 * MS);
	/* the edge's histogram is the merge of its nodes': bucket for bucket */
	hist_of(&want, 1 * MS, 10, 2 * MS, 10);
	assert_int_equal(e[0].st.hist.count, 20);
	for (unsigned i = 0; i < PPF_HIST_BUCKETS; i++)
		assert_int_equal(pp_hist_bucket(&e[0].st.hist, i), pp_hist_bucket(&want, i));
	assert_int_equal(stats_quantile(&e[0].st.hist, 950000, 1 * MS, 2 * MS),
			 stats_quantile(&want, 950000, 1 * MS, 2 * MS));
	free(want.pages);
	assert_int_equal(e[1].peer, f->e_b);
	assert_int_equal(e[1].st.calls, 5);
	assert_int_equal(e[1].st.inclusive_ns, 15 * MS);
	assert_int_equal(e[2].peer, CG_MORE);
	assert_int_equal(e[2].st.calls, 2);
	/* the edges of an entry add up to it */
	assert_int_equal(e[0].st.calls + e[1].st.calls + e[2].st.calls,
			 f->prof->entries[f->e_c]->calls);
	cg_edges_free(e, n);

	/* callees of a: c only, 20 calls */
	assert_int_equal(cg_edges(&t, f->e_a, 1, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].peer, f->e_c);
	assert_int_equal(e[0].st.calls, 20);
	assert_int_equal(e[0].st.inclusive_ns, 30 * MS);
	cg_edges_free(e, n);

	/* callers of a: worker (20 ms) before main (10 ms); of main: [root] */
	assert_int_equal(cg_edges(&t, f->e_a, 0, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].peer, f->e_worker);
	assert_int_equal(e[1].peer, f->e_main);
	cg_edges_free(e, n);
	assert_int_equal(cg_edges(&t, f->e_main, 0, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].peer, CG_ROOT);
	cg_edges_free(e, n);

	/* callees of c: none */
	assert_int_equal(cg_edges(&t, f->e_c, 1, &e, &n), 0);
	assert_int_equal(n, 0);
	cg_edges_free(e, n);
	cg_tree_free(&t);
	tree_free(f);
}

static void test_callgraph_find(void **state)
{
	struct fixture *f = tree();
	char err[256];
	uint32_t e;

	(void)state;
	assert_non_null(pp_profile_entry(f->prof, PPF_KIND_REGION, -1, 0, "load_a"));
	assert_non_null(pp_profile_entry(f->prof, PPF_KIND_REGION, -1, 0, "load_b"));
	assert_non_null(pp_profile_entry(f->prof, PPF_KIND_SPAN, -1, 0, "load_a"));
	/* exact beats a part: "a" is also in "main", "load_a" */
	assert_int_equal(cg_find(f->prof, "a", &e, err, sizeof(err)), 0);
	assert_int_equal(e, f->e_a);
	assert_int_equal(cg_find(f->prof, "work", &e, err, sizeof(err)), 0);
	assert_int_equal(e, f->e_worker);
	assert_int_equal(cg_find(f->prof, "xyz", &e, err, sizeof(err)), -1);
	assert_string_equal(err, "'xyz': no function, region, span or endpoint has that name or"
			    " a name containing it");
	assert_int_equal(cg_find(f->prof, "load", &e, err, sizeof(err)), -1);
	assert_string_equal(err, "'load' is ambiguous: 3 names contain it (load_a, load_b,"
			    " load_a)");
	assert_int_equal(cg_find(f->prof, "load_a", &e, err, sizeof(err)), -1);
	assert_string_equal(err, "'load_a' is ambiguous: 2 entries have that name (region,"
			    " span)");
	assert_null(strchr(err, '\n'));
	tree_free(f);
}

/* A chain root > mid1 > mid2 > mid3 > leaf; returns the leaf's node. */
static uint32_t chain(struct pp_profile *prof, const char *leaf)
{
	const char *names[] = { "root", "mid1", "mid2", "mid3", leaf };
	uint32_t at = 0;

	for (int i = 0; i < 5; i++)
		at = node(prof, at, names[i], 0, 1, MS) + 1;
	return at - 1;
}

static void test_callgraph_path_text_fits(void **state)
{
	struct fixture *f = tree();
	struct cg_tree t;
	char buf[128];
	uint32_t leaf = chain(f->prof, "leaf");
	uint32_t longleaf = chain(f->prof, "averyveryverylongname");

	(void)state;
	assert_int_equal(cg_tree_build(&t, f->prof), 0);
	assert_string_equal(cg_path_text(&t, f->c1, buf, sizeof(buf), 80), "main > a > c");
	assert_string_equal(cg_path_text(&t, f->ccut, buf, sizeof(buf), 80), "[more paths] > c");
	assert_string_equal(cg_path_text(&t, leaf, buf, sizeof(buf), 32),
			    "root > mid1 > mid2 > mid3 > leaf");
	/* 31 < 32: the top gives way first, the leaf and its callers stay */
	assert_string_equal(cg_path_text(&t, leaf, buf, sizeof(buf), 31),
			    "... > mid1 > mid2 > mid3 > leaf");
	assert_string_equal(cg_path_text(&t, leaf, buf, sizeof(buf), 30), "... > mid2 > mid3 > leaf");
	assert_string_equal(cg_path_text(&t, leaf, buf, sizeof(buf), 17), "... > mid3 > leaf");
	/* then the end of the leaf and its caller is cut */
	assert_string_equal(cg_path_text(&t, leaf, buf, sizeof(buf), 16), "... > mid3 > ...");
	assert_string_equal(cg_path_text(&t, leaf, buf, sizeof(buf), 15), "... > mid3 >...");
	assert_string_equal(cg_path_text(&t, f->c1, buf, sizeof(buf), 11), "... > a > c");
	assert_string_equal(cg_path_text(&t, f->c1, buf, sizeof(buf), 10), "... > a...");
	assert_string_equal(cg_path_text(&t, longleaf, buf, sizeof(buf), 24),
			    "... > mid3 > averyver...");
	assert_string_equal(cg_path_text(&t, f->a1, buf, sizeof(buf), 7), "main...");
	assert_string_equal(cg_path_text(&t, f->main_, buf, sizeof(buf), 3), "...");
	/* a small buffer bounds the width */
	assert_string_equal(cg_path_text(&t, f->c1, buf, 9, 80), "... >...");
	cg_tree_free(&t);
	tree_free(f);
}

/* A name with an escape sequence is escaped in the path text. */
static void test_callgraph_path_text_escapes(void **state)
{
	struct pp_profile *prof = pp_profile_new();
	struct cg_tree t;
	char buf[128];
	uint32_t n = node(prof, 0, "evil\033[2J", 0, 1, MS);

	(void)state;
	assert_int_equal(cg_tree_build(&t, prof), 0);
	assert_string_equal(cg_path_text(&t, n, buf, sizeof(buf), 80), "evil\\x1b[2J");
	cg_tree_free(&t);
	pp_profile_free(prof);
}

/* The report: hot paths under severe entries, --callers, the JSON tree. */
static void test_callgraph_report(void **state)
{
	struct fixture *f = tree();
	struct report_opts o;
	struct report r;
	char err[256];

	(void)state;
	report_opts_default(&o);
	o.min_calls = 1;
	o.critical_ns = 5 * MS;		/* main, a, b, worker: CRITICAL */
	o.high_ns = 3 * MS;
	o.medium_ns = 1500 * 1000;	/* c (53 ms / 27 calls): MEDIUM */
	o.callers = "c";
	o.graph = 1;
	assert_int_equal(report_build(&r, f->prof, &o, NULL), 0);
	assert_int_equal(report_paths_find(&r, err, sizeof(err)), 0);

	const struct report_row *c = &r.rows[f->e_c];

	assert_int_equal(c->severity, SEV_MEDIUM);
	assert_int_equal(c->nhot, 3);
	assert_int_equal(c->more_paths, 1);
	assert_int_equal(c->hot[0].node, f->c3);
	assert_int_equal(c->hot[0].st.calls, 10);
	assert_true(c->hot[0].share_pct > 37.7 && c->hot[0].share_pct < 37.8);	/* 20/53 */
	assert_int_equal(c->hot[1].node, f->c2);
	assert_int_equal(c->hot[2].node, f->c1);
	assert_int_equal(r.rows[f->e_a].nhot, 2);
	/* --callers c */
	assert_int_equal(r.ncalls, 1);
	assert_int_equal(r.calls[0].n, 3);
	assert_int_equal(r.calls[0].st[0].calls, 20);
	assert_int_equal(r.calls[0].st[0].p95_ns,
			 stats_quantile(&r.calls[0].edges[0].st.hist, 950000, MS, 2 * MS));
	/* --graph: callers and callees of each top entry */
	assert_int_equal(r.ngraph, 2 * r.ntop);

	/* the text shows c's paths, JSON has every node */
	char *text = NULL, *json = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	assert_int_equal(report_text(out, &r), 0);	/* --callers: the table only */
	fclose(out);
	assert_non_null(strstr(text, "Callers of c [region]: 27 calls"));
	assert_non_null(strstr(text, "a [region]\n"));
	assert_non_null(strstr(text, "[more paths]\n"));
	free(text);
	o.callers = NULL;
	out = open_memstream(&text, &len);
	assert_int_equal(report_text(out, &r), 0);
	fclose(out);
	assert_non_null(strstr(text, "  Path: 37.7% | P95: 2.00ms | Calls: 10 | worker > a > c\n"));
	assert_non_null(strstr(text, "  (1 more path: 15.1%)\n"));	/* 8/53 */
	assert_non_null(strstr(text, "Call graph"));
	free(text);
	out = open_memstream(&json, &len);
	assert_int_equal(report_json(out, &r), 0);
	fclose(out);
	size_t ids = 0;

	for (const char *p = json; (p = strstr(p, "{\"id\": ")); p++)
		ids++;
	assert_int_equal(ids, f->prof->npaths);
	assert_non_null(strstr(json, "\"parent\": null, \"name\": \"main\""));
	assert_non_null(strstr(json, "\"call_graph\": ["));
	free(json);
	report_free(&r);

	/* an unknown name is a usage error, in one line that names the option */
	o.callers = NULL;
	o.callees = "zzz";
	assert_int_equal(report_build(&r, f->prof, &o, NULL), 0);
	assert_int_equal(report_paths_find(&r, err, sizeof(err)), -1);
	assert_string_equal(err, "--callees: 'zzz': no function, region, span or endpoint has"
			    " that name or a name containing it");
	report_free(&r);
	tree_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callgraph_children_heaviest_first),
		cmocka_unit_test(test_callgraph_edges_sum_nodes),
		cmocka_unit_test(test_callgraph_find),
		cmocka_unit_test(test_callgraph_path_text_fits),
		cmocka_unit_test(test_callgraph_path_text_escapes),
		cmocka_unit_test(test_callgraph_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
