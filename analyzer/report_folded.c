/* report_folded.c - the calling-context tree as folded stacks
 *
 * Brendan Gregg's format, read by flamegraph.pl, inferno and speedscope:
 * one line per path node, "root;...;parent;name VALUE", the value by
 * --weight: the node's self time in ns (the default: these tools add a
 * stack's children into its width, so self values draw inclusive widths),
 * its inclusive time in ns (total: each line then stands alone, for grep
 * and diff, not for stacking) or its calls.  A cut node's unknown path is
 * PP_MORE_PATHS.  ';' separates frames and a newline ends the line, so in
 * a name a ';' is written ':' and a control character (newline, tab, DEL,
 * ...) '?'.  Nodes whose value is 0 are left out, as the tools would
 * ignore them.  Lines come depth-first, children by name.
 */
#include <stdlib.h>

#include "paths.h"
#include "report.h"

/* Writes `name` with ';' as ':' and control characters as '?'. */
static void folded_name(FILE *out, const char *name)
{
	if (!*name)
		name = "?";
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		fputc(*s == ';' ? ':' : *s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

int report_folded(FILE *out, const struct report *r)
{
	const struct pp_profile *prof = r->prof;
	struct paths_tree t;
	uint32_t *todo = NULL, *stack = NULL;
	size_t ntodo = 0;
	int rc = -1;

	if (paths_tree_build(&t, prof))
		return -1;
	/* One array of n holds the nodes still to visit (each is pushed once)
	 * and another the stack of the node printed. */
	todo = malloc((t.n ? t.n : 1) * sizeof(*todo));
	stack = malloc((t.n ? t.n : 1) * sizeof(*stack));
	if (!todo || !stack)
		goto out;
	for (uint32_t k = t.start[t.n + 1]; k > t.start[t.n]; k--)
		todo[ntodo++] = t.child[k - 1];
	while (ntodo) {
		uint32_t i = todo[--ntodo];
		const struct pp_path *p = prof->paths[i];
		uint64_t v = paths_value(p, r->opts->weight, WEIGHT_SELF);

		for (uint32_t k = t.start[i + 1]; k > t.start[i]; k--)
			todo[ntodo++] = t.child[k - 1];
		if (!v)
			continue;
		size_t len = paths_stack(prof, i, stack, t.n);

		if (prof->paths[stack[0]]->cut)
			fputs(PP_MORE_PATHS ";", out);
		for (size_t k = 0; k < len; k++) {
			if (k)
				fputc(';', out);
			folded_name(out, paths_name(prof, prof->paths[stack[k]]));
		}
		fprintf(out, " %llu\n", (unsigned long long)v);
	}
	rc = ferror(out) ? -1 : 0;
out:
	free(todo);
	free(stack);
	paths_tree_free(&t);
	return rc;
}
