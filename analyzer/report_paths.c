/* report_paths.c - call paths in the report: hot paths, callers and
 * callees, the call graph, the tree in JSON
 *
 * report_paths_build() walks the tree once the rows are known: under each
 * CRITICAL, HIGH or MEDIUM entry of the top N its heaviest paths (the
 * nodes of the entry with the most inclusive time: since a function is on
 * a path at most once, they share its time without overlap), and with
 * --graph the callers and callees of every top entry.  --callers and
 * --callees name an entry, which is looked up once names are resolved
 * (report_paths_find()).  The printers below only format what these
 * computed; the walking itself is callgraph.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "callgraph.h"
#include "escape.h"
#include "report.h"

#define U(x) ((unsigned long long)(x))
#define LINE_WIDTH 80
#define LINE "--------------------------------------------------------------------------------\n"
#define GRAPH_EDGES 10		/* callers (callees) a text call graph lists per entry */

/* Fills `c` with the callers (callees) of `row` and their statistics.  0,
 * or -1 when memory runs out. */
static int calls_fill(struct report *r, struct report_calls *c, const struct report_row *row,
		      int callees)
{
	c->of = row;
	c->callees = callees;
	if (cg_edges(r->tree, row->e->index, callees, &c->edges, &c->n))
		return -1;
	c->st = malloc((c->n ? c->n : 1) * sizeof(*c->st));
	if (!c->st)
		return -1;
	for (size_t i = 0; i < c->n; i++)
		stats_compute(&c->edges[i].st, &c->st[i]);
	return 0;
}

static void calls_free(struct report_calls *c)
{
	cg_edges_free(c->edges, c->n);
	free(c->st);
	memset(c, 0, sizeof(*c));
}

/* The heaviest paths of `row` into r->hot. */
static void hot_paths(struct report *r, struct report_row *row)
{
	size_t n;
	const uint32_t *nodes = cg_nodes(r->tree, row->e->index, &n);

	row->hot = r->hot + r->nhot;
	/* one path with no caller (the entry as a root, or all of its calls
	 * past the cap, as in a flat profile) says nothing */
	if (n == 1 && !r->prof->paths[nodes[0]]->parent)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct pp_path *p = r->prof->paths[nodes[i]];

		/* a node without calls is a frame still running in a live read */
		if (!p->st.calls)
			continue;
		if (row->nhot == REPORT_HOT_PATHS) {
			row->more_paths++;
			continue;
		}
		struct report_hot *h = &r->hot[r->nhot++];

		h->node = nodes[i];
		stats_compute(&p->st, &h->st);
		h->share_pct = report_pct(h->st.total_ns, row->st.total_ns);
		row->nhot++;
	}
}

int report_paths_build(struct report *r)
{
	r->tree = malloc(sizeof(*r->tree));
	if (!r->tree || cg_tree_build(r->tree, r->prof)) {
		free(r->tree);
		r->tree = NULL;
		return -1;
	}
	r->hot = malloc((r->ntop ? r->ntop : 1) * REPORT_HOT_PATHS * sizeof(*r->hot));
	if (!r->hot)
		return -1;
	for (size_t i = 0; i < r->ntop; i++)
		if (r->top[i]->severity <= SEV_MEDIUM)
			hot_paths(r, r->top[i]);
	if (!r->opts->graph)
		return 0;
	r->graph = calloc(2 * r->ntop + 1, sizeof(*r->graph));
	if (!r->graph)
		return -1;
	/* counted before it is filled: report_paths_free() frees a part too */
	for (size_t i = 0; i < 2 * r->ntop; i++)
		if (r->ngraph++, calls_fill(r, &r->graph[i], r->top[i / 2], (int)(i % 2)))
			return -1;
	return 0;
}

int report_paths_find(struct report *r, char *err, size_t errlen)
{
	const char *names[2] = { r->opts->callers, r->opts->callees };
	static const char *const opts[2] = { "--callers", "--callees" };

	for (int k = 0; k < 2; k++) {
		char why[400];
		uint32_t entry;

		if (!names[k])
			continue;
		if (cg_find(r->prof, names[k], &entry, why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s", opts[k], why);
			return -1;
		}
		/* rows are made in the order of entries[] */
		if (calls_fill(r, &r->calls[r->ncalls++], &r->rows[entry], k)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

void report_paths_free(struct report *r)
{
	for (size_t i = 0; i < r->ncalls; i++)
		calls_free(&r->calls[i]);
	for (size_t i = 0; i < r->ngraph; i++)
		calls_free(&r->graph[i]);
	free(r->graph);
	free(r->hot);
	if (r->tree)
		cg_tree_free(r->tree);
	free(r->tree);
}

/* ---- text ---- */

/* " [region]" after a name that is not a function's; "" otherwise. */
static const char *kind_tag(char buf[32], const struct pp_profile *prof, uint32_t peer)
{
	unsigned kind = peer < prof->nentries ? prof->entries[peer]->kind : PPF_KIND_FUNCTION;

	if (kind == PPF_KIND_FUNCTION)
		return "";
	snprintf(buf, 32, " [%s]", pp_kind_name(kind));
	return buf;
}

void report_text_hot(FILE *out, const struct report *r, const struct report_row *row)
{
	char a[32], text[LINE_WIDTH + 1];

	for (uint32_t i = 0; i < row->nhot; i++) {
		const struct report_hot *h = &row->hot[i];
		int n = fprintf(out, "  Path: %.1f%% | P95: %s | Calls: %llu | ", h->share_pct,
				report_fmt_ns(a, h->st.p95_ns), U(h->st.calls));
		size_t width = n > 0 && n < LINE_WIDTH - 20 ? LINE_WIDTH - (size_t)n : 20;

		fprintf(out, "%s\n", cg_path_text(r->tree, h->node, text, sizeof(text), width));
	}
	if (row->more_paths) {
		double rest = 100.0;

		for (uint32_t i = 0; i < row->nhot; i++)
			rest -= row->hot[i].share_pct;
		fprintf(out, "  (%u more path%s: %.1f%%)\n", row->more_paths,
			row->more_paths == 1 ? "" : "s", rest < 0 ? 0.0 : rest);
	}
}

/* The rest of a line of width columns after n printed and before a tag
 * (at least 10, so that a name keeps both ends on a line full already). */
static size_t name_room(size_t width, int n, size_t tag)
{
	size_t used = (n > 0 ? (size_t)n : 0) + tag;

	return width > used + 10 ? width - used : 10;
}

/* The callers or callees of c, one line each: calls, share of the entry's
 * time, total, self, p95 and the name last, fitted to the width (cut in
 * the middle; --wide cuts none). */
static void calls_table(FILE *out, const struct report *r, const struct report_calls *c,
			size_t width)
{
	const struct report_row *of = c->of;
	char a[32], b[32], d[32], k[32], rest[256], *line;
	size_t size;

	/* the heading: the name (of any length) and its figures, wrapped */
	snprintf(rest, sizeof(rest), "%s: %llu calls | Total: %s | Self: %s | P95: %s",
		 kind_tag(k, r->prof, of->e->index), U(of->st.calls),
		 report_fmt_ns(a, of->st.total_ns), report_fmt_ns(b, of->st.self_ns),
		 report_fmt_ns(d, of->st.p95_ns));
	fputc('\n', out);
	size = strlen(of->name) + strlen(rest) + 16;
	line = malloc(size);
	if (line) {
		snprintf(line, size, "%s of %s%s", c->callees ? "Callees" : "Callers", of->name, rest);
		report_text_wrap(out, line, width, 0, "  ");
		free(line);
	} else {
		fprintf(out, "%s of ", c->callees ? "Callees" : "Callers");
		esc_fputs(of->name, out);
		fprintf(out, "%s\n", rest);
	}
	fputs(LINE, out);
	if (!c->n) {
		fprintf(out, "(none: %s)\n", c->callees ? "it calls no instrumented function" :
			!r->prof->npaths ? "no call paths were recorded (PARAPROF_MAX_PATHS=0, or"
			" an older dump)" : "it has no calls on a recorded path");
		return;
	}
	fprintf(out, "%10s %7s %9s %9s %9s  %s\n", "Calls", "Share", "Total", "Self", "P95",
		c->callees ? "Callee" : "Caller");
	for (size_t i = 0; i < c->n; i++) {
		const struct pp_stats *st = &c->st[i];
		const char *tag = kind_tag(k, r->prof, c->edges[i].peer);
		int n = fprintf(out, "%10llu %6.1f%% %9s %9s %9s  ", U(st->calls),
				report_pct(st->total_ns, of->st.total_ns),
				report_fmt_ns(a, st->total_ns), report_fmt_ns(b, st->self_ns),
				report_fmt_ns(d, st->p95_ns));

		report_text_fit(out, cg_peer_name(r->prof, c->edges[i].peer),
				name_room(width, n, strlen(tag)), r->opts->utf8);
		fprintf(out, "%s\n", tag);
	}
}

int report_text_calls(FILE *out, const struct report *r, size_t width)
{
	for (size_t i = 0; i < r->ncalls; i++)
		calls_table(out, r, &r->calls[i], width);
	return ferror(out) ? -1 : 0;
}

/* "calls/all" of edge i of c: its calls over all the calls of the callee */
static int edge_calls(char buf[48], const struct report *r, const struct report_calls *c,
		      size_t i)
{
	uint64_t all = c->callees ? r->prof->entries[c->edges[i].peer]->calls : c->of->st.calls;

	return snprintf(buf, 48, "%llu/%llu", U(c->st[i].calls), U(all));
}

/* One caller or callee line of the call graph (gprof's "called/total");
 * rank[e] is the index of entry e in the graph, 0 for none (rank may be
 * NULL: no index is shown). */
static void graph_edge(FILE *out, const struct report *r, const struct report_calls *c,
		       size_t i, const uint32_t *rank, size_t width, int cw)
{
	const struct pp_stats *st = &c->st[i];
	uint32_t peer = c->edges[i].peer;
	char a[32], b[32], d[32], k[32], calls[48], tag[64];
	uint32_t at = rank && peer < r->prof->nentries ? rank[peer] : 0;
	int n;

	edge_calls(calls, r, c, i);
	snprintf(tag, sizeof(tag), at ? "%s [%u]" : "%s", kind_tag(k, r->prof, peer), at);
	n = fprintf(out, "%-5s %6s %8s %8s %8s %*s    ", "", "", report_fmt_ns(a, st->total_ns),
		    report_fmt_ns(b, st->self_ns), report_fmt_ns(d, st->p95_ns), cw, calls);
	report_text_fit(out, cg_peer_name(r->prof, peer), name_room(width, n, strlen(tag)),
			r->opts->utf8);
	fprintf(out, "%s\n", tag);
}

static void graph_edges(FILE *out, const struct report *r, const struct report_calls *c,
			const uint32_t *rank, size_t width, int cw)
{
	for (size_t i = 0; i < c->n && i < GRAPH_EDGES; i++)
		graph_edge(out, r, c, i, rank, width, cw);
	if (c->n > GRAPH_EDGES)
		fprintf(out, "%-5s (%zu more %s)\n", "", c->n - GRAPH_EDGES,
			c->callees ? "callees" : "callers");
}

/* The width of the call graph's Calls column: its widest "calls/all". */
static int graph_calls_width(const struct report *r)
{
	char calls[48];
	int cw = 5;

	for (size_t i = 0; i < r->ngraph; i++) {
		const struct report_calls *c = &r->graph[i];

		for (size_t j = 0; j < c->n && j < GRAPH_EDGES; j++) {
			int n = edge_calls(calls, r, c, j);

			if (n > cw)
				cw = n;
		}
	}
	return cw;
}

void report_text_graph(FILE *out, const struct report *r, size_t width)
{
	char a[32], b[32], d[32], k[32], idx[24];
	uint32_t *rank;
	int cw;

	if (!r->ngraph)
		return;
	cw = graph_calls_width(r);
	/* without memory for it, the graph is shown without the peers' indices */
	rank = calloc(r->prof->nentries ? r->prof->nentries : 1, sizeof(*rank));
	for (size_t i = 0; rank && i < r->ntop; i++)
		rank[r->top[i]->e->index] = (uint32_t)(i + 1);
	fprintf(out, "\nCall graph (the top %zu: callers above each entry, callees below;"
		" calls through\nthe edge / all calls of the callee)\n" LINE, r->ntop);
	fprintf(out, "%-5s %6s %8s %8s %8s %*s  %s\n", "Index", "Share", "Total", "Self",
		"P95", cw, "Calls", "Name");
	for (size_t i = 0; i + 1 < r->ngraph; i += 2) {
		const struct report_row *row = r->graph[i].of;
		const char *tag = kind_tag(k, r->prof, row->e->index);
		int n;

		graph_edges(out, r, &r->graph[i], rank, width, cw);
		snprintf(idx, sizeof(idx), "[%zu]", i / 2 + 1);
		n = fprintf(out, "%-5s %5.1f%% %8s %8s %8s %*llu  ", idx,
			    report_pct(row->st.total_ns, r->totals.profiled_ns),
			    report_fmt_ns(a, row->st.total_ns), report_fmt_ns(b, row->st.self_ns),
			    report_fmt_ns(d, row->st.p95_ns), cw, U(row->st.calls));
		report_text_fit(out, row->name, name_room(width, n, strlen(tag)), r->opts->utf8);
		fprintf(out, "%s\n", tag);
		graph_edges(out, r, &r->graph[i + 1], rank, width, cw);
		fputs(LINE, out);
	}
	free(rank);
}

/* ---- CSV ---- */

int report_csv_calls(FILE *out, const struct report *r)
{
	fputs("relation,function,peer,peer_kind,calls,share_pct,total_ns,self_ns,sum_ns,avg_ns,"
	      "min_ns,max_ns,p50_ns,p95_ns,p99_ns\r\n", out);
	for (size_t i = 0; i < r->ncalls; i++) {
		const struct report_calls *c = &r->calls[i];

		for (size_t j = 0; j < c->n; j++) {
			const struct pp_stats *st = &c->st[j];
			uint32_t peer = c->edges[j].peer;

			fputs(c->callees ? "callee," : "caller,", out);
			report_csv_field(out, c->of->name);
			fputc(',', out);
			report_csv_field(out, cg_peer_name(r->prof, peer));
			fprintf(out, ",%s,%llu,%.2f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\r\n",
				peer < r->prof->nentries ? pp_kind_name(r->prof->entries[peer]->kind) :
				"", U(st->calls), report_pct(st->total_ns, c->of->st.total_ns),
				U(st->total_ns), U(st->self_ns), U(st->sum_ns), U(st->avg_ns),
				U(st->min_ns), U(st->max_ns), U(st->p50_ns), U(st->p95_ns),
				U(st->p99_ns));
		}
	}
	return ferror(out) ? -1 : 0;
}

/* ---- JSON ---- */

/* The statistics every path, edge and hot path carries. */
static void json_stats(FILE *out, const struct pp_stats *st)
{
	fprintf(out, "\"calls\": %llu, \"total_ns\": %llu, \"self_ns\": %llu, \"sum_ns\": %llu,"
		" \"avg_ns\": %llu, \"min_ns\": %llu, \"max_ns\": %llu, \"p50_ns\": %llu,"
		" \"p95_ns\": %llu, \"p99_ns\": %llu", U(st->calls), U(st->total_ns),
		U(st->self_ns), U(st->sum_ns), U(st->avg_ns), U(st->min_ns), U(st->max_ns),
		U(st->p50_ns), U(st->p95_ns), U(st->p99_ns));
}

/* One node of "paths": its id is its index in paths[] + 1.  Fewer members
 * than an edge's: a tree of 100,000 nodes is some 18 MB of them. */
static void json_node(FILE *out, const struct report *r, uint32_t node, int first)
{
	const struct pp_path *p = r->prof->paths[node];
	struct pp_stats st;

	stats_compute(&p->st, &st);
	fprintf(out, "%s    {\"id\": %u, \"parent\": ", first ? "\n" : ",\n", node + 1);
	if (p->parent)
		fprintf(out, "%u", p->parent);
	else
		fputs("null", out);
	fputs(", \"name\": ", out);
	report_json_string(out, cg_peer_name(r->prof, p->entry));
	fprintf(out, ", \"kind\": \"%s\", \"cut\": %s, \"calls\": %llu, \"total_ns\": %llu,"
		" \"self_ns\": %llu, \"p50_ns\": %llu, \"p95_ns\": %llu, \"p99_ns\": %llu}",
		pp_kind_name(p->st.kind), p->cut ? "true" : "false", U(st.calls),
		U(st.total_ns), U(st.self_ns), U(st.p50_ns), U(st.p95_ns), U(st.p99_ns));
}

/* Every node, depth first from the heaviest root, heaviest child first: a
 * parent always comes before its children.  Without memory for the walk's
 * stack, in the order of paths[] (parents first too). */
static void json_tree(FILE *out, const struct report *r)
{
	size_t n = r->prof->npaths, top = 0, nkids;
	uint32_t *stack = malloc((n ? n : 1) * sizeof(*stack));

	fputs("  \"paths\": [", out);
	if (!stack) {
		for (size_t i = 0; i < n; i++)
			json_node(out, r, (uint32_t)i, i == 0);
	} else {
		const uint32_t *kids = cg_children(r->tree, CG_ROOT, &nkids);

		/* each node is pushed once, by its parent: the stack holds n at most */
		for (size_t k = nkids; k > 0; k--)
			stack[top++] = kids[k - 1];
		for (size_t done = 0; top; done++) {
			uint32_t node = stack[--top];

			json_node(out, r, node, done == 0);
			kids = cg_children(r->tree, node, &nkids);
			for (size_t k = nkids; k > 0; k--)
				stack[top++] = kids[k - 1];
		}
		free(stack);
	}
	fputs(n ? "\n  ],\n" : "],\n", out);
}

/* The object of a callers (callees) list; `indent` before its lines. */
static void json_calls(FILE *out, const struct report *r, const struct report_calls *c,
		       const char *indent)
{
	fputs("{\"name\": ", out);
	report_json_string(out, c->of->name);
	fprintf(out, ", \"kind\": \"%s\", ", pp_kind_name(c->of->e->kind));
	json_stats(out, &c->of->st);
	fprintf(out, ", \"%s\": [", c->callees ? "callees" : "callers");
	for (size_t i = 0; i < c->n; i++) {
		uint32_t peer = c->edges[i].peer;

		fprintf(out, "%s%s  {\"name\": ", i ? ",\n" : "\n", indent);
		report_json_string(out, cg_peer_name(r->prof, peer));
		if (peer < r->prof->nentries)
			fprintf(out, ", \"kind\": \"%s\"", pp_kind_name(r->prof->entries[peer]->kind));
		else
			fputs(", \"kind\": null", out);
		fprintf(out, ", \"share_pct\": %.2f, ",
			report_pct(c->st[i].total_ns, c->of->st.total_ns));
		json_stats(out, &c->st[i]);
		fputc('}', out);
	}
	if (c->n)
		fprintf(out, "\n%s", indent);
	fputs("]}", out);
}

void report_json_paths(FILE *out, const struct report *r)
{
	fprintf(out, "  \"paths_cut\": %llu,\n", U(r->prof->paths_cut));
	json_tree(out, r);
	for (size_t i = 0; i < r->ncalls; i++) {
		fprintf(out, "  \"%s\": ", r->calls[i].callees ? "callees" : "callers");
		json_calls(out, r, &r->calls[i], "  ");
		fputs(",\n", out);
	}
	if (!r->opts->graph)
		return;
	fputs("  \"call_graph\": [", out);
	for (size_t i = 0; i + 1 < r->ngraph; i += 2) {
		fprintf(out, "%s    {\"index\": %zu, \"callers\": ", i ? ",\n" : "\n", i / 2 + 1);
		json_calls(out, r, &r->graph[i], "      ");
		fputs(", \"callees\": ", out);
		json_calls(out, r, &r->graph[i + 1], "      ");
		fputc('}', out);
	}
	fputs(r->ngraph ? "\n  ],\n" : "],\n", out);
}

void report_json_hot(FILE *out, const struct report_row *row)
{
	if (!row->nhot)
		return;
	fputs(", \"hot_paths\": [", out);
	for (uint32_t i = 0; i < row->nhot; i++) {
		const struct report_hot *h = &row->hot[i];

		fprintf(out, "%s{\"path_id\": %u, \"share_pct\": %.2f, ", i ? ", " : "",
			h->node + 1, h->share_pct);
		json_stats(out, &h->st);
		fputc('}', out);
	}
	fprintf(out, "], \"more_paths\": %u", row->more_paths);
}
