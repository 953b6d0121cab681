/* load_comp.c - the hooks' own cost taken out of a dump's figures
 *
 * The runtime measures, at start-up, what the hooks add (format.h:
 * thread_info[0].hook_self_ps and hook_call_ps, version >= 5):
 *   S  to the measured duration of an instrumented call (from the entry's
 *      clock read to the exit's), the "self" part;
 *   C  to its caller's time: both hooks whole, S included.
 * So, for a node of the calling-context tree (a record) with `calls` calls,
 * `outer` of them outermost frames (the ones inclusive_ns counts), and k
 * instrumented calls made directly by its frames:
 *   self'      = self - calls x S' - k x (C - S)
 *   inclusive' = inclusive - (what self and the children's inclusive lose)
 * and each call's duration (histogram, min, max) is moved down by the mean
 * its calls lose; nothing goes below zero.  Calls that re-entered the node
 * (recursion is folded onto it: calls - outer) count in k, as if the
 * function had made them itself (exact for direct recursion; for a cycle
 * through other functions a caller's share moves to the re-entered
 * function).
 *
 * S' is S less what of it a CPU that runs instructions out of order hides
 * under the call's own body: the hooks' instructions inside the call's
 * window have no dependence on the body, and a body as long as they run
 * them in its shadow.  Measured on the accuracy suite's leaves (README,
 * "Accuracy"): an empty function's calls lose all of S and its caller all
 * of C, a 31 ns leaf of independent work measures 31 ns raw (all of S
 * hidden) and costs its caller C - S.  So S' = S - min(S, b), b being the
 * node's own body per call as it reads with all of S taken out, and its
 * caller loses C - S + S' a call.  (A body bound by one chain of
 * latencies hides more, as the exit's clock read runs before the chain
 * ends: its time shows in its caller; README says by how much.)
 *
 * Only function records pay S and only function calls count in k: a
 * region's or a libc call's record has costs of its own that are not
 * measured.  A record cut from its path (past the cap) counts in no
 * ancestor's figures.
 *
 * Everything is computed before the records are merged, per dump, from the
 * records themselves; links that point nowhere make roots, and cycles
 * (untrusted input) leave their nodes' subtrees uncounted rather than loop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_priv.h"
#include "profile.h"
#include "search.h"

/* Calibration figures past this are not believed (picoseconds: 1 ms). */
#define COMP_MAX_PS 1000000000ull

/* Records are met list by list, newest first: collected with what the
 * computation needs, then sorted by offset. */
struct sort_item {
	uint64_t off, parent, calls, outer, self;
	uint16_t kind;
};

struct collect {
	struct sort_item *items;
	size_t n, cap;
};

static int collect_record(struct load_dump *d, uint32_t thread, uint64_t off, void *ctx)
{
	struct collect *k = ctx;
	const struct ppf_record *r = (const void *)(d->buf + off);

	(void)thread;
	if (r->flags & PPF_REC_FOLDED)
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024;
		void *p = realloc(k->items, cap * sizeof(*k->items));

		if (!p)
			return load_fail(d, "out of memory");
		k->items = p;
		k->cap = cap;
	}
	k->items[k->n++] = (struct sort_item){
		.off = off,
		.parent = (r->flags & PPF_REC_CUT) ? 0 : r->parent,
		.calls = r->calls,
		.outer = r->outer_calls < r->calls ? r->outer_calls : r->calls,
		.self = r->self_ns,
		.kind = r->kind,
	};
	return 0;
}

/* Index of the record at `off`, or -1: the offsets are sorted. */
static ptrdiff_t find(const struct load_comp *c, uint64_t off)
{
	size_t i = search_above(c->off, c->n, sizeof(*c->off), 0, off);

	return i && c->off[i - 1] == off ? (ptrdiff_t)(i - 1) : -1;
}

static int cmp_item(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* a * b / 1000 (picoseconds to nanoseconds), saturated. */
static uint64_t ps_mul(uint64_t a, uint64_t b)
{
	unsigned __int128 v = (unsigned __int128)a * b / 1000u;

	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/*
 * What node `it` loses (see the top): `direct` the outermost calls of its
 * function children, `below`
 * what its children's inclusive times lose.  The inclusive time loses its
 * own time's loss plus its children's, rounded once per node, so that a
 * node's own and its children's times add up to its inclusive time to the
 * ns, as they do raw.
 */
static void node_adj(const struct load_comp *c, const struct sort_item *it, uint64_t direct,
		     uint64_t below, struct load_comp_adj *a)
{
	int fn = it->kind == PPF_KIND_FUNCTION;
	uint64_t again = fn ? it->calls - it->outer : 0;
	uint64_t k = pp_sat_add(direct, again);
	uint64_t s = fn ? c->self_ps : 0, outside = c->call_ps - c->self_ps;

	if (s && it->calls) {
		/* the body a call reads with all of S out, ps: what hides S */
		__int128 body = ((__int128)it->self * 1000 - (__int128)it->calls * s -
				 (__int128)k * outside) / it->calls;

		s -= body <= 0 ? 0 : body >= (__int128)s ? s : (uint64_t)body;
	}
	a->self_ns = pp_sat_add(ps_mul(it->calls, s), ps_mul(k, outside));
	a->incl_ns = pp_sat_add(a->self_ns, below);
	/* every frame's duration: the same as inclusive's without recursion
	 * (with it, each inner frame's callees' hooks are counted once) */
	a->sum_ns = again ? pp_sat_add(a->incl_ns, ps_mul(again, s)) : a->incl_ns;
	/* the mean a call loses, rounded to the ns */
	if (it->calls)
		a->shift_ns = a->sum_ns / it->calls +
			      (a->sum_ns % it->calls >= (it->calls + 1) / 2);
}

int load_comp_figures(const struct load_dump *d, uint64_t *self_ps, uint64_t *call_ps)
{
	const struct ppf_header *h = d->h;
	const struct ppf_thread_info *info;

	*self_ps = *call_ps = 0;
	if (h->version < 5 || !h->thread_info_off || !h->thread_count)
		return 0;
	info = (const void *)(d->buf + h->thread_info_off);
	if (!info->hook_call_ps || info->hook_call_ps > COMP_MAX_PS ||
	    info->hook_self_ps > info->hook_call_ps)
		return 0;
	*self_ps = info->hook_self_ps;
	*call_ps = info->hook_call_ps;
	return 1;
}

int load_comp_build(struct load_dump *d, struct load_comp *c)
{
	struct collect k = { 0 };
	struct sort_item *items;
	uint64_t *direct = NULL, *below = NULL;
	uint32_t *pending = NULL, *queue = NULL;
	ptrdiff_t *par = NULL;
	struct load_dump walk;
	char err[256];
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (!load_comp_figures(d, &c->self_ps, &c->call_ps))
		return 0;

	/* a walk of its own: no notes (the merge's walk makes them) */
	walk = *d;
	walk.notes = NULL;
	walk.err = err;
	walk.errlen = sizeof(err);
	if (load_walk_all(&walk, collect_record, &k)) {
		snprintf(d->err, d->errlen, "%s", err);
		items = NULL;
		goto out;
	}
	size_t n = k.n;

	items = k.items;
	if (n > UINT32_MAX) {		/* (indices are 32-bit: no compensation) */
		rc = 0;
		goto out;
	}
	if (!(c->off = malloc((n + 1) * sizeof(*c->off))) ||
	    !(direct = calloc(n + 1, sizeof(*direct))) ||
	    !(below = calloc(n + 1, sizeof(*below))) ||
	    !(pending = calloc(n + 1, sizeof(*pending))) ||
	    !(queue = malloc((n + 1) * sizeof(*queue))) || !(par = malloc((n + 1) * sizeof(*par))) ||
	    !(c->adj = calloc(n + 1, sizeof(*c->adj))))
		goto oom;
	if (n)				/* (items is NULL when there is none) */
		qsort(items, n, sizeof(*items), cmp_item);
	for (size_t i = 0; i < n; i++)
		c->off[i] = items[i].off;
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		par[i] = items[i].parent ? find(c, items[i].parent) : -1;
		if (par[i] == (ptrdiff_t)i)
			par[i] = -1;
		if (par[i] >= 0)
			pending[par[i]]++;
	}

	/* children before parents: a node is done once all its children are
	 * (nodes on a cycle, and above one, never are: they are done after,
	 * with what they have, and add nothing upwards) */
	size_t head = 0, tail = 0;

	for (size_t i = 0; i < n; i++)
		if (!pending[i])
			queue[tail++] = (uint32_t)i;
	while (head < tail) {
		uint32_t i = queue[head++];
		ptrdiff_t p = par[i];

		node_adj(c, &items[i], direct[i], below[i], &c->adj[i]);
		if (p < 0)
			continue;
		if (items[i].kind == PPF_KIND_FUNCTION)
			direct[p] = pp_sat_add(direct[p], items[i].outer);
		below[p] = pp_sat_add(below[p], c->adj[i].incl_ns);
		if (--pending[p] == 0)
			queue[tail++] = (uint32_t)p;
	}
	for (size_t i = 0; i < n; i++)
		if (pending[i])		/* never queued: on or above a cycle */
			node_adj(c, &items[i], direct[i], below[i], &c->adj[i]);
	c->on = 1;
	rc = 0;
	goto out;
oom:
	load_fail(d, "out of memory");
out:
	if (rc)
		load_comp_free(c);
	free(k.items);
	free(direct);
	free(below);
	free(pending);
	free(queue);
	free(par);
	return rc;
}

const struct load_comp_adj *load_comp_find(const struct load_comp *c, uint64_t off)
{
	ptrdiff_t i;

	if (!c || !c->on)
		return NULL;
	i = find(c, off);
	return i < 0 ? NULL : &c->adj[i];
}

void load_comp_free(struct load_comp *c)
{
	free(c->off);
	free(c->adj);
	memset(c, 0, sizeof(*c));
}
