/* callgraph.c - walking the calling-context tree: children, edges, names
 *
 * Children and nodes per entry are two counting sorts of paths[] (by parent,
 * by entry: paths_group()) into offset arrays, each range sorted heaviest
 * first, so a tree of N nodes costs 8 N bytes more and no pointer per node.  An edge
 * query sorts the nodes of one entry (callers) or their children (callees)
 * by the peer they give, so its cost is that of those nodes, whatever the
 * size of the profile (--graph --top 0 asks for every entry's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgraph.h"
#include "escape.h"
#include "paths.h"

int cg_tree_build(struct cg_tree *t, const struct pp_profile *prof)
{
	memset(t, 0, sizeof(*t));
	t->prof = prof;
	if (paths_group(prof, PATHS_BY_PARENT, PATHS_HEAVIEST, &t->child_at, &t->child) ||
	    paths_group(prof, PATHS_BY_ENTRY, PATHS_HEAVIEST, &t->node_at, &t->node)) {
		cg_tree_free(t);
		return -1;
	}
	return 0;
}

void cg_tree_free(struct cg_tree *t)
{
	free(t->child_at);
	free(t->child);
	free(t->node_at);
	free(t->node);
	t->child_at = t->child = t->node_at = t->node = NULL;
}

uint32_t cg_caller_of(const struct cg_tree *t, uint32_t node)
{
	const struct pp_path *p = t->prof->paths[node];

	if (p->parent)
		return t->prof->paths[p->parent - 1]->entry;
	return p->cut ? CG_MORE : CG_ROOT;
}

const char *cg_peer_name(const struct pp_profile *prof, uint32_t peer)
{
	if (peer == CG_ROOT)
		return CG_ROOT_NAME;
	if (peer == CG_MORE)
		return PP_MORE_PATHS;
	return prof->entries[peer]->name ? prof->entries[peer]->name : "?";
}

#define FIND_LIST 4	/* names an ambiguity error lists */

/* Appends `text` (", " before it unless first) to err while it fits. */
static void list_name(char *err, size_t errlen, const char *text, int first)
{
	size_t at = strlen(err);

	if (at + 1 < errlen)
		snprintf(err + at, errlen - at, "%s%s", first ? "" : ", ", text);
}

/* The name of e that cg_find() compares: its name, or with `full` its full
 * C++ name (NULL when it has none apart from its name). */
static const char *find_name(const struct pp_entry *e, int full)
{
	if (!full)
		return e->name;
	return e->full_name && e->full_name != e->name ? e->full_name : NULL;
}

int cg_find(const struct pp_profile *prof, const char *name, uint32_t *entry, char *err,
	    size_t errlen)
{
	size_t exact = 0, partial = 0;
	uint32_t exact_at = 0, partial_at = 0;
	int full;

	/* the names as shown first; a full C++ name (cxxname.h) when none of
	 * them matches, so that a name copied from --full-names finds it too */
	for (full = 0; full < 2 && !exact && !partial; full++) {
		for (size_t i = 0; i < prof->nentries; i++) {
			const char *n = find_name(prof->entries[i], full);

			if (!n)
				continue;
			if (strcmp(n, name) == 0) {
				if (!exact++)
					exact_at = (uint32_t)i;
			} else if (strstr(n, name)) {
				if (!partial++)
					partial_at = (uint32_t)i;
			}
		}
	}
	full--;
	if (exact == 1 || (!exact && partial == 1)) {
		*entry = exact == 1 ? exact_at : partial_at;
		return 0;
	}
	if (!exact && !partial) {
		snprintf(err, errlen, "'%s': no function, region, span or endpoint has that name"
			 " or a name containing it", name);
		return -1;
	}
	size_t many = exact ? exact : partial, shown = 0;

	snprintf(err, errlen, "'%s' is ambiguous: %zu %s (", name, many,
		 exact ? "entries have that name" : "names contain it");
	for (size_t i = 0; i < prof->nentries && shown < FIND_LIST; i++) {
		const struct pp_entry *e = prof->entries[i];
		const char *n = find_name(e, full);
		int hit = n && (exact ? strcmp(n, name) == 0 : !!strstr(n, name));

		if (!hit)
			continue;
		if (exact && e->module >= 0) {
			char both[512];
			const char *path = prof->modules[e->module].path;

			snprintf(both, sizeof(both), "%s in %s", e->name, path);
			list_name(err, errlen, both, !shown++);
		} else {
			list_name(err, errlen, exact ? pp_kind_name(e->kind) : e->name, !shown++);
		}
	}
	if (many > shown)
		list_name(err, errlen, "...", 0);
	list_name(err, errlen, ")", 1);
	return -1;
}

/* Heaviest first, as cmp_nodes(), ties by the peer's name. */
static int cmp_edges(const void *a, const void *b, void *arg)
{
	const struct cg_edge *x = a, *y = b;

	if (x->st.inclusive_ns != y->st.inclusive_ns)
		return x->st.inclusive_ns < y->st.inclusive_ns ? 1 : -1;
	if (x->st.calls != y->st.calls)
		return x->st.calls < y->st.calls ? 1 : -1;
	return strcmp(cg_peer_name(arg, x->peer), cg_peer_name(arg, y->peer));
}

/* The peer a node gives an edge: its caller, or (callees) its own entry. */
struct peer_of {
	const struct cg_tree *t;
	int callees;
};

static uint32_t peer(const struct peer_of *po, uint32_t node)
{
	return po->callees ? po->t->prof->paths[node]->entry : cg_caller_of(po->t, node);
}

/* By peer, then by node: a qsort_r() comparator of node indices. */
static int cmp_by_peer(const void *a, const void *b, void *arg)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t px = peer(arg, x), py = peer(arg, y);

	if (px != py)
		return px < py ? -1 : 1;
	return x < y ? -1 : x > y;
}

int cg_edges(const struct cg_tree *t, uint32_t entry, int callees, struct cg_edge **edges,
	     size_t *n)
{
	const struct pp_profile *prof = t->prof;
	struct peer_of po = { t, callees };
	size_t nnodes, nitems = 0, nout = 0;
	const uint32_t *nodes = cg_nodes(t, entry, &nnodes);
	uint32_t *items;
	struct cg_edge *out = NULL;

	*edges = NULL;
	*n = 0;
	/* the nodes that make the edges: the entry's own (callers), or all
	 * their children (callees); grouped by peer, each group an edge */
	for (size_t i = 0; callees && i < nnodes; i++)
		nitems += t->child_at[nodes[i] + 1] - t->child_at[nodes[i]];
	if (!callees)
		nitems = nnodes;
	items = malloc((nitems ? nitems : 1) * sizeof(*items));
	if (!items)
		return -1;
	if (callees) {
		nitems = 0;
		for (size_t i = 0; i < nnodes; i++) {
			size_t nkids;
			const uint32_t *kids = cg_children(t, nodes[i], &nkids);

			memcpy(items + nitems, kids, nkids * sizeof(*items));
			nitems += nkids;
		}
	} else if (nitems) {
		memcpy(items, nodes, nitems * sizeof(*items));
	}
	if (nitems)
		qsort_r(items, nitems, sizeof(*items), cmp_by_peer, &po);
	/* at most one edge per item: room for all, given back below */
	out = malloc((nitems ? nitems : 1) * sizeof(*out));
	if (!out) {
		free(items);
		return -1;
	}
	for (size_t i = 0; i < nitems; i++) {
		const struct pp_path *p = prof->paths[items[i]];
		uint32_t who = peer(&po, items[i]);

		if (!nout || out[nout - 1].peer != who) {
			memset(&out[nout], 0, sizeof(*out));
			out[nout].peer = who;
			out[nout].st.kind = p->st.kind;
			out[nout].st.module = p->st.module;
			out[nout].st.offset = p->st.offset;
			out[nout].st.name = p->st.name;
			out[nout].st.min_ns = UINT64_MAX;
			nout++;
		}
		if (pp_entry_merge(&out[nout - 1].st, &p->st)) {
			free(items);
			cg_edges_free(out, nout);
			return -1;
		}
	}
	free(items);
	if (nout) {
		void *q = realloc(out, nout * sizeof(*out));

		if (q)
			out = q;
		qsort_r(out, nout, sizeof(*out), cmp_edges, (void *)prof);
	}
	*edges = out;
	*n = nout;
	return 0;
}

void cg_edges_free(struct cg_edge *edges, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(edges[i].st.hist.pages);
	free(edges);
}

/*
 * Path text.  A walk gives the elements of a node's path leaf first: the
 * node, its ancestors, and PP_MORE_PATHS above a cut root.  The elements
 * next to the leaf say the most (the leaf is the function the line is
 * about, its callers where it was called from; the top is mostly main or a
 * thread's start), so a path too long gives way from the top: "... > "
 * and the longest suffix that fits.  The text is written from its end
 * backwards, so that a path thousands of nodes deep needs no array: one
 * walk measures, one picks the suffix, one writes.
 */
#define SEP " > "
#define SEP_LEN 3
#define DOTS "..."
#define DOTS_LEN 3
#define ELEMENT_MAX 256		/* bytes of an escaped element kept (any longer is
				   cut, and is longer than a line anyway) */

struct walk {
	const struct pp_profile *prof;
	uint32_t node;			/* next node, CG_ROOT when the nodes are done */
	int more;			/* PP_MORE_PATHS still to give */
};

static const char *walk_next(struct walk *w)
{
	if (w->node != CG_ROOT) {
		const struct pp_path *p = w->prof->paths[w->node];

		w->node = p->parent ? p->parent - 1 : CG_ROOT;
		w->more = !p->parent && p->cut;
		return cg_peer_name(w->prof, p->entry);
	}
	if (w->more) {
		w->more = 0;
		return PP_MORE_PATHS;
	}
	return NULL;
}

/* The escaped form of `name` in buf; returns its length. */
static size_t escaped(char buf[ELEMENT_MAX], const char *name)
{
	return strlen(esc_str(buf, ELEMENT_MAX, name));
}

/* Cuts the text in buf to `width` bytes, its end replaced by "..." and not
 * inside a UTF-8 sequence. */
static void cut_to(char *buf, size_t width)
{
	size_t at = width > DOTS_LEN ? width - DOTS_LEN : 0;

	if (strlen(buf) <= width)
		return;
	while (at > 0 && (buf[at] & 0xc0) == 0x80)
		at--;
	memcpy(buf + at, DOTS, DOTS_LEN + 1);
}

char *cg_path_text(const struct cg_tree *t, uint32_t node, char *buf, size_t size,
		   size_t width)
{
	struct walk w = { t->prof, node, 0 };
	char el[ELEMENT_MAX];
	const char *name;
	size_t count = 0, total = 0, len;

	if (width >= size)
		width = size - 1;
	while ((name = walk_next(&w)))
		total += escaped(el, name) + (count++ ? SEP_LEN : 0);
	size_t keep = count, suffix = total, prefix = 0;

	if (total > width) {
		/* "... > " and the longest suffix that fits */
		size_t room = width > DOTS_LEN + SEP_LEN ? width - DOTS_LEN - SEP_LEN : 0;

		w = (struct walk){ t->prof, node, 0 };
		keep = suffix = 0;
		while ((name = walk_next(&w)) && keep + 1 < count) {
			len = escaped(el, name) + (keep ? SEP_LEN : 0);
			if (suffix + len > room)
				break;
			suffix += len;
			keep++;
		}
		prefix = DOTS_LEN + SEP_LEN;
	}
	if (keep < 2 && keep < count) {
		/* not even the leaf and its caller: both (after "... > " when
		 * more is above), the end cut */
		char two[DOTS_LEN + 2 * SEP_LEN + 2 * ELEMENT_MAX];
		size_t at = 0;

		w = (struct walk){ t->prof, node, 0 };
		const char *leaf = walk_next(&w), *caller = walk_next(&w);

		if (count > 2) {
			memcpy(two, DOTS SEP, DOTS_LEN + SEP_LEN);
			at = DOTS_LEN + SEP_LEN;
		}
		if (caller) {
			at += escaped(two + at, caller);
			memcpy(two + at, SEP, SEP_LEN);
			at += SEP_LEN;
		}
		escaped(two + at, leaf);
		cut_to(two, width);
		memcpy(buf, two, strlen(two) + 1);
		return buf;
	}
	size_t at = prefix + suffix;

	buf[at] = '\0';
	w = (struct walk){ t->prof, node, 0 };
	for (size_t i = 0; i < keep; i++) {
		len = escaped(el, walk_next(&w));
		at -= len;
		memcpy(buf + at, el, len);
		if (i + 1 < keep || prefix) {
			at -= SEP_LEN;
			memcpy(buf + at, SEP, SEP_LEN);
		}
	}
	if (prefix)
		memcpy(buf, DOTS, DOTS_LEN);
	return buf;
}
