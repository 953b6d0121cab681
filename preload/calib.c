/* calib.c - the hooks' own cost, measured once per process at start-up
 *
 * An instrumented call costs its caller more than its body: the entry and
 * exit hooks run inside the caller's measured time, and part of them (from
 * the entry's clock read to the exit's) inside the callee's own.  Both
 * depend on the machine, the clock and the process's memory layout, so they
 * are measured here, in the process, and written into the segment
 * (thread_info[0].hook_self_ps and hook_call_ps); paraprof-report subtracts
 * them (paraprof-report(1), "the hooks' own cost"), and shows raw figures
 * with --raw.
 *
 * The measurement runs in the first thread's first entry that takes the
 * slow path after the segment was made, at its end, with the gate open: to
 * the hooks it is the function just entered calling an empty function
 * (calib_target, which nothing else ever calls) CALIB_BATCHES x CALIB_BATCH
 * times, through __cyg_profile_func_enter/exit as the program calls them.
 * Those calls take the fast paths and are counted on a private record
 * (never in the segment: a reader does not see them) whose histogram pages
 * all point at one scratch page of the thread's area.  Per batch:
 *   self: the durations the hooks measured (record.sum_ns) / calls;
 *   call: the clock around the batch / calls, what the caller sees.
 * The smallest over batches is kept: what disturbs a batch (an interrupt,
 * a memory sample, the other hyperthread of the core) only adds to it, and
 * on a loaded machine the median of 15 batches was seen 40 % above the
 * quiet figure.  The calling frame's child time
 * and start are put back, so the function that was entered is charged
 * nothing for the calibration; about 4,000 calls, under 100 microseconds.
 * A child after fork keeps its parent's figures; an exec measures again.
 */
#include <string.h>

#include "hooks.h"

void __cyg_profile_func_enter(void *this_fn, void *call_site);
void __cyg_profile_func_exit(void *this_fn, void *call_site);

#define CALIB_BATCH 128
#define CALIB_BATCHES 31
#define CALIB_WARM 2		/* batches run and not counted */

static int calib_due;		/* 1: the next slow entry measures */
static uint64_t calib_self_ps, calib_call_ps;	/* the last measurement, 0 = none */
static struct ppf_record calib_rec;

/* The function the calibration calls are made for: never called. */
static void __attribute__((noinline, used)) calib_target(void)
{
	__asm__ volatile("");
}

static uint64_t smallest(const uint64_t *v, size_t n)
{
	uint64_t m = v[0];

	for (size_t i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static void calib_publish(void)
{
	struct ppf_thread_info *info;

	if (!seg_base || !seg_header()->thread_info_off)
		return;
	info = seg_thread_info(0);
	__atomic_store_n(&info->hook_self_ps, calib_self_ps, __ATOMIC_RELAXED);
	__atomic_store_n(&info->hook_call_ps, calib_call_ps, __ATOMIC_RELAXED);
}

void calib_segment_made(void)
{
	if (calib_call_ps)
		calib_publish();	/* a child after fork: its parent's figures */
	else
		__atomic_store_n(&calib_due, 1, __ATOMIC_RELEASE);
}

void calib_forget(void)
{
	/* the child after fork keeps the figures; only a pending
	 * measurement's claim goes (it was the parent's thread's) */
	if (!calib_call_ps)
		calib_due = 0;	/* the child's own segment sets it again */
}

int calib_pending(void)
{
	return __atomic_load_n(&calib_due, __ATOMIC_RELAXED);
}

void calib_run(struct tls *t)
{
	struct area_priv *a = &rec_priv[t->area_idx];
	uintptr_t fn = (uintptr_t)calib_target, site = (uintptr_t)calib_run;
	uint64_t self[CALIB_BATCHES], call[CALIB_BATCHES];
	struct frame *f;
	uint64_t child, page, t0, t1;
	uint32_t depth;
	int one = 1, whole = 1;

	/* the gate open (it may hold the control word the entry began with,
	 * before the segment: the first call then takes the slow path), a
	 * frame to call from: the state a callee finds */
	if (t->state != T_READY || !t->depth || t->overflow || !t->gate || (t->gate & GATE_HOOK))
		return;
	if (!__atomic_compare_exchange_n(&calib_due, &one, 0, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	page = seg_area_alloc(t->area, PPF_PAGE_BYTES, PPF_PAGE_BYTES);
	if (!page || page / PPF_PAGE_BYTES > UINT32_MAX)
		return;
	memset(&calib_rec, 0, sizeof(calib_rec));
	calib_rec.kind = PPF_KIND_FUNCTION;
	calib_rec.size = sizeof(calib_rec);
	calib_rec.min_ns = UINT64_MAX;
	calib_rec.max_ns = UINT64_MAX;	/* never a new longest call: no slow path */
	for (unsigned p = 0; p < PPF_HIST_PAGES; p++)
		calib_rec.pages[p] = (uint32_t)(page / PPF_PAGE_BYTES);
	f = &t->stack[t->depth - 1];
	if (rec_table_insert(a, fn, f->rec, &calib_rec) < 0)
		return;
	t->tab = a->tab;
	t->shift = a->shift;
	child = f->child_ns;
	depth = t->depth;

	for (unsigned b = 0; b < CALIB_WARM + CALIB_BATCHES; b++) {
		uint64_t calls = calib_rec.calls, sum = calib_rec.sum_ns;

		t0 = clock_now();
		for (unsigned i = 0; i < CALIB_BATCH; i++) {
			__cyg_profile_func_enter((void *)fn, (void *)site);
			__cyg_profile_func_exit((void *)fn, (void *)site);
		}
		t1 = clock_now();
		if (b < CALIB_WARM)
			continue;
		calls = calib_rec.calls - calls;
		if (calls != CALIB_BATCH) {
			whole = 0;	/* not every call counted: disabled meanwhile */
			break;
		}
		self[b - CALIB_WARM] = (calib_rec.sum_ns - sum) * 1000 / calls;
		call[b - CALIB_WARM] = clock_to_ns(t1 - t0) * 1000 / calls;
	}
	/* the entered function is charged nothing of this (its frame again:
	 * a call may have moved the stack, hk_grow_stack) */
	if (t->depth != depth)
		return;		/* a disable left a call open: leave it all */
	f = &t->stack[depth - 1];
	f->child_ns = child;
	f->start = clock_now();
	if (!whole)
		return;
	calib_self_ps = smallest(self, CALIB_BATCHES);
	calib_call_ps = smallest(call, CALIB_BATCHES);
	if (calib_self_ps > calib_call_ps)
		calib_self_ps = calib_call_ps;	/* (the part is never more than the whole) */
	if (!calib_call_ps)
		calib_call_ps = 1;		/* 0 says "not calibrated" */
	calib_publish();
}
