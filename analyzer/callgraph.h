/* callgraph.h - walking the calling-context tree: children, edges, names
 *
 * The loader leaves the tree as prof->paths[], each node knowing only its
 * parent.  A cg_tree adds what reading it needs: the children of each node
 * (heaviest first), the nodes of each entry, and from those the edges of
 * the call graph, an edge (caller, callee) summing every node of the
 * callee whose parent is a node of the caller, histograms merged exactly.
 * Since a function is on a path at most once, the nodes summed into one
 * edge never nest, so their inclusive times add up without overlap.
 *
 * A root node has no instrumented caller (main, a thread's start function,
 * a callback from code built without -finstrument-functions): its caller is
 * CG_ROOT, shown as CG_ROOT_NAME.  A cut node (calls past
 * PARAPROF_MAX_PATHS) has an unknown path: its caller is CG_MORE, shown as
 * PP_MORE_PATHS.
 */
#ifndef PARAPROF_CALLGRAPH_H
#define PARAPROF_CALLGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define CG_ROOT UINT32_MAX		/* peer of a root node: no instrumented caller */
#define CG_MORE (UINT32_MAX - 1)	/* peer of a cut node: its path is unknown */
#define CG_ROOT_NAME "[root]"

struct cg_tree {
	const struct pp_profile *prof;
	uint32_t *child_at;		/* npaths + 2 offsets into child: the children of
					   node i are child[child_at[i] .. child_at[i+1]),
					   the roots those of i = npaths */
	uint32_t *child;		/* node indices, each range heaviest first */
	uint32_t *node_at;		/* nentries + 1 offsets into node: the nodes of
					   entry e are node[node_at[e] .. node_at[e+1]) */
	uint32_t *node;			/* node indices, each range heaviest first */
};

/* One edge of the call graph, seen from one end: `peer` is the caller (or
 * the callee) of the function asked about. */
struct cg_edge {
	uint32_t peer;			/* index in entries[], CG_ROOT or CG_MORE */
	struct pp_entry st;		/* the calls of the callee through this edge,
					   histograms merged; st.hist is malloc'ed */
};

/* Builds the children and node lists of prof's tree ("heaviest" = most
 * inclusive time, then most calls, then lower index).  0, or -1 when memory
 * runs out (t is then empty; cg_tree_free() is still allowed).  The tree
 * points into prof, which must outlive it. */
int cg_tree_build(struct cg_tree *t, const struct pp_profile *prof);
void cg_tree_free(struct cg_tree *t);

/* The children (roots when node is CG_ROOT) and nodes of an entry. */
static inline const uint32_t *cg_children(const struct cg_tree *t, uint32_t node, size_t *n)
{
	size_t i = node == CG_ROOT ? t->prof->npaths : node;

	*n = t->child_at[i + 1] - t->child_at[i];
	return t->child + t->child_at[i];
}

static inline const uint32_t *cg_nodes(const struct cg_tree *t, uint32_t entry, size_t *n)
{
	*n = t->node_at[entry + 1] - t->node_at[entry];
	return t->node + t->node_at[entry];
}

/* The caller of path node `node`, as an edge's peer. */
uint32_t cg_caller_of(const struct cg_tree *t, uint32_t node);

/* The display name of a peer: the entry's name (names are set by
 * report_build()), CG_ROOT_NAME or PP_MORE_PATHS. */
const char *cg_peer_name(const struct pp_profile *prof, uint32_t peer);

/* Finds the entry called `name`: the one entry of exactly that name, else
 * the one whose name contains it; when no name as shown matches, the same
 * among the full C++ names (pp_entry.full_name).  0 with *entry set; -1 with a one-line
 * reason in err (no entry matches, or several do: it names a few). */
int cg_find(const struct pp_profile *prof, const char *name, uint32_t *entry, char *err,
	    size_t errlen);

/* The callers (callees 0) or callees (callees 1) of `entry`, heaviest first,
 * into *edges (malloc'ed, *n long; free with cg_edges_free()).  0, or -1
 * when memory runs out (*edges NULL, *n 0). */
int cg_edges(const struct cg_tree *t, uint32_t entry, int callees, struct cg_edge **edges,
	     size_t *n);
void cg_edges_free(struct cg_edge *edges, size_t n);

/* Writes the path of `node` ("main > a > c", names escaped for a
 * terminal) into buf, fitted to `width` bytes (at most size - 1): the
 * elements give way from the top ("... > a > c"), the leaf and its caller
 * stay, cut at the end ("... > a > lo...") when even they do not fit.
 * Returns buf (always NUL-terminated). */
char *cg_path_text(const struct cg_tree *t, uint32_t node, char *buf, size_t size,
		   size_t width);

#endif /* PARAPROF_CALLGRAPH_H */
