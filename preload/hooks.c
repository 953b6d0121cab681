/* hooks.c - __cyg_profile_func_enter/exit: the shadow stack and the records
 *
 * Each thread owns a thread area of the segment (its records and histogram
 * pages) and, in private memory kept with that area, a shadow stack and an
 * open-addressing table from function address to record.  The steady state
 * of a call, once its function has been seen, takes no lock, allocates
 * nothing, makes no system call and divides nothing: enter is one compare of
 * the control word, a table probe and a frame push; exit is a compare, a
 * frame pop and a seqlock-guarded update of one record.  Everything unusual
 * (a new thread, a new function, an enable/disable/clear, a longjmp, a stack
 * overflow) sends the thread through the slow path once: the thread's
 * `ctl_seen` then differs from the control word until the slow path is done.
 *
 * Calls that never reach their exit hook (longjmp, C++ exceptions through
 * code without cleanups, pthread_exit, exit() deep in the stack) are found in
 * two ways.  On entry, by stack address: a callee's stack pointer at its
 * entry hook is below its caller's, or equal when gcc inlined the callee
 * (inlined bodies still call the hooks, from their host's frame), so a frame
 * whose stack pointer is strictly below the new one's can no longer be live.  On exit, by activation:
 * an exit belongs to the nearest frame with the same function and the same
 * call site (the return address, which both hooks receive; stack addresses
 * would not do, since gcc often tail-calls the exit hook from the epilogue),
 * and every frame above that one was left without its exit.  Such a frame is
 * counted as a call that ended when paraprof noticed, and as abandoned
 * (record.abandoned and header.abandoned_frames).
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define STACK_MAX 65536			/* frames per thread; deeper calls are counted */
#define TABLE_MIN 256			/* lookup slots to start with */
#define GOLDEN 0x9E3779B97F4A7C15ull
#define REGION_SITE 1			/* frame.site of a region (no return address is 1) */
#define REGION_SITE_MEM 3		/* ... that reads /proc/self/statm at its end */
#define KEY_BY_NAME(kind, off) ((uint64_t)(off) ^ ((uint64_t)(kind) << 56))
#define KEY_BY_POINTER(kind, p) ((uintptr_t)(p) ^ ((uint64_t)(kind) << 56) ^ (1ull << 63))
#define AREA_MAX 4096			/* >= any header.thread_cap we create */

struct frame {
	uintptr_t fn;			/* function address */
	uintptr_t site;			/* its return address: names the activation */
	uintptr_t sp;			/* the function's stack pointer at the entry hook */
	uint64_t start;			/* clock ticks at entry */
	uint64_t child_ns;		/* time in instrumented callees */
	struct ppf_record *rec;
};

struct slot {
	uintptr_t key;			/* function address (area 0: see process_key) */
	struct ppf_record *rec;
};

/* Private state of a thread area, kept with the area when a thread exits so
 * that the next thread that takes the area reuses it. */
struct area_priv {
	struct slot *tab;
	uint32_t mask;			/* slots - 1 */
	uint32_t count;			/* keys in tab */
	unsigned shift;			/* 64 - log2(slots) */
	struct frame *stack;		/* sentinel + STACK_MAX frames, touched as used */
};

enum { T_UNSET, T_READY, T_DROPPED };

struct tls {
	uint32_t ctl_seen;		/* *seg_ctl + 1 when the fast path may run, else 0 */
	uint32_t depth;			/* frames on the stack */
	struct frame *stack;
	struct slot *tab;
	unsigned shift;
	uint32_t overflow;		/* frames deeper than STACK_MAX now active */
	uint32_t enable_gen;		/* header.enable_gen the stack belongs to */
	unsigned area_idx;
	struct ppf_thread *area;
	int state;			/* T_* */
	int busy;			/* inside the slow path: calls from in there are ignored */
	struct ppf_record dropped;	/* private sink for functions with no record */
};

static __thread struct tls tls __attribute__((tls_model("initial-exec")));
static struct area_priv *priv;		/* [AREA_MAX], private memory */
static pthread_key_t exit_key;

static void *map_private(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The latest RSS sample (KiB): written by the sampler thread, read here. */
static inline uint64_t pp_rss(void)
{
	return __atomic_load_n(seg_rss, __ATOMIC_RELAXED);
}

/* ---- lookup tables ---- */

static inline struct slot *probe(struct slot *tab, unsigned shift, uint32_t mask, uintptr_t key)
{
	uint32_t i = (uint32_t)((key * GOLDEN) >> shift);

	while (tab[i].key != key && tab[i].key != 0)
		i = (i + 1) & mask;
	return &tab[i];
}

/* Makes the area's table, or doubles it.  Returns -1 when no memory could
 * be had (the table is then unchanged). */
static int table_grow(struct area_priv *a)
{
	uint32_t slots = a->tab ? (a->mask + 1) * 2 : TABLE_MIN;
	struct slot *tab = map_private(slots * sizeof(struct slot));
	unsigned shift = 64 - (unsigned)__builtin_ctz(slots);

	if (!tab)
		return -1;
	for (uint32_t i = 0; a->tab && i <= a->mask; i++)
		if (a->tab[i].key)
			*probe(tab, shift, slots - 1, a->tab[i].key) = a->tab[i];
	if (a->tab)
		munmap(a->tab, (a->mask + 1) * sizeof(struct slot));
	a->tab = tab;
	a->mask = slots - 1;
	a->shift = shift;
	return 0;
}

/* Inserts (key, rec) into the area's table, doubling it at half load.
 * Returns -1 when no memory could be had (the record then stays unreachable
 * from this table, and the caller counts the call as dropped). */
static int table_insert(struct area_priv *a, uintptr_t key, struct ppf_record *rec)
{
	if ((!a->tab || (a->count + 1) * 2 > a->mask + 1) && table_grow(a) < 0)
		return -1;
	struct slot *s = probe(a->tab, a->shift, a->mask, key);

	s->key = key;
	s->rec = rec;
	a->count++;
	return 0;
}

/* Makes a zeroed record of `kind` and `key` in `area` and links it in.
 * Returns NULL when the segment is full. */
static struct ppf_record *new_record(struct ppf_thread *area, unsigned kind, uint64_t key)
{
	/* an endpoint's record (area 0's, made by a fold) carries its tail */
	size_t size = sizeof(struct ppf_record) +
		      (kind == PPF_KIND_ENDPOINT ? sizeof(struct ppf_endpoint_tail) : 0);
	uint64_t off = seg_area_alloc(area, size, 8);
	struct ppf_record *r;

	if (!off)
		return NULL;
	r = seg_ptr(off);
	r->key = key;
	r->kind = (uint16_t)kind;
	r->size = (uint16_t)size;
	r->min_ns = UINT64_MAX;
	r->next = area->records;
	/* count first, then publish: a reader never walks more than the count */
	__atomic_store_n(&area->record_count, area->record_count + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&area->records, off, __ATOMIC_RELEASE);
	return r;
}

/* The calling thread's record for `fn`, made on first sight; &t->dropped
 * when none can be made (counted in header.dropped_functions). */
static struct ppf_record *lookup_slow(struct tls *t, uintptr_t fn)
{
	struct area_priv *a = &priv[t->area_idx];
	struct slot *s = probe(t->tab, t->shift, a->mask, fn);
	struct ppf_record *r;

	if (s->key == fn)
		return s->rec;
	t->busy = 1;
	r = new_record(t->area, PPF_KIND_FUNCTION, fn);
	if (r && table_insert(a, fn, r) == 0) {
		t->tab = a->tab;
		t->shift = a->shift;
		seg_cover(fn);
	} else {
		__atomic_fetch_add(&seg_header()->dropped_functions, 1, __ATOMIC_RELAXED);
		r = &t->dropped;
	}
	t->busy = 0;
	return r;
}

/* ---- histogram pages ---- */

/* Gives record `r` its histogram page `p`; returns the page number, or 0
 * when the segment is full (the sample is then counted in hist_dropped). */
static uint32_t hist_page(struct ppf_thread *area, struct ppf_record *r, unsigned p)
{
	uint64_t off;

	if (!seg_base || (char *)r < seg_base)
		return 0;		/* the private sink has no pages */
	off = seg_area_alloc(area, PPF_PAGE_BYTES, PPF_PAGE_BYTES);
	if (!off) {
		__atomic_fetch_add(&seg_header()->hist_dropped, 1, __ATOMIC_RELAXED);
		return 0;
	}
	__atomic_store_n(&r->pages[p], (uint32_t)(off / PPF_PAGE_BYTES), __ATOMIC_RELEASE);
	return (uint32_t)(off / PPF_PAGE_BYTES);
}

/* ---- recording a call ---- */

/* Adds a call of `dur` ns (histogram bucket `b`) to frame `f`'s record.
 * `have_page`: the record has the page of bucket `b` (else the call counts
 * as hist_dropped).  `depth` is the stack's depth before the frame was
 * popped.  The bucket itself goes into `pending`, and the previous pending
 * bucket into the histogram: its address is known long before `b` is, which
 * spares the pipeline a store it would wait for (see format.h).  No calls:
 * the exit hook inlines it. */
static inline __attribute__((always_inline)) void record_commit(struct frame *f, uint32_t depth,
								uint64_t dur, unsigned b,
								int have_page, int abandoned,
								uint64_t rss)
{
	struct ppf_record *r = f->rec;
	uint64_t self = dur > f->child_ns ? dur - f->child_ns : 0;
	uint64_t seq = r->seq;
	uint32_t pend = r->pending;

	if (depth >= 2)
		f[-1].child_ns += dur;
	r->seq = seq + 1;
	pp_wmb();
	if (likely(pend)) {
		pend--;
		((struct ppf_hist_page *)(seg_base + (uint64_t)r->pages[pend >> PPF_SUB_BITS] *
					  PPF_PAGE_BYTES))->count[pend & (PPF_SUB - 1)]++;
	}
	r->pending = have_page ? b + 1 : 0;
	r->hist_dropped += !have_page;
	r->calls++;
	r->sum_ns += dur;
	if (--r->depth == 0)
		r->inclusive_ns += dur;
	r->self_ns += self;
	if (dur < r->min_ns)
		r->min_ns = dur;
	if (dur > r->max_ns)
		r->max_ns = dur;
	r->rss_sum_kib += rss;
	if (rss > r->rss_max_kib)
		r->rss_max_kib = rss;
	if (unlikely(abandoned))
		r->abandoned++;
	pp_wmb();
	r->seq = seq + 2;
}

static inline uint64_t frame_ns(const struct frame *f, uint64_t now)
{
	uint64_t ticks = now - f->start;

	return (int64_t)ticks > 0 ? clock_to_ns(ticks) : 0;
}

/* Records the call of frame `f` ending at `now`, making its histogram page
 * when needed: the out-of-line path. */
static void __attribute__((noinline)) record_call(struct tls *t, struct frame *f, uint32_t depth,
						 uint64_t now, int abandoned)
{
	uint64_t dur = frame_ns(f, now);
	unsigned b = ppf_bucket(dur);
	uint32_t pg = f->rec->pages[b >> PPF_SUB_BITS];
	uint64_t rss = pp_rss();

	if (!pg)
		pg = hist_page(t->area, f->rec, b >> PPF_SUB_BITS);
	if (unlikely(f->site == REGION_SITE_MEM) && !abandoned)
		rss = sampler_read();		/* a region that asked for exact memory */
	record_commit(f, depth, dur, b, pg != 0, abandoned, rss);
}

/* Pops the top frame as a call that ended without its exit hook. */
static void abandon_top(struct tls *t, uint64_t now)
{
	uint32_t d = t->depth;

	t->depth = d - 1;
	record_call(t, &t->stack[d - 1], d, now, 1);
	__atomic_fetch_add(&seg_header()->abandoned_frames, 1, __ATOMIC_RELAXED);
}

/* Forgets the stack without counting it (frames that span a disable). */
static void drop_stack(struct tls *t)
{
	while (t->depth) {
		t->depth--;
		t->stack[t->depth].rec->depth--;
	}
	t->overflow = 0;
}

/* ---- threads ---- */

/* Gives the calling thread an area; returns 0 when it cannot record. */
static int thread_ready(struct tls *t)
{
	struct area_priv *a;
	unsigned idx;

	if (likely(t->state == T_READY))
		return 1;
	if (t->state == T_DROPPED)
		return 0;
	if (!seg_base)
		return 0;
	idx = seg_claim_area();
	if (!idx) {
		t->state = T_DROPPED;
		return 0;
	}
	a = &priv[idx];
	if (!a->stack) {
		a->stack = map_private((STACK_MAX + 1) * sizeof(struct frame));
		if (a->stack)
			a->stack[0].sp = UINTPTR_MAX;	/* below the stack: never left */
	}
	if (!a->tab && a->stack)
		table_grow(a);
	if (!a->stack || !a->tab) {
		seg_release_area(idx);
		t->state = T_DROPPED;
		return 0;
	}
	/* a reused area: its records were folded and zeroed; count them again */
	for (uint64_t off = seg_thread(idx)->records; off; off = ((struct ppf_record *)seg_ptr(off))->next)
		((struct ppf_record *)seg_ptr(off))->flags = 0;
	t->area_idx = idx;
	t->area = seg_thread(idx);
	t->stack = a->stack + 1;		/* t->stack[-1] is the sentinel */
	t->tab = a->tab;
	t->shift = a->shift;
	t->depth = 0;
	t->overflow = 0;
	t->dropped.min_ns = UINT64_MAX;
	t->enable_gen = seg_header()->enable_gen;
	/* fresh or folded: nothing recorded before the last clear is in it */
	__atomic_store_n(&t->area->cleared_gen, seg_header()->clear_gen, __ATOMIC_RELEASE);
	pthread_setspecific(exit_key, t);
	__atomic_store_n(&t->area->state, PPF_THREAD_ACTIVE, __ATOMIC_RELEASE);
	t->state = T_READY;
	return 1;
}

/* Area 0's record for (kind, key); the process lock is held. */
static struct ppf_record *process_record(unsigned kind, uint64_t key)
{
	struct area_priv *a = &priv[0];
	uintptr_t k = key ^ ((uint64_t)kind << 56);
	struct ppf_record *r;

	if (a->tab) {
		struct slot *s = probe(a->tab, a->shift, a->mask, k);

		if (s->key == k)
			return s->rec;
	}
	r = new_record(seg_thread(0), kind, key);
	if (r && table_insert(a, k, r) < 0)
		r = NULL;
	return r;
}

/* Adds record `r` into `m` (area 0).  Returns -1 when a histogram page for
 * `m` could not be had (the samples are then counted as dropped in `m`). */
static void merge_record(struct ppf_record *m, const struct ppf_record *r)
{
	m->seq++;
	pp_wmb();
	m->calls += r->calls;
	m->sum_ns += r->sum_ns;
	m->inclusive_ns += r->inclusive_ns;
	m->self_ns += r->self_ns;
	m->abandoned += r->abandoned;
	m->rss_sum_kib += r->rss_sum_kib;
	m->hist_dropped += r->hist_dropped;
	if (r->min_ns < m->min_ns)
		m->min_ns = r->min_ns;
	if (r->max_ns > m->max_ns)
		m->max_ns = r->max_ns;
	if (r->rss_max_kib > m->rss_max_kib)
		m->rss_max_kib = r->rss_max_kib;
	if (r->kind == PPF_KIND_ENDPOINT &&
	    r->size >= sizeof(*r) + sizeof(struct ppf_endpoint_tail) &&
	    m->size >= sizeof(*m) + sizeof(struct ppf_endpoint_tail)) {
		const struct ppf_endpoint_tail *src = (const void *)(r + 1);
		struct ppf_endpoint_tail *dst = (void *)(m + 1);

		for (unsigned i = 0; i < 6; i++)
			dst->status[i] += src->status[i];
		dst->slow += src->slow;
	}
	if (r->pending) {
		/* r's last call, not in its histogram yet: into m's */
		unsigned b = r->pending - 1;

		if (m->pages[b >> PPF_SUB_BITS] || hist_page(seg_thread(0), m, b >> PPF_SUB_BITS))
			((struct ppf_hist_page *)seg_ptr((uint64_t)m->pages[b >> PPF_SUB_BITS] *
							 PPF_PAGE_BYTES))->count[b & (PPF_SUB - 1)]++;
		else
			m->hist_dropped++;
	}
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		const struct ppf_hist_page *src;
		struct ppf_hist_page *dst;

		if (!r->pages[p])
			continue;
		src = seg_ptr((uint64_t)r->pages[p] * PPF_PAGE_BYTES);
		if (!m->pages[p] && !hist_page(seg_thread(0), m, p)) {
			for (unsigned i = 0; i < PPF_SUB; i++)
				m->hist_dropped += src->count[i];
			continue;
		}
		dst = seg_ptr((uint64_t)m->pages[p] * PPF_PAGE_BYTES);
		for (unsigned i = 0; i < PPF_SUB; i++)
			dst->count[i] += src->count[i];
	}
	pp_wmb();
	m->seq++;
}

/* Zeroes a record's statistics under its seqlock, setting `flags`; its
 * depth (frames still active) stays. */
static void zero_record(struct ppf_record *r, uint32_t flags)
{
	r->seq++;
	pp_wmb();
	r->flags = flags;
	r->calls = r->sum_ns = r->inclusive_ns = r->self_ns = r->abandoned = 0;
	r->rss_sum_kib = r->rss_max_kib = r->hist_dropped = r->max_ns = 0;
	r->min_ns = UINT64_MAX;
	r->pending = 0;
	if (r->kind == PPF_KIND_ENDPOINT && r->size >= sizeof(*r) + sizeof(struct ppf_endpoint_tail))
		memset(r + 1, 0, sizeof(struct ppf_endpoint_tail));
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		if (r->pages[p])
			memset(seg_ptr((uint64_t)r->pages[p] * PPF_PAGE_BYTES), 0, PPF_PAGE_BYTES);
	pp_wmb();
	r->seq++;
}

/* Zeroes a folded record and marks it so that readers skip it. */
static void reset_record(struct ppf_record *r)
{
	zero_record(r, PPF_REC_FOLDED);
	r->depth = 0;
}

/* Zeroes every record of `area` and marks it as following clear `gen`.  The
 * caller is the area's one writer (its thread, or the process lock's holder
 * for area 0).  Readers skip the area until cleared_gen says it is done. */
static void clear_area(struct ppf_thread *area, uint32_t gen)
{
	for (uint64_t off = area->records; off; off = ((struct ppf_record *)seg_ptr(off))->next) {
		struct ppf_record *r = seg_ptr(off);

		if (!(r->flags & PPF_REC_FOLDED))
			zero_record(r, 0);
	}
	__atomic_store_n(&area->cleared_gen, gen, __ATOMIC_RELEASE);
}

/* Brings area 0 up to the header's clear_gen; the process lock is held. */
static void clear_process_area(void)
{
	uint32_t gen = __atomic_load_n(&seg_header()->clear_gen, __ATOMIC_ACQUIRE);

	if (seg_thread(0)->cleared_gen != gen)
		clear_area(seg_thread(0), gen);
}

/*
 * Folds the area's records into area 0 and frees the area for the next
 * thread.  When a record cannot be folded (segment full) the area keeps its
 * data and is never reused: nothing recorded is lost.
 */
static void fold_area(struct tls *t)
{
	struct ppf_header *h = seg_header();
	struct ppf_thread *area = t->area;
	int complete = 1;

	/* an area that has not seen the last clear holds nothing to keep */
	int stale = area->cleared_gen != __atomic_load_n(&h->clear_gen, __ATOMIC_ACQUIRE);

	seg_process_lock();
	clear_process_area();
	__atomic_store_n(&h->fold_seq, h->fold_seq + 1, __ATOMIC_RELEASE);
	for (uint64_t off = area->records; off; off = ((struct ppf_record *)seg_ptr(off))->next) {
		struct ppf_record *r = seg_ptr(off), *m;

		if (r->flags & PPF_REC_FOLDED)
			continue;
		if (r->calls && !stale) {
			m = process_record(r->kind, r->key);
			if (!m) {
				complete = 0;
				continue;
			}
			merge_record(m, r);
		}
		reset_record(r);
	}
	__atomic_store_n(&h->fold_seq, h->fold_seq + 1, __ATOMIC_RELEASE);
	seg_process_unlock();
	if (complete)
		seg_release_area(t->area_idx);
}

/* Counts every frame still open on t's stack as abandoned, now (the thread
 * or the process is ending).  Leaves t busy, so the hooks ignore it. */
static void abandon_stack(struct tls *t)
{
	uint64_t now = clock_now();

	t->busy = 1;
	t->ctl_seen = 0;
	while (t->depth)
		abandon_top(t, now);
	t->overflow = 0;
}

/* pthread key destructor: the thread is exiting. */
static void thread_exit(void *arg)
{
	struct tls *t = arg;

	if (t != &tls || t->state != T_READY || !seg_base)
		return;
	abandon_stack(t);
	fold_area(t);
	t->state = T_UNSET;	/* a later call (another key's destructor) starts over */
	t->area = NULL;
	t->busy = 0;
}

/* ---- slow paths ---- */

/* Brings the thread up to date with the header: sets it up, drops a stack
 * that spans a disable (frames begun before an enable are not counted),
 * applies a clear.  Returns 0 when it cannot record. */
static int sync_thread(struct tls *t)
{
	struct ppf_header *h;
	uint32_t gen;

	if (unlikely(!seg_base) && init_segment() < 0)
		return 0;
	if (!thread_ready(t))
		return 0;
	h = seg_header();
	gen = __atomic_load_n(&h->enable_gen, __ATOMIC_ACQUIRE);
	if (gen != t->enable_gen) {
		drop_stack(t);
		t->enable_gen = gen;
	}
	gen = __atomic_load_n(&h->clear_gen, __ATOMIC_ACQUIRE);
	if (gen != t->area->cleared_gen) {
		clear_area(t->area, gen);
		if (seg_thread(0)->cleared_gen != gen) {
			seg_process_lock();
			clear_process_area();
			seg_process_unlock();
		}
	}
	return 1;
}

static inline __attribute__((always_inline)) void push(struct tls *t, struct ppf_record *r,
							uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	uint32_t d = t->depth;
	struct frame *f = &t->stack[d];

	r->depth++;
	f->fn = fn;
	f->site = site;
	f->sp = sp;
	f->rec = r;
	f->child_ns = 0;
	t->depth = d + 1;
	f->start = clock_now();
}

/* Entry of a function the thread's table has not seen (or that collides). */
static void __attribute__((noinline)) enter_miss(struct tls *t, uintptr_t fn, uintptr_t site,
						uintptr_t sp)
{
	push(t, lookup_slow(t, fn), fn, site, sp);
}

static void __attribute__((noinline)) enter_slow(struct tls *t, uint32_t c, uintptr_t fn,
						uintptr_t site, uintptr_t sp)
{
	if (t->busy)
		return;
	t->busy = 1;
	t->ctl_seen = 0;
	if (!sync_thread(t))
		goto out;
	if (t->depth && t->stack[t->depth - 1].sp < sp) {
		/* control came back above frames that never exited: longjmp */
		uint64_t now = clock_now();

		t->overflow = 0;
		while (t->depth && t->stack[t->depth - 1].sp < sp)
			abandon_top(t, now);
	}
	if (t->overflow || t->depth == STACK_MAX) {
		t->overflow++;
		__atomic_fetch_add(&seg_header()->stack_overflows, 1, __ATOMIC_RELAXED);
		goto out;
	}
	t->busy = 0;
	push(t, lookup_slow(t, fn), fn, site, sp);
out:
	t->busy = 0;
	if (t->state == T_READY && !t->overflow)
		t->ctl_seen = c + 1;
}

static void __attribute__((noinline)) exit_slow(struct tls *t, uint32_t c, uintptr_t fn,
					       uintptr_t site)
{
	uint64_t now = clock_now();
	uint32_t d;

	if (t->busy)
		return;
	t->busy = 1;
	t->ctl_seen = 0;
	if (!sync_thread(t))
		goto out;
	if (t->overflow) {
		t->overflow--;		/* one of the frames past the stack */
		goto out;
	}
	for (d = t->depth; d; d--)
		if (t->stack[d - 1].fn == fn && t->stack[d - 1].site == site)
			break;
	if (!d) {
		__atomic_fetch_add(&seg_header()->unmatched_exits, 1, __ATOMIC_RELAXED);
		goto out;
	}
	while (t->depth > d)
		abandon_top(t, now);	/* frames above it never saw their exit */
	t->depth--;
	record_call(t, &t->stack[t->depth], t->depth + 1, now, 0);
out:
	t->busy = 0;
	if (t->state == T_READY && !t->overflow)
		t->ctl_seen = c + 1;
}

/* ---- the hooks ---- */

PP_EXPORT void __cyg_profile_func_enter(void *this_fn, void *call_site);
PP_EXPORT void __cyg_profile_func_exit(void *this_fn, void *call_site);

void __cyg_profile_func_enter(void *this_fn, void *call_site)
{
	struct tls *t = &tls;
	uint32_t c = *seg_ctl;
	uintptr_t fn = (uintptr_t)this_fn, site = (uintptr_t)call_site;
	uintptr_t sp = (uintptr_t)__builtin_dwarf_cfa();
	uint32_t d;

	if (unlikely(c + 1 != t->ctl_seen)) {
		if (c & PPF_FLAG_ENABLED)
			enter_slow(t, c, fn, site, sp);
		return;
	}
	d = t->depth;
	/* a frame below our stack pointer was left by longjmp (with d == 0
	 * this reads the sentinel, whose sp is the top of memory) */
	if (unlikely(t->stack[(ptrdiff_t)d - 1].sp < sp || d == STACK_MAX)) {
		enter_slow(t, c, fn, site, sp);
		return;
	}
	struct slot *s = &t->tab[(fn * GOLDEN) >> t->shift];

	if (unlikely(s->key != fn)) {
		enter_miss(t, fn, site, sp);
		return;
	}
	push(t, s->rec, fn, site, sp);
}

void __cyg_profile_func_exit(void *this_fn, void *call_site)
{
	struct tls *t = &tls;
	uint32_t c = *seg_ctl;
	uintptr_t fn = (uintptr_t)this_fn, site = (uintptr_t)call_site;
	uint64_t now;
	uint32_t d;
	struct frame *f;

	if (unlikely(c + 1 != t->ctl_seen)) {
		if (c & PPF_FLAG_ENABLED)
			exit_slow(t, c, fn, site);
		return;
	}
	now = clock_now();
	d = t->depth;
	f = &t->stack[d - 1];
	if (unlikely(d == 0 || f->fn != fn || f->site != site)) {
		exit_slow(t, c, fn, site);
		return;
	}
	t->depth = d - 1;
	uint64_t dur = frame_ns(f, now);
	unsigned b = ppf_bucket(dur);

	if (unlikely(!f->rec->pages[b >> PPF_SUB_BITS])) {
		record_call(t, f, d, now, 0);	/* a new octave: make its page */
		return;
	}
	record_commit(f, d, dur, b, 1, 0, pp_rss());
}

/* ---- named records: regions, spans, endpoints ---- */

/* The calling thread's state, set up and current, or NULL when it cannot
 * record now (profiling off or disabled, no area, inside the library). */
static struct tls *api_thread(void)
{
	struct tls *t = &tls;
	uint32_t c = *seg_ctl;

	if (c + 1 == t->ctl_seen)
		return t;
	if (!(c & PPF_FLAG_ENABLED) || t->busy)
		return NULL;
	t->busy = 1;
	if (sync_thread(t) && !t->overflow)
		t->ctl_seen = c + 1;
	t->busy = 0;
	return t->state == T_READY ? t : NULL;
}

/* The record of `kind` named `name` in t's area, made on first use: looked
 * up by the pointer first (names are mostly literals), then by content. */
static struct ppf_record *named_record(struct tls *t, unsigned kind, const char *name,
				       int by_pointer)
{
	struct area_priv *a = &priv[t->area_idx];
	uint64_t pkey = KEY_BY_POINTER(kind, name), nkey;
	struct ppf_record *r;
	struct slot *s;
	uint32_t off;

	if (by_pointer) {
		s = probe(t->tab, t->shift, a->mask, pkey);
		if (s->key == pkey)
			return s->rec;
	}
	t->busy = 1;
	r = NULL;
	off = seg_intern(name);
	if (!off)
		goto out;
	nkey = KEY_BY_NAME(kind, off);
	s = probe(t->tab, t->shift, a->mask, nkey);
	if (s->key == nkey) {
		r = s->rec;
	} else {
		r = new_record(t->area, kind, off);
		if (!r || table_insert(a, nkey, r) < 0) {
			r = NULL;
			goto out;
		}
	}
	if (by_pointer && table_insert(a, pkey, r) < 0)
		r = NULL;
out:
	t->tab = a->tab;
	t->shift = a->shift;
	t->busy = 0;
	if (!r)
		__atomic_fetch_add(&seg_header()->dropped_functions, 1, __ATOMIC_RELAXED);
	return r;
}

void hooks_enable(int on)
{
	struct ppf_header *h = seg_header();

	if (!h)
		return;
	if (on) {
		__atomic_fetch_add(&h->enable_gen, 1, __ATOMIC_RELEASE);
		__atomic_fetch_or(&h->flags, PPF_FLAG_ENABLED, __ATOMIC_RELEASE);
		__atomic_fetch_add(&h->flags, PPF_FLAG_EPOCH_ONE, __ATOMIC_RELEASE);
	} else {
		__atomic_fetch_and(&h->flags, ~PPF_FLAG_ENABLED, __ATOMIC_RELEASE);
	}
}

void hooks_clear(void)
{
	struct ppf_header *h = seg_header();

	if (!h)
		return;
	__atomic_fetch_add(&h->clear_gen, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&h->flags, PPF_FLAG_EPOCH_ONE, __ATOMIC_RELEASE);
	seg_process_lock();
	clear_process_area();
	seg_process_unlock();
	api_thread();		/* the calling thread clears its own area now */
}

uint64_t hooks_now(void)
{
	return clock_now();
}

int hooks_region_begin(const char *name, unsigned flags, uintptr_t sp)
{
	struct tls *t = api_thread();
	struct ppf_record *r;
	uint32_t d;

	if (!t || !name)
		return -1;
	d = t->depth;
	if (t->stack[(ptrdiff_t)d - 1].sp < sp) {
		/* frames left by a longjmp below us: as on entry */
		uint64_t now = clock_now();

		while (t->depth && t->stack[t->depth - 1].sp < sp)
			abandon_top(t, now);
	}
	if (t->overflow || t->depth == STACK_MAX)
		return -1;
	r = named_record(t, PPF_KIND_REGION, name, 1);
	if (!r)
		return -1;
	if (flags & 1)
		sampler_read();
	push(t, r, (uintptr_t)r, (flags & 1) ? REGION_SITE_MEM : REGION_SITE, sp);
	return 0;
}

int hooks_region_end(void)
{
	struct tls *t = api_thread();
	uint64_t now = clock_now();
	uint32_t d;

	if (!t)
		return -1;
	for (d = t->depth; d; d--)
		if (t->stack[d - 1].site == REGION_SITE || t->stack[d - 1].site == REGION_SITE_MEM)
			break;
	if (!d) {
		__atomic_fetch_add(&seg_header()->unmatched_exits, 1, __ATOMIC_RELAXED);
		return -1;
	}
	while (t->depth > d)
		abandon_top(t, now);
	t->depth--;
	record_call(t, &t->stack[t->depth], t->depth + 1, now, 0);
	return 0;
}

struct ppf_record *hooks_named_record(unsigned kind, const char *name, int by_pointer)
{
	struct tls *t = api_thread();

	return t && name ? named_record(t, kind, name, by_pointer) : NULL;
}

void hooks_record_add(struct ppf_record *r, uint64_t dur_ns, int status, int slow)
{
	struct tls *t = &tls;
	struct frame f = { .rec = r };	/* a call of its own: no parent, no callees */
	unsigned b = ppf_bucket(dur_ns);
	int have_page = r->pages[b >> PPF_SUB_BITS] ||
			(t->area && hist_page(t->area, r, b >> PPF_SUB_BITS));

	r->depth++;
	record_commit(&f, 1, dur_ns, b, have_page, 0, pp_rss());
	if (r->kind == PPF_KIND_ENDPOINT && r->size >= sizeof(*r) + sizeof(struct ppf_endpoint_tail)) {
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

/* ---- set-up ---- */

void hooks_init(void)
{
	if (!priv) {
		priv = map_private(AREA_MAX * sizeof(*priv));
		pthread_key_create(&exit_key, thread_exit);
	}
}

void hooks_abandon_all(void)
{
	struct tls *t = &tls;

	if (t->state != T_READY || t->busy || !seg_base)
		return;
	abandon_stack(t);
	t->busy = 0;
}

void hooks_forget(void)
{
	struct tls *t = &tls;

	/* in the child after fork: every pointer into the parent's segment goes */
	for (unsigned i = 0; priv && i < AREA_MAX; i++) {
		if (priv[i].tab)
			munmap(priv[i].tab, (priv[i].mask + 1) * sizeof(struct slot));
		priv[i].tab = NULL;
		priv[i].count = 0;
	}
	t->ctl_seen = 0;
	t->depth = 0;
	t->overflow = 0;
	t->state = T_UNSET;
	t->area = NULL;
}

void hooks_quiesce(void)
{
}

void hooks_modules_changed(void)
{
}
