/* paths.h - walking the calling-context tree of a profile
 *
 * prof->paths lists the nodes parent-first with a parent link each; the
 * exports (folded stacks, SVG flame graph) need the other direction, every
 * node's children, and the nodes of one path from its root down.  A
 * paths_tree gives both without touching the profile: children lists in one
 * array (compressed rows), each list ordered by name so that the output
 * does not depend on the order the inputs were loaded in.
 */
#ifndef PARAPROF_PATHS_H
#define PARAPROF_PATHS_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "report.h"

/*
 * Node n's children are child[start[n]] .. child[start[n + 1] - 1] (indices
 * in prof->paths); the tree's roots are those of the virtual node
 * n = prof->npaths: first the nodes with a known path, then the cut ones
 * (pp_path.cut: shown under PP_MORE_PATHS), each group by name.
 */
struct paths_tree {
	const struct pp_profile *prof;
	size_t n;			/* prof->npaths */
	uint32_t *start;		/* n + 2 offsets into child[] */
	uint32_t *child;		/* n node indices */
};

enum paths_group { PATHS_BY_PARENT, PATHS_BY_ENTRY };
enum paths_order { PATHS_BY_NAME, PATHS_HEAVIEST };

/*
 * Groups the node indices 0..npaths-1 into *at (groups + 1 offsets) and
 * *list (npaths indices, malloc'ed, the caller frees both): group k is
 * list[at[k] .. at[k + 1]).  PATHS_BY_PARENT: a node's parent, npaths + 1
 * groups, the last the roots (a parent out of range counts as none);
 * PATHS_BY_ENTRY: a node's entry, nentries groups.  Each group ordered
 * PATHS_BY_NAME (known paths before cut ones, then by name, then index: the
 * entries' names must be set) or PATHS_HEAVIEST (more inclusive time, then
 * more calls, then lower index).  0, or -1 when memory runs out (*at and
 * *list NULL).
 */
int paths_group(const struct pp_profile *prof, enum paths_group by, enum paths_order order,
		uint32_t **at, uint32_t **list);

/* Builds the tree of prof->paths.  The entries' names must be set
 * (report_build() does it); a NULL name sorts first.  0, or -1 when memory
 * runs out (t is then empty and paths_tree_free() may still be called).
 * The tree points into prof, which must outlive it. */
int paths_tree_build(struct paths_tree *t, const struct pp_profile *prof);

/* Frees what paths_tree_build() allocated; t may be zeroed or half-built. */
void paths_tree_free(struct paths_tree *t);

/* The name of node `p`'s entry ("?" when it has none). */
const char *paths_name(const struct pp_profile *prof, const struct pp_path *p);

/* The value of node p in an export: its inclusive ns (WEIGHT_TOTAL), self
 * ns (WEIGHT_SELF) or calls (WEIGHT_CALLS); WEIGHT_DEFAULT means `dflt`,
 * the export's own default. */
uint64_t paths_value(const struct pp_path *p, enum report_weight w, enum report_weight dflt);

/* Fills nodes[] with the indices of the nodes from the root of node
 * `index`'s path down to it, and returns how many.  nodes holds cap
 * entries (prof->npaths always suffices); a longer chain (only a damaged
 * tree has one) keeps its cap nodes nearest to `index`. */
size_t paths_stack(const struct pp_profile *prof, uint32_t index, uint32_t *nodes,
		   size_t cap);

#endif /* PARAPROF_PATHS_H */
