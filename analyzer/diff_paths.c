/* diff_paths.c - call paths compared: the path nodes of each side matched
 * by the names along them
 *
 * A path is matched by the keys (kind, module basename, name) of its entries
 * from the root down, as entries are (diff.c): two runs' "main > parse >
 * tokenize" are the same path whatever the addresses.  The key of a node is
 * a 64-bit hash chained from its parent's (FNV-1a over the entry's key), with
 * its depth; a path's full name is only written out when it is printed
 * (diff_path_name()), so a deep tree costs no string per node.  Each node
 * gets a report_row of its own (its statistics are those of the calls made
 * along it) and a diff_row as entries do, its effect the change of its self
 * time.  The gate does not judge paths.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

/* A node's match key. */
struct path_key {
	uint64_t hash;
	uint32_t depth;
	uint32_t node;			/* index in the side's path rows */
};

static int cmp_key(const void *a, const void *b)
{
	const struct path_key *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return (x->node > y->node) - (x->node < y->node);
}

/* Side s's path nodes as rows, and their keys sorted; 0 or -1 (memory). */
static int side_paths(struct diff *d, int s, struct path_key **keys_out)
{
	const struct report *r = &d->side[s];
	const struct pp_profile *prof = r->prof;
	size_t np = prof->npaths;
	struct report_row *rows = calloc(np ? np : 1, sizeof(*rows));
	struct path_key *keys = malloc((np ? np : 1) * sizeof(*keys));
	uint64_t *hash = malloc((np ? np : 1) * sizeof(*hash));

	d->path_rows[s] = rows;
	*keys_out = keys;
	if (!rows || !keys || !hash) {
		free(hash);
		return -1;
	}
	for (size_t i = 0; i < np; i++) {
		struct pp_path *p = prof->paths[i];
		/* one report row per entry, in entry order (report_build()) */
		const struct report_row *er = &r->rows[p->entry];
		const char *slash = er->module ? strrchr(er->module, '/') : NULL;
		const char *mod = slash ? slash + 1 : er->module ? er->module : "";
		const char *name = er->e->full_name ? er->e->full_name : er->name;
		/* the loader keeps a parent before its children */
		uint64_t h = p->parent && p->parent <= i ? hash[p->parent - 1] :
			     p->cut ? fnv(FNV_OFFSET, PP_MORE_PATHS, sizeof(PP_MORE_PATHS)) :
			     FNV_OFFSET;
		uint16_t kind = er->e->kind;

		h = fnv(h, &kind, sizeof(kind));
		h = fnv(h, mod, strlen(mod) + 1);
		h = fnv(h, name, strlen(name) + 1);
		hash[i] = h;
		rows[i] = (struct report_row){ .e = &p->st, .name = er->name, .module = er->module };
		stats_compute(&p->st, &rows[i].st);
		keys[i] = (struct path_key){ h, p->depth, (uint32_t)i };
	}
	d->npath_rows[s] = np;
	free(hash);
	qsort(keys, np, sizeof(*keys), cmp_key);
	return 0;
}

/* Adds the path row (base b, new n; either NULL) to d->paths. */
static void add_path(struct diff *d, const struct report_row *b, const struct report_row *n)
{
	struct diff_row *row = &d->paths[d->npaths++];
	double alpha = 1 - d->dopts->confidence;
	const struct report_row *any = n ? n : b;
	int64_t sb = b ? (int64_t)(b->st.self_ns > INT64_MAX ? INT64_MAX : b->st.self_ns) : 0;
	int64_t sn = n ? (int64_t)(n->st.self_ns > INT64_MAX ? INT64_MAX : n->st.self_ns) : 0;

	*row = (struct diff_row){ b, n, any->name, any->e->kind, sn - sb, 1.0, 1.0, 0 };
	if (b && n) {
		row->p_slower = diff_mann_whitney(&b->e->hist, &n->e->hist, NULL);
		row->p_faster = diff_mann_whitney(&n->e->hist, &b->e->hist, NULL);
		row->verdict = row->p_slower < alpha ? 1 : row->p_faster < alpha ? -1 : 0;
	}
}

/* By |effect|, largest first; then matched before new before vanished. */
static int cmp_paths(const void *a, const void *b)
{
	const struct diff_row *x = a, *y = b;
	int gx = x->base && x->new ? 0 : x->new ? 1 : 2, gy = y->base && y->new ? 0 : y->new ? 1 : 2;

	if (diff_abs(x->effect_ns) != diff_abs(y->effect_ns))
		return diff_abs(x->effect_ns) < diff_abs(y->effect_ns) ? 1 : -1;
	return gx - gy;
}

int diff_paths_build(struct diff *d)
{
	struct path_key *k[2] = { NULL, NULL };
	size_t n[2];
	int rc = -1;

	if (side_paths(d, 0, &k[0]) || side_paths(d, 1, &k[1]))
		goto out;
	n[0] = d->npath_rows[0];
	n[1] = d->npath_rows[1];
	if (!(d->paths = malloc((n[0] + n[1] + 1) * sizeof(*d->paths))))
		goto out;
	for (size_t i = 0, j = 0; i < n[0] || j < n[1];) {
		int c = i == n[0] ? 1 : j == n[1] ? -1 :
			k[0][i].hash != k[1][j].hash ? (k[0][i].hash < k[1][j].hash ? -1 : 1) :
			k[0][i].depth != k[1][j].depth ? (k[0][i].depth < k[1][j].depth ? -1 : 1) : 0;

		if (c == 0)
			add_path(d, &d->path_rows[0][k[0][i++].node], &d->path_rows[1][k[1][j++].node]);
		else if (c < 0)
			add_path(d, &d->path_rows[0][k[0][i++].node], NULL);
		else
			add_path(d, NULL, &d->path_rows[1][k[1][j++].node]);
	}
	qsort(d->paths, d->npaths, sizeof(*d->paths), cmp_paths);
	rc = 0;
out:
	free(k[0]);
	free(k[1]);
	return rc;
}

void diff_paths_free(struct diff *d)
{
	free(d->paths);
	free(d->path_rows[0]);
	free(d->path_rows[1]);
	d->paths = NULL;
	d->path_rows[0] = d->path_rows[1] = NULL;
	d->npaths = d->npath_rows[0] = d->npath_rows[1] = 0;
}

const char *diff_path_name(const struct diff *d, const struct diff_row *row, char *buf,
			   size_t size)
{
	/* size >= DIFF_PATH_NAME_MIN: room for "... > " and a piece of name */
	int s = row->new ? 1 : 0;
	const struct report_row *rows = d->path_rows[s];
	const struct pp_profile *prof = d->side[s].prof;
	size_t node = (size_t)((row->new ? row->new : row->base) - rows);
	size_t pos = size - 1;

	buf[pos] = '\0';
	/* written from the leaf up, at the end of buf; what does not fit is
	 * "... > " */
	for (size_t steps = 0; steps <= prof->npaths; steps++) {
		const struct pp_path *p = prof->paths[node];
		const char *name = rows[node].name;
		size_t len = strlen(name);
		int more = p->parent || p->cut;
		size_t need = len + (more ? 3 : 0);

		if (steps == 0 && need + 10 > pos) {
			/* a leaf name longer than buf: its end, room kept for
			 * " > " and "... > " */
			size_t room = pos - 10 - (more ? 3 : 0);

			name += len - room;
			len = room;
			need = len + (more ? 3 : 0);
		}
		if (need + 10 > pos) {
			pos -= 6;
			memcpy(buf + pos, "... > ", 6);
			break;
		}
		pos -= len;
		memcpy(buf + pos, name, len);
		if (!more)
			break;
		pos -= 3;
		memcpy(buf + pos, " > ", 3);
		if (!p->parent) {	/* a cut node: its path above is not known */
			size_t l = strlen(PP_MORE_PATHS);

			if (l > pos)
				break;
			pos -= l;
			memcpy(buf + pos, PP_MORE_PATHS, l);
			break;
		}
		if (p->parent - 1 >= node)	/* parents come first: a loop cannot be */
			break;
		node = p->parent - 1;
	}
	return buf + pos;
}
