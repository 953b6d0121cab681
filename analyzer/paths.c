/* paths.c - children lists and root-to-node stacks of the calling-context tree
 *
 * See paths.h.  Nodes are grouped by counting (one pass over the parent or
 * entry links), placing, then sorting each group: O(n log n), two arrays of
 * groups + 1 and n integers, whatever the depth.
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

/* qsort_r() comparators of node indices (`arg` is the profile).  By name:
 * known paths before cut ones, then by name, then by index (so equal names
 * keep a fixed order). */
static int cmp_by_name(const void *a, const void *b, void *arg)
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

/* Heaviest first: more inclusive time, then more calls, then the lower
 * index (the order of creation), so the order is total. */
static int cmp_heaviest(const void *a, const void *b, void *arg)
{
	const struct pp_profile *prof = arg;
	const struct pp_path *x = prof->paths[*(const uint32_t *)a];
	const struct pp_path *y = prof->paths[*(const uint32_t *)b];

	if (x->st.inclusive_ns != y->st.inclusive_ns)
		return x->st.inclusive_ns < y->st.inclusive_ns ? 1 : -1;
	if (x->st.calls != y->st.calls)
		return x->st.calls < y->st.calls ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The group of node p: its parent's index, npaths for a root or a parent
 * out of range (never made by the loader) (PATHS_BY_PARENT), or its entry. */
static size_t group_of(const struct pp_profile *prof, const struct pp_path *p,
		       enum paths_group by)
{
	if (by == PATHS_BY_ENTRY)
		return p->entry;
	return p->parent && p->parent <= prof->npaths ? p->parent - 1 : prof->npaths;
}

int paths_group(const struct pp_profile *prof, enum paths_group by, enum paths_order order,
		uint32_t **at, uint32_t **list)
{
	size_t n = prof->npaths, ngroups = by == PATHS_BY_ENTRY ? prof->nentries : n + 1;

	*at = calloc(ngroups + 1, sizeof(**at));
	*list = malloc((n ? n : 1) * sizeof(**list));
	if (!*at || !*list) {
		free(*at);
		free(*list);
		*at = *list = NULL;
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		(*at)[group_of(prof, prof->paths[i], by) + 1]++;
	for (size_t k = 0; k < ngroups; k++)
		(*at)[k + 1] += (*at)[k];
	/* fill with at[k] as the cursor of group k, then shift it back */
	for (size_t i = 0; i < n; i++)
		(*list)[(*at)[group_of(prof, prof->paths[i], by)]++] = (uint32_t)i;
	for (size_t k = ngroups; k > 0; k--)
		(*at)[k] = (*at)[k - 1];
	(*at)[0] = 0;
	for (size_t k = 0; k < ngroups; k++)
		if ((*at)[k + 1] - (*at)[k] > 1)
			qsort_r(*list + (*at)[k], (*at)[k + 1] - (*at)[k], sizeof(**list),
				order == PATHS_BY_NAME ? cmp_by_name : cmp_heaviest, (void *)prof);
	return 0;
}

int paths_tree_build(struct paths_tree *t, const struct pp_profile *prof)
{
	memset(t, 0, sizeof(*t));
	t->prof = prof;
	if (paths_group(prof, PATHS_BY_PARENT, PATHS_BY_NAME, &t->start, &t->child))
		return -1;
	t->n = prof->npaths;
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
