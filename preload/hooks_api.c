/* hooks_api.c - named records: regions, spans, endpoints
 *
 * The part of the hooks that the C API (api.c, request.c) calls: a region is
 * a frame on the thread's shadow stack whose record is a named one; a span or
 * an endpoint adds one call of a known duration.  Each call closes the
 * thread's gate like a hook (hooks.c), so a signal handler cannot tear it.
 */
#include <string.h>

#include "hooks.h"
#include "common/control.h"

/* ---- named records: regions, spans, endpoints ---- */

/* The calling thread with its gate closed and synced, or NULL when it
 * cannot record now (profiling off or disabled, no area, or called from a
 * signal handler that interrupted a hook: counted as dropped).  `sp` is the
 * caller's stack pointer; hk_end(t, *cp) ends it. */
static struct tls *api_begin(uintptr_t sp, uint32_t *cp)
{
	struct tls *t = &hooks_tls;
	uint32_t c;
	uint64_t g;

	if (likely(hk_gate_close(t, sp, &c))) {
		*cp = c;
		return t;
	}
	if (!(c & PPF_FLAG_ENABLED))
		return NULL;
	g = t->gate;		/* as the call found it */
	if ((g & GATE_HOOK) && hk_inside_handler(g, sp)) {
		hk_count_dropped();
		return NULL;
	}
	return hk_begin(t, g, HOOK_API, 0, 0, sp, 0, cp) ? t : NULL;
}

/* The record of `kind` named `name` in t's area, made on first use: looked
 * up by the pointer first (names are mostly literals), checked by content
 * (a buffer may hold another name now), then by content. */
static struct ppf_record *named_record(struct tls *t, unsigned kind, const char *name,
				       int by_pointer)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	const struct ppf_header *h = seg_header();
	const char *strtab = seg_ptr(h->strtab_off);
	uint64_t pkey = KEY_BY_POINTER(kind, name), nkey;
	struct ppf_record *r = NULL, *parent = t->depth ? t->stack[t->depth - 1].rec : NULL;
	struct slot *s;
	uint32_t off;

	if (parent == &t->dropped)
		parent = NULL;
	if (by_pointer) {
		s = rec_probe(t->tab, t->shift, a->mask, pkey, parent);
		if (s->key == pkey && !strcmp(strtab + s->rec->key, name))
			return s->rec;
	}
	off = seg_intern(name);
	if (!off)
		goto out;
	nkey = KEY_BY_NAME(kind, off);
	r = rec_node(a, t->area, kind, off, 0, nkey, parent);
	if (r && by_pointer) {
		s = rec_probe(a->tab, a->shift, a->mask, pkey, parent);
		if (s->key == pkey)
			s->rec = r;		/* the buffer holds another name now */
		else if (rec_table_insert(a, pkey, parent, r) < 0)
			r = NULL;
	}
out:
	t->tab = a->tab;
	t->shift = a->shift;
	if (!r)
		hk_count_dropped();
	return r;
}

void hooks_enable(int on)
{
	struct ppf_header *h = seg_header();

	if (!h)
		return;
	if (on)
		ppc_control_enable(h);
	else
		ppc_control_disable(h);
}

void hooks_clear(void)
{
	struct ppf_header *h = seg_header();
	struct tls *t;
	uint32_t c;

	if (!h)
		return;
	/* the generation first: area 0, then this thread's own area, are
	 * brought up to it below */
	ppc_control_clear(h);
	seg_process_lock();
	rec_clear_process_area();
	seg_process_unlock();
	t = api_begin((uintptr_t)__builtin_dwarf_cfa(), &c);
	if (t)
		hk_end(t, c);	/* the calling thread cleared its own area */
}

uint64_t hooks_now(void)
{
	return clock_now();
}

int hooks_region_begin(const char *name, unsigned flags, uintptr_t sp)
{
	uint32_t c;
	struct tls *t = name ? api_begin(sp, &c) : NULL;
	struct ppf_record *r;
	int rc = -1;

	if (!t)
		return -1;
	if (t->depth && t->stack[t->depth - 1].sp < sp) {
		/* frames left by a longjmp below us: as on entry */
		uint64_t now = clock_now();

		while (t->depth && t->stack[t->depth - 1].sp < sp)
			hk_abandon_top(t, now);
	}
	if (t->depth == 0)
		t->stack[-1].sp = sp + 16;
	if (t->overflow || (t->depth == hk_cap(t) && hk_grow_stack(t) < 0))
		goto out;
	r = named_record(t, PPF_KIND_REGION, name, 1);
	if (!r)
		goto out;
	if (flags & 1)
		sampler_read();
	t->stack[t->depth].rec = r;	/* before fn: hk_repair_stale tells a region by it */
	pp_sigfence();
	t->stack[t->depth].fn = (uintptr_t)r;
	pp_sigfence();
	push_rest(t, t->depth, r, (flags & 1) ? REGION_SITE_MEM : REGION_SITE, sp, 0);
	rc = 0;
out:
	hk_end(t, c);
	return rc;
}

int hooks_region_end(void)
{
	uint32_t c, d;
	struct tls *t = api_begin((uintptr_t)__builtin_dwarf_cfa(), &c);
	uint64_t now = clock_now();
	int rc = -1;

	if (!t)
		return -1;
	for (d = t->depth; d; d--)
		if (t->stack[d - 1].site == REGION_SITE || t->stack[d - 1].site == REGION_SITE_MEM)
			break;
	if (!d) {
		__atomic_fetch_add(&seg_header()->unmatched_exits, 1, __ATOMIC_RELAXED);
	} else {
		while (t->depth > d)
			hk_abandon_top(t, now);
		hk_pop_frame(t, &t->stack[d - 1], d, now, 0);
		rc = 0;
	}
	hk_end(t, c);
	return rc;
}

void hooks_libcall_begin(struct hooks_libcall *c)
{
	struct tls *t = &hooks_tls;
	uint32_t d;

	c->start = 0;
	if ((t->gate & GATE_HOOK) || !seg_made())
		return;
	d = t->depth;
	c->depth = d;
	c->top = d && t->stack ? t->stack[d - 1].fn : 0;
	c->start = clock_now();
}

/* One call of `dur` ns added to r, a record with no frame (a span's, an
 * endpoint's, a libc call's): lock-free once r and its page exist. */
static void add_call(struct tls *t, struct ppf_record *r, uint64_t dur)
{
	struct frame f = { .rec = r };
	unsigned b = ppf_bucket(dur);
	int have_page = r->pages[b >> PPF_SUB_BITS] ||
			rec_hist_page(t->area, r, b >> PPF_SUB_BITS);

	record_commit(&f, 1, dur, b, have_page, 0, pp_rss(), r->depth == 0);
}

void hooks_libcall_end(const struct hooks_libcall *c, const char *name)
{
	uint64_t now = clock_now(), dur;
	struct tls *t = &hooks_tls;
	struct ppf_record *r;
	uint32_t cw, d = c->depth;

	if (!c->start || (t->gate & GATE_HOOK))
		return;
	t = api_begin((uintptr_t)__builtin_dwarf_cfa(), &cw);
	if (!t)
		return;
	/* under the frame that made it, if it is still the top one (a
	 * handler's jump, or a thread set up by this very call, may have
	 * changed the stack: then the call is not recorded) */
	if (t->depth == d && (!d || t->stack[d - 1].fn == c->top)) {
		r = named_record(t, PPF_KIND_LIBCALL, name, 1);
		if (r) {
			dur = (int64_t)(now - c->start) > 0 ? clock_to_ns(now - c->start) : 0;
			add_call(t, r, dur);
			if (d)
				t->stack[d - 1].child_ns += dur;
		}
	}
	hk_end(t, cw);
}

int hooks_record_named(unsigned kind, const char *name, int by_pointer, uint64_t dur_ns,
		       int status, int slow)
{
	uint32_t c;
	struct tls *t = name ? api_begin((uintptr_t)__builtin_dwarf_cfa(), &c) : NULL;
	struct ppf_record *r;

	if (!t)
		return -1;
	r = named_record(t, kind, name, by_pointer);
	if (r) {
		add_call(t, r, dur_ns);	/* a call of its own: no callees */
		if (kind == PPF_KIND_ENDPOINT &&
		    r->size >= sizeof(*r) + sizeof(struct ppf_endpoint_tail)) {
			struct ppf_endpoint_tail *tail = (struct ppf_endpoint_tail *)(r + 1);
			unsigned cls = status >= 100 && status < 600 ? (unsigned)status / 100 : 0;
			uint64_t seq = r->seq;

			r->seq = seq + 1;
			pp_wmb();
			tail->status[cls]++;
			tail->slow += slow != 0;
			pp_wmb();
			r->seq = seq + 2;
		}
	}
	hk_end(t, c);
	return r ? 0 : -1;
}
