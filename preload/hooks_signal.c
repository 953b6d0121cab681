/* hooks_signal.c - signal handlers inside a hook, and the end of a process
 *
 * A signal handler that interrupts a hook of its thread finds the thread's
 * gate closed (hooks.c): its frames go on a small stack of their own (struct
 * nest) and the calls it ends into a queue, which the thread adds to their
 * records at its next entry (hk_flush_nested).  A handler that leaves by
 * siglongjmp never lets the interrupted hook end: the next hook of the thread
 * finds the gate closed above the interrupted frame and makes whole what was
 * cut short (hk_repair_stale).  hooks_quiesce() makes an exiting process wait
 * until no thread is inside a hook.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"

/* ---- signal handlers inside hooks ---- */

uint32_t hk_gettid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

/* A call found the gate closed (`g` has GATE_HOOK) at stack pointer `sp`:
 * 1 when it runs in a signal handler that interrupted that hook (below the
 * hook's frame, or on the alternate signal stack), 0 when that hook is gone
 * (a handler left it by siglongjmp). */
int hk_inside_handler(uint64_t g, uintptr_t sp)
{
	stack_t ss;

	if (sp < GATE_SP(g))
		return 1;
	return sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

#if defined(__x86_64__)
#include <sys/uio.h>
#include <ucontext.h>

/* The kernel's struct sigaction (rt_sigaction's), x86-64. */
struct ksigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

#define KSA_RESTORER 0x04000000ul
#define RESTORERS 4

/* The return addresses the kernel puts at the top of a handler's frame
 * (sa_restorer: glibc's __restore_rt), from the handlers installed the
 * first time any is (they do not change: glibc's is the one of them all). */
static unsigned restorers(uintptr_t *out)
{
	static uintptr_t known[RESTORERS];
	static unsigned nknown;		/* once some are known, they are kept */
	unsigned n = __atomic_load_n(&nknown, __ATOMIC_ACQUIRE);

	if (n) {
		memcpy(out, known, sizeof(known));
		return n;
	}

	for (int sig = 1; sig < 65 && n < RESTORERS; sig++) {
		struct ksigaction ka;

		if (syscall(SYS_rt_sigaction, sig, NULL, &ka, sizeof(ka.mask)) != 0 ||
		    ka.handler <= 1 || !(ka.flags & KSA_RESTORER) || !ka.restorer)
			continue;
		unsigned i = 0;

		while (i < n && out[i] != ka.restorer)
			i++;
		if (i == n)
			out[n++] = ka.restorer;
	}
	if (n) {
		memcpy(known, out, n * sizeof(*out));
		__atomic_store_n(&nknown, n, __ATOMIC_RELEASE);
	}
	return n;
}

#define FRAME_SCAN 4096		/* bytes above sp where a signal frame is looked for:
				   a handler's first frames and the kernel's context */

int hk_in_signal_frame(uintptr_t sp)
{
	uintptr_t r[RESTORERS], buf[FRAME_SCAN / sizeof(uintptr_t)];
	struct iovec local = { buf, sizeof(buf) }, remote;
	ssize_t got;
	unsigned n;

	sp &= ~(uintptr_t)7;
	remote = (struct iovec){ (void *)sp, sizeof(buf) };
	/* a copy, not a read: the stack may end (unmapped) within the range,
	 * and the copy stops there */
	if (!(n = restorers(r)) ||
	    (got = syscall(SYS_process_vm_readv, getpid(), &local, 1ul, &remote, 1ul, 0ul)) <= 0)
		return 0;
	for (size_t w = 0; (w + 1) * sizeof(uintptr_t) + sizeof(ucontext_t) <= (size_t)got; w++) {
		const ucontext_t *uc = (const void *)&buf[w + 1];
		uintptr_t at = sp + w * sizeof(uintptr_t);
		uintptr_t isp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];

		for (unsigned i = 0; i < n; i++)
			if (buf[w] == r[i] && isp > at && isp - at < (64u << 10))
				return 1;
	}
	return 0;
}
#else
int hk_in_signal_frame(uintptr_t sp)
{
	(void)sp;
	return 0;
}
#endif

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
		hk_count_dropped();
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
uint32_t hk_match_exit(const struct frame *stack, uint32_t depth, uintptr_t fn, uintptr_t site)
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
void hk_nested(struct tls *t, unsigned kind, uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	struct nest *n = nest_of(t);
	uint64_t now = clock_now();

	if (!n || n->busy || !seg_base) {
		hk_count_dropped();	/* a signal inside a handler's hook */
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
		uint32_t d = hk_match_exit(n->frames, n->depth, fn, site);

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

struct ppf_record *hk_lookup(struct tls *t, uintptr_t fn);

/* Adds the calls that handlers queued to their records; the caller is a
 * hook of the thread, so handlers keep queueing meanwhile. */
void hk_flush_nested(struct tls *t)
{
	struct nest *n = t->nest;
	int saved_errno = errno;

	t->nested = 0;
	pp_sigfence();
	while (n && n->head != __atomic_load_n(&n->tail, __ATOMIC_RELAXED)) {
		const struct nest_call *e = &n->q[n->head % NEST_QUEUE];

		if (t->state == T_READY) {
			struct ppf_record *r = hk_lookup(t, e->fn);
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
void hk_repair_stale(struct tls *t, uint64_t g)
{
	struct nest *n = t->nest;
	uint64_t now = clock_now();

	hk_sample_repair(t);
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
			r->seq++;		/* seq odd, nothing of the call written yet
						   (cpu_end's section may have added
						   cpu_ns without cpu_wall_ns: harmless) */
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
	if (t->depth < hk_cap(t) && t->stack[t->depth].fn) {
		/* a frame being pushed: whole once its site is written */
		struct frame *f = &t->stack[t->depth];

		if (!f->site) {
			if (f->fn == (uintptr_t)f->rec) {
				f->site = REGION_SITE;	/* a region's (push_region) */
			} else {
				f->rec = hk_lookup(t, f->fn);
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
		hk_flush_nested(t);
}

void hooks_quiesce(void)
{
	struct ppf_header *h = seg_header();
	struct tls *self = &hooks_tls;
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
			hk_flush_nested(o);
		__atomic_fetch_sub(&a->readers, 1, __ATOMIC_SEQ_CST);
	}
	if (self->state == T_READY && (self->gate & GATE_HOOK)) {
		/* exit() in a handler that interrupted a hook of this thread */
		hk_repair_stale(self, self->gate);
		self->gate = 0;
	}
}
