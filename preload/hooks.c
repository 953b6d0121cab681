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
 * queued, and the thread adds them to their records at its next entry;
 * nothing a handler does can tear what the hook was writing.  A handler that
 * leaves by siglongjmp never lets that hook end: the next hook of the thread
 * finds the gate closed at a stack pointer below its own (the interrupted
 * hook's frame is gone) and repairs what was cut short (hk_repair_stale): every
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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "common/control.h"

/* The sentinel of a thread with no stack: an sp of 0 sends every entry to
 * the slow path, and cap 0 does the same before it is read. */
static struct frame no_stack[1];

__thread struct tls hooks_tls __attribute__((tls_model("initial-exec"))) = {
	.stack = &no_stack[1],
};
static pthread_key_t exit_key;
static uint32_t module_gen;		/* hooks_modules_changed() calls */


void hk_count_dropped(void)
{
	if (seg_base)
		__atomic_fetch_add(&seg_header()->dropped_functions, 1, __ATOMIC_RELAXED);
}
/* ---- records ---- */

/* Functions whose calls were found long (PPF_REC_CPU) on some path of some
 * thread: a hint, so that a new record of the function (another path, a
 * new thread) reads the CPU clock from its first call rather than after
 * CPU_MIN_CALLS of its own.  A lock-free set of addresses, written when a
 * record is marked (rare), read when a record is made (a slow path);
 * nothing is removed, a full probe sequence notes nothing more, and a
 * stale address (an unloaded module's) costs one call's reads. */
#define LONG_FNS 1024			/* a power of 2 */
#define LONG_PROBES 8
static uintptr_t *long_fns;		/* [LONG_FNS], private memory (hooks_init):
					   8 KiB of .bss moved the hooks' hot data */

static unsigned long_slot(uintptr_t fn)
{
	return (unsigned)((fn * 0x9e3779b97f4a7c15ull) >> 54) & (LONG_FNS - 1);
}

static int long_fn_known(uintptr_t fn)
{
	unsigned h = long_slot(fn);

	if (!long_fns)
		return 0;
	for (unsigned i = 0; i < LONG_PROBES; i++, h = (h + 1) & (LONG_FNS - 1)) {
		uintptr_t v = __atomic_load_n(&long_fns[h], __ATOMIC_RELAXED);

		if (v == fn)
			return 1;
		if (!v)
			return 0;
	}
	return 0;
}

static void long_fn_note(uintptr_t fn)
{
	unsigned h = long_slot(fn);

	if (!long_fns)
		return;
	for (unsigned i = 0; i < LONG_PROBES; i++, h = (h + 1) & (LONG_FNS - 1)) {
		uintptr_t v = 0;

		if (__atomic_compare_exchange_n(&long_fns[h], &v, fn, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED) || v == fn)
			return;
	}
}

/* The calling thread's record for `fn` called from the path `parent`,
 * made on first sight (rec_node); &t->dropped when none can be made
 * (counted in header.dropped_functions). */
static struct ppf_record *lookup_slow(struct tls *t, uintptr_t fn, struct ppf_record *parent)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	struct slot *s = rec_probe(t->tab, t->shift, a->mask, fn, parent);
	struct ppf_record *r;

	if (s->key == fn)
		return s->rec;
	if (parent == &t->dropped)
		parent = NULL;		/* below a function with no record: a root */
	r = rec_node(a, t->area, PPF_KIND_FUNCTION, fn, seg_cover(fn), fn, parent);
	t->tab = a->tab;
	t->shift = a->shift;
	if (!r) {
		hk_count_dropped();
		r = &t->dropped;
	} else if (!(r->flags & PPF_REC_CPU) && long_fn_known(fn)) {
		/* long on another path or thread: its calls here read the
		 * CPU clock from the first (unmarked after one if short) */
		__atomic_or_fetch(&r->flags, PPF_REC_CPU, __ATOMIC_RELAXED);
		s = rec_probe(t->tab, t->shift, a->mask, fn, parent);
		if (s->key == fn && s->rec == r)
			s->cpu = 1;
	}
	return r;
}



/* ---- CPU time of long calls ----
 *
 * A function whose calls last PARAPROF_CPU_MIN_US (20 us) or more on
 * average over 4 calls or more has its record marked PPF_REC_CPU (decided on
 * an exit's slow path, which a long function's calls take now and then: a
 * new maximum, a memory sample due), unmarked by a call shorter than half
 * that, and its lookup slot too: its entries then take the slow path, which
 * reads the thread's CPU clock into the frame, and so do its exits (the
 * exit's fast path tests the record's flags, on the line it writes anyway),
 * which add the CPU time and the duration to the record.  Short functions
 * keep the fast paths: one more test each. */

#define CPU_MIN_CALLS 4		/* calls seen before CPU time is read */
#define CPU_ONE_CALL 50		/* ... unless one of them lasted this many times
				   the threshold (1 ms by default): no cold
				   start.  (Not a later one: every frame of a
				   marked record takes the slow paths, and a
				   recursion's outermost call is long when its
				   frames are short on average) */

/* The calling thread's CPU time, ns (0 when it cannot be read). */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What one read of the CPU clock takes, ns: the least of the first few
 * reads' (a system call: 3 us on a VM, more on a busy one).  A marked
 * call's duration holds two; without them taken off, calls whose reads
 * alone pass half the threshold would stay marked for good. */
static uint64_t cpu_read_ns = UINT64_MAX;
static unsigned cpu_read_seen;

static uint64_t cpu_read_cost(void)
{
	if (cpu_read_seen < 3) {
		uint64_t t0 = clock_now(), ns;

		thread_cpu_ns();
		ns = clock_to_ns(clock_now() - t0);
		if (ns < cpu_read_ns)
			cpu_read_ns = ns;	/* (a race of threads: a value either way) */
		cpu_read_seen++;
	}
	return cpu_read_ns;
}

/* After a push: the CPU clock into the top frame when its record asks and
 * the frame is the record's outermost.  Not in the frames of a recursion
 * below it: a read (a system call, 3 us on a VM) in each would lengthen
 * every frame by the reads of all those below, which kept a recursive
 * function's average above the threshold once a slow start had marked it
 * (fib(30) ran 100 times slower in 1 process of 20). */
static void cpu_begin(struct tls *t)
{
	struct frame *f = &t->stack[t->depth - 1];

	if (unlikely(f->rec->flags & PPF_REC_CPU) && f->rec->depth == 1) {
		f->cpu_start = thread_cpu_ns();
		f->cpu_tag = f->start;
	}
}

/* Before frame f (a call of dur ns of record r) is popped: its CPU time
 * into r when its entry read the clock; and r (and its slot) marked when
 * its calls have become long enough on average. */
static void cpu_end(struct tls *t, struct frame *f, struct ppf_record *r, uint64_t dur,
		    int abandoned)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	struct ppf_record *parent = f[-1].rec == &t->dropped ? NULL : f[-1].rec;
	uint64_t min = env.cpu_min_ns;
	struct slot *s;

	if (f->cpu_tag && f->cpu_tag == f->start) {
		uint64_t now = thread_cpu_ns();
		uint64_t cpu = now > f->cpu_start ? now - f->cpu_start : 0;

		f->cpu_tag = 0;
		if (!abandoned && f->cpu_start) {
			uint64_t seq = r->seq;

			r->seq = seq + 1;
			pp_wmb();
			r->cpu_ns += cpu < dur ? cpu : dur;
			r->cpu_wall_ns += dur;
			pp_wmb();
			r->seq = seq + 2;
		}
		/* a short call (below half the threshold, its own two reads
		 * of the CPU clock left out) sends its function back to the
		 * fast paths: its first calls were slow (page faults, the
		 * records of a new subtree made) and marked it, or its calls
		 * are short and long by turns, and a long one marks it again
		 * while the average is long.  (Unmarked only once the average
		 * fell, a function of 4 us calls after a 5 ms first one read
		 * the clock in its next 800, and the roots of a call graph
		 * whose first calls made its paths in thousands.) */
		if ((r->flags & PPF_REC_CPU) && (!min || dur < min / 2 + 2 * cpu_read_cost())) {
			__atomic_and_fetch(&r->flags, ~PPF_REC_CPU, __ATOMIC_RELAXED);
			s = rec_probe(t->tab, t->shift, a->mask, f->fn, parent);
			if (s->key == f->fn && s->rec == r)
				s->cpu = 0;
		}
		return;
	}
	if (r == &t->dropped || r->kind != PPF_KIND_FUNCTION || abandoned)
		return;
	if (!(r->flags & PPF_REC_CPU)) {
		/* the average with this call, (sum + dur) / (calls + 1), over
		 * CPU_MIN_CALLS calls at least: a first call is often slow
		 * (page faults, cold caches) */
		if (!min || (r->calls + 1 < CPU_MIN_CALLS ? dur / CPU_ONE_CALL < min :
			     (r->sum_ns + dur) / (r->calls + 1) < min))
			return;
		__atomic_or_fetch(&r->flags, PPF_REC_CPU, __ATOMIC_RELAXED);
		long_fn_note(f->fn);
	}
	/* marked, but this frame's entry did not read the clock: its slot
	 * sends the next entries to the slow path (again, after
	 * rec_table_drop_unloaded rebuilt the table without the mark) */
	s = rec_probe(t->tab, t->shift, a->mask, f->fn, parent);
	if (s->key == f->fn && s->rec == r)
		s->cpu = 1;
}

/* Records the top frame `f` (the stack held `depth` frames) as a call ending
 * at `now` and pops it; makes its histogram page when needed. */
void __attribute__((noinline)) hk_pop_frame(struct tls *t, struct frame *f, uint32_t depth,
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
	if (dur > r->max_ns && !abandoned && r != &t->dropped)
		slow_capture(r, dur);		/* a new longest call: its stack, maybe */
	if (f->cpu_tag || (env.cpu_min_ns && dur >= env.cpu_min_ns))
		cpu_end(t, f, r, dur, abandoned);
	r->depth = rd;
	record_commit(f, depth, dur, b, pg != 0, abandoned, rss, rd == 0);
	pp_sigfence();
	f->fn = 0;
	t->depth = depth - 1;
	errno = saved_errno;
}

/* Pops the top frame as a call that ended without its exit hook. */
void hk_abandon_top(struct tls *t, uint64_t now)
{
	hk_pop_frame(t, &t->stack[t->depth - 1], t->depth, now, 1);
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
int hk_grow_stack(struct tls *t)
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
		((struct ppf_record *)seg_ptr(off))->flags &= ~PPF_REC_FOLDED;
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
	/* a thread that starts over inside its own exit (a signal handler,
	 * another key's destructor) may end without thread_exit(): then no
	 * quiescer must find its state (its area stays, read as a live one) */
	if (!t->exiting)
		__atomic_store_n(&a->owner, t, __ATOMIC_RELEASE);
	__atomic_store_n(&t->area->state, PPF_THREAD_ACTIVE, __ATOMIC_RELEASE);
	t->state = T_READY;
	hk_sample_start(t);	/* PARAPROF_SAMPLE: its CPU-time timer */
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

/* ---- slow paths ---- */

/*
 * The common start of a hook's slow path.  `g` is the gate the hook found,
 * `jumped` whether its stack pointer was far from the top frame's.  Returns
 * 1 with the gate closed by this hook (gate_of(sp)) and the thread
 * synced: the caller records the call and ends with hk_end().  Returns 0
 * when the call is not recorded here: a stranger's (raw clone), a handler's
 * inside a hook (queued by hk_nested), or profiling off or disabled.
 */
int hk_begin(struct tls *t, uint64_t g, unsigned kind, uintptr_t fn, uintptr_t site,
		      uintptr_t sp, int jumped, uint32_t *cp)
{
	uint32_t c;

	if ((jumped || (g & GATE_HOOK)) && t->tid && hk_gettid() != t->tid) {
		hk_count_dropped();	/* another thread with our thread pointer */
		return 0;
	}
	if ((g & GATE_HOOK) && hk_inside_handler(g, sp)) {
		hk_nested(t, kind, fn, site, sp);
		return 0;
	}
	t->gate = gate_of(sp);
	pp_sigfence();
	c = *seg_ctl;
	if (g & GATE_HOOK)
		hk_repair_stale(t, g);
	if (!(c & PPF_FLAG_ENABLED) || !sync_thread(t)) {
		if (t->nested)
			hk_flush_nested(t);
		if (t->samp_due)
			hk_sample_flush(t);
		t->gate = 0;
		return 0;
	}
	*cp = c;
	return 1;
}

/* Ends a hook: adds what handlers queued meanwhile, then opens the gate. */
void hk_end(struct tls *t, uint32_t c)
{
	if (unlikely(t->nested))
		hk_flush_nested(t);
	if (unlikely(t->samp_due))
		hk_sample_flush(t);
	pp_sigfence();
	t->gate = t->state == T_READY && !t->overflow ? (uint64_t)c + 1 : 0;
}

/* The calling thread's record for `fn` called from its top frame's path:
 * one probe, else lookup_slow. */
struct ppf_record *hk_lookup(struct tls *t, uintptr_t fn)
{
	struct ppf_record *parent = t->depth ? t->stack[t->depth - 1].rec : NULL;
	struct slot *s = &t->tab[rec_index(fn, parent, t->shift)];

	return s->key == fn && s->parent == parent ? s->rec : lookup_slow(t, fn, parent);
}



static int on_altstack(void)
{
	stack_t ss;

	return sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
}

/*
 * An entry of `fn` from `site` at stack pointer `sp` on the slow path (a
 * jump that hooks_longjmp could not count sends the next entry there)
 * finds frames that can no longer be live, and counts them as abandoned:
 *  - frames below sp: control came back above them (a longjmp that did
 *    not go through wrap.c, a C++ exception through code without cleanups);
 *  - a frame at sp from another call site: a sibling, left the same way
 *    (an inlined callee shares its host's sp and reports the host's site);
 *  - after such a jump through wrap.c (t->jumped): a frame at sp that
 *    is this very call again, and frames on another stack (a handler's on
 *    an alternate signal stack).  Only then: gcc inlines a recursive
 *    function into itself, which gives a live frame of the same function,
 *    site and sp.  Frames on an alternate signal stack we are not on are
 *    a handler's that left.
 * A signal handler abandons nothing by its stack pointer, on an alternate
 * stack above the thread's or on the thread's own: it may have interrupted
 * a function between its epilogue and its exit hook (gcc calls the exit
 * hook as a tail call at -O2, after freeing the frame's stack), whose frame
 * is below the handler's and still live.
 */
static void abandon_left(struct tls *t, uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	uint64_t now = clock_now();
	int alt = -1;			/* on an alternate signal stack: not known yet */
	uintptr_t alt_lo = 1, alt_hi = 0;	/* the alternate signal stack we are not on */
	stack_t ss;

	if (t->jumped && sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & (SS_ONSTACK | SS_DISABLE))) {
		alt_lo = (uintptr_t)ss.ss_sp;
		alt_hi = alt_lo + ss.ss_size;
	}

	while (t->depth) {
		const struct frame *top = &t->stack[t->depth - 1];
		int region = top->site == REGION_SITE || top->site == REGION_SITE_MEM;

		/* (a handler abandons nothing by its stack pointer: it may have
		 * interrupted a function whose exit hook gcc calls after the
		 * epilogue, as a tail call, with the frame's stack freed) */
		if (top->sp < sp && alt < 0)
			alt = !t->jumped && (on_altstack() || hk_in_signal_frame(sp));
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
		hk_abandon_top(t, now);
	}
	t->jumped = 0;
}

/*
 * 1 when a frame at stack pointer `fsp` is left by a jump that lands at
 * `target`, [alt_lo, alt_hi] being the alternate signal stack: a frame
 * below target on the same stack (a callee's entry hook runs below the
 * landing point; the function that set the buffer, and what gcc inlined
 * into it, have target itself), and a handler's frame on the alternate
 * stack when the jump leaves it.  A jump within a handler on the alternate
 * stack leaves no frame of the thread's own stack.
 */
static int left_by_jump(uintptr_t fsp, uintptr_t target, uintptr_t alt_lo, uintptr_t alt_hi)
{
	int frame_alt = fsp >= alt_lo && fsp <= alt_hi;
	int target_alt = target >= alt_lo && target <= alt_hi;

	if (frame_alt != target_alt)
		return frame_alt;
	return fsp < target;
}

/*
 * A longjmp or siglongjmp of this thread lands at `target` (wrap.c): the
 * frames it leaves are counted as abandoned now, the gate closed meanwhile
 * as in a hook.  Nothing is left for later, so a signal handler that runs
 * before the jump lands (siglongjmp unblocks signals first) or right after
 * finds the stack as it is.  When the target is not known, or the jump
 * leaves a handler that interrupted a hook of the thread (its gate is
 * closed), the next entry looks for the frames (abandon_left).
 */
void hooks_longjmp(uintptr_t target)
{
	struct tls *t = &hooks_tls;
	uintptr_t sp = (uintptr_t)__builtin_dwarf_cfa();
	uintptr_t alt_lo = 1, alt_hi = 0;
	int saved_errno = errno;
	uint64_t now;
	stack_t ss;
	uint32_t c;

	if (!target || !hk_gate_close(t, sp, &c)) {
		t->jumped = 1;
		t->cap = 0;		/* the next entry takes the slow path */
		return;
	}
	if (t->depth) {
		uintptr_t top = t->stack[t->depth - 1].sp;

		if (top - sp > SP_JUMP && sp - top > SP_JUMP && t->tid && hk_gettid() != t->tid) {
			t->gate = (uint64_t)c + 1;	/* another thread with our thread pointer */
			return;
		}
		if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE)) {
			alt_lo = (uintptr_t)ss.ss_sp;
			alt_hi = alt_lo + ss.ss_size;
		}
		now = clock_now();
		while (t->depth && left_by_jump(t->stack[t->depth - 1].sp, target, alt_lo, alt_hi))
			hk_abandon_top(t, now);
	}
	hk_end(t, c);
	errno = saved_errno;
}

/* An entry the fast path does not take; the gate is as the hook found it. */
static void __attribute__((noinline)) enter_slow(uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	struct tls *t = &hooks_tls;
	uint64_t g = t->gate;
	int saved_errno = errno;
	/* not t->cap: a handler's queued calls set it to 0 (a flush is due) */
	int jumped = t->depth && t->stack[t->depth - 1].sp - sp > SP_JUMP;
	uint32_t c;

	if (!hk_begin(t, g, HOOK_ENTER, fn, site, sp, jumped, &c))
		goto out;
	abandon_left(t, fn, site, sp);
	if (t->depth == 0)
		t->stack[-1].sp = sp + 16;	/* calls from here down take the fast path */
	if (t->overflow || (t->depth == hk_cap(t) && hk_grow_stack(t) < 0)) {
		t->overflow++;
		__atomic_fetch_add(&seg_header()->stack_overflows, 1, __ATOMIC_RELAXED);
	} else {
		t->stack[t->depth].fn = fn;
		pp_sigfence();
		push_rest(t, t->depth, hk_lookup(t, fn), site, sp, 0);
		cpu_begin(t);
	}
	hk_end(t, c);
	if (unlikely(calib_pending()))
		calib_run(t);		/* once, at the first entry after the segment was made */
out:
	errno = saved_errno;
}

/* An exit the fast path does not take; the gate is as the hook found it. */
static void __attribute__((noinline)) exit_slow(uintptr_t fn, uintptr_t site, uintptr_t sp)
{
	struct tls *t = &hooks_tls;
	uint64_t g = t->gate;
	int saved_errno = errno;
	int jumped = t->depth && sp + SP_BELOW - t->stack[t->depth - 1].sp > SP_JUMP;
	uint64_t now = clock_now();
	uint32_t c, d;

	if (!hk_begin(t, g, HOOK_EXIT, fn, site, sp, jumped, &c))
		goto out;
	if (t->overflow) {
		t->overflow--;		/* one of the frames past the stack */
	} else if (!(d = hk_match_exit(t->stack, t->depth, fn, site))) {
		__atomic_fetch_add(&seg_header()->unmatched_exits, 1, __ATOMIC_RELAXED);
	} else {
		while (t->depth > d)
			hk_abandon_top(t, now);	/* frames above it never saw their exit */
		hk_pop_frame(t, &t->stack[d - 1], d, now, 0);
	}
	hk_end(t, c);
out:
	errno = saved_errno;
}

/* The end of a hook that began with gate `g`, out of line: a memory sample
 * that is due at `now` (0: none), calls that handlers queued meanwhile. */
static void __attribute__((noinline)) end_slow(uint64_t g, uint64_t now)
{
	struct tls *t = &hooks_tls;

	if (now && now >= sampler_due)
		sampler_tick(now);
	if (t->nested)
		hk_flush_nested(t);
	if (t->samp_due)
		hk_sample_flush(t);
	pp_sigfence();
	t->gate = g;
}

/* The rest of an entry whose function the thread's table has not seen (or
 * that collides), or without the TSC: the gate is closed, the frame's fn
 * written. */
static void __attribute__((noinline)) enter_rest(uint64_t g, uintptr_t fn, uintptr_t site,
						uintptr_t sp)
{
	struct tls *t = &hooks_tls;
	int saved_errno = errno;

	push_rest(t, t->depth, hk_lookup(t, fn), site, sp, 0);
	cpu_begin(t);
	errno = saved_errno;
	end_slow(g, 0);
}

/* The rest of an exit whose call needs a new histogram page, or without the
 * TSC (`now` 0). */
static void __attribute__((noinline)) exit_rest(uint64_t g, uint64_t now)
{
	struct tls *t = &hooks_tls;

	if (!now)
		now = clock_now();
	hk_pop_frame(t, &t->stack[t->depth - 1], t->depth, now, 0);
	end_slow(g, now);
}

/* ---- the hooks ---- *
 *
 * Their fast paths make no call but tail calls, so that they save no
 * register: everything out of the way is a noinline function above. */

PP_EXPORT void __cyg_profile_func_enter(void *this_fn, void *call_site);
PP_EXPORT void __cyg_profile_func_exit(void *this_fn, void *call_site);

/* The entry past its first check: the gate is closed (gate_of(sp)) and the
 * control word `c` is the one the thread has seen.  Out of the hook itself,
 * so that a disabled or idle hook saves no register.  What is not the
 * steady state reopens the gate as it was (c + 1) and takes a slow path. */
static void __attribute__((noinline)) enter_fast(uintptr_t fn, uintptr_t site, uint32_t c,
						uintptr_t sp)
{
	struct tls *t = &hooks_tls;
	uint32_t d;
	struct frame *f;
	struct slot *s;
	struct ppf_record *parent;

	d = t->depth;
	f = &t->stack[d];
	/* a frame below our stack pointer was left by longjmp; far above it
	 * is another stack (a stranger, or an alternate signal stack) */
	if (unlikely(d >= t->cap || f[-1].sp - sp > SP_JUMP)) {
		t->gate = (uint64_t)c + 1;
		enter_slow(fn, site, sp);
		return;
	}
	f->fn = fn;
	parent = f[-1].rec;		/* the path we are called from (NULL: none) */
	s = &t->tab[rec_index(fn, parent, t->shift)];
	if (unlikely(s->key != fn || s->parent != parent || !(c & PPF_FLAG_TSC) || s->cpu)) {
		enter_rest((uint64_t)c + 1, fn, site, sp);
		return;
	}
	push_rest(t, d, s->rec, site, sp, 1);
	pp_sigfence();
	t->gate = (uint64_t)c + 1;
}

/* The hooks begin with hk_gate_close().  The control word carries
 * PPF_FLAG_TSC, so the fast paths know their clock without another load. */
void __cyg_profile_func_enter(void *this_fn, void *call_site)
{
	struct tls *t = &hooks_tls;
	uintptr_t fn = (uintptr_t)this_fn, site = (uintptr_t)call_site;
	uintptr_t sp = (uintptr_t)__builtin_dwarf_cfa();
	uint32_t c;

	if (likely(hk_gate_close(t, sp, &c))) {
		enter_fast(fn, site, c, sp);
		return;
	}
	if (c & PPF_FLAG_ENABLED)
		enter_slow(fn, site, sp);
}

/* The exit past its first check; see enter_fast. */
static void __attribute__((noinline)) exit_fast(uintptr_t fn, const void *call_site, uint32_t c,
					       uintptr_t sp)
{
	struct tls *t = &hooks_tls;
	uint32_t rd;
	uint64_t now, dur;
	struct ppf_record *r;
	struct frame *f;
	unsigned b;

	f = &t->stack[(ptrdiff_t)t->depth - 1];
	if (unlikely(f->fn != fn || sp + SP_BELOW - f->sp > SP_JUMP)) {
		t->gate = (uint64_t)c + 1;
		exit_slow(fn, (uintptr_t)call_site, sp);
		return;
	}
	if (unlikely(!(c & PPF_FLAG_TSC))) {
		exit_rest((uint64_t)c + 1, 0);
		return;
	}
	now = tsc_now();
	dur = frame_ns(f, now);
	b = ppf_bucket(dur);
	r = f->rec;
	if (unlikely(!r->pages[b >> PPF_SUB_BITS] || now >= sampler_due || dur > r->max_ns ||
		     (r->flags & PPF_REC_CPU))) {
		/* a new octave, a memory sample, a new longest call, or a
		 * call whose CPU time is read */
		exit_rest((uint64_t)c + 1, now);
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

void __cyg_profile_func_exit(void *this_fn, void *call_site)
{
	struct tls *t = &hooks_tls;
	uintptr_t fn = (uintptr_t)this_fn;
	uintptr_t sp = (uintptr_t)__builtin_dwarf_cfa();
	uint32_t c;

	if (likely(hk_gate_close(t, sp, &c))) {
		exit_fast(fn, call_site, c, sp);
		return;
	}
	if (c & PPF_FLAG_ENABLED)
		exit_slow(fn, (uintptr_t)call_site, sp);
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
		hk_repair_stale(t, g);	/* the thread or the process ends inside a handler */
	now = clock_now();
	while (t->depth)
		hk_abandon_top(t, now);
	t->overflow = 0;
	if (t->nested)
		hk_flush_nested(t);
	if (t->samp_due)
		hk_sample_flush(t);
}

/* pthread key destructor: the thread is exiting.  Its area is kept with its
 * figures (seg_exit_area); the oldest kept one past PARAPROF_MAX_THREADS,
 * or its own when that is 0, is folded into area 0 here, with the gate
 * closed as in a hook, so that a process exit waits for the fold. */
static void thread_exit(void *arg)
{
	struct tls *t = arg;
	struct area_priv *a;
	sigset_t all, old;
	unsigned victim;
	int folded = 0;

	if (t != &hooks_tls || t->state != T_READY || !seg_base)
		return;
	/* a signal handler's calls while the area is folded and given back
	 * would count nowhere: they wait until the thread can start over */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	a = &rec_priv[t->area_idx];
	t->exiting = 1;
	hk_sample_stop(t);	/* (a SIGPROF pending now finds the thread not ready) */
	abandon_stack(t);
	victim = seg_exit_area(t->area_idx);
	if (victim)
		folded = rec_fold_area(seg_thread(victim));
	if (folded)
		__atomic_fetch_add(&seg_header()->threads_folded, 1, __ATOMIC_RELAXED);
	/* the gate open first, so that a quiescer reading it stops waiting;
	 * then no quiescer may still hold `t` when this thread's memory goes,
	 * nor the area be another thread's before its owner is cleared */
	pp_sigfence();
	t->gate = 0;
	__atomic_store_n(&a->owner, NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&a->readers, __ATOMIC_SEQ_CST))
		sched_yield();
	if (victim != t->area_idx)
		seg_keep_area(t->area_idx);
	if (folded)
		seg_release_area(victim);
	else if (victim && victim != t->area_idx)
		seg_keep_unfolded(victim);	/* no room in area 0: kept, tried again later */
	/* a later call (another key's destructor) starts over */
	t->state = T_UNSET;
	t->area = NULL;
	t->stack = &no_stack[1];
	t->cap = 0;
	t->depth = 0;
	t->tid = 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void hooks_abandon_all(void)
{
	struct tls *t = &hooks_tls;

	if (t->state != T_READY || !seg_base)
		return;
	abandon_stack(t);
	t->gate = 0;
}


void hooks_modules_changed(void)
{
	struct ppf_header *h = seg_header();

	__atomic_fetch_add(&module_gen, 1, __ATOMIC_RELEASE);
	if (h)
		ppc_control_bump_epoch(h);
}

void hooks_thread_named(const char *name)
{
	struct tls *t = &hooks_tls;
	char copy[16] = { 0 };

	if (t->state != T_READY || !t->area || !name)
		return;
	/* [15] stays NUL: a reader never sees the name unended */
	strncpy(copy, name, 15);
	memcpy(t->area->name, copy, 15);
}

void hooks_init(void)
{
	if (!rec_priv) {
		rec_priv = rec_map(REC_AREA_MAX * sizeof(*rec_priv));
		long_fns = rec_map(LONG_FNS * sizeof(*long_fns));
		pthread_key_create(&exit_key, thread_exit);
	}
}

void hooks_forget(void)
{
	struct tls *t = &hooks_tls;

	/* in the child after fork: every pointer into the parent's segment
	 * goes, and the stacks hold the parent's threads' frames */
	rec_forget();
	hk_sample_forget_all();		/* the parent's timers are not the child's */
	for (unsigned i = 0; rec_priv && i < REC_AREA_MAX; i++) {
		if (rec_priv[i].stack)
			munmap(rec_priv[i].stack, ((size_t)rec_priv[i].cap + 1) * sizeof(struct frame));
		rec_priv[i].stack = NULL;
		rec_priv[i].cap = 0;
		rec_priv[i].readers = 0;
	}
	if (t->nest)
		memset(t->nest, 0, sizeof(*t->nest));
	hk_sample_forget(t);
	t->gate = 0;
	t->depth = 0;
	t->cap = 0;
	t->stack = &no_stack[1];
	t->overflow = 0;
	t->nested = 0;
	t->tid = 0;
	t->exiting = 0;
	t->state = T_UNSET;
	t->area = NULL;
}
