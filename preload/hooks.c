/* hooks.c - __cyg_profile_func_enter/exit: the shadow stack of each thread
 *
 * Each thread owns a thread area of the segment (record.c) and, in private
 * memory kept with it, a shadow stack of frames.  The steady state of a call,
 * once its function has been seen, takes no lock, allocates nothing, makes no
 * system call and divides nothing: enter compares the control word, probes a
 * table and pushes a frame; exit compares, pops and updates one record under
 * its seqlock.  Everything unusual (a new thread or function, an enable,
 * disable or clear, a longjmp, a full stack, a signal handler's call) goes
 * through a slow path.
 *
 * The gate.  A thread's `gate` is the control word + 1 while its fast path may
 * run, and the complement of the hook's stack pointer while one of its hooks
 * runs.  So a signal handler that interrupts a hook finds the gate
 * closed: its calls go onto a small stack of their own (struct nest) and are
 * queued, and the interrupted hook adds them to their records when it ends;
 * nothing a handler does can tear what the hook was writing.  A handler that
 * leaves by siglongjmp never lets that hook end: the next hook of the thread
 * finds the gate closed at a stack pointer below its own (the interrupted
 * hook's frame is gone) and repairs what was cut short (repair_stale): every
 * step of a hook is ordered so that its state tells how far it got.  A
 * thread that exits the process (seg_finish) waits, through the gates, until
 * no other thread is inside a hook (hooks_quiesce).
 *
 * Calls that never reach their exit hook (longjmp, C++ exceptions through
 * code without cleanups, pthread_exit, exit() deep in the stack) are found in
 * two ways.  On entry, by stack address: a callee's stack pointer at its entry
 * hook is below its caller's, or equal when gcc inlined it, so a frame whose
 * stack pointer is strictly below the new one's can no longer be live.  On
 * exit, by function: an exit closes the top frame when it is of the same
 * function, whatever call site it reports (gcc's partial inlining enters a
 * function in its caller and leaves it from a .part clone, which report
 * different sites); otherwise the nearest frame of the same function and call
 * site, and every frame above it was left without its exit.  Such a frame is
 * counted as a call that ended when paraprof noticed, and as abandoned.
 *
 * A raw clone() child that shares its parent's memory and thread pointer
 * would share its state: a hook whose stack pointer is more than SP_JUMP away
 * from the top frame's checks its thread id in the slow path, and a stranger
 * records nothing (counted in header.dropped_functions).
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define STACK_INIT 65536		/* frames a stack holds at first; then doubled */
#define SP_JUMP (1ull << 20)		/* farther from the top frame: check the thread */
#define SP_BELOW (64u << 10)		/* an exit hook may run this far below its entry */
#define NEST_FRAMES 256			/* a handler's frames while its thread was in a hook */
#define NEST_QUEUE 4096			/* calls it ended before the hook could add them */
#define REGION_SITE 1			/* frame.site of a region (no return address is 1) */
#define UNKNOWN_SITE 2			/* ... of a frame rebuilt by repair_stale */
#define REGION_SITE_MEM 3		/* ... of a region that reads /proc/self/statm at its end */
#define KEY_BY_NAME(kind, off) ((uint64_t)(off) ^ ((uint64_t)(kind) << 56))
#define KEY_BY_POINTER(kind, p) ((uintptr_t)(p) ^ ((uint64_t)(kind) << 56) ^ (1ull << 63))

/* While a hook runs, the gate is the complement of its stack pointer: its
 * top bit (GATE_HOOK) is then set, as no stack is in the upper half. */
#define GATE_HOOK (1ull << 63)		/* a hook of the thread is running */
#define GATE_SP(g) ((uintptr_t)~(g))
#define gate_of(sp) (~(uint64_t)(sp))

enum { HOOK_ENTER = 1, HOOK_EXIT, HOOK_API };

/* Orders a thread's stores against its own signal handlers: the compiler
 * must not move them across (the CPU keeps a thread's program order). */
#define pp_sigfence() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/* A call that a signal handler made and ended while its thread was inside a
 * hook: added to its record when that hook ends (flush_nested). */
struct nest_call {
	uintptr_t fn;
	uint64_t dur_ns, self_ns, rss_kib;
	uint32_t outermost;		/* no frame of fn below it on the handler's stack */
	uint32_t abandoned;
};

struct nest {
	uint32_t depth, overflow;
	uint32_t busy;			/* a handler's hook is running: a second signal's are dropped */
	uint32_t head;			/* next call to flush: written by the flusher only */
	uint32_t tail;			/* next free entry: written by handlers only */
	struct ppf_record *cur;		/* record a flush is adding to, NULL = none */
	uint64_t cur_seq;		/* its seq before */
	struct frame frames[NEST_FRAMES];
	struct nest_call q[NEST_QUEUE];
};

enum { T_UNSET, T_READY, T_DROPPED };

struct tls {
	uint64_t gate;			/* see the top of this file */
	uint32_t depth;			/* frames on the stack */
	uint32_t cap;			/* frames the stack holds (0: no stack yet) */
	struct frame *stack;		/* stack[-1] is a sentinel */
	struct slot *tab;
	unsigned shift;
	uint32_t overflow;		/* frames past a stack that could not grow, now active */
	uint32_t nested;		/* handlers queued calls since the last flush */
	uint32_t jumped;		/* a longjmp or siglongjmp left frames (wrap.c) */
	uint32_t enable_gen;		/* header.enable_gen the stack belongs to */
	uint32_t module_gen;		/* module_gen the table was checked at */
	uint32_t tid;			/* kernel thread id, 0 until the thread is set up */
	unsigned area_idx;
	struct ppf_thread *area;
	int state;			/* T_* */
	struct nest *nest;		/* made the first time a handler needs it */
	struct ppf_record dropped;	/* private sink for functions with no record */
};

/* The sentinel of a thread with no stack: an sp of 0 sends every entry to
 * the slow path, and cap 0 does the same before it is read. */
static struct frame no_stack[1];

static __thread struct tls tls __attribute__((tls_model("initial-exec"))) = {
	.stack = &no_stack[1],
};
static pthread_key_t exit_key;
static uint32_t module_gen;		/* hooks_modules_changed() calls */

static void api_end(struct tls *t, uint32_t c);

/* The latest RSS sample (KiB), published by the sampler. */
static inline uint64_t pp_rss(void)
{
	return __atomic_load_n(seg_rss, __ATOMIC_RELAXED);
}

static void count_dropped(void)
{
	if (seg_base)
		__atomic_fetch_add(&seg_header()->dropped_functions, 1, __ATOMIC_RELAXED);
}

/* ---- records ---- */

/* The calling thread's record for `fn`, made on first sight; &t->dropped
 * when none can be made (counted in header.dropped_functions). */
static struct ppf_record *lookup_slow(struct tls *t, uintptr_t fn)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	struct slot *s = rec_probe(t->tab, t->shift, a->mask, fn);
	struct ppf_record *r;

	if (s->key == fn)
		return s->rec;
	r = rec_new(t->area, PPF_KIND_FUNCTION, fn, seg_cover(fn));
	if (r && rec_table_insert(a, fn, r) == 0) {
		t->tab = a->tab;
		t->shift = a->shift;
	} else {
		count_dropped();
		r = &t->dropped;
	}
	return r;
}

/*
 * Adds a call of `dur` ns (histogram bucket `b`) to frame `f`'s record.
 * `have_page`: the record has the page of bucket `b` (else the call counts
 * as hist_dropped); `outermost`: no other frame of the function is active
 * below it.  The bucket goes into `pending`, and the previous pending bucket
 * into the histogram: its address is known long before `b` is (format.h).
 *
 * The order is what repair_stale() reads when a handler's siglongjmp cut it
 * short: seq turns odd, then the frame is marked (site 0), then the
 * histogram, and `calls` last before seq turns even; until `calls` the
 * buckets + pending + hist_dropped count at most one call more than calls.
 */
static inline __attribute__((always_inline)) void record_commit(struct frame *f, uint32_t depth,
								uint64_t dur, unsigned b,
								int have_page, int abandoned,
								uint64_t rss, int outermost)
{
	struct ppf_record *r = f->rec;
	uint64_t self = dur > f->child_ns ? dur - f->child_ns : 0;
	uint64_t seq = r->seq;
	uint32_t pend = r->pending;

	r->seq = seq + 1;
	pp_wmb();
	f->site = 0;
	pp_sigfence();
	if (depth >= 2)
		f[-1].child_ns += dur;
	if (likely(pend)) {
		pend--;
		((struct ppf_hist_page *)(seg_base + (uint64_t)r->pages[pend >> PPF_SUB_BITS] *
					  PPF_PAGE_BYTES))->count[pend & (PPF_SUB - 1)]++;
	}
	pp_sigfence();
	r->pending = have_page ? b + 1 : 0;
	r->hist_dropped += !have_page;
	r->sum_ns += dur;
	if (outermost)
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
	pp_sigfence();
	r->calls++;
	pp_wmb();
	r->seq = seq + 2;
}

static inline uint64_t frame_ns(const struct frame *f, uint64_t now)
{
	uint64_t ticks = now - f->start;

	return (int64_t)ticks > 0 ? clock_to_ns(ticks) : 0;
}

/* Records the top frame `f` (the stack held `depth` frames) as a call ending
 * at `now` and pops it; makes its histogram page when needed. */
static void __attribute__((noinline)) pop_frame(struct tls *t, struct frame *f, uint32_t depth,
					       uint64_t now, int abandoned)
{
	uint64_t dur = frame_ns(f, now);
	unsigned b = ppf_bucket(dur);
	struct ppf_record *r = f->rec;
	uint32_t pg = r->pages[b >> PPF_SUB_BITS];
	uint64_t rss = pp_rss();
	uint32_t rd = r->depth - 1;
	int saved_errno = errno;

	if (!pg && t->area)
		pg = rec_hist_page(t->area, r, b >> PPF_SUB_BITS);
	if (unlikely(f->site == REGION_SITE_MEM) && !abandoned)
		rss = sampler_read();		/* a region that asked for exact memory */
	r->depth = rd;
	record_commit(f, depth, dur, b, pg != 0, abandoned, rss, rd == 0);
	pp_sigfence();
	f->fn = 0;
	t->depth = depth - 1;
	errno = saved_errno;
}

/* Pops the top frame as a call that ended without its exit hook. */
static void abandon_top(struct tls *t, uint64_t now)
{
	pop_frame(t, &t->stack[t->depth - 1], t->depth, now, 1);
	__atomic_fetch_add(&seg_header()->abandoned_frames, 1, __ATOMIC_RELAXED);
}

/* Forgets the stack without counting it (frames that span a disable). */
static void drop_stack(struct tls *t)
{
	while (t->depth) {
		struct frame *f = &t->stack[--t->depth];

		f->rec->depth--;
		f->site = 0;
		f->fn = 0;
	}
	t->overflow = 0;
}

/* Doubles the stack (private memory), in place when the address space
 * allows, else into a new mapping.  The old one then stays mapped (its
 * frames copied): a hook that a signal handler interrupted may still hold a
 * pointer into it, and a store there must not fault.  The stacks of a
 * thread never take more than twice their last size.  Returns -1 when no
 * memory can be had. */
static int grow_stack(struct tls *t)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	size_t old = ((size_t)a->cap + 1) * sizeof(struct frame);
	size_t len = old * 2 - sizeof(struct frame);
	void *p = mremap(a->stack, old, len, 0);

	if (p == MAP_FAILED) {
		p = rec_map(len);
		if (!p)
			return -1;
		memcpy(p, a->stack, old);
	}
	a->stack = p;
	a->cap *= 2;
	t->stack = a->stack + 1;
	t->cap = a->cap;
	return 0;
}

/* ---- threads ---- */

/* Gives the calling thread an area; returns 0 when it cannot record. */
static int thread_ready(struct tls *t)
{
	struct area_priv *a;
	unsigned idx;

	if (likely(t->state == T_READY))
		return 1;
	if (t->state == T_DROPPED || !seg_base)
		return 0;
	idx = seg_claim_area();
	if (!idx) {
		t->state = T_DROPPED;
		return 0;
	}
	a = &rec_priv[idx];
	if (!a->stack) {
		a->stack = rec_map((STACK_INIT + 1) * sizeof(struct frame));
		a->cap = STACK_INIT;
	}
	if (!a->tab && a->stack)
		rec_table_grow(a);
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
	t->stack[-1].sp = 0;
	t->cap = a->cap;
	t->tab = a->tab;
	t->shift = a->shift;
	t->depth = 0;
	t->overflow = 0;
	t->tid = t->area->tid;
	t->module_gen = __atomic_load_n(&module_gen, __ATOMIC_ACQUIRE);
	t->dropped.min_ns = UINT64_MAX;
	t->enable_gen = seg_header()->enable_gen;
	/* fresh or folded: nothing recorded before the last clear is in it */
	__atomic_store_n(&t->area->cleared_gen, seg_header()->clear_gen, __ATOMIC_RELEASE);
	pthread_setspecific(exit_key, t);
	__atomic_store_n(&a->owner, t, __ATOMIC_RELEASE);
	__atomic_store_n(&t->area->state, PPF_THREAD_ACTIVE, __ATOMIC_RELEASE);
	t->state = T_READY;
	return 1;
}

/* Brings the thread up to date with the header: sets it up, drops a stack
 * that spans a disable (frames begun before an enable are not counted),
 * applies a clear, forgets functions of unloaded modules.  Returns 0 when
 * it cannot record. */
static int sync_thread(struct tls *t)
{
	struct ppf_header *h;
	uint32_t gen;

	if (unlikely(!seg_base) && init_segment() < 0)
		return 0;
	if (!thread_ready(t))
		return 0;
	t->cap = rec_priv[t->area_idx].cap;	/* 0 when a handler queued calls */
	h = seg_header();
	gen = __atomic_load_n(&h->enable_gen, __ATOMIC_ACQUIRE);
	if (gen != t->enable_gen) {
		drop_stack(t);
		t->enable_gen = gen;
	}
	gen = __atomic_load_n(&h->clear_gen, __ATOMIC_ACQUIRE);
	if (gen != t->area->cleared_gen) {
		rec_clear_area(t->area, gen);
		if (seg_thread(0)->cleared_gen != gen) {
			seg_process_lock();
			rec_clear_process_area();
			seg_process_unlock();
		}
	}
	gen = __atomic_load_n(&module_gen, __ATOMIC_ACQUIRE);
	if (gen != t->module_gen) {
		struct area_priv *a = &rec_priv[t->area_idx];

		rec_table_drop_unloaded(a);
		if (!a->tab && rec_table_grow(a) < 0)
			return 0;
		t->tab = a->tab;
		t->shift = a->shift;
		t->module_gen = gen;
	}
	return 1;
}

/* ---- signal handlers inside hooks ---- */

static uint32_t gettid_now(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

/* A call found the gate closed (`g` has GATE_HOOK) at stack pointer `sp`:
 * 1 when it runs in a signal handler that interrupted that hook (below the
 * hook's frame, or on the alternate signal stack), 0 when that hook is gone
 * (a handler left it by siglongjmp). */
static int inside_handler(uint64_t g, uintptr_t sp)
{
	stack_t ss;

	if (sp < GATE_SP(g))
		return 1;
	return sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

static struct nest *nest_of(struct tls *t)
{
	if (!t->nest)
		t->nest = rec_map(sizeof(struct nest));	/* mmap: safe in a handler */
	return t->nest;
}

/* Pops the handler's top frame as a call ending at `now`, into the queue. */
static void nest_pop(struct tls *t, struct nest *n, uint64_t now, int abandoned)
{
	struct frame *f = &n->frames[--n->depth];
	uint64_t dur = frame_ns(f, now);
	struct nest_call *e;
	uint32_t outermost = 1;

	for (uint32_t i = 0; i < n->depth; i++)
		if (n->frames[i].fn == f->fn)
			outermost = 0;
	if (n->depth)
		n->frames[n->depth - 1].child_ns += dur;
	if (n->tail - n->head >= NEST_QUEUE) {
		count_dropped();
		return;
	}
	e = &n->q[n->tail % NEST_QUEUE];
	e->fn = f->fn;
	e->dur_ns = dur;
	e->self_ns = dur > f->child_ns ? dur - f->child_ns : 0;
	e->rss_kib = pp_rss();
	e->outermost = outermost;
	e->abandoned = (uint32_t)abandoned;
	pp_sigfence();
	n->tail++;
	t->nested = 1;
	t->cap = 0;		/* the thread's next entry takes the slow path: a flush */
	if (abandoned)
		__atomic_fetch_add(&seg_header()->abandoned_frames, 1, __ATOMIC_RELAXED);
}

/* The depth (1-based) of the frame an exit of `fn` from `site` closes: the
 * top one when it is fn's, else the nearest of fn and site; 0 when none. */
static uint32_t match_exit(const struct frame *stack, uint32_t depth, uintptr_t fn, uintptr_t site)
{
	if (depth && stack[depth - 1].fn == fn)
		return depth;
	for (uint32_t d = depth; d; d--)
		if (stack[d - 1].fn == fn && stack[d - 1].site == site)
			return d;
	return 0;
}

/* A hook of a signal handler that interrupted a hook of its thread: its
 * frames go on the handler's own small stack, its calls into the queue. */
static void nested_hook(struct tls *t, unsigned kind, uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	struct nest *n = nest_of(t);
	uint64_t now = clock_now();

	if (!n || n->busy || !seg_base) {
		count_dropped();	/* a signal inside a handler's hook */
		return;
	}
	n->busy = 1;
	pp_sigfence();
	if (kind == HOOK_ENTER) {
		while (n->depth && n->frames[n->depth - 1].sp < sp)
			nest_pop(t, n, now, 1);		/* left by longjmp */
		if (n->overflow || n->depth == NEST_FRAMES) {
			n->overflow++;
			__atomic_fetch_add(&seg_header()->stack_overflows, 1, __ATOMIC_RELAXED);
		} else {
			struct frame *f = &n->frames[n->depth++];

			f->fn = fn;
			f->site = site;
			f->sp = sp;
			f->child_ns = 0;
			f->start = now;
		}
	} else if (n->overflow) {
		n->overflow--;
	} else {
		uint32_t d = match_exit(n->frames, n->depth, fn, site);

		if (!d) {
			__atomic_fetch_add(&seg_header()->unmatched_exits, 1, __ATOMIC_RELAXED);
		} else {
			while (n->depth > d)
				nest_pop(t, n, now, 1);
			nest_pop(t, n, now, 0);
		}
	}
	pp_sigfence();
	n->busy = 0;
}

/* The sum of a record's histogram buckets. */
static uint64_t hist_total(const struct ppf_record *r)
{
	uint64_t n = 0;

	for (unsigned p = 0; p < PPF_HIST_PAGES; p++) {
		const struct ppf_hist_page *pg;

		if (!r->pages[p])
			continue;
		pg = seg_ptr((uint64_t)r->pages[p] * PPF_PAGE_BYTES);
		for (unsigned i = 0; i < PPF_SUB; i++)
			n += pg->count[i];
	}
	return n;
}

/*
 * Closes a seqlock section of record_commit() that a siglongjmp cut short
 * (seq odd).  Its buckets + pending + hist_dropped count the call already
 * when the histogram part was done (record_commit's order): the call then
 * counts (calls + 1); otherwise none of it does.  Returns 1 when the call
 * counts now.  (Its time may be missing from the sums: one call's.)
 */
static int repair_record(struct ppf_record *r)
{
	uint64_t total = hist_total(r) + (r->pending != 0) + r->hist_dropped;
	int counted = total == r->calls + 1;

	if (total > r->calls + 1 || total < r->calls)
		r->calls = total;	/* not one call's section (a clear): make it whole */
	else if (counted)
		r->calls++;
	pp_wmb();
	r->seq++;
	return counted;
}

/* The number of frames of `r` on the stack: its depth, after a repair. */
static uint32_t frames_of(const struct tls *t, const struct ppf_record *r)
{
	uint32_t n = 0;

	for (uint32_t d = 0; d < t->depth; d++)
		n += t->stack[d].rec == r;
	return n;
}

static struct ppf_record *lookup(struct tls *t, uintptr_t fn);

/* Adds the calls that handlers queued to their records; the caller is a
 * hook of the thread, so handlers keep queueing meanwhile. */
static void flush_nested(struct tls *t)
{
	struct nest *n = t->nest;
	int saved_errno = errno;

	t->nested = 0;
	pp_sigfence();
	while (n && n->head != __atomic_load_n(&n->tail, __ATOMIC_RELAXED)) {
		const struct nest_call *e = &n->q[n->head % NEST_QUEUE];

		if (t->state == T_READY) {
			struct ppf_record *r = lookup(t, e->fn);
			struct frame fake = { .rec = r, .child_ns = e->dur_ns - e->self_ns };
			unsigned b = ppf_bucket(e->dur_ns);
			int page = r->pages[b >> PPF_SUB_BITS] ||
				   rec_hist_page(t->area, r, b >> PPF_SUB_BITS);

			n->cur_seq = r->seq;
			pp_sigfence();
			n->cur = r;
			pp_sigfence();
			record_commit(&fake, 1, e->dur_ns, b, page, (int)e->abandoned, e->rss_kib,
				      e->outermost && r->depth == 0);
			pp_sigfence();
		}
		n->head++;
		pp_sigfence();
		n->cur = NULL;
	}
	errno = saved_errno;
}

/* A flush cut short by siglongjmp: its record is made whole, and the call
 * is taken off the queue once it counts. */
static void repair_flush(struct nest *n)
{
	struct ppf_record *r = n->cur;

	if (!r)
		return;
	if (r->seq == n->cur_seq + 2)
		n->head++;			/* done, the queue not yet told */
	else if (r->seq & 1 && repair_record(r))
		n->head++;
	n->cur = NULL;
}

/*
 * The hook that closed gate `g` will never end: a signal handler that
 * interrupted it left by siglongjmp, or the process is ending inside that
 * handler.  Makes what it was writing whole, so that every call counts once:
 * a frame it was pushing is pushed (it is then abandoned like any frame left
 * by a longjmp), a call it was recording counts, or not at all if none of it
 * was written (its frame stays and is abandoned later).  The handler's own
 * frames count as abandoned.  Not for a handler's context.
 */
static void repair_stale(struct tls *t, uint64_t g)
{
	struct nest *n = t->nest;
	uint64_t now = clock_now();

	if (n) {
		repair_flush(n);
		while (n->depth)
			nest_pop(t, n, now, 1);
		n->overflow = 0;
		n->busy = 0;
	}
	if (t->state != T_READY)
		return;
	if (t->depth) {
		/* the top frame, if its call was being recorded (site 0) */
		struct frame *f = &t->stack[t->depth - 1];
		struct ppf_record *r = f->rec;
		int counted = 0;

		if (!(r->seq & 1)) {
			counted = !f->site;	/* the whole section was written */
		} else if (f->site) {
			pp_wmb();
			r->seq++;		/* seq odd, nothing else written yet */
		} else {
			counted = repair_record(r);
		}
		if (counted) {
			f->fn = 0;
			t->depth--;
		} else if (!f->site) {
			f->site = UNKNOWN_SITE;	/* nothing counted: the frame stays */
		}
		r->depth = frames_of(t, r);
	}
	if (t->depth < t->cap && t->stack[t->depth].fn) {
		/* a frame being pushed: whole once its site is written */
		struct frame *f = &t->stack[t->depth];

		if (!f->site) {
			if (f->fn == (uintptr_t)f->rec) {
				f->site = REGION_SITE;	/* a region's (push_region) */
			} else {
				f->rec = lookup(t, f->fn);
				f->site = UNKNOWN_SITE;
			}
			f->sp = GATE_SP(g);
			f->child_ns = 0;
			f->start = now;
		}
		t->depth++;
		f->rec->depth = frames_of(t, f->rec);
	}
	if (t->nested)
		flush_nested(t);
}

/* ---- slow paths ---- */

/*
 * The common start of a hook's slow path.  `g` is the gate the hook found,
 * `jumped` whether its stack pointer was far from the top frame's.  Returns
 * 1 with the gate closed by this hook (gate_of(sp)) and the thread
 * synced: the caller records the call and ends with api_end().  Returns 0
 * when the call is not recorded here: a stranger's (raw clone), a handler's
 * inside a hook (queued by nested_hook), or profiling off or disabled.
 */
static int hook_begin(struct tls *t, uint64_t g, unsigned kind, uintptr_t fn, uintptr_t site,
		      uintptr_t sp, int jumped, uint32_t *cp)
{
	uint32_t c;

	if ((jumped || (g & GATE_HOOK)) && t->tid && gettid_now() != t->tid) {
		count_dropped();	/* another thread with our thread pointer */
		return 0;
	}
	if ((g & GATE_HOOK) && inside_handler(g, sp)) {
		nested_hook(t, kind, fn, site, sp);
		return 0;
	}
	t->gate = gate_of(sp);
	pp_sigfence();
	c = *seg_ctl;
	if (g & GATE_HOOK)
		repair_stale(t, g);
	if (!(c & PPF_FLAG_ENABLED) || !sync_thread(t)) {
		if (t->nested)
			flush_nested(t);
		t->gate = 0;
		return 0;
	}
	*cp = c;
	return 1;
}

/* Ends a hook: adds what handlers queued meanwhile, then opens the gate. */
static void api_end(struct tls *t, uint32_t c)
{
	if (unlikely(t->nested))
		flush_nested(t);
	pp_sigfence();
	t->gate = t->state == T_READY && !t->overflow ? (uint64_t)c + 1 : 0;
}

/* The calling thread's record for `fn`: one probe, else lookup_slow. */
static struct ppf_record *lookup(struct tls *t, uintptr_t fn)
{
	struct slot *s = &t->tab[(fn * REC_GOLDEN) >> t->shift];

	return s->key == fn ? s->rec : lookup_slow(t, fn);
}

static inline uint64_t tsc_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return 0;	/* never used: clock_tsc is 0 */
#endif
}

/* Writes frame d (its fn is written already) and pushes it; `tsc`: the
 * caller knows that the clock is the TSC (read inline).  The clock is read
 * last, the site written after it: the frame is whole (repair_stale). */
static inline __attribute__((always_inline)) void push_rest(struct tls *t, uint32_t d,
							     struct ppf_record *r, uintptr_t site,
							     uintptr_t sp, int tsc)
{
	struct frame *f = &t->stack[d];

	f->sp = sp;
	f->rec = r;
	f->child_ns = 0;
	f->start = tsc ? tsc_now() : clock_now();
	pp_sigfence();
	f->site = site;
	pp_sigfence();
	r->depth++;
	t->depth = d + 1;
}

static int on_altstack(void)
{
	stack_t ss;

	return sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

/*
 * An entry of `fn` from `site` at stack pointer `sp` on the slow path (a
 * longjmp through wrap.c always sends the next entry there) finds frames
 * that can no longer be live, and counts them as abandoned:
 *  - frames below sp: control came back above them (longjmp);
 *  - a frame at sp from another call site: a sibling, left by a longjmp
 *    (an inlined callee shares its host's sp and reports the host's site);
 *  - after a longjmp or siglongjmp (t->jumped, wrap.c): a frame at sp that
 *    is this very call again, and frames on another stack (a handler's on
 *    an alternate signal stack).  Only then: gcc inlines a recursive
 *    function into itself, which gives a live frame of the same function,
 *    site and sp.  Frames on an alternate signal stack we are not on are
 *    a handler's that left.
 * A signal handler that runs on an alternate stack above the thread's
 * (`jumped`: sp far from the top frame) abandons nothing.
 */
static void abandon_left(struct tls *t, uintptr_t fn, uintptr_t site, uintptr_t sp, int jumped)
{
	uint64_t now = clock_now();
	int alt = jumped && !t->jumped && on_altstack();
	uintptr_t alt_lo = 1, alt_hi = 0;	/* the alternate signal stack we are not on */
	stack_t ss;

	if (t->jumped && sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & (SS_ONSTACK | SS_DISABLE))) {
		alt_lo = (uintptr_t)ss.ss_sp;
		alt_hi = alt_lo + ss.ss_size;
	}

	while (t->depth) {
		const struct frame *top = &t->stack[t->depth - 1];
		int region = top->site == REGION_SITE || top->site == REGION_SITE_MEM;

		if (top->sp < sp && !alt)
			;
		else if (top->sp == sp && top->site != site && !region)
			;
		else if (t->jumped && (top->sp - sp > SP_JUMP ||
				       (top->sp >= alt_lo && top->sp <= alt_hi) ||
				       (top->sp == sp && top->fn == fn && top->site == site)))
			;
		else
			break;
		t->overflow = 0;
		abandon_top(t, now);
	}
	t->jumped = 0;
}

void hooks_longjmp(void)
{
	struct tls *t = &tls;

	t->jumped = 1;
	t->cap = 0;		/* the next entry takes the slow path */
}

/* An entry the fast path does not take; the gate is as the hook found it. */
static void __attribute__((noinline)) enter_slow(uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	struct tls *t = &tls;
	uint64_t g = t->gate;
	int saved_errno = errno;
	int jumped = t->depth && t->depth <= t->cap && t->stack[t->depth - 1].sp - sp > SP_JUMP;
	uint32_t c;

	if (!hook_begin(t, g, HOOK_ENTER, fn, site, sp, jumped, &c))
		goto out;
	abandon_left(t, fn, site, sp, jumped);
	if (t->depth == 0)
		t->stack[-1].sp = sp + 16;	/* calls from here down take the fast path */
	if (t->overflow || (t->depth == t->cap && grow_stack(t) < 0)) {
		t->overflow++;
		__atomic_fetch_add(&seg_header()->stack_overflows, 1, __ATOMIC_RELAXED);
	} else {
		t->stack[t->depth].fn = fn;
		pp_sigfence();
		push_rest(t, t->depth, lookup(t, fn), site, sp, 0);
	}
	api_end(t, c);
out:
	errno = saved_errno;
}

/* An exit the fast path does not take; the gate is as the hook found it. */
static void __attribute__((noinline)) exit_slow(uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	struct tls *t = &tls;
	uint64_t g = t->gate;
	int saved_errno = errno;
	int jumped = t->depth && sp + SP_BELOW - t->stack[t->depth - 1].sp > SP_JUMP;
	uint64_t now = clock_now();
	uint32_t c, d;

	if (!hook_begin(t, g, HOOK_EXIT, fn, site, sp, jumped, &c))
		goto out;
	if (t->overflow) {
		t->overflow--;		/* one of the frames past the stack */
	} else if (!(d = match_exit(t->stack, t->depth, fn, site))) {
		__atomic_fetch_add(&seg_header()->unmatched_exits, 1, __ATOMIC_RELAXED);
	} else {
		while (t->depth > d)
			abandon_top(t, now);	/* frames above it never saw their exit */
		pop_frame(t, &t->stack[d - 1], d, now, 0);
	}
	api_end(t, c);
out:
	errno = saved_errno;
}

/* The end of a hook that began with gate `g`, out of line: a memory sample
 * that is due at `now` (0: none), calls that handlers queued meanwhile. */
static void __attribute__((noinline)) end_slow(uint64_t g, uint64_t now)
{
	struct tls *t = &tls;

	if (now && now >= sampler_due)
		sampler_tick(now);
	if (t->nested)
		flush_nested(t);
	pp_sigfence();
	t->gate = g;
}

/* The rest of an entry whose function the thread's table has not seen (or
 * that collides), or without the TSC: the gate is closed, the frame's fn
 * written. */
static void __attribute__((noinline)) enter_rest(uint64_t g, uintptr_t fn, uintptr_t site,
						uintptr_t sp)
{
	struct tls *t = &tls;
	int saved_errno = errno;

	push_rest(t, t->depth, lookup(t, fn), site, sp, 0);
	errno = saved_errno;
	end_slow(g, 0);
}

/* The rest of an exit whose call needs a new histogram page, or without the
 * TSC (`now` 0). */
static void __attribute__((noinline)) exit_rest(uint64_t g, uint64_t now)
{
	struct tls *t = &tls;

	if (!now)
		now = clock_now();
	pop_frame(t, &t->stack[t->depth - 1], t->depth, now, 0);
	end_slow(g, now);
}

/* ---- the hooks ---- *
 *
 * Their fast paths make no call but tail calls, so that they save no
 * register: everything out of the way is a noinline function above. */

PP_EXPORT void __cyg_profile_func_enter(void *this_fn, void *call_site);
PP_EXPORT void __cyg_profile_func_exit(void *this_fn, void *call_site);

void __cyg_profile_func_enter(void *this_fn, void *call_site)
{
	struct tls *t = &tls;
	uint32_t c = *seg_ctl, d;
	uintptr_t fn = (uintptr_t)this_fn, site = (uintptr_t)call_site;
	uintptr_t sp = (uintptr_t)__builtin_dwarf_cfa();
	struct frame *f;
	struct slot *s;

	if (unlikely(c + 1 != t->gate)) {
		if (c & PPF_FLAG_ENABLED)
			enter_slow(fn, site, sp);
		return;
	}
	d = t->depth;
	f = &t->stack[d];
	/* a frame below our stack pointer was left by longjmp; far above it
	 * is another stack (a stranger, or an alternate signal stack) */
	if (unlikely(d >= t->cap || f[-1].sp - sp > SP_JUMP)) {
		enter_slow(fn, site, sp);
		return;
	}
	t->gate = gate_of(sp);
	f->fn = fn;
	pp_sigfence();
	if (unlikely(*seg_ctl != c)) {
		/* disabled, cleared or exiting since: the slow path decides */
		f->fn = 0;
		t->gate = (uint64_t)c + 1;
		enter_slow(fn, site, sp);
		return;
	}
	s = &t->tab[(fn * REC_GOLDEN) >> t->shift];
	if (unlikely(s->key != fn || !clock_tsc)) {
		enter_rest((uint64_t)c + 1, fn, site, sp);
		return;
	}
	push_rest(t, d, s->rec, site, sp, 1);
	pp_sigfence();
	t->gate = (uint64_t)c + 1;
}

void __cyg_profile_func_exit(void *this_fn, void *call_site)
{
	struct tls *t = &tls;
	uint32_t c = *seg_ctl, rd;
	uint64_t now, dur;
	uintptr_t fn = (uintptr_t)this_fn;
	uintptr_t sp = (uintptr_t)__builtin_dwarf_cfa();
	struct ppf_record *r;
	struct frame *f;
	unsigned b;

	if (unlikely(c + 1 != t->gate)) {
		if (c & PPF_FLAG_ENABLED)
			exit_slow(fn, (uintptr_t)call_site, sp);
		return;
	}
	f = &t->stack[(ptrdiff_t)t->depth - 1];
	if (unlikely(f->fn != fn || sp + SP_BELOW - f->sp > SP_JUMP)) {
		exit_slow(fn, (uintptr_t)call_site, sp);
		return;
	}
	t->gate = gate_of(sp);
	pp_sigfence();
	if (unlikely(*seg_ctl != c)) {
		t->gate = (uint64_t)c + 1;
		exit_slow(fn, (uintptr_t)call_site, sp);
		return;
	}
	if (unlikely(!clock_tsc)) {
		exit_rest((uint64_t)c + 1, 0);
		return;
	}
	now = tsc_now();
	dur = frame_ns(f, now);
	b = ppf_bucket(dur);
	r = f->rec;
	if (unlikely(!r->pages[b >> PPF_SUB_BITS] || now >= sampler_due)) {
		exit_rest((uint64_t)c + 1, now);	/* a new octave, or a memory sample */
		return;
	}
	rd = r->depth - 1;
	r->depth = rd;
	/* depth 2 even at depth 1: the sentinel below takes the child time */
	record_commit(f, 2, dur, b, 1, 0, pp_rss(), rd == 0);
	pp_sigfence();
	f->fn = 0;
	t->depth--;
	pp_sigfence();
	t->gate = (uint64_t)c + 1;
}

/* ---- named records: regions, spans, endpoints ---- */

/* The calling thread with its gate closed and synced, or NULL when it
 * cannot record now (profiling off or disabled, no area, or called from a
 * signal handler that interrupted a hook: counted as dropped).  `sp` is the
 * caller's stack pointer; api_end(t, *cp) ends it. */
static struct tls *api_begin(uintptr_t sp, uint32_t *cp)
{
	struct tls *t = &tls;
	uint32_t c = *seg_ctl;
	uint64_t g = t->gate;

	if (!(c & PPF_FLAG_ENABLED))
		return NULL;
	if (likely(g == (uint64_t)c + 1)) {
		/* up to date: close the gate, and check that it still is */
		t->gate = gate_of(sp);
		pp_sigfence();
		if (likely(*seg_ctl == c)) {
			*cp = c;
			return t;
		}
		t->gate = g;
	}
	if ((g & GATE_HOOK) && inside_handler(g, sp)) {
		count_dropped();
		return NULL;
	}
	return hook_begin(t, g, HOOK_API, 0, 0, sp, 0, cp) ? t : NULL;
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
	struct ppf_record *r = NULL;
	struct slot *s;
	uint32_t off;

	if (by_pointer) {
		s = rec_probe(t->tab, t->shift, a->mask, pkey);
		if (s->key == pkey && !strcmp(strtab + s->rec->key, name))
			return s->rec;
	}
	off = seg_intern(name);
	if (!off)
		goto out;
	nkey = KEY_BY_NAME(kind, off);
	s = rec_probe(a->tab, a->shift, a->mask, nkey);
	if (s->key == nkey) {
		r = s->rec;
	} else {
		r = rec_new(t->area, kind, off, 0);
		if (!r || rec_table_insert(a, nkey, r) < 0) {
			r = NULL;
			goto out;
		}
	}
	if (by_pointer) {
		s = rec_probe(a->tab, a->shift, a->mask, pkey);
		if (s->key == pkey)
			s->rec = r;		/* the buffer holds another name now */
		else if (rec_table_insert(a, pkey, r) < 0)
			r = NULL;
	}
out:
	t->tab = a->tab;
	t->shift = a->shift;
	if (!r)
		count_dropped();
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
	struct tls *t;
	uint32_t c;

	if (!h)
		return;
	__atomic_fetch_add(&h->clear_gen, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&h->flags, PPF_FLAG_EPOCH_ONE, __ATOMIC_RELEASE);
	seg_process_lock();
	rec_clear_process_area();
	seg_process_unlock();
	t = api_begin((uintptr_t)__builtin_dwarf_cfa(), &c);
	if (t)
		api_end(t, c);	/* the calling thread cleared its own area */
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
			abandon_top(t, now);
	}
	if (t->depth == 0)
		t->stack[-1].sp = sp + 16;
	if (t->overflow || (t->depth == t->cap && grow_stack(t) < 0))
		goto out;
	r = named_record(t, PPF_KIND_REGION, name, 1);
	if (!r)
		goto out;
	if (flags & 1)
		sampler_read();
	t->stack[t->depth].rec = r;	/* before fn: repair_stale tells a region by it */
	pp_sigfence();
	t->stack[t->depth].fn = (uintptr_t)r;
	pp_sigfence();
	push_rest(t, t->depth, r, (flags & 1) ? REGION_SITE_MEM : REGION_SITE, sp, 0);
	rc = 0;
out:
	api_end(t, c);
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
			abandon_top(t, now);
		pop_frame(t, &t->stack[d - 1], d, now, 0);
		rc = 0;
	}
	api_end(t, c);
	return rc;
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
		/* a call of its own: no parent, no callees */
		struct frame f = { .rec = r };
		unsigned b = ppf_bucket(dur_ns);
		int have_page = r->pages[b >> PPF_SUB_BITS] ||
				rec_hist_page(t->area, r, b >> PPF_SUB_BITS);

		record_commit(&f, 1, dur_ns, b, have_page, 0, pp_rss(), r->depth == 0);
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
	api_end(t, c);
	return r ? 0 : -1;
}

/* ---- threads and the process ending ---- */

/* Counts every frame still open on t's stack as abandoned, now, after
 * making a hook cut short whole.  The gate stays closed: the caller opens it. */
static void abandon_stack(struct tls *t)
{
	uint64_t g = t->gate;
	uint64_t now;

	t->gate = gate_of((uintptr_t)__builtin_dwarf_cfa());
	pp_sigfence();
	if (g & GATE_HOOK)
		repair_stale(t, g);	/* the thread or the process ends inside a handler */
	now = clock_now();
	while (t->depth)
		abandon_top(t, now);
	t->overflow = 0;
	if (t->nested)
		flush_nested(t);
}

/* pthread key destructor: the thread is exiting. */
static void thread_exit(void *arg)
{
	struct tls *t = arg;
	struct area_priv *a;
	int folded;

	if (t != &tls || t->state != T_READY || !seg_base)
		return;
	a = &rec_priv[t->area_idx];
	abandon_stack(t);
	folded = rec_fold_area(t->area);
	/* the gate open first, so that a quiescer reading it stops waiting;
	 * then no quiescer may still hold `t` when this thread's memory goes,
	 * nor the area be another thread's before its owner is cleared */
	pp_sigfence();
	t->gate = 0;
	__atomic_store_n(&a->owner, NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&a->readers, __ATOMIC_SEQ_CST))
		sched_yield();
	if (folded)
		seg_release_area(t->area_idx);
	/* a later call (another key's destructor) starts over */
	t->state = T_UNSET;
	t->area = NULL;
	t->stack = &no_stack[1];
	t->cap = 0;
	t->depth = 0;
	t->tid = 0;
}

void hooks_abandon_all(void)
{
	struct tls *t = &tls;

	if (t->state != T_READY || !seg_base)
		return;
	abandon_stack(t);
	t->gate = 0;
}

void hooks_quiesce(void)
{
	struct ppf_header *h = seg_header();
	struct tls *self = &tls;
	struct timespec pause = { 0, 100000 };	/* 100 us */
	unsigned waited = 0;

	if (!h)
		return;
	/* every thread that read the control word before the caller changed
	 * it has its gate closed by now, visibly (see the hooks' order) */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) != 0) {
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
	}
	for (unsigned i = 1; i < h->thread_count && i < REC_AREA_MAX; i++) {
		struct area_priv *a = &rec_priv[i];
		struct tls *o;

		/* the owner waits for readers before its memory can go */
		__atomic_fetch_add(&a->readers, 1, __ATOMIC_SEQ_CST);
		o = __atomic_load_n(&a->owner, __ATOMIC_SEQ_CST);
		if (!o || o == self) {
			__atomic_fetch_sub(&a->readers, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		/* bounded: a thread stopped inside a handler for good is not
		 * waited for (the analyzer leaves out a record it tore) */
		while ((__atomic_load_n(&o->gate, __ATOMIC_ACQUIRE) & GATE_HOOK) && waited < 2000) {
			nanosleep(&pause, NULL);
			waited++;
		}
		/* calls its handlers queued, which its next entry would have
		 * added: it makes none any more, its area is ours to write */
		if (!(__atomic_load_n(&o->gate, __ATOMIC_ACQUIRE) & GATE_HOOK) && o->nested)
			flush_nested(o);
		__atomic_fetch_sub(&a->readers, 1, __ATOMIC_SEQ_CST);
	}
	if (self->state == T_READY && (self->gate & GATE_HOOK)) {
		/* exit() in a handler that interrupted a hook of this thread */
		repair_stale(self, self->gate);
		self->gate = 0;
	}
}

void hooks_modules_changed(void)
{
	struct ppf_header *h = seg_header();

	__atomic_fetch_add(&module_gen, 1, __ATOMIC_RELEASE);
	if (h)
		__atomic_fetch_add(&h->flags, PPF_FLAG_EPOCH_ONE, __ATOMIC_RELEASE);
}

void hooks_init(void)
{
	if (!rec_priv) {
		rec_priv = rec_map(REC_AREA_MAX * sizeof(*rec_priv));
		pthread_key_create(&exit_key, thread_exit);
	}
}

void hooks_forget(void)
{
	struct tls *t = &tls;

	/* in the child after fork: every pointer into the parent's segment
	 * goes, and the stacks hold the parent's threads' frames */
	rec_forget();
	for (unsigned i = 0; rec_priv && i < REC_AREA_MAX; i++) {
		if (rec_priv[i].stack)
			munmap(rec_priv[i].stack, ((size_t)rec_priv[i].cap + 1) * sizeof(struct frame));
		rec_priv[i].stack = NULL;
		rec_priv[i].cap = 0;
		rec_priv[i].readers = 0;
	}
	if (t->nest)
		memset(t->nest, 0, sizeof(*t->nest));
	t->gate = 0;
	t->depth = 0;
	t->cap = 0;
	t->stack = &no_stack[1];
	t->overflow = 0;
	t->nested = 0;
	t->tid = 0;
	t->state = T_UNSET;
	t->area = NULL;
}
