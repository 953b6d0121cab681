/* cpusample.c - what self time is made of: PARAPROF_SAMPLE=HZ
 *
 * With PARAPROF_SAMPLE=HZ each recording thread has a POSIX timer on its own
 * CPU clock (timer_create(CLOCK_THREAD_CPUTIME_ID), SIGEV_THREAD_ID) that
 * sends it SIGPROF HZ times per second of its CPU time.  The handler finds
 * the function the thread's innermost instrumented function is running
 * (charged_to): its own code, or the function it called, read from the
 * call before the return address just below its entry hook's stack
 * pointer, else the function that holds the program counter (functions by
 * the start of their FDE in the module's .eh_frame_hdr, found with glibc's
 * _dl_find_object(), which takes no lock and allocates nothing).  That is
 * noted, with the record of the thread's top shadow frame, in a small ring
 * of private memory.  Nothing shared is written there: the thread's next hook
 * that takes a slow path (the handler sends the next entry there) turns the
 * ring into records of kind PPF_KIND_SAMPLE under that record (format.h), as
 * a handler's calls are queued and flushed (hooks_signal.c).
 *
 * So no unwinding is done in the handler, and none of the traps of unwinding
 * there (dl_iterate_phdr's lock taken by a dlopen the signal interrupted,
 * malloc in the unwinder's caches) can be met.  A sample that finds the thread inside one of our hooks (its gate
 * closed) or with no instrumented function active is not kept.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "hooks.h"

PP_EXPORT void __cyg_profile_func_enter(void *this_fn, void *call_site);
PP_EXPORT void __cyg_profile_func_exit(void *this_fn, void *call_site);

#define RING 4096			/* samples a thread keeps until its next slow hook */
#define COALESCE 8			/* pending entries a sample may join */

struct ring_entry {
	uintptr_t fn;			/* the function that held the PC (or the PC) */
	struct ppf_record *parent;	/* the top shadow frame's record then */
	uint64_t weight;		/* periods it stands for: 1 + the timer's
					   overruns (the kernel checks CPU timers at
					   its ticks: at 1 kHz and HZ=250, 4) */
};

/* A thread's samples not yet in records.  Written by its handler (tail),
 * read by the thread's own hooks (head): one writer each. */
struct cpusample_ring {
	uint32_t head, tail;
	uint32_t armed;			/* `timer` exists: whoever clears this (atomic
					   exchange) deletes it: the owner at its exit
					   or exec, or cpusample_yield() */
	timer_t timer;			/* the owner's CPU-time timer */
	uint64_t lost;			/* samples that found the ring full */
	struct ppf_record *cur;		/* record a flush is writing, NULL = none */
	uint64_t cur_seq;		/* its seq before */
	struct ring_entry q[RING];
};

static int sample_on;			/* the handler is installed */
static uint64_t period_ns;		/* CPU time between two samples */

/* ---- functions from program counters ---- */

/* The size of a DWARF pointer of encoding `enc` (its low nibble), 0 when
 * not one we read. */
static unsigned enc_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: return 8;	/* absptr, udata8, sdata8 */
	case 0x03: case 0x0b: return 4;			/* udata4, sdata4 */
	case 0x02: case 0x0a: return 2;			/* udata2, sdata2 */
	default: return 0;
	}
}

/* A little-endian number of `size` bytes.  (Byte by byte, as the
 * handler calls nothing a program could replace, memcpy included.) */
static uint64_t read_unsigned(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

static const uint8_t *skip_leb(const uint8_t *p, const uint8_t *end)
{
	while (p < end && (*p & 0x80))
		p++;
	return p < end ? p + 1 : NULL;
}

/* The length of the code an FDE covers (its pc_range), read with the
 * pointer encoding of its CIE's 'R' augmentation; 0 when the FDE or its CIE
 * is of a form not read here (the caller then keeps the bare PC). */
static uint64_t fde_range(const uint8_t *fde)
{
	uint32_t len = (uint32_t)read_unsigned(fde, 4);
	uint32_t cie_off = (uint32_t)read_unsigned(fde + 4, 4);
	const uint8_t *cie, *p, *end, *aug;
	uint8_t enc = 0, version;
	unsigned size;

	if (len == 0 || len == 0xffffffffu || cie_off == 0)
		return 0;
	cie = fde + 4 - cie_off;
	len = (uint32_t)read_unsigned(cie, 4);
	if (len == 0 || len == 0xffffffffu || read_unsigned(cie + 4, 4) != 0)
		return 0;
	end = cie + 4 + len;
	version = cie[8];
	aug = cie + 9;
	for (p = aug; p < end && p < aug + 16 && *p; p++)
		;
	if (p == end || *p || aug[0] != 'z' || (version != 1 && version != 3))
		return 0;
	p++;
	if (!(p = skip_leb(p, end)) || !(p = skip_leb(p, end)))	/* code, data align */
		return 0;
	p = version == 1 ? p + 1 : skip_leb(p, end);		/* return register */
	if (!p || !(p = skip_leb(p, end)))				/* augmentation length */
		return 0;
	for (const uint8_t *a = aug + 1; *a && p < end; a++) {
		if (*a == 'R') {
			enc = *p++;
			break;
		} else if (*a == 'P') {
			if (!(size = enc_size(*p)))
				return 0;
			p += 1 + size;
		} else if (*a == 'L') {
			p++;
		} else if (*a != 'S' && *a != 'B') {
			return 0;
		}
	}
	if (!(size = enc_size(enc)))
		return 0;
	return read_unsigned(fde + 8 + size, size);
}

/*
 * The function that holds `pc`, from the FDE table of its module's
 * .eh_frame_hdr (the table every unwinder searches): 1 with its start in
 * *start, or 0 when no module, table or FDE covers it, or the table is of a
 * form not read here.  Async-signal-safe: _dl_find_object() (glibc 2.35) is
 * documented AS-Safe (it reads its data under a version counter, without a
 * lock, and allocates nothing, also while another thread, or the code the
 * signal interrupted, is inside dlopen or dlclose), and the rest reads the
 * module's memory.
 */
static int fde_of(uintptr_t pc, uintptr_t *start)
{
	struct dl_find_object fo;
	const uint8_t *h;
	const int32_t *tab;
	unsigned psize;
	uint32_t count, lo, hi;

	if (_dl_find_object((void *)pc, &fo) != 0 || !fo.dlfo_eh_frame)
		return 0;
	h = fo.dlfo_eh_frame;
	/* version 1, the count udata4, the table datarel|sdata4 pairs */
	if (h[0] != 1 || h[2] != 0x03 || h[3] != 0x3b || !(psize = enc_size(h[1])))
		return 0;
	count = (uint32_t)read_unsigned(h + 4 + psize, 4);
	tab = (const int32_t *)(const void *)(h + 8 + psize);
	if (!count || pc < (uintptr_t)h + tab[0])
		return 0;
	/* the last entry whose start is at or below pc */
	lo = 0;
	hi = count;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)h + tab[2 * mid] <= pc)
			lo = mid;
		else
			hi = mid;
	}
	*start = (uintptr_t)h + tab[2 * lo];
	return pc - *start < fde_range(h + tab[2 * lo + 1]);	/* else code without an FDE */
}

/* The start of the function that holds `pc`, or `pc` itself (fde_of). */
static uintptr_t function_of(uintptr_t pc)
{
	uintptr_t start;

	return fde_of(pc, &start) ? start : pc;
}

#if defined(__x86_64__)
/* 1 when the code at `p` begins with endbr64 (which it then skips). */
static int endbr(const uint8_t **p)
{
	const uint8_t *c = *p;

	if (c[0] != 0xf3 || c[1] != 0x0f || c[2] != 0x1e || c[3] != 0xfa)
		return 0;
	*p = c + 4;
	return 1;
}

/*
 * The function that the call ending at return address `ret` calls, when
 * the call says it: `call rel32` to a function, or to its PLT stub
 * (`jmp *GOT(%rip)`, after endbr64 and bnd or not) whose GOT entry is
 * resolved, or `call *disp(%rip)` (-fno-plt, a function pointer).  0 when
 * not one of these, not the start of a function with an FDE, or one of
 * our hooks.  Every byte read is code that an FDE covers, or the slot such
 * code names.
 */
static uintptr_t callee_at(uintptr_t ret)
{
	const uint8_t *r = (const uint8_t *)ret, *p;
	uintptr_t t, start;

	if (r[-5] == 0xe8) {
		t = ret + (uintptr_t)(intptr_t)(int32_t)read_unsigned(r - 4, 4);
		if (!fde_of(t, &start))
			return 0;
		p = (const uint8_t *)t;
		endbr(&p);
		if (p[0] == 0xf2)
			p++;			/* bnd */
		if (p[0] == 0xff && p[1] == 0x25) {
			t = *(const uintptr_t *)(const void *)(p + 6 + (int32_t)read_unsigned(p + 2, 4));
			/* a GOT entry not resolved yet points at the lazy
			 * stub, push $n; jmp: not a callee */
			if (!fde_of(t, &start))
				return 0;
			p = (const uint8_t *)t;
			endbr(&p);
			if (p[0] == 0x68)
				return 0;
		}
	} else if (r[-6] == 0xff && r[-5] == 0x15) {
		t = *(const uintptr_t *)(const void *)(r + (int32_t)read_unsigned(r - 4, 4));
	} else {
		return 0;
	}
	if (!fde_of(t, &start) || start != t ||
	    t == (uintptr_t)__cyg_profile_func_enter || t == (uintptr_t)__cyg_profile_func_exit)
		return 0;
	return t;
}
#endif

/*
 * The function under the instrumented frame `f` that the sample at `pc`
 * (stack pointer `sp`) is charged to: f's own code, else the function f
 * called, when f's call can be read (x86-64): the return address into f
 * lies just below f's stack pointer at its entry hook (its CFA, f->sp)
 * when f calls with that stack pointer, which gcc's code does but for
 * calls with arguments on the stack; else, or when that word is no return
 * address into f, the innermost function (the one that holds pc).  The
 * word is read only when it lies between sp and f->sp on the stack the
 * thread runs on.
 */
static uintptr_t charged_to(const struct frame *f, uintptr_t pc, uintptr_t sp)
{
	uintptr_t inner = function_of(pc);

#if defined(__x86_64__)
	uintptr_t slot = f->sp - sizeof(uintptr_t), ret, start, callee;

	if (inner == f->fn || !sp || sp > slot || slot - sp > SP_JUMP)
		return inner;
	ret = *(const uintptr_t *)slot;
	if (!fde_of(ret - 1, &start) || start != f->fn)
		return inner;		/* (ret - 1: a call may end the function) */
	callee = callee_at(ret);
	return callee ? callee : inner;
#else
	(void)f;
	(void)sp;
	return inner;
#endif
}

/* ---- the handler ---- */

/* The interrupted stack pointer, 0 when not known here. */
static uintptr_t context_sp(const void *ctx)
{
#if defined(__x86_64__)
	return (uintptr_t)((const ucontext_t *)ctx)->uc_mcontext.gregs[REG_RSP];
#else
	(void)ctx;
	return 0;
#endif
}

static uintptr_t context_pc(const void *ctx)
{
#if defined(__x86_64__)
	return (uintptr_t)((const ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)((const ucontext_t *)ctx)->uc_mcontext.pc;
#else
	(void)ctx;
	return 0;
#endif
}

/* SIGPROF from the thread's timer: the function the thread runs and its
 * top frame's record into the ring.  Writes only the ring, t->samp_due and
 * t->cap (which sends the next entry to the slow path, which restores it),
 * and only while no hook of the thread runs (its gate open): the flush,
 * which runs in a hook, never reads the ring under it.  A sample of a
 * (function, record) among the last COALESCE pending ones adds to that
 * entry's weight, so that a thread that stays in uninstrumented code (a
 * library's loop) for more than RING samples, with no hook to flush them,
 * loses none. */
static void on_sigprof(int sig, siginfo_t *si, void *ctx)
{
	struct tls *t = &hooks_tls;
	struct cpusample_ring *q = t->samp;
	int saved_errno = errno;
	const struct frame *f;
	struct ring_entry *e;
	uintptr_t pc, fn;
	uint64_t weight;

	(void)sig;
	if (si->si_code != SI_TIMER || !q || t->state != T_READY || (t->gate & GATE_HOOK) ||
	    !t->depth || t->overflow || !(*seg_ctl & PPF_FLAG_ENABLED))
		goto out;
	f = &t->stack[t->depth - 1];
	if (!f->site || !(pc = context_pc(ctx)))
		goto out;
	fn = charged_to(f, pc, context_sp(ctx));
	weight = 1 + (uint64_t)(si->si_overrun > 0 ? si->si_overrun : 0);
	for (uint32_t i = q->tail; i != q->head && q->tail - i < COALESCE;) {
		e = &q->q[--i % RING];
		if (e->fn == fn && e->parent == f->rec) {
			e->weight += weight;
			goto due;
		}
	}
	if (q->tail - q->head >= RING) {
		q->lost++;
		goto out;
	}
	e = &q->q[q->tail % RING];
	e->fn = fn;
	e->parent = f->rec;
	e->weight = weight;
	pp_sigfence();
	q->tail++;
due:
	pp_sigfence();
	t->samp_due = 1;
	t->cap = 0;
out:
	errno = saved_errno;
}

void cpusample_init(void)
{
	struct sigaction sa, old;

	if (!env.sample_hz || sample_on)
		return;
	if (wrap_real_sigaction(SIGPROF, NULL, &old) != 0)
		return;
	if ((old.sa_flags & SA_SIGINFO) ? old.sa_sigaction != NULL :
	    old.sa_handler != SIG_DFL) {
		env_warn("PARAPROF_SAMPLE: the program handles or ignores SIGPROF; no sampling");
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigprof;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	period_ns = 1000000000ull / env.sample_hz;
	if (wrap_real_sigaction(SIGPROF, &sa, NULL) != 0)
		return;
	__atomic_store_n(&sample_on, 1, __ATOMIC_RELEASE);
}

/* Starts the calling thread's timer (thread_ready: once per thread, out of
 * the fast path; again after an exec that failed).  Without memory or a
 * timer the thread goes unsampled, after one line. */
void hk_sample_start(struct tls *t)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	struct sigevent sev;
	struct itimerspec its;
	timer_t id;

	if (!__atomic_load_n(&sample_on, __ATOMIC_ACQUIRE) ||
	    (t->samp && __atomic_load_n(&t->samp->armed, __ATOMIC_ACQUIRE)))
		return;
	if (!a->samp && !(a->samp = rec_map(sizeof(struct cpusample_ring))))
		return;
	t->samp = a->samp;
	memset(t->samp, 0, offsetof(struct cpusample_ring, q));
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGPROF;
	sev._sigev_un._tid = (int)hk_gettid();
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &id) != 0) {
		static int said;

		if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
			env_warn("PARAPROF_SAMPLE: cannot make a CPU-time timer: %s; "
				 "a thread goes unsampled", strerror(errno));
		return;
	}
	its.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
	its.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
	its.it_value = its.it_interval;
	if (timer_settime(id, 0, &its, NULL) != 0) {
		timer_delete(id);
		return;
	}
	t->samp->timer = id;
	__atomic_store_n(&t->samp->armed, 1, __ATOMIC_RELEASE);
}

/* Deletes the calling thread's timer (its exit, an exec) when it has one. */
void hk_sample_stop(struct tls *t)
{
	struct cpusample_ring *q = t->samp;

	/* (in a vfork()ed child, which has no timer, the delete fails: the
	 * parent's thread, whose ring this is, keeps its own) */
	if (q && __atomic_exchange_n(&q->armed, 0, __ATOMIC_ACQ_REL) && timer_delete(q->timer) != 0)
		__atomic_store_n(&q->armed, 1, __ATOMIC_RELEASE);
}

/* Adds a sample of `fn` under `parent` (`weight` periods) to its record, made when new; the
 * caller is a hook of the thread (its gate closed).  A sample whose record
 * cannot be had is dropped (counted in header.dropped_functions). */
static void add_sample(struct tls *t, struct cpusample_ring *q, uintptr_t fn,
		       struct ppf_record *parent, uint64_t weight)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	uintptr_t tkey = fn ^ ((uint64_t)PPF_KIND_SAMPLE << 56);
	struct slot *s = rec_probe(a->tab, a->shift, a->mask, tkey, parent);
	struct ppf_record *r;
	uint64_t seq;

	if (s->key == tkey && s->rec->kind == PPF_KIND_SAMPLE) {
		r = s->rec;
	} else {
		/* seg_cover takes the module lock: only for a new record */
		r = rec_node(a, t->area, PPF_KIND_SAMPLE, fn, seg_cover(fn), tkey, parent);
		t->tab = a->tab;
		t->shift = a->shift;
		if (!r) {
			hk_count_dropped();
			return;
		}
	}
	seq = r->seq;
	q->cur_seq = seq;
	pp_sigfence();
	q->cur = r;
	pp_sigfence();
	r->seq = seq + 1;
	pp_wmb();
	r->sum_ns += weight * period_ns;
	r->min_ns = period_ns;
	r->max_ns = period_ns;
	r->hist_dropped += weight;
	r->calls += weight;
	pp_wmb();
	r->seq = seq + 2;
	pp_sigfence();
}

/* Turns the ring into records; the caller is a hook of the thread (gate
 * closed) or its exit. */
void hk_sample_flush(struct tls *t)
{
	struct cpusample_ring *q = t->samp;
	int saved_errno = errno;

	t->samp_due = 0;
	pp_sigfence();
	while (q && q->head != __atomic_load_n(&q->tail, __ATOMIC_RELAXED)) {
		const struct ring_entry *e = &q->q[q->head % RING];

		if (t->state == T_READY && t->area && e->parent && e->parent != &t->dropped)
			add_sample(t, q, e->fn, e->parent, e->weight);
		q->head++;
		pp_sigfence();
		q->cur = NULL;
	}
	errno = saved_errno;
}

/* A flush cut short by a handler's siglongjmp (hk_repair_stale): its
 * record's seqlock is closed, and the sample counted once it was. */
void hk_sample_repair(struct tls *t)
{
	struct cpusample_ring *q = t->samp;
	struct ppf_record *r;

	if (!q || !(r = q->cur))
		return;
	if (r->seq == q->cur_seq + 2) {
		q->head++;			/* done, the ring not yet told */
	} else if (r->seq & 1) {
		pp_wmb();
		r->seq++;			/* at most one sample half written */
		q->head++;
	}
	q->cur = NULL;
}

/* In a fork child: no timer is inherited; the ring starts empty. */
void hk_sample_forget(struct tls *t)
{
	if (t->samp)
		memset(t->samp, 0, offsetof(struct cpusample_ring, q));
	t->samp = NULL;
	t->samp_due = 0;
}

void hk_sample_forget_all(void)
{
	for (unsigned i = 0; rec_priv && i < REC_AREA_MAX; i++)
		if (rec_priv[i].samp)
			rec_priv[i].samp->armed = 0;
}

void cpusample_yield(void)
{
	sigset_t prof, old;
	struct timespec zero = { 0, 0 };

	if (!__atomic_exchange_n(&sample_on, 0, __ATOMIC_ACQ_REL))
		return;
	env_warn("PARAPROF_SAMPLE: the program sets its own SIGPROF action; sampling stops");
	sigemptyset(&prof);
	sigaddset(&prof, SIGPROF);
	pthread_sigmask(SIG_BLOCK, &prof, &old);
	/* every thread's timer: timer ids are the process's */
	for (unsigned i = 0; rec_priv && i < REC_AREA_MAX; i++) {
		struct cpusample_ring *q = rec_priv[i].samp;

		if (q && __atomic_exchange_n(&q->armed, 0, __ATOMIC_ACQ_REL))
			timer_delete(q->timer);
	}
	/* what our timers sent this thread is not for the program's handler
	 * (another thread may still take one sent just before: its handler
	 * is ours until the caller installs its own) */
	while (sigtimedwait(&prof, NULL, &zero) == SIGPROF)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int cpusample_owns_sigprof(void)
{
	return __atomic_load_n(&sample_on, __ATOMIC_ACQUIRE);
}

void cpusample_before_exec(void)
{
	struct tls *t = &hooks_tls;
	sigset_t prof, old;
	struct timespec zero = { 0, 0 };

	if (!t->samp || !__atomic_load_n(&t->samp->armed, __ATOMIC_ACQUIRE))
		return;
	sigemptyset(&prof);
	sigaddset(&prof, SIGPROF);
	pthread_sigmask(SIG_BLOCK, &prof, &old);
	hk_sample_stop(t);
	/* one that the timer sent before it went (the handler kept its
	 * sample; the new program would die of it) */
	while (sigtimedwait(&prof, NULL, &zero) == SIGPROF)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void cpusample_after_exec(void)
{
	struct tls *t = &hooks_tls;

	if (t->state == T_READY && t->samp)
		hk_sample_start(t);
}
