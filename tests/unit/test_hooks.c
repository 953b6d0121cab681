/* test_hooks.c - the shadow stack's rules, on the real hooks
 *
 * The test calls __cyg_profile_func_enter/exit itself, from nested frames
 * (noinline helpers) so that stack pointers are real, with the addresses of
 * marker objects as "functions", and reads the records in the segment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);

#define NOINLINE __attribute__((noinline))
#define SITE ((void *)0x1234)		/* one call site for every fake call */

static char fa, fb, fc, fd, fx, frec, fdeep, fdis, fon;	/* fake functions */

/* The record of `fn` summed over live areas: what a reader would see. */
static struct ppf_record sum_of(void *fn)
{
	struct ppf_record s;
	struct ppf_header *h = seg_header();

	memset(&s, 0, sizeof(s));
	assert_non_null(h);
	for (unsigned i = 0; i < h->thread_count; i++) {
		struct ppf_thread *t = seg_thread(i);

		if (t->state == PPF_THREAD_FREE)
			continue;
		for (uint64_t off = t->records; off; off = ((struct ppf_record *)seg_ptr(off))->next) {
			struct ppf_record *r = seg_ptr(off);

			if (r->key != (uintptr_t)fn || (r->flags & PPF_REC_FOLDED))
				continue;
			s.calls += r->calls;
			s.sum_ns += r->sum_ns;
			s.inclusive_ns += r->inclusive_ns;
			s.self_ns += r->self_ns;
			s.abandoned += r->abandoned;
			s.max_ns = r->max_ns > s.max_ns ? r->max_ns : s.max_ns;
		}
	}
	return s;
}

static void spin(void)
{
	uint64_t end = clock_mono_ns() + 20000;

	while (clock_mono_ns() < end)
		;
}

static NOINLINE void call_b(void)
{
	__cyg_profile_func_enter(&fb, SITE);
	spin();
	__cyg_profile_func_exit(&fb, SITE);
}

static void test_hooks_nesting_and_self_time(void **state)
{
	(void)state;
	__cyg_profile_func_enter(&fa, SITE);
	spin();
	call_b();
	call_b();
	__cyg_profile_func_exit(&fa, SITE);

	struct ppf_record a = sum_of(&fa), b = sum_of(&fb);

	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 2);
	/* self time is exact: the caller's duration minus its callees' */
	assert_int_equal(a.self_ns + b.sum_ns, a.sum_ns);
	assert_int_equal(b.self_ns, b.sum_ns);
	assert_true(a.self_ns >= 20000);
	assert_int_equal(a.abandoned + b.abandoned, 0);
}

static NOINLINE void recurse(int n)
{
	__cyg_profile_func_enter(&frec, SITE);
	spin();
	if (n > 1)
		recurse(n - 1);
	__cyg_profile_func_exit(&frec, SITE);
}

static void test_hooks_recursion_inclusive_once(void **state)
{
	(void)state;
	recurse(5);

	struct ppf_record r = sum_of(&frec);

	assert_int_equal(r.calls, 5);
	/* inclusive time counts the outermost frame only: its duration */
	assert_int_equal(r.inclusive_ns, r.max_ns);
	assert_true(r.sum_ns > r.inclusive_ns);
	assert_int_equal(r.self_ns, r.inclusive_ns);
}

static jmp_buf jump;

static NOINLINE void deeper_then_jump(void)
{
	volatile char pad[256];

	pad[0] = 0;
	__cyg_profile_func_enter(&fb, (void *)0x99);
	__cyg_profile_func_enter(&fc, (void *)0x99);	/* same frame: as if inlined */
	longjmp(jump, pad[0] + 1);
}

/* fb and fc are entered two frames below the caller, deeper than any frame
 * call_d() will have: the entry rule can tell they are gone.  (A frame at
 * the same depth as the next entry looks like an inlined caller; it is
 * popped by the exit of a frame below it instead.) */
static NOINLINE void deep_then_jump(void)
{
	volatile char pad[256];

	pad[0] = 0;
	deeper_then_jump();
	pad[0]++;
}

static NOINLINE void call_d(void)
{
	__cyg_profile_func_enter(&fd, SITE);
	__cyg_profile_func_exit(&fd, SITE);
}

static void test_hooks_longjmp_abandons_deeper_frames(void **state)
{
	struct ppf_record b0 = sum_of(&fb), c0 = sum_of(&fc);

	(void)state;
	__cyg_profile_func_enter(&fa, SITE);
	if (!setjmp(jump))
		deep_then_jump();
	/* control is back above fb and fc: the next entry notices, at once */
	call_d();
	assert_int_equal(sum_of(&fb).abandoned - b0.abandoned, 1);
	assert_int_equal(sum_of(&fc).abandoned - c0.abandoned, 1);
	call_d();
	__cyg_profile_func_exit(&fa, SITE);

	struct ppf_record b = sum_of(&fb), c = sum_of(&fc), d = sum_of(&fd);

	assert_int_equal(b.calls - b0.calls, 1);
	assert_int_equal(b.abandoned - b0.abandoned, 1);
	assert_int_equal(c.calls - c0.calls, 1);
	assert_int_equal(c.abandoned - c0.abandoned, 1);
	assert_int_equal(d.calls, 2);
	assert_int_equal(d.abandoned, 0);
}

static void test_hooks_exit_skips_frames(void **state)
{
	struct ppf_record x0 = sum_of(&fx);
	uint64_t abandoned0 = seg_header()->abandoned_frames;

	(void)state;
	/* fx's exit never comes (an exception through code without cleanups):
	 * the exit of its caller pops it as abandoned */
	__cyg_profile_func_enter(&fa, (void *)0x77);
	__cyg_profile_func_enter(&fx, (void *)0x77);
	__cyg_profile_func_exit(&fa, (void *)0x77);

	struct ppf_record x = sum_of(&fx);

	assert_int_equal(x.calls - x0.calls, 1);
	assert_int_equal(x.abandoned - x0.abandoned, 1);
	assert_int_equal(seg_header()->abandoned_frames - abandoned0, 1);
}

static void test_hooks_unmatched_exit(void **state)
{
	uint64_t unmatched0 = seg_header()->unmatched_exits;
	static char never;

	(void)state;
	__cyg_profile_func_exit(&never, SITE);
	assert_int_equal(seg_header()->unmatched_exits - unmatched0, 1);
	assert_int_equal(sum_of(&never).calls, 0);
}

static void test_hooks_deep_stack_grows(void **state)
{
	enum { N = 300000 };		/* past the stack's first 65536 frames, twice over */
	uint64_t over0 = seg_header()->stack_overflows;

	(void)state;
	for (int i = 0; i < N; i++)
		__cyg_profile_func_enter(&fdeep, SITE);
	for (int i = 0; i < N; i++)
		__cyg_profile_func_exit(&fdeep, SITE);

	uint64_t over = seg_header()->stack_overflows - over0;
	struct ppf_record r = sum_of(&fdeep);

	assert_int_equal(over, 0);
	assert_int_equal(r.calls, N);
	assert_int_equal(r.abandoned, 0);
	/* and the stack is sound afterwards */
	call_d();
	assert_int_equal(sum_of(&fd).calls, 3);
}

static void test_hooks_disabled_calls_not_counted(void **state)
{
	struct ppf_header *h = seg_header();
	uint32_t f = h->flags;

	(void)state;
	__cyg_profile_func_enter(&fdis, SITE);
	__atomic_store_n(&h->flags, f & ~PPF_FLAG_ENABLED, __ATOMIC_RELEASE);
	for (int i = 0; i < 10; i++) {
		__cyg_profile_func_enter(&fon, SITE);
		__cyg_profile_func_exit(&fon, SITE);
	}
	__cyg_profile_func_exit(&fdis, SITE);	/* began enabled, ends disabled */
	/* enable again, as paraprof_enable() does */
	hooks_enable(1);
	assert_int_equal(sum_of(&fon).calls, 0);
	for (int i = 0; i < 10; i++) {
		__cyg_profile_func_enter(&fon, SITE);
		__cyg_profile_func_exit(&fon, SITE);
	}
	assert_int_equal(sum_of(&fon).calls, 10);
	/* the frame that spanned the disabled time was dropped, not counted */
	assert_int_equal(sum_of(&fdis).calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_nesting_and_self_time),
		cmocka_unit_test(test_hooks_recursion_inclusive_once),
		cmocka_unit_test(test_hooks_longjmp_abandons_deeper_frames),
		cmocka_unit_test(test_hooks_exit_skips_frames),
		cmocka_unit_test(test_hooks_unmatched_exit),
		cmocka_unit_test(test_hooks_deep_stack_grows),
		cmocka_unit_test(test_hooks_disabled_calls_not_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
