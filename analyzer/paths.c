/* paths.c - children lists and root-to-node stacks of the calling-context tree
 *
 * See paths.h.  The children lists are built by counting (one pass over the
 * parent links), placing, then sorting each list by name: O(n log n), two
 * arrays of n + 2 and n integers, whatever the depth.
 */
#include <stdlib.h>
#include <string.h>

#include "paths.h"

const char *paths_name(const struct pp_profile *prof, const struct pp_path *p)
{
	const char *name = p->entry < prof->nentries ? prof->entries[p->entry]->name : NULL;

	return name ? name : "?";
}

uint64_t paths_value(const struct pp_path *p, enum report_weight w, enum report_weight dflt)
{
	switch (w == WEIGHT_DEFAULT ? dflt : w) {
	case WEIGHT_TOTAL: return p->st.inclusive_ns;
	case WEIGHT_SELF: return p->st.self_ns;
	case WEIGHT_CALLS: return p->st.calls;
	case WEIGHT_DEFAULT: break;
	}
	return 0;
}

/* qsort_r() comparator of node indices: known paths before cut ones, then
 * by name, then by index (so equal names keep a fixed order). */
static int cmp_nodes(const void *a, const void *b, void *arg)
{
	const struct pp_profile *prof = arg;
	const struct pp_path *x = prof->paths[*(const uint32_t *)a];
	const struct pp_path *y = prof->paths[*(const uint32_t *)b];
	int c;

	if (x->cut != y->cut)
		return x->cut ? 1 : -1;
	if ((c = strcmp(paths_name(prof, x), paths_name(prof, y))))
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

int paths_tree_build(struct paths_tree *t, const struct pp_profile *prof)
{
	size_t n = prof->npaths;
	uint32_t *fill;

	memset(t, 0, sizeof(*t));
	t->prof = prof;
	t->start = calloc(n + 2, sizeof(*t->start));
	t->child = malloc((n ? n : 1) * sizeof(*t->child));
	fill = calloc(n + 1, sizeof(*fill));
	if (!t->start || !t->child || !fill) {
		free(fill);
		paths_tree_free(t);
		return -1;
	}
	t->n = n;
	/* A parent out of range (never made by the loader) counts as a root. */
	for (size_t i = 0; i < n; i++) {
		uint32_t par = prof->paths[i]->parent;

		t->start[(par && par <= n ? par - 1 : n) + 1]++;
	}
	for (size_t i = 1; i < n + 2; i++)
		t->start[i] += t->start[i - 1];
	for (size_t i = 0; i < n; i++) {
		uint32_t par = prof->paths[i]->parent;
		size_t at = par && par <= n ? par - 1 : n;

		t->child[t->start[at] + fill[at]++] = (uint32_t)i;
	}
	free(fill);
	for (size_t i = 0; i <= n; i++)
		if (t->start[i + 1] - t->start[i] > 1)
			qsort_r(t->child + t->start[i], t->start[i + 1] - t->start[i],
				sizeof(*t->child), cmp_nodes, (void *)prof);
	return 0;
}

void paths_tree_free(struct paths_tree *t)
{
	free(t->start);
	free(t->child);
	memset(t, 0, sizeof(*t));
}

size_t paths_stack(const struct pp_profile *prof, uint32_t index, uint32_t *nodes,
		   size_t cap)
{
	size_t len = 0, k;
	uint32_t at = index + 1;

	/* Measured first, so that the array is filled root first; a chain
	 * longer than cap (a loop, in a damaged tree) stops there. */
	while (at && at <= prof->npaths && len < cap) {
		len++;
		at = prof->paths[at - 1]->parent;
	}
	for (k = len, at = index + 1; k > 0; k--) {
		nodes[k - 1] = at - 1;
		at = prof->paths[at - 1]->parent;
	}
	return len;
}
