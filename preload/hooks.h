/* hooks.h - the hooks' private parts, shared by hooks.c (the hooks, their
 * slow paths, threads), hooks_signal.c (signal handlers inside a hook, exit
 * quiescence), hooks_api.c (regions, spans, endpoints) and cpusample.c (CPU
 * samples, PARAPROF_SAMPLE)
 *
 * Never included outside these four files.  Every non-static name here
 * carries the prefix hk_ (internal.h's hooks_ names are the module's face to
 * the rest of the library).
 */
#ifndef PARAPROF_HOOKS_H
#define PARAPROF_HOOKS_H

#include <stdint.h>

#include "internal.h"

#define STACK_INIT 65536		/* frames a stack holds at first; then doubled */
#define SP_JUMP (1ull << 20)		/* farther from the top frame: check the thread */
#define SP_BELOW (64u << 10)		/* an exit hook may run this far below its entry */
#define NEST_FRAMES 256			/* a handler's frames while its thread was in a hook */
#define NEST_QUEUE 4096			/* calls it ended before the hook could add them */
#define REGION_SITE 1			/* frame.site of a region (no return address is 1) */
#define UNKNOWN_SITE 2			/* ... of a frame rebuilt by hk_repair_stale */
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
 * hook: added to its record when that hook ends (hk_flush_nested). */
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
	uint32_t jumped;		/* a jump left frames hooks_longjmp did not count */
	uint32_t exiting;		/* thread_exit() ran: the thread's memory may go at
					   any time, so no quiescer may read it (owner) */
	uint32_t enable_gen;		/* header.enable_gen the stack belongs to */
	uint32_t module_gen;		/* module_gen the table was checked at */
	uint32_t tid;			/* kernel thread id, 0 until the thread is set up */
	unsigned area_idx;
	struct ppf_thread *area;
	int state;			/* T_* */
	struct nest *nest;		/* made the first time a handler needs it */
	struct cpusample_ring *samp;	/* CPU samples not yet in records, NULL = none */
	uint32_t samp_due;		/* the ring holds samples: the next slow hook adds them */
	struct ppf_record dropped;	/* private sink for functions with no record */
};

extern __thread struct tls hooks_tls __attribute__((tls_model("initial-exec")));

/* calib.c: measures the hooks' cost from the thread's entry that is ending
 * (its gate open, its new frame on top), when calib_pending(). */
void calib_run(struct tls *t);

/* The latest RSS sample (KiB), published by the sampler. */
static inline uint64_t pp_rss(void)
{
	return __atomic_load_n(&sampler_rss_kib, __ATOMIC_RELAXED);
}

static inline uint64_t frame_ns(const struct frame *f, uint64_t now)
{
	uint64_t ticks = now - f->start;

	return (int64_t)ticks > 0 ? clock_to_ns(ticks) : 0;
}

static inline uint64_t tsc_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return 0;	/* never used: clock_tsc is 0 */
#endif
}

/*
 * Adds a call of `dur` ns (histogram bucket `b`) to frame `f`'s record.
 * `have_page`: the record has the page of bucket `b` (else the call counts
 * as hist_dropped); `outermost`: no other frame of the function is active
 * below it.  The bucket goes into `pending`, and the previous pending bucket
 * into the histogram: its address is known long before `b` is (format.h).
 *
 * The order is what hk_repair_stale() reads when a handler's siglongjmp cut it
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
	if (outermost) {
		r->inclusive_ns += dur;
		r->outer_calls++;
	}
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

/* Writes frame d (its fn is written already) and pushes it; `tsc`: the
 * caller knows that the clock is the TSC (read inline).  The clock is read
 * last, the site written after it: the frame is whole (hk_repair_stale). */
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

/*
 * The start of every hook and API call: closes t's gate for a hook at `sp`
 * first, then reads the control word into *cp (a quiescer that changed the
 * control word and then found the gate open knows that the hook will see
 * the change: hooks_quiesce).  Returns 1 when the fast path may run (the
 * gate was *cp + 1, and is closed now); else 0 with the gate as it was: a
 * gate found closed is a hook that a signal handler interrupted, or one cut
 * short, and the slow path sorts it out.
 */
static inline __attribute__((always_inline)) int hk_gate_close(struct tls *t, uintptr_t sp,
								uint32_t *cp)
{
	uint64_t g = t->gate;
	uint32_t c;

	if (unlikely(g & GATE_HOOK)) {
		*cp = *seg_ctl;
		return 0;
	}
	t->gate = gate_of(sp);
	pp_sigfence();
	c = *seg_ctl;
	*cp = c;
	if (likely(c + 1 == g))		/* never equal at c = 2^32 - 1: no harm */
		return 1;
	t->gate = g;
	return 0;
}

/* The frames t's stack holds (t->cap is 0 while a flush is due). */
static inline uint32_t hk_cap(const struct tls *t)
{
	return rec_priv[t->area_idx].cap;
}

/* hooks.c */
void hk_count_dropped(void);
struct ppf_record *hk_lookup(struct tls *t, uintptr_t fn);
void hk_pop_frame(struct tls *t, struct frame *f, uint32_t depth, uint64_t now, int abandoned);
void hk_abandon_top(struct tls *t, uint64_t now);
int hk_grow_stack(struct tls *t);
int hk_begin(struct tls *t, uint64_t g, unsigned kind, uintptr_t fn, uintptr_t site,
	     uintptr_t sp, int jumped, uint32_t *cp);
void hk_end(struct tls *t, uint32_t c);

/* hooks_signal.c */
uint32_t hk_gettid(void);
int hk_inside_handler(uint64_t g, uintptr_t sp);
/* 1 when the stack a little above `sp` holds a signal frame (the kernel's
 * return address into a handler's sa_restorer, then the interrupted
 * context): the hook at sp runs in a signal handler.  x86-64 only (0
 * elsewhere); for slow paths: it asks the kernel for every signal's action. */
int hk_in_signal_frame(uintptr_t sp);
void hk_nested(struct tls *t, unsigned kind, uintptr_t fn, uintptr_t site, uintptr_t sp);
uint32_t hk_match_exit(const struct frame *stack, uint32_t depth, uintptr_t fn, uintptr_t site);
void hk_flush_nested(struct tls *t);
void hk_repair_stale(struct tls *t, uint64_t g);

/* cpusample.c */
void hk_sample_start(struct tls *t);
void hk_sample_stop(struct tls *t);
void hk_sample_flush(struct tls *t);
void hk_sample_repair(struct tls *t);
void hk_sample_forget(struct tls *t);
void hk_sample_forget_all(void);

#endif /* PARAPROF_HOOKS_H */
