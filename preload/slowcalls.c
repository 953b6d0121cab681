/* slowcalls.c - the slowest calls of each record, with their native stacks
 *
 * When a call of at least header.slow_call_min_ns sets a new maximum for its
 * record (hooks.c asks: the comparison with max_ns is on the exit's fast
 * path, everything else here), the stack at its end is taken with
 * libgcc's _Unwind_Backtrace, every frame included (uninstrumented code,
 * library callbacks), and kept in the segment's table of slow calls
 * (format.h), made at the first call kept, PPF_SLOW_PER_RECORD per record
 * at most: a record that has them all has its shortest one replaced.  One thread at a time writes the
 * table (a flag taken with an exchange): a call that finds it taken, or the
 * table full, is not kept (counted in header.slow_dropped); nothing waits.
 *
 * Not libunwind: version 1.6 opens a pipe at its first use, to validate
 * addresses by writing them to it, and keeps it open in the program: a
 * daemon that closes every descriptor and opens its own files would later
 * have them read and written by the unwinder.  libgcc's unwinder holds no
 * descriptor, makes no system call and does not allocate (modules are found
 * with dl_iterate_phdr and their PT_GNU_EH_FRAME tables).
 */
#include <string.h>
#include <unwind.h>

#include "hooks.h"

#define SLOW_CAP 1024			/* calls kept, PPF_SLOW_PER_RECORD per record */

static uint32_t busy;			/* the table is being written */
static uintptr_t self_lo, self_hi;	/* our own text: frames not kept */

struct trace {
	void **frames;
	int n, cap;
};

static _Unwind_Reason_Code trace_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct trace *t = arg;
	uintptr_t ip = _Unwind_GetIP(ctx);

	if (!ip || t->n >= t->cap)	/* _start's caller: none */
		return _URC_END_OF_STACK;
	t->frames[t->n++] = (void *)ip;
	return _URC_NO_REASON;
}

/* [lo, hi) of libparaprof.so's text, from the module table; once. */
static void find_self(void)
{
	const struct ppf_header *h = seg_header();
	uint32_t m = seg_cover((uintptr_t)slow_capture);

	if (m) {
		const struct ppf_module *mod = (const struct ppf_module *)seg_ptr(h->module_off) + m - 1;

		self_lo = mod->lo;
		__atomic_store_n(&self_hi, mod->hi, __ATOMIC_RELEASE);
	}
}

void slow_warm(void)
{
	void *frames[PPF_SLOW_FRAMES + 8];
	struct trace t = { frames, 0, (int)(sizeof(frames) / sizeof(frames[0])) };

	if (!env.slow_call_ns)
		return;
	find_self();
	_Unwind_Backtrace(trace_frame, &t);
}

void slow_capture(const struct ppf_record *r, uint64_t dur_ns)
{
	struct ppf_header *h = seg_header();
	void *frames[PPF_SLOW_FRAMES + 8];
	struct trace t = { frames, 0, (int)(sizeof(frames) / sizeof(frames[0])) };
	struct ppf_slow_call *tab, *e = NULL;
	uint64_t rec_off = (uint64_t)((const char *)r - seg_base);
	uint32_t n, mine = 0;
	int got, skip = 0;

	if (!h || !h->slow_call_min_ns || dur_ns < h->slow_call_min_ns)
		return;
	if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&h->slow_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	if (!h->slow_off) {
		/* the table at the first call kept: a program that has none
		 * (or a /dev/shm that is nearly full) spends nothing on it */
		uint64_t off = seg_take(SLOW_CAP * sizeof(struct ppf_slow_call));

		if (!off) {
			__atomic_fetch_add(&h->slow_dropped, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
			return;
		}
		h->slow_cap = SLOW_CAP;
		__atomic_store_n(&h->slow_off, off, __ATOMIC_RELEASE);
	}
	if (!__atomic_load_n(&self_hi, __ATOMIC_ACQUIRE))
		find_self();
	_Unwind_Backtrace(trace_frame, &t);
	got = t.n;
	while (skip < got && (uintptr_t)frames[skip] >= self_lo &&
	       (uintptr_t)frames[skip] < self_hi)
		skip++;			/* the hooks' own frames */
	tab = seg_ptr(h->slow_off);
	n = h->slow_count;
	/* the record's entries: a free place while it has fewer than its
	 * share, else its shortest (kept only if this call is longer) */
	for (uint32_t i = 0; i < n; i++) {
		if (tab[i].rec != rec_off)
			continue;
		mine++;
		if (!e || tab[i].dur_ns < e->dur_ns)
			e = &tab[i];
	}
	if (mine < PPF_SLOW_PER_RECORD) {
		e = n < h->slow_cap ? &tab[n] : NULL;
	} else if (e->dur_ns >= dur_ns) {
		e = NULL;
		n = UINT32_MAX;		/* nothing to add, nothing dropped */
	}
	if (e) {
		uint64_t seq = e->seq;

		__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELAXED);
		pp_wmb();
		e->rec = rec_off;
		e->dur_ns = dur_ns;
		e->end_ns = clock_mono_ns();
		e->tid = hk_gettid();
		e->nframes = 0;
		for (int i = skip; i < got && e->nframes < PPF_SLOW_FRAMES; i++)
			e->frames[e->nframes++] = (uintptr_t)frames[i];
		pp_wmb();
		__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELAXED);
		if (e == &tab[n])
			__atomic_store_n(&h->slow_count, n + 1, __ATOMIC_RELEASE);
	} else if (n != UINT32_MAX) {
		__atomic_fetch_add(&h->slow_dropped, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}

void slow_after_fork(void)
{
	busy = 0;
}
