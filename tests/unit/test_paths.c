/* test_paths.c - the calling-context tree walked (paths.c) and its three
 * exports: folded stacks, the SVG flame graph and pprof
 *
 * One hand-made tree with known numbers: main calls a and b, each calls c
 * (10 and 5 calls), main enters a region whose name holds ';', a newline and
 * '<', and c has calls past the cap (a cut node).  Every expectation is
 * derived from those numbers; pprof's output is gunzipped and decoded with
 * protobuf-c's own unpacker, independently of how it was packed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "paths.h"
#include "pprof.pb-c.h"
#include "profile.h"
#include "report.h"

#define REGION_NAME "r;x\n<y>"

struct tree {
	struct pp_profile *prof;
	struct report_opts o;
	struct report r;
};

/* Adds a node (parent index + 1, entry, cut) with calls, inclusive, self. */
static uint32_t node(struct pp_profile *prof, uint32_t parent, uint32_t entry, int cut,
		     uint64_t calls, uint64_t incl, uint64_t self)
{
	struct pp_entry add = { .records = 1, .calls = calls, .sum_ns = incl,
				.inclusive_ns = incl, .self_ns = self, .min_ns = 1, .max_ns = incl };
	struct pp_path *p = pp_profile_path(prof, parent, entry, cut);

	assert_non_null(p);
	assert_int_equal(pp_hist_add_value(&add.hist, incl / calls, calls), 0);
	assert_int_equal(pp_path_add(p, &add), 0);
	free(add.hist.pages);
	return p->index + 1;
}

static int tree_setup(void **state)
{
	static const uint8_t build_id[4] = { 0xde, 0xad, 0xbe, 0xef };
	static const char *const names[] = { "main", "a", "b", "c" };
	struct tree *t = calloc(1, sizeof(*t));
	struct pp_profile *prof = pp_profile_new();

	assert_non_null(t);
	assert_non_null(prof);
	assert_int_equal(pp_profile_module(prof, "/bin/prog", build_id, 4), 0);
	/* entries 0..3: main a b c in /bin/prog; 4: the region */
	for (int i = 0; i < 4; i++) {
		struct pp_entry *e = pp_profile_entry(prof, PPF_KIND_FUNCTION, 0,
						      0x100 * (uint64_t)(i + 1), NULL);

		assert_non_null(e);
		e->name = pp_profile_strndup(prof, names[i], strlen(names[i]));
	}
	assert_non_null(pp_profile_entry(prof, PPF_KIND_REGION, -1, 0, REGION_NAME));
	uint32_t m = node(prof, 0, 0, 0, 1, 1000, 100);
	uint32_t a = node(prof, m, 1, 0, 1, 600, 50);
	uint32_t b = node(prof, m, 2, 0, 1, 300, 20);

	node(prof, a, 3, 0, 10, 550, 550);
	node(prof, b, 3, 0, 5, 280, 280);
	node(prof, m, 4, 0, 2, 7, 7);
	node(prof, 0, 3, 1, 3, 30, 30);		/* c, past the cap */
	t->prof = prof;
	report_opts_default(&t->o);
	assert_int_equal(report_build(&t->r, prof, &t->o, NULL), 0);
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;

	report_free(&t->r);
	pp_profile_free(t->prof);
	free(t);
	return 0;
}

/* Runs printer on t's report with weight w; returns the malloc'ed output
 * and its size. */
static char *print(struct tree *t, int (*printer)(FILE *, const struct report *),
		   enum report_weight w, size_t *size)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, size);

	assert_non_null(f);
	t->o.weight = w;
	assert_int_equal(printer(f, &t->r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Children lists: known roots first then cut ones, each list by name; a
 * node's stack from its root. */
static void test_paths_tree_and_stack(void **state)
{
	struct tree *t = *state;
	const struct pp_profile *prof = t->prof;
	struct paths_tree tr;
	uint32_t stack[8];

	assert_int_equal(paths_tree_build(&tr, prof), 0);
	assert_int_equal(tr.n, 7);
	/* roots: main, then the cut c */
	assert_int_equal(tr.start[8] - tr.start[7], 2);
	assert_string_equal(paths_name(prof, prof->paths[tr.child[tr.start[7]]]), "main");
	assert_true(prof->paths[tr.child[tr.start[7] + 1]]->cut);
	/* main's children by name: a, b, the region */
	uint32_t main_node = tr.child[tr.start[7]];

	assert_int_equal(tr.start[main_node + 1] - tr.start[main_node], 3);
	assert_string_equal(paths_name(prof, prof->paths[tr.child[tr.start[main_node]]]), "a");
	assert_string_equal(paths_name(prof, prof->paths[tr.child[tr.start[main_node] + 1]]),
			    "b");
	assert_string_equal(paths_name(prof, prof->paths[tr.child[tr.start[main_node] + 2]]),
			    REGION_NAME);
	/* node 3 is main;a;c */
	assert_int_equal(paths_stack(prof, 3, stack, 8), 3);
	assert_string_equal(paths_name(prof, prof->paths[stack[0]]), "main");
	assert_string_equal(paths_name(prof, prof->paths[stack[1]]), "a");
	assert_string_equal(paths_name(prof, prof->paths[stack[2]]), "c");
	/* a smaller room keeps the nodes nearest to the leaf */
	assert_int_equal(paths_stack(prof, 3, stack, 2), 2);
	assert_string_equal(paths_name(prof, prof->paths[stack[0]]), "a");
	paths_tree_free(&tr);
}

/* Folded: every path with its value, depth first by name; the cut node
 * under [more paths]; ';' and control characters replaced. */
static void test_paths_folded(void **state)
{
	struct tree *t = *state;
	size_t size;
	char *calls = print(t, report_folded, WEIGHT_CALLS, &size);
	char *self = print(t, report_folded, WEIGHT_DEFAULT, &size);
	char *total = print(t, report_folded, WEIGHT_TOTAL, &size);

	assert_string_equal(calls, "main 1\nmain;a 1\nmain;a;c 10\nmain;b 1\nmain;b;c 5\n"
			    "main;r:x?<y> 2\n[more paths];c 3\n");
	assert_string_equal(self, "main 100\nmain;a 50\nmain;a;c 550\nmain;b 20\nmain;b;c 280\n"
			    "main;r:x?<y> 7\n[more paths];c 30\n");
	assert_string_equal(total, "main 1000\nmain;a 600\nmain;a;c 550\nmain;b 300\n"
			    "main;b;c 280\nmain;r:x?<y> 7\n[more paths];c 30\n");
	free(calls);
	free(self);
	free(total);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* SVG: one frame per node, plus "all" and [more paths]; names escaped for
 * XML; the titles carry the node's numbers; widths by inclusive time. */
static void test_paths_svg(void **state)
{
	struct tree *t = *state;
	size_t size;
	char *svg = print(t, report_svg, WEIGHT_DEFAULT, &size);

	assert_int_equal(count(svg, "<g class=\"f\""), 7 + 2);
	assert_int_equal(count(svg, "</g>"), 7 + 2);
	assert_non_null(strstr(svg, "<title>r;x\xef\xbf\xbd&lt;y&gt;\ncalls 2, total 7ns"));
	assert_null(strstr(svg, "<y>"));
	assert_non_null(strstr(svg, "<title>c\ncalls 10, total 550ns ("));
	assert_non_null(strstr(svg, "<title>c\ncalls 5, total 280ns ("));
	assert_non_null(strstr(svg, "<title>" PP_MORE_PATHS "\ncalls 3, total 30ns ("));
	/* all = main's 1000 ns + the cut node's 30: main is 1000/1030 wide */
	assert_non_null(strstr(svg, "<title>all\ncalls 4, total 1.03us (100.00%)"));
	assert_non_null(strstr(svg, "data-x=\"0\" data-w=\"0.970873786\" data-d=\"1\""
			       " data-n=\"main\""));
	/* nothing external: no href, no url() */
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "url("));
	assert_string_equal(svg + size - 7, "</svg>\n");
	free(svg);
}

/* Gunzips `len` bytes; returns the malloc'ed result and its size. */
static uint8_t *gunzip(const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);
	z_stream z = { 0 };

	assert_non_null(out);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);	/* gzip only */
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = cap - z.avail_out;
	inflateEnd(&z);
	return out;
}

static const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

/* The leaf-first stack of a sample as "c;a;main". */
static void stack_of(const Perftools__Profiles__Profile *p,
		     const Perftools__Profiles__Sample *s, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t k = 0; k < s->n_location_id; k++) {
		const Perftools__Profiles__Location *l = p->location[s->location_id[k] - 1];

		assert_int_equal(l->id, s->location_id[k]);
		assert_int_equal(l->n_line, 1);
		const Perftools__Profiles__Function *f = p->function[l->line[0]->function_id - 1];

		assert_int_equal(f->id, l->line[0]->function_id);
		if (k)
			strncat(buf, ";", len - strlen(buf) - 1);
		strncat(buf, str(p, f->name), len - strlen(buf) - 1);
	}
}

/* pprof: gzip, three sample types (self the default), one sample per node
 * with its stack leaf first and its three values, the mapping's build id. */
static void test_paths_pprof(void **state)
{
	struct tree *t = *state;
	size_t size, raw_len;
	char *gz = print(t, report_pprof, WEIGHT_DEFAULT, &size);
	uint8_t *raw = gunzip((const uint8_t *)gz, size, &raw_len);
	Perftools__Profiles__Profile *p = perftools__profiles__profile__unpack(NULL, raw_len, raw);
	static const char *const want[][3] = { { "main", "1", "1000/100" },
		{ "a;main", "1", "600/50" }, { "c;a;main", "10", "550/550" },
		{ "b;main", "1", "300/20" }, { "c;b;main", "5", "280/280" },
		{ REGION_NAME ";main", "2", "7/7" }, { "c;" PP_MORE_PATHS, "3", "30/30" } };
	int seen[7] = { 0 };

	assert_non_null(p);
	assert_string_equal(str(p, 0), "");
	assert_int_equal(p->n_sample_type, 3);
	assert_string_equal(str(p, p->sample_type[0]->type), "calls");
	assert_string_equal(str(p, p->sample_type[0]->unit), "count");
	assert_string_equal(str(p, p->sample_type[1]->type), "total");
	assert_string_equal(str(p, p->sample_type[1]->unit), "nanoseconds");
	assert_string_equal(str(p, p->sample_type[2]->type), "self");
	assert_string_equal(str(p, p->sample_type[2]->unit), "nanoseconds");
	assert_string_equal(str(p, p->default_sample_type), "self");
	assert_int_equal(p->n_mapping, 1);
	assert_string_equal(str(p, p->mapping[0]->filename), "/bin/prog");
	assert_string_equal(str(p, p->mapping[0]->build_id), "deadbeef");
	assert_int_equal(p->n_sample, 7);
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		char stack[128], v[64];
		size_t k;

		stack_of(p, s, stack, sizeof(stack));
		for (k = 0; k < 7 && strcmp(want[k][0], stack); k++)
			;
		assert_true(k < 7);
		seen[k]++;
		assert_int_equal(s->n_value, 3);
		assert_int_equal(s->value[0], atoll(want[k][1]));
		snprintf(v, sizeof(v), "%lld/%lld", (long long)s->value[1], (long long)s->value[2]);
		assert_string_equal(v, want[k][2]);
		/* functions of the module are in its mapping, at their address */
		const Perftools__Profiles__Location *leaf = p->location[s->location_id[0] - 1];

		if (k == 5) {
			assert_int_equal(leaf->mapping_id, 0);	/* a region */
		} else {
			assert_int_equal(leaf->mapping_id, 1);
			assert_int_equal(leaf->address, k == 0 ? 0x100 : k == 1 ? 0x200 :
					 k == 3 ? 0x300 : 0x400);
		}
	}
	for (int k = 0; k < 7; k++)
		assert_int_equal(seen[k], 1);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(raw);
	free(gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths_tree_and_stack, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_paths_folded, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_paths_svg, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_paths_pprof, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
